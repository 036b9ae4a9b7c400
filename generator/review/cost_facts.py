"""What a generated module pays for, read back from its re-parsed HCL for the cost estimate.

Why from the HCL: the estimate must price what will be applied - the selectors as written, the
alarms and filters that exist, the lifecycle rule and the Bucket Key as rendered - and
``check --summary`` has only the HCL of the module it compares with, not that module's config.
So every quantity that the module decides is read here, with the look-ups the preflight rules
use (the trail's log group, a key reference); the volumes (how many events) come from the config
(:mod:`generator.review.cost`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight.lookups import (
    bucket_name,
    field_selectors,
    key_of,
    organization_trails,
)
from generator.review.owner import watched_group
from generator.sections.monitoring.rules import is_group, trail_log_group
from generator.sections.trail.events import read_write_of

# Storage classes an object under 128 KB never moves to: S3 skips it whatever the rule says
# ("varies_by_storage_class"); under S3's default ("all_storage_classes_128K") it moves nowhere.
SMALL_OBJECT_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "INTELLIGENT_TIERING")
_BASIC_READ_WRITE = {"All": "all", "ReadOnly": "read", "WriteOnly": "write"}
_ACCOUNTS = re.compile(r"\baccount\s+IN\s*\(([^)]*)\)", re.I)
_REGIONS = re.compile(r"\bregion\s+IN\s*\(([^)]*)\)", re.I)
_WINDOW = re.compile(r"interval\s+'(\d+)'\s+day", re.I)


@dataclass(frozen=True)
class RecordingSelector:
    """A data or network activity selector: what it records and of which resources."""

    name: str
    category: str  # "Data" or "NetworkActivity"
    resource_type: str  # data: resources.type; network activity: the event source
    prefixes: tuple[str, ...]  # resources.ARN StartsWith: only these resources


@dataclass(frozen=True)
class Lifecycle:
    """The log bucket's lifecycle rule as rendered: transitions, expiry, small objects."""

    transitions: tuple[tuple[int, str], ...]  # (days, storage class), in order
    expiration_days: int | None
    noncurrent_days: int | None
    small_objects_archived: bool  # objects under 128 KB reach GLACIER and DEEP_ARCHIVE


@dataclass(frozen=True)
class Alarm:
    """One metric alarm: its resolution and whether it notifies anyone."""

    address: str
    high_resolution: bool
    notifies: bool


@dataclass(frozen=True)
class SavedQuery:
    """One saved Athena query and its bounds: accounts, regions and days it reads."""

    name: str
    accounts: int | None  # entries of its account IN (...) list; None: every account
    regions: tuple[str, ...] | None  # its region IN (...) list; None: every region
    days: int | None  # its interval 'N' day window; None: unbounded


@dataclass(frozen=True)
class CostModule:
    """Every quantity of the module the estimate prices, each read from one block."""

    trail: bool
    management: str  # "all", "read", "write" or "none": which management events it records
    excluded_sources: tuple[str, ...]
    selectors: tuple[RecordingSelector, ...]
    insights: tuple[str, ...]  # ApiCallRateInsight, ApiErrorRateInsight
    insight_categories: tuple[str, ...]  # Management, Data (provider 6.66 writes none: Management)
    validation: bool
    encrypted: bool  # the trail names a KMS key: every log and digest file is SSE-KMS
    log_group: bool  # the trail delivers to a log group of this module
    retention_days: int  # 0: never expire
    log_class: str  # STANDARD or INFREQUENT_ACCESS
    filters: int  # metric filters on the trail's log group
    alarms: tuple[Alarm, ...]
    keys: tuple[str, ...]  # aws_kms_key addresses
    rotating_keys: int
    bucket_managed: bool
    bucket_key: bool  # the bucket's default encryption has an S3 Bucket Key
    versioning: bool
    lifecycle: Lifecycle | None
    topics: int
    subscriptions: tuple[str, ...]  # protocols of the module's topic subscriptions
    queries: tuple[SavedQuery, ...]
    query_cutoff: int | None  # the workgroup's bytes_scanned_cutoff_per_query
    # Beside an owner's trail: the group the filters watch by name (not this module's), and
    # the filters counted in ``filters`` are on it.
    watched_group: str | None = None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = literal(value) if isinstance(value, str) else None
    return int(text) if text and text.isdigit() else None


def _management(trail: Block) -> tuple[str, tuple[str, ...]]:
    """Which management events the trail records, and the sources it leaves out."""
    basic = nested(trail.body, "event_selector")
    if basic:
        kinds = {
            _BASIC_READ_WRITE.get(literal(s.get("read_write_type")) or "All", "all")
            for s in basic
            if s.get("include_management_events", True) is True
        }
        if not kinds:
            return "none", ()
        return ("all" if "all" in kinds or kinds == {"read", "write"} else kinds.pop()), ()
    advanced = [field_selectors(s) for s in nested(trail.body, "advanced_event_selector")]
    if not advanced:
        return "all", ()  # no selector: CloudTrail's default, every management event
    kinds, excluded = set(), []
    for fields in advanced:
        if fields.get("eventCategory", {}).get("equals") == ["Management"]:
            kinds.add(read_write_of(fields))
            excluded += fields.get("eventSource", {}).get("not_equals", [])
    if not kinds:
        return "none", ()
    if "all" in kinds or kinds == {"read", "write"}:
        return "all", tuple(excluded)
    return kinds.pop(), tuple(excluded)


def _recording(trail: Block) -> tuple[RecordingSelector, ...]:
    found = []
    for block in nested(trail.body, "advanced_event_selector"):
        fields = field_selectors(block)
        category = (fields.get("eventCategory", {}).get("equals") or [""])[0]
        if category not in ("Data", "NetworkActivity"):
            continue
        source = "resources.type" if category == "Data" else "eventSource"
        kind = (fields.get(source, {}).get("equals") or ["?"])[0]
        prefixes = tuple(fields.get("resources.ARN", {}).get("starts_with", []))
        found.append(
            RecordingSelector(literal(block.get("name")) or kind, category, kind, prefixes)
        )
    return tuple(found)


def _lifecycle(module: ParsedModule, name: str | None) -> Lifecycle | None:
    for block in module.of_type("resource", "aws_s3_bucket_lifecycle_configuration"):
        if name is None or bucket_name(module, block.body.get("bucket")) != name:
            continue
        rules = [r for r in nested(block.body, "rule") if literal(r.get("status")) == "Enabled"]
        if not rules:
            return None
        rule = rules[0]
        transitions = tuple(
            (days, literal(t.get("storage_class")) or "STANDARD")
            for t in nested(rule, "transition")
            if (days := _int(t.get("days"))) is not None
        )
        expiry = [_int(e.get("days")) for e in nested(rule, "expiration")]
        noncurrent = [
            _int(n.get("noncurrent_days")) for n in nested(rule, "noncurrent_version_expiration")
        ]
        small = literal(block.body.get("transition_default_minimum_object_size"))
        return Lifecycle(
            tuple(sorted(transitions)),
            expiry[0] if expiry else None,
            noncurrent[0] if noncurrent else None,
            small == "varies_by_storage_class",
        )
    return None


def _by_bucket(module: ParsedModule, kind: str, name: str | None) -> Block | None:
    return next(
        (
            b
            for b in module.of_type("resource", kind)
            if name is not None and bucket_name(module, b.body.get("bucket")) == name
        ),
        None,
    )


def _bucket_key(module: ParsedModule, name: str | None) -> bool:
    block = _by_bucket(module, "aws_s3_bucket_server_side_encryption_configuration", name)
    rules = nested(block.body, "rule") if block else []
    return any(rule.get("bucket_key_enabled") is True for rule in rules)


def _versioning(module: ParsedModule, name: str | None) -> bool:
    block = _by_bucket(module, "aws_s3_bucket_versioning", name)
    settings = nested(block.body, "versioning_configuration") if block else []
    return any(literal(s.get("status")) == "Enabled" for s in settings)


def _in_list(pattern: re.Pattern[str], sql: str) -> tuple[str, ...] | None:
    match = pattern.search(sql)
    if match is None:
        return None
    return tuple(re.findall(r"'([^']*)'", match[1]))


def _queries(module: ParsedModule) -> tuple[SavedQuery, ...]:
    found = []
    for block in module.of_type("resource", "aws_athena_named_query"):
        sql = literal(block.body.get("query")) or ""
        body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        accounts = _in_list(_ACCOUNTS, body)
        window = _WINDOW.search(body)
        found.append(
            SavedQuery(
                literal(block.body.get("name")) or block.address,
                len(accounts) if accounts is not None else None,
                _in_list(_REGIONS, body),
                int(window[1]) if window else None,
            )
        )
    return tuple(found)


def _cutoff(module: ParsedModule) -> int | None:
    for block in module.of_type("resource", "aws_athena_workgroup"):
        for configuration in nested(block.body, "configuration"):
            value = _int(configuration.get("bytes_scanned_cutoff_per_query"))
            if value is not None:
                return value
    return None


def _alarms(module: ParsedModule) -> tuple[Alarm, ...]:
    found = []
    for block in module.of_type("resource", "aws_cloudwatch_metric_alarm"):
        period = _int(block.body.get("period")) or 60
        actions = block.body.get("alarm_actions")
        found.append(Alarm(block.address, period < 60, bool(actions)))
    return tuple(found)


def read_cost(module: ParsedModule) -> CostModule:
    """The quantities of one parsed module (its first organization trail)."""
    trails = organization_trails(module)
    trail = trails[0] if trails else None
    management, excluded = _management(trail) if trail else ("none", ())
    group = trail_log_group(module)
    watched = watched_group(module)
    name = bucket_name(module, trail.body.get("s3_bucket_name")) if trail else None
    keys = module.of_type("resource", "aws_kms_key")
    insights = nested(trail.body, "insight_selector") if trail else []
    categories = {c for s in insights for c in (s.get("event_categories") or ["Management"])}
    key_block, _ = key_of(module, trail.body.get("kms_key_id")) if trail else (None, None)
    retention = _int(group.body.get("retention_in_days")) if group else None
    return CostModule(
        trail=trail is not None,
        management=management,
        excluded_sources=excluded,
        selectors=_recording(trail) if trail else (),
        insights=tuple(literal(s.get("insight_type")) or "" for s in insights),
        insight_categories=tuple(sorted(literal(c) or str(c) for c in categories)),
        validation=bool(trail and trail.body.get("enable_log_file_validation") is True),
        encrypted=bool(trail and (key_block is not None or literal(trail.body.get("kms_key_id")))),
        log_group=bool(trail and group and trail.body.get("cloud_watch_logs_group_arn")),
        retention_days=retention or 0,
        log_class=(literal(group.body.get("log_group_class")) if group else None) or "STANDARD",
        filters=sum(
            1
            for f in module.of_type("resource", "aws_cloudwatch_log_metric_filter")
            if (group is not None and is_group(f.body.get("log_group_name"), group))
            or (watched is not None and literal(f.body.get("log_group_name")) == watched)
        ),
        alarms=_alarms(module),
        keys=tuple(k.address for k in keys),
        rotating_keys=sum(1 for k in keys if k.body.get("enable_key_rotation") is True),
        bucket_managed=any(
            literal(b.body.get("bucket")) == name
            for b in module.of_type("resource", "aws_s3_bucket")
        ),
        bucket_key=_bucket_key(module, name),
        versioning=_versioning(module, name),
        lifecycle=_lifecycle(module, name),
        topics=len(module.of_type("resource", "aws_sns_topic")),
        subscriptions=tuple(
            literal(s.body.get("protocol")) or expression(s.body.get("protocol")) or "?"
            for s in module.of_type("resource", "aws_sns_topic_subscription")
        ),
        queries=_queries(module),
        query_cutoff=_cutoff(module),
        watched_group=watched,
    )
