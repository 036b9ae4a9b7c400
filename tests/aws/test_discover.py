"""`orgtrail-gen discover` against a moto server, and the loop discover -> generate -> verify."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.moto_server import (  # noqa: F401  (fixtures)
    REGION,
    answer,
    assumed_client,
    aws_env,
    client,
    deploy,
    error_response,
    fake_cloudwatch_delivery_status,
    fake_delegated_admins,
    moto_url,
    on_clients,
    seed_organization,
)
from support.policies import policy_documents

from generator.check.hcl_parse import literal
from generator.check.preflight.policy_reading import (
    ParsedStatement,
    statements,
    statements_from_json,
)
from generator.cli import main
from generator.pipeline import Module, build

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def org_only(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    # moto gap: ListDelegatedAdministrators refuses cloudtrail.amazonaws.com; faked at the seam.
    fake_delegated_admins(monkeypatch, [])
    return seed_organization(aws_env, members=2, trusted=False)


def discover(tmp_path: Path, *args: str) -> tuple[int, Path]:
    target = tmp_path / "configs" / "acme.yaml"
    return main(["discover", "-o", str(target), *args]), target


def test_new_organization_gives_a_config_the_generator_accepts(
    org_only: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, path = discover(tmp_path)
    assert code == 0, capsys.readouterr().err
    module = build(path)  # the written file is accepted as is
    assert module.stem == "acme"
    config = module.config
    assert config.organization.id == org_only.org_id
    assert config.organization.management_account_id == org_only.management
    assert config.organization.cloudtrail_trusted_access == "enable"
    assert config.bucket.create is True
    assert config.trail.home_region == REGION and config.trail.expected_regions[0] == REGION
    text = path.read_text(encoding="utf-8")
    assert f"{len(org_only.accounts)} accounts ({len(org_only.accounts)} active)" in text
    assert "Existing trails: none" in text
    out = capsys.readouterr().out
    assert f"orgtrail-gen {path}" in out


def test_trusted_access_already_enabled_is_asserted_not_managed(
    org_only: Any, tmp_path: Path
) -> None:
    client(org_only.url, "organizations").enable_aws_service_access(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )
    code, path = discover(tmp_path)
    assert code == 0
    assert build(path).config.organization.cloudtrail_trusted_access == "already_enabled"


UUID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
OUT_OF_BAND = {  # added outside Terraform: a cross-account read nobody reviewed
    "Sid": "Keep",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::legacy-trail-bucket/*",
}


def _console_statements(org: Any) -> list[dict[str, Any]]:
    """The console's grants in the trail's bucket (aws-facts.md 11.5): this trail's, with UUID
    Sids and AWS:SourceArn, and an older console's bare-Sid grant for another trail."""
    trail = f"arn:aws:cloudtrail:us-east-1:{org.management}:trail/legacy-trail"
    other = f"arn:aws:cloudtrail:us-east-1:{org.management}:trail/first-trail"
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    return [
        {"Sid": f"AWSCloudTrailAclCheck20150319-{UUID}", "Effect": "Allow",
         "Principal": cloudtrail, "Action": "s3:GetBucketAcl",
         "Resource": "arn:aws:s3:::legacy-trail-bucket",
         "Condition": {"StringEquals": {"AWS:SourceArn": trail}}},
        {"Sid": f"AWSCloudTrailOrganizationWrite20150319-{UUID}", "Effect": "Allow",
         "Principal": cloudtrail, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::legacy-trail-bucket/audit/AWSLogs/{org.org_id}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "AWS:SourceArn": trail}}},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
         "Principal": cloudtrail, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::legacy-trail-bucket/AWSLogs/{org.management}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "aws:SourceArn": other}}},
    ]  # fmt: skip


def _legacy_policy(org: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [*_console_statements(org), OUT_OF_BAND]}


def _existing_trail(
    org: Any, *, policy: bool, key: bool = True, bucket_owner: str | None = None, **kms: Any
) -> str:
    """A console-style organization trail with its bucket, log group, delivery role and key.

    ``bucket_owner``: a role ARN whose account creates the bucket (moto puts a bucket created
    with a role's credentials in that account); default the management account.
    """
    s3 = assumed_client(org.url, "s3", bucket_owner) if bucket_owner else client(org.url, "s3")
    s3.create_bucket(Bucket="legacy-trail-bucket")
    for region in ("us-east-1", "eu-west-1"):
        s3.put_object(
            Bucket="legacy-trail-bucket",
            Key=f"audit/AWSLogs/{org.org_id}/{org.management}/CloudTrail/{region}/2026/11/27/x.json.gz",
            Body=b"{}",
        )
    if policy:
        s3.put_bucket_policy(Bucket="legacy-trail-bucket", Policy=json.dumps(_legacy_policy(org)))
    logs = client(org.url, "logs")
    logs.create_log_group(logGroupName="legacy-trail")
    iam = client(org.url, "iam")
    iam.create_role(RoleName="LegacyDelivery", Path="/service-role/", AssumeRolePolicyDocument="{}")
    iam.put_role_policy(
        RoleName="LegacyDelivery",
        PolicyName="Cloudtrail-CW-access-policy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}],
            }
        ),
    )
    trail: dict[str, Any] = {
        "Name": "legacy-trail",
        "S3BucketName": "legacy-trail-bucket",
        "S3KeyPrefix": "audit",
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": True,
        "EnableLogFileValidation": False,
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{org.management}:log-group:legacy-trail:*",
        "CloudWatchLogsRoleArn": f"arn:aws:iam::{org.management}:role/service-role/LegacyDelivery",
    }
    key_arn = ""
    if key:
        key_arn = client(org.url, "kms").create_key(**kms)["KeyMetadata"]["Arn"]
        trail["KmsKeyId"] = key_arn
    client(org.url, "cloudtrail").create_trail(**trail)
    return key_arn


def test_existing_trail_is_adopted(org_only: Any, tmp_path: Path) -> None:
    key_arn = _existing_trail(org_only, policy=True)
    kms, logs, s3 = (client(org_only.url, name) for name in ("kms", "logs", "s3"))
    kms.create_alias(AliasName="alias/legacy-trail-key", TargetKeyId=key_arn)
    logs.delete_log_group(logGroupName="legacy-trail")  # again, encrypted with the trail's key
    logs.create_log_group(logGroupName="legacy-trail", kmsKeyId=key_arn)
    logs.put_retention_policy(logGroupName="legacy-trail", retentionInDays=90)
    s3.put_public_access_block(
        Bucket="legacy-trail-bucket",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(
        Bucket="legacy-trail-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    code, path = discover(tmp_path)
    assert code == 0
    module = build(path)  # accepted as is, imports and all
    config = module.config
    assert config.trail.name == "legacy-trail"
    assert config.trail.s3_key_prefix == "audit"
    assert config.trail.regions == ["us-east-1", "eu-west-1"]  # where logs were delivered
    assert config.trail.enable_log_file_validation is True
    # The bucket is in the management account and in the home region: adopted, then managed.
    assert (config.bucket.name, config.bucket.create) == ("legacy-trail-bucket", True)
    adopt = config.adopt
    assert adopt is not None and adopt.trail is not None
    assert (
        adopt.trail.arn == f"arn:aws:cloudtrail:us-east-1:{org_only.management}:trail/legacy-trail"
    )
    assert (adopt.trail.s3_bucket_name, adopt.trail.s3_key_prefix) == (
        "legacy-trail-bucket",
        "audit",
    )
    assert adopt.trail.is_organization_trail and adopt.trail.is_multi_region
    assert adopt.trail.enable_log_file_validation is False  # today's, as GetTrail says
    assert adopt.trail.kms_key_arn == key_arn
    assert adopt.trail.cloud_watch_logs_role_arn == (
        f"arn:aws:iam::{org_only.management}:role/service-role/LegacyDelivery"
    )
    assert adopt.bucket is not None
    assert adopt.bucket.configurations == ["public_access_block", "versioning", "policy"]
    assert adopt.log_group is not None
    assert (adopt.log_group.name, adopt.log_group.retention_in_days) == ("legacy-trail", 90)
    assert adopt.log_group.kms_key_arn == key_arn
    assert config.cloudwatch_logs is not None
    assert config.cloudwatch_logs.retention_in_days == 90  # kept: nothing gets deleted
    assert adopt.role is not None
    assert (adopt.role.name, adopt.role.path, adopt.role.inline_policy) == (
        "LegacyDelivery",
        "/service-role/",
        "Cloudtrail-CW-access-policy",
    )
    assert adopt.key is not None
    assert (adopt.key.arn, adopt.key.alias) == (key_arn, "alias/legacy-trail-key")
    assert (config.kms.key_arn, config.kms.alias) == (None, "alias/legacy-trail-key")
    imports = module.files["imports.tf"]
    key_id = key_arn.rsplit("/", 1)[1]
    for to, import_id in (
        ("aws_cloudtrail.org", adopt.trail.arn),
        ("aws_s3_bucket.logs", "legacy-trail-bucket"),
        ("aws_s3_bucket_public_access_block.logs", "legacy-trail-bucket"),
        ("aws_s3_bucket_versioning.logs", "legacy-trail-bucket"),
        ("aws_s3_bucket_policy.logs", "legacy-trail-bucket"),
        ("aws_cloudwatch_log_group.cloudtrail", "legacy-trail"),
        ("aws_iam_role.cloudtrail_cloudwatch", "LegacyDelivery"),
        ("aws_iam_role_policy.cloudtrail_cloudwatch", "LegacyDelivery:Cloudtrail-CW-access-policy"),
        ("aws_kms_key.cloudtrail", key_id),
        ("aws_kms_alias.cloudtrail", "alias/legacy-trail-key"),
    ):
        assert f'  to = {to}\n  id = "{import_id}"\n' in imports, to
    # Settings the bucket lacks are created, not imported (an import of them would fail).
    assert "aws_s3_bucket_ownership_controls.logs\n" not in imports
    text = path.read_text(encoding="utf-8")
    assert "regions: regions with delivered logs" in text
    assert "the existing trail has log file validation off; the module turns it on" in text
    assert (
        "#   legacy-trail: organization trail, managed by unknown, records every management event, read and write, home us-east-1, bucket legacy-trail-bucket, prefix audit, key arn:aws:kms:"
        in text
    )
    assert "log group legacy-trail, role arn:aws:iam::" in text


def test_discover_keeps_the_console_grants_and_reports_the_rest(
    org_only: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """discover -> config -> build: trail grants survive as written, nothing else is carried."""
    _existing_trail(org_only, policy=True, key=False)
    code, path = discover(tmp_path)
    err = capsys.readouterr().err
    assert code == 0, err
    module = build(path)
    kept = [
        s.model_dump(by_alias=True, exclude_defaults=True)
        for s in module.config.bucket.kept_statements
    ]
    assert kept == _console_statements(org_only)  # copied literally, in their order
    # The out-of-band read is reported (stderr and a comment), never kept.
    assert "bucket policy drift: statement Keep:" in err
    text = path.read_text(encoding="utf-8")
    assert "# DRIFT, removed at apply: statement Keep:" in text
    assert "first-trail" in text and "(the console's Sid)" in text
    # The rendered policy holds the console's statements as written, and not the read.
    folder = tmp_path / "module"
    folder.mkdir()
    for name, content in module.files.items():
        (folder / name).write_text(content, encoding="utf-8")
    rendered = policy_documents(folder, placeholders={})[
        "data.aws_iam_policy_document.cloudtrail_bucket"
    ]["Statement"]
    for statement in _console_statements(org_only):
        assert statement in rendered
    assert not [s for s in rendered if s.get("Sid") == "Keep"]
    assert "999988887777" not in json.dumps(rendered)


def test_discover_does_not_copy_our_own_statements_and_reports_duplicate_sids(
    org_only: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _existing_trail(org_only, policy=False, key=False)
    ours = {
        "Sid": "CloudTrailLegacyTrailAclCheck",  # what a first apply of this module wrote
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:GetBucketAcl",
        "Resource": "arn:aws:s3:::legacy-trail-bucket",
        "Condition": {"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{org_only.management}:trail/legacy-trail"}},
    }  # fmt: skip
    console = _console_statements(org_only)
    policy = {"Version": "2012-10-17", "Statement": [ours, console[0], console[0]]}
    client(org_only.url, "s3").put_bucket_policy(
        Bucket="legacy-trail-bucket", Policy=json.dumps(policy)
    )
    code, path = discover(tmp_path)
    err = capsys.readouterr().err
    assert code == 0, err
    config = build(path).config
    assert [s.sid for s in config.bucket.kept_statements] == [console[0]["Sid"]]
    assert f"Sid {console[0]['Sid']} appears more than once" in err
    text = path.read_text(encoding="utf-8")
    assert "WARNING: the live policy repeats the Sid(s)" in text
    assert "not copied, this module writes them: CloudTrailLegacyTrailAclCheck" in text


def test_bucket_of_another_account_stays_unmanaged(org_only: Any, tmp_path: Path) -> None:
    # The bucket is created with a member account's credentials: moto files it under that
    # account, and the management account's ListBuckets does not list it.
    archive_role = f"arn:aws:iam::{org_only.members[0]}:role/LogArchive"
    _existing_trail(org_only, policy=True, key=False, bucket_owner=archive_role)
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert (config.bucket.create, config.bucket.existing_policy) == (False, "merge")
    assert [s.sid for s in config.bucket.kept_statements] == [
        s["Sid"] for s in _console_statements(org_only)
    ]
    assert config.adopt is not None
    assert config.adopt.bucket is None and config.adopt.trail is not None
    assert config.adopt.log_group is not None and config.adopt.role is not None
    text = path.read_text(encoding="utf-8")
    assert "# Not adopted: it is not in the management account" in text


def test_bucket_without_policy_is_replace_when_not_adopted(org_only: Any, tmp_path: Path) -> None:
    # Nothing to keep: replace, and the config says why.
    archive_role = f"arn:aws:iam::{org_only.members[0]}:role/LogArchive"
    _existing_trail(org_only, policy=False, key=False, bucket_owner=archive_role)
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert (config.bucket.create, config.bucket.existing_policy) == (False, "replace")
    assert config.kms.key_arn is None
    assert "it has no policy today, so there is nothing to keep" in path.read_text(encoding="utf-8")


def test_multi_region_key_is_used_not_adopted(
    org_only: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model refuses adopt.key for a multi-Region key (managing it would replace it).
    # moto gap: its multi-Region key ids are mrk-<uuid>, AWS's mrk-<32 hex digits> (which the
    # model checks). The trail names an AWS-form key, and DescribeKey/ListAliases for it are
    # answered at the seam.
    _existing_trail(org_only, policy=True, key=False)
    key_arn = f"arn:aws:kms:us-east-1:{org_only.management}:key/mrk-{'0a1b2c3d' * 4}"
    client(org_only.url, "cloudtrail").update_trail(Name="legacy-trail", KmsKeyId=key_arn)
    metadata = {
        "KeyId": key_arn.rsplit("/", 1)[1],
        "Arn": key_arn,
        "KeySpec": "SYMMETRIC_DEFAULT",
        "KeyManager": "CUSTOMER",
        "MultiRegion": True,
    }

    def register(service: str, created: Any) -> None:
        if service == "kms":
            created.meta.events.register(
                "before-call.kms.DescribeKey", answer({"KeyMetadata": metadata})
            )
            created.meta.events.register("before-call.kms.ListAliases", answer({"Aliases": []}))

    on_clients(monkeypatch, register)
    code, path = discover(tmp_path)
    assert code == 0
    module = build(path)
    assert module.config.kms.key_arn == key_arn
    assert module.config.adopt is not None and module.config.adopt.key is None
    assert module.config.adopt.trail is not None
    assert module.config.adopt.trail.kms_key_arn == key_arn
    assert "aws_kms_key.cloudtrail" not in module.files["imports.tf"]
    assert "# Not adopted (adopt.key): a multi-Region key" in path.read_text(encoding="utf-8")


def test_bucket_object_lock_and_access_logging_are_kept(org_only: Any, tmp_path: Path) -> None:
    s3 = client(org_only.url, "s3")
    s3.create_bucket(Bucket="legacy-trail-bucket", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="legacy-trail-bucket",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}},
        },
    )
    s3.create_bucket(Bucket="legacy-access-logs")
    s3.put_bucket_policy(  # moto, like S3, wants the logging service admitted first
        Bucket="legacy-access-logs",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::legacy-access-logs/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_logging(
        Bucket="legacy-trail-bucket",
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "legacy-access-logs", "TargetPrefix": "trail/"}
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket="legacy-trail-bucket",
        LifecycleConfiguration={
            "Rules": [
                {"ID": "old", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3650}}
            ]
        },
    )
    client(org_only.url, "cloudtrail").create_trail(
        Name="legacy-trail", S3BucketName="legacy-trail-bucket", IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
    )  # fmt: skip
    code, path = discover(tmp_path)
    assert code == 0
    module = build(path)
    config = module.config
    assert config.bucket.object_lock is not None
    assert (config.bucket.object_lock.mode, config.bucket.object_lock.days) == ("GOVERNANCE", 30)
    assert config.bucket.access_logging is not None
    assert config.bucket.access_logging.target_bucket == "legacy-access-logs"
    assert config.adopt is not None and config.adopt.bucket is not None
    assert {"object_lock", "logging", "lifecycle"} <= set(config.adopt.bucket.configurations)
    imports = module.files["imports.tf"]
    for to in ("object_lock_configuration", "logging", "lifecycle_configuration"):
        assert f"to = aws_s3_bucket_{to}.logs" in imports
    text = path.read_text(encoding="utf-8")
    assert "its lifecycle rules today are REPLACED by bucket.lifecycle" in text


def test_control_tower_trail_is_recognised_and_written_beside(
    org_only: Any, tmp_path: Path
) -> None:
    """Control Tower's trail records the management events: the config sits beside it."""
    s3 = client(org_only.url, "s3")
    s3.create_bucket(Bucket="aws-controltower-logs-123456789012-us-east-1")
    client(org_only.url, "cloudtrail").create_trail(
        Name="aws-controltower-BaselineCloudTrail",
        S3BucketName="aws-controltower-logs-123456789012-us-east-1",
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
    )
    code, path = discover(tmp_path)
    assert code == 0
    text = path.read_text(encoding="utf-8")
    assert "would be a paid second copy" not in text  # this config records no management event
    config = build(path).config
    owner = config.owner_trail
    assert owner is not None and owner.managed_by == "control-tower"
    assert owner.arn.endswith(":trail/aws-controltower-BaselineCloudTrail")
    assert config.adopt is None and config.trail.events is None
    assert config.bucket.create is False and config.bucket.existing_policy == "keep"
    # ListBuckets of the management account lists the bucket: it is that account's, whatever
    # its name says, so there is no log_archive; the trail has no key, so neither has this one.
    assert config.log_archive is None and config.kms.enabled is False
    assert "No log_archive: Control Tower's bucket is the management account's" in text
    # moto's organization was seeded without CloudTrail's trusted access: the companion layout
    # asserts it all the same (an organization trail needs it), and the comment says to check.
    assert config.organization.cloudtrail_trusted_access == "already_enabled"
    assert "does not list CloudTrail, yet Control Tower's organization trail exists: check" in text


def test_landing_zone_accelerator_trail_is_not_adopted_but_written_beside(
    org_only: Any, tmp_path: Path
) -> None:
    """LZA's CloudFormation owns its trail: importing it too would give it two owners."""
    client(org_only.url, "s3").create_bucket(Bucket="aws-accelerator-central-logs-1")
    client(org_only.url, "cloudtrail").create_trail(
        Name="AWSAccelerator-Organizations-CloudTrail",
        S3BucketName="aws-accelerator-central-logs-1",
        S3KeyPrefix="cloudtrail-organization",
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
    )
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert config.adopt is None and config.trail.name == "org-data-events"
    assert config.owner_trail is not None and config.owner_trail.managed_by == "lza"
    assert config.bucket.name == "aws-accelerator-central-logs-1"
    assert config.trail.s3_key_prefix == "cloudtrail-organization"


def test_delegated_administrators_are_listed(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # moto gap: ListDelegatedAdministrators for CloudTrail is faked at the seam.
    seed_organization(aws_env, members=1)
    fake_delegated_admins(monkeypatch, ["222222222222"])
    code, path = discover(tmp_path)
    assert code == 0
    assert "CloudTrail delegated administrators: 222222222222" in path.read_text(encoding="utf-8")


def test_never_overwrites_without_force(
    org_only: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "configs" / "acme.yaml"
    target.parent.mkdir()
    target.write_text("mine\n", encoding="utf-8")
    code, _ = discover(tmp_path)
    assert code == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine\n"
    code, _ = discover(tmp_path, "--force")
    assert code == 0
    assert "organization:" in target.read_text(encoding="utf-8")


def test_default_output_is_named_for_the_organization(
    org_only: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["discover"]) == 0
    assert (tmp_path / "configs" / f"{org_only.org_id}.yaml").is_file()


def test_access_denied_is_exit_3_and_writes_nothing(
    aws_env: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # moto server does not enforce IAM: DescribeOrganization's denial is faked at the seam.
    seed_organization(aws_env)

    def register(service: str, created: Any) -> None:
        if service == "organizations":
            created.meta.events.register(
                "before-send.organizations.DescribeOrganization",
                lambda **_: error_response(400, "AccessDeniedException", "not authorized"),
            )

    on_clients(monkeypatch, register)
    code, path = discover(tmp_path)
    assert code == 3
    assert "organizations:DescribeOrganization" in capsys.readouterr().err
    assert not path.exists()


def test_endpoint_url_option_wins_over_environment(
    org_only: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, _ = discover(tmp_path, "--endpoint-url", org_only.url)
    assert code == 0


def _normalised(stmts: list[ParsedStatement]) -> list[tuple[object, ...]]:
    return sorted(
        (
            s.sid,
            s.effect,
            s.actions,
            s.resources,
            tuple(sorted(s.principals)),
            tuple(sorted(s.conditions)),
        )
        for s in stmts
    )


def _assert_server_holds_what_the_module_describes(module: Module, url: str) -> None:
    """deploy() stands in for `terraform apply`: check it against the generated HCL itself."""
    parsed = module.parsed
    document = parsed.get("data.aws_iam_policy_document.cloudtrail_bucket")
    assert document is not None
    live_policy = client(url, "s3", module.config.trail.home_region).get_bucket_policy(
        Bucket=module.config.bucket.name
    )
    assert _normalised(statements(document)) == _normalised(
        statements_from_json(json.loads(live_policy["Policy"]))
    )
    (trail_block,) = parsed.of_type("resource", "aws_cloudtrail")
    trail = client(url, "cloudtrail", module.config.trail.home_region).get_trail(
        Name=module.config.trail.name
    )["Trail"]
    assert literal(trail_block.body["name"]) == trail["Name"]
    for argument, field in (
        ("is_organization_trail", "IsOrganizationTrail"),
        ("is_multi_region_trail", "IsMultiRegionTrail"),
        ("include_global_service_events", "IncludeGlobalServiceEvents"),
        ("enable_log_file_validation", "LogFileValidationEnabled"),
    ):
        assert trail_block.body[argument] == trail[field], argument


def test_discover_generate_verify_loop(
    org_only: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, path = discover(tmp_path)
    assert code == 0
    module = build(path)
    config = module.config
    assert main([str(path), "--output-dir", str(tmp_path / "output")]) == 0
    assert (tmp_path / "output" / "acme" / "cloudtrail.tf").is_file()
    # No Terraform here: create what the module describes, with trusted access it enables.
    client(org_only.url, "organizations").enable_aws_service_access(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )
    deploy(org_only, config)
    _assert_server_holds_what_the_module_describes(module, org_only.url)
    fake_cloudwatch_delivery_status(monkeypatch)
    capsys.readouterr()
    assert main(["verify", str(path), "--new-account-hours", "0"]) == 0, capsys.readouterr().out
    # One account stops delivering: its objects and streams go.
    gone = org_only.members[0]
    s3 = client(org_only.url, "s3")
    policy = s3.get_bucket_policy(Bucket=config.bucket.name)["Policy"]
    s3.delete_bucket_policy(Bucket=config.bucket.name)  # moto enforces its TLS deny on http
    listed = s3.list_objects_v2(
        Bucket=config.bucket.name, Prefix=f"AWSLogs/{config.organization.id}/{gone}/"
    )
    for entry in listed["Contents"]:
        s3.delete_object(Bucket=config.bucket.name, Key=entry["Key"])
    s3.put_bucket_policy(Bucket=config.bucket.name, Policy=policy)
    capsys.readouterr()
    assert main(["verify", str(path), "--new-account-hours", "0", "--json"]) == 1
    failed = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "fail"]
    assert [(r["check"], r["subject"]) for r in failed] == [
        ("S3 delivery", "organization"),
        ("S3 delivery", f"account {gone}"),
    ]


def test_commands_do_not_import_boto3_until_run() -> None:
    probe = (
        "import sys, argparse; from generator.commands import discover, verify; "
        "[m.configure(argparse.ArgumentParser()) for m in (discover, verify)]; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_written_yaml_is_plain_data() -> None:
    from generator.aws.config_yaml import _q

    for value in ("yes", "123", "a b", "#x", "/aws/cloudtrail/org", "o-abc"):
        assert yaml.safe_load(f"k: {_q(value)}") == {"k": value}


def test_long_region_lists_wrap_and_stay_one_list() -> None:
    from generator.aws.config_yaml import _flow_list

    regions = [f"region-{i:02d}" for i in range(20)]
    lines = _flow_list("  regions: ", regions, width=60)
    assert len(lines) > 1 and all(len(line) <= 60 for line in lines)
    assert yaml.safe_load("k:\n" + "\n".join(lines)) == {"k": {"regions": regions}}


def test_no_region_is_bad_input(
    org_only: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, path = discover(tmp_path)
    assert code == 2
    assert "--region" in capsys.readouterr().err
    assert not path.exists()


def test_other_accounts_credentials_adopt_only_the_trail(
    org_only: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands for credentials of another account: GetCallerIdentity is answered at the seam.
    # Only the management account can import what the trail uses, so nothing of it is read.
    _existing_trail(org_only, policy=True)
    operations: list[str] = []

    def register(service: str, created: Any) -> None:
        created.meta.events.register(
            "before-call", lambda model, **_: operations.append(f"{service}:{model.name}")
        )
        if service == "sts":
            created.meta.events.register(
                "before-call.sts.GetCallerIdentity", answer({"Account": "999999999999"})
            )

    on_clients(monkeypatch, register)
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert config.adopt is not None and config.adopt.trail is not None
    assert (config.adopt.bucket, config.adopt.log_group, config.adopt.role, config.adopt.key) == (
        None,
        None,
        None,
        None,
    )
    assert config.bucket.create is False
    assert not {op.split(":")[0] for op in operations} & {"iam", "kms", "logs"}
    assert "s3:ListBuckets" not in operations
    text = path.read_text(encoding="utf-8")
    assert "Read with credentials of account 999999999999" in text
    assert "# Not adopted: not read: the credentials are not the management account's." in text


def test_a_never_expiring_log_group_is_kept_never_expiring(org_only: Any, tmp_path: Path) -> None:
    """The console's log group has no retention: discover keeps 0, so no event is deleted.

    A config with any finite retention would be refused (OTG042): build() passing is the proof.
    """
    _existing_trail(org_only, policy=True)
    code, path = discover(tmp_path)
    assert code == 0
    module = build(path)
    assert module.config.adopt is not None and module.config.adopt.log_group is not None
    assert module.config.adopt.log_group.retention_in_days is None
    assert module.config.cloudwatch_logs is not None
    assert module.config.cloudwatch_logs.retention_in_days == 0
    group = module.parsed.get("aws_cloudwatch_log_group.cloudtrail")
    assert group is not None and group.body["retention_in_days"] == 0


def test_discover_writes_the_athena_enum_of_a_small_organization(
    org_only: Any, tmp_path: Path
) -> None:
    code, path = discover(tmp_path)
    assert code == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("# athena:")
    section = [line.removeprefix("# ") for line in lines[start:]]
    text = "\n".join(lines[:start] + section) + "\n"
    text = text.replace("YYYY/MM/DD", "2026/01/01").replace("RESULTS-BUCKET", "acme-results")
    path.write_text(text, encoding="utf-8")
    config = build(path).config  # uncommented and named, the section is accepted as is
    assert config.athena is not None
    assert config.athena.accounts == sorted(org_only.accounts)
