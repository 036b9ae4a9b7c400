"""What the trail records (``trail.events``), as CloudTrail's advanced event selectors.

Management events, data events, network activity events and CloudTrail Insights.

Why a field of ``trail`` and not a top-level section: selectors and Insights are arguments of the
one ``aws_cloudtrail`` resource, and they only mean something together with the trail's bucket
(its own deliveries must never be recorded). Omitted, nothing changes: the trail has no selector
and records what CloudTrail records by default, every management event, read and write.

Why our own selector model rather than raw CloudTrail JSON: the selectors this module writes are
built here (:func:`selectors`), so that every S3-object selector excludes the log bucket and the
access-log bucket (an organization trail that records its own deliveries writes an event per
delivered file, for ever: LZA#1192). A user's ``field_selectors`` add conditions, checked the way
CloudTrail checks them (fields per event category, operators per field, value limits), so a
mistake is a located error at ``validate`` rather than InvalidEventSelectorsException at apply.

This module cannot import ``generator.config.model`` (which imports it for ``Trail.events``), so
it has its own strict base with the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from generator.config.regions import partition_of

if TYPE_CHECKING:
    from generator.config.model import Config

# The exact name prowler's multi-region management-events check looks for (aws-facts.md 11.3).
MANAGEMENT_SELECTOR_NAME = "Management events selector"
# The only management event sources CloudTrail lets a trail exclude (API AdvancedFieldSelector).
EXCLUDABLE_SOURCES = ("kms.amazonaws.com", "rdsdata.amazonaws.com")
# PutEventSelectors quota: values of all conditions of all advanced selectors of one trail.
MAX_SELECTOR_VALUES = 500
MAX_VALUE_LENGTH = 2048
# Resource types whose resources.ARN is an S3 object ARN: where the log bucket could be recorded.
S3_OBJECT_TYPES = ("AWS::S3::Object",)
# The user's extra conditions, per event category. eventCategory, resources.type and the
# network event's eventSource are written from resource_type / event_source. Only fields that
# both provider 5.100 (the real-Terraform tests) and 6.x accept: errorCode, vpcEndpointId,
# eventType, sessionCredentialFromConsole and userIdentity.arn arrived in provider 6.2.0.
DATA_FIELDS = ("eventName", "eventSource", "readOnly", "resources.ARN")
NETWORK_FIELDS = ("eventName",)
OPERATORS = ("equals", "not_equals", "starts_with", "not_starts_with", "ends_with", "not_ends_with")
# CloudTrail: readOnly, eventCategory and resources.type accept Equals only.
EQUALS_ONLY = ("readOnly", "eventCategory", "resources.type")
KNOWN_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table")

Issues = list[tuple[tuple[str | int, ...], str]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Value = Annotated[StrictStr, Field(min_length=1, max_length=MAX_VALUE_LENGTH)]
SelectorName = Annotated[StrictStr, Field(min_length=1, max_length=1000)]


class FieldSelector(_Strict):
    """One extra condition, as CloudTrail's AdvancedFieldSelector (operators in snake_case)."""

    field: StrictStr = Field(description="eventName, eventSource, readOnly or resources.ARN.")
    equals: list[Value] | None = Field(default=None, min_length=1)
    not_equals: list[Value] | None = Field(default=None, min_length=1)
    starts_with: list[Value] | None = Field(default=None, min_length=1)
    not_starts_with: list[Value] | None = Field(default=None, min_length=1)
    ends_with: list[Value] | None = Field(default=None, min_length=1)
    not_ends_with: list[Value] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_operator_at_least(self) -> FieldSelector:
        if not self.operators():
            raise ValueError(
                f"field {self.field!r} needs an operator: one of {', '.join(OPERATORS)}"
            )
        return self

    def operators(self) -> dict[str, list[str]]:
        """The operators given, in CloudTrail's order."""
        return {op: list(values) for op in OPERATORS if (values := getattr(self, op))}


class ManagementEvents(_Strict):
    """Management events (control-plane calls): all of them by default, as without selectors."""

    read_write: Literal["all", "read", "write", "none"] = Field(
        default="all",
        description=(
            "'all' (default; what scanners and the AWS Config security-trail rule expect), "
            "'write' or 'read' only, or 'none' (data and network events only: e.g. when another "
            "organization trail already records management events)."
        ),
    )
    exclude_sources: list[Literal["kms.amazonaws.com", "rdsdata.amazonaws.com"]] = Field(
        default_factory=list,
        description=(
            "Noisy sources not to record (the only two CloudTrail allows). Fails the "
            "'security trail' rule of AWS Config and steampipe."
        ),
    )


class DataEvents(_Strict):
    """Data events (object-level calls) of one resource type: one advanced selector."""

    resource_type: Annotated[StrictStr, Field(pattern=r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")] = (
        Field(
            description=(
                "A type from CloudTrail's data-event list: AWS::S3::Object, "
                "AWS::Lambda::Function, AWS::DynamoDB::Table, ..."
            )
        )
    )
    name: SelectorName | None = Field(default=None, description="Default: '<type> data events'.")
    read_write: Literal["all", "read", "write"] = "all"
    resources: list[Value] | None = Field(
        default=None,
        min_length=1,
        description=(
            "ARN prefixes to record (resources.ARN StartsWith), e.g. "
            "'arn:aws:s3:::my-bucket/' or 'arn:aws:s3:::my-bucket/uploads/'. Omit: every "
            "resource of the type (for S3 objects, every bucket but the log and access-log "
            "buckets)."
        ),
    )
    exclude_resources: list[Value] = Field(
        default_factory=list,
        description="ARN prefixes not to record (NotStartsWith); only when resources is omitted.",
    )
    field_selectors: list[FieldSelector] = Field(
        default_factory=list,
        description=(
            "Extra conditions: eventName, eventSource, or resources.ARN (for a type other than "
            "S3 objects, when resources and exclude_resources are not used)."
        ),
    )


class NetworkActivityEvents(_Strict):
    """Network activity events (calls through VPC endpoints) of one event source."""

    event_source: Annotated[StrictStr, Field(pattern=r"^[a-z0-9-]+\.amazonaws\.com$")] = Field(
        description="The service, e.g. ec2.amazonaws.com (CloudTrail requires one per selector)."
    )
    name: SelectorName | None = None
    field_selectors: list[FieldSelector] = Field(
        default_factory=list, description="Extra conditions: eventName only."
    )


class Events(_Strict):
    """What the trail records; omitted, every management event (read and write) and no more."""

    management: ManagementEvents = Field(default_factory=ManagementEvents)
    data: list[DataEvents] = Field(default_factory=list)
    network_activity: list[NetworkActivityEvents] = Field(default_factory=list)
    insights: list[Literal["ApiCallRateInsight", "ApiErrorRateInsight"]] = Field(
        default_factory=list,
        description="CloudTrail Insights on management events (billed per event analysed).",
    )


# --- the selectors this module writes ------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One field_selector block: a field and its operators with their values."""

    field: str
    operators: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def value_count(self) -> int:
        """Values towards the 500-value quota."""
        return sum(len(values) for _, values in self.operators)


@dataclass(frozen=True)
class Selector:
    """One advanced_event_selector block; ``path`` is the config key it comes from."""

    name: str
    conditions: tuple[Condition, ...]
    path: tuple[str | int, ...]


def _condition(field: str, **operators: list[str]) -> Condition:
    return Condition(field, tuple((op, tuple(v)) for op in OPERATORS if (v := operators.get(op))))


def _read_only(read_write: str) -> list[Condition]:
    if read_write in ("read", "write"):
        return [_condition("readOnly", equals=["true" if read_write == "read" else "false"])]
    return []


def own_buckets(config: Config) -> list[str]:
    """The buckets whose objects the trail must never record: the log bucket, its access logs."""
    names = [config.bucket.name]
    logging = config.bucket.access_logging
    if logging is not None and logging.target_bucket not in names:
        names.append(logging.target_bucket)
    return names


def object_prefix(config: Config, bucket: str) -> str:
    """``arn:<partition>:s3:::<bucket>/``: every object of the bucket starts with it."""
    partition = partition_of(config.trail.home_region)
    return f"arn:{partition.name if partition else 'aws'}:s3:::{bucket}/"


def _user_conditions(items: list[FieldSelector]) -> list[Condition]:
    return [
        Condition(item.field, tuple((op, tuple(v)) for op, v in item.operators().items()))
        for item in items
    ]


def selectors(config: Config) -> list[Selector]:
    """The advanced selectors of ``trail.events`` (empty when it is omitted), in config order."""
    events = config.trail.events
    if events is None:
        return []
    base: tuple[str | int, ...] = ("trail", "events")
    result: list[Selector] = []
    management = events.management
    if management.read_write != "none":
        conditions = [_condition("eventCategory", equals=["Management"])]
        conditions += _read_only(management.read_write)
        if management.exclude_sources:
            conditions.append(
                _condition("eventSource", not_equals=list(management.exclude_sources))
            )
        result.append(Selector(MANAGEMENT_SELECTOR_NAME, tuple(conditions), (*base, "management")))
    for i, data in enumerate(events.data):
        conditions = [
            _condition("eventCategory", equals=["Data"]),
            _condition("resources.type", equals=[data.resource_type]),
        ]
        conditions += _read_only(data.read_write)
        excluded = list(data.exclude_resources)
        if data.resource_type in S3_OBJECT_TYPES and data.resources is None:
            own = [object_prefix(config, bucket) for bucket in own_buckets(config)]
            excluded = own + [prefix for prefix in excluded if prefix not in own]
        if data.resources is not None:
            conditions.append(_condition("resources.ARN", starts_with=data.resources))
        elif excluded:
            conditions.append(_condition("resources.ARN", not_starts_with=excluded))
        conditions += _user_conditions(data.field_selectors)
        name = data.name or f"{data.resource_type} data events"
        result.append(Selector(name, tuple(conditions), (*base, "data", i)))
    for i, network in enumerate(events.network_activity):
        conditions = [
            _condition("eventCategory", equals=["NetworkActivity"]),
            _condition("eventSource", equals=[network.event_source]),
            *_user_conditions(network.field_selectors),
        ]
        name = network.name or f"{network.event_source} network activity events"
        result.append(Selector(name, tuple(conditions), (*base, "network_activity", i)))
    return result


# --- validation, as CloudTrail validates PutEventSelectors / PutInsightSelectors ---------------


def event_issues(config: Config) -> Issues:
    """Located problems of ``trail.events`` (empty when it is omitted)."""
    events = config.trail.events
    if events is None:
        return []
    base: tuple[str | int, ...] = ("trail", "events")
    issues: Issues = []
    management = events.management
    if len(set(management.exclude_sources)) != len(management.exclude_sources):
        issues.append(((*base, "management", "exclude_sources"), "a source is listed twice"))
    if management.read_write == "none" and management.exclude_sources:
        issues.append(
            (
                (*base, "management", "exclude_sources"),
                "applies only when management events are recorded (read_write is 'none'); "
                "delete it",
            )
        )
    if management.read_write == "none" and not events.data and not events.network_activity:
        issues.append(
            (
                (*base, "management", "read_write"),
                "'none' with no data or network_activity entry: the trail would record nothing. "
                "Use 'all', or add what it should record",
            )
        )
    issues += _insight_issues(events, base)
    for i, data in enumerate(events.data):
        issues += _data_issues(config, data, (*base, "data", i))
    sources = [n.event_source for n in events.network_activity]
    for i, network in enumerate(events.network_activity):
        path = (*base, "network_activity", i)
        if network.event_source in sources[:i]:
            issues.append(((*path, "event_source"), f"{network.event_source} is listed twice"))
        issues += _field_issues(network.field_selectors, NETWORK_FIELDS, "network activity", path)
    total = sum(c.value_count for s in selectors(config) for c in s.conditions)
    if total > MAX_SELECTOR_VALUES:
        issues.append(
            (
                base,
                f"the selectors have {total} condition values; CloudTrail allows "
                f"{MAX_SELECTOR_VALUES} per trail (InvalidEventSelectorsException). List "
                "shorter prefixes, or fewer event names",
            )
        )
    return issues


def _insight_issues(events: Events, base: tuple[str | int, ...]) -> Issues:
    issues: Issues = []
    recorded = events.management.read_write
    for i, insight in enumerate(events.insights):
        path = (*base, "insights", i)
        if insight in events.insights[:i]:
            issues.append((path, f"{insight} is listed twice"))
        elif insight == "ApiCallRateInsight" and recorded not in ("all", "write"):
            issues.append(
                (
                    path,
                    "ApiCallRateInsight analyses write management events, which the trail does "
                    f"not record (management.read_write: {recorded}); PutInsightSelectors "
                    "refuses it. Record 'write' or 'all' management events, or drop it",
                )
            )
        elif insight == "ApiErrorRateInsight" and recorded == "none":
            issues.append(
                (
                    path,
                    "ApiErrorRateInsight analyses management events, which the trail does not "
                    "record (management.read_write: none); record them or drop it",
                )
            )
    return issues


def _data_issues(config: Config, data: DataEvents, path: tuple[str | int, ...]) -> Issues:
    issues: Issues = []
    kind = data.resource_type
    close = [t for t in KNOWN_TYPES if t.lower() == kind.lower() and t != kind]
    if close:
        issues.append(((*path, "resource_type"), f"{kind!r}: CloudTrail spells it {close[0]!r}"))
    if data.resources is not None and data.exclude_resources:
        issues.append(
            (
                (*path, "exclude_resources"),
                "use either resources (record only these) or exclude_resources (record all but "
                "these): CloudTrail's documentation does not say how StartsWith and "
                "NotStartsWith on one field combine",
            )
        )
    partition = partition_of(config.trail.home_region)
    arn_start = f"arn:{partition.name if partition else 'aws'}:"
    for key in ("resources", "exclude_resources"):
        for j, value in enumerate(getattr(data, key) or []):
            if not value.startswith(arn_start):
                issues.append(
                    (
                        (*path, key, j),
                        f"{value!r} is not an ARN prefix of this partition: start it with "
                        f"{arn_start!r}",
                    )
                )
            elif "*" in value:
                issues.append(((*path, key, j), _WILDCARD.format(value=value)))
    if kind in S3_OBJECT_TYPES:
        for j, value in enumerate(data.resources or []):
            for bucket in own_buckets(config):
                if _covers(value, object_prefix(config, bucket)):
                    issues.append(((*path, "resources", j), _own_bucket(config, value, bucket)))
        for k, item in enumerate(data.field_selectors):
            if item.field != "resources.ARN":
                continue
            for op in ("equals", "starts_with"):
                for value in getattr(item, op) or []:
                    for bucket in own_buckets(config):
                        if _covers(value, object_prefix(config, bucket)):
                            issues.append(
                                (
                                    (*path, "field_selectors", k, op),
                                    _own_bucket(config, value, bucket),
                                )
                            )
    generated = {"resources.ARN"} if (data.resources or kind in S3_OBJECT_TYPES) else set()
    if data.exclude_resources:
        generated.add("resources.ARN")
    if data.read_write != "all":
        generated.add("readOnly")
    issues += _field_issues(data.field_selectors, DATA_FIELDS, "data", path, generated)
    return issues


_WILDCARD = (
    "{value!r}: CloudTrail selectors take no wildcards ('*' is a literal character); list the "
    "prefix the ARNs start with instead"
)


def _covers(value: str, bucket_prefix: str) -> bool:
    """Whether ARNs starting with ``value`` include objects of the bucket ``bucket_prefix``."""
    return bucket_prefix.startswith(value) or value.startswith(bucket_prefix)


def _own_bucket(config: Config, value: str, bucket: str) -> str:
    what = "the trail's log bucket" if bucket == config.bucket.name else "the access-log bucket"
    return (
        f"{value!r} includes objects of {bucket} ({what}): the trail would record an event for "
        "every file delivered there, and deliver those events there too, for ever (LZA#1192). "
        "List the buckets to record by their full name and a '/'"
    )


def _field_issues(
    items: list[FieldSelector],
    allowed: tuple[str, ...],
    category: str,
    path: tuple[str | int, ...],
    generated: set[str] | None = None,
) -> Issues:
    issues: Issues = []
    seen = set(generated or ())
    for k, item in enumerate(items):
        where = (*path, "field_selectors", k)
        if item.field not in allowed:
            fix = {
                "eventCategory": "it is written for you",
                "resources.type": "set resource_type instead",
                "readOnly": "set read_write instead",
                "eventSource": "set event_source instead",
            }.get(item.field, f"use one of {', '.join(allowed)}")
            issues.append(
                (
                    (*where, "field"),
                    f"{item.field!r} is not a field of {category} event selectors on a trail: "
                    f"{fix}",
                )
            )
            continue
        if item.field in (generated or ()):
            written_from = {
                "readOnly": "read_write",
                "resources.ARN": "resources/exclude_resources (and, for S3 objects, the "
                "exclusion of the log buckets)",
            }[item.field]
            issues.append(
                (
                    (*where, "field"),
                    f"{item.field} is already a condition of this selector, written from "
                    f"{written_from}: set it there (CloudTrail takes one condition per field)",
                )
            )
        elif item.field in seen:
            issues.append(
                (
                    (*where, "field"),
                    f"{item.field} is already a condition of this selector; put every operator "
                    "of one field in one entry",
                )
            )
        seen.add(item.field)
        operators = item.operators()
        if item.field in EQUALS_ONLY:
            extra = [op for op in operators if op != "equals"]
            if extra:
                issues.append(
                    ((*where, extra[0]), f"{item.field} accepts only 'equals' (CloudTrail)")
                )
            bad = [v for v in operators.get("equals", []) if v not in ("true", "false")]
            if item.field == "readOnly" and bad:
                issues.append(((*where, "equals"), "readOnly takes 'true' or 'false'"))
        for op, values in operators.items():
            for value in values:
                if "*" in value:
                    issues.append(((*where, op), _WILDCARD.format(value=value)))
    return issues


def event_warnings(config: Config) -> list[str]:
    """What a choice of ``trail.events`` costs with the scanners that audit the trail."""
    events = config.trail.events
    if events is None:
        return []
    management = events.management
    result = []
    if management.exclude_sources or management.read_write != "all":
        what = (
            f"excludes {', '.join(management.exclude_sources)}"
            if management.exclude_sources
            else f"records {management.read_write} management events only"
        )
        if management.read_write == "none":
            what = "records no management events"
        result.append(
            f"trail.events.management {what}: the trail fails the AWS Config managed rule "
            "cloudtrail-security-trail-enabled and steampipe's cloudtrail_security_trail_enabled "
            "(they require every management event, read and write, with no source excluded)"
            + (
                ""
                if management.read_write == "all"
                else ", and prowler's "
                "cloudtrail_multi_region_enabled_logging_management_events (it wants the "
                f"'{MANAGEMENT_SELECTOR_NAME}' with no readOnly condition)"
            )
            + ". Another trail must record them, or accept the finding"
        )
    return result
