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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

from pydantic import Field, StrictStr, model_validator

from generator.check.preflight.lookups import SELECTOR_OPERATORS
from generator.config.fields import StrictModel
from generator.config.regions import partition_of

if TYPE_CHECKING:
    from generator.sections.registry import Config

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
# CloudTrail: readOnly, eventCategory and resources.type accept Equals only.
EQUALS_ONLY = ("readOnly", "eventCategory", "resources.type")
KNOWN_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table")


Value = Annotated[StrictStr, Field(min_length=1, max_length=MAX_VALUE_LENGTH)]
SelectorName = Annotated[StrictStr, Field(min_length=1, max_length=1000)]


class FieldSelector(StrictModel):
    """One extra condition, as CloudTrail's AdvancedFieldSelector (operators in snake_case)."""

    field: StrictStr = Field(description="eventName, eventSource, readOnly or resources.ARN.")
    equals: list[Value] | None = Field(
        default=None,
        min_length=1,
        description="The value equals one of these (readOnly: 'true' or 'false').",
    )
    not_equals: list[Value] | None = Field(
        default=None, min_length=1, description="The value equals none of these."
    )
    starts_with: list[Value] | None = Field(
        default=None, min_length=1, description="The value starts with one of these."
    )
    not_starts_with: list[Value] | None = Field(
        default=None, min_length=1, description="The value starts with none of these."
    )
    ends_with: list[Value] | None = Field(
        default=None, min_length=1, description="The value ends with one of these."
    )
    not_ends_with: list[Value] | None = Field(
        default=None, min_length=1, description="The value ends with none of these."
    )

    @model_validator(mode="after")
    def _one_operator_at_least(self) -> FieldSelector:
        if not self.operators():
            raise ValueError(
                f"field {self.field!r} needs an operator: one of {', '.join(SELECTOR_OPERATORS)}"
            )
        return self

    def operators(self) -> dict[str, list[str]]:
        """The operators given, in CloudTrail's order."""
        return {op: list(values) for op in SELECTOR_OPERATORS if (values := getattr(self, op))}


class ManagementEvents(StrictModel):
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


class DataEvents(StrictModel):
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
    read_write: Literal["all", "read", "write"] = Field(
        default="all", description="Which data events: read, write or both."
    )
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


class NetworkActivityEvents(StrictModel):
    """Network activity events (calls through VPC endpoints) of one event source."""

    event_source: Annotated[StrictStr, Field(pattern=r"^[a-z0-9-]+\.amazonaws\.com$")] = Field(
        description="The service, e.g. ec2.amazonaws.com (CloudTrail requires one per selector)."
    )
    name: SelectorName | None = Field(
        default=None, description="Default: '<event source> network activity events'."
    )
    field_selectors: list[FieldSelector] = Field(
        default_factory=list, description="Extra conditions: eventName only."
    )


class Events(StrictModel):
    """What the trail records; omitted, every management event (read and write) and no more."""

    management: ManagementEvents = Field(
        default_factory=ManagementEvents, description="Management events: default every one."
    )
    data: list[DataEvents] = Field(
        default_factory=list, description="Data events, one entry per resource type."
    )
    network_activity: list[NetworkActivityEvents] = Field(
        default_factory=list, description="Network activity events, one entry per event source."
    )
    insights: list[Literal["ApiCallRateInsight", "ApiErrorRateInsight"]] = Field(
        default_factory=list,
        description="CloudTrail Insights on management events (billed per event analysed).",
    )


# --- the selectors this module writes ------------------------------------------------------


class Condition(NamedTuple):
    """One field_selector block: a field and its operators with their values."""

    field: str
    operators: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def value_count(self) -> int:
        """Values towards the 500-value quota."""
        return sum(len(values) for _, values in self.operators)


class Selector(NamedTuple):
    """One advanced_event_selector block; ``path`` is the config key it comes from."""

    name: str
    conditions: tuple[Condition, ...]
    path: tuple[str | int, ...]


def _condition(field: str, **operators: list[str]) -> Condition:
    return Condition(
        field, tuple((op, tuple(v)) for op in SELECTOR_OPERATORS if (v := operators.get(op)))
    )


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


# --- in words: what a selector records ------------------------------------------------------
#
# One vocabulary for the generate-time warnings and the change summary, which reads selectors
# back from the HCL as {field: {operator: values}} (``lookups.field_selectors``): the HCL is
# what will be applied, and the previous module's config is not known there.

Fields = Mapping[str, Mapping[str, Sequence[str]]]
# Which calls a read_write value records: what a change of it gains or loses.
KINDS = {"all": ("read", "write"), "read": ("read",), "write": ("write",), "none": ()}


def read_write_of(fields: Fields) -> str:
    """The selector's readOnly condition as read_write: "read", "write" or "all" (none)."""
    values = list(fields.get("readOnly", {}).get("equals", ()))
    if values == ["true"]:
        return "read"
    return "write" if values == ["false"] else "all"


def management_words(read_write: str) -> str:
    """Management events of one read_write value: "read management events", ..."""
    if read_write == "none":
        return "no management events"
    if read_write == "all":
        return "every management event, read and write"
    return f"{read_write} management events"


def excluded_sources(fields: Fields) -> tuple[str, ...]:
    """The management event sources a selector leaves out (eventSource NotEquals)."""
    return tuple(fields.get("eventSource", {}).get("not_equals", ()))


def _words(operator: str, values: Sequence[str]) -> str:
    return f"{operator.replace('_', ' ')} {', '.join(values)}"


def _resource_words(prefix: str) -> str:
    """An S3 object prefix of a whole bucket as "bucket NAME"; any other ARN prefix as "NAME*"."""
    head, _, rest = prefix.partition(":s3:::")
    if head.startswith("arn:") and rest.endswith("/") and rest.count("/") == 1:
        return f"bucket {rest[:-1]}"
    return f"{prefix}*"


def _extra(fields: Fields, written: Sequence[str]) -> str:
    """The conditions beyond those ``selectors`` always writes: a user's field_selectors."""
    parts = [
        f"{field} {_words(op, values)}"
        for field, operators in fields.items()
        if field not in written
        for op, values in operators.items()
    ]
    return f" where {'; '.join(parts)}" if parts else ""


def selector_words(fields: Fields) -> str:
    """What one advanced selector records, in a reviewer's words.

    Management events by read_write and excluded sources; data events by resource type,
    read_write and which resources (ARN prefixes, a whole S3 bucket by its name); network
    activity by event source; any other condition is named as written.
    """
    category = list(fields.get("eventCategory", {}).get("equals", ()))
    if category == ["Management"]:
        words = management_words(read_write_of(fields))
        sources = excluded_sources(fields)
        words += f" except those of {', '.join(sources)}" if sources else ""
        return words + _extra(fields, ("eventCategory", "readOnly", "eventSource"))
    if category == ["Data"]:
        types = ", ".join(fields.get("resources.type", {}).get("equals", ())) or "every type of"
        read_write = read_write_of(fields)
        how = "read and write" if read_write == "all" else f"{read_write} only"
        words = f"{types} data events ({how})"
        arns = fields.get("resources.ARN", {})
        if set(arns) <= {"starts_with", "not_starts_with"}:
            if arns.get("starts_with"):
                words += f" of {', '.join(map(_resource_words, arns['starts_with']))}"
            else:
                words += " of every bucket" if types in S3_OBJECT_TYPES else " of every resource"
            if arns.get("not_starts_with"):
                words += f" except {', '.join(map(_resource_words, arns['not_starts_with']))}"
            written: tuple[str, ...] = (
                "eventCategory",
                "resources.type",
                "readOnly",
                "resources.ARN",
            )
        else:
            written = ("eventCategory", "resources.type", "readOnly")
        return words + _extra(fields, written)
    if category == ["NetworkActivity"]:
        services = ", ".join(fields.get("eventSource", {}).get("equals", ()))
        words = f"network activity events of {services or 'every event source'}"
        return words + _extra(fields, ("eventCategory", "eventSource"))
    return "events" + _extra(fields, ())


# --- validation, as CloudTrail validates PutEventSelectors / PutInsightSelectors ---------------


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
            else f"records {management_words(management.read_write)} only"
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
            + (
                f". {config.owner_trail.manager}'s organization trail (owner_trail) records "
                "them, and those checks pass on it (`orgtrail-gen verify` checks that it still "
                "does)"
                if config.owner_trail is not None and management.read_write == "none"
                else ". Another trail must record them, or accept the finding"
            )
        )
    return result
