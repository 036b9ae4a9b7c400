"""`discover` writes the companion layout beside Control Tower's, LZA's or a stack's trail.

Against a moto server, like tests/aws/test_discover.py: an organization seeded as Control Tower
landing zone 4.0 leaves it (trail aws-controltower-BaselineCloudTrail, bucket in the log-archive
account named after it, prefix = the organization id, a suffixed log group, a key in the
management account); the written config must load, generate with no preflight finding, and
carry exactly what was seeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from support.moto_server import (  # noqa: F401  (fixtures)
    REGION,
    assumed_client,
    aws_env,
    client,
    fake_delegated_admins,
    moto_url,
    seed_organization,
)
from test_discover import _existing_trail, discover, org_only  # noqa: F401  (fixtures)

from generator.aws.companion_yaml import bucket_account
from generator.aws.discover import Discovery, ExistingTrail
from generator.pipeline import build
from generator.sections.registry import load_config

CT = "aws-controltower-BaselineCloudTrail"
CT_GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"  # landing zone 4.0's random suffix
LZA = "AWSAccelerator-Organizations-CloudTrail"


@pytest.fixture
def org(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    """An organization with CloudTrail's trusted access on, as any organization trail needs."""
    fake_delegated_admins(monkeypatch, [])  # moto gap, as in test_discover
    return seed_organization(aws_env, members=2, trusted=True)


class Seeded(NamedTuple):
    arn: str
    bucket: str
    key_arn: str
    log_group_arn: str
    log_archive: str


def control_tower(org: Any) -> Seeded:
    """What Control Tower landing zone 4.0 leaves: its trail, bucket, log group and key."""
    archive = org.members[0]
    bucket = f"aws-controltower-logs-{archive}-{REGION}"
    role = f"arn:aws:iam::{archive}:role/AWSControlTowerExecution"
    assumed_client(org.url, "s3", role).create_bucket(Bucket=bucket)  # the log-archive account's
    key_arn = client(org.url, "kms").create_key()["KeyMetadata"]["Arn"]  # the management account's
    client(org.url, "logs").create_log_group(logGroupName=CT_GROUP)
    group_arn = f"arn:aws:logs:{REGION}:{org.management}:log-group:{CT_GROUP}:*"
    client(org.url, "cloudtrail").create_trail(
        Name=CT,
        S3BucketName=bucket,
        S3KeyPrefix=org.org_id,
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key_arn,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{org.management}:role/aws-controltower-CloudWatchLogsRole",
    )
    arn = f"arn:aws:cloudtrail:{REGION}:{org.management}:trail/{CT}"
    return Seeded(arn, bucket, key_arn, group_arn, archive)


def test_control_tower_gets_the_companion_layout_read_from_its_trail(
    org: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = control_tower(org)
    code, path = discover(tmp_path)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"beside Control Tower's trail {CT}" in printed.out  # not "a new trail"
    config = load_config(path)  # validates as written
    owner = config.owner_trail
    assert owner is not None and owner.managed_by == "control-tower"
    assert owner.arn == seeded.arn
    assert owner.log_group_arn == seeded.log_group_arn  # the suffixed name, as GetTrail said
    assert config.bucket.name == seeded.bucket
    assert config.bucket.create is False and config.bucket.existing_policy == "keep"
    assert config.trail.s3_key_prefix == org.org_id
    assert config.kms.key_arn == seeded.key_arn
    assert config.log_archive is not None and config.log_archive.account_id == seeded.log_archive
    assert config.log_archive.role_arn == (
        f"arn:aws:iam::{seeded.log_archive}:role/AWSControlTowerExecution"
    )
    assert config.organization.cloudtrail_trusted_access == "already_enabled"
    assert config.trail.name != CT and config.trail.home_region == REGION
    assert config.trail.events is None  # no trail of this module's own until data events
    assert config.adopt is None and config.cloudwatch_logs is None
    assert config.cost is not None and config.cost.management_event_copies_before == 1
    module = build(path)  # renders, and preflight finds nothing
    assert "cloudtrail.tf" not in module.files  # no trail recording a second copy
    assert not any(block.kind == "resource" and block.type == "aws_cloudtrail"
                   for block in module.parsed.blocks)  # fmt: skip
    # Each value says whose it is; the role is named as Control Tower's, never silently.
    text = path.read_text(encoding="utf-8")
    assert "log_group_arn: " in text and "as GetTrail returns it" in text
    assert "# AWSControlTowerExecution: the role Control Tower creates" in text
    assert (
        "its name follows Control Tower's naming aws-controltower-logs-<account>-<region>;" in text
    )
    # No "this config's trail would be a paid copy" warning: one line says what was written.
    assert "warning:" not in printed.err and "WARNING" not in text
    notes = [line for line in printed.err.splitlines() if "companion layout" in line]
    assert notes == [
        f"note: wrote the companion layout beside Control Tower's trail {CT} (owner_trail): it "
        "records the organization's management events, so this config records none and manages "
        "nothing of Control Tower's"
    ]


def test_lza_trail_gives_the_companion_layout_managed_by_lza(org: Any, tmp_path: Path) -> None:
    archive = org.members[1]
    bucket = f"aws-accelerator-central-logs-{archive}-{REGION}"
    role = f"arn:aws:iam::{archive}:role/OrganizationAccountAccessRole"
    assumed_client(org.url, "s3", role).create_bucket(Bucket=bucket)
    client(org.url, "cloudtrail").create_trail(
        Name=LZA,
        S3BucketName=bucket,
        S3KeyPrefix="cloudtrail-organization",
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
    )
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    owner = config.owner_trail
    assert owner is not None and owner.managed_by == "lza" and owner.log_group_arn is None
    assert config.bucket.name == bucket and config.trail.s3_key_prefix == "cloudtrail-organization"
    assert config.kms.enabled is False  # LZA's trail has no key: SSE-S3, as its owner chose
    # The bucket's account is known from LZA's naming, the role there is not: a commented
    # section says what to fill in, and the written config still validates without it.
    assert config.log_archive is None
    text = path.read_text(encoding="utf-8")
    assert f'# log_archive:\n#   account_id: "{archive}"\n' in text
    assert f"#   role_arn: arn:aws:iam::{archive}:role/ROLE\n" in text
    assert "managementAccountAccessRole" in text


def test_control_tower_beside_a_plain_organization_trail(
    org: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console trail is not adopted beside Control Tower's: it is a paid copy, said so."""
    seeded = control_tower(org)
    _existing_trail(org, policy=False, key=False)  # legacy-trail, every management event
    code, path = discover(tmp_path)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    config = build(path).config
    assert config.owner_trail is not None and config.owner_trail.arn == seeded.arn
    assert config.adopt is None
    assert config.cost is not None and config.cost.management_event_copies_before == 2
    warnings = [w for w in printed.err.splitlines() if w.startswith("warning: ")]
    assert len(warnings) == 1, printed.err
    (warning,) = warnings
    assert (
        "legacy-trail (managed by unknown) records the organization's management events" in warning
    )
    assert f"again, beside Control Tower's trail {CT}" in warning
    assert "would be a paid second copy" not in printed.err
    assert "; not adopted: legacy-trail" in printed.err


def test_a_plain_console_trail_alone_is_still_adopted(
    org_only: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    _existing_trail(org_only, policy=False)
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert config.owner_trail is None
    assert config.adopt is not None and config.adopt.trail is not None
    assert config.trail.name == "legacy-trail"


def _found(bucket: str, *, listed: bool | None, accounts: tuple[str, ...]) -> Discovery:
    owner = ExistingTrail(
        name="audit", arn="arn:aws:cloudtrail:us-east-1:111111111111:trail/audit",
        home_region="us-east-1", is_organization=True, is_multi_region=True,
        include_global_service_events=True, log_file_validation=True, bucket=bucket,
        prefix=None, kms_key_arn=None, log_group_arn=None, role_arn=None,
        owner="CloudFormation stack audit",
    )  # fmt: skip
    return Discovery(
        org_id="o-abcdefghij", management_account_id="111111111111", feature_set="ALL",
        trusted_access=True, delegated_admins=[], account_count=len(accounts),
        active_count=len(accounts), trails=[owner], home_region="us-east-1",
        regions=["us-east-1"], regions_source="test", caller_account="111111111111",
        active_account_ids=accounts, owner=owner, owner_bucket_in_management=listed,
    )  # fmt: skip


ACCOUNTS = ("111111111111", "222222222222", "333333333333")


def test_the_bucket_account_is_listbuckets_first_then_a_naming_then_an_org_account() -> None:
    # Listed by ListBuckets: the management account's, whatever its name says.
    listed = _found("aws-controltower-logs-222222222222-us-east-1", listed=True, accounts=ACCOUNTS)
    assert bucket_account(listed).account is None
    # Not listed: Control Tower's naming names the account, even one not listed as active.
    named = _found("aws-controltower-logs-444444444444-us-east-1", listed=False, accounts=ACCOUNTS)
    assert bucket_account(named).account == "444444444444"
    # Any other name: only when it carries exactly one other account of the organization.
    assert bucket_account(_found("audit-333333333333", listed=False, accounts=ACCOUNTS)) == (
        "333333333333",
        "its name carries account 333333333333 of the organization; ListBuckets of the "
        "management account does not list it",
    )
    for name in ("audit-999999999999", "audit-222222222222-333333333333", "audit-logs"):
        unknown = bucket_account(_found(name, listed=False, accounts=ACCOUNTS))
        assert unknown.account is None and "does not say whose it is" in unknown.how


def test_a_stack_owned_bucket_of_unknown_account_asks_for_log_archive(
    org: Any, tmp_path: Path
) -> None:
    """A stack's organization trail: companion, managed_by cloudformation; whose bucket unsaid."""
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/OrganizationAccountAccessRole"
    assumed_client(org.url, "s3", role).create_bucket(Bucket="security-org-trail")
    client(org.url, "cloudtrail").create_trail(
        Name="org-audit",
        S3BucketName="security-org-trail",
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
        TagsList=[{"Key": "aws:cloudformation:stack-name", "Value": "security-baseline"}],
    )
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert config.owner_trail is not None and config.owner_trail.managed_by == "cloudformation"
    assert config.log_archive is None and config.trail.name == "org-data-events"
    text = path.read_text(encoding="utf-8")
    assert "managed_by: cloudformation  # its tag aws:cloudformation:stack-name is " in text
    assert "ListBuckets of the management account does not list it, and its name does not say" in (
        text.replace("\n  #   ", " ").replace("\n#   ", " ")
    )
    assert "log_archive" not in yaml.safe_load(text)
