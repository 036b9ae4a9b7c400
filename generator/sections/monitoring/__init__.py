"""The monitoring section: CIS metric filters and alarms, their topic, saved Insights queries.

It owns ``monitoring.tf``, ``notifications.tf`` and ``queries.tf``. The CIS catalogue
(``cis``), the filter-pattern grammar that proves every pattern it ships (``filter_pattern``)
and the saved queries (``insights``) are pure data and functions beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from generator.monitoring import cis, insights
from generator.monitoring.names import monitoring_label, subscription_label
from generator.render import policies
from generator.render.hcl import Ref
from generator.sections.addresses import (
    ALARM_KEY,
    ALARM_KEY_ALIAS,
    ALARM_TOPIC,
    ALARM_TOPIC_POLICY,
    label,
)
from generator.sections.base import CheckovSkip, Output, Section, Skip, skips_for
from generator.sections.facts import ModuleFacts
from generator.sections.monitoring import model, rules

if TYPE_CHECKING:
    from generator.sections.registry import Config

ALARM_KEY_POLICY = "data.aws_iam_policy_document.alarms_kms"


SKIPS = (
    CheckovSkip(
        "CKV_AWS_109",
        ALARM_KEY_POLICY,
        lambda f: "In a key policy, Resource * means this key only; admin is the account root",
        when=lambda f: f.creates_alarm_topic,
    ),
    CheckovSkip(
        "CKV_AWS_111",
        ALARM_KEY_POLICY,
        lambda f: "In a key policy, Resource * means this key only; use needs the alarm's ARN",
        when=lambda f: f.creates_alarm_topic,
    ),
    CheckovSkip(
        "CKV_AWS_356",
        ALARM_KEY_POLICY,
        lambda f: "In a key policy, Resource * means this key only",
        when=lambda f: f.creates_alarm_topic,
    ),
)


def monitoring_notes(config: Config) -> list[str]:
    """What the monitoring section leaves to people, said before anyone applies.

    Terraform cannot confirm an email subscription, and it cannot change an existing topic's
    policy: until someone acts, alarms fire and reach nobody.
    """
    monitoring = config.monitoring
    if monitoring is None:
        return []
    notes = []
    topic = monitoring.notifications.topic
    subscriptions = topic.subscriptions if topic else []
    emails = [s.endpoint for s in subscriptions if s.protocol == "email"]
    if emails:
        notes.append(
            f"email subscriptions ({', '.join(emails)}) stay PendingConfirmation until each "
            "recipient follows the link AWS sends after apply; until then they receive no alarm"
        )
    hooks = [s.endpoint for s in subscriptions if s.protocol == "https"]
    if hooks:
        notes.append(
            f"https subscriptions ({', '.join(hooks)}) stay PendingConfirmation until the "
            "endpoint visits the SubscribeURL of the confirmation message SNS posts to it"
        )
    alarmed = monitoring.control_ids or monitoring.custom_filters
    created = monitoring.notifications.existing_topic_arn is None
    if alarmed and created and not (topic and topic.subscriptions):
        notes.append(
            "the alarm topic has no subscriptions: alarms fire and reach nobody until someone "
            "subscribes (monitoring.notifications.topic.subscriptions, or the alarm_topic_arn "
            "output); Security Hub and CIS want at least one confirmed subscriber"
        )
    logs = config.cloudwatch_logs
    if alarmed and logs and 0 < logs.retention_in_days < 365:
        notes.append(
            f"cloudwatch_logs.retention_in_days is {logs.retention_in_days}: Security Hub "
            "CloudWatch.16 wants the log group kept for at least 365 days"
        )
    existing = monitoring.notifications.existing_topic_arn
    if existing:
        notes.append(
            f"alarms notify {existing}, which is not managed here: its policy must allow "
            "cloudwatch.amazonaws.com sns:Publish and, if it is encrypted, its customer-managed "
            "key must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*"
        )
    return notes


class MetricFilter(NamedTuple):
    """A metric filter with its alarm: filter, metric and alarm share one name."""

    name: str
    pattern: str
    comment: str
    description: str
    threshold: int
    period: int
    evaluation_periods: int
    comparison: str
    label: str
    alarm_name: str


class Subscription(NamedTuple):
    """A subscription of the created topic."""

    label: str
    protocol: str
    endpoint: str


class Topic(NamedTuple):
    """The created alarm topic, its policy and its own key."""

    label: str
    name: str
    arn: str
    policy_label: str
    policy: policies.PolicyDocument
    key_label: str
    key_id: str
    key_arn: str
    ref: str
    alias_label: str
    alias: str
    key_description: str
    deletion_window_in_days: int
    key_policy: policies.PolicyDocument
    key_policy_skips: tuple[Skip, ...]
    subscriptions: tuple[Subscription, ...]
    has_email: bool


class Query(NamedTuple):
    """A saved Logs Insights query."""

    label: str
    name: str
    description: str
    query: str


class MonitoringView(NamedTuple):
    """What monitoring.tf, notifications.tf and queries.tf need."""

    files: tuple[str, ...]
    log_group: str
    namespace: str
    treat_missing_data: str
    filters: tuple[MetricFilter, ...]
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]
    existing_topic: str | None
    topic: Topic | None
    queries: tuple[Query, ...]


def metric_filters(config: Config) -> tuple[MetricFilter, ...]:
    """Every metric filter with its alarm: the chosen CIS controls, then the custom ones.

    Filter, metric and alarm share one name, so a reader (and OTG050-052) can pair them;
    the alarm name carries the trail's name because alarm names are unique per region.
    """
    monitoring = config.monitoring
    if monitoring is None:
        return ()
    alarms = monitoring.alarms

    def metric_filter(
        name: str,
        pattern: str,
        comment: str,
        description: str,
        threshold: int | None = None,
        period: int | None = None,
        evaluation_periods: int | None = None,
        comparison: str | None = None,
    ) -> MetricFilter:
        return MetricFilter(
            name=name,
            pattern=pattern,
            comment=comment,
            description=description,
            threshold=alarms.threshold if threshold is None else threshold,
            period=period or alarms.period,
            evaluation_periods=evaluation_periods or alarms.evaluation_periods,
            comparison=comparison or "GreaterThanOrEqualToThreshold",
            label=monitoring_label(name),
            alarm_name=f"{config.trail.name}-{name}",
        )

    chosen = set(monitoring.control_ids)
    result = []
    for control in cis.controls():
        if control.id not in chosen:
            continue
        flavour = control.flavour(monitoring.flavours.get(control.id))
        mapped = f", Security Hub {control.security_hub_id}" if control.security_hub_id else ""
        result.append(
            metric_filter(
                control.name,
                flavour.pattern,
                f"CIS {control.id}{mapped}: {control.title}. "
                f"Flavour {flavour.name}: {flavour.source}.",
                f"CIS {control.id}: {control.title}",
            )
        )
    for custom in monitoring.custom_filters:
        result.append(
            metric_filter(
                custom.name,
                custom.pattern,
                f"Custom filter {custom.name} (monitoring.custom_filters).",
                f"Custom filter {custom.name}",
                threshold=custom.threshold,
                period=custom.period,
                evaluation_periods=custom.evaluation_periods,
                comparison=custom.comparison,
            )
        )
    return tuple(result)


def _topic(facts: ModuleFacts) -> Topic:
    config = facts.config
    monitoring = config.monitoring
    topic = monitoring.notifications.topic if monitoring else None
    subscriptions = tuple(topic.subscriptions if topic else ())
    name = facts.alarm_topic_name
    return Topic(
        label=label(ALARM_TOPIC),
        name=name,
        arn=facts.alarm_topic_arn,
        policy_label=label(ALARM_TOPIC_POLICY),
        policy=policies.alarm_topic_policy(facts.arns, facts.alarm_topic_arn),
        key_label=label(ALARM_KEY),
        key_id=Ref(f"{ALARM_KEY}.key_id"),
        key_arn=Ref(f"{ALARM_KEY}.arn"),
        ref=Ref(f"{ALARM_TOPIC}.arn"),
        alias_label=label(ALARM_KEY_ALIAS),
        alias=f"alias/{name}"[:256],  # KMS: at most 256
        key_description=f"SNS topic {name}: CloudWatch alarms of the organization trail "
        f"{config.trail.name}",
        deletion_window_in_days=config.kms.deletion_window_in_days,
        key_policy=policies.alarm_key_policy(
            facts.arns, administrators=facts.administrators(facts.arns.management_account_id)
        ),
        key_policy_skips=tuple(skips_for(SKIPS, ALARM_KEY_POLICY, facts)),
        subscriptions=tuple(
            Subscription(
                label=subscription_label(s.protocol, s.endpoint),
                protocol=s.protocol,
                endpoint=s.endpoint,
            )
            for s in subscriptions
        ),
        has_email=any(s.protocol == "email" for s in subscriptions),
    )


def build(facts: ModuleFacts) -> MonitoringView | None:
    """Metric filters and alarms on the trail's log group, the topic, the saved queries.

    The created topic gets a key of its own rather than a grant on the trail's key: who
    may read alarms and who may read every account's logs are different duties.
    """
    monitoring = facts.config.monitoring
    log_group = facts.monitored_log_group
    if monitoring is None or log_group is None:
        return None
    existing = monitoring.notifications.existing_topic_arn
    action = existing or Ref(f"{ALARM_TOPIC}.arn")
    filters = metric_filters(facts.config)
    files = []
    if filters:
        files.append("monitoring")
        if existing is None:
            files.append("notifications")
    if monitoring.saved_queries:
        files.append("queries")
    return MonitoringView(
        files=tuple(files),
        log_group=log_group,
        namespace=monitoring.alarms.namespace,
        treat_missing_data=monitoring.alarms.treat_missing_data,
        filters=filters,
        alarm_actions=(action,),
        ok_actions=(action,) if monitoring.alarms.ok_actions else (),
        existing_topic=existing,
        topic=_topic(facts) if existing is None and filters else None,
        queries=tuple(
            Query(
                label=q.name.rsplit("/", 1)[1].replace("-", "_"),
                name=q.name,
                description=q.description,
                query=q.query,
            )
            for q in (insights.queries() if monitoring.saved_queries else ())
        ),
    )


def warnings(facts: ModuleFacts) -> list[str]:
    """What the monitoring section leaves to people (see :func:`monitoring_notes`)."""
    return monitoring_notes(facts.config)


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The alarm topic's ARN, when this module creates it (subscribe more there)."""
    if not facts.creates_alarm_topic:
        return ()
    return (
        Output(
            "alarm_topic_arn",
            f"{ALARM_TOPIC}.arn",
            "SNS topic the CIS alarms notify (subscribe more here).",
        ),
    )


SECTION = Section(
    name="monitoring",
    keys=("monitoring",),
    templates=("monitoring", "notifications", "queries"),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
    outputs=outputs,
    rules=rules,
    skips=SKIPS,
    resources={
        "aws_cloudwatch_log_metric_filter": "management",
        "aws_cloudwatch_metric_alarm": "management",
        "aws_cloudwatch_query_definition": "management",
        "aws_sns_topic": "management",
        "aws_sns_topic_policy": "management",
        "aws_sns_topic_subscription": "management",
    },
)
