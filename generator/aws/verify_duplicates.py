"""verify's ``duplicate trails`` rows: other trails that record the trail's events again.

Why a note and not a failure: another trail recording management events (Control Tower's, a
landing zone's, an old console trail) is often wanted by whoever made it; what verify owes the
reader is that it is a paid copy and what it costs a month. Read: DescribeTrails with shadow
trails in the home region (every trail that applies there, the organization's trails of the
management account included), GetEventSelectors of each other trail; compared with what the
config asks the trail to record (:func:`generator.aws.verify_events.expected_selectors`) as
:mod:`generator.aws.trails` compares discovered trails. Priced with the config's cost volumes
and prices (its ``cost`` section, else every default) and the packaged price list.

Beside an owner's trail (``owner_trail``, the companion layout) the owner's trail is the one
that records the management events, as the config means it to: it is never a paid copy of
this module's trail (which records none), only a trail recording data events this module's
trail records too. Every further trail is compared with both: a third trail recording
management events is the paid copy of the owner's.
"""

from __future__ import annotations

from typing import Any

from generator.aws.live import Live, Result
from generator.aws.trails import (
    COPY_PRICE,
    DATA_PRICE,
    Copy,
    data_overlaps,
    management_share,
    owner_of,
    owner_words,
)
from generator.aws.verify_events import (
    Recorded,
    describe,
    expected_selectors,
    live_selectors,
    recorded,
)
from generator.config.prices import price_list
from generator.sections.cost.model import DEFAULTS, Cost
from generator.sections.registry import facts_of

CHECK = "duplicate trails"


def _others(live: Live) -> list[dict[str, Any]]:
    answer = (
        live.aws.call("cloudtrail", "describe_trails", region=live.home, includeShadowTrails=True)
        or {}
    )
    return [t for t in answer.get("trailList", []) if t.get("TrailARN") != live.arns.trail]


def _records(live: Live, trail: dict[str, Any]) -> Recorded:
    """What one listed trail records (GetEventSelectors by its ARN, in its home region)."""
    answer = live.selectors_of(str(trail.get("TrailARN")), trail.get("HomeRegion"))
    return recorded(live_selectors(answer, trail.get("HasCustomEventSelectors")))


def _references(live: Live, others: list[dict[str, Any]]) -> tuple[str, Recorded, Recorded]:
    """The name the rows speak of, what this module's trail records, and what a copy copies.

    Without an owner both are this module's trail. Beside an owner's trail, the management
    events a further trail copies are the owner's (this module's trail records none), and
    without a trail of this module the owner's trail is the one the rows name.
    """
    config = live.config
    creates = facts_of(config, live.arns).creates_trail
    ours = recorded(expected_selectors(live)) if creates else Recorded({}, {}, set())
    owner = config.owner_trail
    if owner is None:
        return config.trail.name, ours, ours
    first = next((t for t in others if t.get("TrailARN") == owner.arn), None)
    management = dict(_records(live, first).management) if first else {}
    copied = Recorded({**management, **ours.management}, ours.data, ours.other)
    return (config.trail.name if creates else owner.trail_name), ours, copied


def _volume(cost: Cost, key: str) -> float:
    given = getattr(cost.volumes, key)
    return float(DEFAULTS[key].value if given is None else given)


def check_duplicate_trails(live: Live) -> list[Result]:
    """One note per other trail that records management events or the same data events."""
    config = live.config
    owner = config.owner_trail
    if owner is None and live.trail is None:
        return []  # check_trail reports the missing trail
    cost = config.cost or Cost()
    table = price_list()
    prices = (table.with_amounts(dict(cost.prices)) if cost.prices else table).prices
    others = _others(live)
    name, ours, copied = _references(live, others)
    first = f"{owner.trail_name} ({owner.manager})" if owner else name
    rows = []
    for trail in others:
        arn = str(trail.get("TrailARN"))
        theirs = _records(live, trail)
        group = str(trail.get("CloudWatchLogsLogGroupArn") or "")
        manager = owner_words(
            owner_of(str(trail.get("Name", "")), group.split(":")[6] if group else None, {})
        )
        organization = bool(trail.get("IsOrganizationTrail"))
        accounts = (cost.accounts or len(live.active_accounts())) if organization else 1
        regions = len(config.trail.expected_regions) if trail.get("IsMultiRegionTrail") else 1
        is_owner = owner is not None and arn == owner.arn  # the management events are its
        share = 0.0 if is_owner else management_share(copied, theirs, _volume(cost, "write_share"))
        if share:
            copy = Copy(accounts, regions, _volume(cost, "management_events"), share)
            rows.append(
                Result(
                    CHECK,
                    f"{arn} ({manager})",
                    "note",
                    f"only {first} records the management events"
                    if owner is not None
                    else f"only {name} records {name}'s management events",
                    "records " + "; ".join(describe(theirs)),
                    f"a paid copy of the management events ({prices[COPY_PRICE].words}): "
                    f"{copy.words(prices[COPY_PRICE], 'management events')}; turn that "
                    "trail's management events off unless something reads them there",
                )
            )
        for kind_type in data_overlaps(ours, theirs):
            copy = Copy(accounts, regions, _volume(cost, "data_events"))
            rows.append(
                Result(
                    CHECK,
                    f"{arn} ({manager})",
                    "note",
                    f"only {name} records {kind_type} data events",
                    f"records {kind_type} data events too, one of the two of every resource",
                    f"each is paid twice ({prices[DATA_PRICE].words}): "
                    f"{copy.words(prices[DATA_PRICE], 'data events')}",
                )
            )
    if not rows:
        rows.append(
            Result(CHECK, f"{name} copies", "ok", "no other trail records its events again", "none")
        )
    return rows
