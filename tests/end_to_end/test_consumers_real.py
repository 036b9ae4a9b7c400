"""The SIEMs' queues, proven on the emulator: configs/log-archive.yaml applied by real Terraform.

After the module's apply and empty second plan (the shipped-module runs of
support/terraform_suite.py), support/consumer_delivery.py writes a log file and a digest as the
trail writes them, and two objects the trail never writes, into the bucket. configs/log-archive.yaml
feeds splunk through the topic (moto delivers S3 -> SNS -> SQS with the generated filters) and
elastic through EventBridge (S3 -> the default bus -> elastic's rule, wildcard pattern -> SQS).
The topic's queue must announce the log file exactly once and the digest once (S3's and SNS's
filters cannot tell a digest from a log file: the account id sits between the prefix and the
folder, docs/consumers.md), as S3 event notifications; the rule's queue the log file exactly
once and no digest (digests are not asked for), as EventBridge events; neither anything else,
and no message may reach a dead-letter queue. The empty second plan also covers the rule, its
target and the bucket's EventBridge switch. configs/log-archive.yaml's datadog consumer is a
Lambda function (the Datadog Forwarder, seeded before apply by generator/rehearse/seed_consumers.py):
after apply the topic has its confirmed lambda subscription, and the function's policy the
module's one statement (SNS, this topic, this account); the empty second plan covers both. moto
runs a function only in Docker: without it, each invocation SNS attempts is one log stream of the
function's log group ("error running docker"), counted here - one per log file and digest, none
for the rest - while no Forwarder code ran. Skipped, with the reason, without terraform or a
provider mirror.
"""

from __future__ import annotations

from typing import Any

import pytest
from support import terraform_suite
from support.terraform_suite import tools_or_skip

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="module")
def delivered(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the queues received after the four objects were put."""
    tools_or_skip()
    runs = terraform_suite.start(request.session)
    assert runs is not None
    outcome = runs.outcomes()["log-archive"]
    outcome.completed().reached("second plan")
    assert outcome.completed().second_plan_exit == 0, "the module must apply cleanly first"
    if outcome.followup is None:
        pytest.fail(f"the delivery test did not run: {outcome.followup_error}")
    return outcome.followup


def test_the_shipped_config_feeds_one_consumer_each_way(delivered: dict[str, Any]) -> None:
    assert delivered["feeds"] == {"splunk": "topic", "elastic": "eventbridge", "datadog": "topic"}


def test_the_topics_queue_announces_the_log_file_and_the_digest_once_each(
    delivered: dict[str, Any],
) -> None:
    put = delivered["put"]
    assert sorted(delivered["queues"]["splunk"]) == sorted([put["log file"], put["digest"]])
    assert delivered["shapes"]["splunk"] == ["s3 ObjectCreated:Put"]


def test_the_rules_queue_announces_the_log_file_once_and_no_digest(
    delivered: dict[str, Any],
) -> None:
    put = delivered["put"]
    assert delivered["queues"]["elastic"] == [put["log file"]]
    assert delivered["shapes"]["elastic"] == ["eventbridge Object Created"]


def test_an_object_outside_the_prefix_or_with_another_suffix_is_not_announced(
    delivered: dict[str, Any],
) -> None:
    put = delivered["put"]
    for keys in delivered["queues"].values():
        assert put["outside the prefix"] not in keys
        assert put["another suffix"] not in keys


FORWARDER = "arn:aws:lambda:eu-west-1:444455556666:function:DatadogForwarder"
TOPIC = "arn:aws:sns:eu-west-1:444455556666:org-trail-log-files"


def test_the_function_is_subscribed_to_the_topic_and_confirmed(delivered: dict[str, Any]) -> None:
    assert delivered["functions"]["datadog"]["subscriptions"] == [
        {"topic": TOPIC, "protocol": "lambda", "endpoint": FORWARDER, "confirmed": True}
    ]


def test_the_functions_policy_lets_only_the_topic_invoke_it(delivered: dict[str, Any]) -> None:
    (statement,) = delivered["functions"]["datadog"]["policy"]
    assert statement["Sid"] == "orgtrail-gen-org-trail-log-files"
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == FORWARDER
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == TOPIC
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == "444455556666"


def test_sns_tries_the_function_once_per_log_file_and_digest(delivered: dict[str, Any]) -> None:
    assert delivered["functions"]["datadog"]["attempts"] == 2


def test_no_message_reaches_a_dead_letter_queue(delivered: dict[str, Any]) -> None:
    assert delivered["dead_letter"] == {"splunk": [], "elastic": []}
