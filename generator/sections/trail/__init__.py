"""The trail section: the organization trail and everything CreateTrail validates before it.

It owns ``cloudtrail.tf``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from generator.config.regions import partition_of
from generator.render.hcl import Ref
from generator.sections.addresses import (
    BUCKET,
    BUCKET_POLICY,
    DELEGATED_ADMIN,
    KEY,
    LOG_GROUP,
    ORGANIZATION,
    ROLE,
    ROLE_POLICY,
    TRAIL,
    TRUSTED_ACCESS,
    label,
)
from generator.sections.base import CheckovSkip, Output, Section, Skip, skips_for
from generator.sections.facts import ModuleFacts
from generator.sections.trail import model, rules
from generator.sections.trail.events import (
    Selector,
    event_warnings,
    object_prefix,
    own_buckets,
    selectors,
)

if TYPE_CHECKING:
    from generator.sections.registry import Config


def _no_log_group_reason(facts: ModuleFacts) -> str:
    """Why the trail has no log group: none configured, or the owner's trail already has it.

    Beside an owner's trail (``owner_trail``) this trail records data events only, which
    belong in S3: the management events the CIS alarms watch reach CloudWatch Logs through
    the owner's trail, and ``cloudwatch_logs`` is refused there.
    """
    owner = facts.owner
    if owner is None:
        return "the config has no cloudwatch_logs section: delivery to S3 only"
    if owner.log_group_name is None:
        return (
            f"data events only, delivered to S3; {owner.manager}'s organization trail, which "
            "records the management events, delivers to S3 only too"
        )
    return (
        f"data events only, delivered to S3; the management events reach {owner.manager}'s "
        f"log group {owner.log_group_name} through its organization trail"
    )


SKIPS = (
    CheckovSkip(
        "CKV_AWS_252",
        TRAIL,
        lambda f: (
            "Per-file delivery notifications are noise at organization scale; alarms use "
            "the log group"
        ),
    ),
    CheckovSkip(
        "CKV_AWS_36",
        TRAIL,
        lambda f: "trail.enable_log_file_validation: false",
        when=lambda f: not f.config.trail.enable_log_file_validation,
        switched_off=True,
    ),
    CheckovSkip(
        "CKV_AWS_35",
        TRAIL,
        lambda f: "kms.enabled: false",
        when=lambda f: not f.config.kms.enabled,
        switched_off=True,
    ),
    CheckovSkip(
        "CKV2_AWS_10",
        TRAIL,
        _no_log_group_reason,
        when=lambda f: f.config.cloudwatch_logs is None,
    ),
    CheckovSkip(
        "CKV_AWS_67",
        TRAIL,
        lambda f: (
            f"trail.is_multi_region: false - only {f.config.trail.home_region} of each account "
            "is recorded"
        ),
        when=lambda f: not f.config.trail.is_multi_region,
        switched_off=True,
    ),
)


class EventsView(NamedTuple):
    """The ``advanced_event_selector`` and ``insight_selector`` blocks (``trail.events``).

    The selectors are built once, in :func:`events.selectors`, which validation also reads, so
    what ``validate`` counted and checked is exactly what is written.
    """

    selectors: tuple[Selector, ...]
    insights: tuple[str, ...]
    excludes_own_buckets: bool
    own_bucket_prefixes: tuple[str, ...]


def _excluded_own_prefixes(config: Config, written: list[Selector]) -> tuple[str, ...]:
    """The own buckets' prefixes that a written selector excludes (resources.ARN NotStartsWith).

    Read from the selectors themselves: an S3 entry that lists ``resources`` records only those
    prefixes and writes no exclusion, so the comment must not claim one.
    """
    excluded = {
        value
        for selector in written
        for condition in selector.conditions
        if condition.field == "resources.ARN"
        for op, values in condition.operators
        if op == "not_starts_with"
        for value in values
    }
    own = (object_prefix(config, bucket) for bucket in own_buckets(config))
    return tuple(prefix for prefix in own if prefix in excluded)


def _events(facts: ModuleFacts) -> EventsView | None:
    config = facts.config
    events = config.trail.events
    if events is None:
        return None
    written = selectors(config)
    own_prefixes = _excluded_own_prefixes(config, written)
    return EventsView(
        selectors=tuple(written),
        insights=tuple(events.insights),
        excludes_own_buckets=bool(own_prefixes),
        own_bucket_prefixes=own_prefixes,
    )


class Beside(NamedTuple):
    """The owner's organization trail this module's trail of data events sits beside."""

    manager: str
    arn: str


class TrailView(NamedTuple):
    """What cloudtrail.tf needs."""

    files: tuple[str, ...]
    label: str
    provider: str | None
    name: str
    bucket: str
    s3_key_prefix: str | None
    is_multi_region: bool
    include_global_service_events: bool
    enable_log_file_validation: bool
    log_group_arn: str | None
    role_arn: str | None
    depends_on: tuple[str, ...]
    arn: str
    home_region: str
    kms_key: str | None
    skips: tuple[Skip, ...]
    validation_off: bool
    expected_regions: tuple[str, ...]
    events: EventsView | None
    beside: Beside | None


def build(facts: ModuleFacts) -> TrailView:
    """The trail, depending on everything CreateTrail validates before it."""
    config = facts.config
    trail = config.trail
    depends_on = [ORGANIZATION]
    if facts.writes_bucket_policy:
        depends_on.append(BUCKET_POLICY)
    if facts.enables_trusted_access:
        depends_on.append(TRUSTED_ACCESS)
    admin = config.delegated_admin
    if admin is not None and not admin.registered:
        depends_on.append(DELEGATED_ADMIN)
    if facts.has_cloudwatch:
        depends_on.append(ROLE_POLICY)
    if facts.has_created_key:
        depends_on.append(KEY)
    return TrailView(
        files=("cloudtrail",) if facts.creates_trail else (),
        label=label(TRAIL),
        provider=facts.trail_provider,
        name=trail.name,
        bucket=Ref(f"{BUCKET}.id") if config.bucket.create else config.bucket.name,
        s3_key_prefix=trail.s3_key_prefix,
        is_multi_region=trail.is_multi_region,
        include_global_service_events=trail.include_global_service_events,
        enable_log_file_validation=trail.enable_log_file_validation,
        log_group_arn=Ref(f"{LOG_GROUP}.arn") if facts.has_cloudwatch else None,
        role_arn=Ref(f"{ROLE}.arn") if facts.has_cloudwatch else None,
        depends_on=tuple(sorted(depends_on)),
        arn=facts.arns.trail,
        home_region=facts.arns.home_region,
        kms_key=facts.key_reference,
        skips=tuple(skips_for(SKIPS, TRAIL, facts)),
        validation_off=not trail.enable_log_file_validation,
        expected_regions=tuple(trail.expected_regions),
        events=_events(facts),
        beside=Beside(facts.owner.manager, facts.owner.arn) if facts.owner else None,
    )


def delivery_regions(config: Config) -> list[str]:
    """The regions whose files the organization expects: the trail's, and where global events go.

    Since November 2021 CloudTrail records IAM, STS and CloudFront events in the partition's
    global region only (us-east-1 in aws); a table without it would miss every IAM change and
    console sign-in even when the organization runs nowhere else there.
    """
    regions = config.trail.expected_regions
    partition = partition_of(config.trail.home_region)
    extra = partition.global_region if partition else None
    if config.trail.include_global_service_events and extra and extra not in regions:
        regions = [*regions, extra]
    return regions


def warnings(facts: ModuleFacts) -> list[str]:
    """A single-region trail leaves regions unlogged; selectors can leave scanners failing."""
    trail = facts.config.trail
    result = []
    if not trail.is_multi_region:
        result.append(
            f"trail.is_multi_region is false: the organization trail records {trail.home_region} "
            "only; every other region of every account is unlogged"
        )
    if not facts.config.tags:
        result.append(
            "tags is {}: the trail and every other resource are untagged, and Security Hub "
            "CloudTrail.9 fails; omit tags for ManagedBy = orgtrail-gen, or name your own"
        )
    return result + event_warnings(facts.config)


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The trail's ARN and home region, when this module creates a trail."""
    if not facts.creates_trail:
        return ()
    return (
        Output("trail_arn", f"{TRAIL}.arn", "The trail's ARN."),
        Output("trail_home_region", f"{TRAIL}.home_region", "Region the trail is managed from."),
    )


SECTION = Section(
    name="trail",
    keys=("trail",),
    templates=("cloudtrail",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
    outputs=outputs,
    rules=rules,
    skips=SKIPS,
    resources={"aws_cloudtrail": "trail"},
)
