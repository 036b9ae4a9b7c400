"""Which statements of a live bucket policy must survive, which are ours, which are drift.

Why one module for ``discover`` and ``verify``: the generated policy is fully determined by
the config (this module's statements plus ``bucket.kept_statements``). ``discover`` decides
once, visibly, what goes into ``kept_statements``; ``verify`` reports every live statement the
config does not produce. Neither ever turns a live statement into desired state silently.

What must survive: CloudTrail's grants pinned to a trail (``aws:SourceArn``, or less tightly
``aws:SourceAccount`` / ``aws:SourceOrgID``) - the console's
``AWSCloudTrail*20150319[-<uuid>]`` statements for this trail or another one, and any other
trail's grants - because removing them stops a trail's delivery. Everything else
(cross-account readers, Denies, unpinned grants) is an access decision: it is reported, and a
reviewer who wants it keeps it by writing it into the config.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from generator.config.fields import as_list
from generator.core.constants import CLOUDTRAIL_PRINCIPAL, CONSOLE_SIDS
from generator.sections.bucket.model import KeptStatement

# What CloudTrail itself calls on a log bucket (CT-UG bucket policy; ListBucket is not needed
# but older templates grant it).
_CLOUDTRAIL_ACTIONS = {"s3:getbucketacl", "s3:putobject", "s3:listbucket"}
_PINNING_KEYS = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"}


@dataclass(frozen=True)
class Kept:
    """A live statement to copy into ``bucket.kept_statements``, and why it must survive."""

    statement: dict[str, Any]
    reason: str


@dataclass(frozen=True)
class Drift:
    """A live statement that the config will not produce, and what that means."""

    sid: str
    reason: str


@dataclass(frozen=True)
class Sorted:
    """A live bucket policy, statement by statement."""

    kept: tuple[Kept, ...] = ()
    ours: tuple[str, ...] = ()
    drift: tuple[Drift, ...] = ()
    duplicate_sids: tuple[str, ...] = ()


def live_statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM policy document as AWS returns it (one or a list)."""
    if not isinstance(document, dict):
        return []
    raw = document.get("Statement", [])
    return [s for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, dict)]


def _source_values(statement: dict[str, Any]) -> list[str]:
    """The aws:SourceArn / aws:SourceAccount values, keys and operators read case-insensitively."""
    condition = statement.get("Condition")
    values: list[str] = []
    for pairs in condition.values() if isinstance(condition, dict) else ():
        for key, value in pairs.items() if isinstance(pairs, dict) else ():
            if key.lower() in _PINNING_KEYS:
                values += [v for v in as_list(value) if isinstance(v, str)]
    return values


def _is_cloudtrail_grant(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    services = principal.get("Service") if isinstance(principal, dict) else None
    actions = statement.get("Action")
    return (
        statement.get("Effect") == "Allow"
        and isinstance(principal, dict)
        and set(principal) == {"Service"}
        and isinstance(services, str | list)
        and as_list(services) == [CLOUDTRAIL_PRINCIPAL]
        and isinstance(actions, str | list)
        and bool(as_list(actions))
        and all(isinstance(a, str) and a.lower() in _CLOUDTRAIL_ACTIONS for a in as_list(actions))
    )


def _short(statement: dict[str, Any]) -> str:
    """One line that says what a statement does, for a comment or stderr."""
    return json.dumps(
        {k: statement[k] for k in ("Effect", "Principal", "Action") if k in statement},
        separators=(",", ":"),
    )


_REMOVED = "apply removes it unless you add it to bucket.kept_statements"


def _not_kept(statement: dict[str, Any], bucket_arn: str) -> str | None:
    """Why a live statement is not copied into kept_statements, or None if it must survive."""
    what = _short(statement)
    if not _is_cloudtrail_grant(statement):
        return f"{what}: not a CloudTrail grant, so not copied; {_REMOVED}"
    if not _source_values(statement):
        return (
            f"{what}: a CloudTrail grant without aws:SourceArn (any trail of any account may "
            f"use it); {_REMOVED} with an aws:SourceArn condition, if a trail still needs it"
        )
    try:
        model = KeptStatement.model_validate(statement)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"]))
        return f"{what}: cannot be kept as written ({where}: {first['msg']}); {_REMOVED}"
    outside = [
        r for r in as_list(model.resource) if r != bucket_arn and not r.startswith(f"{bucket_arn}/")
    ]
    if outside:
        return f"{what}: names {', '.join(outside)}, not this bucket; {_REMOVED}"
    return None


def sort_statements(
    document: Any, *, bucket: str, partition: str, trail_arn: str, our_sids: tuple[str, ...]
) -> Sorted:
    """Sort a live bucket policy into kept, ours and drift (see the module docstring)."""
    entries = live_statements(document)
    counts = Counter(str(s.get("Sid", "")) for s in entries)
    duplicates = tuple(sorted(sid for sid, n in counts.items() if sid and n > 1))
    kept: list[Kept] = []
    ours: list[str] = []
    drift: list[Drift] = []
    seen: set[str] = set()
    for statement in entries:
        sid = str(statement.get("Sid", ""))
        if sid in seen:
            reason = "a second statement with this Sid (the provider refuses duplicate Sids)"
            drift.append(Drift(sid, f"{reason}; rename it if it must survive, and {_REMOVED}"))
            continue
        seen.add(sid)
        if sid in our_sids:
            ours.append(sid)
            continue
        why = _not_kept(statement, f"arn:{partition}:s3:::{bucket}")
        if why is not None:
            drift.append(Drift(sid or "(no Sid)", why))
            continue
        sources = _source_values(statement)
        trail = "this trail" if trail_arn in sources else "another trail"
        console = " (the console's Sid)" if sid.startswith(CONSOLE_SIDS) else ""
        kept.append(
            Kept(statement, f"CloudTrail's grant for {trail}, {', '.join(sources)}{console}")
        )
    return Sorted(tuple(kept), tuple(ours), tuple(drift), duplicates)


def _normal(statement: dict[str, Any]) -> str:
    """A statement in a canonical form: lists sorted, condition keys and operators lowercased."""

    def strings(value: Any) -> list[str]:
        return sorted(str(v) for v in as_list(value)) if isinstance(value, str | list) else []

    def principals(kind: str, value: Any) -> list[str]:
        # AWS stores an account id as arn:<partition>:iam::<id>:root; either spelling is one.
        return sorted(
            re.sub(r"^(?:arn:[\w-]+:iam::)?(\d{12})(?::root)?$", r"account:\1", v)
            if kind == "AWS"
            else v
            for v in strings(value)
        )

    principal = statement.get("Principal")
    condition = statement.get("Condition")
    return json.dumps(
        {
            "Sid": statement.get("Sid", ""),
            "Effect": statement.get("Effect"),
            "Principal": (
                {k: principals(k, v) for k, v in sorted(principal.items())}
                if isinstance(principal, dict)
                else principal
            ),
            "Action": strings(statement.get("Action")),
            "Resource": strings(statement.get("Resource")),
            "Condition": {
                test.lower(): {key.lower(): strings(v) for key, v in sorted(pairs.items())}
                for test, pairs in sorted((condition or {}).items())
                if isinstance(pairs, dict)
            },
        },
        sort_keys=True,
    )


def unproduced(live: Any, expected: dict[str, Any]) -> list[str]:
    """Sids (or summaries) of live statements the config's policy does not contain as they are."""
    wanted = {_normal(s) for s in live_statements(expected)}
    return [
        str(s.get("Sid") or _short(s)) for s in live_statements(live) if _normal(s) not in wanted
    ]
