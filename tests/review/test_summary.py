"""`check --summary`: what a regeneration changes, read by a pull-request reviewer.

Driven as a user would: copy a shipped config into a scratch checkout, generate once, edit the
YAML, run `check --summary`. The assertions name what the reviewer must be told (the grant in
words, the flag that let a change through, the control that stops), not a golden blob.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SHIPPED_CONFIGS
from support.docs_blocks import assert_block_shows

from generator.check.hcl_parse import ParsedModule
from generator.cli import main
from generator.guards.evidence import Replacement, replacements
from generator.review import attention as review_attention
from generator.review import summary as review_summary


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with the shipped configs; nothing generated yet."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def generate(name: str) -> None:
    assert main([f"configs/{name}.yaml"]) == 0


def edit(project: Path, name: str, change: dict[str, Any]) -> None:
    """Set ``section.key: value`` (a value of None deletes the key) in configs/<name>.yaml."""
    path = project / "configs" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *parents, key = dotted.split(".")
        node = data
        for parent in parents:
            node = node.setdefault(parent, {})
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def summary(
    capsys: pytest.CaptureFixture[str], name: str, *flags: str, fmt: str = "json"
) -> tuple[Any, str]:
    """Run check --summary; (the parsed JSON module, or the Markdown text; standard error)."""
    capsys.readouterr()
    main(["check", f"configs/{name}.yaml", "--summary", fmt, *flags])
    out, err = capsys.readouterr()
    if fmt == "json":
        (module,) = json.loads(out)["modules"]
        return module, err
    return out, err


def kinds(module: dict[str, Any]) -> list[str]:
    return [item["kind"] for item in module["attention"]]


def texts(module: dict[str, Any], kind: str) -> str:
    return "\n".join(item["text"] for item in module["attention"] if item["kind"] == kind)


def added_statements(module: dict[str, Any], policy: str) -> list[str]:
    (found,) = [p for p in module["policies"] if p["address"].endswith(f".{policy}")]
    return [item["text"] for item in found["added"]]


def test_a_reader_added_appears_as_its_grants_in_words_and_is_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"bucket.readers": ["arn:aws:iam::222222222222:role/Auditors"]})
    module, _ = summary(capsys, "example")
    (bucket_grant,) = added_statements(module, "cloudtrail_bucket")
    assert bucket_grant.startswith("allows role/Auditors in 222222222222 to read and list")
    assert "example-org-cloudtrail-logs/*" in bucket_grant
    key_grants = added_statements(module, "cloudtrail_kms")
    assert any("role/Auditors in 222222222222" in t and "kms:Decrypt" in t for t in key_grants)
    changed = {c["address"]: c["arguments"] for c in module["resources"]["changed"]}
    assert changed["aws_s3_bucket_policy.logs"] == ["policy"]
    assert changed["aws_kms_key.cloudtrail"] == ["policy"]
    assert module["resources"]["replaced"] == module["resources"]["removed"] == []
    # one item for the principal, naming both policies that grant it
    outside = [a for a in module["attention"] if a["kind"] == "outside-principal"]
    assert len(outside) == 1
    assert "222222222222" in outside[0]["text"] and "o-a1b2c3d4e5" in outside[0]["text"]
    assert "aws_s3_bucket_policy.logs" in outside[0]["text"]
    assert "aws_kms_key.cloudtrail" in outside[0]["text"]


def test_a_reader_of_the_organizations_own_account_is_not_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"bucket.readers": ["arn:aws:iam::111111111111:role/Auditors"]})
    module, _ = summary(capsys, "example")
    assert added_statements(module, "cloudtrail_bucket")
    assert "outside-principal" not in kinds(module)


def test_a_dropped_monitoring_control_is_flagged_before_the_resources(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    controls = ["4.1", "4.2", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11"]
    edit(project, "example", {"monitoring.cis_controls": [*controls, "4.12", "4.13", "4.14"]})
    module, _ = summary(capsys, "example")
    # 4.3 and 4.15, and the benchmark controls they satisfied, nothing else
    assert kinds(module) == ["control-lost"] + ["monitoring-dropped"] * 2
    assert "(v1.4.0 numbers) 4.3 (Ensure usage of the 'root' account is monitored), 4.15" in (
        texts(module, "control-lost")
    )
    dropped = texts(module, "monitoring-dropped")
    assert "CIS 4.3" in dropped and "CIS 4.15" in dropped
    assert "aws_cloudwatch_log_metric_filter.root_account_usage" in dropped
    assert "aws_cloudwatch_metric_alarm.root_account_usage" in dropped
    removed = {r["address"] for r in module["resources"]["removed"]}
    assert "aws_cloudwatch_metric_alarm.organizations_changes" in removed
    markdown, _ = summary(capsys, "example", fmt="markdown")
    assert markdown.index("monitoring-dropped") < markdown.index("to destroy")


def test_a_summary_computes_the_replacements_once(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resource list, the evidence items and the dropped controls share one computation."""
    generate("example")
    edit(project, "example", {"monitoring.cis_controls": ["4.1", "4.2"]})
    calls: list[int] = []

    def counted(previous: ParsedModule, module: ParsedModule) -> dict[str, Replacement]:
        calls.append(1)
        return replacements(previous, module)

    monkeypatch.setattr(review_summary, "replacements", counted)
    monkeypatch.setattr(review_attention, "replacements", counted)
    module, _ = summary(capsys, "example")
    assert "monitoring-dropped" in kinds(module) and module["resources"]["removed"]
    assert len(calls) == 1


def test_switching_to_an_existing_key_flags_the_removed_key_and_each_key_change(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    key = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    edit(project, "example", {"kms.key_arn": key})
    assert main(["check", "configs/example.yaml", "--summary", "json"]) == 1  # refused: OTG040
    module, _ = summary(capsys, "example", "--allow-replace", "aws_kms_key.cloudtrail")
    first = module["attention"][0]
    assert (first["kind"], first["address"]) == ("evidence-removed", "aws_kms_key.cloudtrail")
    assert first["allowed_by"] == "--allow-replace aws_kms_key.cloudtrail"
    assert "unreadable" in first["text"]
    switched = {a["address"] for a in module["attention"] if a["kind"] == "key-changed"}
    assert {"aws_cloudtrail.org", "aws_cloudwatch_log_group.cloudtrail"} <= switched
    assert key in texts(module, "key-changed")
    (kms,) = [p for p in module["policies"] if p["address"].endswith(".cloudtrail_kms")]
    assert kms["added"] == [] and any(
        s["text"].startswith("no longer allows cloudtrail.amazonaws.com") for s in kms["removed"]
    )


def test_switching_from_an_existing_key_to_a_created_one_is_a_key_change(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    edit(project, "example", {"kms.key_arn": key})
    generate("example")
    edit(project, "example", {"kms.key_arn": None})
    module, _ = summary(capsys, "example")
    assert "aws_kms_key.cloudtrail" in {a["address"] for a in module["resources"]["added"]}
    changes = texts(module, "key-changed")
    assert f"changes from {key} to aws_kms_key.cloudtrail.arn" in changes


def test_turning_encryption_off_is_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"kms.enabled": False})
    module, _ = summary(capsys, "example", "--allow-replace", "aws_kms_key.cloudtrail")
    off = {a["address"] for a in module["attention"] if a["kind"] == "encryption-off"}
    assert {"aws_cloudtrail.org", "aws_s3_bucket_server_side_encryption_configuration.logs"} <= off


def test_a_shorter_retention_let_through_is_flagged_first_with_its_flag(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(
        project,
        "example",
        {
            "cloudwatch_logs.retention_in_days": 90,
            "bucket.readers": ["arn:aws:iam::222222222222:role/Auditors"],
        },
    )
    flag = ["--allow-shorter-retention", "aws_cloudwatch_log_group.cloudtrail"]
    module, _ = summary(capsys, "example", *flag)
    first = module["attention"][0]
    assert first["kind"] == "retention-shortened"
    assert first["allowed_by"] == " ".join(flag)
    assert "365 days to 90 days" in first["text"]
    assert "outside-principal" in kinds(module)  # also there, but after
    markdown, _ = summary(capsys, "example", *flag, fmt="markdown")
    attention = markdown[markdown.index("**Needs attention**") :]
    assert attention.index("retention-shortened") < attention.index("outside-principal")
    assert f"allowed by `{' '.join(flag)}`" in markdown


def _kept(statement: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Resource": "arn:aws:s3:::aws-cloudtrail-logs-444455556666-0f1e2d3c/*",
        **statement,
    }


def test_a_kept_statement_with_a_wildcard_action_for_another_account_is_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("adopt-console")
    path = project / "configs" / "adopt-console.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    partner = {"Sid": "Partner", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}
    data["bucket"]["kept_statements"].append(_kept({**partner, "Action": "s3:*"}))
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    module, _ = summary(capsys, "adopt-console")
    (grant,) = added_statements(module, "cloudtrail_bucket")  # read from the jsonencode source
    assert grant.startswith("allows account 999999999999 to use s3:* on")
    assert "s3:*" in texts(module, "wildcard")
    assert "999999999999" in texts(module, "outside-principal")


def test_a_kept_statement_pinned_to_the_organization_is_not_outside(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("adopt-console")
    path = project / "configs" / "adopt-console.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pinned = {
        "Sid": "OrgReaders",
        "Principal": {"AWS": "arn:aws:iam::999999999999:role/Reader"},
        "Action": "s3:GetObject",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-9x8w7v6u5t"}},
    }
    data["bucket"]["kept_statements"].append(_kept(pinned))
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    module, _ = summary(capsys, "adopt-console")
    (grant,) = added_statements(module, "cloudtrail_bucket")
    assert "if aws:PrincipalOrgID is o-9x8w7v6u5t" in grant
    assert module["attention"] == []


def test_an_assumed_role_session_of_another_account_is_flagged_with_its_account(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("adopt-console")
    path = project / "configs" / "adopt-console.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    session = "arn:aws:sts::999999999999:assumed-role/Partner/audit-session"
    grant = {"Sid": "Partner", "Principal": {"AWS": session}, "Action": "s3:GetObject"}
    data["bucket"]["kept_statements"].append(_kept(grant))
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    module, _ = summary(capsys, "adopt-console")
    (added,) = added_statements(module, "cloudtrail_bucket")
    assert added.startswith("allows assumed-role/Partner/audit-session in 999999999999 to read")
    outside = texts(module, "outside-principal")
    assert "assumed-role/Partner/audit-session in 999999999999 is granted access" in outside
    assert "account 999999999999 is not one of the config's accounts" in outside


def test_alarms_left_without_a_subscriber_are_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"monitoring.notifications.topic.subscriptions": []})
    module, _ = summary(capsys, "example")
    # one item for the 27 controls that fail, one for prowler's subscription check, which has
    # no subscription left to judge
    assert kinds(module) == ["control-lost", "control-lost", "no-subscriber"]
    lost = texts(module, "control-lost").splitlines()
    assert lost[0].startswith("1 control satisfied before and not applicable now")
    assert "sns_subscription_not_using_http_endpoints" in lost[0]
    assert lost[1].startswith("27 controls satisfied before and not satisfied now")
    assert "aws_cloudwatch_metric_alarm.root_account_usage" in texts(module, "no-subscriber")
    removed = {r["address"] for r in module["resources"]["removed"]}
    assert removed == {"aws_sns_topic_subscription.email_security_alerts_example_com"}


def test_a_first_generation_says_so_and_lists_what_is_created(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module, _ = summary(capsys, "example")
    assert module["first_generation"] is True and module["compared_with"] is None
    added = {r["address"] for r in module["resources"]["added"]}
    assert {"aws_cloudtrail.org", "aws_s3_bucket.logs", "aws_kms_key.cloudtrail"} <= added
    markdown, _ = summary(capsys, "example", fmt="markdown")
    assert "First generation" in markdown
    assert "create `aws_cloudtrail.org`" in markdown
    # ARNs keep their '*' on GitHub: escaped, or "*:111111111111:trail/*" would turn italic
    assert r"matches arn:aws:cloudtrail:\*:111111111111:trail/\* and" in markdown


def test_a_first_generation_says_why_the_0_1_migrations_removed_block_is_there(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A new output folder holds no 0.1 state, but the backend's state may (a reused S3 key):
    # the block stays, and the reviewer reads that it touches nothing but such a state.
    module, _ = summary(capsys, "example")
    (block,) = [b for b in module["blocks"] if b["kind"] == "removed"]
    assert block["change"] == "added"
    assert block["text"].startswith("aws_organizations_organization.this forgotten by Terraform")
    assert "orgtrail-gen 0.1" in block["text"]
    assert "only when the state already holds that address" in block["text"]
    assert "for any other state it plans nothing" in block["text"]
    markdown, _ = summary(capsys, "example", fmt="markdown")
    assert re.search(
        r"^- added: aws_organizations_organization\.this .*orgtrail-gen 0\.1", markdown, re.M
    )


@pytest.mark.parametrize("config", SHIPPED_CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_is_unchanged_against_its_committed_output(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copytree(ROOT / "output", tmp_path / "output")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    module, _ = summary(capsys, config.stem)
    assert module["unchanged"] is True and module["compared_with"] == f"output/{config.stem}"
    assert module["attention"] == module["policies"] == []
    markdown, _ = summary(capsys, config.stem, "--summary-base", "nowhere", fmt="markdown")
    assert "First generation" in markdown
    assert re.search(r"^- (create|import) `aws_cloudtrail\.org`$", markdown, re.M)


def test_the_json_shape_is_the_documented_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"bucket.readers": ["arn:aws:iam::222222222222:role/Auditors"]})
    capsys.readouterr()
    main(["check", "configs/example.yaml", "--summary", "json"])
    document = json.loads(capsys.readouterr().out)
    assert (document["format"], document["version"]) == ("orgtrail-gen-summary", 1)
    (module,) = document["modules"]
    assert set(module) == {
        "config", "directory", "compared_with", "basis", "first_generation", "unchanged",
        "attention", "resources", "data_sources", "policies", "blocks", "events", "warnings",
        "cost", "consumers", "companion",
    }  # fmt: skip
    assert module["basis"] == "module"
    assert module["companion"] == []  # not beside an owner's trail
    # a reader in another account changes policies only: the estimate does not move
    assert module["cost"] is None
    assert all(isinstance(w, str) for w in module["warnings"])
    for change in module["events"]:
        assert set(change) == {"address", "recorded", "no_longer_recorded"}
    assert set(module["resources"]) == {"added", "changed", "replaced", "removed"}
    assert all(set(r) == {"address", "imported"} for r in module["resources"]["added"])
    assert set(module["data_sources"]) == {"added", "changed", "removed"}
    for item in module["attention"]:
        assert set(item) == {"kind", "address", "text", "allowed_by"}
    policy = module["policies"][0]
    assert set(policy) == {"address", "attached_to", "added", "removed"}
    statement = policy["added"][0]
    assert set(statement) == {"sid", "effect", "text", "statement"}
    assert statement["statement"]["Principal"] == {
        "AWS": ["arn:aws:iam::222222222222:role/Auditors"]
    }


SIEM_ROLE = "arn:aws:iam::999988887777:role/SplunkSqsReader"


def test_a_consumer_in_an_unknown_account_is_said_in_words_and_flagged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A consumer is a reader: the outside-principal check sees it with no rule of its own."""
    generate("example")
    edit(project, "example", {"consumers": [{"name": "splunk", "roles": [SIEM_ROLE]}]})
    module, _ = summary(capsys, "example")
    (consumer,) = module["consumers"]
    assert consumer == {
        "queue": "aws_sqs_queue.consumer_splunk",
        "principal": SIEM_ROLE,
        "change": "added",
        "text": "role/SplunkSqsReader in 999988887777 is told of every new log file and digest "
        "through topic org-trail-log-files (queue org-trail-splunk), may read every log file "
        "and decrypt it",
    }
    (outside,) = [a for a in module["attention"] if a["kind"] == "outside-principal"]
    for grant in (
        "aws_s3_bucket_policy.logs",
        "aws_kms_key.cloudtrail",
        "aws_sqs_queue_policy.consumer_splunk",
        "aws_kms_key.log_consumers",
    ):
        assert grant in outside["text"]
    assert "account 999988887777 is not one of the config's accounts" in outside["text"]
    (bucket_grant,) = added_statements(module, "cloudtrail_bucket")
    assert bucket_grant.startswith("allows role/SplunkSqsReader in 999988887777 to read and list")
    markdown, _ = summary(capsys, "example", fmt="markdown")
    assert "**Log consumers** (who is handed every account's logs)" in markdown
    assert "- added: role/SplunkSqsReader in 999988887777 is told of every new log file" in markdown
    main(["configs/example.yaml"])
    edit(project, "example", {"consumers": None})
    capsys.readouterr()
    # removing the section destroys the notification, which empties the bucket's: OTG040
    assert main(["check", "configs/example.yaml", "--summary", "json"]) == 1
    assert "OTG040" in capsys.readouterr().err
    allow = ["--allow-replace", "aws_s3_bucket_notification.logs"]
    module, _ = summary(capsys, "example", *allow)
    assert [c["change"] for c in module["consumers"]] == ["removed"]
    assert "is no longer told of new log files" in module["consumers"][0]["text"]
    (removed,) = [a for a in module["attention"] if a["kind"] == "evidence-removed"]
    assert removed["allowed_by"] == " ".join(allow)
    assert "EMPTY notification configuration" in removed["text"]


def test_a_consumer_moved_to_eventbridge_is_a_change_that_says_its_feed_and_digests(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Digests are part of what a consumer is handed: a reviewer sees them come and go."""
    consumer = {"name": "splunk", "roles": [SIEM_ROLE]}
    edit(project, "example", {"consumers": [consumer]})
    generate("example")
    edit(project, "example", {"consumers": [{**consumer, "feed": "eventbridge"}]})
    module, _ = summary(capsys, "example")
    (change,) = module["consumers"]
    assert change["change"] == "added"
    assert change["text"] == (
        "role/SplunkSqsReader in 999988887777 is told of every new log file (not digests) "
        "through EventBridge rule org-trail-splunk (queue org-trail-splunk), may read every "
        "log file and decrypt it"
    )
    generate("example")
    edit(project, "example", {"consumers": [{**consumer, "feed": "eventbridge", "digests": True}]})
    module, _ = summary(capsys, "example")
    (change,) = module["consumers"]
    assert "is told of every new log file and digest through EventBridge rule" in change["text"]


FORWARDER = "arn:aws:lambda:us-east-1:111111111111:function:DatadogForwarder"
FORWARDER_ROLE = "arn:aws:iam::111111111111:role/DatadogForwarderRole"


def test_a_function_consumer_is_said_as_the_function_invoked_and_the_role_that_reads(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A function consumer has no queue: the reviewer reads who is invoked and who reads."""
    generate("example")
    datadog = {"name": "datadog", "roles": [FORWARDER_ROLE], "lambda_function_arn": FORWARDER}
    edit(project, "example", {"consumers": [datadog]})
    module, _ = summary(capsys, "example")
    (change,) = module["consumers"]
    assert change == {
        "queue": "aws_sns_topic_subscription.consumer_datadog",
        "principal": FORWARDER_ROLE,
        "change": "added",
        "text": "function DatadogForwarder in account 111111111111 is invoked for every new "
        "log file and digest through topic org-trail-log-files; "
        "role/DatadogForwarderRole in 111111111111 may read every log file and decrypt it",
    }
    assert not [a for a in module["attention"] if a["kind"] == "outside-principal"]
    generate("example")
    elsewhere = "arn:aws:lambda:us-east-1:999988887777:function:DatadogForwarder"
    edit(project, "example", {"consumers": [{**datadog, "lambda_function_arn": elsewhere}]})
    module, _ = summary(capsys, "example")
    texts = {c["change"]: c["text"] for c in module["consumers"]}
    assert texts["added"] == (
        "function DatadogForwarder in account 999988887777 is invoked for every new log file "
        "and digest through topic org-trail-log-files once its account subscribes it; "
        "role/DatadogForwarderRole in 111111111111 may read every log file and decrypt it"
    )
    assert "is no longer told of new log files" in texts["removed"]
    (outside,) = [a for a in module["attention"] if a["kind"] == "outside-principal"]
    assert "aws_sns_topic_policy.log_files" in outside["text"]
    assert "account 999988887777 is not one of the config's accounts" in outside["text"]


def test_the_summary_owns_standard_output_and_the_diff_moves_to_standard_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"cloudwatch_logs.log_group_name": "/org/trail"})
    flag = ["--allow-replace", "aws_cloudwatch_log_group.cloudtrail"]
    module, err = summary(capsys, "example", *flag)  # stdout parses as JSON: nothing else there
    assert "--- a/output/example/logs.tf" in err and "output/example: stale" in err
    assert module["resources"]["replaced"][0]["address"] == "aws_cloudwatch_log_group.cloudtrail"
    target = project / "summary.md"
    capsys.readouterr()
    args = ["check", "configs/example.yaml", "--summary", "markdown", "--summary-file"]
    assert main([*args, str(target), *flag]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith("--- a/output/example/")  # with a file, stdout keeps the diff
    assert "REPLACED (name changes from" in target.read_text(encoding="utf-8")


def test_the_cost_change_has_the_documented_shape(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    edit(project, "example", {"cloudwatch_logs.retention_in_days": 731})
    module, _ = summary(capsys, "example")
    cost = module["cost"]
    assert set(cost) == {"before_usd", "after_usd", "change_usd", "lines", "note"}
    assert cost["change_usd"] > 0  # a longer retention stores more
    (line,) = cost["lines"]
    assert line == {
        "service": "CloudWatch",
        "item": "Logs storage",
        "before_usd": line["before_usd"],
        "after_usd": line["after_usd"],
    }
    assert line["after_usd"] > line["before_usd"]


def test_summary_base_compares_with_the_base_branchs_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    shutil.copytree(project / "output", project / "base")
    edit(project, "example", {"bucket.readers": ["arn:aws:iam::111111111111:role/Auditors"]})
    generate("example")  # the pull request commits the regenerated output
    module, _ = summary(capsys, "example")
    assert module["unchanged"] is True  # against its own output folder: nothing to see
    module, _ = summary(capsys, "example", "--summary-base", "base")
    assert module["compared_with"] == "base/example"
    assert added_statements(module, "cloudtrail_bucket")
    module, _ = summary(capsys, "example", "--summary-base", "nowhere")
    assert module["first_generation"] is True


def test_summary_options_without_summary_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for option in (["--summary-file", "x.md"], ["--summary-base", "base"]):
        assert main(["check", "configs/example.yaml", *option]) == 2, option
        assert "--summary markdown or json" in capsys.readouterr().err
    assert not (project / "x.md").exists()


def test_the_docs_example_is_what_the_tool_prints(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/review.md shows a real summary: the same edit must print it again."""
    shutil.copytree(ROOT / "output", project / "output")
    config = project / "configs" / "example.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "  name: example-org-cloudtrail-logs\n",
        "  name: example-org-cloudtrail-logs\n"
        "  readers: [arn:aws:iam::222222222222:role/Auditors]\n",
    ).replace(
        "  log_group_name: /aws/cloudtrail/org\n",
        "  log_group_name: /aws/cloudtrail/org\n  retention_in_days: 180\n",
    )
    config.write_text(text, encoding="utf-8")
    flag = ["--allow-shorter-retention", "aws_cloudwatch_log_group.cloudtrail"]
    printed, _ = summary(capsys, "example", *flag, fmt="markdown")
    assert_block_shows(
        "review.md",
        "summary-example",
        printed,
        "make the config edit the page shows, run `orgtrail-gen check configs/example.yaml "
        "--summary markdown --allow-shorter-retention aws_cloudwatch_log_group.cloudtrail`",
    )


def test_a_reader_removed_reads_as_what_the_statements_lose(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("prod")
    edit(project, "prod", {"bucket.readers": ["arn:aws:iam::210987654321:role/SecurityAudit"]})
    module, _ = summary(capsys, "prod")
    assert module["attention"] == []  # taking access away needs no attention
    (kms,) = [p for p in module["policies"] if p["address"].endswith(".cloudtrail_kms")]
    assert [s["sid"] for s in kms["removed"]] == [s["sid"] for s in kms["added"]]
    assert kms["removed"][0]["text"].startswith("no longer allows")
    markdown, _ = summary(capsys, "prod", fmt="markdown")
    for sid in ("CloudTrailAcmeOrgTrailLogReaders", "AllowLogReadersDecrypt"):
        assert f"Sid `{sid}` changes: principals lose account 345678901234. Now it" in markdown


def test_an_adoption_says_which_resources_are_imported_not_created(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module, _ = summary(capsys, "adopt-console")
    imported = {r["address"]: r["imported"] for r in module["resources"]["added"]}
    assert imported["aws_cloudtrail.org"] is True and imported["aws_s3_bucket.logs"] is True
    assert imported["aws_kms_key.cloudtrail"] is False  # SSE-S3 today: the key is new
    markdown, _ = summary(capsys, "adopt-console", fmt="markdown")
    assert "- import `aws_cloudtrail.org`" in markdown
    assert "- create `aws_kms_key.cloudtrail`" in markdown
    assert "aws_organizations_organization.this forgotten by Terraform, kept in AWS" in markdown


def test_a_topic_rename_lists_each_replacement_with_what_it_costs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("prod")
    edit(project, "prod", {"monitoring.notifications.topic.name": "acme-alarms-v2"})
    module, _ = summary(capsys, "prod")
    replaced = {r["address"]: r["reason"] for r in module["resources"]["replaced"]}
    subscription = "aws_sns_topic_subscription.email_security_oncall_acme_example"
    assert replaced[subscription] == "topic_arn refers to aws_sns_topic.alarms, which is replaced"
    assert "name changes from" in replaced["aws_sns_topic.alarms"]
    markdown, _ = summary(capsys, "prod", fmt="markdown")
    line = next(x for x in markdown.splitlines() if f"`{subscription}`" in x)
    assert line.startswith("- **replace**") and "new confirmation mail" in line
    assert re.search(r"^- update in place 16 x `aws_cloudwatch_metric_alarm` \(", markdown, re.M)


_TOPIC = 'resource "aws_sns_topic" "alarms" {\n  name = "alarms"\n}\n'
_SUBSCRIPTION = (
    'resource "aws_sns_topic_subscription" "ops" {\n'
    "  topic_arn = aws_sns_topic.alarms.arn\n"
    '  protocol  = "sqs"\n'
    '  endpoint  = "arn:aws:sqs:us-east-1:111111111111:ops"\n'
    "}\n"
)
_FOREIGN = "arn:aws:sns:us-east-1:222222222222:their-topic"


def _alarm(actions: str, enabled: str = "true") -> str:
    return (
        'resource "aws_cloudwatch_metric_alarm" "a" {\n'
        f"  alarm_actions   = {actions}\n"
        f"  actions_enabled = {enabled}\n"
        "}\n"
    )


@pytest.mark.parametrize(
    ("files", "nobody", "subscribers"),
    [
        ([_TOPIC, _alarm("[aws_sns_topic.alarms.arn]")], True, ()),
        ([_TOPIC, _SUBSCRIPTION, _alarm("[aws_sns_topic.alarms.arn]")], False, ("sqs",)),
        ([_TOPIC, _SUBSCRIPTION, _alarm("[aws_sns_topic.alarms.arn]", "false")], True, ("sqs",)),
        ([_alarm(f'["{_FOREIGN}"]')], False, None),
        # a subscriber-less topic of ours beside someone else's: the other may be heard
        ([_TOPIC, _alarm(f'[aws_sns_topic.alarms.arn, "{_FOREIGN}"]')], False, None),
        ([_alarm("[]")], True, ()),
    ],
    ids=["own-topic-unsubscribed", "subscribed", "actions-off", "foreign", "mixed", "none"],
)
def test_the_summary_and_the_controls_report_read_an_alarms_listeners_alike(
    files: list[str], nobody: bool, subscribers: tuple[str, ...] | None
) -> None:
    """One reading (review.facts) decides who an alarm notifies, for both reports."""
    from generator.check.hcl_parse import ParsedModule
    from generator.review.attention import _unheard
    from generator.review.facts import read

    module = ParsedModule.parse({f"f{i}.tf": text for i, text in enumerate(files)})
    (alarm,) = read(module).alarms
    assert alarm.subscribers == subscribers
    assert alarm.notifies_nobody is nobody
    assert _unheard(module) == ({"aws_cloudwatch_metric_alarm.a"} if nobody else set())


def lost(module: dict[str, Any]) -> dict[str, str]:
    """Each control-lost item's text by its config key (the item's address)."""
    return {a["address"]: a["text"] for a in module["attention"] if a["kind"] == "control-lost"}


def test_recording_no_management_events_names_every_control_it_silences(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("prod")
    # Insights analyse management events: the generator refuses them without any
    edit(project, "prod", {"trail.events.management.read_write": "none"})
    edit(project, "prod", {"trail.events.insights": None})
    module, _ = summary(capsys, "prod")
    items = lost(module)
    silenced = items["trail.events.management"]
    assert "CIS AWS Foundations Benchmark (v1.4.0 numbers) 3.1, 4.1, 4.2" in silenced
    assert "4.15; AWS Security Hub CSPM CloudTrail.1, CloudWatch.1" in silenced
    assert "cloudtrail_multi_region_enabled_logging_management_events" in silenced
    assert "30 controls satisfied before and not satisfied now" in silenced
    assert (
        "cloudtrail_insights_exist (CloudTrail trail has Insights enabled)"
        in items["trail.events.insights"]
    )
    # the generator's own warning reaches the summary CI posts, not only standard error
    assert any("records no management events" in w for w in module["warnings"])
    markdown, _ = summary(capsys, "prod", fmt="markdown")
    assert "Nothing needs special attention" not in markdown
    assert "**control-lost**" in markdown and "**Warnings**" in markdown


def test_a_single_region_trail_names_the_controls_it_loses(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("prod")
    edit(
        project,
        "prod",
        {
            "trail.is_multi_region": False,
            "trail.include_global_service_events": False,  # or the generator refuses it
            "trail.regions": ["eu-central-1"],
        },
    )
    module, _ = summary(capsys, "prod")
    (key,) = lost(module)
    assert key == "trail.is_multi_region"
    text = lost(module)[key]
    assert "CIS AWS Foundations Benchmark (v1.4.0 numbers) 3.1, 4.1" in text
    assert "CloudTrail.1" in text and "cloudtrail_multi_region_enabled (" in text
    assert "the trail is single-region" in text


def test_global_service_events_off_names_the_controls_it_loses(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # include_global_service_events: false needs is_multi_region: false (the model refuses it
    # on a multi-region trail): from prod it is that switch, and the controls it loses name the
    # key the controls report gives them - no control judges global service events alone.
    generate("prod")
    edit(project, "prod", {"trail.include_global_service_events": False})
    edit(project, "prod", {"trail.is_multi_region": False, "trail.regions": ["eu-central-1"]})
    module, _ = summary(capsys, "prod")
    changed = {c["address"]: c["arguments"] for c in module["resources"]["changed"]}
    assert "include_global_service_events" in changed["aws_cloudtrail.org"]
    assert (
        "CIS AWS Foundations Benchmark (v1.4.0 numbers) 3.1"
        in lost(module)["trail.is_multi_region"]
    )


def test_log_file_validation_off_names_the_controls_it_loses(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("prod")
    edit(project, "prod", {"trail.enable_log_file_validation": False})
    module, _ = summary(capsys, "prod")
    assert kinds(module) == ["control-lost"]
    text = lost(module)["trail.enable_log_file_validation"]
    assert text.startswith("3 controls satisfied before and not satisfied now")
    assert "3.2 (Ensure CloudTrail log file validation is enabled)" in text
    assert "CloudTrail.4 (CloudTrail log file validation should be enabled)" in text
    assert "cloudtrail_log_file_validation_enabled (" in text


def test_a_change_that_loses_no_control_adds_no_control_item(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("prod")
    edit(project, "prod", {"cloudwatch_logs.retention_in_days": 731})  # longer: nothing lost
    module, _ = summary(capsys, "prod")
    assert module["resources"]["changed"] and module["attention"] == []
    assert module["warnings"]  # prod's lifecycle and email notes, carried as they are
