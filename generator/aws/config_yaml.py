"""Write what ``discover`` found as a commented config that ``orgtrail-gen`` accepts as is.

Why text and not ``yaml.dump``: the comments are the point. They say what exists and is
adopted (existing bucket and its policy mode, existing key, trusted access already on), what
orgtrail-gen will create, and where each value came from, so the reviewer of the first pull
request knows what ``terraform apply`` will touch.
"""

from __future__ import annotations

import json
import re

from generator.aws.discover import Discovery, ExistingTrail

_PLAIN = re.compile(r"^[A-Za-z/][A-Za-z0-9._/-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$|:key/mrk-")


def _q(value: str) -> str:
    """A YAML scalar for ``value``: plain when unambiguous, else a JSON (YAML) quoted string."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


def _flow_list(lead: str, items: list[str], width: int = 100) -> list[str]:
    """``lead[a, b, ...]`` wrapped under its opening bracket, so long region lists stay readable."""
    lines, current = [], f"{lead}["
    for i, item in enumerate(items):
        piece = item + ("]" if i == len(items) - 1 else ",")
        if len(current) + len(piece) + 1 > width and not current.endswith("["):
            lines.append(current)
            current = " " * (len(lead) + 1) + piece
        else:
            current += ("" if current.endswith("[") else " ") + piece
    return [*lines, current]


def _trail_line(trail: ExistingTrail) -> str:
    kind = "organization" if trail.is_organization else "single-account"
    parts = [f"{kind} trail", f"home {trail.home_region}", f"bucket {trail.bucket}"]
    parts += [f"prefix {trail.prefix}"] if trail.prefix else []
    parts += [f"key {trail.kms_key_arn}"] if trail.kms_key_arn else []
    parts += [f"log group {trail.log_group_name}"] if trail.log_group_name else []
    parts += [f"role {trail.role_arn}"] if trail.role_arn else []
    return f"#   {trail.name}: {', '.join(parts)}"


def _header(found: Discovery) -> list[str]:
    lines = [
        "# Written by `orgtrail-gen discover` from the live organization. Review it, then run",
        "# `orgtrail-gen` on this file. Values marked 'exists' are adopted, not recreated.",
        f"# Organization {found.org_id}: {found.account_count} accounts "
        f"({found.active_count} active), feature set {found.feature_set}.",
        "# CloudTrail delegated administrators: "
        + (", ".join(found.delegated_admins) if found.delegated_admins else "none"),
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
    for trail in found.trails:
        if trail.is_control_tower and trail.is_organization:
            lines += [
                f"# {trail.name} is Control Tower's organization trail and already records every",
                "# account. A second organization trail delivers a second copy of management",
                "# events in every account and region, which CloudTrail charges for (only the",
                "# first copy is free). Keep this config only if you need a trail of your own.",
            ]
    lines += [f"# Note: {note}" for note in found.notes]
    return lines


def config_yaml(found: Discovery) -> str:
    """The config text; deterministic for the same discovery."""
    trail = found.adopted
    access = "already_enabled" if found.trusted_access else "enable"
    access_note = (
        "exists: cloudtrail.amazonaws.com has trusted access; only asserted"
        if found.trusted_access
        else "not enabled yet: the module enables it"
    )
    lines = [*_header(found), "organization:"]
    lines += [
        f"  id: {found.org_id}",
        f'  management_account_id: "{found.management_account_id}"',
        f"  cloudtrail_trusted_access: {access}  # {access_note}",
        "trail:",
    ]
    if trail:
        lines.append(
            f"  name: {_q(trail.name)}  # exists: adopt it with an `import` block before the "
            "first apply"
        )
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
    lines.append("bucket:")
    if trail and trail.bucket:
        mode = "merge" if found.bucket_has_policy else "replace"
        why = (
            "it has a policy today: keep its statements"
            if found.bucket_has_policy
            else "it has no policy today, so there is nothing to merge"
        )
        lines += [
            f"  name: {_q(trail.bucket)}",
            "  create: false  # exists: only its policy is managed here",
            f"  existing_policy: {mode}  # {why}",
        ]
    else:
        lines += [
            f"  name: {found.org_id}-cloudtrail-logs  # new; bucket names are global: "
            "change it if taken",
            "  create: true",
        ]
    if trail and trail.kms_key_arn:
        key = trail.kms_key_arn
        if _KEY_ARN.search(key) and key.split(":")[3] == found.home_region:
            lines += ["kms:", f"  key_arn: {_q(key)}  # exists: the trail's key, not managed here"]
        else:
            lines.append(
                f"# The trail's KMS key {key} is not a key ARN in {found.home_region}; a new key "
                "is created instead (set kms.key_arn to keep one)."
            )
    if trail and trail.log_group_name:
        lines += [
            "cloudwatch_logs:",
            f"  log_group_name: {_q(trail.log_group_name)}  # exists: adopt with an `import` block",
        ]
        if trail.role_name:
            lines.append(f"  role_name: {_q(trail.role_name)}  # exists")
    elif trail:
        lines.append(
            "# The trail does not deliver to CloudWatch Logs; add cloudwatch_logs to do so."
        )
    else:
        lines += [
            "cloudwatch_logs:  # remove this section to deliver to S3 only",
            "  log_group_name: /aws/cloudtrail/org-trail",
        ]
    return "\n".join(lines) + "\n"
