"""Judge every catalogued control against the facts of one generated module.

Why computed: a hand-kept table of answers goes stale the first time a config changes; here
each verdict is a function of :class:`~generator.review.facts.ModuleFacts`, read from the
re-parsed HCL, so changing the config changes the report. The config is consulted only to
name the key that would change a verdict (``monitoring.flavours`` rather than
``monitoring.cis_controls`` when a filter exists in the wrong flavour). Beside an owner's trail
(``owner_trail``) :mod:`controls_owner` takes a second look at each verdict: what passes or
fails on the owner's trail, bucket, key or log group is said so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from generator.review import controls_filters as filters
from generator.review import controls_owner, prowler, prowler_services
from generator.review.catalogue import PROWLER, Control, controls
from generator.review.facts import ModuleFacts, s3_shortfall
from generator.review.owner import owner_of
from generator.review.verdict import MANUAL as MANUAL
from generator.review.verdict import NOT_APPLICABLE as NOT_APPLICABLE
from generator.review.verdict import NOT_SATISFIED as NOT_SATISFIED
from generator.review.verdict import SATISFIED as SATISFIED
from generator.review.verdict import STATUSES as STATUSES
from generator.review.verdict import Context, registry
from generator.review.verdict import Verdict as Verdict
from generator.sections.registry import Config


@dataclass(frozen=True)
class Result:
    """One control and its verdict."""

    control: Control
    verdict: Verdict


@dataclass(frozen=True)
class Report:
    """One module's verdicts, and the account its metric filters are judged in."""

    module: str
    results: list[Result]
    filters_account: str | None
    log_group_owner: str | None = None  # beside an owner's trail: whose group they are on


_Context = Context
EVALUATORS, _evaluator = registry()
EVALUATORS.update(prowler_services.EVALUATORS)  # the bucket, keys, topic, workgroup, table


def _trail_problem(facts: ModuleFacts) -> Verdict | None:
    if not facts.trail:
        return Verdict(NOT_SATISFIED, "the module has no trail", "trail")
    if not facts.logging:
        return Verdict(NOT_SATISFIED, "the trail's enable_logging is false", "trail")
    if not facts.multi_region:
        return Verdict(
            NOT_SATISFIED,
            "the trail is single-region: every other region of every account is unlogged",
            "trail.is_multi_region",
        )
    return None


@_evaluator("multi_region")
def _multi_region(control: Control, ctx: _Context) -> Verdict:
    problem = _trail_problem(ctx.facts)
    kind = "organization trail" if ctx.facts.organization else "trail"
    return problem or Verdict(SATISFIED, f"the {kind} is multi-region and logging")


def _all_management(ctx: _Context) -> Verdict:
    """CIS 3.1 / CloudTrail.1: every management event, read and write, no source excluded."""
    problem = _trail_problem(ctx.facts)
    if problem:
        return problem
    recorded = ctx.facts.all_management_events
    if recorded is None:
        return Verdict(MANUAL, "the trail has basic event selectors: check they record read and "
                       "write management events")  # fmt: skip
    if not recorded:
        return Verdict(NOT_SATISFIED, "the trail's selectors do not record every management "
                       "event, read and write", "trail.events.management")  # fmt: skip
    kind = "organization trail" if ctx.facts.organization else "trail"
    how = (
        "its management selector has no readOnly and no exclusion"
        if ctx.facts.custom_selectors
        else "no event selectors: CloudTrail's default"
    )
    return Verdict(SATISFIED, f"the {kind} is multi-region and logs management events read+write "
                   f"({how})")  # fmt: skip


@_evaluator("management_events")
def _management_events(control: Control, ctx: _Context) -> Verdict:
    verdict = _all_management(ctx)
    selectors = ctx.facts.selectors
    prowler_passes = not _trail_problem(ctx.facts) and prowler.logs_management_events(selectors)
    if verdict.status == NOT_SATISFIED and prowler_passes:
        excluded = sorted(
            {v for s in selectors for v in s.fields.get("eventSource", {}).get("not_equals", [])}
        )
        what = f" (it excludes {', '.join(excluded)})" if excluded else ""
        return Verdict(verdict.status, f"{verdict.reason}{what}; prowler "
                       f"{prowler.PROWLER_VERSION}'s {_PROWLER_MANAGEMENT} passes it (it only "
                       "wants no readOnly condition)", verdict.key)  # fmt: skip
    return verdict


_PROWLER_MANAGEMENT = "cloudtrail_multi_region_enabled_logging_management_events"


@_evaluator("prowler_management_events")
def _prowler_management_events(control: Control, ctx: _Context) -> Verdict:
    """cloudtrail_multi_region_enabled_logging_management_events: see prowler.py."""
    facts = ctx.facts
    problem = _trail_problem(facts)
    if problem or facts.basic_selectors:
        return problem or _all_management(ctx)
    if not prowler.logs_management_events(facts.selectors):
        return Verdict(NOT_SATISFIED, f"no advanced selector named '{prowler.MANAGEMENT_SELECTOR}'"
                       " without a readOnly condition (what prowler looks for)",
                       "trail.events.management")  # fmt: skip
    cis = _all_management(ctx)
    if cis.status == SATISFIED:
        return cis
    return Verdict(SATISFIED, f"the '{prowler.MANAGEMENT_SELECTOR}' has no readOnly condition, "
                   "which is all prowler checks; it leaves sources out, so CIS 3.1 and Security "
                   "Hub CloudTrail.1 are not satisfied", "trail.events.management")  # fmt: skip


@_evaluator("prowler_bedrock")
def _prowler_bedrock(control: Control, ctx: _Context) -> Verdict:
    """cloudtrail_bedrock_logging_enabled: any logging trail, multi-region or not."""
    facts = ctx.facts
    if not (facts.trail and facts.logging):
        return Verdict(NOT_SATISFIED, "no trail with logging enabled", "trail")
    if facts.basic_selectors:
        return Verdict(MANUAL, "the trail has basic event selectors: check they record write "
                       "management events")  # fmt: skip
    match = prowler.bedrock_match(facts.selectors)
    if match is None:
        return Verdict(NOT_SATISFIED, "no selector records Bedrock's API calls: no management "
                       "selector that records write events of Bedrock's sources, no Bedrock data "
                       "selector", "trail.events.management")  # fmt: skip
    if match == "data":
        return Verdict(SATISFIED, "an advanced data selector records a Bedrock resource type",
                       "trail.events.data")  # fmt: skip
    if not facts.selectors:
        return Verdict(SATISFIED, "no event selectors: CloudTrail's default records every "
                       "management event, Bedrock's control-plane calls included")  # fmt: skip
    reason = "the management selector records Bedrock's control-plane calls"
    if not facts.all_management_events:
        reason += (" (prowler accepts write-only and any exclusion that leaves a Bedrock "
                   "source; CIS 3.1 and Security Hub CloudTrail.1 are not satisfied)")  # fmt: skip
    return Verdict(SATISFIED, reason, "trail.events.management")


@_evaluator("logging")
def _logging(control: Control, ctx: _Context) -> Verdict:
    if ctx.facts.trail and ctx.facts.logging:
        return Verdict(SATISFIED, "the trail is created with enable_logging = true")
    return Verdict(NOT_SATISFIED, "no trail with logging enabled", "trail")


@_evaluator("kms")
def _kms(control: Control, ctx: _Context) -> Verdict:
    key = ctx.facts.trail_key
    if key == "managed":
        return Verdict(SATISFIED, "logs and digests are encrypted with a customer-managed key "
                       "created here")  # fmt: skip
    if key == "external":
        return Verdict(SATISFIED, "logs and digests are encrypted with the customer-managed key "
                       "kms.key_arn")  # fmt: skip
    return Verdict(
        NOT_SATISFIED, "the trail has no kms_key_id: logs are SSE-S3 only", "kms.enabled"
    )


@_evaluator("validation")
def _validation(control: Control, ctx: _Context) -> Verdict:
    if ctx.facts.validation:
        return Verdict(SATISFIED, "enable_log_file_validation = true: hourly signed digest files")
    return Verdict(NOT_SATISFIED, "log file validation is off: tampering cannot be proven")


@_evaluator("cloudwatch_logs")
def _cloudwatch_logs(control: Control, ctx: _Context) -> Verdict:
    if not ctx.facts.log_group:
        return Verdict(NOT_SATISFIED, "the trail delivers to S3 only (no cloudwatch_logs section)")
    reason = "the trail also delivers to a CloudWatch Logs group created here"
    if control.framework == PROWLER:  # cloudtrail_cloudwatch_logging_enabled: live data
        return Verdict(MANUAL, f"{reason}; prowler passes it only if GetTrailStatus's "
                       "LatestCloudWatchLogsDeliveryTime is within the last 24 hours: after "
                       "apply, check it with aws cloudtrail get-trail-status (orgtrail-gen "
                       "verify checks every account's delivery)")  # fmt: skip
    return Verdict(SATISFIED, reason)


def _cross_account(control: Control, facts: ModuleFacts) -> str:
    """Prowler reports MANUAL for a bucket outside the scanned account."""
    if control.framework == PROWLER and facts.bucket_account != facts.trail_account:
        return "; scanned from the trail's account prowler reports MANUAL (cross-account bucket)"
    return ""


@_evaluator("bucket_not_public")
def _bucket_not_public(control: Control, ctx: _Context) -> Verdict:
    facts = ctx.facts
    if facts.public_grant:
        return Verdict(NOT_SATISFIED, "the bucket policy allows '*' without a condition",
                       "bucket.kept_statements")  # fmt: skip
    if not facts.bucket_managed:
        return Verdict(MANUAL, "the bucket is not created here: its public access block is not "
                       "managed by this module")  # fmt: skip
    if facts.public_access_blocked:
        reason = "all four public access block settings are true; no public policy statement"
        return Verdict(SATISFIED, reason + _cross_account(control, facts))
    return Verdict(NOT_SATISFIED, "the bucket's public access block is incomplete")


@_evaluator("access_logging")
def _access_logging(control: Control, ctx: _Context) -> Verdict:
    facts = ctx.facts
    if facts.access_logging:
        return Verdict(
            SATISFIED,
            "aws_s3_bucket_logging sends server access logs to "
            "bucket.access_logging.target_bucket" + _cross_account(control, facts),
        )
    if not facts.bucket_managed:
        return Verdict(MANUAL, "the bucket is not created here: check its server access logging")
    return Verdict(NOT_SATISFIED, "no server access logging on the log bucket (the log objects "
                   "are stored, and billed, in the target bucket)")  # fmt: skip


@_evaluator("key_rotation")
def _key_rotation(control: Control, ctx: _Context) -> Verdict:
    rotation = ctx.facts.key_rotation
    if ctx.facts.trail_key is None:
        return Verdict(NOT_APPLICABLE, "no customer-managed key is used", "kms.enabled")
    if rotation is None:
        return Verdict(MANUAL, "the key is kms.key_arn, not managed here: check its rotation")
    if rotation:
        return Verdict(SATISFIED, "the trail's key is created with enable_key_rotation = true")
    return Verdict(NOT_SATISFIED, "the trail's key does not rotate")


@_evaluator("outside")
def _outside(control: Control, ctx: _Context) -> Verdict:
    return Verdict(NOT_APPLICABLE, control.argument)


@_evaluator("events")
def _events(control: Control, ctx: _Context) -> Verdict:
    return Verdict(MANUAL, "judges the recorded events, not the configuration: run the scanner")


@_evaluator("s3_data_events")
def _s3_data_events(control: Control, ctx: _Context) -> Verdict:
    kind = control.argument
    if kind in ctx.facts.s3_data_events:
        return Verdict(SATISFIED, f"an advanced selector records S3 {kind} data events of every "
                       "bucket (the trail's own excluded)", "trail.events")  # fmt: skip
    reason = s3_shortfall(ctx.facts.selectors, kind)
    if prowler.records_s3_objects(ctx.facts.selectors):
        reason += (f"; prowler {prowler.PROWLER_VERSION}'s cloudtrail_s3_dataevents_{kind}_enabled "
                   "passes it (any AWS::S3::Object selector)")  # fmt: skip
    return Verdict(NOT_SATISFIED, reason, "trail.events")


@_evaluator("prowler_s3_data_events")
def _prowler_s3_data_events(control: Control, ctx: _Context) -> Verdict:
    """cloudtrail_s3_dataevents_{read,write}_enabled: one resources.type AWS::S3::Object."""
    kind = control.argument
    if ctx.facts.basic_selectors:
        return Verdict(MANUAL, "the trail has basic event selectors: check their S3 data "
                       "resources", "trail.events")  # fmt: skip
    if not (ctx.facts.trail and prowler.records_s3_objects(ctx.facts.selectors)):
        return Verdict(NOT_SATISFIED, s3_shortfall(ctx.facts.selectors, kind), "trail.events")
    if kind in ctx.facts.s3_data_events:
        return _s3_data_events(control, ctx)
    cis = s3_shortfall(ctx.facts.selectors, kind)
    return Verdict(SATISFIED, "an advanced selector has resources.type AWS::S3::Object, all "
                   "prowler checks (not readOnly, resources.ARN or eventName); CIS is not "
                   f"satisfied: {cis}", "trail.events")  # fmt: skip


@_evaluator("mfa_delete")
def _mfa_delete(control: Control, ctx: _Context) -> Verdict:
    where = _cross_account(control, ctx.facts)
    if ctx.facts.mfa_delete:
        return Verdict(SATISFIED, "the bucket's versioning has mfa_delete = Enabled" + where)
    return Verdict(NOT_SATISFIED, "MFA delete is off: only the bucket owner's root user, with "
                   "its MFA device, can turn it on, through the API or CLI (not Terraform with "
                   "ordinary credentials), and S3 then refuses the bucket's lifecycle "
                   "configuration; bucket.object_lock protects versions instead (orgtrail-gen "
                   "docs, Security posture: MFA delete)" + where)  # fmt: skip


@_evaluator("insights")
def _insights(control: Control, ctx: _Context) -> Verdict:
    if ctx.facts.insights:
        return Verdict(SATISFIED, "the trail has insight selectors", "trail.events.insights")
    return Verdict(NOT_SATISFIED, "the trail has no Insights selectors; trail.events.insights "
                   "offers them (charged per management event analysed, per Insights type: "
                   "orgtrail-gen docs, Security posture: Insights)",
                   "trail.events.insights")  # fmt: skip


@_evaluator("tagged")
def _tagged(control: Control, ctx: _Context) -> Verdict:
    tags = ctx.facts.trail_tags
    if tags:
        return Verdict(SATISFIED, f"the trail carries tags {', '.join(tags)} (tags, through the "
                       "provider's default_tags)")  # fmt: skip
    return Verdict(NOT_SATISFIED, "the trail has no tags")


def _alarm_verdict(ctx: _Context, passes: Callable[..., bool], what: str) -> Verdict:
    alarms = ctx.facts.alarms
    if not alarms:
        return Verdict(NOT_APPLICABLE, "the module creates no alarms", "monitoring")
    failing = [a.address for a in alarms if not passes(a)]
    if failing:
        return Verdict(NOT_SATISFIED, f"{len(failing)} alarm(s) lack {what}: {failing[0]}")
    return Verdict(SATISFIED, f"all {len(alarms)} alarms have {what}")


@_evaluator("alarm_actions")
def _alarm_actions(control: Control, ctx: _Context) -> Verdict:
    return _alarm_verdict(ctx, lambda a: a.has_action, "an ALARM action (the topic)")


@_evaluator("alarm_actions_enabled")
def _alarm_actions_enabled(control: Control, ctx: _Context) -> Verdict:
    return _alarm_verdict(ctx, lambda a: a.actions_enabled, "actions_enabled = true")


@_evaluator("retention")
def _retention(control: Control, ctx: _Context) -> Verdict:
    days, minimum = ctx.facts.log_group_retention, int(control.argument)
    if days is None:
        return Verdict(NOT_APPLICABLE, "the module creates no log group", "cloudwatch_logs")
    if days == 0:
        return Verdict(SATISFIED, "the trail's log group never expires")
    what = f" (prowler's log_group_retention_days, default {minimum})" * (
        control.framework == PROWLER
    )
    if days >= minimum:
        return Verdict(SATISFIED, f"the trail's log group keeps {days} days (>= {minimum}){what}")
    return Verdict(NOT_SATISFIED, f"the trail's log group keeps {days} days (< {minimum}){what}")


@_evaluator("log_group_kms")
def _log_group_kms(control: Control, ctx: _Context) -> Verdict:
    if not ctx.facts.log_group:
        return Verdict(NOT_APPLICABLE, "the module creates no log group", "cloudwatch_logs")
    if ctx.facts.log_group_encrypted:
        return Verdict(SATISFIED, "the trail's log group has a kms_key_id")
    return Verdict(NOT_SATISFIED, "the trail's log group is not KMS-encrypted")


@_evaluator("log_group_private")
def _log_group_private(control: Control, ctx: _Context) -> Verdict:
    if not ctx.facts.log_group:
        return Verdict(NOT_APPLICABLE, "the module creates no log group", "cloudwatch_logs")
    written = ctx.facts.log_resource_policies
    if written:
        return Verdict(MANUAL, f"the module writes {', '.join(written)}: check that it opens "
                       "the trail's log group to no one outside")  # fmt: skip
    return Verdict(
        MANUAL,
        "the module writes no CloudWatch Logs resource policy, but prowler "
        "reads the account's (they are per account and region): aws logs "
        "describe-resource-policies must show none that allows '*' (without a "
        "condition pinning the account or organization) on this group or on '*'",
    )


def _management_gate(ctx: _Context) -> Verdict | None:
    """The trail that feeds this module's group must log every management event."""
    trail = _all_management(ctx)
    return None if trail.status == SATISFIED else trail


@_evaluator("cis_filter")
def _cis_filter(control: Control, ctx: _Context) -> Verdict:
    return filters.cis_filter(control, ctx, _management_gate, "the trail's group")


@_evaluator("cloudwatch")
def _security_hub_filter(control: Control, ctx: _Context) -> Verdict:
    return filters.security_hub_filter(control, ctx, _management_gate)


@_evaluator("prowler_filter")
def _prowler_filter(control: Control, ctx: _Context) -> Verdict:
    return filters.prowler_filter(control, ctx)


def evaluate(facts: ModuleFacts, config: Config) -> list[Result]:
    """Every catalogued control's verdict, in catalogue order.

    Raises:
        KeyError: A catalogue entry names no evaluator (a test proves none does).
    """
    context = _Context(facts, config)
    owner = owner_of(config)
    results = []
    for control in controls():
        verdict = EVALUATORS[control.check](control, context)
        if owner is not None:  # beside an owner's trail: what is the owner's is said so
            verdict = controls_owner.adjust(control, context, owner, verdict)
        if not verdict.key:
            verdict = Verdict(verdict.status, verdict.reason, control.key)
        results.append(Result(control, verdict))
    return results


def report(stem: str, facts: ModuleFacts, config: Config) -> Report:
    """The report of one module: every verdict, and where its filters live."""
    account, group_owner = controls_owner.filters_where(facts, owner_of(config))
    return Report(stem, evaluate(facts, config), account, group_owner)
