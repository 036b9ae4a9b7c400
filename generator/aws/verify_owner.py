"""verify in the companion layout (``owner_trail``): which checks run, and the owner's trail.

Why a module of its own: beside Control Tower's (LZA's, a stack's, another team's) organization
trail, several of verify's layers are the owner's - its trail, its bucket policy, its key, its
log group - and this module only needs things from them. Those layers are checked as the
owner's: the trail named in ``owner_trail.arn`` exists, is an organization trail, logs, records
the management events and delivers where the config says (here); the owner's bucket and key
policies admit what this module needs (:mod:`generator.aws.verify_owner_policies`). What is the
owner's alone (the rest of its bucket policy, its log group's retention, its delivery role) is
one ``not applicable`` note each, never a failure. :func:`layout_checks` puts these checks in
the places of the ones they replace.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from generator.aws.accounts import check_s3_delivery
from generator.aws.live import NOT_APPLICABLE, Live, Result
from generator.aws.verify_events import describe, live_selectors, recorded
from generator.aws.verify_owner_policies import (
    BUCKET,
    KEY,
    REDISCOVER,
    check_bucket_statements,
    check_key_statements,
    keeper,
)
from generator.sections.registry import Config, facts_of

Check = Callable[[Live], list[Result]]

TRAIL = "owner trail"


# --- which checks run ---------------------------------------------------------------------------


def layout_checks(live: Live, checks: Iterable[tuple[str, Check]]) -> list[tuple[str, Check]]:
    """The checks for this config: the owner's layers take the places of the ones they are.

    Any config without ``owner_trail`` and with a bucket policy of the module's runs ``checks``
    as they are.
    """
    facts = facts_of(live.config, live.arns)
    replaced: dict[str, list[tuple[str, Check]]] = {}
    if not facts.writes_bucket_policy:
        replaced["bucket policy"] = [(BUCKET, check_bucket_statements)]
        replaced["bucket policy drift"] = [("bucket policy drift", _kept_policy)]
    if facts.owner is not None:
        replaced["key policy"] = [(KEY, check_key_statements)]
        replaced["CloudWatch delivery"] = [("CloudWatch delivery", _owner_log_group)]
        if not facts.creates_trail:
            replaced.update({"trail": [("trail", _no_trail)], "trail status": []})
            replaced.update({"trail events": [], "S3 delivery": [("S3 delivery", _delivery)]})
    result: list[tuple[str, Check]] = []
    for name, check in checks:
        result += replaced.get(name, [(name, check)])
        if name == "trusted access" and facts.owner is not None:
            result.append((TRAIL, check_owner_trail))
    return result


def _kept_policy(live: Live) -> list[Result]:
    """existing_policy: keep - the policy's other statements are its owner's, not drift."""
    return [
        Result(
            "bucket policy drift",
            live.config.bucket.name,
            "note",
            "only statements the config produces",
            f"{NOT_APPLICABLE}: existing_policy: keep - the bucket policy is "
            f"{keeper(live.config)}'s, so its other statements are theirs",
        )
    ]


def _no_trail(live: Live) -> list[Result]:
    """trail.events omitted beside an owner's trail: this module has no trail to check."""
    return [
        Result(
            "trail",
            live.config.trail.name,
            "note",
            "this module's trail of data events (trail.events)",
            f"{NOT_APPLICABLE}: trail.events is not set, so this module creates no trail; "
            f"{keeper(live.config)}'s trail records the events (owner trail rows)",
        )
    ]


def _owner_log_group(live: Live) -> list[Result]:
    """The log group, its retention and the delivery role are the owner's: one note."""
    owner, who = live.config.owner_trail, keeper(live.config)
    group = owner.log_group_name if owner else None
    found = (
        f"{NOT_APPLICABLE}: the log group {group}, its retention and the trail's delivery role "
        f"are {who}'s; the owner trail rows check that its trail delivers there"
        if group
        else f"{NOT_APPLICABLE}: {who}'s trail delivers to S3 only (owner_trail.log_group_arn "
        "is not set)"
    )
    return [
        Result("CloudWatch delivery", group or "log group", "note", "", found, layer="log group")
    ]


def _delivery(live: Live) -> list[Result]:
    """Every account's folder, delivered by the owner's trail (this module creates none).

    The S3 delivery check reads ``live.trail`` and its status; a shallow copy of ``live`` with
    the owner's in their places shares every answer read so far (the session, the accounts).
    """
    view = copy.copy(live)
    view.__dict__["trail"] = live.owner_trail
    view.__dict__["trail_status"] = live.owner_trail_status if live.owner_trail else {}
    return check_s3_delivery(view)


# --- the owner's trail --------------------------------------------------------------------------


def _row(subject: str, expected: object, found: object, fix: str) -> Result:
    def show(value: object) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "none" if value is None else str(value)

    ok = expected == found
    return Result(
        TRAIL, subject, "ok" if ok else "fail", show(expected), show(found), "" if ok else fix
    )


def _events_row(live: Live, trail: dict[str, Any], subject: str, who: str) -> Result:
    """The owner's trail records every management event: this module's trail records none."""
    answer = live.selectors_of(str(trail.get("TrailARN")), trail.get("HomeRegion") or live.home)
    found = recorded(live_selectors(answer, trail.get("HasCustomEventSelectors")))
    words, expected = "; ".join(describe(found)), "every management event, read and write"
    missing = {"read", "write"} - found.management.keys()
    excluded = sorted({s for sources in found.management.values() for s in sources})
    if missing:
        fix = (
            f"the companion layout leaves the management events to {who}'s trail (this "
            f"module's trail records none): ask {who} to record {' and '.join(sorted(missing))} "
            "management events again; CIS's metric filters match both"
        )
        return Result(TRAIL, subject, "fail", expected, words, fix)
    if excluded:
        fix = f"no trail records the events of {', '.join(excluded)}: no metric filter sees them"
        return Result(TRAIL, subject, "note", expected, words, fix)
    return Result(TRAIL, subject, "ok", expected, words)


def check_owner_trail(live: Live) -> list[Result]:
    """The trail ``owner_trail`` names: there, an organization trail, logging, recording, ours.

    Each mismatch says what the config must follow (the owner changed its trail) or what to
    ask the owner (the trail stopped doing what the companion layout rests on).
    """
    config, owner = live.config, live.config.owner_trail
    if owner is None:
        return []
    trail, name, who = live.owner_trail, owner.trail_name, owner.manager
    if trail is None:
        fix = (
            f"owner_trail.arn names no trail: {who} renamed or deleted it; {REDISCOVER}, "
            "fix owner_trail.arn, then run `orgtrail-gen` and `terraform apply`"
        )
        return [Result(TRAIL, name, "fail", owner.arn, "no such trail", fix)]
    status = live.owner_trail_status
    ask = f"ask {who} to"
    rows = [
        _row(
            f"{name} organization trail",
            True,
            trail.get("IsOrganizationTrail"),
            f"it records its own account only: {ask} make it an organization trail again, or "
            f"name the organization trail in owner_trail.arn ({REDISCOVER})",
        ),
        _row(
            f"{name} multi-region",
            True,
            trail.get("IsMultiRegionTrail"),
            f"it records its home region only: {ask} make it multi-region again",
        ),
        _row(
            f"{name} logging",
            "logging",
            "logging" if status.get("IsLogging") else "stopped",
            f"{ask} start it (`aws cloudtrail start-logging --name {owner.arn}`): while it is "
            "stopped no management event is recorded and no metric filter sees one",
        ),
    ]
    keys = ("LatestDeliveryError", "LatestCloudWatchLogsDeliveryError")
    errors = [str(status[k]) for k in keys if status.get(k)]
    rows.append(
        _row(
            f"{name} delivery errors",
            None,
            "; ".join(errors) or None,
            f"{who}'s trail cannot deliver: {ask} check its bucket, key and delivery role",
        )
    )
    rows.append(_events_row(live, trail, f"{name} event selectors", who))
    rows += _destination_rows(config, trail, name, who)
    return rows


def _destination_rows(config: Config, trail: dict[str, Any], name: str, who: str) -> list[Result]:
    """Bucket, prefix, key and log group: where the config says the owner's trail delivers."""
    owner = config.owner_trail
    assert owner is not None
    follow = f"{REDISCOVER}: this module's trail, Athena and the delivery rows follow it"
    rows = [
        _row(
            f"{name} bucket",
            config.bucket.name,
            trail.get("S3BucketName"),
            f"the owner's trail delivers to another bucket: set bucket.name (and log_archive, "
            f"the bucket's account) to it; {follow}",
        ),
        _row(
            f"{name} key prefix",
            config.trail.s3_key_prefix,
            trail.get("S3KeyPrefix") or None,
            f"set trail.s3_key_prefix to the owner's prefix; {follow}",
        ),
    ]
    kms = config.kms
    if kms.key_arn or not kms.enabled:
        rows.append(
            _row(
                f"{name} KMS key",
                kms.key_arn if kms.enabled else None,
                trail.get("KmsKeyId") or None,
                "set kms.key_arn to the owner's key (kms.enabled: false when it has none; "
                f"{REDISCOVER}): the statements kms.tf prints belong in that key's policy",
            )
        )
    found = str(trail.get("CloudWatchLogsLogGroupArn") or "").removesuffix(":*") or None
    if owner.log_group_arn is None:
        if found:
            fix = f"set owner_trail.log_group_arn to {found}:* to put the metric filters on it"
            rows.append(Result(TRAIL, f"{name} log group", "note", "not set", found, fix))
        return rows
    suffix = (
        " (Control Tower names it aws-controltower/CloudTrailLogs-<random suffix> since "
        "landing zone 4.0)"
        if owner.managed_by == "control-tower"
        else ""
    )
    moved = (
        f"the owner's trail delivers to another log group{suffix}: {REDISCOVER} and set "
        f"owner_trail.log_group_arn to {found}:*, then run `orgtrail-gen` and `terraform "
        "apply`: the metric filters and alarms move to it (today they watch a log group that "
        "receives nothing)"
        if found
        else f"{who}'s trail no longer delivers to CloudWatch Logs, so no metric filter sees "
        f"an event: ask {who} to turn it back on, or remove owner_trail.log_group_arn and "
        "monitoring"
    )
    rows.append(_row(f"{name} log group", owner.log_group_arn.removesuffix(":*"), found, moved))
    return rows
