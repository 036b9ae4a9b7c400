"""What a config says exists before its module is applied, made on the emulator.

From the config: the organization (feature set ALL) with the config's organization and account
ids, trusted access when the config says it is on, the member accounts and the roles provider
aliases assume, the access-log target bucket, an SQS queue or SNS topic a subscription names, and
for ``adopt:`` what the CloudTrail console made (:func:`seed_console_trail`, reusable on its own).
Terraform then authenticates as an IAM user of the management account (:attr:`Seeded.access_key`),
so the provider's ``allowed_account_ids`` check really runs. ``MOTO_ACCOUNT_ID`` is not used: it
also overrides the account of assumed-role credentials, and the log-archive alias would then fail
``allowed_account_ids``. :func:`seed` runs in the emulator's process (it fixes moto's ids there);
boto3 is imported only when a client is made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from generator.rehearse.moto_patches import fixed_ids
from generator.rehearse.seed_consumers import seed_consumer_functions
from generator.rehearse.seed_owner import seed_owner_trail
from generator.sections.registry import Config

TERRAFORM_USER = "orgtrail-terraform"
# Sid suffixes the console draws at random (uuid4); fixed here so runs are reproducible.
CONSOLE_SID_SUFFIXES = (
    "5d3bd6d2-7c3e-4f6e-9a55-0b0d8e6f3a11",
    "c1a0f9e4-2b7d-4d1e-8f3c-6a9b2e7d4c55",
)


# --- clients -----------------------------------------------------------------------------------


def account_client(url: str, service: str, account: str, region: str) -> Any:
    """A client whose calls moto books to ``account`` (its ``x-moto-account-id`` header).

    Used only to seed what exists before the user's credentials do: the IAM user itself, and
    objects in member accounts.
    """
    import boto3
    from botocore.config import Config as BotoConfig

    created = boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="seeding",
        aws_secret_access_key="seeding",
        config=BotoConfig(retries={"max_attempts": 1}),
    )

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    created.meta.events.register("before-sign", add_header)
    return created


@dataclass(frozen=True)
class Seeded:
    """A seeded emulator: its URL and the management account's IAM user keys."""

    url: str
    access_key: str
    secret_key: str

    def client(self, service: str, region: str) -> Any:
        """A client with the management account's credentials (what Terraform runs as)."""
        import boto3
        from botocore.config import Config as BotoConfig

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=BotoConfig(retries={"max_attempts": 1}),
        )

    def environment(self, region: str) -> dict[str, str]:
        """AWS environment variables for a process (terraform) that should reach only moto."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_MAX_ATTEMPTS": "1",
        }


# --- seeding -----------------------------------------------------------------------------------


def member_accounts(config: Config) -> list[str]:
    """The accounts the config names besides the management account, in a stable order."""
    found: list[str] = []
    if config.log_archive is not None:
        found.append(config.log_archive.account_id)
    if config.delegated_admin is not None:
        found += [config.delegated_admin.account_id, *config.delegated_admin.other_registered]
    management = config.organization.management_account_id
    return [a for i, a in enumerate(found) if a != management and a not in found[:i]]


def seed(url: str, config: Config) -> Seeded:
    """Make what the config says exists before the module is applied; return the user's keys.

    Not made: an existing key (``kms.key_arn``) other than an owner's trail's (made by
    :mod:`generator.rehearse.seed_owner` with its id), and the state bucket of ``backend`` (the
    run replaces the backend by a local one).
    """
    management = config.organization.management_account_id
    home = config.trail.home_region
    iam = account_client(url, "iam", management, home)
    iam.create_user(UserName=TERRAFORM_USER)
    key = iam.create_access_key(UserName=TERRAFORM_USER)["AccessKey"]
    seeded = Seeded(url, key["AccessKeyId"], key["SecretAccessKey"])

    members = member_accounts(config)
    orgs = seeded.client("organizations", "us-east-1")
    with fixed_ids(config.organization.id, [management, *members]):
        orgs.create_organization(FeatureSet="ALL")
        for account in members:
            orgs.create_account(Email=f"{account}@example.com", AccountName=f"account-{account}")
    if config.organization.cloudtrail_trusted_access in ("already_enabled", "adopt"):
        orgs.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    if config.delegated_admin is not None and config.delegated_admin.registered:
        orgs.register_delegated_administrator(
            AccountId=config.delegated_admin.account_id,
            ServicePrincipal="cloudtrail.amazonaws.com",
        )

    for role_arn in _assumed_roles(config):
        account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
        account_client(url, "iam", account, home).create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )

    bucket_account = config.log_archive.account_id if config.log_archive else management
    if config.bucket.access_logging is not None:
        target = config.bucket.access_logging.target_bucket
        s3 = account_client(url, "s3", bucket_account, home)
        _create_bucket(s3, target, home)
        s3.put_bucket_policy(Bucket=target, Policy=json.dumps(_access_log_policy(target)))

    for endpoint in _sqs_endpoints(config):
        _, _, _, region, account, name = endpoint.split(":")
        account_client(url, "sqs", account, region).create_queue(QueueName=name)
    if config.monitoring is not None and config.monitoring.notifications.existing_topic_arn:
        _, _, _, region, account, name = config.monitoring.notifications.existing_topic_arn.split(
            ":"
        )
        account_client(url, "sns", account, region).create_topic(Name=name)

    if config.consumers:  # the consumers' functions, their owners' (e.g. the Datadog Forwarder)
        seed_consumer_functions(url, config, account_client)

    if config.adopt is not None:
        seed_console_trail(seeded, config)
    if config.owner_trail is not None:  # its key, bucket, log group and trail, as its owner's
        seed_owner_trail(url, config, account_client)
    return seeded


def _assumed_roles(config: Config) -> list[str]:
    roles = []
    if config.log_archive is not None:
        roles.append(config.log_archive.role_arn)
    if config.delegated_admin is not None:
        roles.append(config.delegated_admin.role_arn)
    return roles


def _sqs_endpoints(config: Config) -> list[str]:
    if config.monitoring is None or config.monitoring.notifications.topic is None:
        return []
    return [
        s.endpoint
        for s in config.monitoring.notifications.topic.subscriptions
        if s.protocol == "sqs"
    ]


def _create_bucket(s3: Any, name: str, region: str) -> None:
    where = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **where)


def _access_log_policy(bucket: str) -> dict[str, Any]:
    """The target bucket's grant to S3 server access logging (S3 User Guide)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def console_bucket_policy(bucket: str, trail_arn: str, account: str, org_id: str) -> dict[str, Any]:
    """The bucket policy the CloudTrail console writes today for an organization trail.

    aws-facts.md §11.5: Sids with a UUID suffix, the condition key spelt ``AWS:SourceArn``; the
    statements themselves are the CloudTrail User Guide's (tests/data/aws-documented-policies.json).
    """
    acl, write = CONSOLE_SID_SUFFIXES
    source = {"AWS:SourceArn": trail_arn}
    written = {"s3:x-amz-acl": "bucket-owner-full-control", **source}
    principal = {"Service": "cloudtrail.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"AWSCloudTrailAclCheck20150319-{acl}",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": f"AWSCloudTrailWrite20150319-{write}",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": [
                    f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
                    f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*",
                ],
                "Condition": {"StringEquals": written},
            },
        ],
    }


def live_bucket_policy(config: Config) -> dict[str, Any]:
    """The policy an adopted bucket has today, as the config says.

    ``bucket.kept_statements`` are what ``discover`` copied from the live policy, so a config
    that has them describes that policy; without them the console's default stands in.
    """
    if config.bucket.kept_statements:
        return {
            "Version": "2012-10-17",
            "Statement": [
                statement.model_dump(by_alias=True, exclude_defaults=True)
                for statement in config.bucket.kept_statements
            ],
        }
    assert config.adopt is not None and config.adopt.trail is not None
    return console_bucket_policy(
        config.bucket.name,
        config.adopt.trail.arn,
        config.organization.management_account_id,
        config.organization.id,
    )


def console_role_policy(
    log_group_arn: str, account: str, region: str, org_id: str
) -> dict[str, Any]:
    """The inline policy the console puts on the role it makes for CloudWatch Logs delivery."""
    streams = [
        f"{log_group_arn}:log-stream:{account}_CloudTrail_{region}*",
        f"{log_group_arn}:log-stream:{org_id}_*",
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailCreateLogStream20141101",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream"],
                "Resource": streams,
            },
            {
                "Sid": "AWSCloudTrailPutLogEvents20141101",
                "Effect": "Allow",
                "Action": ["logs:PutLogEvents"],
                "Resource": streams,
            },
        ],
    }


def seed_console_trail(seeded: Seeded, config: Config) -> None:
    """Make the objects of ``config.adopt`` as the CloudTrail console makes them.

    The bucket (console policy, public access block, BucketOwnerEnforced, SSE-S3), the log group
    with no retention, the delivery role with its inline policy, and a running organization
    trail using them. Each object only when the adopt section names it; an adopted key is not
    made (moto cannot create a key with a given id). Call after :func:`seed` (or on any server
    holding the organization and a management-account user).
    """
    adopt = config.adopt
    assert adopt is not None
    management = config.organization.management_account_id
    org_id = config.organization.id
    home = config.trail.home_region
    trail_arn = adopt.trail.arn if adopt.trail else None
    if adopt.bucket is not None:
        s3 = seeded.client("s3", home)
        name = adopt.bucket.name
        _create_bucket(s3, name, home)
        configurations = set(adopt.bucket.configurations)
        if "public_access_block" in configurations:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        if "ownership_controls" in configurations:
            s3.put_bucket_ownership_controls(
                Bucket=name,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            )
        if "encryption" in configurations:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": False,
                        }
                    ]
                },
            )
        if "versioning" in configurations:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if "policy" in configurations and trail_arn:
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(live_bucket_policy(config)))
    group_arn = None
    if adopt.log_group is not None:
        logs = seeded.client("logs", home)
        logs.create_log_group(logGroupName=adopt.log_group.name)
        if adopt.log_group.retention_in_days:
            logs.put_retention_policy(
                logGroupName=adopt.log_group.name,
                retentionInDays=adopt.log_group.retention_in_days,
            )
        group_arn = f"arn:aws:logs:{home}:{management}:log-group:{adopt.log_group.name}"
    role_arn = None
    if adopt.role is not None:
        iam = seeded.client("iam", home)
        role = iam.create_role(
            RoleName=adopt.role.name,
            Path=adopt.role.path,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]
        role_arn = role["Arn"]
        if group_arn is not None:
            iam.put_role_policy(
                RoleName=adopt.role.name,
                PolicyName=adopt.role.inline_policy
                or f"CloudTrailPolicyForCloudWatchLogs_{config.trail.name}",
                PolicyDocument=json.dumps(console_role_policy(group_arn, management, home, org_id)),
            )
    if adopt.trail is not None:
        trail = adopt.trail
        arguments: dict[str, Any] = {
            "Name": trail.arn.rsplit("/", 1)[1],
            "S3BucketName": trail.s3_bucket_name,
            "IsOrganizationTrail": trail.is_organization_trail,
            "IsMultiRegionTrail": trail.is_multi_region,
            "IncludeGlobalServiceEvents": trail.include_global_service_events,
            "EnableLogFileValidation": trail.enable_log_file_validation,
        }
        if trail.kms_key_arn:
            arguments["KmsKeyId"] = trail.kms_key_arn
        if trail.cloud_watch_logs_group_arn:
            arguments["CloudWatchLogsLogGroupArn"] = trail.cloud_watch_logs_group_arn
            arguments["CloudWatchLogsRoleArn"] = trail.cloud_watch_logs_role_arn or role_arn
        cloudtrail = seeded.client("cloudtrail", home)
        cloudtrail.create_trail(**arguments)
        cloudtrail.start_logging(Name=arguments["Name"])
