"""The controls report: verdicts computed from the generated module, and changed by the config.

Each test builds a real module (load, render, re-parse, preflight) from a shipped config, or
from a shipped config with one key changed, and reads the verdicts the report gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SHIPPED_CONFIGS

from generator.check.hcl_parse import ParsedModule
from generator.cli import main
from generator.monitoring import cis
from generator.pipeline import build
from generator.review import catalogue
from generator.review.controls import (
    EVALUATORS,
    MANUAL,
    NOT_APPLICABLE,
    NOT_SATISFIED,
    SATISFIED,
    STATUSES,
    Verdict,
    evaluate,
)
from generator.review.facts import read
from generator.review.prowler import prowler_regex

Edit = Callable[[dict[str, Any]], None]


def verdicts(path: Path, tmp_path: Path) -> dict[str, Verdict]:
    """Every control's verdict for one config, keyed by framework-unique id."""
    module = build(path, output_root=tmp_path / "empty-output")
    return {
        f"{r.control.framework}:{r.control.id}": r.verdict
        for r in evaluate(read(module.parsed), module.config)
    }


def changed(tmp_path: Path, name: str, edit: Edit) -> dict[str, Verdict]:
    """The verdicts of shipped config ``name`` after ``edit`` changed its data."""
    data = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return verdicts(path, tmp_path)


def shipped(name: str, tmp_path: Path) -> dict[str, Verdict]:
    return verdicts(ROOT / "configs" / f"{name}.yaml", tmp_path)


SH = "AWS Security Hub CSPM:"
CIS = "CIS AWS Foundations Benchmark:"
PROWLER = "prowler:"


def status(result: dict[str, Verdict], control: str) -> tuple[str, str]:
    verdict = result[control]
    return verdict.status, verdict.key


# --- the catalogue is complete, and every control is judged --------------------------------


def test_every_catalogued_control_names_an_evaluator_and_has_a_unique_id() -> None:
    entries = catalogue.controls()
    assert {c.check for c in entries} <= set(EVALUATORS)
    ids = [f"{c.framework}:{c.id}" for c in entries]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("config", SHIPPED_CONFIGS, ids=lambda p: p.stem)
def test_every_control_is_evaluated_with_a_status_and_a_reason(
    config: Path, tmp_path: Path
) -> None:
    result = verdicts(config, tmp_path)
    assert len(result) == len(catalogue.controls())
    for control, verdict in result.items():
        assert verdict.status in STATUSES, control
        assert verdict.reason.strip(), control
        if verdict.status == NOT_SATISFIED and verdict.key:
            # a key the user can set: a section of the config (or a path inside one)
            assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)*", verdict.key), (control, verdict.key)


def test_catalogue_covers_security_hub_and_prowler_for_each_cis_monitoring_control() -> None:
    """CloudWatch.N and the CIS id it is checked against agree with the CIS filter catalogue."""
    hub = {c.id: c.argument for c in catalogue.SECURITY_HUB_CONTROLS if c.check == "cloudwatch"}
    expected = {c.security_hub_id: c.id for c in cis.controls() if c.security_hub_id}
    assert hub == expected
    prowler = {c.argument.split("|")[0] for c in catalogue.PROWLER_CONTROLS if "|" in c.argument}
    monitored = {c.argument for c in catalogue.CIS_CONTROLS if c.check == "cis_filter"}
    assert prowler == monitored == {c.id for c in cis.controls()}


def test_cis_numbering_per_benchmark_version() -> None:
    numbers = {c.id: dict(c.numbers) for c in catalogue.CIS_CONTROLS}
    kms = numbers["logging-kms"]
    assert kms == {catalogue.V14_20: "3.7", catalogue.V30_50: "3.5", catalogue.V60_70: "4.5"}
    assert numbers["monitoring-4.13"] == {catalogue.V14_50: "4.13", catalogue.V60_70: "5.13"}
    # dropped after v2.0.0
    assert set(numbers["logging-cloudwatch"]) == {catalogue.V14_20}


# --- shipped configs: verdicts decided by their facts ---------------------------------------


def test_example_verdicts(tmp_path: Path) -> None:
    result = shipped("example", tmp_path)
    assert status(result, SH + "CloudTrail.1") == (SATISFIED, "trail.is_multi_region")
    assert status(result, SH + "CloudTrail.2") == (SATISFIED, "kms.enabled")
    assert status(result, SH + "CloudTrail.7") == (NOT_SATISFIED, "bucket.access_logging")
    assert status(result, SH + "CloudTrail.9")[0] == SATISFIED  # tags: Owner
    assert status(result, SH + "CloudTrail.10")[0] == NOT_APPLICABLE
    # default flavours: 4.10 cis-v5 and 4.13 cis-v3 are not Security Hub's exact strings
    assert status(result, SH + "CloudWatch.1") == (SATISFIED, "monitoring.cis_controls")
    assert status(result, SH + "CloudWatch.10") == (NOT_SATISFIED, "monitoring.flavours")
    assert status(result, SH + "CloudWatch.13") == (NOT_SATISFIED, "monitoring.flavours")
    assert status(result, CIS + "monitoring-4.13")[0] == SATISFIED
    assert (
        status(result, PROWLER + "cloudwatch_changes_to_network_route_tables_alarm_configured")[0]
        == SATISFIED
    )
    assert status(result, SH + "CloudWatch.16")[0] == SATISFIED  # 365 days
    assert status(result, PROWLER + "cloudtrail_bucket_requires_mfa_delete")[0] == NOT_SATISFIED
    assert status(result, PROWLER + "cloudtrail_threat_detection_enumeration")[0] == MANUAL


def test_prod_verdicts(tmp_path: Path) -> None:
    result = shipped("prod", tmp_path)
    # an sqs subscriber is confirmed at apply; example's email-only topic is not (until clicked)
    assert "confirms" not in result[SH + "CloudWatch.1"].reason
    assert "confirms" in shipped("example", tmp_path / "example")[SH + "CloudWatch.1"].reason
    assert status(result, SH + "CloudTrail.7")[0] == SATISFIED  # access_logging configured
    # 4.1 flavour cis-v4 drops HeadBucket noise: CIS and prowler pass, Security Hub does not
    assert status(result, SH + "CloudWatch.2") == (NOT_SATISFIED, "monitoring.flavours")
    assert status(result, CIS + "monitoring-4.1")[0] == SATISFIED
    assert (
        status(result, PROWLER + "cloudwatch_log_metric_filter_unauthorized_api_calls")[0]
        == SATISFIED
    )


def test_a_module_without_log_group_fails_the_monitoring_controls(tmp_path: Path) -> None:
    result = shipped("delegated-admin", tmp_path)
    assert status(result, SH + "CloudTrail.5") == (NOT_SATISFIED, "cloudwatch_logs")
    assert status(result, SH + "CloudWatch.3") == (NOT_SATISFIED, "cloudwatch_logs")
    assert status(result, SH + "CloudWatch.16")[0] == NOT_APPLICABLE
    assert status(result, SH + "CloudWatch.15")[0] == NOT_APPLICABLE  # no alarms


def test_a_bucket_in_another_account_is_noted_for_prowler(tmp_path: Path) -> None:
    result = shipped("log-archive", tmp_path)
    reason = result[PROWLER + "cloudtrail_logs_s3_bucket_access_logging_enabled"].reason
    assert result[PROWLER + "cloudtrail_logs_s3_bucket_access_logging_enabled"].status == SATISFIED
    assert "MANUAL (cross-account bucket)" in reason
    assert "cross-account" not in result[SH + "CloudTrail.7"].reason


def test_security_hub_judges_the_consumers_topic_and_queues(tmp_path: Path) -> None:
    """SNS.1 every topic (alarms, log files), SQS.1 and SQS.3 every queue and dead-letter queue:
    log-archive's consumers satisfy them; a module without consumers: has no queue to judge."""
    result = shipped("log-archive", tmp_path / "log-archive")
    for control in ("SNS.1", "SNS.4", "SQS.1", "SQS.3"):
        assert status(result, SH + control) == (SATISFIED, "consumers"), control
    assert "aws_sns_topic.log_files (account 444455556666)" in result[SH + "SNS.1"].reason
    for queue in ("consumer_splunk", "consumer_splunk_dlq", "consumer_elastic_dlq"):
        assert f"aws_sqs_queue.{queue} (account 444455556666)" in result[SH + "SQS.1"].reason
    # the topic's prowler rows name the section that creates it, not monitoring
    assert status(result, PROWLER + "sns_topics_not_publicly_accessible")[1] == "consumers"
    example = shipped("example", tmp_path / "example")
    assert status(example, SH + "SNS.1") == (SATISFIED, "monitoring.notifications")
    assert status(example, SH + "SNS.4") == (SATISFIED, "monitoring.notifications")
    assert status(example, SH + "SQS.1") == (NOT_APPLICABLE, "consumers")
    assert status(example, SH + "SQS.3") == (NOT_APPLICABLE, "consumers")


# --- changing the config changes the report -------------------------------------------------


def _set(*path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value

    return edit


def test_kms_disabled_fails_the_encryption_controls_with_its_key(tmp_path: Path) -> None:
    before = shipped("example", tmp_path / "before")
    after = changed(tmp_path, "example", _set("kms", "enabled", value=False))
    for control in (
        SH + "CloudTrail.2",
        CIS + "logging-kms",
        PROWLER + "cloudtrail_kms_encryption_enabled",
    ):
        assert status(before, control)[0] == SATISFIED
        assert status(after, control) == (NOT_SATISFIED, "kms.enabled")
    assert status(after, CIS + "logging-key-rotation")[0] == NOT_APPLICABLE
    assert status(after, PROWLER + "cloudwatch_log_group_kms_encryption_enabled") == (
        NOT_SATISFIED,
        "kms.enabled",
    )


def test_dropping_cis_controls_fails_their_monitoring_controls(tmp_path: Path) -> None:
    after = changed(tmp_path, "example", _set("monitoring", "cis_controls", value=["4.1", "4.3"]))
    assert status(after, CIS + "monitoring-4.2") == (NOT_SATISFIED, "monitoring.cis_controls")
    assert status(after, SH + "CloudWatch.3") == (NOT_SATISFIED, "monitoring.cis_controls")
    assert status(after, PROWLER + "cloudwatch_log_metric_filter_sign_in_without_mfa") == (
        NOT_SATISFIED,
        "monitoring.cis_controls",
    )
    assert status(after, CIS + "monitoring-4.1")[0] == SATISFIED
    assert status(after, SH + "CloudWatch.1")[0] == SATISFIED  # 4.3, root usage


def test_single_region_trail_fails_cloudtrail_1_and_the_security_hub_filters(
    tmp_path: Path,
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["trail"].update(is_multi_region=False, regions=["us-east-1"])

    after = changed(tmp_path, "example", edit)
    for control in (
        SH + "CloudTrail.1",
        CIS + "logging-multi-region",
        PROWLER + "cloudtrail_multi_region_enabled",
        # CIS's audit and Security Hub read the filters of a multi-region trail's log group
        SH + "CloudWatch.1",
        CIS + "monitoring-4.3",
    ):
        assert status(after, control) == (NOT_SATISFIED, "trail.is_multi_region"), control
    # prowler reads the log group of any trail
    assert status(after, PROWLER + "cloudwatch_log_metric_filter_root_usage")[0] == SATISFIED


def test_log_file_validation_off_fails_cloudtrail_4(tmp_path: Path) -> None:
    after = changed(tmp_path, "example", _set("trail", "enable_log_file_validation", value=False))
    assert status(after, SH + "CloudTrail.4") == (NOT_SATISFIED, "trail.enable_log_file_validation")
    assert status(after, CIS + "logging-validation")[0] == NOT_SATISFIED


def test_access_logging_added_satisfies_cloudtrail_7(tmp_path: Path) -> None:
    after = changed(
        tmp_path,
        "example",
        _set("bucket", "access_logging", value={"target_bucket": "example-s3-access-logs"}),
    )
    assert status(after, SH + "CloudTrail.7")[0] == SATISFIED
    assert status(after, CIS + "logging-access-logging")[0] == SATISFIED


def test_security_hub_flavours_trade_prowler_route_tables_for_cloudwatch_13(
    tmp_path: Path,
) -> None:
    after = changed(
        tmp_path,
        "example",
        _set("monitoring", "flavours", value={"4.10": "securityhub", "4.13": "securityhub"}),
    )
    assert status(after, SH + "CloudWatch.10")[0] == SATISFIED
    assert status(after, SH + "CloudWatch.13")[0] == SATISFIED
    # prowler requires $.eventSource = ec2.amazonaws.com for route tables (aws-facts §10.6)
    assert status(
        after, PROWLER + "cloudwatch_changes_to_network_route_tables_alarm_configured"
    ) == (NOT_SATISFIED, "monitoring.flavours")
    assert (
        status(after, PROWLER + "cloudwatch_log_metric_filter_security_group_changes")[0]
        == SATISFIED
    )


def test_a_topic_without_subscribers_fails_security_hub_but_not_prowler(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["monitoring"]["notifications"]["topic"]["subscriptions"] = []

    after = changed(tmp_path, "example", edit)
    key = "monitoring.notifications.topic.subscriptions"
    assert status(after, SH + "CloudWatch.1") == (NOT_SATISFIED, key)
    assert status(after, CIS + "monitoring-4.3") == (NOT_SATISFIED, key)
    assert status(after, PROWLER + "cloudwatch_log_metric_filter_root_usage")[0] == SATISFIED


def test_short_retention_fails_cloudwatch_16(tmp_path: Path) -> None:
    after = changed(tmp_path, "example", _set("cloudwatch_logs", "retention_in_days", value=90))
    assert status(after, SH + "CloudWatch.16") == (
        NOT_SATISFIED,
        "cloudwatch_logs.retention_in_days",
    )


def test_an_untagged_trail_fails_cloudtrail_9(tmp_path: Path) -> None:
    after = changed(tmp_path, "example", _set("tags", value={}))
    assert status(after, SH + "CloudTrail.9") == (NOT_SATISFIED, "tags")


# --- prowler's metric-filter matching --------------------------------------------------------


def test_prowler_event_names_match_whole_words_in_any_order() -> None:
    regex = prowler_regex("source=ec2.amazonaws.com CreateRoute DeleteRoute")
    assert re.search(regex, "{($.eventName=DeleteRoute)||($.eventSource=ec2.amazonaws.com)&&"
                     "($.eventName=CreateRoute)}", re.DOTALL)  # fmt: skip
    assert not re.search(
        regex, "{($.eventSource=ec2.amazonaws.com)&&($.eventName=CreateRouteTable)||"
        "($.eventName=DeleteRoute)}", re.DOTALL)  # fmt: skip
    clause = prowler_regex("ConsoleLogin errorMessage=Failed authentication")
    assert re.search(
        clause, '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}'
    )


# --- the command and its shapes -------------------------------------------------------------


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    configs = [str(ROOT / "configs" / "example.yaml"), str(ROOT / "configs" / "log-archive.yaml")]
    assert main(["controls", *configs, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format_version"] == 1
    assert "v6.0.0-v7.0.0" in document["cis_numbering"]
    assert [m["module"] for m in document["modules"]] == ["example", "log-archive"]
    example = document["modules"][0]
    assert example["filters_account"] == "111111111111"
    assert '"111111111111"' in example["member_accounts"]
    assert sum(example["counts"].values()) == len(example["controls"])
    fields = {
        "framework", "id", "numbers", "title", "rule", "status", "reason", "key",
        "fails_in_member_accounts",
    }  # fmt: skip
    for entry in example["controls"]:
        assert set(entry) == fields
        assert entry["status"] in STATUSES
    by_id = {(e["framework"], e["id"]): e for e in example["controls"]}
    kms = by_id[(catalogue.CIS, "logging-kms")]
    assert kms["numbers"] == {
        "v1.4.0-v2.0.0": "3.7",
        "v3.0.0-v5.0.0": "3.5",
        "v6.0.0-v7.0.0": "4.5",
    }
    assert by_id[(catalogue.SECURITY_HUB, "CloudWatch.1")]["fails_in_member_accounts"] is True
    assert by_id[(catalogue.SECURITY_HUB, "CloudTrail.1")]["fails_in_member_accounts"] is False
    assert by_id[(catalogue.SECURITY_HUB, "CloudTrail.7")]["key"] == "bucket.access_logging"


def test_table_and_markdown_name_status_key_and_caveat(capsys: pytest.CaptureFixture[str]) -> None:
    config = str(ROOT / "configs" / "example.yaml")
    assert main(["controls", config]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^  not satisfied\s+CloudTrail\.7\s+bucket\.access_logging$", table, re.M)
    assert re.search(r"^  satisfied\s+CIS 3\.7\|3\.5\|4\.5\s+kms\.enabled$", table, re.M)
    assert "prowler#2438" in table
    assert main(["controls", config, "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| Control | Status | Reason | Config key |" in markdown
    assert "| not satisfied |" in markdown and "`bucket.access_logging`" in markdown


def test_a_broken_config_fails_with_its_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    text = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("name: org-trail", "name: x"), encoding="utf-8")
    assert main(["controls", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "broken.yaml:" in captured.err and "trail.name" in captured.err


def test_the_docs_show_the_report_the_tool_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/review.md's example report is real: regenerate it with the command it names."""
    page = (ROOT / "docs" / "review.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- controls-report: (?P<config>\S+) -->\n\n(?P<report>.*?)\n<!-- /controls-report -->",
        page,
        re.S,
    )
    assert match, "docs/review.md's controls report block is missing"
    assert main(["controls", str(ROOT / match["config"]), "--markdown"]) == 0
    assert match["report"] == capsys.readouterr().out, (
        f"docs/review.md report is stale: paste `orgtrail-gen controls {match['config']} --markdown`"
    )


def test_event_selectors_decide_the_management_data_and_insights_controls(tmp_path: Path) -> None:
    # prod records every management event through its selector, S3 objects of every bucket
    # (its own excluded) and both Insights types.
    prod = shipped("prod", tmp_path / "prod")
    assert status(prod, CIS + "logging-multi-region")[0] == SATISFIED
    assert status(prod, CIS + "logging-s3-write-events") == (SATISFIED, "trail.events")
    assert status(prod, PROWLER + "cloudtrail_s3_dataevents_read_enabled")[0] == SATISFIED
    assert status(prod, PROWLER + "cloudtrail_insights_exist")[0] == SATISFIED
    # write-only management events: nothing that needs every management event passes
    write_only = changed(
        tmp_path, "prod", _set("trail", "events", "management", "read_write", value="write")
    )
    assert status(write_only, CIS + "logging-multi-region") == (
        NOT_SATISFIED,
        "trail.events.management",
    )
    assert status(write_only, CIS + "monitoring-4.3")[0] == NOT_SATISFIED
    # S3 objects of listed buckets only: not "every bucket"
    (tmp_path / "listed").mkdir()
    listed = changed(
        tmp_path / "listed",
        "prod",
        _set(
            "trail", "events", "data",
            value=[{"resource_type": "AWS::S3::Object",
                    "resources": ["arn:aws:s3:::acme-payments-data/"]}],
        ),
    )  # fmt: skip
    assert status(listed, CIS + "logging-s3-read-events")[0] == NOT_SATISFIED
    example = shipped("example", tmp_path / "example")
    assert status(example, PROWLER + "cloudtrail_insights_exist") == (
        NOT_SATISFIED,
        "trail.events.insights",
    )


def test_a_public_kept_statement_fails_the_bucket_not_public_controls(tmp_path: Path) -> None:
    """A kept statement is rendered as a jsonencode source document: it is read all the same.

    The config refuses ``Principal "*"`` in bucket.kept_statements, so the rendered module is
    edited: the report judges the module that will be applied, whatever wrote it.
    """
    module = build(ROOT / "configs" / "adopt-console.yaml", output_root=tmp_path / "empty")
    public = (
        "    Statement = [\n"
        "      {\n"
        '        Sid       = "PublicRead"\n'
        '        Effect    = "Allow"\n'
        '        Action    = "s3:GetObject"\n'
        '        Resource  = "arn:aws:s3:::aws-cloudtrail-logs-444455556666-0f1e2d3c/*"\n'
        '        Principal = "*"\n'
        "      },\n"
    )
    assert module.files["s3.tf"].count("    Statement = [\n") == 1
    files = {**module.files, "s3.tf": module.files["s3.tf"].replace("    Statement = [\n", public)}

    def judged(parsed: ParsedModule) -> dict[str, Verdict]:
        return {
            f"{r.control.framework}:{r.control.id}": r.verdict
            for r in evaluate(read(parsed), module.config)
        }

    before, after = judged(module.parsed), judged(ParsedModule.parse(files))
    for control in (SH + "CloudTrail.6", CIS + "logging-bucket-not-public"):
        assert status(before, control)[0] == SATISFIED
        assert status(after, control) == (NOT_SATISFIED, "bucket.kept_statements")


def test_the_trail_key_is_resolved_by_any_of_its_attributes(tmp_path: Path) -> None:
    """``kms_key_id = aws_kms_key.cloudtrail.key_id`` names the same rotating key as ``.arn``."""
    module = build(ROOT / "configs" / "example.yaml", output_root=tmp_path / "empty")
    text = module.files["cloudtrail.tf"]
    assert text.count("= aws_kms_key.cloudtrail.arn") == 1
    files = {
        **module.files,
        "cloudtrail.tf": text.replace(
            "= aws_kms_key.cloudtrail.arn", "= aws_kms_key.cloudtrail.id"
        ),
    }
    for parsed in (module.parsed, ParsedModule.parse(files)):
        facts = read(parsed)
        assert (facts.trail_key, facts.key_rotation) == ("managed", True)


def test_a_log_resource_policy_is_named_by_the_private_log_group_control(tmp_path: Path) -> None:
    """prowler reads the account's CloudWatch Logs resource policies, so the control is manual
    either way; one the module writes is named."""
    module = build(ROOT / "configs" / "example.yaml", output_root=tmp_path / "empty")
    policy = (
        'resource "aws_cloudwatch_log_resource_policy" "open" {\n'
        '  policy_name     = "open"\n'
        '  policy_document = "{}"\n'
        "}\n"
    )
    files = {**module.files, "extra.tf": policy}
    control = PROWLER + "cloudwatch_log_group_not_publicly_accessible"
    before = evaluate(read(module.parsed), module.config)
    after = evaluate(read(ParsedModule.parse(files)), module.config)
    (was,) = [r.verdict for r in before if f"{r.control.framework}:{r.control.id}" == control]
    (now,) = [r.verdict for r in after if f"{r.control.framework}:{r.control.id}" == control]
    assert was.status == MANUAL and "describe-resource-policies" in was.reason
    assert now.status == MANUAL and "aws_cloudwatch_log_resource_policy.open" in now.reason
