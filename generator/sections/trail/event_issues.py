"""What CloudTrail refuses in ``trail.events``, found before any Terraform exists.

Why apart from the model: these rules relate the selectors to the rest of the config (the log
bucket a selector must never record, the partition of listed ARNs) and to CloudTrail's quotas,
so each message can name the key the user must change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.config.fields import Issue
from generator.config.regions import partition_of
from generator.sections.trail.events import (
    DATA_FIELDS,
    EQUALS_ONLY,
    KNOWN_TYPES,
    MAX_SELECTOR_VALUES,
    NETWORK_FIELDS,
    S3_OBJECT_TYPES,
    DataEvents,
    Events,
    FieldSelector,
    object_prefix,
    own_buckets,
    selectors,
)

if TYPE_CHECKING:
    from generator.sections.registry import Config


def event_issues(config: Config) -> list[Issue]:
    """Located problems of ``trail.events`` (empty when it is omitted)."""
    events = config.trail.events
    if events is None:
        return []
    base: tuple[str | int, ...] = ("trail", "events")
    issues: list[Issue] = []
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


def _insight_issues(events: Events, base: tuple[str | int, ...]) -> list[Issue]:
    issues: list[Issue] = []
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


def _data_issues(config: Config, data: DataEvents, path: tuple[str | int, ...]) -> list[Issue]:
    issues: list[Issue] = []
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
) -> list[Issue]:
    issues: list[Issue] = []
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
