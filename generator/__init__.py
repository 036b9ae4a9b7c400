"""orgtrail-gen: one YAML file in, a hardened CloudTrail organization-trail Terraform module out."""

__version__ = "0.1.0"
