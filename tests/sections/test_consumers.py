"""The consumers: section: one notification of the log bucket, fanned out to a queue per SIEM.

What S3 and SNS will do with the rendered configuration is judged here from their documented
rules, written out in this file, not from the generator's code: S3's filter is one key prefix
and one suffix (S3 User Guide, "Configuring event notifications using object key name
filtering"); SNS's payload filter matches each property of the policy against the message
body, an array matching when one element does, ``prefix`` matching the start of a string
(SNS Developer Guide, "Amazon SNS subscription filter policies", "String value matching").
The object keys are CloudTrail's documented layout, typed out by hand.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.check.hcl_parse import (
    ParsedModule,
    expression,
    literal,
    literals,
    nested,
    parse_text,
)
from generator.check.preflight.policy_reading import ParsedStatement, statements
from generator.cli import main
from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError
from generator.pipeline import render_module
from generator.sections.registry import validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((ROOT / "configs" / "example.yaml").read_text(encoding="utf-8"))
ORG = "o-a1b2c3d4e5"
MGMT = "111111111111"
SIEM = "999988887777"
ARCHIVE = "444455556666"
BUCKET = "example-org-cloudtrail-logs"
SPLUNK = f"arn:aws:iam::{MGMT}:role/SplunkSqsReader"
ELASTIC = f"arn:aws:iam::{SIEM}:role/ElasticAgent"
CONSUMERS = [
    {"name": "splunk", "roles": [SPLUNK]},
    {"name": "elastic", "roles": [ELASTIC], "raw_message_delivery": False},
]


def _config(consumers: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(EXAMPLE)
    data["consumers"] = copy.deepcopy(CONSUMERS if consumers is None else consumers)
    for key, value in changes.items():
        data[key] = value
    return data


def _render(data: dict[str, Any]) -> ParsedModule:
    config = validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))
    return ParsedModule.parse(render_module(config, "t.yaml"))


def _statements(module: ParsedModule, address: str) -> list[ParsedStatement]:
    block = module.get(address)
    assert block is not None, address
    return statements(block)


def _by_sid(module: ParsedModule, address: str, sid: str) -> ParsedStatement:
    (found,) = [s for s in _statements(module, address) if s.sid == sid]
    return found


def _principals(statement: ParsedStatement) -> set[str]:
    return {i for kind, ids in statement.principals if kind == "AWS" for i in ids}


# --- S3's filter, and SNS's, as their documentation states them ----------------------------


def s3_announces(topic: dict[str, Any], key: str, event: str = "s3:ObjectCreated:Put") -> bool:
    """S3 sends the event when its type is listed and the key has the prefix and the suffix."""
    types = literals(topic.get("events"))
    listed = any(event == t or (t.endswith("*") and event.startswith(t[:-1])) for t in types)
    prefix, suffix = literal(topic.get("filter_prefix")) or "", literal(topic.get("filter_suffix"))
    return listed and key.startswith(prefix) and key.endswith(suffix or "")


def _values(body: Any, path: list[str]) -> list[Any]:
    """Every value at ``path``, descending into arrays (an array matches when one item does)."""
    if isinstance(body, list):
        return [v for item in body for v in _values(item, path)]
    if not path:
        return [body]
    if not isinstance(body, dict) or path[0] not in body:
        return []
    return _values(body[path[0]], path[1:])


def sns_accepts(
    policy: dict[str, Any], body: dict[str, Any], path: list[str] | None = None
) -> bool:
    """Every leaf of the filter policy has one matching value in the message body."""
    path = path or []
    for name, rule in policy.items():
        if isinstance(rule, dict):
            if not sns_accepts(rule, body, [*path, name]):
                return False
            continue
        found = _values(body, [*path, name])
        if not any(
            (isinstance(r, str) and v == r)
            or (isinstance(r, dict) and isinstance(v, str) and v.startswith(r["prefix"]))
            for r in rule
            for v in found
        ):
            return False
    return True


def s3_event(key: str) -> dict[str, Any]:
    """An ObjectCreated event as S3 writes it (S3 User Guide, "Event message structure")."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 1024}},
            }
        ]
    }


TEST_EVENT = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET}
LOG = (
    f"AWSLogs/{ORG}/222222222222/CloudTrail/us-east-1/2026/12/01/"
    "222222222222_CloudTrail_us-east-1_20261201T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"
)
DIGEST = (
    f"AWSLogs/{ORG}/222222222222/CloudTrail-Digest/us-east-1/2026/12/01/"
    "222222222222_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261201T021536Z.json.gz"
)
INSIGHT = (
    f"AWSLogs/{ORG}/222222222222/CloudTrail-Insight/us-east-1/2026/12/01/"
    "222222222222_CloudTrail-Insight_us-east-1_20261201T0210Z_a1b2c3d4e5f6g7h8.json.gz"
)


def _jsonencoded(value: Any) -> Any:
    """A ``jsonencode({...})`` argument as the JSON Terraform sends."""
    text = expression(value) or ""
    match = re.fullmatch(r"jsonencode\((?P<body>.*)\)", text, re.S)
    assert match, value
    return _plain(parse_text(f"x = {match['body']}\n", "x.tf")["x"])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {(literal(k) or k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        text = literal(value)
        return text if text is not None else value
    return value


@pytest.mark.parametrize("prefix", [None, "cloudtrail/org"])
def test_one_notification_announces_every_trail_file_to_every_consumer(prefix: str | None) -> None:
    data = _config()
    if prefix:
        data["trail"]["s3_key_prefix"] = prefix
    module = _render(data)
    (notification,) = module.of_type("resource", "aws_s3_bucket_notification")
    (topic,) = nested(notification.body, "topic")
    assert expression(topic["topic_arn"]) == "aws_sns_topic.log_files.arn"
    lead = f"{prefix}/" if prefix else ""
    for key in (LOG, DIGEST, INSIGHT):
        assert s3_announces(topic, lead + key), key
    for outside in (
        f"{lead}AWSLogs/111111111111/CloudTrail/us-east-1/2026/12/01/x.json.gz",  # not the org's
        f"{lead}athena-results/x.json.gz",
        lead + LOG.removesuffix(".gz"),
        "AWSLogs/o-zzzzzzzzzz/" + LOG.split("/", 2)[2],
    ):
        assert not s3_announces(topic, outside), outside
    assert not s3_announces(topic, lead + LOG, "s3:ObjectRemoved:Delete")
    subscriptions = [
        s
        for s in module.of_type("resource", "aws_sns_topic_subscription")
        if expression(s.body["topic_arn"]) == "aws_sns_topic.log_files.arn"
    ]
    assert sorted(s.address for s in subscriptions) == [
        "aws_sns_topic_subscription.consumer_elastic",
        "aws_sns_topic_subscription.consumer_splunk",
    ]
    for subscription in subscriptions:
        assert literal(subscription.body["filter_policy_scope"]) == "MessageBody"
        policy = _jsonencoded(subscription.body["filter_policy"])
        for key in (LOG, DIGEST, INSIGHT):
            assert sns_accepts(policy, s3_event(lead + key))
        assert not sns_accepts(policy, TEST_EVENT), "S3's test event reaches no SIEM"
    waits = {expression(v) for v in notification.body["depends_on"]}
    assert waits == {
        "aws_sns_topic_policy.log_files",
        "aws_sqs_queue_policy.consumer_splunk",
        "aws_sqs_queue_policy.consumer_elastic",
        "aws_sns_topic_subscription.consumer_splunk",
        "aws_sns_topic_subscription.consumer_elastic",
    }


def test_each_consumer_is_a_reader_exactly_like_bucket_readers() -> None:
    data = _config()
    data["bucket"]["readers"] = [f"arn:aws:iam::{MGMT}:role/Auditors"]
    module = _render(data)
    (readers,) = [
        s
        for s in _statements(module, "data.aws_iam_policy_document.cloudtrail_bucket")
        if s.sid.endswith("LogReaders")
    ]
    assert _principals(readers) == {SPLUNK, ELASTIC, f"arn:aws:iam::{MGMT}:role/Auditors"}
    assert set(readers.actions) == {"s3:GetObject", "s3:ListBucket"}
    decrypt = _by_sid(
        module, "data.aws_iam_policy_document.cloudtrail_kms", "AllowLogReadersDecrypt"
    )
    assert {SPLUNK, ELASTIC} <= _principals(decrypt)
    assert decrypt.condition("Null", "kms:EncryptionContext:aws:cloudtrail:arn") == ("false",)


def test_a_queue_admits_its_topic_and_its_own_roles_only() -> None:
    module = _render(_config())
    queue = "arn:aws:sqs:us-east-1:111111111111:org-trail-elastic"
    send = _by_sid(
        module, "data.aws_iam_policy_document.consumer_elastic_queue", "AllowLogFileTopicSend"
    )
    assert send.has_principal("Service", "sns.amazonaws.com")
    assert send.actions == ("sqs:SendMessage",) and send.resources == (queue,)
    assert send.condition("StringEquals", "aws:SourceArn") == (
        "arn:aws:sns:us-east-1:111111111111:org-trail-log-files",
    )
    receive = _by_sid(
        module, "data.aws_iam_policy_document.consumer_elastic_queue", "AllowConsumerReceive"
    )
    assert _principals(receive) == {ELASTIC}
    assert not any(a in receive.actions for a in ("sqs:SendMessage", "sqs:*", "sqs:PurgeQueue"))
    topic = _by_sid(
        module, "data.aws_iam_policy_document.log_files_topic", "AllowS3PublishLogFileEvents"
    )
    assert topic.condition("StringEquals", "aws:SourceArn") == (f"arn:aws:s3:::{BUCKET}",)
    assert topic.condition("StringEquals", "aws:SourceAccount") == (MGMT,)
    key = {s.sid: s for s in _statements(module, "data.aws_iam_policy_document.log_consumers_kms")}
    assert _principals(key["AllowConsumersDecryptTheirQueues"]) == {SPLUNK, ELASTIC}
    assert key["AllowConsumersDecryptTheirQueues"].actions == ("kms:Decrypt",)
    assert key["AllowConsumersDecryptTheirQueues"].condition("StringEquals", "kms:ViaService") == (
        "sqs.us-east-1.amazonaws.com",
    )
    assert not any(
        a in key["AllowKeyAdministration"].actions for a in ("kms:Decrypt", "kms:CreateGrant")
    )


def test_only_a_consumer_of_another_account_gets_an_identity_policy_and_outputs_say_what_to_set() -> (
    None
):
    module = _render(_config())
    assert module.get("data.aws_iam_policy_document.consumer_splunk_role") is None
    role = {
        s.sid: s for s in _statements(module, "data.aws_iam_policy_document.consumer_elastic_role")
    }
    assert role["ReadLogFiles"].resources == (f"arn:aws:s3:::{BUCKET}/AWSLogs/{ORG}/*",)
    assert role["ReadLogFiles"].actions == ("s3:GetObject",)
    assert role["ReceiveLogFileEvents"].resources == (
        "arn:aws:sqs:us-east-1:111111111111:org-trail-elastic",
    )
    keys = f"arn:aws:kms:us-east-1:{MGMT}:key/*"  # the module's keys get their ARNs at apply
    assert role["DecryptLogFiles"].resources == (keys,)
    assert role["DecryptLogFiles"].condition(
        "Null", "kms:EncryptionContext:aws:cloudtrail:arn"
    ) == ("false",)
    assert role["DecryptLogFileEvents"].resources == (keys,)
    assert role["DecryptLogFileEvents"].condition("StringEquals", "kms:ViaService") == (
        "sqs.us-east-1.amazonaws.com",
    )
    outputs = {b.labels[0]: expression(b.body["value"]) for b in module.all("output")}
    assert outputs["log_consumer_splunk_queue_url"] == "aws_sqs_queue.consumer_splunk.url"
    assert outputs["log_consumer_elastic_queue_arn"] == "aws_sqs_queue.consumer_elastic.arn"
    assert outputs["log_consumer_elastic_role_policy"] == (
        "data.aws_iam_policy_document.consumer_elastic_role.json"
    )
    assert "log_consumer_splunk_role_policy" not in outputs


def test_an_existing_trail_key_is_named_in_the_identity_policy_and_no_key_means_no_decrypt() -> (
    None
):
    key = f"arn:aws:kms:us-east-1:{MGMT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    module = _render(_config(kms={"key_arn": key}))
    role = {
        s.sid: s for s in _statements(module, "data.aws_iam_policy_document.consumer_elastic_role")
    }
    assert role["DecryptLogFiles"].resources == (key,)
    module = _render(_config(kms={"enabled": False}))
    role = {
        s.sid: s for s in _statements(module, "data.aws_iam_policy_document.consumer_elastic_role")
    }
    assert "DecryptLogFiles" not in role  # SSE-S3 logs: nothing to decrypt
    assert module.get("aws_kms_key.log_consumers") is not None  # queues stay encrypted


def test_queues_keep_what_they_cannot_deliver_for_fourteen_days() -> None:
    module = _render(_config(consumers=[{**CONSUMERS[0], "max_receive_count": 3}]))
    queue = module.get("aws_sqs_queue.consumer_splunk")
    dlq = module.get("aws_sqs_queue.consumer_splunk_dlq")
    assert queue is not None and dlq is not None
    assert literal(queue.body["name"]) == "org-trail-splunk"
    assert literal(dlq.body["name"]) == "org-trail-splunk-dlq"
    redrive = _jsonencoded(queue.body["redrive_policy"])
    assert redrive["maxReceiveCount"] == 3
    assert redrive["deadLetterTargetArn"] == "${aws_sqs_queue.consumer_splunk_dlq.arn}"
    for block in (queue, dlq):
        assert block.body["message_retention_seconds"] == 1_209_600
        assert expression(block.body["kms_master_key_id"]) == "aws_kms_key.log_consumers.arn"


def test_everything_is_beside_a_log_archive_bucket() -> None:
    data = _config(
        log_archive={
            "account_id": ARCHIVE,
            "role_arn": f"arn:aws:iam::{ARCHIVE}:role/OrgTrailLogArchiveDeployer",
        }
    )
    module = _render(data)
    consumers = [b for b in module.blocks if b.kind == "resource" and b.file == "consumers.tf"]
    assert len(consumers) == 5 + 4 * 2  # key, alias, topic, its policy, notification
    assert {expression(b.body.get("provider")) for b in consumers} == {"aws.log_archive"}
    alarm_topic = module.get("aws_sns_topic.alarms")
    assert alarm_topic is not None and "provider" not in alarm_topic.body
    send = _by_sid(
        module, "data.aws_iam_policy_document.consumer_splunk_queue", "AllowLogFileTopicSend"
    )
    assert send.resources == (f"arn:aws:sqs:us-east-1:{ARCHIVE}:org-trail-splunk",)
    # the management account's role reads a log-archive bucket: another account, so it too
    # gets the identity policy it must attach
    assert module.get("data.aws_iam_policy_document.consumer_splunk_role") is not None


def test_without_consumers_nothing_changes_and_checkov_keeps_its_skip() -> None:
    data = copy.deepcopy(EXAMPLE)
    files = render_module(validate(load_yaml(yaml.safe_dump(data), "t.yaml")), "t.yaml")
    assert "consumers.tf" not in files
    assert "CKV2_AWS_62" in files["s3.tf"]
    with_consumers = render_module(
        validate(load_yaml(yaml.safe_dump(_config()), "t.yaml")), "t.yaml"
    )
    assert "CKV2_AWS_62" not in with_consumers["s3.tf"]


def test_an_adopted_bucket_is_warned_that_its_notification_is_replaced() -> None:
    from preflight_cases import VARIANTS

    from generator.sections.registry import facts_of, warnings

    data = _config()
    VARIANTS["adopted"](data)
    config = validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))
    (warning,) = [w for w in warnings(facts_of(config)) if "notification" in w]
    assert "REPLACED at apply by aws_s3_bucket_notification.logs" in warning
    assert "add its consumer under consumers:" in warning


# --- bad input: located errors ---------------------------------------------------------------


def _issues(data: dict[str, Any]) -> list[Any]:
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))
    return list(caught.value.issues)


@pytest.mark.parametrize(
    ("consumers", "path", "words"),
    [
        (
            [{"name": "splunk", "roles": [SPLUNK]}, {"name": "splunk", "roles": [ELASTIC]}],
            "consumers[1].name",
            ("also consumers[0]",),
        ),
        (
            [{"name": "splunk", "roles": [SPLUNK], "queue_name": "org.trail.splunk"}],
            "consumers[0].queue_name",
            ("SQS refuses it", "1-76"),
        ),
        (
            [{"name": "splunk", "roles": [SPLUNK], "queue_name": "q" * 77}],
            "consumers[0].queue_name",
            ("SQS refuses it",),
        ),
        (
            [
                {"name": "splunk", "roles": [SPLUNK], "queue_name": "shared"},
                {"name": "elastic", "roles": [ELASTIC], "queue_name": "shared"},
            ],
            "consumers[1].queue_name",
            ("queue shared is also consumers[0]'s",),
        ),
        ([{"name": "Splunk", "roles": [SPLUNK]}], "consumers[0].name", ("lowercase",)),
        ([{"name": "splunk", "roles": []}], "consumers[0].roles", ("at least 1",)),
        ([{"name": "splunk", "roles": [SIEM]}], "consumers[0].roles[0]", ("whole account",)),
        (
            [{"name": "splunk", "roles": ["arn:aws-cn:iam::999988887777:role/X"]}],
            "consumers[0].roles[0]",
            ("partition aws",),
        ),
        (
            [{"name": "splunk", "roles": [SPLUNK], "max_receive_count": 0}],
            "consumers[0].max_receive_count",
            ("greater than or equal to 1",),
        ),
    ],
)
def test_bad_consumers_are_located(
    consumers: list[dict[str, Any]], path: str, words: tuple[str, ...]
) -> None:
    issues = _issues(_config(consumers=consumers))
    located = [i for i in issues if i.path == path]
    assert len(located) == 1, issues
    assert located[0].line > 0 and located[0].file == "t.yaml"
    for word in words:
        assert word in located[0].message, located[0]


def test_a_key_administrator_cannot_be_a_consumer() -> None:
    data = _config()
    data["kms"] = {"administrators": [SPLUNK]}
    (issue,) = [i for i in _issues(data) if i.path == "consumers[0].roles[0]"]
    assert "kms.administrators" in issue.message


def test_an_existing_bucket_takes_no_consumers() -> None:
    data = _config()
    data["bucket"] = {"name": BUCKET, "create": False}
    (issue,) = [i for i in _issues(data) if i.path == "consumers"]
    assert "ONE notification configuration" in issue.message


def test_the_cli_points_at_the_duplicate_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = yaml.safe_dump(copy.deepcopy(EXAMPLE), sort_keys=False) + (
        "consumers:\n"
        f"  - name: splunk\n    roles: [{SPLUNK}]\n"
        f"  - name: splunk\n    roles: [{ELASTIC}]\n"
    )
    config = tmp_path / "org.yaml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(config), "--output-dir", str(out)]) == 2
    assert not out.exists() or list(out.iterdir()) == []
    line = (
        text.splitlines().index("  - name: splunk", text.splitlines().index("consumers:") + 2) + 1
    )
    err = capsys.readouterr().err
    assert re.search(
        rf"org\.yaml:{line}:\d+: consumers\[1\]\.name: splunk is also consumers\[0\]", err
    ), err


# --- feed: eventbridge, as EventBridge's documentation states matching ----------------------
# An event matches when every field of the pattern is in it; a field's array matches when one
# of its values does; {"wildcard": w} treats "*" as any run of characters ("Event pattern
# syntax"; "Content filtering in Amazon EventBridge event patterns", matching with wildcards).
# S3's events on the bus: source aws.s3, detail-type "Object Created" (or "Object Deleted"...),
# the key in detail.object.key (S3 User Guide, "EventBridge event message structure").


def _wildcard(pattern: str, value: str) -> bool:
    return (
        re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value) is not None
    )


def eventbridge_matches(pattern: Any, event: Any) -> bool:
    """Every field of the pattern has a matching value in the event."""
    for name, rule in pattern.items():
        value = event.get(name) if isinstance(event, dict) else None
        if isinstance(rule, dict):
            if not eventbridge_matches(rule, value):
                return False
        elif not any(
            (isinstance(r, str) and r == value)
            or (isinstance(r, dict) and isinstance(value, str) and _wildcard(r["wildcard"], value))
            for r in rule
        ):
            return False
    return True


def s3_eventbridge_event(key: str, kind: str = "Object Created", bucket: str = BUCKET) -> Any:
    return {
        "version": "0",
        "detail-type": kind,
        "source": "aws.s3",
        "account": MGMT,
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": {"key": key}},
    }


def _eventbridge(**extra: Any) -> list[dict[str, Any]]:
    return [CONSUMERS[0], {"name": "elastic", "roles": [ELASTIC], "feed": "eventbridge", **extra}]


@pytest.mark.parametrize(("digests", "prefix"), [(None, None), (True, "cloudtrail/org")])
def test_an_eventbridge_consumer_is_told_of_log_files_and_digests_only_when_asked(
    digests: bool | None, prefix: str | None
) -> None:
    extra = {} if digests is None else {"digests": digests}
    data = _config(consumers=_eventbridge(**extra))
    if prefix:
        data["trail"]["s3_key_prefix"] = prefix
    module = _render(data)
    rule = module.get("aws_cloudwatch_event_rule.consumer_elastic")
    assert rule is not None and literal(rule.body["name"]) == "org-trail-elastic"
    pattern = _jsonencoded(rule.body["event_pattern"])
    lead = f"{prefix}/" if prefix else ""
    assert eventbridge_matches(pattern, s3_eventbridge_event(lead + LOG))
    assert eventbridge_matches(pattern, s3_eventbridge_event(lead + DIGEST)) is bool(digests)
    for outside in (
        lead + INSIGHT,
        f"{lead}AWSLogs/111111111111/CloudTrail/us-east-1/2026/12/01/x.json.gz",  # not the org's
        lead + LOG.removesuffix(".gz"),
        f"{lead}athena-results/{LOG}",
    ):
        assert not eventbridge_matches(pattern, s3_eventbridge_event(outside)), outside
    assert not eventbridge_matches(pattern, s3_eventbridge_event(lead + LOG, "Object Deleted"))
    assert not eventbridge_matches(pattern, s3_eventbridge_event(lead + LOG, bucket="other-b"))
    (notification,) = module.of_type("resource", "aws_s3_bucket_notification")
    assert notification.body["eventbridge"] is True
    (topic,) = nested(notification.body, "topic")  # splunk is still fed by the topic
    assert literal(topic["filter_prefix"]) == f"{lead}AWSLogs/{ORG}/"
    waits = {expression(v) for v in notification.body["depends_on"]}
    assert {
        "aws_sqs_queue_policy.consumer_elastic",
        "aws_sqs_queue_policy.consumer_elastic_dlq",
        "aws_cloudwatch_event_target.consumer_elastic",
    } <= waits
    assert module.get("aws_sns_topic_subscription.consumer_elastic") is None


def test_a_rule_sends_to_its_queue_retries_a_day_and_keeps_what_it_cannot_deliver() -> None:
    module = _render(_config(consumers=_eventbridge()))
    target = module.get("aws_cloudwatch_event_target.consumer_elastic")
    assert target is not None
    assert expression(target.body["rule"]) == "aws_cloudwatch_event_rule.consumer_elastic.name"
    assert expression(target.body["arn"]) == "aws_sqs_queue.consumer_elastic.arn"
    assert "role_arn" not in target.body  # SQS is reached through the queue's policy
    (retry,) = nested(target.body, "retry_policy")
    assert (retry["maximum_event_age_in_seconds"], retry["maximum_retry_attempts"]) == (86400, 185)
    (dead,) = nested(target.body, "dead_letter_config")
    assert expression(dead["arn"]) == "aws_sqs_queue.consumer_elastic_dlq.arn"
    rule = f"arn:aws:events:us-east-1:{MGMT}:rule/org-trail-elastic"
    queue = f"arn:aws:sqs:us-east-1:{MGMT}:org-trail-elastic"
    send = _by_sid(
        module, "data.aws_iam_policy_document.consumer_elastic_queue", "AllowLogFileRuleSend"
    )
    assert send.has_principal("Service", "events.amazonaws.com")
    assert (send.actions, send.resources) == (("sqs:SendMessage",), (queue,))
    assert send.condition("StringEquals", "aws:SourceArn") == (rule,)
    dead_letters = _by_sid(
        module,
        "data.aws_iam_policy_document.consumer_elastic_dlq_queue",
        "AllowLogFileRuleDeadLetters",
    )
    assert dead_letters.resources == (f"{queue}-dlq",)
    assert dead_letters.condition("StringEquals", "aws:SourceArn") == (rule,)
    key = _by_sid(
        module,
        "data.aws_iam_policy_document.log_consumers_kms",
        "AllowEventBridgeEncryptConsumerQueues",
    )
    assert key.has_principal("Service", "events.amazonaws.com")
    # pinned to the queues EventBridge feeds, by SQS's encryption context: EventBridge's KMS
    # requests carry no aws:SourceArn, so a grant conditioned on it would admit nothing
    assert key.condition("StringEquals", "kms:EncryptionContext:aws:sqs:arn") == (
        queue,
        f"{queue}-dlq",
    )
    assert [variable for _, variable, _ in key.conditions] == ["kms:EncryptionContext:aws:sqs:arn"]
    receive = _by_sid(
        module, "data.aws_iam_policy_document.consumer_elastic_queue", "AllowConsumerReceive"
    )
    assert _principals(receive) == {ELASTIC}


def test_without_a_topic_consumer_there_is_no_topic_and_s3_and_sns_get_no_key_grant() -> None:
    module = _render(_config(consumers=[{**CONSUMERS[0], "feed": "eventbridge"}]))
    assert module.get("aws_sns_topic.log_files") is None  # (the alarms' topic is monitoring's)
    assert [b for b in module.blocks if b.file == "consumers.tf" and "sns" in b.labels[0]] == []
    (notification,) = module.of_type("resource", "aws_s3_bucket_notification")
    assert notification.body["eventbridge"] is True
    assert nested(notification.body, "topic") == []
    sids = {s.sid for s in _statements(module, "data.aws_iam_policy_document.log_consumers_kms")}
    assert "AllowS3EncryptLogFileEvents" not in sids
    assert "AllowSnsEncryptConsumerQueues" not in sids
    outputs = {b.labels[0] for b in module.all("output")}
    assert "log_files_topic_arn" not in outputs
    assert "log_consumer_splunk_queue_url" in outputs


def test_a_topic_only_module_has_no_eventbridge_at_all() -> None:
    module = _render(_config())
    (notification,) = module.of_type("resource", "aws_s3_bucket_notification")
    assert "eventbridge" not in notification.body
    assert module.of_type("resource", "aws_cloudwatch_event_rule") == []
    sids = {s.sid for s in _statements(module, "data.aws_iam_policy_document.log_consumers_kms")}
    assert "AllowEventBridgeEncryptConsumerQueues" not in sids


@pytest.mark.parametrize(
    ("consumer", "trail", "path", "words"),
    [
        (
            {"feed": "topic", "digests": False},
            None,
            "consumers[0].digests",
            ("feed: topic cannot leave digests out", "Use feed: eventbridge"),
        ),
        (
            {"digests": False},  # the default feed is the topic
            None,
            "consumers[0].digests",
            ("cannot leave digests out", "the account id"),
        ),
        (
            {"feed": "eventbridge", "queue_name": "q" * 65},
            None,
            "consumers[0].queue_name",
            ("EventBridge allows 64", "set queue_name to 64 characters or fewer"),
        ),
        (
            {"feed": "eventbridge"},
            {"name": "t" * 60},
            "consumers[0].name",
            ("EventBridge allows 64",),
        ),
        (
            {"feed": "eventbridge"},
            {"s3_key_prefix": "logs(eu)"},
            "consumers[0].feed",
            ("URL-encodes", "feed: topic"),
        ),
        ({"feed": "lambda"}, None, "consumers[0].feed", ("'topic' or 'eventbridge'",)),
        (
            {"feed": "eventbridge", "raw_message_delivery": True},
            None,
            "consumers[0].raw_message_delivery",
            ("applies to feed: topic only",),
        ),
    ],
)
def test_a_feed_that_cannot_do_what_is_asked_is_located(
    consumer: dict[str, Any], trail: dict[str, Any] | None, path: str, words: tuple[str, ...]
) -> None:
    data = _config(consumers=[{**CONSUMERS[0], **consumer}])
    if trail:
        data["trail"].update(trail)
    issues = _issues(data)
    located = [i for i in issues if i.path == path]
    assert len(located) == 1, issues
    assert located[0].line > 0 and located[0].file == "t.yaml"
    for word in words:
        assert word in located[0].message, located[0]


def test_digests_asked_of_either_feed_are_accepted() -> None:
    for feed in ("topic", "eventbridge"):
        validate(
            load_yaml(
                yaml.safe_dump(
                    _config(consumers=[{**CONSUMERS[0], "feed": feed, "digests": True}])
                ),
                "t.yaml",
            )
        )


def test_more_rules_with_wildcards_than_a_bus_allows_are_located_at_the_first_too_many() -> None:
    consumers = [{"name": f"siem{i}", "roles": [SPLUNK], "feed": "eventbridge"} for i in range(31)]
    (issue,) = [i for i in _issues(_config(consumers=consumers)) if i.path.endswith(".feed")]
    assert issue.path == "consumers[30].feed"
    assert "EventBridge allows 30 such rules per event bus" in issue.message


# --- a consumer that is a Lambda function (the Datadog Forwarder) ---------------------------
# SNS invokes a function subscribed with protocol lambda when the function's policy lets
# sns.amazonaws.com lambda:InvokeFunction (Lambda Developer Guide, "Using Lambda with Amazon
# SNS"); raw delivery exists for SQS, HTTP/S and Firehose only (SNS Developer Guide, "Amazon
# SNS raw message delivery"); another account's function is subscribed by that account, which
# the topic's policy must let sns:Subscribe (Lambda Developer Guide's cross-account tutorial).

FORWARDER = f"arn:aws:lambda:us-east-1:{MGMT}:function:DatadogForwarder"
FORWARDER_ROLE = f"arn:aws:iam::{MGMT}:role/DatadogForwarderRole"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{MGMT}:org-trail-log-files"


def _datadog(**extra: Any) -> list[dict[str, Any]]:
    return [
        CONSUMERS[0],
        {"name": "datadog", "roles": [FORWARDER_ROLE], "lambda_function_arn": FORWARDER, **extra},
    ]


def test_a_function_consumer_is_invoked_by_the_topic_with_its_own_permission_and_no_queue() -> None:
    module = _render(_config(consumers=_datadog()))
    assert module.get("aws_sqs_queue.consumer_datadog") is None
    assert module.get("aws_sqs_queue.consumer_datadog_dlq") is None
    permission = module.get("aws_lambda_permission.consumer_datadog")
    assert permission is not None
    body = permission.body
    assert literal(body["principal"]) == "sns.amazonaws.com"
    assert literal(body["action"]) == "lambda:InvokeFunction"
    assert literal(body["function_name"]) == FORWARDER
    assert expression(body["source_arn"]) == "aws_sns_topic.log_files.arn"
    assert literal(body["source_account"]) == MGMT
    subscription = module.get("aws_sns_topic_subscription.consumer_datadog")
    assert subscription is not None
    assert literal(subscription.body["protocol"]) == "lambda"
    assert literal(subscription.body["endpoint"]) == FORWARDER
    assert "raw_message_delivery" not in subscription.body
    assert literal(subscription.body["filter_policy_scope"]) == "MessageBody"
    notification = module.get("aws_s3_bucket_notification.logs")
    assert notification is not None
    waits = {expression(item) for item in notification.body["depends_on"]}
    assert "aws_sns_topic_subscription.consumer_datadog" in waits
    # a reader of the logs like bucket.readers, but no receiver of any queue
    bucket = _statements(module, "data.aws_iam_policy_document.cloudtrail_bucket")
    assert any(FORWARDER_ROLE in _principals(s) and "s3:GetObject" in s.actions for s in bucket)
    decrypt = _by_sid(
        module, "data.aws_iam_policy_document.cloudtrail_kms", "AllowLogReadersDecrypt"
    )
    assert FORWARDER_ROLE in _principals(decrypt)
    queue_readers = _by_sid(
        module, "data.aws_iam_policy_document.log_consumers_kms", "AllowConsumersDecryptTheirQueues"
    )
    assert FORWARDER_ROLE not in _principals(queue_readers)
    topic = _statements(module, "data.aws_iam_policy_document.log_files_topic")
    assert [s.sid for s in topic] == ["AllowS3PublishLogFileEvents"]


def test_a_qualified_function_gets_a_permission_on_its_alias_and_is_the_endpoint() -> None:
    module = _render(_config(consumers=_datadog(lambda_function_arn=f"{FORWARDER}:live")))
    permission = module.get("aws_lambda_permission.consumer_datadog")
    assert permission is not None
    assert literal(permission.body["function_name"]) == FORWARDER
    assert literal(permission.body["qualifier"]) == "live"
    subscription = module.get("aws_sns_topic_subscription.consumer_datadog")
    assert subscription is not None
    assert literal(subscription.body["endpoint"]) == f"{FORWARDER}:live"


def test_another_accounts_function_may_subscribe_itself_and_is_told_exactly_what_to_run() -> None:
    function = f"arn:aws:lambda:us-east-1:{SIEM}:function:DatadogForwarder"
    role = f"arn:aws:iam::{SIEM}:role/DatadogForwarderRole"
    module = _render(_config(consumers=_datadog(lambda_function_arn=function, roles=[role])))
    assert module.get("aws_lambda_permission.consumer_datadog") is None
    assert module.get("aws_sns_topic_subscription.consumer_datadog") is None
    grant = _by_sid(
        module, "data.aws_iam_policy_document.log_files_topic", "AllowConsumerDatadogSubscribe"
    )
    assert grant.actions == ("sns:Subscribe",)
    assert grant.resources == (TOPIC_ARN,)
    assert _principals(grant) == {f"arn:aws:iam::{SIEM}:root"}
    assert grant.condition("StringEquals", "sns:Protocol") == ("lambda",)
    assert grant.condition("StringEquals", "sns:Endpoint") == (function,)
    (local,) = module.all("locals")
    setup = literal(local.body["log_consumer_datadog_setup"]) or ""
    add, subscribe = [line for line in setup.splitlines() if line.startswith("aws ")]
    assert add.split() == [
        "aws", "lambda", "add-permission", "--region", "us-east-1",
        "--function-name", function, "--statement-id", "orgtrail-gen-org-trail-log-files",
        "--action", "lambda:InvokeFunction", "--principal", "sns.amazonaws.com",
        "--source-arn", TOPIC_ARN, "--source-account", MGMT,
    ]  # fmt: skip
    words = subscribe.split(" --attributes ")
    assert words[0].split() == [
        "aws", "sns", "subscribe", "--region", "us-east-1", "--topic-arn", TOPIC_ARN,
        "--protocol", "lambda", "--notification-endpoint", function,
    ]  # fmt: skip
    attributes = json.loads(words[1].strip("'"))
    assert attributes["FilterPolicyScope"] == "MessageBody"
    assert json.loads(attributes["FilterPolicy"]) == {
        "Records": {"eventSource": ["aws:s3"], "eventName": [{"prefix": "ObjectCreated:"}]}
    }
    outputs = {b.labels[0]: expression(b.body["value"]) for b in module.all("output")}
    assert outputs["log_consumer_datadog_setup"] == "local.log_consumer_datadog_setup"
    assert outputs["log_consumer_datadog_role_policy"] == (
        "data.aws_iam_policy_document.consumer_datadog_role.json"
    )
    sids = {
        s.sid for s in _statements(module, "data.aws_iam_policy_document.consumer_datadog_role")
    }
    assert sids == {"ReadLogFiles", "DecryptLogFiles"}  # no queue to receive from


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        (
            {"lambda_function_arn": f"arn:aws:lambda:us-east-1:{MGMT}:DatadogForwarder"},
            "consumers[1].lambda_function_arn",
            ("a Lambda function ARN",),
        ),
        (
            {"lambda_function_arn": f"{FORWARDER}:$LATEST"},
            "consumers[1].lambda_function_arn",
            ("not :$LATEST",),
        ),
        (
            {"lambda_function_arn": f"arn:aws:lambda:eu-west-1:{MGMT}:function:Fwd"},
            "consumers[1].lambda_function_arn",
            ("in eu-west-1, the log-file topic in us-east-1", "Deploy the function"),
        ),
        ({"feed": "eventbridge"}, "consumers[1].feed", ("fed by the log-file topic only",)),
        (
            {"raw_message_delivery": True},
            "consumers[1].raw_message_delivery",
            ("refuses raw message delivery for a Lambda subscription",),
        ),
        ({"queue_name": "dd"}, "consumers[1].queue_name", ("has no queue",)),
        ({"max_receive_count": 3}, "consumers[1].max_receive_count", ("has no queue",)),
        ({"digests": False}, "consumers[1].digests", ("cannot leave digests out",)),
    ],
)
def test_a_function_consumer_that_cannot_be_delivered_to_is_located(
    extra: dict[str, Any], path: str, words: tuple[str, ...]
) -> None:
    located = [i for i in _issues(_config(consumers=_datadog(**extra))) if i.path == path]
    assert len(located) == 1
    assert located[0].line > 0 and located[0].file == "t.yaml"
    for word in words:
        assert word in located[0].message, located[0]


def test_two_consumers_of_one_function_are_located() -> None:
    consumers = [*_datadog(), {**_datadog()[1], "name": "datadog2"}]
    (issue,) = [
        i
        for i in _issues(_config(consumers=consumers))
        if i.path == "consumers[2].lambda_function_arn"
    ]
    assert "also consumers[1]'s" in issue.message
