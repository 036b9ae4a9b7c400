"""What `terraform plan` will change in place on what the config adopts, said before the plan.

Why: an import block makes Terraform read the object and then plan the difference to the
config. Differences that force a replacement are refused in validation
(``generator.sections.adopt.model.cross_field_issues``); the rest are legitimate - turning on
log file validation, adding KMS, tightening the bucket - but a reviewer who expects "import,
no changes" must see them first, each attribute with its old and new value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.sections.addresses import KEY, LOG_GROUP, ROLE, TRAIL, TRUSTED_ACCESS
from generator.sections.facts import ModuleFacts

if TYPE_CHECKING:
    from generator.sections.registry import Config

NONE = "(none)"


def _shown(value: object) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _changes(pairs: list[tuple[str, object, object]]) -> list[str]:
    return [f"  {name}: {_shown(old)} -> {_shown(new)}" for name, old, new in pairs if old != new]


def _without_streams(arn: str | None) -> str | None:
    """A log group ARN without CloudTrail's ``:*`` suffix, so both spellings compare equal."""
    return arn.removesuffix(":*") if arn else None


def _trail_changes(config: Config, view: ModuleFacts) -> list[str]:
    adopted = config.adopt.trail if config.adopt else None
    if adopted is None:
        return []
    trail, kms, cwl = config.trail, config.kms, config.cloudwatch_logs
    adopt_key = config.adopt.key if config.adopt else None
    key: str | None = None
    if kms.enabled:
        key = kms.key_arn or (adopt_key.arn if adopt_key else f"the new key {KEY}")
    arns, path = view.arns, view.role_path
    role = (
        f"arn:{arns.partition}:iam::{arns.management_account_id}:role{path}{cwl.role_name}"
        if cwl
        else None
    )
    lines = _changes(
        [
            ("is_organization_trail", adopted.is_organization_trail, True),
            ("is_multi_region_trail", adopted.is_multi_region, trail.is_multi_region),
            (
                "include_global_service_events",
                adopted.include_global_service_events,
                trail.include_global_service_events,
            ),
            (
                "enable_log_file_validation",
                adopted.enable_log_file_validation,
                trail.enable_log_file_validation,
            ),
            ("s3_bucket_name", adopted.s3_bucket_name, config.bucket.name),
            ("s3_key_prefix", adopted.s3_key_prefix or None, trail.s3_key_prefix),
            ("kms_key_id", adopted.kms_key_arn, key),
            (
                "cloud_watch_logs_group_arn",
                _without_streams(adopted.cloud_watch_logs_group_arn),
                arns.log_group(cwl.log_group_name) if cwl else None,
            ),
            ("cloud_watch_logs_role_arn", adopted.cloud_watch_logs_role_arn, role),
            ("sns_topic_name", adopted.sns_topic_name, None),
        ]
    )
    if key is not None and adopted.kms_key_arn != key:
        lines.append(_new_key_readers(config, adopted.kms_key_arn, key))
    events = trail.events
    if adopted.has_custom_event_selectors and events is None:
        lines.append(
            "  event_selector/advanced_event_selector: custom -> (none): the trail records "
            "management events only; data events it records today STOP being recorded"
        )
    elif adopted.has_custom_event_selectors or events is not None:
        lines.append(
            "  advanced_event_selector: "
            + ("custom" if adopted.has_custom_event_selectors else "(default)")
            + " -> trail.events: what it records today and trail.events does not list STOPS "
            "being recorded (compare with `aws cloudtrail get-event-selectors`)"
        )
    if adopted.has_insight_selectors and not (events and events.insights):
        lines.append("  insight_selector: (set) -> (none): CloudTrail Insights stops")
    elif events and events.insights:
        lines.append(
            "  insight_selector: -> " + ", ".join(events.insights) + " (trail.events.insights)"
        )
    if not lines:
        return [f"{TRAIL} ({adopted.arn}) is imported with no change to its settings"]
    return [
        f"{TRAIL} ({adopted.arn}) is imported, then changed in place (UpdateTrail; it keeps "
        "logging):\n" + "\n".join(lines)
    ]


def _new_key_readers(config: Config, old: str | None, new: str) -> str:
    """What a new trail key costs its readers: new files need kms:Decrypt on that key."""
    readers = ", ".join(config.bucket.readers) or "none"
    before = "SSE-S3 (S3-managed keys)" if old is None else f"SSE-KMS with {old}"
    return (
        f"  log file encryption: {before} -> SSE-KMS with {new}. Every reader of NEW log and "
        "digest files (a SIEM, Athena, another account) then needs kms:Decrypt on that key: "
        f"list each in bucket.readers (S3 read + decrypt; listed today: {readers})"
        + (", or keep SSE-S3 with kms.enabled: false" if old is None else "")
        + ". Files delivered before stay as they are"
    )


def _bucket_changes(config: Config, view: ModuleFacts) -> list[str]:
    adopted = config.adopt.bucket if config.adopt else None
    if adopted is None or not config.bucket.create:
        return []
    imported = view.adopted_bucket_settings
    generated = view.managed_bucket_settings
    lines = [
        f"  {name}: imported and set to this config's values in place"
        for name in imported
        if name != "policy"
    ]
    lines += [f"  {name}: none today, created" for name in sorted(generated - set(imported))]
    lines += [
        f"  {name}: left as it is (this config does not manage it)"
        for name in adopted.configurations
        if name not in generated
    ]
    if view.key_reference is not None:
        key = config.kms.key_arn or (
            config.adopt.key.arn if config.adopt and config.adopt.key else f"the new key {KEY}"
        )
        order = (
            "after the adopted trail's update names the key (depends_on), so none of its "
            "deliveries is refused"
            if view.encryption_waits_for_trail
            else "and the trail, created with the key, names it in every write"
        )
        lines.append(
            f"  default encryption: -> SSE-KMS with {key}, {order}; another trail that still "
            "delivers here without naming a key is refused by the key policy from then on"
        )
    if "policy" in imported:
        kept = config.bucket.kept_statements
        what = (
            f"plus the {len(kept)} of bucket.kept_statements ({', '.join(s.sid for s in kept)})"
            if kept
            else "only (bucket.kept_statements is empty)"
        )
        lines.append(
            f"  policy: imported and REPLACED by the generated one: this module's statements "
            f"{what}; ANY OTHER statement it has today is removed at apply (discover lists "
            "them as drift)"
        )
    return [f"bucket {adopted.name} is imported:\n" + "\n".join(lines)]


def _log_group_changes(config: Config) -> list[str]:
    adopted = config.adopt.log_group if config.adopt else None
    cwl = config.cloudwatch_logs
    if adopted is None or cwl is None:
        return []
    key = None
    if config.kms.enabled:
        key = config.kms.key_arn or (
            config.adopt.key.arn if config.adopt and config.adopt.key else f"the new key {KEY}"
        )
    lines = _changes(
        [
            ("retention_in_days", adopted.retention_in_days or 0, cwl.retention_in_days),
            ("kms_key_id", adopted.kms_key_arn, key),
        ]
    )
    lines.append("  deletion_protection_enabled: -> true (if it is not on already)")
    return [
        f"{LOG_GROUP} ({adopted.name}) is imported, then changed in place:\n" + "\n".join(lines)
    ]


def _role_changes(config: Config, view: ModuleFacts) -> list[str]:
    adopted = config.adopt.role if config.adopt else None
    if adopted is None or config.cloudwatch_logs is None:
        return []
    policy = (
        f"its inline policy {adopted.inline_policy} is imported and REPLACED by the generated one"
        if adopted.inline_policy
        else f"the inline policy {view.role_policy_name} is added"
    )
    kept = [f"inline policy {name}" for name in adopted.other_inline_policies]
    kept += [f"attached policy {arn}" for arn in adopted.attached_policies]
    if kept:
        left = (
            "what this module does NOT manage stays on the role and keeps granting what it "
            f"grants: {', '.join(kept)} (delete or detach it after the apply if the role should "
            "hold only the generated grants)"
        )
    else:
        left = (
            "adopt.role lists no other inline or attached policy (discover lists them; any the "
            "role has stays and keeps granting what it grants)"
        )
    return [
        f"{ROLE} ({adopted.name}) is imported: its trust policy is set to CloudTrail only and "
        f"{policy}; {left}"
    ]


def _key_changes(config: Config) -> list[str]:
    adopted = config.adopt.key if config.adopt else None
    if adopted is None:
        return []
    return [
        f"{KEY} ({adopted.arn}) is imported and its KEY POLICY IS REPLACED by the generated one: "
        "a grant it has today that is not in kms.tf (another service, another role) stops "
        "working at apply. Key rotation is turned on and the description set in place"
    ]


def adoption_warnings(view: ModuleFacts) -> list[str]:
    """One warning per adopted resource, listing every in-place change as ``old -> new``."""
    config = view.config
    result = []
    if config.organization.cloudtrail_trusted_access == "adopt":
        result.append(
            f"{TRUSTED_ACCESS} is imported: CloudTrail's trusted access is owned by this module "
            "from now on, and destroying the module DISABLES it for every organization trail "
            "(use already_enabled to only assert it)"
        )
    result += _trail_changes(config, view)
    result += _bucket_changes(config, view)
    result += _log_group_changes(config)
    result += _role_changes(config, view)
    result += _key_changes(config)
    return result
