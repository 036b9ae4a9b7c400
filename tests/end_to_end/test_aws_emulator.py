"""The seeded moto server the real-Terraform runs use: what a config says exists, does.

The Terraform runs judge the generated modules against this seed, so the seed must be what AWS
would hold: the config's own organization and account ids (the provider asserts them), the
management account as the caller, and an adopted trail's objects as the console makes them.
No Terraform is needed here; each test starts one server process (≈1-2 s).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import ROOT

from generator.rehearse.emulator import Emulator
from generator.rehearse.seed import Seeded
from generator.sections.registry import load_config


@pytest.fixture
def adopt_console(tmp_path: Path) -> Any:
    with Emulator(ROOT / "configs" / "adopt-console.yaml", tmp_path / "moto.log") as seeded:
        yield seeded


def test_the_caller_is_the_management_account_of_the_configs_organization(
    adopt_console: Seeded,
) -> None:
    config = load_config(ROOT / "configs" / "adopt-console.yaml")
    management = config.organization.management_account_id
    assert adopt_console.client("sts", "us-east-2").get_caller_identity()["Account"] == management
    orgs = adopt_console.client("organizations", "us-east-1")
    organization = orgs.describe_organization()["Organization"]
    assert (organization["Id"], organization["MasterAccountId"]) == (
        config.organization.id,
        management,
    )
    assert organization["FeatureSet"] == "ALL"
    principals = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [p["ServicePrincipal"] for p in principals] == ["cloudtrail.amazonaws.com"]


def test_adopted_objects_are_as_the_console_makes_them(adopt_console: Seeded) -> None:
    config = load_config(ROOT / "configs" / "adopt-console.yaml")
    assert config.adopt is not None and config.adopt.trail is not None
    bucket = config.bucket.name
    s3 = adopt_console.client("s3", "us-east-2")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    sids = [statement["Sid"] for statement in policy["Statement"]]
    # The console's statements, as discover copied them into bucket.kept_statements.
    assert sids == [statement.sid for statement in config.bucket.kept_statements]
    assert {sid.split("-", 1)[0] for sid in sids} >= {
        "AWSCloudTrailAclCheck20150319",
        "AWSCloudTrailWrite20150319",
    }
    assert all(len(sid.split("-", 1)[1]) == 36 for sid in sids)  # a UUID suffix
    for statement in policy["Statement"]:
        assert statement["Condition"]["StringEquals"]["AWS:SourceArn"] == config.adopt.trail.arn
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())

    groups = adopt_console.client("logs", "us-east-2").describe_log_groups()["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [
        (config.cloudwatch_logs.log_group_name if config.cloudwatch_logs else "", None)
    ]
    iam = adopt_console.client("iam", "us-east-2")
    role = config.adopt.role.name if config.adopt.role else ""
    assert iam.list_role_policies(RoleName=role)["PolicyNames"]

    cloudtrail = adopt_console.client("cloudtrail", "us-east-2")
    trail = cloudtrail.get_trail(Name=config.adopt.trail.arn)["Trail"]
    assert trail["TrailARN"] == config.adopt.trail.arn
    assert trail["IsOrganizationTrail"] and not trail["LogFileValidationEnabled"]
    assert trail["CloudWatchLogsRoleArn"] == config.adopt.trail.cloud_watch_logs_role_arn
    assert cloudtrail.get_trail_status(Name=config.adopt.trail.arn)["IsLogging"]


def test_member_accounts_and_the_role_a_provider_alias_assumes_exist(tmp_path: Path) -> None:
    config = load_config(ROOT / "configs" / "log-archive.yaml")
    assert config.log_archive is not None and config.bucket.access_logging is not None
    with Emulator(ROOT / "configs" / "log-archive.yaml", tmp_path / "moto.log") as seeded:
        home = config.trail.home_region
        accounts = seeded.client("organizations", "us-east-1").list_accounts()["Accounts"]
        assert sorted(a["Id"] for a in accounts) == sorted(
            [config.organization.management_account_id, config.log_archive.account_id]
        )
        credentials = seeded.client("sts", home).assume_role(
            RoleArn=config.log_archive.role_arn, RoleSessionName="test"
        )["Credentials"]
        sts = _with(credentials, seeded.url, "sts", home)
        assert sts.get_caller_identity()["Account"] == config.log_archive.account_id
        s3 = _with(credentials, seeded.url, "s3", home)
        target = config.bucket.access_logging.target_bucket
        assert s3.get_bucket_location(Bucket=target)["LocationConstraint"] == home
        policy = json.loads(s3.get_bucket_policy(Bucket=target)["Policy"])
        assert policy["Statement"][0]["Principal"] == {"Service": "logging.s3.amazonaws.com"}


def _with(credentials: dict[str, Any], url: str, service: str, region: str) -> Any:
    """A client with assumed-role credentials (moto books its calls to the role's account)."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
