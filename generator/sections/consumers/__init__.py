"""The consumers section: the log bucket's one notification configuration, fanned out.

It owns ``consumers.tf``: the bucket's ``aws_s3_bucket_notification`` (ObjectCreated of the
trail's files only: ``[prefix/]AWSLogs/<org-id>/`` and ``.json.gz``), one encrypted topic it
publishes to, and per consumer an encrypted queue with a dead-letter queue, the queue's policy
and the topic's subscription. Everything sits beside the bucket (in the log-archive account,
if there is one): S3 notifies only destinations of its own region, and the bucket's account
owns the notification. A consumer's roles are readers of the logs (``log_readers``): the
bucket policy and the trail key grant them as they grant ``bucket.readers``.

What S3 and SNS filters can tell apart, and what they cannot: a CloudTrail key reads
``AWSLogs/<org-id>/<account>/CloudTrail/...`` for log files and ``.../CloudTrail-Digest/...``
for digests, the account id in between. S3's filter takes one prefix and one suffix, and
SNS's filter operators (exact, prefix, suffix, anything-but, numeric, exists, cidr) have no
wildcard: neither can exclude digests (or Insights files) for every account. So every
consumer fed by the topic is told of every ``.json.gz`` under the organization's prefix, and
each SIEM skips digests by path (docs/consumers.md). The subscriptions' filter keeps S3's
``s3:TestEvent`` out (it has no ``Records``), and reads no key: S3 URL-encodes keys in events.
A consumer with ``feed: eventbridge`` is fed instead by an EventBridge rule of its own, which
can match the key with a wildcard (:mod:`.eventbridge`): log files only, digests if asked; the
notification then also sends the bucket's events to EventBridge, and the topic exists only
while some consumer is fed by it.
"""

from __future__ import annotations

import textwrap
from typing import Any, NamedTuple

from generator.core.arns import principal_account
from generator.render.hcl import Ref
from generator.render.policies import PolicyDocument
from generator.sections.addresses import BUCKET, label
from generator.sections.base import CheckovSkip, Output, Section, Skip, skips_for
from generator.sections.consumers import eventbridge, model, rules
from generator.sections.consumers.eventbridge import (
    MAX_EVENT_AGE_SECONDS,
    MAX_RETRY_ATTEMPTS,
    TARGET_ID,
    event_pattern,
    rule_arn,
)
from generator.sections.consumers.functions import (
    PERMISSION,
    FunctionView,
    function_outputs,
    function_view,
    subscribe_statement,
)
from generator.sections.consumers.model import DLQ_SUFFIX, RETENTION_SECONDS, Consumer
from generator.sections.consumers.policies import (
    dead_letter_policy,
    key_policy,
    queue_policy,
    role_policy,
    topic_policy,
)
from generator.sections.facts import ModuleFacts, known_accounts
from generator.sections.kms.model import default_key_alias

KEY = "aws_kms_key.log_consumers"
KEY_ALIAS = "aws_kms_alias.log_consumers"
TOPIC = "aws_sns_topic.log_files"
TOPIC_POLICY = "aws_sns_topic_policy.log_files"
NOTIFICATION = "aws_s3_bucket_notification.logs"
KEY_POLICY = "data.aws_iam_policy_document.log_consumers_kms"
# The id of the notification's one topic configuration: verify finds this module's
# configuration by it, and a configuration of another tool by any other id.
NOTIFICATION_ID = "orgtrail-gen-log-files"
EVENTS = ("s3:ObjectCreated:*",)
SUFFIX = ".json.gz"
# SNS filter (payload scope): S3's s3:TestEvent, sent when the configuration is put, has no
# Records and never reaches a consumer; every ObjectCreated event does. No key is matched:
# S3 URL-encodes keys in its events (S3 User Guide, "Event message structure").
FILTER_POLICY: dict[str, Any] = {
    "Records": {"eventSource": ["aws:s3"], "eventName": [{"prefix": "ObjectCreated:"}]}
}
VISIBILITY_SECONDS = 300  # a file is fetched, parsed and indexed before another reader sees it


def _has_consumers(facts: ModuleFacts) -> bool:
    return bool(facts.config.consumers)


SKIPS = (
    CheckovSkip(
        "CKV_AWS_109",
        KEY_POLICY,
        lambda f: "In a key policy, Resource * means this key only; admin is the account root",
        when=_has_consumers,
    ),
    CheckovSkip(
        "CKV_AWS_111",
        KEY_POLICY,
        lambda f: "In a key policy, Resource * means this key only; use needs SourceArn",
        when=_has_consumers,
    ),
    CheckovSkip(
        "CKV_AWS_356",
        KEY_POLICY,
        lambda f: "In a key policy, Resource * means this key only",
        when=_has_consumers,
    ),
)


def consumer_label(consumer: Consumer) -> str:
    """The Terraform label of a consumer's queue, queue policy and subscription."""
    return f"consumer_{consumer.name}"


class RuleView(NamedTuple):
    """A consumer fed by EventBridge: its rule, the rule's target, the dead-letter policy."""

    label: str
    name: str
    name_ref: str  # the target names its rule by reference, so it waits for it
    arn: str
    description: str
    digests: bool
    pattern: dict[str, Any]
    target_id: str
    max_event_age_seconds: int
    max_retry_attempts: int
    dlq_policy: PolicyDocument


class ConsumerView(NamedTuple):
    """One consumer: its queue and dead-letter queue, their policy, its subscription or rule."""

    name: str
    label: str
    dlq_label: str
    queue: str
    dlq: str
    queue_arn: str
    queue_ref: Ref
    queue_id: Ref
    dlq_ref: Ref
    dlq_id: Ref
    raw_message_delivery: bool
    max_receive_count: int
    policy: PolicyDocument
    role_policy: PolicyDocument | None
    note: tuple[str, ...]
    rule: RuleView | None  # None: fed by the topic


class TopicView(NamedTuple):
    """The log-file topic, when some consumer is fed by it."""

    label: str
    name: str
    ref: Ref
    policy_label: str
    policy: PolicyDocument


class ConsumersView(NamedTuple):
    """Everything consumers.tf prints."""

    files: tuple[str, ...]
    provider: str | None
    account: str
    key_label: str
    alias_label: str
    alias: str
    key_description: str
    deletion_window_in_days: int
    key_arn: Ref
    key_id: Ref
    key_policy: PolicyDocument
    key_policy_skips: tuple[Skip, ...]
    topic: TopicView | None
    eventbridge: bool
    notification_label: str
    bucket_id: Ref
    notification_id: str
    events: tuple[str, ...]
    filter_prefix: str
    filter_suffix: str
    filter_policy: dict[str, Any]
    visibility_timeout_seconds: int
    retention_seconds: int
    consumers: tuple[ConsumerView, ...]
    functions: tuple[FunctionView, ...]
    depends_on: tuple[Ref, ...]


def topic_name(trail_name: str) -> str:
    """The log-file topic: ``<trail>-log-files`` (SNS allows no '.')."""
    return f"{trail_name.replace('.', '-')}-log-files"[:256]


def topic_arn(facts: ModuleFacts) -> str:
    """The topic's ARN, spelled out (the policies name it; a reference would be a cycle)."""
    arns = facts.arns
    return (
        f"arn:{arns.partition}:sns:{arns.home_region}:{facts.bucket_account}:"
        f"{topic_name(arns.trail_name)}"
    )


def queue_arn(facts: ModuleFacts, queue: str) -> str:
    """A queue's ARN in the bucket's account and the home region."""
    arns = facts.arns
    return f"arn:{arns.partition}:sqs:{arns.home_region}:{facts.bucket_account}:{queue}"


def _note(facts: ModuleFacts, consumer: Consumer) -> tuple[str, ...]:
    """The comment above a consumer's queue: who reads, and who is outside the config."""
    known = known_accounts(facts.config)
    outside = sorted({principal_account(r) for r in consumer.roles} - known)
    verbs = ("receives",) if len(consumer.roles) == 1 else ("receive",)
    if consumer.feed == "eventbridge":
        digests = "digests too" if consumer.digests else "not digests"
        told = (
            f"an EventBridge event for every new log file ({digests}; rule "
            f"{consumer.rule(facts.config.trail.name)})"
        )
    else:
        told = "a message for every new log file (digests and Insights files too)"
    text = (
        f"Consumer {consumer.name}: {', '.join(consumer.roles)} {verbs[0]} {told}, and may "
        "read and decrypt every log file."
    )
    if outside:
        text += (
            f" Account {', '.join(outside)} is none of the config's accounts "
            f"({', '.join(sorted(known))}): the role also needs the identity policy of "
            f"output log_consumer_{consumer.name}_role_policy."
        )
    return tuple(textwrap.wrap(text, 96, break_on_hyphens=False))


def _rule(facts: ModuleFacts, consumer: Consumer, tag: str, dlq_arn: str) -> RuleView:
    name = consumer.rule(facts.config.trail.name)
    arn = rule_arn(facts.arns, facts.bucket_account, name)
    what = "log files and digests" if consumer.digests else "log files (not digests)"
    return RuleView(
        label=tag,
        name=name,
        name_ref=Ref(f"aws_cloudwatch_event_rule.{tag}.name"),
        arn=arn,
        description=f"CloudTrail organization trail {facts.config.trail.name}: new {what} "
        f"to consumer {consumer.name}'s queue",
        digests=bool(consumer.digests),
        pattern=event_pattern(facts.arns, bool(consumer.digests)),
        target_id=TARGET_ID,
        max_event_age_seconds=MAX_EVENT_AGE_SECONDS,
        max_retry_attempts=MAX_RETRY_ATTEMPTS,
        dlq_policy=dead_letter_policy(tag, dlq_arn, arn),
    )


def _consumer(facts: ModuleFacts, consumer: Consumer, topic: str) -> ConsumerView:
    config = facts.config
    queue = consumer.queue(config.trail.name)
    tag = consumer_label(consumer)
    arn = queue_arn(facts, queue)
    dlq = f"{queue}{DLQ_SUFFIX}"
    roles = tuple(sorted(set(consumer.roles)))
    elsewhere = any(principal_account(r) != facts.bucket_account for r in roles)
    rule = (
        _rule(facts, consumer, tag, queue_arn(facts, dlq))
        if consumer.feed == "eventbridge"
        else None
    )
    return ConsumerView(
        name=consumer.name,
        label=tag,
        dlq_label=f"{tag}_dlq",
        queue=queue,
        dlq=dlq,
        queue_arn=arn,
        queue_ref=Ref(f"aws_sqs_queue.{tag}.arn"),
        queue_id=Ref(f"aws_sqs_queue.{tag}.id"),
        dlq_ref=Ref(f"aws_sqs_queue.{tag}_dlq.arn"),
        dlq_id=Ref(f"aws_sqs_queue.{tag}_dlq.id"),
        raw_message_delivery=consumer.raw_message_delivery,
        max_receive_count=consumer.max_receive_count,
        policy=queue_policy(
            tag,
            arn,
            rule.arn if rule else topic,
            roles,
            eventbridge=rule is not None,
        ),
        role_policy=role_policy(
            facts.arns,
            tag,
            queue_arn=arn,
            bucket_account=facts.bucket_account,
            trail_key=facts.key_reference,
        )
        if elsewhere
        else None,
        note=_note(facts, consumer),
        rule=rule,
    )


def _depends_on(
    topic: TopicView | None,
    consumers: tuple[ConsumerView, ...],
    functions: tuple[FunctionView, ...],
) -> tuple[Ref, ...]:
    """What the notification waits for: every policy S3 checks, every way to a consumer."""
    depends = [Ref(TOPIC_POLICY)] if topic else []
    depends += [Ref(f"aws_sns_topic_subscription.{f.label}") for f in functions if f.same_account]
    for view in consumers:
        depends.append(Ref(f"aws_sqs_queue_policy.{view.label}"))
        if view.rule is None:
            depends.append(Ref(f"aws_sns_topic_subscription.{view.label}"))
        else:
            depends += [
                Ref(f"aws_sqs_queue_policy.{view.dlq_label}"),
                Ref(f"{eventbridge.TARGET}.{view.label}"),
            ]
    return tuple(depends)


def build(facts: ModuleFacts) -> ConsumersView | None:
    """The notification, topic, key and queues; None without ``consumers:``."""
    config = facts.config
    if not config.consumers:
        return None
    fed_by_topic = any(c.feed == "topic" for c in config.consumers)
    topic = topic_arn(facts)
    queue_key = Ref(f"{KEY}.arn")
    queued = [c for c in config.consumers if c.function is None]
    invoked = [c for c in config.consumers if c.function is not None]
    consumers = tuple(_consumer(facts, c, topic) for c in queued)
    functions = tuple(
        function_view(
            facts.arns,
            c,
            label=consumer_label(c),
            topic_arn=topic,
            topic_name=topic_name(config.trail.name),
            bucket_account=facts.bucket_account,
            known=known_accounts(config),
            filter_policy=FILTER_POLICY,
            trail_key=facts.key_reference,
        )
        for c in invoked
    )
    subscribers = tuple(
        subscribe_statement(topic, facts.arns.partition, c)
        for c in invoked
        if c.function is not None and c.function.account != facts.bucket_account
    )
    readers = tuple(sorted({r for c in queued for r in c.roles}))
    fed_by_rules = tuple(
        arn for v in consumers if v.rule for arn in (v.queue_arn, queue_arn(facts, v.dlq))
    )
    topic_view = (
        TopicView(
            label=label(TOPIC),
            name=topic_name(config.trail.name),
            ref=Ref(f"{TOPIC}.arn"),
            policy_label=label(TOPIC_POLICY),
            policy=topic_policy(facts.arns, topic, facts.bucket_account, subscribers),
        )
        if fed_by_topic
        else None
    )
    return ConsumersView(
        files=("consumers",),
        provider=facts.bucket_provider,
        account=facts.bucket_account,
        key_label=label(KEY),
        alias_label=label(KEY_ALIAS),
        alias=f"{default_key_alias(config)}-log-consumers",
        key_description=f"CloudTrail organization trail {config.trail.name}: "
        + (
            "the log-file topic and the consumers' queues"
            if fed_by_topic
            else "the consumers' queues"
        ),
        deletion_window_in_days=config.kms.deletion_window_in_days,
        key_arn=queue_key,
        key_id=Ref(f"{KEY}.key_id"),
        key_policy=key_policy(
            facts.arns,
            administrators=facts.administrators(facts.bucket_account),
            bucket_account=facts.bucket_account,
            topic_arn=topic if fed_by_topic else None,
            readers=readers,
            eventbridge_queues=fed_by_rules,
        ),
        key_policy_skips=tuple(skips_for(SKIPS, KEY_POLICY, facts)),
        topic=topic_view,
        eventbridge=bool(fed_by_rules),
        notification_label=label(NOTIFICATION),
        bucket_id=Ref(f"{BUCKET}.id"),
        notification_id=NOTIFICATION_ID,
        events=EVENTS,
        filter_prefix=facts.arns.log_prefix(facts.arns.org_id),
        filter_suffix=SUFFIX,
        filter_policy=FILTER_POLICY,
        visibility_timeout_seconds=VISIBILITY_SECONDS,
        retention_seconds=RETENTION_SECONDS,
        consumers=consumers,
        functions=functions,
        depends_on=_depends_on(topic_view, consumers, functions),
    )


def log_readers(facts: ModuleFacts) -> tuple[str, ...]:
    """Every consumer's roles: they read the logs as ``bucket.readers`` do."""
    return tuple(sorted({role for c in facts.config.consumers for role in c.roles}))


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The topic, and per consumer what it sets on its side: queue URL, ARN, role policy."""
    config = facts.config
    if not config.consumers:
        return ()
    found = []
    if any(c.feed == "topic" for c in config.consumers):
        found.append(Output("log_files_topic_arn", f"{TOPIC}.arn", "Told of every new log file."))
    for consumer in config.consumers:
        tag = consumer_label(consumer)
        if consumer.function is not None:
            found += function_outputs(consumer, facts.bucket_account)
            continue
        url = (
            f"The queue consumer {consumer.name} reads (Splunk: SQS queue; Elastic: queue_url)."
            if consumer.feed == "topic"
            else f"The queue consumer {consumer.name} reads (Elastic: queue_url); each message "
            "is an EventBridge event, the object in detail.object.key."
        )
        found += [
            Output(f"log_consumer_{consumer.name}_queue_url", f"aws_sqs_queue.{tag}.url", url),
            Output(
                f"log_consumer_{consumer.name}_queue_arn",
                f"aws_sqs_queue.{tag}.arn",
                f"The ARN of consumer {consumer.name}'s queue.",
            ),
        ]
        if any(principal_account(r) != facts.bucket_account for r in consumer.roles):
            found.append(
                Output(
                    f"log_consumer_{consumer.name}_role_policy",
                    f"data.aws_iam_policy_document.{tag}_role.json",
                    f"Attach to consumer {consumer.name}'s roles in their own account: read "
                    "and decrypt the log files, receive and decrypt the queue's messages.",
                )
            )
    return tuple(found)


def warnings(facts: ModuleFacts) -> list[str]:
    """An adopted bucket's notification configuration is replaced at apply."""
    config = facts.config
    adopt = config.adopt
    if not config.consumers or adopt is None or adopt.bucket is None:
        return []
    return [
        f"bucket {config.bucket.name} is adopted: its event notification configuration is "
        f"REPLACED at apply by {NOTIFICATION} (a bucket has only one): a notification another "
        "tool set stops; add its consumer under consumers: instead"
    ]


SECTION = Section(
    name="consumers",
    keys=("consumers",),
    templates=("consumers",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
    rules=rules,
    outputs=outputs,
    log_readers=log_readers,
    skips=SKIPS,
    resources={
        "aws_s3_bucket_notification": "bucket",
        "aws_sqs_queue": "bucket",
        "aws_sqs_queue_policy": "bucket",
        KEY: "bucket",
        KEY_ALIAS: "bucket",
        TOPIC: "bucket",
        TOPIC_POLICY: "bucket",
        "aws_sns_topic_subscription.consumer_*": "bucket",
        PERMISSION: "bucket",
        eventbridge.RULE: "bucket",
        eventbridge.TARGET: "bucket",
    },
)
