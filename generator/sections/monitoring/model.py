"""The monitoring section: CIS metric filters, alarms, notifications, saved queries."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr

from generator.config.fields import Issue, StrictModel, _match
from generator.config.regions import partition_of
from generator.core.arns import arn_partition as arn_partition_of

if TYPE_CHECKING:
    from generator.sections.registry import Config


# --- monitoring (CIS metric filters, alarms, notifications, saved queries) --------------------

# CloudWatch alarm periods (botocore PutMetricAlarm ``Period``): 10, 20, 30 or a multiple of 60.
_HIGH_RESOLUTION_PERIODS = (10, 20, 30)


_EMAIL_RE = re.compile(r"[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


_HTTPS_RE = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s]*)?")


_SQS_ARN_RE = re.compile(r"arn:(aws[a-z-]*):sqs:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,80}(?:\.fifo)?")


_LAMBDA_ARN_RE = re.compile(
    r"arn:(aws[a-z-]*):lambda:([a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)


_TOPIC_ARN_RE = re.compile(r"arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}")


def _filter_pattern(value: str) -> str:
    """Parse a custom pattern with the same grammar the CIS catalogue is proven with.

    Imported here, not at module level: building the grammar costs time that a config without
    custom filters never pays.
    """
    from generator.monitoring.filter_pattern import parse

    parse(value)  # FilterPatternError is a ValueError: pydantic reports it on this key
    return value


# Used as metric filter name, metric name and (behind the trail's name) alarm name, and turned
# into a Terraform label: the strictest of those rules (botocore FilterName, MetricName,
# PutMetricAlarm AlarmName), which also keeps the alarm name within 255 characters.
FilterName = Annotated[
    StrictStr,
    _match(
        r"[A-Za-z][A-Za-z0-9_.-]{0,99}",
        "1-100 characters from A-Z a-z 0-9 _ . -, starting with a letter (used as metric "
        "filter, metric and alarm name)",
    ),
]


Comparison = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]


class CustomFilter(StrictModel):
    """A metric filter of your own on the central log group, with its alarm."""

    name: FilterName = Field(
        description="1-100 of A-Z a-z 0-9 _ . -: the filter's, metric's and alarm's name."
    )
    pattern: Annotated[StrictStr, AfterValidator(_filter_pattern)] = Field(
        description=(
            "A CloudWatch Logs JSON filter pattern, { ... }, at most 1024 characters. It is "
            "parsed when the config is validated: a syntax error names its column."
        )
    )
    threshold: Annotated[StrictInt, Field(ge=0)] | None = Field(
        default=None, description="Alarm threshold; default monitoring.alarms.threshold."
    )
    period: StrictInt | None = Field(
        default=None, description="Alarm period in seconds; default monitoring.alarms.period."
    )
    evaluation_periods: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None, description="Default monitoring.alarms.evaluation_periods."
    )
    comparison: Comparison | None = Field(
        default=None, description="Default GreaterThanOrEqualToThreshold."
    )


class AlarmSettings(StrictModel):
    """How every alarm judges its metric (aws-facts.md §7.5: one event in five minutes alarms)."""

    # CloudWatch namespaces are ASCII (PutMetricData); botocore's logs model forbids : * $.
    namespace: Annotated[
        StrictStr,
        _match(r"(?:(?![:*$])[ -~]){1,255}", "1-255 printable ASCII characters, none of : * $"),
    ] = Field(default="CISBenchmark", description="CloudWatch namespace of every metric.")
    period: StrictInt = Field(default=300, description="10, 20, 30 or a multiple of 60 seconds.")
    threshold: Annotated[StrictInt, Field(ge=0)] = Field(
        default=1, description="Alarm when the metric reaches this count in a period."
    )
    evaluation_periods: Annotated[StrictInt, Field(ge=1)] = Field(
        default=1, description="Periods over which the threshold is compared."
    )
    treat_missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = Field(
        default="notBreaching",
        description="A quiet period has no data points; notBreaching keeps the alarm OK.",
    )
    ok_actions: StrictBool = Field(
        default=False, description="Also notify when an alarm returns to OK."
    )


class Subscription(StrictModel):
    """One subscriber of the alarm topic."""

    protocol: Literal["email", "https", "sqs", "lambda"] = Field(
        description="How SNS delivers to the endpoint."
    )
    endpoint: StrictStr = Field(
        description=(
            "email: an address (stays PendingConfirmation until the recipient confirms); "
            "https: a URL; sqs: a queue ARN; lambda: a function ARN, both in the trail's "
            "partition (SNS delivers to queues and functions in other regions too)."
        )
    )


class CreatedTopic(StrictModel):
    """An SNS topic created here, encrypted with its own customer-managed key."""

    name: (
        Annotated[
            StrictStr, _match(r"[A-Za-z0-9_-]{1,256}", "1-256 characters from A-Z a-z 0-9 _ -")
        ]
        | None
    ) = Field(default=None, description="Default <trail name>-alarms.")
    subscriptions: list[Subscription] = Field(
        default_factory=list, description="Who the alarms notify."
    )


class Notifications(StrictModel):
    """Where alarms notify: a topic created here (default) or an existing topic."""

    topic: CreatedTopic | None = Field(
        default=None, description="Create the topic (the default when existing_topic_arn is unset)."
    )
    existing_topic_arn: StrictStr | None = Field(
        default=None,
        description=(
            "Publish to this topic instead; its policy (and key, if encrypted) must admit "
            "cloudwatch.amazonaws.com."
        ),
    )


def _cis_selection(value: object) -> str | list[str]:
    """'all', 'none' or a list of id strings, as ONE rule: a union would report each arm."""
    if value in ("all", "none"):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError("expected 'all', 'none' or a list of CIS ids such as ['4.1', '4.3']")


# object + one validator: a union type would report an error once per arm, on made-up paths.
CisSelection = Annotated[object, AfterValidator(_cis_selection)]


class Monitoring(StrictModel):
    """CIS metric filters and alarms on the central log group, their notifications, queries."""

    cis_controls: CisSelection = Field(
        default="all",
        description="'all', 'none', or CIS ids such as ['4.1', '4.15'].",
        json_schema_extra={
            "anyOf": [
                {"enum": ["all", "none"], "type": "string"},
                {"items": {"type": "string"}, "type": "array"},
            ]
        },
    )
    flavours: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        description="Flavour per control where the sources disagree: {'4.10': 'securityhub'}.",
    )
    custom_filters: list[CustomFilter] = Field(
        default_factory=list, description="Your own filters and alarms on the same log group."
    )
    alarms: AlarmSettings = Field(
        default_factory=AlarmSettings, description="How every alarm judges its metric."
    )
    notifications: Notifications = Field(
        default_factory=Notifications, description="Where the alarms notify."
    )
    saved_queries: StrictBool = Field(
        default=True, description="Logs Insights queries for the common investigations."
    )

    @property
    def control_ids(self) -> list[str]:
        """The selected CIS control ids, in the order given ('all': benchmark order)."""
        from generator.monitoring.cis import controls

        if isinstance(self.cis_controls, list):
            return [str(control_id) for control_id in self.cis_controls]
        return [c.id for c in controls()] if self.cis_controls == "all" else []


def cross_field_issues(config: Config) -> list[Issue]:
    """Rules of the monitoring section that relate several fields or need the catalogue."""
    from generator.monitoring import cis
    from generator.monitoring.names import monitoring_label

    monitoring = config.monitoring
    if monitoring is None:
        return []
    issues: list[Issue] = []
    where = ("monitoring",)
    # Beside an owner's trail the filters go on its log group (owner_trail's own rule).
    if config.cloudwatch_logs is None and config.owner_trail is None:
        issues.append(
            (
                where,
                "monitoring needs the cloudwatch_logs section: metric filters and queries run on "
                "the log group the trail delivers to. Add cloudwatch_logs, or remove monitoring",
            )
        )
    chosen = monitoring.control_ids
    for i, control_id in enumerate(chosen if isinstance(monitoring.cis_controls, list) else []):
        try:
            cis.control(control_id)
        except cis.CatalogueError as exc:
            issues.append(((*where, "cis_controls", i), str(exc)))
        if control_id in chosen[:i]:
            issues.append(((*where, "cis_controls", i), f"{control_id} is listed twice"))
    for control_id, flavour in monitoring.flavours.items():
        path = (*where, "flavours", control_id)
        try:
            control = cis.control(control_id)
        except cis.CatalogueError as exc:
            issues.append((path, str(exc)))
            continue
        if control_id not in chosen:
            issues.append((path, f"CIS {control_id} is not selected in monitoring.cis_controls"))
            continue
        try:
            control.flavour(flavour)
        except cis.CatalogueError as exc:
            issues.append((path, str(exc)))
    taken = {
        monitoring_label(c.name): f"CIS {c.id}" for c in cis.controls() if c.id in chosen
    }  # metric names share one namespace: a custom filter must not count into a CIS metric
    for i, custom in enumerate(monitoring.custom_filters):
        label = monitoring_label(custom.name)
        if label in taken:
            issues.append(
                (
                    (*where, "custom_filters", i, "name"),
                    f"{custom.name!r} is already the name of {taken[label]} (names are compared "
                    "case-insensitively, with . - _ alike); choose another",
                )
            )
        taken[label] = f"custom filter {custom.name!r}"
    periods: list[tuple[tuple[str | int, ...], int]] = [
        ((*where, "alarms", "period"), monitoring.alarms.period)
    ]
    periods += [
        ((*where, "custom_filters", i, "period"), c.period)
        for i, c in enumerate(monitoring.custom_filters)
        if c.period is not None
    ]
    for period_path, period in periods:
        if period not in _HIGH_RESOLUTION_PERIODS and not (period > 0 and period % 60 == 0):
            issues.append(
                (
                    period_path,
                    f"{period} is not an alarm period: use 10, 20, 30 or a multiple of 60",
                )
            )
    issues.extend(_notification_issues(config, monitoring.notifications))
    return issues


def _notification_issues(config: Config, notifications: Notifications) -> list[Issue]:
    """The topic: created or existing (not both), its ARN and its subscribers' endpoints."""
    from generator.monitoring.names import subscription_label

    issues: list[Issue] = []
    where = ("monitoring", "notifications")
    partition = partition_of(config.trail.home_region)
    home = config.trail.home_region
    arn = notifications.existing_topic_arn
    if arn is not None:
        match = _TOPIC_ARN_RE.fullmatch(arn)
        if notifications.topic is not None:
            issues.append(
                ((*where, "existing_topic_arn"), "set either topic or existing_topic_arn, not both")
            )
        if match is None:
            issues.append(
                (
                    (*where, "existing_topic_arn"),
                    f"{arn!r} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:"
                    "<name>)",
                )
            )
        elif partition and match[1] != partition.name:
            issues.append(
                ((*where, "existing_topic_arn"), f"not in the trail's partition {partition.name}")
            )
        elif match[2] != home:
            issues.append(
                (
                    (*where, "existing_topic_arn"),
                    f"the topic is in {match[2]}, the alarms in {home}: an alarm notifies a topic "
                    "in its own region only",
                )
            )
    topic = notifications.topic
    labels: dict[str, str] = {}
    for i, subscription in enumerate(topic.subscriptions if topic else []):
        path = (*where, "topic", "subscriptions", i, "endpoint")
        endpoint = subscription.endpoint
        label = subscription_label(subscription.protocol, endpoint)
        if label in labels:
            twice = labels[label] == endpoint
            issues.append(
                (
                    path,
                    f"{subscription.protocol} {endpoint} is subscribed twice"
                    if twice
                    else f"{endpoint} and {labels[label]} would share the Terraform address "
                    f"aws_sns_topic_subscription.{label}; subscribe only one of them here",
                )
            )
        labels[label] = endpoint
        problem = _endpoint_problem(subscription.protocol, endpoint)
        arn_partition = arn_partition_of(endpoint)
        if problem is not None:
            issues.append((path, problem))
        elif partition and arn_partition is not None and arn_partition != partition.name:
            issues.append((path, f"not in the trail's partition {partition.name}"))
    return issues


def _endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why ``endpoint`` cannot receive ``protocol`` notifications, or None."""
    rules = {
        "email": (_EMAIL_RE, "an email address such as security@example.com"),
        "https": (_HTTPS_RE, "an https:// URL without spaces"),
        "sqs": (_SQS_ARN_RE, "an SQS queue ARN, arn:<partition>:sqs:<region>:<account>:<queue>"),
        "lambda": (
            _LAMBDA_ARN_RE,
            "a Lambda function ARN, arn:<partition>:lambda:<region>:<account>:function:<name>",
        ),
    }
    pattern, expected = rules[protocol]
    if pattern.fullmatch(endpoint):
        return None
    return f"{endpoint!r} is not valid for protocol {protocol}: expected {expected}"
