"""What a plan may not do to what is deployed: the refusals of ``orgtrail-gen review PLAN``.

Why from the plan: the evidence guard (OTG040/OTG042) compares the new module with the module
in the output folder, which is only what orgtrail-gen wrote. The plan knows what Terraform will
really do to the live resources - after drift, hand edits and imports - so the same rules are
asked again of it, with the same ids and the same ``--allow-*`` names, and a few more that only
a plan can answer for certain (logging turned down, monitoring or a CloudTrail grant removed).
What each loss means is the guard's own wording (``STATEFUL``); which value shortens a
retention is the guard's own reading (``retention``): this module knows no AWS fact of its own.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight import OwnedElsewhere
from generator.core.constants import CLOUDTRAIL_PRINCIPAL
from generator.guards.evidence import STATEFUL
from generator.guards.retention import (
    days_words,
    lifecycle_days,
    lock_default,
    lock_weakened,
    log_retention,
    shorter,
)
from generator.review.plan import Change, Plan, block_of, policy_statements
from generator.review.summary_events import event_changes
from generator.sections.owner.rules import imported_owned, owned_by_values

CLOUDTRAIL = CLOUDTRAIL_PRINCIPAL

# Bucket settings whose removal or replacement loses what protects stored logs.
_SETTINGS = {
    "aws_s3_bucket_versioning": (
        "versioning is suspended: an overwritten or deleted log file is gone for good"
    ),
    "aws_s3_bucket_object_lock_configuration": (
        "the Object Lock default retention goes: log versions written from then on can be "
        "deleted at any time"
    ),
    "aws_s3_bucket_lifecycle_configuration": (
        "every lifecycle rule goes: the transitions, and the expirations the retention review "
        "agreed to"
    ),
}
# The trail's switches that turn logging down when they go from true to false.
_SWITCHES = {
    "enable_logging": "the trail stops logging: no account of the organization is logged",
    "is_organization_trail": (
        "the trail stops being an organization trail: the member accounts are no longer logged"
    ),
    "is_multi_region_trail": "the trail records its home region only",
    "include_global_service_events": (
        "global service events (IAM, STS, CloudFront) are no longer recorded"
    ),
    "enable_log_file_validation": (
        "no more digest files: tampering with a log file can no longer be proven"
    ),
}


@dataclass(frozen=True)
class Finding:
    """One thing the plan does that the review refuses (or that a flag allowed)."""

    rule: str
    kind: str  # the summary's attention kind
    address: str
    attribute: str
    before: str
    after: str
    problem: str
    fix: str
    allowed_by: str | None = None

    def __str__(self) -> str:
        change = f"{self.attribute}: " if self.attribute else ""
        if self.before or self.after:
            change += f"{self.before} -> {self.after}: "
        return f"{self.rule} {self.address}: {change}{self.problem}\n    fix: {self.fix}"


def _shown(value: object) -> str:
    if value is None:
        return "(not set)"
    return json.dumps(value) if not isinstance(value, str) else value


def _log_key_arns(plan: Plan) -> set[str]:
    """ARNs and ids of the keys that encrypt logs: named by the trail, log group or bucket."""
    found: set[str] = set()
    for change in plan.changes:
        before = change.before or {}
        if change.type in ("aws_cloudtrail", "aws_cloudwatch_log_group"):
            found.add(str(before.get("kms_key_id") or ""))
        if change.type == "aws_s3_bucket_server_side_encryption_configuration":
            for rule in before.get("rule") or []:
                for default in rule.get("apply_server_side_encryption_by_default") or []:
                    found.add(str(default.get("kms_master_key_id") or ""))
    return found - {""}


def _why(change: Change) -> str:
    """Why Terraform replaces or destroys it, in the plan's own terms."""
    if change.deleted:
        reasons = {
            "delete_because_no_resource_config": "its block is no longer in the module",
            "delete_because_no_module": "its module is no longer called",
        }
        return reasons.get(change.reason or "", "the plan destroys it")
    paths = [".".join(str(step) for step in path) for path in change.replace_paths]
    if paths:
        return f"{', '.join(paths)} cannot change in place"
    return "the plan replaces it" + (f" ({change.reason})" if change.reason else "")


def _attribute_change(change: Change) -> tuple[str, str, str]:
    """The first replace path's attribute with its old and new value, for the finding line."""
    if not change.replace_paths or not change.replace_paths[0]:
        return "", "", ""
    name = str(change.replace_paths[0][0])
    before, after = (change.before or {}).get(name), (change.after or {}).get(name)
    if name in change.after_unknown and after is None:
        return name, _shown(before), "(known after apply)"
    return name, _shown(before), _shown(after)


def _evidence(plan: Plan, allowed: Collection[str]) -> list[Finding]:
    """OTG040: a replacement or destroy of what holds evidence."""
    log_keys = _log_key_arns(plan)
    found = []
    for change in plan.changes:
        if not (change.replaced or change.deleted):
            continue
        before = change.before or {}
        ids = {before.get("arn"), before.get("key_id")}
        if change.type == "aws_kms_key" and not ids & log_keys:
            continue
        if change.type in STATEFUL:
            loss = STATEFUL[change.type].loss
        elif change.type in _SETTINGS:
            loss = _SETTINGS[change.type]
        else:
            continue
        verb = "DESTROYS" if change.deleted else "REPLACES"
        attribute, old, new = _attribute_change(change)
        found.append(
            Finding(
                "OTG040",
                "evidence-removed" if change.deleted else "evidence-replaced",
                change.address,
                attribute,
                old,
                new,
                f"the plan {verb} it ({_why(change)}): {loss}",
                "keep the config's old value and plan again; if you mean it, review again with "
                f"--allow-replace {change.local}",
                f"--allow-replace {change.local}" if change.local in allowed else None,
            )
        )
    return found


# The config key behind each retention attribute the review compares.
_RETENTION_KEYS = {
    "retention_in_days": "cloudwatch_logs.retention_in_days",
    "expiration.days": "bucket.lifecycle.expiration_days",
    "noncurrent_version_expiration.noncurrent_days": (
        "bucket.lifecycle.noncurrent_version_expiration_days"
    ),
    "rule.default_retention": "bucket.object_lock",
}


def _retention_finding(change: Change, attribute: str, old: int, new: int, what: str) -> Finding:
    return Finding(
        "OTG042",
        "retention-shortened",
        change.address,
        attribute,
        days_words(old),
        days_words(new),
        what,
        f"keep {_RETENTION_KEYS[attribute]} at {days_words(old)}; if the older events may go, "
        "review again with "
        f"--allow-shorter-retention {change.local}",
    )


def _retention(plan: Plan, allowed: Collection[str]) -> list[Finding]:
    """OTG042: a shorter log-group retention, expiration, noncurrent expiration or lock."""
    found = []
    for change in plan.changes:
        if change.before is None or change.after is None:
            continue
        old, new = block_of(change, change.before), block_of(change, change.after)
        if change.type == "aws_cloudwatch_log_group":
            before, after = log_retention(old), log_retention(new)
            if shorter(before, after):
                found.append(
                    _retention_finding(
                        change,
                        "retention_in_days",
                        before,
                        after,
                        f"at apply, CloudWatch Logs deletes every event older than {after} days, "
                        "those stored so far included",
                    )
                )
        elif change.type == "aws_s3_bucket_lifecycle_configuration":
            for element, key, words in (
                ("expiration", "days", "S3 expires every log and digest file older than"),
                (
                    "noncurrent_version_expiration",
                    "noncurrent_days",
                    "S3 permanently deletes every noncurrent version older than",
                ),
            ):
                before = lifecycle_days(old, element, key)
                after = lifecycle_days(new, element, key)
                if shorter(before, after):
                    found.append(
                        _retention_finding(
                            change,
                            f"{element}.{key}",
                            before,
                            after,
                            f"{words} {after} days, those stored so far included",
                        )
                    )
        elif change.type == "aws_s3_bucket_object_lock_configuration":
            (mode, days), (new_mode, new_days) = lock_default(old), lock_default(new)
            if lock_weakened(old, new):
                finding = _retention_finding(
                    change,
                    "rule.default_retention",
                    days,
                    new_days,
                    "log versions written after the apply can be deleted sooner",
                )
                shown = "(none)" if new_mode is None else f"{new_mode} {new_days} days"
                found.append(replace(finding, before=f"{mode} {days} days", after=shown))
    local = {change.address: change.local for change in plan.changes}
    return [
        replace(f, allowed_by=f"--allow-shorter-retention {local[f.address]}")
        if local[f.address] in allowed
        else f
        for f in found
    ]


def _less_logging(change: Change) -> list[tuple[str, str, str, str]]:
    """(attribute, before, after, what is lost) for every way a trail update logs less."""
    before, after = change.before or {}, change.after or {}
    lost = [
        (name, "true", "false", words)
        for name, words in _SWITCHES.items()
        if before.get(name) is True and after.get(name) is False
    ]
    group = "cloud_watch_logs_group_arn"
    if before.get(group) and not after.get(group) and group not in change.after_unknown:
        lost.append(
            (
                group,
                str(before[group]),
                "(not set)",
                "events no longer reach CloudWatch Logs: every CIS metric filter and alarm "
                "goes quiet",
            )
        )
    old = ParsedModule((block_of(change, before),))
    new = ParsedModule((block_of(change, after),))
    for event_change in event_changes(old, new):
        for words in event_change.no_longer_recorded:
            lost.append(("advanced_event_selector", "", "", f"no longer records {words}"))
    return lost


def _logging(plan: Plan, allowed: Collection[str]) -> list[Finding]:
    """OTG090: a trail that stays but records less, or no longer reaches the log group."""
    found = []
    for change in plan.changes:
        if change.type != "aws_cloudtrail" or change.before is None or change.after is None:
            continue
        for attribute, old, new, words in _less_logging(change):
            found.append(
                Finding(
                    "OTG090",
                    "logging-reduced",
                    change.address,
                    attribute,
                    old,
                    new,
                    words,
                    "keep trail settings and trail.events as they were and plan again; if you "
                    f"mean it, review again with --allow-less-logging {change.local}",
                    f"--allow-less-logging {change.local}" if change.local in allowed else None,
                )
            )
    return found


def _monitoring(plan: Plan, allowed: Collection[str]) -> list[Finding]:
    """OTG091: a metric filter or alarm destroyed, or an alarm that no longer notifies."""
    found = []
    for change in plan.changes:
        quiet = (
            change.type == "aws_cloudwatch_metric_alarm"
            and change.updated
            and (change.before or {}).get("alarm_actions")
            and not (change.after or {}).get("alarm_actions")
            and "alarm_actions" not in change.after_unknown
        )
        kind = {
            "aws_cloudwatch_log_metric_filter": "metric filter",
            "aws_cloudwatch_metric_alarm": "alarm",
        }.get(change.type)
        if kind is None or not (change.deleted or quiet):
            continue
        what = (
            f"the {kind} is destroyed: the events it watched for no longer raise an alarm"
            if change.deleted
            else "the alarm no longer notifies anyone (alarm_actions emptied)"
        )
        found.append(
            Finding(
                "OTG091",
                "monitoring-dropped",
                change.address,
                "" if change.deleted else "alarm_actions",
                "" if change.deleted else _shown((change.before or {}).get("alarm_actions")),
                "" if change.deleted else "[]",
                what,
                "keep monitoring.cis_controls (and the custom filters) as they were; if you "
                f"mean it, review again with --allow-less-logging {change.local}",
                f"--allow-less-logging {change.local}" if change.local in allowed else None,
            )
        )
    return found


def _cloudtrail_actions(values: dict[str, Any]) -> set[str]:
    """The actions a resource's policy allows cloudtrail.amazonaws.com."""
    return {
        action
        for statement in policy_statements(values)
        if statement.effect == "Allow" and statement.has_principal("Service", CLOUDTRAIL)
        for action in statement.actions
    }


def _grants(plan: Plan, allowed: Collection[str]) -> list[Finding]:
    """OTG092: a bucket or key policy that stays but allows CloudTrail less."""
    found = []
    for change in plan.changes:
        if change.before is None or change.after is None or "policy" in change.after_unknown:
            continue
        lost = _cloudtrail_actions(change.before) - _cloudtrail_actions(change.after)
        if not lost:
            continue
        found.append(
            Finding(
                "OTG092",
                "grant-removed",
                change.address,
                "policy",
                ", ".join(sorted(lost)),
                "(not allowed)",
                f"{CLOUDTRAIL} is no longer allowed {', '.join(sorted(lost))}: CloudTrail stops "
                "delivering (or encrypting) the organization's logs",
                "restore the statement (regenerate the module and plan again: orgtrail-gen "
                "writes these grants); if you mean it, review again with --allow-less-logging "
                f"{change.local}",
                f"--allow-less-logging {change.local}" if change.local in allowed else None,
            )
        )
    return found


def _owner(plan: Plan, owned: OwnedElsewhere | None) -> list[Finding]:
    """OTG093: the plan creates, changes, imports or destroys what the owner's trail owns.

    Beside an owner's trail (``owner_trail``, known from ``--config``) nothing of its trail,
    bucket, key, log group or CloudTrail's trusted access may be in this module's state: rule
    OTG110 refuses it in the generated HCL, and this asks the plan, which also sees a block
    added by hand and an import of what exists.
    """
    if owned is None:
        return []
    found = []
    for change in plan.changes:
        values = change.after or change.before or {}

        def value(argument: str, values: dict[str, Any] = values) -> str | None:
            given = values.get(argument)
            return given if isinstance(given, str) else None

        taken = list(owned_by_values(change.type, value, owned))
        if change.imported_id:  # by its import id, else by the values it is imported with
            owns = f"which {owned.manager}'s organization trail owns"
            named = [f"{w}, {owns}" for w in imported_owned(change.imported_id, owned)] or taken
            whats = [f"{what} (imported)" for what in named]
        else:
            whats = taken if change.actions not in (("no-op",), ("read",)) else []
        for what in whats:
            found.append(
                Finding(
                    "OTG093",
                    "owner-taken",
                    change.address,
                    "",
                    "",
                    "",
                    f"the plan ({'/'.join(change.actions)}) puts in this module's state {what}",
                    "remove the block (and its import) from the module: the owner's trail, "
                    "bucket, key and log group are read and verified, never managed here",
                )
            )
    return found


def findings(
    plan: Plan,
    allow_replace: Collection[str] = (),
    allow_shorter_retention: Collection[str] = (),
    allow_less_logging: Collection[str] = (),
    owned: OwnedElsewhere | None = None,
) -> list[Finding]:
    """Everything the plan does that loses evidence or logs less, allowed or not, in order.

    ``owned``: the owner's trail and what belongs to it (companion layout, from ``--config``).
    """
    found = _owner(plan, owned)
    found += _evidence(plan, allow_replace)
    found += _retention(plan, allow_shorter_retention)
    found += _logging(plan, allow_less_logging)
    found += _monitoring(plan, allow_less_logging)
    found += _grants(plan, allow_less_logging)
    return sorted(found, key=lambda f: (f.rule, f.address, f.attribute, f.problem))
