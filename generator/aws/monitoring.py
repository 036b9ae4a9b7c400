"""verify's monitoring check: the metric filters, alarms and alarm topic the config asks for.

Why the generator's own view: filter names, patterns, alarm names, the namespace and the topic
ARN come from :mod:`generator.sections.monitoring`, the code that renders monitoring.tf, so
verify can never expect a name the module does not write. The calls are bounded whatever the
number of controls: DescribeMetricFilters by log group (50 per page), DescribeAlarms by name
in batches of 100, and ListSubscriptionsByTopic (100 per page).
"""

from __future__ import annotations

from typing import Any

from generator.aws.live import NOT_DEPLOYED, Live, Result
from generator.aws.session import NotFound
from generator.core.arns import arn_region
from generator.sections.facts import ModuleFacts
from generator.sections.monitoring import metric_filters
from generator.sections.registry import facts_of

CHECK = "monitoring"
ALARM_BATCH = 100  # DescribeAlarms accepts at most 100 AlarmNames
PENDING = "PendingConfirmation"  # SubscriptionArn of a subscription nobody confirmed yet
_APPLY = "run `terraform apply`: monitoring.tf differs from what is deployed"


def _filters(live: Live, group: str) -> dict[str, dict[str, Any]]:
    """The log group's metric filters by name; a missing group has none."""
    try:
        return {
            item["filterName"]: item
            for page in live.aws.pages(
                "logs",
                "describe_metric_filters",
                region=live.home,
                missing=("ResourceNotFoundException",),
                logGroupName=group,
            )
            for item in page.get("metricFilters", [])
        }
    except NotFound:
        return {}


def _alarms(live: Live, names: list[str]) -> dict[str, dict[str, Any]]:
    """The metric alarms with these names, asked for 100 names at a time."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), ALARM_BATCH):
        for page in live.aws.pages(
            "cloudwatch",
            "describe_alarms",
            region=live.home,
            AlarmNames=names[start : start + ALARM_BATCH],
            AlarmTypes=["MetricAlarm"],
        ):
            found.update({alarm["AlarmName"]: alarm for alarm in page.get("MetricAlarms", [])})
    return found


def _summary(kind: str, subject: str, total: int, failures: list[Result]) -> Result:
    return Result(
        CHECK,
        subject,
        "fail" if failures else "ok",
        f"{total} {kind}",
        f"{total - len(failures)} of {total} as generated",
    )


def _filter_results(live: Live, view: ModuleFacts, group: str) -> list[Result]:
    expected = metric_filters(view.config)
    namespace = view_namespace(view)
    found = _filters(live, group)
    failures = []
    for item in expected:
        name, live_filter = item.name, found.get(item.name)
        if live_filter is None:
            problem = "missing"
        else:
            transforms = live_filter.get("metricTransformations") or [{}]
            metric = (transforms[0].get("metricNamespace"), transforms[0].get("metricName"))
            differences = []
            if live_filter.get("filterPattern") != item.pattern:
                differences.append(f"pattern {live_filter.get('filterPattern')!r}")
            if metric != (namespace, name):
                differences.append(f"metric {metric[0]}/{metric[1]}")
            problem = ", ".join(differences)
        if problem:
            failures.append(
                Result(
                    CHECK,
                    f"filter {name}",
                    "fail",
                    f"pattern {item.pattern!r}, metric {namespace}/{name}",
                    problem,
                    _APPLY,
                )
            )
    return [
        _summary("metric filters", f"metric filters on {group}", len(expected), failures),
        *failures,
    ]


def view_namespace(view: ModuleFacts) -> str:
    """The namespace every generated metric is written to."""
    monitoring = view.config.monitoring
    return monitoring.alarms.namespace if monitoring else ""


def _alarm_results(live: Live, view: ModuleFacts, topic_arn: str) -> list[Result]:
    expected = metric_filters(view.config)
    monitoring = view.config.monitoring
    treat_missing = monitoring.alarms.treat_missing_data if monitoring else ""
    namespace = view_namespace(view)
    found = _alarms(live, [item.alarm_name for item in expected])
    failures = []
    for item in expected:
        alarm = found.get(item.alarm_name)
        if alarm is None:
            problem = "missing"
        else:
            wanted: list[tuple[str, object, object]] = [
                ("metric", f"{namespace}/{item.name}", f"{alarm.get('Namespace')}/"
                 f"{alarm.get('MetricName')}"),
                ("threshold", float(item.threshold), alarm.get("Threshold")),
                ("period", item.period, alarm.get("Period")),
                ("evaluation periods", item.evaluation_periods, alarm.get("EvaluationPeriods")),
                ("comparison", item.comparison, alarm.get("ComparisonOperator")),
                ("missing data", treat_missing, alarm.get("TreatMissingData")),
            ]  # fmt: skip
            differences = [f"{label} {got}" for label, want, got in wanted if want != got]
            if not alarm.get("ActionsEnabled"):
                differences.append("actions disabled")
            if topic_arn not in alarm.get("AlarmActions", []):
                differences.append(f"does not notify the topic ({alarm.get('AlarmActions', [])})")
            problem = ", ".join(differences)
        if problem:
            failures.append(
                Result(
                    CHECK,
                    f"alarm {item.alarm_name}",
                    "fail",
                    f"on {namespace}/{item.name}, actions enabled, notifying {topic_arn}",
                    problem,
                    _APPLY,
                )
            )
    return [_summary("alarms", "alarms", len(expected), failures), *failures]


def _subscriptions(live: Live, topic_arn: str) -> list[dict[str, Any]] | None:
    """The topic's subscriptions; None when the topic does not exist."""
    try:
        return [
            item
            for page in live.aws.pages(
                "sns",
                "list_subscriptions_by_topic",
                region=arn_region(topic_arn),
                missing=("NotFound",),
                TopicArn=topic_arn,
            )
            for item in page.get("Subscriptions", [])
        ]
    except NotFound:
        return None


def _topic_results(live: Live, topic_arn: str, created: bool) -> list[Result]:
    subscriptions = _subscriptions(live, topic_arn)
    if subscriptions is None:
        return [
            Result(
                CHECK,
                "alarm topic",
                "fail",
                topic_arn,
                "no such topic",
                "run `terraform apply` (notifications.tf)"
                if created
                else "fix monitoring.notifications.existing_topic_arn, or create that topic",
            )
        ]
    results = [Result(CHECK, "alarm topic", "ok", topic_arn, topic_arn)]
    pending = [s for s in subscriptions if s.get("SubscriptionArn") == PENDING]
    confirmed = len(subscriptions) - len(pending)
    found = f"{confirmed} confirmed" + (f", {len(pending)} pending" if pending else "")
    confirm = "confirm the subscription email: the recipient follows the link AWS sent"
    if confirmed:
        results.append(Result(CHECK, "topic subscriptions", "ok", "at least 1 confirmed", found))
    else:
        fix = (
            f"{confirm} (`aws sns list-subscriptions-by-topic --topic-arn {topic_arn}` lists who)"
            if pending
            else "subscribe someone: monitoring.notifications.topic.subscriptions, or "
            f"`aws sns subscribe --topic-arn {topic_arn}`"
        )
        results.append(
            Result(CHECK, "topic subscriptions", "fail", "at least 1 confirmed", found, fix)
        )
    # Who has not confirmed receives nothing: named one by one, as notes (the failure, if
    # nobody receives alarms, is the row above).
    results += [
        Result(
            CHECK,
            f"subscription {s.get('Protocol')} {s.get('Endpoint')}",
            "note",
            "confirmed",
            "pending confirmation",
            confirm,
        )
        for s in sorted(pending, key=lambda s: str(s.get("Endpoint")))
    ]
    return results


def check_monitoring(live: Live) -> list[Result]:
    """Every generated metric filter and alarm exists as generated; the topic reaches someone.

    The filters are read from the log group monitoring.tf puts them on: this module's, or,
    beside an owner's trail, the owner's by its real name (``owner_trail.log_group_arn``).
    """
    config = live.config
    view = facts_of(config, live.arns)
    group = (
        config.cloudwatch_logs.log_group_name
        if config.cloudwatch_logs
        else view.owner.log_group_name
        if view.owner
        else None
    )
    if config.monitoring is None or group is None or not view.has_alarms:
        return []
    topic_arn = view.alarm_topic_arn
    created = view.creates_alarm_topic
    filters = _filter_results(live, view, group)
    alarms = _alarm_results(live, view, topic_arn)
    topic = _topic_results(live, topic_arn, created)
    expected = len(metric_filters(config))
    none_exists = all(
        len(rows) == expected + 1 and all(r.found == "missing" for r in rows[1:])
        for rows in (filters, alarms)
    )
    if none_exists and (topic[0].status == "fail" or not created):
        # Before apply: one row for the layer, not a row per filter and alarm with its pattern.
        layer = Result(
            CHECK,
            "filters, alarms" + (", topic" if created else ""),
            "fail",
            f"{expected} metric filters, {expected} alarms"
            + (f", topic {topic_arn}" if created else ""),
            NOT_DEPLOYED,
            "run `terraform apply` (monitoring.tf" + (", notifications.tf)" if created else ")"),
        )
        return [layer] if created else [layer, *topic]
    return [*filters, *alarms, *topic]
