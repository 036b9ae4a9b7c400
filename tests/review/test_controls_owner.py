"""The controls report beside an owner's trail (configs/control-tower.yaml, owner_trail).

Each test builds the shipped companion config for real (load, render, re-parse, preflight), or
it with one key changed, and reads the verdicts the report gives: what passes on this module's
own trail stays judged; what passes or fails on the owner's trail, bucket, key or log group is
manual and says what to look at; the CIS filters on the owner's group are judged by pattern.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from generator.pipeline import build
from generator.review import catalogue, render
from generator.review.controls import (
    MANUAL,
    NOT_APPLICABLE,
    NOT_SATISFIED,
    SATISFIED,
    Verdict,
    evaluate,
    report,
)
from generator.review.facts import read

Edit = Callable[[dict[str, Any]], None]
CIS = "CIS AWS Foundations Benchmark:"
SH = "AWS Security Hub CSPM:"
PROWLER = "prowler:"
TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:210987654321:trail/aws-controltower-BaselineCloudTrail"
GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"
BUCKET = "aws-controltower-logs-987654321098-eu-west-1"
KEY = "arn:aws:kms:eu-west-1:210987654321:key/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
VERIFY = "`orgtrail-gen verify` checks it"


def _config(tmp_path: Path, edit: Edit | None = None) -> Path:
    data = yaml.safe_load((ROOT / "configs" / "control-tower.yaml").read_text(encoding="utf-8"))
    if edit is not None:
        edit(data)
    path = tmp_path / "control-tower.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def verdicts(tmp_path: Path, edit: Edit | None = None) -> dict[str, Verdict]:
    """Every verdict of the companion config (after ``edit``), by framework-unique id."""
    module = build(_config(tmp_path, edit), output_root=tmp_path / "empty-output")
    return {
        f"{r.control.framework}:{r.control.id}": r.verdict
        for r in evaluate(read(module.parsed), module.config)
    }


def _no_trail_events(data: dict[str, Any]) -> None:
    del data["trail"]["events"]  # no trail of this module: the owner's records everything


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    return verdicts(tmp_path_factory.mktemp("control-tower"))


@pytest.fixture(scope="module")
def without_trail(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    return verdicts(tmp_path_factory.mktemp("no-trail"), _no_trail_events)


# --- checks that pass on any trail: this module's, or else the owner's -----------------------


@pytest.mark.parametrize(
    "control",
    [
        CIS + "logging-multi-region",  # CIS 3.1
        SH + "CloudTrail.1",
        PROWLER + "cloudtrail_multi_region_enabled_logging_management_events",
        PROWLER + "cloudtrail_bedrock_logging_enabled",
    ],
)
def test_management_events_are_the_owners_trails_to_pass(
    shipped: dict[str, Verdict], control: str
) -> None:
    """Was "not satisfied": this module's trail records none, as beside an owner's it must."""
    verdict = shipped[control]
    assert (verdict.status, verdict.key) == (MANUAL, "owner_trail.arn")
    assert "this module's trail org-data-events records no management events" in verdict.reason
    assert f"it passes or fails on AWS Control Tower's trail {TRAIL_ARN}" in verdict.reason
    assert "aws cloudtrail get-event-selectors" in verdict.reason
    verify = VERIFY if control.startswith((CIS, SH)) else "checks that it logs and records every"
    assert verify in verdict.reason


def test_a_logging_multi_region_trail_of_this_module_passes_prowlers_multi_region_check(
    shipped: dict[str, Verdict],
) -> None:
    """prowler 5.46.0 passes a region on any logging trail: the data-event trail is one."""
    verdict = shipped[PROWLER + "cloudtrail_multi_region_enabled"]
    assert verdict.status == SATISFIED
    assert verdict.reason == (
        "this module's trail org-data-events is multi-region and logging: prowler passes every "
        "region on any logging trail (AWS Control Tower's counts too)"
    )
    assert shipped[SH + "CloudTrail.3"].status == SATISFIED


# --- checks of each trail: this module's as ever, the owner's a finding of its own -----------


VALIDATION = "LogFileValidationEnabled (aws cloudtrail describe-trails)"
KMS_KEY_ID = "its KmsKeyId (aws cloudtrail describe-trails)"


@pytest.mark.parametrize(
    ("control", "own", "look"),
    [
        (CIS + "logging-validation", "enable_log_file_validation = true", VALIDATION),
        (SH + "CloudTrail.4", "enable_log_file_validation = true", VALIDATION),
        (
            PROWLER + "cloudtrail_log_file_validation_enabled",
            "enable_log_file_validation",
            VALIDATION,
        ),
        (CIS + "logging-kms", "the customer-managed key kms.key_arn", KMS_KEY_ID),
        (SH + "CloudTrail.2", "the customer-managed key kms.key_arn", KMS_KEY_ID),
        (
            SH + "CloudTrail.9",
            "the trail carries tags Owner",
            "its tags (aws cloudtrail list-tags)",
        ),
    ],
)
def test_this_modules_trail_is_judged_and_the_owners_named(
    shipped: dict[str, Verdict], control: str, own: str, look: str
) -> None:
    verdict = shipped[control]
    assert verdict.status == SATISFIED
    assert own in verdict.reason
    assert verdict.reason.endswith(
        f"; AWS Control Tower's trail is judged as a trail of its own: check {look}"
    )


def test_the_data_event_trail_cannot_have_insights_and_prowler_fails_it(
    shipped: dict[str, Verdict],
) -> None:
    verdict = shipped[PROWLER + "cloudtrail_insights_exist"]
    assert (verdict.status, verdict.key) == (NOT_SATISFIED, "trail.events")
    assert "org-data-events has no Insights selectors and can have none" in verdict.reason
    assert "prowler judges every logging trail and reports org-data-events FAIL" in verdict.reason


def test_cloudwatch_delivery_is_the_owners_for_cis_and_fails_the_data_event_trail_per_trail(
    shipped: dict[str, Verdict],
) -> None:
    """Was "not satisfied (no cloudwatch_logs)", a key the companion layout refuses."""
    cis = shipped[CIS + "logging-cloudwatch"]  # CIS 3.4: the trail recording the activity
    assert (cis.status, cis.key) == (MANUAL, "owner_trail.log_group_arn")
    assert f"AWS Control Tower's trail {TRAIL_ARN} delivers the management events to {GROUP}" in (
        cis.reason
    )
    assert VERIFY in cis.reason
    assert (
        "maps CIS 3.4 to cloudtrail_cloudwatch_logging_enabled, reports org-data-events FAIL"
        in (cis.reason)
    )
    for control in (SH + "CloudTrail.5", PROWLER + "cloudtrail_cloudwatch_logging_enabled"):
        verdict = shipped[control]  # each trail: this module's delivers to S3 only, and must
        assert (verdict.status, verdict.key) == (NOT_SATISFIED, "trail.events"), control
        assert "org-data-events delivers its data events to S3 only, as it must" in verdict.reason
        assert "cloudwatch_logs" not in verdict.key


# --- the owner's bucket, key and log group: manual, named, with what to look at --------------


@pytest.mark.parametrize(
    ("control", "look"),
    [
        (CIS + "logging-bucket-not-public", "its public access block (all four settings"),
        (
            CIS + "logging-access-logging",
            "its server access logging (aws s3api get-bucket-logging)",
        ),
        (SH + "CloudTrail.6", "its public access block (all four settings"),
        (SH + "CloudTrail.7", "its server access logging (aws s3api get-bucket-logging)"),
        (
            PROWLER + "cloudtrail_bucket_requires_mfa_delete",
            "MFADelete in aws s3api get-bucket-versioning",
        ),
    ],
)
def test_the_owners_bucket_is_manual_and_named(
    shipped: dict[str, Verdict], control: str, look: str
) -> None:
    """mfa_delete said "not satisfied: MFA delete is off" of a bucket it never read."""
    verdict = shipped[control]
    assert (verdict.status, verdict.key) == (MANUAL, "owner_trail")
    assert verdict.reason.startswith(
        f"{BUCKET}: AWS Control Tower's bucket (account 987654321098), not managed here: check "
        + look
    )
    if control.startswith(PROWLER):
        assert verdict.reason.endswith("prowler reports MANUAL (cross-account bucket)")


def test_prowlers_bucket_checks_name_the_owner_and_the_setting(shipped: dict[str, Verdict]) -> None:
    versioning = shipped[PROWLER + "s3_bucket_object_versioning"]
    assert (versioning.status, versioning.key) == (MANUAL, "owner_trail")
    assert versioning.reason == (
        f"{BUCKET}: AWS Control Tower's bucket (account 987654321098), not managed here: check "
        "versioning Status Enabled (aws s3api get-bucket-versioning)"
    )
    assert shipped[PROWLER + "s3_bucket_shadow_resource_vulnerability"].status == NOT_APPLICABLE


def test_the_owners_key_is_manual_beside_the_alarm_key(shipped: dict[str, Verdict]) -> None:
    """Was "satisfied" on faith; prowler judges Control Tower's key in the management account."""
    rotation = shipped[CIS + "logging-key-rotation"]
    assert (rotation.status, rotation.key) == (MANUAL, "owner_trail")
    assert rotation.reason == (
        f"{KEY}: AWS Control Tower's key (account 210987654321), not managed here: check its "
        "automatic rotation (aws kms get-key-rotation-status)"
    )
    verdict = shipped[PROWLER + "kms_cmk_rotation_enabled"]
    assert verdict.status == MANUAL
    assert verdict.reason.startswith("aws_kms_key.alarms: enable_key_rotation = true; ")
    assert f"{KEY}: AWS Control Tower's key (account 210987654321), not managed here" in (
        verdict.reason
    )
    assert "named but not created here" not in verdict.reason


@pytest.mark.parametrize(
    ("control", "look"),
    [
        (SH + "CloudWatch.16", "keeps events at least 365 days or never expires them"),
        (PROWLER + "cloudwatch_log_group_retention_policy_specific_days_enabled", "365 days"),
        (PROWLER + "cloudwatch_log_group_kms_encryption_enabled", "it has a kmsKeyId"),
        (PROWLER + "cloudwatch_log_group_not_publicly_accessible", "describe-resource-policies"),
    ],
)
def test_the_owners_log_group_is_manual_and_named(
    shipped: dict[str, Verdict], control: str, look: str
) -> None:
    """Was "not applicable: the module creates no log group" for the group its filters watch."""
    verdict = shipped[control]
    assert (verdict.status, verdict.key) == (MANUAL, "owner_trail.log_group_arn")
    assert verdict.reason.startswith(
        f"{GROUP}: AWS Control Tower's log group (account 210987654321), which its trail feeds"
    )
    assert look in verdict.reason
    agentcore = shipped[PROWLER + "cloudwatch_log_group_agentcore_data_protection_policy_enabled"]
    assert agentcore.status == NOT_APPLICABLE
    assert agentcore.reason.endswith(f"AWS Control Tower's trail's is {GROUP}")


# --- the CIS filters on the owner's log group -----------------------------------------------


def test_the_cis_filters_on_the_owners_group_are_judged_by_pattern(
    shipped: dict[str, Verdict],
) -> None:
    """Was "no log group, so no metric filters" for all 44 filter controls."""
    cis = [c for c in catalogue.CIS_CONTROLS if c.check == "cis_filter"]
    for control in cis:
        verdict = shipped[CIS + control.id]
        assert verdict.status == SATISFIED, control.id
        assert f"on AWS Control Tower's group {GROUP}, alarmed" in verdict.reason
        assert verdict.reason.endswith(
            "it holds while AWS Control Tower's trail delivers there, multi-region and logging "
            f"every management event ({VERIFY})"
        )
    hub = {
        c.id: shipped[SH + c.id] for c in catalogue.SECURITY_HUB_CONTROLS if c.check == "cloudwatch"
    }
    # configs/control-tower.yaml keeps monitoring's default flavours: cis-v5 for 4.10 and
    # cis-v3 for 4.13 differ from Security Hub's exact strings, as on any module
    assert {i for i, v in hub.items() if v.status == NOT_SATISFIED} == {
        "CloudWatch.10",
        "CloudWatch.13",
    }
    assert hub["CloudWatch.10"].key == "monitoring.flavours"
    assert all(
        v.status == SATISFIED for i, v in hub.items() if i not in ("CloudWatch.10", "CloudWatch.13")
    )
    prowler = [c for c in catalogue.PROWLER_CONTROLS if c.check == "prowler_filter"]
    for control in prowler:
        verdict = shipped[PROWLER + control.id]
        assert verdict.status == SATISFIED, control.id
        assert verdict.reason.endswith(
            f"prowler finds the group through a trail delivering to it, AWS Control Tower's ({VERIFY})"
        )


def test_the_member_account_caveat_names_whose_group_the_filters_are_on(tmp_path: Path) -> None:
    module = build(_config(tmp_path), output_root=tmp_path / "empty-output")
    result = report("control-tower", read(module.parsed), module.config)
    assert (result.filters_account, result.log_group_owner) == ("210987654321", "AWS Control Tower")
    caveat = render.member_account_caveat(result.filters_account, result.log_group_owner)
    assert (
        "AWS Control Tower's log group and this module's filters and alarms on it exist in "
        "account 210987654321 only" in caveat
    )
    assert 'Exceptions: Accounts: ["210987654321"]' in render.table(result)


# --- without a trail of this module, and without the owner's log group -----------------------


def test_without_a_trail_of_its_own_every_trail_check_is_the_owners(
    without_trail: dict[str, Verdict],
) -> None:
    for control in (
        PROWLER + "cloudtrail_multi_region_enabled",
        SH + "CloudTrail.3",
        CIS + "logging-validation",
        SH + "CloudTrail.2",
        SH + "CloudTrail.9",
        PROWLER + "cloudtrail_insights_exist",
    ):
        verdict = without_trail[control]
        assert (verdict.status, verdict.key) == (MANUAL, "owner_trail.arn"), control
        assert verdict.reason.startswith("this module creates no trail (no trail.events); ")
        assert TRAIL_ARN in verdict.reason
    delivery = without_trail[SH + "CloudTrail.5"]
    assert (delivery.status, delivery.key) == (MANUAL, "owner_trail.log_group_arn")
    # the module has no bucket of its own, yet prowler judges the owner's where it lives
    lock = without_trail[PROWLER + "s3_bucket_object_lock"]
    assert lock.status == MANUAL
    assert lock.reason.startswith(f"{BUCKET}: AWS Control Tower's bucket (account 987654321098)")


def test_without_the_owners_log_group_no_filter_can_exist(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["owner_trail"]["log_group_arn"]
        del data["monitoring"]  # refused without the owner's log group

    result = verdicts(tmp_path, edit)
    filters = result[CIS + "monitoring-4.1"]
    assert (filters.status, filters.key) == (NOT_SATISFIED, "owner_trail.log_group_arn")
    assert "this config names no log group of AWS Control Tower's trail" in filters.reason
    assert result[SH + "CloudWatch.16"].status == NOT_APPLICABLE
    delivery = result[CIS + "logging-cloudwatch"]
    assert delivery.status == MANUAL
    assert "delivers to a log group this config does not name" in delivery.reason


def test_a_module_with_its_own_trail_and_group_is_judged_as_ever_under_a_companion_config(
    tmp_path: Path,
) -> None:
    """The summary judges the compared module with the current config: facts come first."""
    own = build(ROOT / "configs" / "example.yaml", output_root=tmp_path / "a")
    beside = build(_config(tmp_path), output_root=tmp_path / "b")
    alone = {r.control: r.verdict for r in evaluate(read(own.parsed), own.config)}
    judged = {r.control: r.verdict for r in evaluate(read(own.parsed), beside.config)}
    for control in catalogue.CIS_CONTROLS + catalogue.SECURITY_HUB_CONTROLS:
        if control.check in ("management_events", "cis_filter", "cloudwatch", "retention"):
            assert judged[control] == alone[control], control.id
