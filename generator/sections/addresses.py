"""Terraform addresses, named once: templates, depends_on lists and preflight rules use these.

Why one module: the trail depends on the bucket policy, the bucket's encryption waits for the
trail, the imports name everything. Addresses that several sections refer to live here, below
every section, so that no two sections import each other.
"""

from __future__ import annotations

ORGANIZATION = "data.aws_organizations_organization.this"
TRUSTED_ACCESS = "aws_organizations_aws_service_access.cloudtrail"
# What orgtrail-gen 0.1 managed; its output carries a `removed` block for it.
LEGACY_ORGANIZATION = "aws_organizations_organization.this"
DELEGATED_ADMIN = "aws_cloudtrail_organization_delegated_admin_account.trail_creator"
TRAIL = "aws_cloudtrail.org"
BUCKET = "aws_s3_bucket.logs"
BUCKET_POLICY = "aws_s3_bucket_policy.logs"
LOG_GROUP = "aws_cloudwatch_log_group.cloudtrail"
ROLE = "aws_iam_role.cloudtrail_cloudwatch"
ROLE_POLICY = "aws_iam_role_policy.cloudtrail_cloudwatch"
KEY = "aws_kms_key.cloudtrail"
KEY_ALIAS = "aws_kms_alias.cloudtrail"
LOGS_KEY = "aws_kms_key.cloudwatch_logs"
LOGS_KEY_ALIAS = "aws_kms_alias.cloudwatch_logs"
ALARM_TOPIC = "aws_sns_topic.alarms"
ALARM_TOPIC_POLICY = "aws_sns_topic_policy.alarms"
ALARM_KEY = "aws_kms_key.alarms"
ALARM_KEY_ALIAS = "aws_kms_alias.alarms"
# Provider aliases of the layouts (the default provider is the management account).
LOG_ARCHIVE_PROVIDER = "aws.log_archive"
DELEGATED_ADMIN_PROVIDER = "aws.delegated_admin"
# The bucket's split resources, each labelled like the bucket; keyed by the name
# adopt.bucket.configurations gives each setting.
BUCKET_SETTINGS = {
    "public_access_block": "aws_s3_bucket_public_access_block.logs",
    "ownership_controls": "aws_s3_bucket_ownership_controls.logs",
    "versioning": "aws_s3_bucket_versioning.logs",
    "encryption": "aws_s3_bucket_server_side_encryption_configuration.logs",
    "lifecycle": "aws_s3_bucket_lifecycle_configuration.logs",
    "object_lock": "aws_s3_bucket_object_lock_configuration.logs",
    "logging": "aws_s3_bucket_logging.logs",
    "policy": BUCKET_POLICY,
}
# The delivery role's inline policy, unless an adopted one keeps its own name.
ROLE_POLICY_NAME = "cloudtrail-cloudwatch-delivery"


def label(address: str) -> str:
    """A resource's label: ``aws_s3_bucket.logs`` -> ``logs``."""
    return address.rsplit(".", 1)[1]
