"""verify's consumers check: the bucket's notification is the generated one, no DLQ holds mail.

Why these two: a bucket has one notification configuration, and the common failure is another
tool (a SIEM's own setup script, a console click, a second Terraform module) writing its own
over this one - from then on no consumer is told of any log file, and nothing fails. And a
message in a consumer's dead-letter queue is a log file its SIEM failed to read
``max_receive_count`` times: it was never ingested. Both are read with the bucket's session
(the log-archive account's role when there is one), where Terraform manages them; names and
ARNs come from :mod:`generator.sections.consumers`, the code that renders consumers.tf.
"""

from __future__ import annotations

from typing import Any

from generator.aws.live import NOT_DEPLOYED, Live, Result
from generator.sections.consumers import EVENTS, NOTIFICATION_ID, SUFFIX, topic_arn
from generator.sections.consumers.model import DLQ_SUFFIX
from generator.sections.registry import facts_of

CHECK = "consumers"
_APPLY = "run `terraform apply`: consumers.tf differs from what is deployed"
_OVERWRITTEN = (
    "another tool wrote the bucket's notification configuration over this module's (a bucket "
    "has only one): add its consumer under consumers: in the config, then `terraform apply`"
)


def _filters(configuration: dict[str, Any]) -> dict[str, str]:
    rules = ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    return {str(rule.get("Name", "")).lower(): str(rule.get("Value", "")) for rule in rules}


def _others(answer: dict[str, Any]) -> list[str]:
    """Every destination of the live configuration that is not this module's topic."""
    found = [
        f"{kind} {item.get(field, '?')}"
        for kind, key, field in (
            ("queue", "QueueConfigurations", "QueueArn"),
            ("function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
            ("topic", "TopicConfigurations", "TopicArn"),
        )
        for item in answer.get(key) or []
        if item.get("Id") != NOTIFICATION_ID
    ]
    if answer.get("EventBridgeConfiguration") is not None:
        found.append("EventBridge")
    return found


def _notification(live: Live, expected_topic: str, prefix: str) -> Result:
    bucket = live.config.bucket.name
    answer = live.bucket_aws.call(
        "s3",
        "get_bucket_notification_configuration",
        region=live.home,
        missing=("NoSuchBucket",),
        Bucket=bucket,
    )
    want = f"topic {expected_topic}, {EVENTS[0]}, prefix {prefix}, suffix {SUFFIX}"
    if answer is None:
        return Result(CHECK, f"notification of {bucket}", "fail", want, NOT_DEPLOYED, _APPLY)
    ours = [t for t in answer.get("TopicConfigurations") or [] if t.get("Id") == NOTIFICATION_ID]
    others = _others(answer)
    if not ours:
        found = f"not this module's: {', '.join(others)}" if others else "none"
        fix = _OVERWRITTEN if others else _APPLY
        return Result(CHECK, f"notification of {bucket}", "fail", want, found, fix)
    (mine,) = ours
    filters = _filters(mine)
    differences = []
    if mine.get("TopicArn") != expected_topic:
        differences.append(f"topic {mine.get('TopicArn')}")
    if sorted(mine.get("Events") or []) != list(EVENTS):
        differences.append(f"events {mine.get('Events')}")
    if filters.get("prefix") != prefix or filters.get("suffix") != SUFFIX:
        differences.append(f"prefix {filters.get('prefix')}, suffix {filters.get('suffix')}")
    if others:
        differences.append(f"also {', '.join(others)} (not generated: the next apply removes them)")
    return Result(
        CHECK,
        f"notification of {bucket}",
        "fail" if differences else "ok",
        want,
        "; ".join(differences) or "as generated",
        _APPLY if differences else "",
    )


def _waiting(live: Live, queue: str, owner: str) -> int | None:
    """Messages in a queue (visible and in flight), or None when there is no such queue."""
    found = live.bucket_aws.call(
        "sqs",
        "get_queue_url",
        region=live.home,
        missing=("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"),
        QueueName=queue,
        QueueOwnerAWSAccountId=owner,
    )
    if found is None:
        return None
    attributes = live.bucket_aws.call(
        "sqs",
        "get_queue_attributes",
        region=live.home,
        QueueUrl=found["QueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    values = (attributes or {}).get("Attributes") or {}
    return int(values.get("ApproximateNumberOfMessages", 0)) + int(
        values.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def check_consumers(live: Live) -> list[Result]:
    """The notification as generated, and every consumer's dead-letter queue empty."""
    config = live.config
    if not config.consumers:
        return []
    facts = facts_of(config, live.arns)
    results = [
        _notification(live, topic_arn(facts), facts.arns.log_prefix(facts.arns.org_id)),
    ]
    for consumer in config.consumers:
        dlq = consumer.queue(config.trail.name) + DLQ_SUFFIX
        waiting = _waiting(live, dlq, facts.bucket_account)
        subject = f"{consumer.name}: dead-letter queue {dlq}"
        if waiting is None:
            results.append(Result(CHECK, subject, "fail", "empty", NOT_DEPLOYED, _APPLY))
        elif waiting:
            results.append(
                Result(
                    CHECK,
                    subject,
                    "fail",
                    "empty",
                    f"{waiting} message(s): log files {consumer.name} failed to read "
                    f"{consumer.max_receive_count} times, never ingested",
                    "fix the consumer's access (its role needs the identity policy of output "
                    f"log_consumer_{consumer.name}_role_policy if it is in another account), "
                    "then move the messages back: `aws sqs start-message-move-task "
                    "--source-arn <dead-letter queue ARN>`",
                )
            )
        else:
            results.append(Result(CHECK, subject, "ok", "empty", "empty"))
    return results
