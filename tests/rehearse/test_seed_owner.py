"""An owner's trail seeded as Control Tower makes it (generator/rehearse/seed_owner.py).

The control-tower module's rehearsal, and the proof that it manages nothing of Control Tower's
(tests/end_to_end/test_control_tower_real.py), stand on this seed: the key must exist under the
id the config's ARN names (moto draws ids at random), in the management account; the bucket in
the log-archive account, with Control Tower's policy plus what the module prints for its owner;
the trail delivering there and to the suffixed log group. Without a key (kms.enabled: false)
the bucket is SSE-S3 and the trail unencrypted. One emulator process each (≈1-2 s).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from generator.rehearse.emulator import Emulator
from generator.rehearse.seed import Seeded, account_client
from generator.rehearse.seed_owner import (
    DELIVERY_ROLE,
    control_tower_bucket_policy,
    control_tower_key_policy,
)
from generator.sections.owner.model import OwnerTrail
from generator.sections.registry import facts_of, load_config

CONTROL_TOWER = ROOT / "configs" / "control-tower.yaml"
CONFIG = load_config(CONTROL_TOWER)
assert CONFIG.log_archive is not None and CONFIG.kms.key_arn is not None


def _owner() -> OwnerTrail:
    assert CONFIG.owner_trail is not None
    return CONFIG.owner_trail


OWNER = _owner()
HOME = CONFIG.trail.home_region
MANAGEMENT = CONFIG.organization.management_account_id
LOG_ARCHIVE = CONFIG.log_archive.account_id


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with Emulator(CONTROL_TOWER, tmp_path_factory.mktemp("owner") / "moto.log") as served:
        yield served


def test_the_owners_key_has_the_configs_id_in_the_management_account(seeded: Seeded) -> None:
    kms = seeded.client("kms", HOME)
    metadata = kms.describe_key(KeyId=CONFIG.kms.key_arn)["KeyMetadata"]
    assert metadata["Arn"] == CONFIG.kms.key_arn
    assert metadata["AWSAccountId"] == MANAGEMENT
    assert metadata["Enabled"] is True


def test_the_key_policy_is_control_towers_with_the_statements_the_module_prints(
    seeded: Seeded,
) -> None:
    kms = seeded.client("kms", HOME)
    policy = json.loads(
        kms.get_key_policy(KeyId=CONFIG.kms.key_arn, PolicyName="default")["Policy"]
    )
    assert policy == control_tower_key_policy(CONFIG)
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert sids[:3] == [
        "Enable IAM User Permissions",
        "Allow Config to use KMS for encryption",
        "Allow CloudTrail to use KMS for encryption",
    ]
    printed = facts_of(CONFIG).required_key_statements.to_json()["Statement"]
    assert printed and all(statement in policy["Statement"] for statement in printed)
    cloudtrail = policy["Statement"][2]
    assert cloudtrail["Condition"]["StringEquals"] == {"aws:SourceArn": OWNER.arn}


def _buckets(seeded: Seeded, account: str) -> list[str]:
    s3 = account_client(seeded.url, "s3", account, HOME)
    return [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


def test_the_bucket_is_in_the_log_archive_account_as_control_tower_makes_it(
    seeded: Seeded,
) -> None:
    assert CONFIG.bucket.name in _buckets(seeded, LOG_ARCHIVE)
    assert CONFIG.bucket.name not in _buckets(seeded, MANAGEMENT)
    s3 = account_client(seeded.url, "s3", LOG_ARCHIVE, HOME)
    name = CONFIG.bucket.name
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy == control_tower_bucket_policy(CONFIG)
    deny, *_ = policy["Statement"]
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    delivery = next(
        s for s in policy["Statement"] if s["Sid"] == "AWSBucketDeliveryForOrganizationTrail"
    )
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceOrgID": CONFIG.organization.id}}
    assert delivery["Resource"].endswith(
        f"/{CONFIG.trail.s3_key_prefix}/AWSLogs/{CONFIG.organization.id}/*"
    )
    required = facts_of(CONFIG).required_bucket_statements
    assert required is not None
    assert all(statement in policy["Statement"] for statement in required.to_json()["Statement"])
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": CONFIG.kms.key_arn,
    }


def test_the_trail_is_a_logging_organization_trail_into_the_bucket_and_the_suffixed_group(
    seeded: Seeded,
) -> None:
    cloudtrail = seeded.client("cloudtrail", HOME)
    (trail,) = cloudtrail.describe_trails(trailNameList=[OWNER.arn])["trailList"]
    assert trail["TrailARN"] == OWNER.arn
    assert (trail["IsOrganizationTrail"], trail["IsMultiRegionTrail"]) == (True, True)
    assert (trail["S3BucketName"], trail["S3KeyPrefix"]) == (
        CONFIG.bucket.name,
        CONFIG.organization.id,
    )
    assert trail["KmsKeyId"] == CONFIG.kms.key_arn
    assert trail["CloudWatchLogsLogGroupArn"] == OWNER.log_group_arn
    assert trail["CloudWatchLogsRoleArn"] == f"arn:aws:iam::{MANAGEMENT}:role/{DELIVERY_ROLE}"
    assert cloudtrail.get_trail_status(Name=OWNER.arn)["IsLogging"] is True
    groups = seeded.client("logs", HOME).describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == [OWNER.log_group_name]
    assert OWNER.log_group_name == "aws-controltower/CloudTrailLogs-tfw-qeb"  # LZ 4.0's suffix


def _without_key(path: Path) -> Path:
    """control-tower.yaml with kms.enabled: false (an owner's trail encrypted SSE-S3)."""
    data: dict[str, Any] = yaml.safe_load(CONTROL_TOWER.read_text(encoding="utf-8"))
    data["kms"] = {"enabled": False}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_without_a_key_the_bucket_is_sse_s3_and_the_trail_unencrypted(tmp_path: Path) -> None:
    config_path = _without_key(tmp_path / "control-tower-sse-s3.yaml")
    assert load_config(config_path).kms.key_arn is None
    with Emulator(config_path, tmp_path / "moto.log") as seeded:
        s3 = account_client(seeded.url, "s3", LOG_ARCHIVE, HOME)
        encryption = s3.get_bucket_encryption(Bucket=CONFIG.bucket.name)
        rules = encryption["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        cloudtrail = seeded.client("cloudtrail", HOME)
        (trail,) = cloudtrail.describe_trails(trailNameList=[OWNER.arn])["trailList"]
        assert "KmsKeyId" not in trail
        assert seeded.client("kms", HOME).list_keys()["Keys"] == []
