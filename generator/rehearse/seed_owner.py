"""An owner's organization trail (``owner_trail:``), made on the emulator as its manager makes it.

Why: in the companion layout the module's apply must find the owner's trail, bucket, key and log
group already there, and the proof that it manages none of them (tests/support/owner_untouched.py)
needs them to be what the owner really has - not what this module would have written. Made as
AWS Control Tower (landing zone 4.0) makes them, with the config's names:

- the key (``kms.key_arn``, in the management account with the id its ARN names): the default
  key policy, the statements Control Tower's guide asks for AWS Config and CloudTrail, and the
  statements this module prints (``facts.required_key_statements``), as the owner adds them;
- the bucket (``bucket.name``, in the log-archive account): Control Tower's policy (TLS-only
  deny; the services' bucket checks; delivery conditioned on ``aws:SourceOrgID``) plus the
  statements this module prints (``facts.required_bucket_statements``), versioning, SSE-KMS with
  the key (SSE-S3 without one), public access blocked, a one-year expiry;
- the log group (``owner_trail.log_group_arn``, its landing-zone-4.0 suffix included) with a
  retention, and the role CloudTrail delivers to it with;
- the trail (``owner_trail.arn``): multi-region, organization-wide, recording every management
  event, into the bucket under ``trail.s3_key_prefix`` (Control Tower's: the organization id),
  encrypted with the key, delivering to the log group, logging.

Run in the emulator's process (:func:`generator.rehearse.seed.seed` calls it): the key's id is
fixed there (:func:`generator.rehearse.moto_patches.fixed_key_id`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from generator.core.arns import parse_arn
from generator.rehearse.moto_patches import fixed_key_id
from generator.sections.registry import Config, facts_of

CLOUDTRAIL = "cloudtrail.amazonaws.com"
CONFIG = "config.amazonaws.com"
# The role Control Tower's trail delivers to CloudWatch Logs with, in the management account.
DELIVERY_ROLE = "aws-controltower-CloudWatchLogsRole"
LOG_RETENTION_DAYS = 14
BUCKET_EXPIRY_DAYS = 365  # Control Tower's default retention of its logging bucket: one year

# A boto3 client whose calls moto books to an account: (url, service, account, region) -> client
# (generator.rehearse.seed.account_client, passed in: seed imports this module).
AccountClient = Callable[[str, str, str, str], Any]


def control_tower_key_policy(config: Config) -> dict[str, Any]:
    """The owner's key policy: the default one, Control Tower's two grants, this module's asks."""
    owner, key_arn = config.owner_trail, config.kms.key_arn
    assert owner is not None and key_arn is not None
    facts = facts_of(config)
    partition = facts.arns.partition
    management = config.organization.management_account_id
    statements = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{management}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow Config to use KMS for encryption",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        },
        {
            "Sid": "Allow CloudTrail to use KMS for encryption",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": key_arn,
            "Condition": {
                "StringEquals": {"aws:SourceArn": owner.arn},
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": (
                        f"arn:{partition}:cloudtrail:*:{management}:trail/*"
                    )
                },
            },
        },
    ]
    added = facts.required_key_statements.to_json()["Statement"]
    return {"Version": "2012-10-17", "Statement": [*statements, *added]}


def control_tower_bucket_policy(config: Config) -> dict[str, Any]:
    """The owner's bucket policy: Control Tower's statements, then the ones this module prints."""
    facts = facts_of(config)
    bucket = facts.arns.bucket
    prefix = f"{config.trail.s3_key_prefix}/" if config.trail.s3_key_prefix else ""
    org = {"StringEquals": {"aws:SourceOrgID": config.organization.id}}
    services = {"Service": [CLOUDTRAIL, CONFIG]}
    statements = [
        {
            "Sid": "AllowSSLRequestsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AWSBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": services,
            "Action": "s3:GetBucketAcl",
            "Resource": bucket,
        },
        {
            "Sid": "AWSConfigBucketExistenceCheck",
            "Effect": "Allow",
            "Principal": services,
            "Action": "s3:ListBucket",
            "Resource": bucket,
        },
        {
            "Sid": "AWSBucketDeliveryForConfig",
            "Effect": "Allow",
            "Principal": {"Service": CONFIG},
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/{prefix}AWSLogs/*/*",
            "Condition": org,
        },
        {
            "Sid": "AWSBucketDeliveryForOrganizationTrail",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/{prefix}AWSLogs/{config.organization.id}/*",
            "Condition": org,
        },
    ]
    required = facts.required_bucket_statements
    added = required.to_json()["Statement"] if required is not None else []
    return {"Version": "2012-10-17", "Statement": [*statements, *added]}


def seed_owner_trail(url: str, config: Config, account_client: AccountClient) -> None:
    """Make the owner's key, bucket, log group, delivery role and trail (module docstring)."""
    owner = config.owner_trail
    assert owner is not None
    management = config.organization.management_account_id
    home = config.trail.home_region
    key_arn = config.kms.key_arn
    if key_arn is not None:
        _, _, _, key_region, key_account, resource = key_arn.split(":", 5)
        kms = account_client(url, "kms", key_account, key_region)
        with fixed_key_id(resource.split("/", 1)[1]):
            kms.create_key(
                Description="AWS Control Tower landing zone key",
                Policy=json.dumps(control_tower_key_policy(config)),
            )

    name = config.bucket.name
    s3 = account_client(url, "s3", _bucket_account(config), home)
    where = (
        {} if home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": home}}
    )
    s3.create_bucket(Bucket=name, **where)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    default = (
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
        if key_arn is not None
        else {"SSEAlgorithm": "AES256"}
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "RetentionRule",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": BUCKET_EXPIRY_DAYS},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": BUCKET_EXPIRY_DAYS},
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(control_tower_bucket_policy(config)))

    trail: dict[str, Any] = {
        "Name": owner.trail_name,
        "S3BucketName": name,
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": True,
        "IncludeGlobalServiceEvents": True,
        "EnableLogFileValidation": True,
    }
    if config.trail.s3_key_prefix:
        trail["S3KeyPrefix"] = config.trail.s3_key_prefix
    if key_arn is not None:
        trail["KmsKeyId"] = key_arn
    if owner.log_group_arn is not None and owner.log_group_name is not None:
        group = parse_arn(owner.log_group_arn)
        region = group.region if group is not None else home
        logs = account_client(url, "logs", management, region)
        logs.create_log_group(logGroupName=owner.log_group_name)
        logs.put_retention_policy(
            logGroupName=owner.log_group_name, retentionInDays=LOG_RETENTION_DAYS
        )
        trail["CloudWatchLogsLogGroupArn"] = owner.log_group_arn
        trail["CloudWatchLogsRoleArn"] = _delivery_role(
            account_client(url, "iam", management, home), owner.log_group_arn
        )
    cloudtrail = account_client(url, "cloudtrail", management, home)
    cloudtrail.create_trail(**trail)
    cloudtrail.put_event_selectors(  # what Control Tower's trail records: every management event
        TrailName=owner.trail_name,
        EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}
        ],
    )
    cloudtrail.start_logging(Name=owner.trail_name)


def _bucket_account(config: Config) -> str:
    if config.log_archive is not None:
        return config.log_archive.account_id
    return config.organization.management_account_id


def _delivery_role(iam: Any, log_group_arn: str) -> str:
    """The role CloudTrail delivers to the owner's log group with; its ARN."""
    role = iam.create_role(
        RoleName=DELIVERY_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": CLOUDTRAIL},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    group = log_group_arn.removesuffix(":*")
    iam.put_role_policy(
        RoleName=DELIVERY_ROLE,
        PolicyName="AWSControlTowerCloudWatchLogsPolicy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"{group}:log-stream:*",
                    }
                ],
            }
        ),
    )
    return str(role["Arn"])
