"""Write what ``discover`` found as a commented config that ``orgtrail-gen`` accepts as is.

Why text and not ``yaml.dump``: the comments are the point. They say what exists and is
adopted (existing bucket and its policy mode, existing key, trusted access already on), what
orgtrail-gen will create, and where each value came from, so the reviewer of the first pull
request knows what ``terraform apply`` will touch.
"""

from __future__ import annotations

import json
import re

import yaml

from generator.aws.athena_yaml import athena_section
from generator.aws.companion_yaml import access_note, companion_sections
from generator.aws.discover import Discovery, ExistingBucket, ExistingKey, ExistingTrail
from generator.aws.kept_statements import Sorted, sort_statements
from generator.aws.trails import cost_section, trail_words, warning_comment
from generator.aws.yaml_text import comment as _comment
from generator.aws.yaml_text import flow_list as _flow_list
from generator.aws.yaml_text import scalar as _q
from generator.config.regions import partition_of
from generator.core.arns import arn_account, arn_region
from generator.core.constants import bucket_policy_sids

# The model's own patterns for what discover writes under adopt (sections/adopt/model.py).
_ADOPTABLE_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
_INLINE_POLICY = re.compile(r"^[\w+=,.@-]{1,128}$")
_POLICY_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::(?:\d{12}|aws):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}$"
)
_LOGGING_PREFIX = re.compile(r"^[A-Za-z0-9!_.'()/-]{0,200}$")
_ALIAS = re.compile(r"^alias/(?!aws/)[A-Za-z0-9/_-]{1,250}$")


def _trail_line(trail: ExistingTrail) -> str:
    kind = "organization" if trail.is_organization else "single-account"
    parts = [f"{kind} trail", *trail_words(trail), f"home {trail.home_region}"]
    parts += [f"bucket {trail.bucket}"]
    parts += [f"prefix {trail.prefix}"] if trail.prefix else []
    parts += [f"key {trail.kms_key_arn}"] if trail.kms_key_arn else []
    parts += [f"log group {trail.log_group_name}"] if trail.log_group_name else []
    parts += [f"role {trail.role_arn}"] if trail.role_arn else []
    return f"#   {trail.name}: {', '.join(parts)}"


def _header(found: Discovery) -> list[str]:
    intro = (
        [
            "# `orgtrail-gen` on this file. It is written beside an organization trail someone",
            "# else owns (owner_trail): nothing of theirs is managed or recreated here.",
        ]
        if found.owner
        else [
            "# `orgtrail-gen` on this file. Values marked 'exists' are adopted (the adopt: section",
            "# imports them), not recreated.",
        ]
    )
    lines = [
        "# Written by `orgtrail-gen discover` from the live organization. Review it, then run",
        *intro,
        f"# Organization {found.org_id}: {found.account_count} accounts "
        f"({found.active_count} active), feature set {found.feature_set}.",
        "# CloudTrail delegated administrators: "
        + (
            "not read: ListDelegatedAdministrators refused cloudtrail.amazonaws.com "
            "(an emulator such as moto does; AWS does not)"
            if found.delegated_admins is None
            else ", ".join(found.delegated_admins) or "none"
        ),
    ]
    if found.feature_set != "ALL":
        lines.append(
            "# WARNING: an organization trail needs all features enabled "
            "(OrganizationNotInAllFeaturesModeException)."
        )
    if found.caller_account and found.caller_account != found.management_account_id:
        lines.append(
            f"# Read with credentials of account {found.caller_account}, not the management "
            "account: apply and verify with management-account credentials."
        )
    lines.append("# Existing trails:" if found.trails else "# Existing trails: none")
    lines += [_trail_line(trail) for trail in found.trails]
    lines += [f"# Note: {note}" for note in found.notes]
    return lines


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _or_null(value: str | None) -> str:
    return _q(value) if value else "null"


def _adoptable_bucket(found: Discovery) -> tuple[ExistingBucket | None, str]:
    """The bucket if the model can adopt it, else None and the reason, for a comment."""
    bucket, trail = found.bucket, found.adopted
    if bucket is None or trail is None:
        return None, (
            "not read: the credentials are not the management account's"
            if trail and trail.bucket
            else ""
        )
    if not bucket.in_management_account:
        return None, (
            "it is not in the management account (ListBuckets there does not list it), and "
            "adopting needs the bucket in the account that will manage it; kept unmanaged"
        )
    if bucket.region != found.home_region:
        return None, (
            f"it is in {bucket.region}, the trail in {found.home_region}; the module manages "
            "resources in the home region only, so it stays unmanaged"
        )
    if "." in bucket.name:
        return None, (
            "its name has a '.', which the model refuses for a managed bucket (virtual-hosted "
            "HTTPS breaks); kept unmanaged"
        )
    return bucket, ""


def _adoptable_key(found: Discovery) -> tuple[ExistingKey | None, str]:
    """The trail's key if the model can take it over, else None and why it stays kms.key_arn."""
    key = found.key
    if key is None:
        return None, ""
    reasons = []
    if key.multi_region or ":key/mrk-" in key.arn:
        reasons.append("a multi-Region key (the generated key is single-Region)")
    if key.key_spec != "SYMMETRIC_DEFAULT":
        reasons.append(f"key spec {key.key_spec}")
    if key.custom_key_store_id:
        reasons.append(f"in custom key store {key.custom_key_store_id}")
    if key.key_manager != "CUSTOMER":
        reasons.append(f"managed by {key.key_manager}")
    if arn_region(key.arn) != found.home_region:
        reasons.append(f"in {arn_region(key.arn)}, not {found.home_region}")
    if not _ADOPTABLE_KEY_ARN.match(key.arn):
        reasons.append("not a key ARN")
    if reasons:
        return None, "; ".join(reasons)
    return key, ""


def _trail_section(found: Discovery) -> list[str]:
    trail = found.adopted
    lines = ["trail:"]
    if trail:
        lines.append(f"  name: {_q(trail.name)}  # exists: adopted (adopt.trail), imported by ARN")
    else:
        lines.append("  name: org-trail  # new: no organization trail of your own exists")
    lines += [
        f"  home_region: {found.home_region}",
        f"  # regions: {found.regions_source}",
        *_flow_list("  regions: ", found.regions),
    ]
    if trail and trail.prefix:
        lines.append(f"  s3_key_prefix: {_q(trail.prefix)}  # exists")
    if trail:
        for on, what in (
            (trail.is_multi_region, "is single-region; the module makes it multi-region"),
            (
                trail.include_global_service_events,
                "has global service events off; the module turns them on",
            ),
            (trail.log_file_validation, "has log file validation off; the module turns it on"),
        ):
            if not on:
                lines.append(f"  # the existing trail {what}")
    return lines


def sorted_bucket_policy(found: Discovery) -> Sorted | None:
    """The adopted trail's live bucket policy sorted into kept, ours and drift; None if none."""
    trail = found.adopted
    if trail is None or not trail.bucket or found.bucket_policy is None:
        return None
    partition = partition_of(found.home_region)
    return sort_statements(
        found.bucket_policy,
        bucket=trail.bucket,
        partition=partition.name if partition else "aws",
        trail_arn=trail.arn,
        our_sids=bucket_policy_sids(trail.name),
    )


def _kept_lines(found: Discovery) -> list[str]:
    """bucket.kept_statements as discover copies them, then what it did not copy and why."""
    result = sorted_bucket_policy(found)
    if result is None:
        return []
    lines: list[str] = []
    if result.duplicate_sids:
        lines += _comment(
            f"WARNING: the live policy repeats the Sid(s) {', '.join(result.duplicate_sids)}; the "
            "provider refuses duplicate Sids at plan time, so only the first of each is read"
        )
    if result.kept:
        lines.append(
            "  kept_statements:  # copied from the bucket's live policy: rendered as written"
        )
        for kept in result.kept:
            lines += _comment(kept.reason, "    ")
            dumped = yaml.safe_dump(
                [kept.statement], sort_keys=False, default_flow_style=False, width=1000
            )
            lines += [f"    {line}" for line in dumped.splitlines()]
    if result.ours:
        lines += _comment(f"not copied, this module writes them: {', '.join(result.ours)}")
    for drift in result.drift:
        lines += _comment(f"DRIFT, removed at apply: statement {drift.sid}: {drift.reason}")
    return lines


def _bucket_section(found: Discovery) -> list[str]:
    trail = found.adopted
    lines = ["bucket:"]
    if not (trail and trail.bucket):
        return [
            *lines,
            f"  name: {found.org_id}-cloudtrail-logs  # new; bucket names are global: "
            "change it if taken",
            "  create: true",
        ]
    bucket, why = _adoptable_bucket(found)
    if bucket is None:
        sorted_policy = sorted_bucket_policy(found)
        kept = bool(sorted_policy and sorted_policy.kept)
        mode = "merge" if kept else "replace"
        if kept:
            reason = "its kept_statements below are written with this module's"
        elif found.bucket_has_policy:
            reason = "no statement of its policy today must survive (see below)"
        else:
            reason = "it has no policy today, so there is nothing to keep"
        lines.append(f"  name: {_q(trail.bucket)}")
        if why:
            lines.append(f"  # Not adopted: {why}.")
        return [
            *lines,
            "  create: false  # exists: only its policy is managed here",
            f"  existing_policy: {mode}  # {reason}",
            *_kept_lines(found),
        ]
    lines += [
        f"  name: {_q(bucket.name)}  # exists: adopted (adopt.bucket) with the settings it has",
        "  create: true  # managed here from now on: imported, then hardened in place",
    ]
    if "lifecycle" in bucket.configurations:
        lines.append(
            "  # its lifecycle rules today are REPLACED by bucket.lifecycle (default: abort "
            "incomplete uploads"
        )
        lines.append("  # after 7 days only): write the rules you keep under bucket.lifecycle")
    lock = bucket.object_lock or {}
    retention = lock.get("Rule", {}).get("DefaultRetention", {})
    if retention.get("Days") and retention.get("Mode"):
        lines.append(
            f"  object_lock: {{mode: {retention['Mode']}, days: {retention['Days']}}}  # exists: "
            "its default retention, kept"
        )
    elif lock:
        lines.append(
            "  # Object Lock is on without a default retention in days: left as it is (not "
            "managed here)"
        )
    logging = bucket.logging or {}
    target, prefix = logging.get("TargetBucket"), str(logging.get("TargetPrefix") or "")
    if target and target != bucket.name and _LOGGING_PREFIX.match(prefix):
        lines.append(
            f"  access_logging: {{target_bucket: {_q(str(target))}, target_prefix: "
            f"{json.dumps(prefix)}}}  # exists"
        )
    elif logging:
        lines.append("  # its server access logging is left as it is (not managed here)")
    return [*lines, *_kept_lines(found)]


def _kms_section(found: Discovery) -> list[str]:
    trail = found.adopted
    if trail and not trail.kms_key_arn:
        return [
            "# The trail writes with SSE-S3 today (S3-managed keys). This config switches it to",
            "# a new KMS key (kms.enabled is true by default): every reader of NEW log files - a",
            "# SIEM, Athena, another account - then needs kms:Decrypt on it. List each reader in",
            "# bucket.readers (S3 read + decrypt), or keep SSE-S3 by uncommenting:",
            "# kms:",
            "#   enabled: false",
        ]
    if not (trail and trail.kms_key_arn):
        return []
    key, why = _adoptable_key(found)
    if key is not None:
        alias = key.aliases[0] if key.aliases and _ALIAS.match(key.aliases[0]) else None
        if not alias:
            return [
                "# The adopted key (adopt.key) has no alias: the module adds alias/<trail name>."
            ]
        lines = ["kms:", f"  alias: {_q(alias)}  # exists: the adopted key's alias"]
        if len(key.aliases) > 1:
            lines.append(
                f"  # its other aliases are left as they are: {', '.join(key.aliases[1:])}"
            )
        return lines
    arn = trail.kms_key_arn
    if _ADOPTABLE_KEY_ARN.match(arn) and arn_region(arn) == found.home_region:
        lines = ["kms:", f"  key_arn: {_q(arn)}  # exists: the trail's key, not managed here"]
        if why:
            lines.insert(1, f"  # Not adopted (adopt.key): {why}; used as it is.")
        return lines
    return [
        f"# The trail's KMS key {arn} is not a key ARN in {found.home_region}; a new key "
        "is created instead (set kms.key_arn to keep one)."
    ]


def _logs_section(found: Discovery) -> list[str]:
    trail = found.adopted
    if not trail:
        return [
            "cloudwatch_logs:  # remove this section to deliver to S3 only",
            "  log_group_name: /aws/cloudtrail/org-trail",
        ]
    if not trail.log_group_name:
        return ["# The trail does not deliver to CloudWatch Logs; add cloudwatch_logs to do so."]
    group = found.log_group
    lines = ["cloudwatch_logs:"]
    if group is not None and group.log_group_class != "STANDARD":
        lines += [
            f"  # The trail's log group {trail.log_group_name} is {group.log_group_class}: the "
            "generated group is STANDARD",
            "  # and the class forces a new group, so it cannot be adopted; a new one is created.",
            f"  log_group_name: /aws/cloudtrail/{trail.name}",
        ]
    elif group is not None:
        days = group.retention_in_days or 0
        lines += [
            f"  log_group_name: {_q(group.name)}  # exists: adopted (adopt.log_group)",
            f"  retention_in_days: {days}  # today's"
            + (" (never expire)" if not days else "")
            + ": kept, so no event is deleted; CIS wants >= 365",
        ]
    else:
        read = found.caller_account == found.management_account_id
        state = "not found: created" if read else "exists: not read, not adopted"
        lines.append(f"  log_group_name: {_q(trail.log_group_name)}  # {state}")
    if trail.role_name:
        role = found.role
        state = "exists: adopted (adopt.role)" if role else "not found: created"
        if role is None and found.caller_account != found.management_account_id:
            state = "exists: not read, not adopted"
        lines.append(f"  role_name: {_q(trail.role_name)}  # {state}")
    return lines


def _adopt_section(found: Discovery) -> list[str]:
    trail = found.adopted
    if trail is None:
        return []
    lines = ["adopt:  # what exists today: each is imported (imports.tf), never recreated"]
    if arn_account(trail.arn) == found.management_account_id and trail.bucket:
        key_arn = trail.kms_key_arn if trail.kms_key_arn else None
        lines += [
            "  trail:  # as GetTrail describes it today; the plan changes it in place",
            f"    arn: {_q(trail.arn)}",
            f"    s3_bucket_name: {_q(trail.bucket)}",
            f"    s3_key_prefix: {_or_null(trail.prefix)}",
            f"    is_organization_trail: {_bool(trail.is_organization)}",
            f"    is_multi_region: {_bool(trail.is_multi_region)}",
            f"    include_global_service_events: {_bool(trail.include_global_service_events)}",
            f"    enable_log_file_validation: {_bool(trail.log_file_validation)}",
        ]
        if key_arn is None or _ADOPTABLE_KEY_ARN.match(key_arn):
            lines.append(f"    kms_key_arn: {_or_null(key_arn)}")
        else:
            lines.append(f"    # kms_key_arn left out: {key_arn} is not a key ARN")
        lines += [
            f"    cloud_watch_logs_group_arn: {_or_null(trail.log_group_arn)}",
            f"    cloud_watch_logs_role_arn: {_or_null(trail.role_arn)}",
            f"    sns_topic_name: {_or_null(trail.sns_topic)}",
            f"    has_custom_event_selectors: {_bool(trail.has_custom_event_selectors)}",
            f"    has_insight_selectors: {_bool(trail.has_insight_selectors)}",
        ]
    else:
        lines.append(
            f"  # trail not adopted: its ARN does not carry the management account "
            f"{found.management_account_id}"
        )
    bucket, _ = _adoptable_bucket(found)
    if bucket is not None:
        lines += [
            "  bucket:",
            f"    name: {_q(bucket.name)}",
            *(
                _flow_list("    configurations: ", list(bucket.configurations))
                if bucket.configurations
                else ["    configurations: []"]
            ),
        ]
    group = found.log_group
    if group is not None and group.log_group_class == "STANDARD":
        entries = [f"name: {_q(group.name)}", f"retention_in_days: {group.retention_in_days}"]
        if group.retention_in_days is None:
            entries[-1] = "retention_in_days: null"
        if group.kms_key_arn and _ADOPTABLE_KEY_ARN.match(group.kms_key_arn):
            entries.append(f"kms_key_arn: {_q(group.kms_key_arn)}")
        lines += ["  log_group:", *(f"    {entry}" for entry in entries)]
    role = found.role
    if role is not None:
        lines += ["  role:", f"    name: {_q(role.name)}", f"    path: {_q(role.path)}"]
        policies = [p for p in role.inline_policies if _INLINE_POLICY.match(p)]
        others = policies
        if len(policies) == 1:
            lines.append(f"    inline_policy: {_q(policies[0])}  # taken over, then replaced")
            others = []
        elif policies:
            lines.append("    # several inline policies: none taken over; the module adds its own")
        if others:
            lines += [
                "    # not managed: they stay and keep granting what they grant",
                *_flow_list("    other_inline_policies: ", [_q(p) for p in others]),
            ]
        attached = [a for a in role.attached_policies if _POLICY_ARN.match(a)]
        if attached:
            lines += [
                "    # left attached, granting what they grant (detach them after the apply)",
                *_flow_list("    attached_policies: ", [_q(a) for a in attached]),
            ]
    key, _ = _adoptable_key(found)
    if key is not None:
        lines += ["  key:", f"    arn: {_q(key.arn)}"]
        if key.aliases and _ALIAS.match(key.aliases[0]):
            lines.append(f"    alias: {_q(key.aliases[0])}")
    return lines


def config_yaml(found: Discovery) -> str:
    """The config text; deterministic for the same discovery.

    Beside an organization trail someone else owns (``found.owner``), the sections between
    organization and cost are the companion layout's (:mod:`generator.aws.companion_yaml`).
    """
    access = "already_enabled" if found.trusted_access or found.owner else "enable"
    note = (
        "exists: only asserted; 'adopt' would own it (a destroy then disables it for every "
        "organization trail)"
        if found.trusted_access
        else "not enabled yet: the module enables it"
    )
    sections = (
        companion_sections(found)
        if found.owner
        else [
            *_trail_section(found),
            *_bucket_section(found),
            *_kms_section(found),
            *_logs_section(found),
            *_adopt_section(found),
        ]
    )
    lines = [
        *warning_comment(found),
        *_header(found),
        "organization:",
        f"  id: {found.org_id}",
        f'  management_account_id: "{found.management_account_id}"',
        f"  cloudtrail_trusted_access: {access}  # {access_note(found) if found.owner else note}",
        *sections,
        *cost_section(found),
        *athena_section(found),
    ]
    return "\n".join(lines) + "\n"
