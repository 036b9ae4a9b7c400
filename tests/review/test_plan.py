"""``orgtrail-gen review``: reading a plan, and what it refuses, on small hand-made plans.

The real plans (Terraform's own, of changes to the applied example) are in test_plan_real.py;
these cover each rule's edges and every way a file can fail to be a plan, without Terraform.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from generator.check.hcl_parse import literal
from generator.cli import main
from generator.review.plan import PlanError, hcl_shaped, parse
from generator.review.plan_rules import findings
from generator.review.plan_summary import summarize_plan

TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/1111"
OTHER_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/2222"
TRAIL = {
    "name": "org-trail",
    "is_organization_trail": True,
    "is_multi_region_trail": True,
    "include_global_service_events": True,
    "enable_log_file_validation": True,
    "enable_logging": True,
    "kms_key_id": KEY_ARN,
    "cloud_watch_logs_group_arn": "arn:aws:logs:us-east-1:111111111111:log-group:/aws/ct:*",
    "advanced_event_selector": [],
}


def _change(
    address: str,
    actions: list[str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    **more: Any,
) -> dict[str, Any]:
    type_name, name = address.split(".")
    return {
        "address": address,
        "mode": "managed",
        "type": type_name,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after, **more},
    }


def _plan(*changes: dict[str, Any], drift: list[dict[str, Any]] | None = None) -> str:
    noop = _change("aws_cloudtrail.org", ["no-op"], TRAIL, TRAIL)
    listed = {c["address"] for c in changes}
    entries = list(changes) + ([noop] if "aws_cloudtrail.org" not in listed else [])
    return json.dumps(
        {
            "format_version": "1.2",
            "terraform_version": "1.11.4",
            "resource_changes": entries,
            "resource_drift": drift or [],
        }
    )


def _rules(text: str, **allowed: list[str]) -> list[tuple[str, str, str]]:
    return [
        (f.rule, f.address, f.attribute)
        for f in findings(parse(text, "plan.json"), **allowed)
        if f.allowed_by is None
    ]


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CLOUDTRAIL_WRITE = {
    "Sid": "AWSCloudTrailWrite",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::logs/AWSLogs/o-a1b2c3d4e5/*",
}
CLOUDTRAIL_ACL = {**CLOUDTRAIL_WRITE, "Sid": "AWSCloudTrailAclCheck", "Action": "s3:GetBucketAcl"}


# --- what is not a plan -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file, not a Terraform plan"),
        ("resource {", "plan.json:1:1: is not JSON"),
        ('{"format_version": "1.2", "resource_changes": [', "ends before the JSON does"),
        ("[1, 2]", "JSON, but not a Terraform plan (no format_version)"),
        ('{"format_version": "2.0", "resource_changes": []}', "format_version '2.0'"),
        ('{"format_version": "1.0", "values": {}}', "a state (no resource_changes)"),
        (
            _plan(_change("aws_s3_bucket.other", ["create"], None, {}))
            .replace("aws_cloudtrail.org", "aws_cloudtrail.theirs")
            .replace('"name": "org"', '"name": "theirs"'),
            "holds no orgtrail-gen resources",
        ),
    ],
)
def test_what_is_not_a_plan_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(PlanError) as raised:
        parse(text, "plan.json")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_binary_plan_file_says_how_to_get_its_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "plan.tfplan"
    binary.write_bytes(b"PK\x03\x04binary")
    assert main(["review", str(binary)]) == 2
    assert f"terraform show -json {binary} > plan.json" in capsys.readouterr().err


def test_standard_input_is_read_for_a_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(_plan()))
    assert main(["review", "-"]) == 0
    assert "<stdin>: nothing refused (0 to create, 0 to update" in capsys.readouterr().out


# --- evidence and retention (OTG040, OTG042) ---------------------------------------------------


def test_only_a_key_that_encrypts_logs_counts_as_evidence() -> None:
    log_key = {"arn": KEY_ARN, "key_id": "1111", "multi_region": False}
    alarm_key = {"arn": OTHER_KEY_ARN, "key_id": "2222", "multi_region": False}
    paths = {"replace_paths": [["multi_region"]]}
    text = _plan(
        _change("aws_kms_key.cloudtrail", ["delete", "create"], log_key, {}, **paths),
        _change("aws_kms_key.alarms", ["delete", "create"], alarm_key, {}, **paths),
    )
    assert _rules(text) == [("OTG040", "aws_kms_key.cloudtrail", "multi_region")]


def test_suspending_versioning_or_dropping_object_lock_is_refused() -> None:
    text = _plan(
        _change("aws_s3_bucket_versioning.logs", ["delete"], {"bucket": "logs"}, None),
        _change("aws_s3_bucket_object_lock_configuration.logs", ["delete"], {}, None),
    )
    found = findings(parse(text, "plan.json"))
    assert [(f.rule, f.kind) for f in found] == [("OTG040", "evidence-removed")] * 2
    assert "gone for good" in found[1].problem  # versioning, sorted by address


@pytest.mark.parametrize(
    ("before", "after", "attribute"),
    [
        ({"days": 365}, {"days": 90}, "expiration.days"),
        (None, {"days": 400}, "expiration.days"),
    ],
)
def test_a_shorter_or_new_expiration_is_refused(
    before: dict[str, int] | None, after: dict[str, int], attribute: str
) -> None:
    def rules(expiration: dict[str, int] | None) -> dict[str, Any]:
        rule: dict[str, Any] = {"id": "logs", "status": "Enabled"}
        if expiration:
            rule["expiration"] = [expiration]
        return {"bucket": "logs", "rule": [rule]}

    address = "aws_s3_bucket_lifecycle_configuration.logs"
    text = _plan(_change(address, ["update"], rules(before), rules(after)))
    assert _rules(text) == [("OTG042", address, attribute)]
    assert _rules(text, allow_shorter_retention=[address]) == []


def test_object_lock_from_compliance_to_governance_is_refused() -> None:
    def lock(mode: str, days: int) -> dict[str, Any]:
        retention = {"mode": mode, "days": days, "years": 0}
        return {"rule": [{"default_retention": [retention]}]}

    address = "aws_s3_bucket_object_lock_configuration.logs"
    text = _plan(_change(address, ["update"], lock("COMPLIANCE", 365), lock("GOVERNANCE", 365)))
    (finding,) = findings(parse(text, "plan.json"))
    assert (finding.rule, finding.before, finding.after) == (
        "OTG042",
        "COMPLIANCE 365 days",
        "GOVERNANCE 365 days",
    )


def test_a_longer_retention_is_no_finding() -> None:
    group = "aws_cloudwatch_log_group.cloudtrail"
    text = _plan(_change(group, ["update"], {"retention_in_days": 90}, {"retention_in_days": 0}))
    assert _rules(text) == []  # 0: never expire


# --- logging turned down, monitoring, grants (OTG090-OTG092) -----------------------------------


@pytest.mark.parametrize(
    "switch",
    [
        "enable_logging",
        "is_organization_trail",
        "is_multi_region_trail",
        "include_global_service_events",
        "enable_log_file_validation",
    ],
)
def test_each_trail_switch_turned_off_is_refused(switch: str) -> None:
    text = _plan(_change("aws_cloudtrail.org", ["update"], TRAIL, {**TRAIL, switch: False}))
    assert _rules(text) == [("OTG090", "aws_cloudtrail.org", switch)]
    assert _rules(text, allow_less_logging=["aws_cloudtrail.org"]) == []


def test_the_log_group_delivery_removed_is_refused() -> None:
    after = {**TRAIL, "cloud_watch_logs_group_arn": "", "cloud_watch_logs_role_arn": ""}
    text = _plan(_change("aws_cloudtrail.org", ["update"], TRAIL, after))
    assert _rules(text) == [("OTG090", "aws_cloudtrail.org", "cloud_watch_logs_group_arn")]


def test_write_only_management_events_are_refused_in_words() -> None:
    def selector(read_only: list[str]) -> dict[str, Any]:
        fields = [{"field": "eventCategory", "equals": ["Management"]}]
        fields += [{"field": "readOnly", "equals": read_only}] if read_only else []
        return {"name": "Management events", "field_selector": fields}

    before = {**TRAIL, "advanced_event_selector": [selector([])]}
    after = {**TRAIL, "advanced_event_selector": [selector(["false"])]}
    (finding,) = findings(
        parse(_plan(_change("aws_cloudtrail.org", ["update"], before, after)), "p")
    )
    assert finding.rule == "OTG090"
    assert "no longer records" in finding.problem and "read" in finding.problem


def test_an_alarm_that_notifies_nobody_is_refused() -> None:
    address = "aws_cloudwatch_metric_alarm.root_account_usage"
    before = {"alarm_name": "root", "alarm_actions": ["arn:aws:sns:us-east-1:1:alarms"]}
    text = _plan(_change(address, ["update"], before, {**before, "alarm_actions": []}))
    assert _rules(text) == [("OTG091", address, "alarm_actions")]


def test_a_cloudtrail_grant_removed_from_the_bucket_policy_is_refused() -> None:
    address = "aws_s3_bucket_policy.logs"
    before = {"policy": _policy(CLOUDTRAIL_ACL, CLOUDTRAIL_WRITE)}
    after = {"policy": _policy(CLOUDTRAIL_ACL)}
    text = _plan(_change(address, ["update"], before, after))
    (finding,) = findings(parse(text, "plan.json"))
    assert (finding.rule, finding.address, finding.before) == ("OTG092", address, "s3:PutObject")
    reordered = {"policy": _policy(CLOUDTRAIL_WRITE, CLOUDTRAIL_ACL)}
    assert _rules(_plan(_change(address, ["update"], before, reordered))) == []


# --- the summary --------------------------------------------------------------------------------


def test_null_and_empty_are_no_change_outside_terraform() -> None:
    group = "aws_cloudwatch_log_group.cloudtrail"
    was = {"retention_in_days": 365, "tags": None}
    live = {"retention_in_days": 365, "tags": {}}
    text = _plan(
        _change(group, ["update"], live, {"retention_in_days": 365, "tags": {"a": "b"}}),
        drift=[_change(group, ["update"], was, live)],
    )
    summary = summarize_plan(parse(text, "plan.json"), [])
    assert [a.kind for a in summary.attention] == []
    assert [c.arguments for c in summary.changed] == [("tags",)]


def test_a_config_names_what_it_did_not_ask_for(tmp_path: Path) -> None:
    text = _plan(_change("aws_s3_bucket.someone_elses", ["create"], None, {"bucket": "x"}))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(text, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "summary.json"
    code = main(
        [
            "review",
            str(plan_file),
            "--config",
            str(root / "configs" / "example.yaml"),
            "--summary",
            "json",
            "--summary-file",
            str(out),
        ]
    )
    assert code == 0
    attention = json.loads(out.read_text(encoding="utf-8"))["modules"][0]["attention"]
    extra = [a for a in attention if a["address"] == "aws_s3_bucket.someone_elses"]
    assert [a["kind"] for a in extra] == ["not-from-config"]
    assert "does not declare it" in extra[0]["text"]
    missing = {a["address"] for a in attention if "does not know it" in a["text"]}
    assert "aws_s3_bucket.logs" in missing


@pytest.mark.parametrize("value", ['a"b', "x\\y", "${var.x}", "%{ if }", "line\nbreak", "ü"])
def test_state_strings_read_back_exactly(value: str) -> None:
    shaped = hcl_shaped({"name": value, "rule": [{"status": value}]})
    assert literal(shaped["name"]) == value
    assert shaped["rule"][0]["__is_block__"] is True
    assert literal(shaped["rule"][0]["status"]) == value


CT_TRAIL = "arn:aws:cloudtrail:eu-west-1:210987654321:trail/aws-controltower-BaselineCloudTrail"
CT_BUCKET = "aws-controltower-logs-987654321098-eu-west-1"
CT_GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"


def _owned() -> Any:
    from generator.pipeline import owned_elsewhere
    from generator.sections.registry import load_config

    root = Path(__file__).resolve().parents[2]
    owned = owned_elsewhere(load_config(root / "configs" / "control-tower.yaml"))
    assert owned is not None and owned.trail_arn == CT_TRAIL and owned.bucket == CT_BUCKET
    return owned


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (
            _change("aws_s3_bucket_versioning.added", ["create"], None, {"bucket": CT_BUCKET}),
            f"the bucket {CT_BUCKET}",
        ),
        (
            _change(
                "aws_cloudwatch_log_group.taken", ["update"], {"name": CT_GROUP},
                {"name": CT_GROUP, "retention_in_days": 30},
            ),
            f"the log group {CT_GROUP}",
        ),
        (
            _change(
                "aws_cloudtrail.ct", ["no-op"], {"name": "aws-controltower-BaselineCloudTrail"},
                {"name": "aws-controltower-BaselineCloudTrail"}, importing={"id": CT_TRAIL},
            ),
            f"the trail {CT_TRAIL}, which AWS Control Tower's organization trail owns (imported)",
        ),
        (
            _change(
                "aws_organizations_aws_service_access.cloudtrail", ["delete"],
                {"service_principal": "cloudtrail.amazonaws.com"}, None,
            ),
            "CloudTrail's trusted access",
        ),
    ],
    ids=["bucket setting added", "log group retention", "trail imported", "trusted access"],
)  # fmt: skip
def test_a_plan_that_touches_the_owners_trail_bucket_or_group_is_refused(
    change: dict[str, Any], what: str
) -> None:
    plan = parse(_plan(change), "plan.json")
    found = [f for f in findings(plan, owned=_owned()) if f.rule == "OTG093"]
    assert [f.address for f in found] == [change["address"]]
    assert what in found[0].problem and "AWS Control Tower" in found[0].problem
    assert findings(plan) == [f for f in findings(plan) if f.rule != "OTG093"]  # no config


def test_the_modules_own_resources_beside_the_owner_pass() -> None:
    filters = _change(
        "aws_cloudwatch_log_metric_filter.root", ["create"], None, {"log_group_name": CT_GROUP}
    )
    trail = _change(
        "aws_cloudtrail.org", ["create"], None, {**TRAIL, "name": "org-data-events",
                                                  "s3_bucket_name": CT_BUCKET},
    )  # fmt: skip
    plan = parse(_plan(filters, trail), "plan.json")
    assert [f for f in findings(plan, owned=_owned()) if f.rule == "OTG093"] == []
