"""verify's consumers check: the bucket's notification is the generated one, no DLQ holds mail.

Why these: a bucket has one notification configuration, and the common failure is another
tool (a SIEM's own setup script, a console click, a second Terraform module) writing its own
over this one - from then on no consumer is told of any log file, and nothing fails. A consumer
fed by EventBridge (``feed: eventbridge``) depends on two more things nothing else watches:
the configuration's EventBridge switch, without which S3 sends no event to the bus, and its
rule with the generated pattern and its queue as target - a rule disabled, edited in the
console or stripped of its target tells the SIEM of nothing. And a message in a consumer's
dead-letter queue is a log file its SIEM failed to read ``max_receive_count`` times, or one
EventBridge could not deliver after a day of retries: it was never ingested. A consumer that is
a Lambda function (the Datadog Forwarder) has no queue: what can break silently is its
subscription (gone, or never confirmed - a function of another account is subscribed by that
account, from the printed commands) and, in the topic's account, the statement of the
function's policy that lets the topic invoke it (removed with the Forwarder's stack update,
every invocation is refused and nothing else says so). All are read
with the bucket's session (the log-archive account's role when there is one), where Terraform
manages them; names, ARNs and patterns come from :mod:`generator.sections.consumers`, the code
that renders consumers.tf.
"""

from __future__ import annotations

import json
from typing import Any

from generator.aws.live import NOT_DEPLOYED, Live, Result
from generator.aws.session import NotFound
from generator.sections.consumers import EVENTS, NOTIFICATION_ID, SUFFIX, queue_arn, topic_arn
from generator.sections.consumers.eventbridge import event_pattern
from generator.sections.consumers.model import DLQ_SUFFIX, Consumer
from generator.sections.facts import ModuleFacts
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


def _others(answer: dict[str, Any], eventbridge: bool) -> list[str]:
    """Every destination of the live configuration that is not this module's."""
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
    if answer.get("EventBridgeConfiguration") is not None and not eventbridge:
        found.append("EventBridge")
    return found


def _wanted(expected_topic: str | None, eventbridge: bool, prefix: str) -> str:
    parts = [f"topic {expected_topic}, {EVENTS[0]}, prefix {prefix}, suffix {SUFFIX}"]
    return "; ".join(
        (parts if expected_topic else []) + (["EventBridge on"] if eventbridge else [])
    )


def _notification(live: Live, expected_topic: str | None, eventbridge: bool, prefix: str) -> Result:
    bucket = live.config.bucket.name
    subject = f"notification of {bucket}"
    answer = live.bucket_aws.call(
        "s3",
        "get_bucket_notification_configuration",
        region=live.home,
        missing=("NoSuchBucket",),
        Bucket=bucket,
    )
    want = _wanted(expected_topic, eventbridge, prefix)
    if answer is None:
        return Result(CHECK, subject, "fail", want, NOT_DEPLOYED, _APPLY)
    ours = [t for t in answer.get("TopicConfigurations") or [] if t.get("Id") == NOTIFICATION_ID]
    others = _others(answer, eventbridge)
    switched_on = answer.get("EventBridgeConfiguration") is not None
    if not ours and not (eventbridge and switched_on):
        found = f"not this module's: {', '.join(others)}" if others else "none"
        fix = _OVERWRITTEN if others else _APPLY
        return Result(CHECK, subject, "fail", want, found, fix)
    differences = []
    if expected_topic and not ours:
        differences.append("no topic configuration of this module")
    for mine in ours:
        if not expected_topic:
            differences.append(f"also topic {mine.get('TopicArn')} (no consumer is fed by it)")
            continue
        filters = _filters(mine)
        if mine.get("TopicArn") != expected_topic:
            differences.append(f"topic {mine.get('TopicArn')}")
        if sorted(mine.get("Events") or []) != list(EVENTS):
            differences.append(f"events {mine.get('Events')}")
        if filters.get("prefix") != prefix or filters.get("suffix") != SUFFIX:
            differences.append(f"prefix {filters.get('prefix')}, suffix {filters.get('suffix')}")
    if eventbridge and not switched_on:
        differences.append("EventBridge off: S3 sends no event to the bus, no consumer rule fires")
    if others:
        differences.append(f"also {', '.join(others)} (not generated: the next apply removes them)")
    return Result(
        CHECK,
        subject,
        "fail" if differences else "ok",
        want,
        "; ".join(differences) or "as generated",
        _APPLY if differences else "",
    )


def _rule(live: Live, facts: ModuleFacts, consumer: Consumer) -> Result:
    """The consumer's rule: enabled, the generated pattern, its queue the target."""
    trail = live.config.trail.name
    name = consumer.rule(trail)
    queue = consumer.queue(trail)
    target, dlq = queue_arn(facts, queue), queue_arn(facts, queue + DLQ_SUFFIX)
    subject = f"{consumer.name}: rule {name}"
    want = f"enabled, the generated pattern, target {target} (dead letters to {dlq})"
    answer = live.bucket_aws.call(
        "events",
        "describe_rule",
        region=live.home,
        missing=("ResourceNotFoundException",),
        Name=name,
    )
    if answer is None:
        return Result(CHECK, subject, "fail", want, NOT_DEPLOYED, _APPLY)
    differences = []
    if answer.get("State") != "ENABLED":
        differences.append(f"state {answer.get('State')}: no event reaches the queue")
    try:
        pattern = json.loads(answer.get("EventPattern") or "null")
    except ValueError:
        pattern = None
    if pattern != event_pattern(facts.arns, bool(consumer.digests)):
        differences.append(f"another event pattern: {answer.get('EventPattern')}")
    listed = (
        live.bucket_aws.call("events", "list_targets_by_rule", region=live.home, Rule=name) or {}
    )
    targets = [t for t in listed.get("Targets") or [] if t.get("Arn") == target]
    if not targets:
        differences.append(f"no target {target}: the rule tells nobody")
    elif (targets[0].get("DeadLetterConfig") or {}).get("Arn") != dlq:
        differences.append("no dead-letter queue: an event it cannot deliver is dropped")
    return Result(
        CHECK,
        subject,
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


def _dead_letters(live: Live, facts: ModuleFacts, consumer: Consumer) -> Result:
    dlq = consumer.queue(live.config.trail.name) + DLQ_SUFFIX
    waiting = _waiting(live, dlq, facts.bucket_account)
    subject = f"{consumer.name}: dead-letter queue {dlq}"
    if waiting is None:
        return Result(CHECK, subject, "fail", "empty", NOT_DEPLOYED, _APPLY)
    if not waiting:
        return Result(CHECK, subject, "ok", "empty", "empty")
    undelivered = (
        " or events EventBridge could not deliver to the queue"
        if consumer.feed == "eventbridge"
        else ""
    )
    return Result(
        CHECK,
        subject,
        "fail",
        "empty",
        f"{waiting} message(s): log files {consumer.name} failed to read "
        f"{consumer.max_receive_count} times{undelivered}, never ingested",
        "fix the consumer's access (its role needs the identity policy of output "
        f"log_consumer_{consumer.name}_role_policy if it is in another account), "
        "then move the messages back: `aws sqs start-message-move-task "
        "--source-arn <dead-letter queue ARN>`",
    )


def _subscription(live: Live, topic: str, consumer: Consumer) -> Result:
    """The function's subscription on the topic: there, and confirmed."""
    function = consumer.function
    assert function is not None
    subject = f"{consumer.name}: subscription of {function.arn}"
    want = f"on {topic}, protocol lambda, confirmed"
    try:
        found = [
            s
            for page in live.bucket_aws.pages(
                "sns",
                "list_subscriptions_by_topic",
                region=live.home,
                missing=("NotFound",),
                TopicArn=topic,
            )
            for s in page.get("Subscriptions") or []
            if s.get("Protocol") == "lambda" and s.get("Endpoint") == function.arn
        ]
    except NotFound:
        return Result(CHECK, subject, "fail", want, NOT_DEPLOYED, _APPLY)
    elsewhere = function.account != topic.split(":")[4]
    fix = (
        f"run output log_consumer_{consumer.name}_setup's commands in account {function.account}"
        if elsewhere
        else _APPLY
    )
    if not found:
        return Result(CHECK, subject, "fail", want, "no subscription: never invoked", fix)
    if all(s.get("SubscriptionArn") == "PendingConfirmation" for s in found):
        return Result(CHECK, subject, "fail", want, "pending confirmation: never invoked", fix)
    return Result(CHECK, subject, "ok", want, "confirmed")


def _permission(live: Live, topic: str, consumer: Consumer) -> Result:
    """The function's policy lets the topic invoke it (the module's own statement)."""
    function = consumer.function
    assert function is not None
    subject = f"{consumer.name}: permission of {function.arn}"
    want = f"sns.amazonaws.com may lambda:InvokeFunction from {topic}"
    qualifier: dict[str, Any] = {"Qualifier": function.qualifier} if function.qualifier else {}
    answer = live.bucket_aws.call(
        "lambda",
        "get_policy",
        region=live.home,
        missing=("ResourceNotFoundException",),
        FunctionName=function.unqualified,
        **qualifier,
    )
    try:
        policy = json.loads((answer or {}).get("Policy") or "{}")
    except ValueError:
        policy = {}
    statements = policy.get("Statement") or []
    if not any(_invokes(s, topic) for s in statements):
        found = "no such statement" if answer else "no function policy (or no function)"
        return Result(
            CHECK, subject, "fail", want, f"{found}: SNS's every invocation is refused", _APPLY
        )
    return Result(CHECK, subject, "ok", want, "as generated")


def _invokes(statement: dict[str, Any], topic: str) -> bool:
    """Whether a function policy statement lets SNS invoke for this topic (source ARN pinned)."""
    principal = statement.get("Principal") or {}
    service = principal.get("Service") if isinstance(principal, dict) else None
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    sources = [
        item
        for keys in (statement.get("Condition") or {}).values()
        if isinstance(keys, dict)
        for key, value in keys.items()
        if key.lower() == "aws:sourcearn"
        for item in (value if isinstance(value, list) else [value])
    ]
    return (
        statement.get("Effect") == "Allow"
        and service == "sns.amazonaws.com"
        and "lambda:InvokeFunction" in actions
        and topic in sources
    )


def check_consumers(live: Live) -> list[Result]:
    """The notification as generated, each consumer's rule as generated, every DLQ empty."""
    config = live.config
    if not config.consumers:
        return []
    facts = facts_of(config, live.arns)
    fed_by_topic = any(c.feed == "topic" for c in config.consumers)
    eventbridge = any(c.feed == "eventbridge" for c in config.consumers)
    results = [
        _notification(
            live,
            topic_arn(facts) if fed_by_topic else None,
            eventbridge,
            facts.arns.log_prefix(facts.arns.org_id),
        ),
    ]
    for consumer in config.consumers:
        if consumer.function is not None:
            results.append(_subscription(live, topic_arn(facts), consumer))
            if consumer.function.account == facts.bucket_account:
                results.append(_permission(live, topic_arn(facts), consumer))
            continue
        if consumer.feed == "eventbridge":
            results.append(_rule(live, facts, consumer))
        results.append(_dead_letters(live, facts, consumer))
    return results
