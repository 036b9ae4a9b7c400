"""Per-template views: all decisions about what to emit, made in Python.

Why: templates should only loop and look up. Every conditional that depends on the config
(which resources exist, which depend on which, what a policy says) is decided here, where it
can be unit-tested and type-checked, and handed to the template as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator import policies
from generator.arns import Arns
from generator.config import Config

# Terraform addresses, named once: templates, depends_on lists and preflight checks use these.
ORGANIZATION = "aws_organizations_organization.this"
TRAIL = "aws_cloudtrail.org"
BUCKET = "aws_s3_bucket.logs"
BUCKET_POLICY = "aws_s3_bucket_policy.logs"
LOG_GROUP = "aws_cloudwatch_log_group.cloudtrail"
ROLE = "aws_iam_role.cloudtrail_cloudwatch"
ROLE_POLICY = "aws_iam_role_policy.cloudtrail_cloudwatch"
EXISTING_BUCKET_POLICY = "data.aws_s3_bucket_policy.existing"


def _label(address: str) -> str:
    return address.rsplit(".", 1)[1]


@dataclass(frozen=True)
class ModuleView:
    """Everything the templates of one module need."""

    config: Config
    arns: Arns

    @property
    def has_cloudwatch(self) -> bool:
        """Whether the trail also delivers to CloudWatch Logs."""
        return self.config.cloudwatch_logs is not None

    def files(self) -> list[str]:
        """Which templates this config renders, in output order."""
        names = ["versions", "providers", "organizations", "cloudtrail", "s3"]
        if self.has_cloudwatch:
            names.append("logs")
        names.append("outputs")
        return names

    def context(self) -> dict[str, Any]:
        """The template context: one small view per concern."""
        return {
            "providers": self.providers(),
            "organization": self.organization(),
            "trail": self.trail(),
            "bucket": self.bucket(),
            "logs": self.logs(),
            "outputs": self.outputs(),
        }

    def providers(self) -> dict[str, Any]:
        """The provider: pinned to the home region and, as a guard, the management account."""
        return {
            "region": self.arns.home_region,
            "account_ids": [self.arns.management_account_id],
            "tags": self.config.tags,
        }

    def organization(self) -> dict[str, Any]:
        """Trusted access: the authoritative principal list, imported, never destroyed."""
        org = self.config.organization
        return {
            "label": _label(ORGANIZATION),
            "import_id": org.id,
            "principals": sorted(org.trusted_access.service_access_principals),
            "policy_types": None
            if org.enabled_policy_types is None
            else sorted(org.enabled_policy_types),
        }

    def trail(self) -> dict[str, Any]:
        """The trail and everything CreateTrail validates before it (its depends_on)."""
        trail = self.config.trail
        depends_on = [BUCKET_POLICY, ORGANIZATION]
        if self.has_cloudwatch:
            depends_on.append(ROLE_POLICY)
        return {
            "label": _label(TRAIL),
            "name": trail.name,
            "bucket": f"{BUCKET}.id" if self.config.bucket.create else self.config.bucket.name,
            "bucket_is_reference": self.config.bucket.create,
            "s3_key_prefix": trail.s3_key_prefix,
            "is_multi_region": trail.is_multi_region,
            "include_global_service_events": trail.include_global_service_events,
            "enable_log_file_validation": trail.enable_log_file_validation,
            "log_group": LOG_GROUP if self.has_cloudwatch else None,
            "role": ROLE if self.has_cloudwatch else None,
            "depends_on": sorted(depends_on),
            "arn": self.arns.trail,
        }

    def bucket(self) -> dict[str, Any]:
        """The bucket (when created) and its policy document."""
        bucket = self.config.bucket
        merge = not bucket.create and bucket.existing_policy == "merge"
        source = (f"{EXISTING_BUCKET_POLICY}.policy",) if merge else ()
        return {
            "label": _label(BUCKET),
            "create": bucket.create,
            "name": bucket.name,
            "policy_label": _label(BUCKET_POLICY),
            "policy": policies.bucket_policy(self.arns, source_documents=source),
            "existing_policy": bucket.existing_policy,
            "existing_label": _label(EXISTING_BUCKET_POLICY),
        }

    def logs(self) -> dict[str, Any] | None:
        """The log group, the delivery role and its two policy documents."""
        cwl = self.config.cloudwatch_logs
        if cwl is None:
            return None
        return {
            "group_label": _label(LOG_GROUP),
            "name": cwl.log_group_name,
            "retention_in_days": cwl.retention_in_days,
            "role_label": _label(ROLE),
            "role_name": cwl.role_name,
            "role_policy_label": _label(ROLE_POLICY),
            "trust": policies.cloudwatch_trust_policy(),
            "delivery": policies.cloudwatch_delivery_policy(self.arns, cwl.log_group_name),
        }

    def outputs(self) -> list[dict[str, str]]:
        """Outputs other stacks and ``orgtrail-gen verify`` read."""
        result = [
            {"name": "trail_arn", "value": f"{TRAIL}.arn", "description": "The trail's ARN."},
            {
                "name": "trail_home_region",
                "value": f"{TRAIL}.home_region",
                "description": "Region the trail is managed from.",
            },
        ]
        if self.config.bucket.create:
            result.append({
                "name": "bucket_arn",
                "value": f"{BUCKET}.arn",
                "description": "The central log bucket.",
            })
        if self.has_cloudwatch:
            result += [
                {
                    "name": "log_group_arn",
                    "value": f"{LOG_GROUP}.arn",
                    "description": "The central CloudWatch Logs log group.",
                },
                {
                    "name": "cloudwatch_role_arn",
                    "value": f"{ROLE}.arn",
                    "description": "Role CloudTrail assumes to deliver to the log group.",
                },
            ]
        return result
