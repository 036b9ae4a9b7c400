"""Beside AWS Control Tower, proven with real Terraform: configs/control-tower.yaml on the emulator.

The moto server of the module's run (support/terraform_suite.py) holds Control Tower's
organization trail, bucket, key and log group as Control Tower makes them
(generator/rehearse/seed_owner.py), the statements the module prints for their owner already
added. Read before the first plan and again after the apply and the empty second plan
(support/owner_untouched.py), none of them may have changed; the first plan may create only
objects of the module's own, naming Control Tower's objects only to use them (its filters on
the log group, its data-event trail into the bucket with the key, Athena over the bucket); and
the CIS metric filters must be on Control Tower's log group. And discover -> generate: before the
apply, `orgtrail-gen discover` read the same server; the config it wrote must name Control
Tower's objects as seeded and pass every preflight rule. Skipped, with the reason, without
terraform or a provider mirror.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import terraform_suite
from support.owner_untouched import CONFIG as CONFIG_PATH
from support.owner_untouched import After, Before, owner_touches
from support.terraform_suite import Outcome, tools_or_skip

from generator.cli import main
from generator.pipeline import build
from generator.rehearse.seed_owner import (
    LOG_RETENTION_DAYS,
    control_tower_bucket_policy,
    control_tower_key_policy,
)
from generator.sections.owner.model import OwnerTrail
from generator.sections.registry import load_config

pytestmark = pytest.mark.terraform

CONFIG = load_config(CONFIG_PATH)


def _owner() -> OwnerTrail:
    assert CONFIG.owner_trail is not None
    return CONFIG.owner_trail


OWNER = _owner()


@pytest.fixture(scope="module")
def outcome(request: pytest.FixtureRequest) -> Outcome:
    """The control-tower module's run, with what was read before and after it."""
    tools_or_skip()
    runs = terraform_suite.start(request.session)
    assert runs is not None
    return runs.outcomes()["control-tower"]


@pytest.fixture(scope="module")
def read_before(outcome: Outcome) -> Before:
    if not isinstance(outcome.prelude, Before):
        pytest.fail(f"the owner's objects were not read before the plan: {outcome.prelude_error}")
    return outcome.prelude


@pytest.fixture(scope="module")
def before(read_before: Before) -> dict[str, Any]:
    """The owner's objects as seeded, read before the first plan."""
    return read_before.snapshot


@pytest.fixture(scope="module")
def after(outcome: Outcome) -> After:
    outcome.completed().reached("second plan")
    if not isinstance(outcome.followup, After):
        pytest.fail(f"the owner's objects were not read after the apply: {outcome.followup_error}")
    return outcome.followup


def test_control_towers_objects_were_there_before_as_control_tower_makes_them(
    before: dict[str, Any],
) -> None:
    """What the proof compares is real: the trail, bucket, key and log group of the config."""
    (trail,) = before["trail"]
    assert trail["TrailARN"] == OWNER.arn
    assert trail["IsOrganizationTrail"] and trail["IsMultiRegionTrail"]
    assert trail["S3BucketName"] == CONFIG.bucket.name
    assert trail["S3KeyPrefix"] == CONFIG.trail.s3_key_prefix == CONFIG.organization.id
    assert trail["KmsKeyId"] == CONFIG.kms.key_arn
    assert trail["CloudWatchLogsLogGroupArn"] == OWNER.log_group_arn
    assert trail["CloudWatchLogsRoleArn"].endswith(":role/aws-controltower-CloudWatchLogsRole")
    assert before["trail_status"]["IsLogging"] is True
    assert before["event_selectors"]["EventSelectors"] == [
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}
    ]

    bucket = before["bucket"]
    assert bucket["policy"] == control_tower_bucket_policy(CONFIG)
    sids = [statement["Sid"] for statement in bucket["policy"]["Statement"]]
    assert sids[0] == "AllowSSLRequestsOnly"  # Control Tower's, then the ones the module printed
    assert "CloudTrailOrgDataEventsWriteOrganization" in sids
    assert bucket["versioning"]["Status"] == "Enabled"
    (rule,) = bucket["encryption"]["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": CONFIG.kms.key_arn,
    }

    key = before["key"]
    assert key["metadata"]["Arn"] == CONFIG.kms.key_arn  # the id the config names
    assert key["policy"] == control_tower_key_policy(CONFIG)
    assert "AllowCloudTrailEncryptLogs" in [s["Sid"] for s in key["policy"]["Statement"]]

    (group,) = before["log_group"]
    assert (
        group["logGroupName"] == OWNER.log_group_name == "aws-controltower/CloudTrailLogs-tfw-qeb"
    )
    assert group["retentionInDays"] == LOG_RETENTION_DAYS


@pytest.mark.parametrize("part", ["trail", "event_selectors", "trail_status", "bucket", "key"])
def test_nothing_of_control_towers_changed(before: dict[str, Any], after: After, part: str) -> None:
    assert after.snapshot[part] == before[part]


def test_control_towers_log_group_is_unchanged_but_for_the_filters_on_it(
    before: dict[str, Any], after: After
) -> None:
    """Retention, key, ARN and creation time (not recreated); the filter count is left out."""
    assert after.snapshot["log_group"] == before["log_group"]


def test_the_first_plan_creates_only_the_modules_own_objects(outcome: Outcome) -> None:
    run = outcome.completed()
    run.reached("plan")
    assert run.plan_json is not None
    assert owner_touches(run.plan_json, CONFIG) == []
    assert run.plan is not None and run.plan.creates  # the plan judged is not empty


def test_the_plan_judge_refuses_a_change_to_an_owners_object(outcome: Outcome) -> None:
    """The judge above can fail: a bucket policy on Control Tower's bucket, a filter elsewhere,
    a trail named as Control Tower's, and an update are each refused."""
    run = outcome.completed()
    assert run.plan_json is not None
    doctored = copy.deepcopy(dict(run.plan_json))
    changes = doctored["resource_changes"]
    trail = next(c for c in changes if c["type"] == "aws_cloudtrail")
    trail["change"]["after"]["name"] = OWNER.trail_name
    metric = next(c for c in changes if c["type"] == "aws_cloudwatch_log_metric_filter")
    metric["change"]["after"]["log_group_name"] = "aws-controltower/CloudTrailLogs"
    alarm = next(c for c in changes if c["type"] == "aws_cloudwatch_metric_alarm")
    alarm["change"]["actions"] = ["update"]
    changes.append(
        {
            "address": "aws_s3_bucket_policy.logs",
            "mode": "managed",
            "type": "aws_s3_bucket_policy",
            "change": {"actions": ["create"], "after": {"bucket": CONFIG.bucket.name}},
        }
    )
    refused = owner_touches(doctored, CONFIG)
    assert refused == [
        f"{trail['address']} names the owner's trail",
        f"{trail['address']} is the owner's trail {OWNER.trail_name}",
        f"{metric['address']} is on aws-controltower/CloudTrailLogs, not on the owner's log group",
        f"{alarm['address']}: update, not a creation",
        "aws_s3_bucket_policy.logs names the owner's bucket",
    ]


def test_the_apply_succeeded_and_the_second_plan_is_empty(outcome: Outcome) -> None:
    run = outcome.completed()
    run.reached("second plan")
    assert run.applied
    assert run.second_plan_exit == 0
    assert outcome.problems == []


def test_the_cis_metric_filters_are_on_control_towers_log_group(
    outcome: Outcome, after: After
) -> None:
    run = outcome.completed()
    assert run.plan_json is not None
    planned = sorted(
        change["change"]["after"]["name"]
        for change in run.plan_json["resource_changes"]
        if change["type"] == "aws_cloudwatch_log_metric_filter"
    )
    assert len(planned) == 15  # cis_controls: all
    assert sorted(f["filterName"] for f in after.metric_filters) == planned
    assert {f["logGroupName"] for f in after.metric_filters} == {OWNER.log_group_name}
    assert after.query_log_groups  # saved_queries: true
    assert set(map(tuple, after.query_log_groups.values())) == {(OWNER.log_group_name,)}


# --- discover, run against Control Tower's objects before the apply ------------------------------


@pytest.fixture(scope="module")
def discovered(read_before: Before) -> dict[str, Any]:
    """The config `orgtrail-gen discover` wrote from the seeded emulator."""
    if not read_before.discovered:
        pytest.fail(f"discover wrote no config: {read_before.discover_output}")
    loaded: dict[str, Any] = yaml.safe_load(read_before.discovered)
    return loaded


def test_discover_writes_the_companion_layout_naming_control_towers_objects(
    discovered: dict[str, Any], before: dict[str, Any]
) -> None:
    """What discover read is what was seeded: the trail, its suffixed log group, bucket, prefix
    and key, each as GetTrail answers it - and the bucket's policy stays Control Tower's."""
    (trail,) = before["trail"]
    owner = discovered["owner_trail"]
    assert owner["managed_by"] == "control-tower"
    assert owner["arn"] == trail["TrailARN"] == OWNER.arn
    assert owner["log_group_arn"] == trail["CloudWatchLogsLogGroupArn"] == OWNER.log_group_arn
    assert discovered["bucket"]["name"] == trail["S3BucketName"] == CONFIG.bucket.name
    assert discovered["bucket"]["create"] is False
    assert discovered["bucket"]["existing_policy"] == "keep"
    assert discovered["trail"]["s3_key_prefix"] == trail["S3KeyPrefix"]
    assert discovered["trail"]["s3_key_prefix"] == CONFIG.trail.s3_key_prefix
    assert discovered["kms"]["key_arn"] == trail["KmsKeyId"] == CONFIG.kms.key_arn
    assert CONFIG.log_archive is not None
    assert discovered["log_archive"]["account_id"] == CONFIG.log_archive.account_id


def test_the_discovered_config_generates_without_preflight_findings(
    read_before: Before, tmp_path: Path
) -> None:
    """discover -> generate: every preflight rule (OTG110 among them) passes on what it wrote."""
    path = tmp_path / "discovered.yaml"
    path.write_text(read_before.discovered, encoding="utf-8")
    module = build(path)  # raises PreflightError, naming each finding, on any
    assert module.config.owner_trail is not None
    assert module.config.owner_trail.arn == OWNER.arn


def test_orgtrail_gen_review_passes_the_real_plan_and_refuses_one_on_control_towers_bucket(
    outcome: Outcome, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a user runs on their own plan (`orgtrail-gen review PLAN --config CONFIG`) gives the
    verdict the judge above gives: OTG093 refuses a change to the owner's objects."""
    run = outcome.completed()
    assert run.plan_json is not None
    real = tmp_path / "plan.json"
    real.write_text(json.dumps(run.plan_json), encoding="utf-8")
    assert main(["review", str(real), "--config", str(CONFIG_PATH)]) == 0
    assert "OTG093" not in capsys.readouterr().err
    doctored = copy.deepcopy(dict(run.plan_json))
    doctored["resource_changes"].append(
        {
            "address": "aws_s3_bucket_policy.logs",
            "mode": "managed",
            "type": "aws_s3_bucket_policy",
            "name": "logs",
            "change": {
                "actions": ["create"],
                "before": None,
                "after": {"bucket": CONFIG.bucket.name},
            },
        }
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doctored), encoding="utf-8")
    assert main(["review", str(bad), "--config", str(CONFIG_PATH)]) == 1
    printed = capsys.readouterr()
    refusal = (
        "OTG093 aws_s3_bucket_policy.logs: the plan (create) puts in this module's state the "
        f"bucket {CONFIG.bucket.name}"
    )
    assert refusal in printed.out + printed.err
