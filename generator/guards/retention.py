"""Rule OTG042: a regeneration shortens no retention of stored evidence.

Why: a shorter log-group retention, a lifecycle expiration introduced or shortened, or a
weaker Object Lock default deletes stored events just as surely as a replacement, and the plan
shows it only as an in-place change. The new output is compared with the module in the output
folder and with what ``adopt:`` says the log group keeps today; the user names each such change
with ``--allow-shorter-retention ADDRESS``.
"""

from __future__ import annotations

from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, nested
from generator.check.preflight import Facts, Finding, rule

_NEVER = 0  # CloudWatch Logs' retention_in_days 0 (or unset): events never expire


def days_words(days: int) -> str:
    """``365 days``, or ``never expire`` for 0."""
    return "never expire" if days == _NEVER else f"{days} days"


def shorter(before: int, after: int) -> bool:
    """Whether ``after`` keeps less than ``before``; 0 means forever."""
    return after != _NEVER and (before == _NEVER or after < before)


def log_retention(block: Block) -> int:
    """A log group's ``retention_in_days``; 0 (never expire) when unset or 0."""
    value = block.body.get("retention_in_days")
    return value if isinstance(value, int) and value > 0 else _NEVER


def lifecycle_days(block: Block | None, element: str, key: str) -> int:
    """The shortest ``element.key`` days of the enabled rules; 0 when none expires anything."""
    if block is None:
        return _NEVER
    days = [
        value
        for lifecycle_rule in nested(block.body, "rule")
        if _text(lifecycle_rule.get("status")) == "Enabled"
        for item in nested(lifecycle_rule, element)
        if isinstance(value := item.get(key), int) and value > 0
    ]
    return min(days) if days else _NEVER


def _text(value: Any) -> str | None:
    return value.strip('"') if isinstance(value, str) else None


def lock_default(block: Block | None) -> tuple[str | None, int]:
    """(mode, days) of an Object Lock default retention; (None, 0) when there is none."""
    for lock_rule in nested(block.body, "rule") if block else []:
        for default in nested(lock_rule, "default_retention"):
            days, years = default.get("days"), default.get("years")
            # A state read back from AWS holds 0 for the one of days/years that is not set.
            if isinstance(days, int) and days > 0:
                total = days
            else:
                total = 365 * years if isinstance(years, int) else 0
            return _text(default.get("mode")), total
    return None, 0


def _shorter_finding(block: Block, problem: str, keep: str, extra: str = "") -> Finding:
    return Finding(
        "OTG042",
        block.file,
        block.address,
        problem,
        f"{keep}; or, if they may go, run again with --allow-shorter-retention "
        f"{block.address}{extra}",
    )


_ON_DISK = "the module in the output folder; if this module was applied, that is what AWS has"


def _log_group_findings(new: Block, old: Block | None, facts: Facts) -> list[Finding]:
    after = log_retention(new)
    baselines = []
    if new.address in facts.adopted_retention:
        days = facts.adopted_retention[new.address]
        baselines.append((days, "adopt.log_group.retention_in_days: what the log group has today"))
    if old is not None:
        baselines.append((log_retention(old), _ON_DISK))
    findings = []
    for before, source in baselines:
        if not shorter(before, after):
            continue
        adopted = source.startswith("adopt.")
        findings.append(
            _shorter_finding(
                new,
                f"retention_in_days changes from {days_words(before)} to {after} days "
                f"(compared with {source}): at apply, PutRetentionPolicy makes CloudWatch Logs "
                f"delete every event older than {after} days, those stored so far included",
                f"keep cloudwatch_logs.retention_in_days: {before}"
                + (" (never expire)" if before == _NEVER else ""),
                f"; after that apply, set adopt.log_group.retention_in_days to {after} (what "
                "the log group then has), or every run asks again"
                if adopted
                else "",
            )
        )
        break  # one finding per log group: the adopted value, if any, is the stronger claim
    return findings


def _lifecycle_findings(new: Block, old: Block) -> list[Finding]:
    findings = []
    before = lifecycle_days(old, "expiration", "days")
    after = lifecycle_days(new, "expiration", "days")
    if shorter(before, after):
        findings.append(
            _shorter_finding(
                new,
                f"expiration changes from {days_words(before)} to {after} days (compared with "
                f"{_ON_DISK}): S3 expires every log and digest file older than {after} days, "
                "those stored so far included (in a versioned bucket each becomes a noncurrent "
                "version, which noncurrent_version_expiration then deletes for good)",
                "keep bucket.lifecycle.expiration_days"
                + (" unset" if before == _NEVER else f": {before}"),
            )
        )
    before = lifecycle_days(old, "noncurrent_version_expiration", "noncurrent_days")
    after = lifecycle_days(new, "noncurrent_version_expiration", "noncurrent_days")
    if shorter(before, after):
        findings.append(
            _shorter_finding(
                new,
                f"noncurrent_version_expiration changes from {days_words(before)} to {after} days "
                f"(compared with {_ON_DISK}): S3 permanently deletes every noncurrent version - "
                f"an overwritten or deleted log file - {after} days after it became noncurrent, "
                "those stored so far included; they cannot be recovered",
                "keep bucket.lifecycle.noncurrent_version_expiration_days"
                + (" unset" if before == _NEVER else f": {before}"),
            )
        )
    return findings


def lock_weakened(old: Block | None, new: Block | None) -> bool:
    """Whether ``new``'s Object Lock default protects less than ``old``'s; False without one.

    Less: no default any more, fewer days, or COMPLIANCE turned GOVERNANCE.
    """
    (mode, days), (new_mode, new_days) = lock_default(old), lock_default(new)
    if mode is None:
        return False
    return new_mode is None or new_days < days or (mode, new_mode) == ("COMPLIANCE", "GOVERNANCE")


def _lock_findings(new: Block | None, old: Block) -> list[Finding]:
    (mode, days), (new_mode, new_days) = lock_default(old), lock_default(new)
    if not lock_weakened(old, new):
        return []
    shown = "(none)" if new_mode is None else f"{new_mode} {new_days} days"
    return [
        _shorter_finding(
            new or old,
            f"the Object Lock default retention changes from {mode} {days} days to {shown} "
            f"(compared with {_ON_DISK}): log versions written after the apply can be deleted "
            + (
                "by anyone allowed s3:BypassGovernanceRetention, or "
                if new_mode == "GOVERNANCE" and mode == "COMPLIANCE"
                else ""
            )
            + ("at any time" if new_mode is None else f"after {new_days} days")
            + "; versions already written keep their retain-until date",
            f"keep bucket.object_lock: {{mode: {mode}, days: {days}}}",
        )
    ]


@rule(
    "OTG042",
    "a regeneration shortens no retention of stored evidence",
    protects=(
        "A shorter log-group retention, lifecycle expiration or noncurrent-version "
        "expiration is an in-place change in the plan, yet at apply CloudWatch Logs or S3 "
        "deletes every event or log file older than the new value, those stored so far "
        "included. A shorter or removed Object Lock default retention lets log versions "
        "written after the apply be deleted sooner."
    ),
    satisfy=(
        "Keep the old value (`cloudwatch_logs.retention_in_days`, "
        "`bucket.lifecycle.expiration_days`, "
        "`bucket.lifecycle.noncurrent_version_expiration_days`, `bucket.object_lock`); or, "
        "if the old events may go, run again with `--allow-shorter-retention ADDRESS`. For "
        "an adopted log group the baseline is `adopt.log_group.retention_in_days`: after the "
        "apply that shortens it, set that key to the new value."
    ),
)
def retention_kept(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Log-group retention, lifecycle expiration and Object Lock, against what exists.

    The baseline is the previous output and, for an adopted log group, what ``adopt:`` says it
    has today (discover writes it): both would lose events to a shorter value at apply.
    """
    previous = facts.previous
    findings: list[Finding] = []
    for new in module.of_type("resource", "aws_cloudwatch_log_group"):
        old = previous.get(new.address) if previous else None
        findings += _log_group_findings(new, old, facts)
    if previous is None:
        return [f for f in findings if f.address not in facts.allow_shorter_retention]
    for old in previous.of_type("resource", "aws_s3_bucket_lifecycle_configuration"):
        lifecycle = module.get(old.address)
        if lifecycle is not None:
            findings += _lifecycle_findings(lifecycle, old)
    for old in previous.of_type("resource", "aws_s3_bucket_object_lock_configuration"):
        findings += _lock_findings(module.get(old.address), old)
    return [f for f in findings if f.address not in facts.allow_shorter_retention]


# What must refuse a destroy, by resource type, and what a destroy would delete. An existing or
# adopted bucket's policy is guarded too: destroying aws_s3_bucket_policy deletes the bucket's
# whole policy, statements this module never wrote (other trails' grants) included.
