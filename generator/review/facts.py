"""What a generated module does, read back from its re-parsed HCL, for the controls report.

Why from the HCL and not the config: an auditor files the report as evidence about the module
that will be applied, so every fact here is read from the blocks the preflight rules read (the
same look-ups: the trail's log group, a filter's metric, an alarm's topic). The config is used
only to name the key that changes a verdict, never to decide one.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight.lookups import (
    account_of,
    bucket_name,
    bucket_policies,
    field_selectors,
    key_of,
    organization_trails,
    provider_of,
)
from generator.check.preflight.policy_reading import all_statements
from generator.review.owner import watched_group
from generator.review.resource_facts import ResourceFacts, read_resources
from generator.sections.monitoring.rules import (
    is_group,
    metric_of_alarm,
    metric_of_filter,
    topic_of,
    trail_log_group,
)
from generator.sections.trail.events import KINDS, read_write_of

_FILTER = "aws_cloudwatch_log_metric_filter"
_ALARM = "aws_cloudwatch_metric_alarm"
_SELECTORS = ("event_selector", "advanced_event_selector")
# SNS holds these PendingConfirmation until the endpoint confirms; CIS counts confirmed ones.
_CONFIRMED_BY_RECIPIENT = frozenset({"email", "email-json", "https", "http"})


@dataclass(frozen=True)
class Alarm:
    """One alarm: whether it has an ALARM action, whether actions are on, who it reaches."""

    address: str
    has_action: bool
    actions_enabled: bool
    # the protocols of its topics' subscriptions; None: a topic not managed here (unknown)
    subscribers: tuple[str, ...] | None

    @property
    def notifies_nobody(self) -> bool:
        """No action, actions off, or only topics of this module that nobody subscribes to."""
        return not (self.has_action and self.actions_enabled) or self.subscribers == ()


@dataclass(frozen=True)
class MetricFilter:
    """One metric filter on the trail's log group and the alarms on its metric."""

    address: str
    pattern: str | None
    alarms: tuple[Alarm, ...]

    @property
    def notifies(self) -> bool | None:
        """Whether an enabled alarm reaches a subscriber (None: only via an unmanaged topic)."""
        live = [a for a in self.alarms if a.has_action and a.actions_enabled]
        if any(a.subscribers for a in live):
            return True
        if any(a.subscribers is None for a in live):
            return None
        return False

    @property
    def awaiting_confirmation(self) -> bool:
        """Whether every subscriber must first confirm (email, https): Terraform cannot."""
        protocols = {p for a in self.alarms for p in a.subscribers or ()}
        return bool(protocols) and protocols <= _CONFIRMED_BY_RECIPIENT


@dataclass(frozen=True)
class EventSelector:
    """One advanced_event_selector: its name and {field: {operator: values}}."""

    name: str
    fields: dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class ModuleFacts:
    """Everything the controls are judged on, each read from one block or argument."""

    trail: bool
    multi_region: bool
    organization: bool
    logging: bool
    validation: bool
    custom_selectors: bool
    all_management_events: bool | None  # None: basic event selectors, not judged here
    s3_data_events: frozenset[str]  # "read"/"write": S3 object events of every bucket recorded
    basic_selectors: bool  # event_selector blocks (orgtrail-gen writes advanced ones only)
    selectors: tuple[EventSelector, ...]  # the advanced_event_selector blocks, in order
    insights: bool
    trail_key: str | None  # "managed" (aws_kms_key here), "external" (an ARN), None
    key_rotation: bool | None  # None: the key is not managed here
    trail_tags: tuple[str, ...]
    log_group: bool
    log_group_retention: int | None  # 0 = never expire, None = no log group
    log_group_encrypted: bool
    log_resource_policies: tuple[str, ...]  # addresses of aws_cloudwatch_log_resource_policy
    bucket_managed: bool
    bucket_account: str | None
    trail_account: str | None
    log_group_account: str | None  # where the filters are judged: the management account
    public_access_blocked: bool
    public_grant: bool
    access_logging: bool
    mfa_delete: bool
    filters: tuple[MetricFilter, ...]
    alarms: tuple[Alarm, ...]
    resources: ResourceFacts  # the bucket, keys, topic, workgroup: prowler's resource checks
    # Beside an owner's trail: the group the filters watch by name (owner.watched_group), and
    # those filters. Whose group it is, and which trail feeds it, the config says.
    watched_group: str | None = None
    watched: tuple[MetricFilter, ...] = ()


def _flag(block: Block | None, name: str, default: bool) -> bool:
    value = block.body.get(name, default) if block else False
    return value is True


def _advanced_selectors(trail: Block) -> list[dict[str, dict[str, list[str]]]]:
    """Each advanced_event_selector as {field: {operator: values}}."""
    return [field_selectors(s) for s in nested(trail.body, "advanced_event_selector")]


def _all_management_events(trail: Block | None) -> bool | None:
    """Whether the trail records every management event, read and write, of every source.

    No selector at all is CloudTrail's default (all of them); an advanced selector does so when
    its only condition is eventCategory = Management (no readOnly, no excluded source). Basic
    event selectors are not judged here (None).
    """
    if trail is None:
        return False
    if nested(trail.body, "event_selector"):
        return None
    selectors = _advanced_selectors(trail)
    if not selectors:
        return True
    return any(fields == {"eventCategory": {"equals": ["Management"]}} for fields in selectors)


def _s3_data_events(trail: Block | None) -> frozenset[str]:
    """Which S3 object events ("read", "write") an advanced selector records for every bucket.

    Every bucket: no resources.ARN condition that lists buckets (excluding the trail's own with
    not_starts_with, as orgtrail-gen always does, still counts as every bucket for scanners).
    """
    found: set[str] = set()
    for fields in _advanced_selectors(trail) if trail else []:
        if fields.get("eventCategory") != {"equals": ["Data"]}:
            continue
        if fields.get("resources.type") != {"equals": ["AWS::S3::Object"]}:
            continue
        arn = fields.get("resources.ARN", {})
        if set(arn) - {"not_starts_with"} or set(fields) - {
            "eventCategory",
            "resources.type",
            "resources.ARN",
            "readOnly",
        }:
            continue
        found |= set(KINDS[read_write_of(fields)])
    return frozenset(found)


def _s3_selectors(selectors: tuple[EventSelector, ...]) -> list[dict[str, dict[str, list[str]]]]:
    return [s.fields for s in selectors
            if s.fields.get("resources.type", {}).get("equals") == ["AWS::S3::Object"]]  # fmt: skip


def s3_shortfall(selectors: tuple[EventSelector, ...], kind: str) -> str:
    """What the trail's S3 object selectors record of ``kind`` ("read"/"write"), in CIS's terms."""
    for fields in _s3_selectors(selectors):
        if read_write_of(fields) not in ("all", kind):
            continue
        prefixes = fields.get("resources.ARN", {}).get("starts_with")
        if prefixes:
            count = len({p.partition(":s3:::")[2].split("/")[0] for p in prefixes})
            return (f"the trail's S3 {kind} data events are recorded for {count} "
                    f"bucket{'s' if count != 1 else ''}; CIS asks for every bucket")  # fmt: skip
        extra = sorted(set(fields) - {"eventCategory", "resources.type", "resources.ARN",
                                      "readOnly"})  # fmt: skip
        if extra:
            return (f"the trail's S3 {kind} data events are limited by {', '.join(extra)}; CIS "
                    f"asks for every {kind} event of every bucket")  # fmt: skip
    if _s3_selectors(selectors):
        other = "read" if kind == "write" else "write"
        return f"the trail records S3 {other} data events only; CIS asks for {kind} events too"
    return (f"the trail records no S3 {kind} data events; trail.events.data offers them "
            "(charged per event, organization-wide)")  # fmt: skip


def _tags(module: ParsedModule, trail: Block) -> tuple[str, ...]:
    """Tag keys the trail gets: its own ``tags`` plus its provider's ``default_tags``."""
    keys: list[str] = []
    own = trail.body.get("tags")
    if isinstance(own, dict):
        keys += [key.strip('"') for key in own]
    provider = provider_of(module, trail)
    for block in nested(provider.body, "default_tags") if provider else []:
        tags = block.get("tags")
        if isinstance(tags, dict):
            keys += [key.strip('"') for key in tags]
    return tuple(sorted({key for key in keys if not key.startswith("aws:")}))


def _by_bucket(module: ParsedModule, kind: str, name: str | None) -> Block | None:
    for block in module.of_type("resource", kind):
        if name is not None and bucket_name(module, block.body.get("bucket")) == name:
            return block
    return None


def _public_grant(module: ParsedModule, name: str | None) -> bool:
    """Whether the bucket policy allows ``*`` without any condition (a public grant).

    Every statement counts: the kept ones (``source_policy_documents``) as much as ours.
    """
    for _, document in bucket_policies(module, name or ""):
        for s in all_statements(document) if document else []:
            anyone = any(kind in ("*", "AWS") and "*" in ids for kind, ids in s.principals)
            if s.effect == "Allow" and anyone and not s.conditions:
                return True
    return False


def _key(module: ParsedModule, trail: Block) -> tuple[str | None, bool | None]:
    """The trail's key as the rules resolve it (``key_of``): managed here, external, or none.

    A reference to a key the module does not hold names no key (terraform validate refuses
    it), so it is judged as none.
    """
    value = trail.body.get("kms_key_id")
    key, _ = key_of(module, value)
    if key is not None:
        return "managed", key.body.get("enable_key_rotation") is True
    if literal(value):
        return "external", None
    return None, None


def _subscribers(module: ParsedModule, topic: Block | None) -> tuple[str, ...] | None:
    if topic is None:
        return None
    return tuple(
        literal(s.body.get("protocol")) or ""
        for s in module.of_type("resource", "aws_sns_topic_subscription")
        if expression(s.body.get("topic_arn")) == f"{topic.address}.arn"
    )


def _alarm(module: ParsedModule, block: Block) -> Alarm:
    actions = block.body.get("alarm_actions")
    actions = actions if isinstance(actions, list) else []
    found = [_subscribers(module, topic_of(module, action)) for action in actions]
    known = tuple(p for protocols in found if protocols is not None for p in protocols)
    # someone known to listen, or every topic known (maybe to nobody); else a topic not managed
    # here may be the only one with subscribers: unknown
    subscribers = known if known or None not in found else None
    return Alarm(
        block.address, bool(actions), block.body.get("actions_enabled", True) is True, subscribers
    )


def _filters(
    module: ParsedModule, alarms: dict[str, Alarm], watched: str | None = None
) -> tuple[MetricFilter, ...]:
    """The filters on the trail's log group, or on ``watched`` (a group named literally)."""
    group = trail_log_group(module)
    found = []
    for block in module.of_type("resource", _FILTER):
        name = block.body.get("log_group_name")
        if watched is not None:
            if literal(name) != watched:
                continue
        elif group is None or not is_group(name, group):
            continue  # a filter on another group never sees the trail's events
        metric = metric_of_filter(block)
        watching = tuple(
            alarms[a.address]
            for a in module.of_type("resource", _ALARM)
            if metric_of_alarm(a) == metric
        )
        found.append(MetricFilter(block.address, literal(block.body.get("pattern")), watching))
    return tuple(found)


def read(module: ParsedModule) -> ModuleFacts:
    """The facts of one parsed module (its first organization trail)."""
    trails = organization_trails(module)
    trail = trails[0] if trails else None
    name = bucket_name(module, trail.body.get("s3_bucket_name")) if trail else None
    group = trail_log_group(module)
    key, rotation = _key(module, trail) if trail else (None, None)
    access_block = _by_bucket(module, "aws_s3_bucket_public_access_block", name)
    versioning = _by_bucket(module, "aws_s3_bucket_versioning", name)
    configuration = nested(versioning.body, "versioning_configuration") if versioning else []
    bucket = next(
        (
            b
            for b in module.of_type("resource", "aws_s3_bucket")
            if literal(b.body.get("bucket")) == name
        ),
        None,
    )
    alarms = {b.address: _alarm(module, b) for b in module.of_type("resource", _ALARM)}
    watched = watched_group(module)
    retention = group.body.get("retention_in_days", 0) if group else None
    return ModuleFacts(
        trail=trail is not None,
        multi_region=_flag(trail, "is_multi_region_trail", False),
        organization=_flag(trail, "is_organization_trail", False),
        logging=_flag(trail, "enable_logging", True),
        validation=_flag(trail, "enable_log_file_validation", False),
        custom_selectors=bool(trail and any(nested(trail.body, s) for s in _SELECTORS)),
        all_management_events=_all_management_events(trail),
        s3_data_events=_s3_data_events(trail),
        basic_selectors=bool(trail and nested(trail.body, "event_selector")),
        selectors=tuple(
            EventSelector(literal(block.get("name")) or "", field_selectors(block))
            for block in (nested(trail.body, "advanced_event_selector") if trail else [])
        ),
        insights=bool(trail and nested(trail.body, "insight_selector")),
        trail_key=key,
        key_rotation=rotation,
        trail_tags=_tags(module, trail) if trail else (),
        log_group=group is not None,
        log_group_retention=retention if isinstance(retention, int) else None,
        log_group_encrypted=bool(group and group.body.get("kms_key_id")),
        log_resource_policies=tuple(
            b.address for b in module.of_type("resource", "aws_cloudwatch_log_resource_policy")
        ),
        bucket_managed=bucket is not None,
        bucket_account=account_of(module, bucket) if bucket else None,
        trail_account=account_of(module, trail) if trail else None,
        log_group_account=account_of(module, group) if group else None,
        public_access_blocked=all(
            _flag(access_block, flag, False)
            for flag in (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
        ),
        public_grant=_public_grant(module, name),
        access_logging=_by_bucket(module, "aws_s3_bucket_logging", name) is not None,
        mfa_delete=any(literal(c.get("mfa_delete")) == "Enabled" for c in configuration),
        filters=_filters(module, alarms),
        alarms=tuple(alarms.values()),
        resources=read_resources(module),
        watched_group=watched,
        watched=_filters(module, alarms, watched) if watched else (),
    )
