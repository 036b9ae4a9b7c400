"""Test-side checkers that judge generated Terraform independently of the generator."""
