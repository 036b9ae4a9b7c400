"""verify's consumers check against a moto server: the notification is ours, no DLQ holds mail.

The server is seeded from the rendered consumers.tf (queue and topic names, the notification's
id, prefix and suffix are read from the generated HCL), so verify is compared with what the
module describes. The failure the check exists for is staged as it happens: another tool puts
its own notification configuration on the bucket, over this module's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    aws_env,
    bucket_client,
    deploy,
    fake_cloudwatch_delivery_status,
    moto_url,
    seed_organization,
)
from test_permissions import called

from generator.aws.permissions import actions_of, log_archive_role_policy, verify_policy
from generator.aws.progress import Progress
from generator.aws.session import Aws
from generator.aws.verify import Options, verify
from generator.check.hcl_parse import literal, literals, nested
from generator.cli import main
from generator.pipeline import build
from generator.rehearse import moto_patches
from generator.sections.consumers.feeds import decoded_json
from generator.sections.registry import Config, load_config

SIEM_ROLE = "arn:aws:iam::999988887777:role/SplunkSqsReader"


def _config(tmp_path: Path, org: Org, extra: str = "") -> Path:
    path = tmp_path / "fed.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
  s3_key_prefix: ct
bucket:
  name: fed-org-cloudtrail-logs
consumers:
  - name: splunk
    roles: [{SIEM_ROLE}]
  - name: elastic
    roles: ["arn:aws:iam::{org.management}:role/ElasticAgent"]
{extra}""",
        encoding="utf-8",
    )
    return path


def deploy_consumers(org: Org, config: Config, path: Path) -> dict[str, str]:
    """Queues, topic and notification as consumers.tf names them; {queue name: URL}."""
    parsed = build(path).parsed
    sqs, sns = bucket_client(org, config, "sqs"), bucket_client(org, config, "sns")
    urls = {
        literal(queue.body["name"]) or "": sqs.create_queue(QueueName=literal(queue.body["name"]))[
            "QueueUrl"
        ]
        for queue in parsed.of_type("resource", "aws_sqs_queue")
    }
    topics = {
        topic.address: sns.create_topic(Name=literal(topic.body["name"]))["TopicArn"]
        for topic in parsed.of_type("resource", "aws_sns_topic")
        if topic.file == "consumers.tf"
    }
    _deploy_rules(org, config, parsed)
    (notification,) = parsed.of_type("resource", "aws_s3_bucket_notification")
    wanted: dict[str, Any] = {
        "TopicConfigurations": [
            {
                "Id": literal(item["id"]),
                "TopicArn": topics[".".join(str(item["topic_arn"]).strip("${}").split(".")[:2])],
                "Events": literals(item["events"]),
                "Filter": {
                    "Key": {
                        "FilterRules": [
                            {"Name": "prefix", "Value": literal(item["filter_prefix"])},
                            {"Name": "suffix", "Value": literal(item["filter_suffix"])},
                        ]
                    }
                },
            }
            for item in nested(notification.body, "topic")
        ]
    }
    if notification.body.get("eventbridge") is True:
        wanted["EventBridgeConfiguration"] = {}
    bucket_client(org, config, "s3").put_bucket_notification_configuration(
        Bucket=config.bucket.name, NotificationConfiguration=wanted
    )
    return urls


def _deploy_rules(org: Org, config: Config, parsed: Any) -> None:
    """Each consumer rule with its pattern and its target, as consumers.tf describes them."""
    events, sqs = bucket_client(org, config, "events"), bucket_client(org, config, "sqs")

    def arn_of(reference: object) -> str:
        queue = parsed.get(".".join(str(reference).strip("${}").split(".")[:2]))
        url = sqs.get_queue_url(QueueName=literal(queue.body["name"]))["QueueUrl"]
        return str(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        )

    for rule in parsed.of_type("resource", "aws_cloudwatch_event_rule"):
        pattern = decoded_json(rule.body["event_pattern"], rule.file)
        name = literal(rule.body["name"])
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        (target,) = [
            t
            for t in parsed.of_type("resource", "aws_cloudwatch_event_target")
            if str(t.body["rule"]).startswith(f"${{{rule.address}.")
        ]
        (dead,) = nested(target.body, "dead_letter_config")
        events.put_targets(
            Rule=name,
            Targets=[
                {
                    "Id": literal(target.body["target_id"]),
                    "Arn": arn_of(target.body["arn"]),
                    "DeadLetterConfig": {"Arn": arn_of(dead["arn"])},
                }
            ],
        )


@pytest.fixture
def fed(aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Org, Path, Any]:
    org = seed_organization(aws_env, members=1)
    path = _config(tmp_path, org)
    config = load_config(path)
    deploy(org, config)
    urls = deploy_consumers(org, config, path)
    fake_cloudwatch_delivery_status(monkeypatch)
    return org, path, urls


def _rows(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["verify", str(path), "--new-account-hours", "0", "--json"])
    document = json.loads(capsys.readouterr().out)
    return code, {r["subject"]: r for r in document["results"] if r["check"] == "consumers"}


def test_deployed_consumers_pass(
    fed: tuple[Org, Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _org, path, _urls = fed
    code, rows = _rows(path, capsys)
    assert code == 0, rows
    notification = rows["notification of fed-org-cloudtrail-logs"]
    assert (notification["status"], notification["found"]) == ("ok", "as generated")
    assert notification["expected"].endswith(
        ":org-trail-log-files, s3:ObjectCreated:*, prefix ct/AWSLogs/"
        + path.read_text().split("id: ")[1].split("\n")[0]
        + "/, suffix .json.gz"
    )
    for name in ("splunk", "elastic"):
        row = rows[f"{name}: dead-letter queue org-trail-{name}-dlq"]
        assert (row["status"], row["found"]) == ("ok", "empty")


def test_another_tools_notification_over_ours_fails_and_says_what_happened(
    fed: tuple[Org, Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path, _urls = fed
    config = load_config(path)
    queue_arn = f"arn:aws:sqs:us-east-1:{org.management}:their-siem"
    bucket_client(org, config, "s3").put_bucket_notification_configuration(
        Bucket=config.bucket.name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "their-siem", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    code, rows = _rows(path, capsys)
    assert code == 1
    row = rows["notification of fed-org-cloudtrail-logs"]
    assert row["status"] == "fail"
    assert row["found"] == f"not this module's: queue {queue_arn}"
    assert "another tool wrote the bucket's notification configuration" in row["fix"]
    assert "add its consumer under consumers:" in row["fix"]


def test_a_message_in_a_dead_letter_queue_is_a_log_file_never_ingested(
    fed: tuple[Org, Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path, urls = fed
    config = load_config(path)
    bucket_client(org, config, "sqs").send_message(
        QueueUrl=urls["org-trail-splunk-dlq"], MessageBody='{"Records": []}'
    )
    code, rows = _rows(path, capsys)
    assert code == 1
    row = rows["splunk: dead-letter queue org-trail-splunk-dlq"]
    assert row["status"] == "fail"
    assert row["found"].startswith("1 message(s): log files splunk failed to read 5 times")
    assert "log_consumer_splunk_role_policy" in row["fix"]
    assert "start-message-move-task" in row["fix"]
    assert rows["elastic: dead-letter queue org-trail-elastic-dlq"]["status"] == "ok"


def test_not_deployed_consumers_say_so(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    path = _config(tmp_path, org)
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    code, rows = _rows(path, capsys)
    assert code == 1
    assert rows["notification of fed-org-cloudtrail-logs"]["found"] == "none"
    assert rows["splunk: dead-letter queue org-trail-splunk-dlq"]["found"] == "not deployed"


def test_verify_policy_is_the_calls_verify_makes_with_consumers(
    fed: tuple[Org, Path, Any],
) -> None:
    _org, path, _urls = fed
    config = load_config(path)
    aws = Aws(region="us-east-1")
    verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    policy = verify_policy(config)
    assert called(aws) == actions_of(policy)
    (dlqs,) = [s for s in policy["Statement"] if s["Sid"] == "ReadConsumerDeadLetterQueues"]
    assert sorted(dlqs["Resource"]) == [
        f"arn:aws:sqs:us-east-1:{config.organization.management_account_id}:org-trail-{n}-dlq"
        for n in ("elastic", "splunk")
    ]


def test_the_log_archive_role_reads_the_consumers_there(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = seed_organization(aws_env, members=1)
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/OrgTrailLogArchiveDeployer"
    path = _config(tmp_path, org, f'log_archive:\n  account_id: "{archive}"\n  role_arn: {role}\n')
    config = load_config(path)
    deploy(org, config)
    deploy_consumers(org, config, path)
    fake_cloudwatch_delivery_status(monkeypatch)
    aws = Aws(region="us-east-1")
    results = verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    assert [r.status for r in results if r.check == "consumers"] == ["ok", "ok", "ok"]
    role_policy = log_archive_role_policy(config)
    assert role_policy is not None
    assert called(aws.assumed[role]) == actions_of(role_policy)
    assert {"s3:GetBucketNotification", "sqs:GetQueueUrl"} <= actions_of(role_policy)


EVENTBRIDGE = "    feed: eventbridge\n"


@pytest.fixture
def fed_by_rule(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Org, Path, Any]:
    """Elastic fed by EventBridge, Splunk by the topic: both ways deployed as generated.

    moto keeps a bucket's EventBridge switch but does not answer it: the emulator's patch
    (moto_patches, s3_notification_eventbridge) is put on this in-process server for the test.
    """
    from moto.s3.responses import S3Response

    monkeypatch.setattr(S3Response, "get_bucket_notification", S3Response.get_bucket_notification)
    moto_patches._s3_notification_eventbridge()
    org = seed_organization(aws_env, members=1)
    path = _config(tmp_path, org)
    path.write_text(
        path.read_text().replace('role/ElasticAgent"]\n', 'role/ElasticAgent"]\n' + EVENTBRIDGE)
    )
    config = load_config(path)
    assert [c.feed for c in config.consumers] == ["topic", "eventbridge"]
    deploy(org, config)
    urls = deploy_consumers(org, config, path)
    fake_cloudwatch_delivery_status(monkeypatch)
    return org, path, urls


def test_a_consumer_fed_by_its_rule_passes_when_the_rule_is_as_generated(
    fed_by_rule: tuple[Org, Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _org, path, _urls = fed_by_rule
    code, rows = _rows(path, capsys)
    assert code == 0, rows
    notification = rows["notification of fed-org-cloudtrail-logs"]
    assert (notification["status"], notification["found"]) == ("ok", "as generated")
    assert notification["expected"].endswith("; EventBridge on")
    rule = rows["elastic: rule org-trail-elastic"]
    assert (rule["status"], rule["found"]) == ("ok", "as generated")
    assert "org-trail-elastic-dlq" in rule["expected"]
    assert "splunk: rule org-trail-splunk" not in rows


def test_eventbridge_switched_off_by_another_tool_fails(
    fed_by_rule: tuple[Org, Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path, _urls = fed_by_rule
    config = load_config(path)
    s3 = bucket_client(org, config, "s3")
    live = s3.get_bucket_notification_configuration(Bucket=config.bucket.name)
    s3.put_bucket_notification_configuration(
        Bucket=config.bucket.name,
        NotificationConfiguration={"TopicConfigurations": live["TopicConfigurations"]},
    )
    code, rows = _rows(path, capsys)
    assert code == 1
    row = rows["notification of fed-org-cloudtrail-logs"]
    assert row["status"] == "fail"
    assert "EventBridge off" in row["found"] and "no consumer rule fires" in row["found"]


@pytest.mark.parametrize(
    ("damage", "found"),
    [
        (lambda events: events.disable_rule(Name="org-trail-elastic"), "state DISABLED"),
        (
            lambda events: events.put_rule(
                Name="org-trail-elastic",
                EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}),
            ),
            "another event pattern",
        ),
        (
            lambda events: events.remove_targets(
                Rule="org-trail-elastic", Ids=["orgtrail-gen-log-files"]
            ),
            "the rule tells nobody",
        ),
        (
            lambda events: (
                events.remove_targets(Rule="org-trail-elastic", Ids=["orgtrail-gen-log-files"]),
                events.delete_rule(Name="org-trail-elastic"),
            ),
            "not deployed",
        ),
    ],
    ids=["disabled", "pattern edited", "target removed", "rule deleted"],
)
def test_a_rule_changed_behind_terraform_fails_and_says_how(
    fed_by_rule: tuple[Org, Path, Any],
    capsys: pytest.CaptureFixture[str],
    damage: Any,
    found: str,
) -> None:
    org, path, _urls = fed_by_rule
    damage(bucket_client(org, load_config(path), "events"))
    code, rows = _rows(path, capsys)
    assert code == 1
    row = rows["elastic: rule org-trail-elastic"]
    assert row["status"] == "fail"
    assert found in row["found"], row
    assert "terraform apply" in row["fix"]


# --- a consumer that is a Lambda function: its subscription and its permission -------------


def _forwarder(org: Org, config: Config) -> str:
    """The Datadog Forwarder as its own stack makes it, in the bucket's account (moto runs no
    function without Docker, and none is invoked here)."""
    import io
    import zipfile

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = bucket_client(org, config, "iam").create_role(
        RoleName="DatadogForwarderRole", AssumeRolePolicyDocument=json.dumps(trust)
    )
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    return 1\n")
    return str(
        bucket_client(org, config, "lambda").create_function(
            FunctionName="DatadogForwarder",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="lambda_function.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
    )


@pytest.fixture
def fed_function(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Org, Path, str]:
    """A module with a function consumer, deployed as consumers.tf describes it."""
    org = seed_organization(aws_env, members=1)
    function = f"arn:aws:lambda:us-east-1:{org.management}:function:DatadogForwarder"
    path = _config(
        tmp_path,
        org,
        f"  - name: datadog\n"
        f'    roles: ["arn:aws:iam::{org.management}:role/DatadogForwarderRole"]\n'
        f"    lambda_function_arn: {function}\n",
    )
    config = load_config(path)
    deploy(org, config)
    assert _forwarder(org, config) == function
    deploy_consumers(org, config, path)
    parsed = build(path).parsed
    topic = f"arn:aws:sns:us-east-1:{org.management}:org-trail-log-files"
    (permission,) = parsed.of_type("resource", "aws_lambda_permission")
    bucket_client(org, config, "lambda").add_permission(
        FunctionName=literal(permission.body["function_name"]),
        StatementId=literal(permission.body["statement_id"]),
        Action=literal(permission.body["action"]),
        Principal=literal(permission.body["principal"]),
        SourceArn=topic,
        SourceAccount=literal(permission.body["source_account"]),
    )
    subscriptions = [
        s
        for s in parsed.of_type("resource", "aws_sns_topic_subscription")
        if literal(s.body["protocol"]) == "lambda"
    ]
    (subscription,) = subscriptions
    bucket_client(org, config, "sns").subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=literal(subscription.body["endpoint"])
    )
    fake_cloudwatch_delivery_status(monkeypatch)
    return org, path, function


def test_a_function_consumer_passes_when_subscribed_and_permitted(
    fed_function: tuple[Org, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _org, path, function = fed_function
    code, rows = _rows(path, capsys)
    assert code == 0, rows
    assert rows[f"datadog: subscription of {function}"]["found"] == "confirmed"
    assert rows[f"datadog: permission of {function}"]["found"] == "as generated"
    assert not [s for s in rows if s.startswith("datadog: dead-letter")]  # it has no queue


def test_a_function_whose_permission_its_owner_removed_fails(
    fed_function: tuple[Org, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path, function = fed_function
    bucket_client(org, load_config(path), "lambda").remove_permission(
        FunctionName=function, StatementId="orgtrail-gen-org-trail-log-files"
    )
    code, rows = _rows(path, capsys)
    row = rows[f"datadog: permission of {function}"]
    assert code == 1 and row["status"] == "fail"
    assert "SNS's every invocation is refused" in row["found"]


def test_a_function_no_longer_subscribed_fails(
    fed_function: tuple[Org, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path, function = fed_function
    sns = bucket_client(org, load_config(path), "sns")
    topic = f"arn:aws:sns:us-east-1:{org.management}:org-trail-log-files"
    for item in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        if item["Protocol"] == "lambda":
            sns.unsubscribe(SubscriptionArn=item["SubscriptionArn"])
    code, rows = _rows(path, capsys)
    row = rows[f"datadog: subscription of {function}"]
    assert code == 1 and (row["status"], row["found"]) == ("fail", "no subscription: never invoked")
