"""The ARNs and names every template and check derives from the config.

Why: the trail ARN appears in the bucket policy, the KMS key policy and the preflight checks;
it must be built from inputs (never from ``aws_cloudtrail.arn``, which would be a dependency
cycle) and built in exactly one place, so that the pieces can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.config.model import Config
from generator.config.regions import partition_of


@dataclass(frozen=True)
class Arns:
    """Names and ARNs of one organization trail, all in the trail's partition."""

    partition: str
    dns_suffix: str
    home_region: str
    management_account_id: str
    org_id: str
    trail_name: str
    bucket_name: str
    key_prefix: str | None

    @classmethod
    def of(cls, config: Config) -> Arns:
        """Derive every ARN from a validated config."""
        part = partition_of(config.trail.home_region)
        if part is None:  # the config model already refused such a region
            raise ValueError(f"unknown region {config.trail.home_region}")
        return cls(
            partition=part.name,
            dns_suffix=part.dns_suffix,
            home_region=config.trail.home_region,
            management_account_id=config.organization.management_account_id,
            org_id=config.organization.id,
            trail_name=config.trail.name,
            bucket_name=config.bucket.name,
            key_prefix=config.trail.s3_key_prefix,
        )

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

    def log_objects(self, owner: str) -> str:
        """Objects CloudTrail writes under ``AWSLogs/<owner>/`` (with the trail's key prefix)."""
        prefix = f"{self.key_prefix}/" if self.key_prefix else ""
        return f"{self.bucket}/{prefix}AWSLogs/{owner}/*"

    def log_group(self, name: str) -> str:
        """A log group's ARN in the trail's home region and account, without the ``:*``."""
        return (
            f"arn:{self.partition}:logs:{self.home_region}:{self.management_account_id}"
            f":log-group:{name}"
        )

    def root(self, account_id: str) -> str:
        """An account's root principal ARN."""
        return f"arn:{self.partition}:iam::{account_id}:root"
