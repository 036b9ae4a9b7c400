"""The controls beside an owner's trail (``owner_trail``): what is this module's, what the owner's.

Why a second look at the verdicts: the evaluators of :mod:`controls` judge the trail, bucket,
key and log group of the module. Beside an owner's trail (Control Tower's, a stack's) the
organization's management events are recorded by the owner's trail, into the owner's bucket,
under the owner's key, and delivered to the owner's log group: none of them is in the module
(rule OTG110), none can be read offline. So, for the controls they decide:

* a check that passes on any trail of the account (prowler's cloudtrail_multi_region_enabled,
  Security Hub CloudTrail.1, CIS 3.1): satisfied when this module's own trail passes it on its
  own, else ``manual``: it passes or fails on the owner's trail, and the reason says what to
  look at there (``orgtrail-gen verify`` checks that trail);
* a check of each trail (validation, encryption, tags, Insights, CloudWatch delivery): judged on
  this module's trail as ever, the owner's trail being a finding of its own; without a trail of
  this module, ``manual`` on the owner's;
* a check of the owner's bucket, key or log group: ``manual``, naming the owner and the setting;
* the CIS metric filters: this module's, on the owner's log group, judged by their patterns as
  on a group of this module; they hold while the owner's trail delivers there.

Each rule looks at the facts first (a module with its own log group, bucket or key is judged as
ever), so that the summary can judge the module it compares with under the current config.
"""

from __future__ import annotations

from dataclasses import replace

from generator.review import controls_filters as filters
from generator.review.catalogue import CIS, PROWLER, Control
from generator.review.facts import ModuleFacts
from generator.review.owner import VERIFY, Owner
from generator.review.verdict import MANUAL, NOT_SATISFIED, SATISFIED, Context, Verdict

_GET_SELECTORS = "aws cloudtrail get-event-selectors"
# What to look at on the owner's trail, per evaluator.
_TRAIL = {
    "multi_region": "that it is multi-region and logging (aws cloudtrail get-trail-status)",
    "logging": "that it is logging (aws cloudtrail get-trail-status: IsLogging)",
    "management_events": "that it is multi-region, logging, and records every management "
    f"event, read and write, no source excluded ({_GET_SELECTORS})",
    "prowler_management_events": "that it is logging with a classic selector (ReadWriteType "
    "All, IncludeManagementEvents true) or an advanced one named 'Management events selector' "
    f"without readOnly, what prowler looks for ({_GET_SELECTORS})",
    "prowler_bedrock": "that it is logging and records write management events of Bedrock's "
    f"sources, or a Bedrock data resource, what prowler looks for ({_GET_SELECTORS})",
    "validation": "LogFileValidationEnabled (aws cloudtrail describe-trails)",
    "kms": "its KmsKeyId (aws cloudtrail describe-trails)",
    "tagged": "its tags (aws cloudtrail list-tags)",
    "insights": "its Insights selectors (aws cloudtrail get-insight-selectors)",
    "cloudwatch_logs": "its CloudWatchLogsLogGroupArn and a LatestCloudWatchLogsDeliveryTime "
    "within a day (aws cloudtrail get-trail-status)",
}
_MANAGEMENT = ("management_events", "prowler_management_events", "prowler_bedrock")
_ANY_TRAIL = ("multi_region", "logging", *_MANAGEMENT)
_EACH_TRAIL = ("validation", "kms", "tagged", "insights")
# What to look at on the owner's bucket (the trail's), per evaluator.
_BUCKET = {
    "bucket_not_public": "its public access block (all four settings, aws s3api "
    "get-public-access-block) and that its policy allows '*' nothing without a condition",
    "access_logging": "its server access logging (aws s3api get-bucket-logging)",
    "mfa_delete": "MFADelete in aws s3api get-bucket-versioning",
}
_DESCRIBE_GROUPS = "aws logs describe-log-groups"
_GROUP = {
    "log_group_kms": f"that it has a kmsKeyId ({_DESCRIBE_GROUPS})",
    "log_group_private": "that no CloudWatch Logs resource policy of its account allows '*' on "
    "it, or on '*', without a condition pinning the account or organization (aws logs "
    "describe-resource-policies)",
}
_FILTERS = ("cis_filter", "cloudwatch", "prowler_filter")


def adjust(control: Control, ctx: Context, owner: Owner, verdict: Verdict) -> Verdict:
    """The verdict of ``control`` beside ``owner``'s trail, from the one the module alone has."""
    check = control.check
    if check in _ANY_TRAIL:
        return _any_trail(control, ctx, owner, verdict)
    if check in _EACH_TRAIL:
        return _each_trail(control, ctx, owner, verdict)
    if check == "cloudwatch_logs" and not ctx.facts.log_group:
        return _cloudwatch_logs(control, ctx, owner)
    if check in _BUCKET and not (ctx.facts.bucket_managed or ctx.facts.public_grant):
        cross = ""
        if control.framework == PROWLER and owner.bucket_account != _account(owner.trail_arn):
            cross = "; scanned from the trail's account prowler reports MANUAL (cross-account "
            cross += "bucket)"
        return Verdict(MANUAL, f"{owner.bucket_words}: check {_BUCKET[check]}{cross}",
                       "owner_trail")  # fmt: skip
    if check == "key_rotation" and owner.key_arn and ctx.facts.key_rotation is None:
        return Verdict(MANUAL, f"{owner.key_words}: check its automatic rotation (aws kms "
                       "get-key-rotation-status)", "owner_trail")  # fmt: skip
    if check in ("retention", *_GROUP) and not ctx.facts.log_group and owner.log_group:
        look = _GROUP.get(check) or _retention(control)
        return Verdict(MANUAL, f"{owner.group_words}: check {look}", "owner_trail.log_group_arn")
    if check in _FILTERS and not ctx.facts.filters:
        return _filter(control, ctx, owner)
    return verdict


def _account(arn: str) -> str:
    return arn.split(":")[4]


def _own_failure(check: str, owner: Owner, verdict: Verdict) -> str:
    """Why this module's trail (or its absence) does not pass an any-trail check."""
    if owner.own_trail is None:
        return owner.own_words
    if check in _MANAGEMENT:
        return (f"this module's trail {owner.own_trail} records no management events (beside "
                f"{owner.manager}'s trail it must not: trail.events.management none)")  # fmt: skip
    return f"this module's trail {owner.own_trail}: {verdict.reason}"


def _any_trail(control: Control, ctx: Context, owner: Owner, verdict: Verdict) -> Verdict:
    """Passes on any trail: on this module's own, or else on the owner's."""
    if verdict.status == SATISFIED:
        if control.check == "multi_region" and owner.own_trail is not None:
            return Verdict(SATISFIED, f"this module's trail {owner.own_trail} is multi-region and "
                           "logging: prowler passes every region on any logging trail "
                           f"({owner.manager}'s counts too)", verdict.key)  # fmt: skip
        return verdict
    verify = VERIFY
    if control.check in ("prowler_management_events", "prowler_bedrock"):  # not prowler's terms
        verify = "`orgtrail-gen verify` checks that it logs and records every management event"
    return Verdict(MANUAL, f"{_own_failure(control.check, owner, verdict)}; it passes or fails "
                   f"on {owner.trail_words}: check {_TRAIL[control.check]}; {verify}",
                   "owner_trail.arn")  # fmt: skip


def _each_trail(control: Control, ctx: Context, owner: Owner, verdict: Verdict) -> Verdict:
    """Judged per trail: this module's as ever; the owner's is a finding of its own."""
    look = _TRAIL[control.check]
    if not ctx.facts.trail:
        return Verdict(MANUAL, f"{owner.own_words}; the scanner judges {owner.trail_words}: "
                       f"check {look}", "owner_trail.arn")  # fmt: skip
    own = owner.own_trail
    if control.check == "insights" and verdict.status != SATISFIED:
        return Verdict(NOT_SATISFIED, f"this module's trail {own} has no Insights selectors and "
                       "can have none: Insights analyse management events, which it does not "
                       f"record (beside {owner.manager}'s trail it must not); prowler judges "
                       f"every logging trail and reports {own} FAIL: mute that finding; "
                       f"{owner.manager}'s trail is judged on its own: check {look}",
                       "trail.events")  # fmt: skip
    return Verdict(verdict.status, f"{verdict.reason}; {owner.manager}'s trail is judged as a "
                   f"trail of its own: check {look}", verdict.key)  # fmt: skip


def _cloudwatch_logs(control: Control, ctx: Context, owner: Owner) -> Verdict:
    """CIS 3.4 asks it of the trail that records the account's activity; the others of each."""
    look = _TRAIL["cloudwatch_logs"]
    group = owner.log_group
    where = (f"delivers the management events to {group} (owner_trail.log_group_arn)" if group
             else "delivers to a log group this config does not name "
             "(owner_trail.log_group_arn), if any")  # fmt: skip
    owners = f"{owner.trail_words} {where}: check {look}; {VERIFY}"
    own = owner.own_trail
    if not ctx.facts.trail:
        return Verdict(MANUAL, f"{owner.own_words}; {owners}", "owner_trail.log_group_arn")
    s3_only = (f"this module's trail {own} delivers its data events to S3 only, as it must "
               f"(cloudwatch_logs is refused beside {owner.manager}'s trail)")  # fmt: skip
    if control.framework == CIS:
        return Verdict(MANUAL, f"{owners}; {s3_only}, and prowler, which maps CIS 3.4 to "
                       f"cloudtrail_cloudwatch_logging_enabled, reports {own} FAIL",
                       "owner_trail.log_group_arn")  # fmt: skip
    scanner = "prowler" if control.framework == PROWLER else "AWS Config's rule"
    return Verdict(NOT_SATISFIED, f"{s3_only}; {scanner} judges every trail and reports {own} "
                   f"failed: mute that finding. {owners}", "trail.events")  # fmt: skip


def _retention(control: Control) -> str:
    minimum = control.argument
    option = (f" (prowler's log_group_retention_days, default {minimum})"
              if control.framework == PROWLER else "")  # fmt: skip
    return (f"that it keeps events at least {minimum} days or never expires them "
            f"({_DESCRIBE_GROUPS}: retentionInDays){option}")  # fmt: skip


def _no_gate(ctx: Context) -> Verdict | None:
    """The owner's trail feeds the group: not judged offline (the note says what holds)."""
    return None


def _filter(control: Control, ctx: Context, owner: Owner) -> Verdict:
    """This module's filters on the owner's group, judged by their patterns as ever."""
    facts, group = ctx.facts, owner.log_group
    if group is None:
        return Verdict(NOT_SATISFIED, f"no metric filters: this config names no log group of "
                       f"{owner.manager}'s trail (owner_trail.log_group_arn) for them to watch",
                       "owner_trail.log_group_arn")  # fmt: skip
    if facts.watched_group not in (None, group):
        return Verdict(NOT_SATISFIED, f"the metric filters watch {facts.watched_group}, not "
                       f"{owner.manager}'s log group {group}: they see none of its trail's events",
                       "owner_trail.log_group_arn")  # fmt: skip
    on_owner = Context(replace(facts, filters=facts.watched, log_group=True), ctx.config)
    if control.check == "prowler_filter":
        verdict = filters.prowler_filter(control, on_owner)
        holds = f"prowler finds the group through a trail delivering to it, {owner.manager}'s"
    else:
        if control.check == "cis_filter":
            where = f"{owner.manager}'s group {group}"
            verdict = filters.cis_filter(control, on_owner, _no_gate, where)
        else:
            verdict = filters.security_hub_filter(control, on_owner, _no_gate)
        holds = (f"it holds while {owner.manager}'s trail delivers there, multi-region and "
                 "logging every management event")  # fmt: skip
    if verdict.status == NOT_SATISFIED:
        return verdict
    return Verdict(verdict.status, f"{verdict.reason}; {holds} ({VERIFY})", verdict.key)


def filters_where(facts: ModuleFacts, owner: Owner | None) -> tuple[str | None, str | None]:
    """The account of the log group the filters are on, and its owner's name when not ours."""
    if facts.log_group_account is not None or owner is None or not facts.watched:
        return facts.log_group_account, None
    return owner.log_group_account, owner.manager
