"""Beside an owner's trail, in the change summary: whose trail it is and what this module adds.

Why: in the companion layout (``owner_trail``) the HCL diff shows a trail, filters and a
workgroup, and nothing of the organization trail that records the management events - it is
the owner's (Control Tower's, a stack's) and rule OTG110 keeps it out of the module. A reviewer
must read that in words: that this module sits beside the owner's trail and manages nothing of
it, what its own trail records, and - when the change adds, drops or moves ``owner_trail`` -
what that does. The owner's things are named from the config; the compared module's config is
not known, so whether it sat beside an owner's trail is read from its HCL: the log group its
filters and saved queries named literally (:func:`generator.review.owner.watched_group`).
"""

from __future__ import annotations

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight.lookups import organization_trails
from generator.review.cost_facts import read_cost
from generator.review.owner import Owner, owner_of, watched_group
from generator.review.summary_events import event_changes
from generator.sections.monitoring.rules import trail_log_group
from generator.sections.registry import Config


def _beside(owner: Owner, new: ParsedModule) -> list[str]:
    """The layout in words: the owner's trail, this module's trail, the filters."""
    key = f"its key {owner.key_arn}" if owner.key_arn else "its encryption (SSE-S3)"
    group = f", nor its log group {owner.log_group}" if owner.log_group else ""
    lines = [
        f"This module sits beside {owner.trail_words}, which records the organization's "
        f"management events, and manages nothing of it: not the trail, its bucket "
        f"{owner.bucket}, the bucket's policy, {key}{group} (rule OTG110)."
    ]
    trails = organization_trails(new)
    if trails:
        address = trails[0].address
        recorded = [c for c in event_changes(ParsedModule(()), new) if c.address == address]
        words = "; ".join(recorded[0].recorded) if recorded else "nothing"
        lines.append(
            f"Its own trail `{address}` ({owner.own_trail}) records no management events, "
            f"only: {words}."
        )
    else:
        lines.append(
            f"It creates no trail of its own (no trail.events): {owner.manager}'s trail records "
            "everything it monitors."
        )
    filters = read_cost(new).filters
    if filters and owner.log_group:
        lines.append(
            f"Its {filters} metric filters and their alarms watch {owner.manager}'s log group "
            f"{owner.log_group}, which that trail feeds; they hold while it delivers there "
            "(`orgtrail-gen verify` checks it)."
        )
    return lines


def _own_layout(module: ParsedModule) -> list[str]:
    """What a module without an owner's trail did itself, in words."""
    cost = read_cost(module)
    found = ["recorded the management events"] if cost.management != "none" else []
    found += ["delivered them to its own log group"] if trail_log_group(module) else []
    return found + (["kept its own bucket"] if cost.bucket_managed else [])


def _layout_change(owner: Owner | None, new: ParsedModule, previous: ParsedModule) -> list[str]:
    """What adding, dropping or moving ``owner_trail`` does, read against the compared HCL."""
    before = watched_group(previous)
    if owner is None:
        if before is None:
            return []
        copy = ""
        if read_cost(new).management != "none":
            copy = (
                ", and it records management events: while that other trail records them too, "
                "every one is paid a second time (`orgtrail-gen cost` prices it with "
                "cost.management_event_copies_before)"
            )
        return [
            f"owner_trail is gone: the compared module sat beside another organization trail "
            f"(its metric filters and saved queries watched {before}, a log group it did not "
            f"manage); this one runs its own organization trail{copy}."
        ]
    did = _own_layout(previous) if before is None and organization_trails(previous) else []
    if did:
        return [
            f"owner_trail is new: the compared module's own organization trail "
            f"{' and '.join([', '.join(did[:-1]), did[-1]] if len(did) > 1 else did)}; this one "
            f"leaves that to {owner.manager}'s trail, and what it "
            "stops managing is listed below."
        ]
    if before is not None and owner.log_group is not None and before != owner.log_group:
        return [
            f"owner_trail.log_group_arn changed: the metric filters and saved queries move from "
            f"{before} to {owner.manager}'s log group {owner.log_group} (a filter's log group "
            "forces a new filter: each is replaced; a saved query changes in place)."
        ]
    return []


def companion(config: Config, new: ParsedModule, previous: ParsedModule | None) -> list[str]:
    """The companion layout and any change to it, in sentences (none outside the layout)."""
    owner = owner_of(config)
    lines = _beside(owner, new) if owner is not None else []
    if previous is not None:
        lines += _layout_change(owner, new, previous)
    return lines
