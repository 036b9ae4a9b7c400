"""Checks on what was rendered: the python-hcl2 re-parse and the preflight rules (OTG...)."""
