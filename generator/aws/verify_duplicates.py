"""verify's ``duplicate trails`` rows: other trails that record the trail's events again.

Why a note and not a failure: another trail recording management events (Control Tower's, a
landing zone's, an old console trail) is often wanted by whoever made it; what verify owes the
reader is that it is a paid copy and what it costs a month. Read: DescribeTrails with shadow
trails in the home region (every trail that applies there, the organization's trails of the
management account included), GetEventSelectors of each other trail; compared with what the
config asks the trail to record (:func:`generator.aws.verify_events.expected_selectors`) as
:mod:`generator.aws.trails` compares discovered trails. Priced with the config's cost volumes
and prices (its ``cost`` section, else every default) and the packaged price list.
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
from generator.aws.verify_events import describe, expected_selectors, live_selectors, recorded
from generator.config.prices import price_list
from generator.sections.cost.model import DEFAULTS, Cost

CHECK = "duplicate trails"


def _others(live: Live) -> list[dict[str, Any]]:
    answer = (
        live.aws.call("cloudtrail", "describe_trails", region=live.home, includeShadowTrails=True)
        or {}
    )
    return [t for t in answer.get("trailList", []) if t.get("TrailARN") != live.arns.trail]


def _volume(cost: Cost, key: str) -> float:
    given = getattr(cost.volumes, key)
    return float(DEFAULTS[key].value if given is None else given)


def check_duplicate_trails(live: Live) -> list[Result]:
    """One note per other trail that records management events or the same data events."""
    if live.trail is None:
        return []  # check_trail reports the missing trail
    config = live.config
    cost = config.cost or Cost()
    table = price_list()
    prices = (table.with_amounts(dict(cost.prices)) if cost.prices else table).prices
    ours = recorded(expected_selectors(live))
    name = config.trail.name
    rows = []
    for trail in _others(live):
        arn = str(trail.get("TrailARN"))
        answer = live.aws.call(
            "cloudtrail", "get_event_selectors", region=trail.get("HomeRegion"), TrailName=arn
        )
        theirs = recorded(live_selectors(answer or {}, trail.get("HasCustomEventSelectors")))
        group = str(trail.get("CloudWatchLogsLogGroupArn") or "")
        owner = owner_words(
            owner_of(str(trail.get("Name", "")), group.split(":")[6] if group else None, {})
        )
        organization = bool(trail.get("IsOrganizationTrail"))
        accounts = (cost.accounts or len(live.active_accounts())) if organization else 1
        regions = len(config.trail.expected_regions) if trail.get("IsMultiRegionTrail") else 1
        share = management_share(ours, theirs, _volume(cost, "write_share"))
        if share:
            copy = Copy(accounts, regions, _volume(cost, "management_events"), share)
            rows.append(
                Result(
                    CHECK,
                    f"{arn} ({owner})",
                    "note",
                    f"only {name} records {name}'s management events",
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
                    f"{arn} ({owner})",
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
