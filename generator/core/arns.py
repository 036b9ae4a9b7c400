"""ARNs: the ones every template and check derives from the config, and parsing any other.

Why: the trail ARN appears in the bucket policy, the KMS key policy and the preflight checks;
it must be built from inputs (never from ``aws_cloudtrail.arn``, which would be a dependency
cycle) and built in exactly one place, so that the pieces can never disagree.
"""

from __future__ import annotations

from typing import NamedTuple


class Arns(NamedTuple):
    """Names and ARNs of one organization trail, all in the trail's partition."""

    partition: str
    dns_suffix: str
    home_region: str
    management_account_id: str
    org_id: str
    trail_name: str
    bucket_name: str
    key_prefix: str | None

    @property
    def trail(self) -> str:
        """The trail's ARN: home region and MANAGEMENT account, even from a delegated admin."""
        return (
            f"arn:{self.partition}:cloudtrail:{self.home_region}:"
            f"{self.management_account_id}:trail/{self.trail_name}"
        )

    @property
    def bucket(self) -> str:
        """The log bucket's ARN."""
        return f"arn:{self.partition}:s3:::{self.bucket_name}"

    def log_prefix(self, owner: str) -> str:
        """``[key_prefix/]AWSLogs/<owner>/``: the key prefix of what CloudTrail writes for owner."""
        prefix = f"{self.key_prefix}/" if self.key_prefix else ""
        return f"{prefix}AWSLogs/{owner}/"

    def log_objects(self, owner: str) -> str:
        """Objects CloudTrail writes under ``AWSLogs/<owner>/`` (with the trail's key prefix)."""
        return f"{self.bucket}/{self.log_prefix(owner)}*"

    def log_group(self, name: str) -> str:
        """A log group's ARN in the trail's home region and account, without the ``:*``."""
        return (
            f"arn:{self.partition}:logs:{self.home_region}:{self.management_account_id}"
            f":log-group:{name}"
        )

    def root(self, account_id: str) -> str:
        """An account's root principal ARN."""
        return f"arn:{self.partition}:iam::{account_id}:root"


class ArnParts(NamedTuple):
    """The fields of an ARN: ``arn:partition:service:region:account:resource``."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(arn: str) -> ArnParts | None:
    """Split an ARN into its fields, or None when ``arn`` has fewer than six of them.

    The resource keeps its own colons (``log-group:name:*``, ``function:name:alias``).
    """
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return ArnParts(*parts[1:])


def arn_partition(arn: str) -> str | None:
    """The partition field of an ARN (None when it is not one)."""
    parts = parse_arn(arn)
    return parts.partition if parts else None


def arn_region(arn: str) -> str | None:
    """The region field of an ARN (None when it is not one)."""
    parts = parse_arn(arn)
    return parts.region if parts else None


def arn_account(arn: str) -> str | None:
    """The account field of an ARN (None when it is not one)."""
    parts = parse_arn(arn)
    return parts.account if parts else None


def principal_account(principal: str) -> str:
    """The account of a config principal: an account id is itself, an ARN carries it."""
    return principal if principal.isdigit() else (arn_account(principal) or "")
