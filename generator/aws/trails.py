"""Every trail discover sees: who manages it, what it records, and what a second copy costs.

Why: CloudTrail delivers the first copy of each management event free and bills every
further copy (the pricing page; LZA#1170), and bills each data event once per trail that
records it. So a second trail that records the same events is a paid duplicate. Before
writing a config, discover names every trail with its owner (a landing zone's naming, a
CloudFormation stack's tag) and what it records, in the trail section's words
(:func:`generator.aws.verify_events.describe`, the reduction verify compares with), and
prices each duplicate with the packaged price list and the cost section's default volumes;
verify's ``duplicate trails`` row (:mod:`generator.aws.verify_duplicates`) reuses the same
comparison.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

from generator.aws.measure import measured_yaml
from generator.aws.session import Aws
from generator.aws.verify_events import Recorded, describe, live_selectors, recorded
from generator.config.prices import Price, dollars, price_list
from generator.core.arns import arn_account, arn_region
from generator.sections.cost.model import DEFAULTS
from generator.sections.trail.events import Fields

if TYPE_CHECKING:
    from generator.aws.discover import Discovery, ExistingTrail

# Control Tower's baseline trail (aws-controltower-BaselineCloudTrail), and the log group of
# its trail (landing zone 4.0's optional trail too): aws-controltower/CloudTrailLogs[-<suffix>].
CONTROL_TOWER_PREFIX = "aws-controltower-"
CONTROL_TOWER_LOG_GROUP = "aws-controltower/CloudTrailLogs"
# Landing Zone Accelerator names its organization trail "<prefix>-Organizations-CloudTrail"
# (LZA source, organizations stack; default prefix AWSAccelerator).
LZA_PREFIX = "AWSAccelerator-"
LZA_SUFFIX = "-Organizations-CloudTrail"
STACK_TAG = "aws:cloudformation:stack-name"
COPY_PRICE = "cloudtrail.management_events.copy"
DATA_PRICE = "cloudtrail.data_events"
LONG_NAMES = {"LZA": "Landing Zone Accelerator"}


def owner_of(name: str, log_group_name: str | None, tags: Mapping[str, str]) -> str | None:
    """Who manages the trail: Control Tower, LZA, a CloudFormation stack; None if unknown."""
    if name.startswith(CONTROL_TOWER_PREFIX) or (log_group_name or "").startswith(
        CONTROL_TOWER_LOG_GROUP
    ):
        return "Control Tower"
    if name.startswith(LZA_PREFIX) or name.endswith(LZA_SUFFIX):
        return "LZA"
    if stack := tags.get(STACK_TAG):
        return f"CloudFormation stack {stack}"
    return None


# owner_of's words -> owner_trail.managed_by (a stack's words carry its name after this).
MANAGED_BY = {"Control Tower": "control-tower", "LZA": "lza"}
STACK_WORDS = "CloudFormation stack "


def managed_by_key(owner: str) -> str:
    """owner_trail.managed_by for owner_of's words: control-tower, lza, cloudformation, other."""
    if owner in MANAGED_BY:
        return MANAGED_BY[owner]
    return "cloudformation" if owner.startswith(STACK_WORDS) else "other"


def companion_owner(trails: list[ExistingTrail], management: str) -> ExistingTrail | None:
    """The organization trail discover writes the companion layout beside, if any.

    It is an organization trail of this organization (its ARN carries the management account
    and its home region) that records management events and that discover would not adopt: one
    owner_of recognises (Control Tower, LZA, a CloudFormation stack), whose manager would fight
    an import. A trail nobody is known to manage (a console trail) is adopted as before. Of
    several, Control Tower's first, then LZA's, then a stack's, then by name.
    """
    owned = [
        t
        for t in trails
        if t.is_organization
        and t.bucket
        and t.managed_by is not None
        and arn_account(t.arn) == management
        and arn_region(t.arn) == t.home_region
        and records_of(t).management
    ]
    order = [*MANAGED_BY.values(), "cloudformation"]
    owned.sort(key=lambda t: (order.index(managed_by_key(t.managed_by or "")), t.name))
    return owned[0] if owned else None


def trail_tags(aws: Aws, arn: str, region: str | None) -> dict[str, str]:
    """The trail's tags (ListTags in its home region)."""
    answer = aws.call("cloudtrail", "list_tags", region=region, ResourceIdList=[arn]) or {}
    return {
        str(tag.get("Key")): str(tag.get("Value", ""))
        for entry in answer.get("ResourceTagList", [])
        for tag in entry.get("TagsList") or []
    }


def trail_selectors(
    aws: Aws, arn: str, region: str | None, has_custom: object
) -> tuple[Fields, ...]:
    """GetEventSelectors as advanced selectors (verify_events' reading of either kind)."""
    answer = aws.call("cloudtrail", "get_event_selectors", region=region, TrailName=arn) or {}
    return tuple(live_selectors(answer, has_custom))


def records_of(trail: ExistingTrail) -> Recorded:
    """What the trail records, reduced (order, names and value order do not count)."""
    return recorded(trail.selectors)


def owner_words(owner: str | None) -> str:
    """``managed by Control Tower``, ``managed by unknown``."""
    return f"managed by {owner or 'unknown'}"


# --- duplicates ---------------------------------------------------------------------------------


def management_share(ours: Recorded, theirs: Recorded, write_share: float) -> float:
    """The share of management events both record (read and write counted apart)."""
    both = ours.management.keys() & theirs.management.keys()
    return sum(write_share if kind == "write" else 1 - write_share for kind in both)


def data_overlaps(ours: Recorded, theirs: Recorded) -> list[str]:
    """Resource types both record data events of, where one of them records every resource.

    Why this simple: one trail's filters include the other's for sure when one has none; two
    filtered selectors may overlap too, but proving it needs the values, so they are not
    reported.
    """
    types: set[str] = set()
    for kind_type, filters in ours.data:
        for other_type, other_filters in theirs.data:
            if kind_type and kind_type == other_type and (not filters or not other_filters):
                types.add(kind_type)
    return sorted(types)


def monthly(price: Price, events: float) -> str:
    """``about $9.00 a month`` for ``events`` events at ``price``."""
    return f"about {dollars(round(events * price.each, 2))} a month"


class Copy:
    """What a duplicate costs a month: accounts x regions x events per account and region."""

    def __init__(self, accounts: int, regions: int, per: float, share: float = 1.0) -> None:
        self.accounts, self.regions, self.per, self.share = accounts, regions, per, share

    @property
    def events(self) -> float:
        """The events that are paid twice, a month."""
        return self.accounts * self.regions * self.per * self.share

    def words(self, price: Price, what: str) -> str:
        """``about $9.00 a month for 3 account(s) x 1 region(s) x 150,000 <what>``."""
        share = f" x {self.share:g}" if self.share != 1 else ""
        return (
            f"{monthly(price, self.events)} for {self.accounts} account(s) x {self.regions} "
            f"region(s) x {self.per:,.0f} {what}{share}"
        )


# --- what discover says -------------------------------------------------------------------------


def first_copies(found: Discovery) -> list[ExistingTrail]:
    """Organization trails orgtrail-gen will not manage that already record management events.

    Each is a copy before the trail the config generates, so that trail's copy is paid: their
    number is ``cost.management_event_copies_before``. Beside an owner (``found.owner``, the
    companion layout) the owner's trail is one of them, and the config's trail records none.
    """
    return [
        t
        for t in found.trails
        if t.is_organization and t is not found.adopted and records_of(t).management
    ]


def _regions(found: Discovery, trail: ExistingTrail) -> int:
    return len(found.regions) if trail.is_multi_region else 1


def duplicate_warnings(found: Discovery) -> list[str]:
    """Every paid duplicate among the trails and the one the config generates, with its cost."""
    prices = price_list().prices
    copy, data = prices[COPY_PRICE], prices[DATA_PRICE]
    per = DEFAULTS["management_events"].value
    volume = "management events (cost.volumes.management_events' default)"
    accounts = max(found.active_count, 1)
    warnings = []
    for trail in first_copies(found):
        cost = Copy(accounts, len(found.regions), per)
        if found.owner is not None:  # the companion layout: this config records none
            if trail is not found.owner:
                warnings.append(
                    f"{trail.arn} ({owner_words(trail.managed_by)}) records the organization's "
                    f"management events again, beside {found.owner.managed_by}'s trail "
                    f"{found.owner.name}, which the config is written beside: a paid second "
                    f"copy ({copy.words}), {cost.words(copy, volume)}. Stop its management "
                    "events (or delete it) unless something reads them from there"
                )
            continue
        warnings.append(
            f"{trail.arn} ({owner_words(trail.managed_by)}) already records management events "
            "for the organization: the trail this config generates would be a paid second "
            f"copy ({copy.words}, cost.management_event_copies_before): this config's copy "
            f"costs {cost.words(copy, volume)}. Instead: keep this trail for data events only with "
            "`trail.events: {management: {read_write: none}, data: [...]}`, or stop that "
            "trail's management events"
        )
    for trail in found.trails:
        if trail.is_organization or not records_of(trail).management:
            continue
        cost = Copy(1, _regions(found, trail), per)
        warnings.append(
            f"{trail.arn} ({owner_words(trail.managed_by)}) records management events of "
            f"account {trail.arn.split(':')[4]} again, next to the organization trail: a paid "
            f"copy ({copy.words}), {cost.words(copy, volume)}. Turn its management events off "
            "(or delete it) unless something reads them from there"
        )
    trails = found.trails
    for i, first in enumerate(trails):
        for second in trails[i + 1 :]:
            for kind_type in data_overlaps(records_of(first), records_of(second)):
                both_org = first.is_organization and second.is_organization
                regions = min(_regions(found, first), _regions(found, second))
                cost = Copy(accounts if both_org else 1, regions, DEFAULTS["data_events"].value)
                warnings.append(
                    f"{first.arn} ({owner_words(first.managed_by)}) and {second.arn} "
                    f"({owner_words(second.managed_by)}) both record data events of "
                    f"{kind_type}, one of them of every resource: each such event is paid "
                    f"twice ({data.words}), "
                    f"{cost.words(data, 'data events (cost.volumes.data_events default)')}"
                )
    return warnings


def warning_comment(found: Discovery) -> list[str]:
    """The warnings as the first comment lines of the written config."""
    lines = []
    for warning in duplicate_warnings(found):
        wrapped = textwrap.wrap(f"WARNING: {warning}", 92, break_on_hyphens=False)
        lines += [f"# {line}" for line in wrapped]
    return lines


def cost_section(found: Discovery) -> list[str]:
    """``cost:`` when other organization trails record management events first; else none."""
    before = first_copies(found)
    measured = measured_yaml(found.measured) if found.measured is not None else []
    measured_lines = [f"  {line}" for line in measured]
    if not before:
        if not found.measured or not found.measured.any:
            return measured  # only the reasons nothing was measured, as comments
        accounts = f"  accounts: {max(found.active_count, 1)}  # the organization's active accounts"
        return ["cost:  # what discover measured of the adopted trail", accounts, *measured_lines]
    names = ", ".join(t.name for t in before)
    if found.owner is not None:
        head = (
            f"cost:  # companion layout: {len(before)} organization trail(s) record management "
            f"events ({names}); this config's trail records none, so it pays for no copy"
        )
    else:
        head = (
            f"cost:  # {len(before)} organization trail(s) record management events first "
            f"({names}): this trail's copy is paid"
        )
    return [
        head,
        f"  management_event_copies_before: {len(before)}",
        f"  accounts: {max(found.active_count, 1)}  # the organization's active accounts",
        *measured_lines,
    ]


def trail_words(trail: ExistingTrail) -> list[str]:
    """The trail's owner and what it records, for its line under "Existing trails"."""
    return [owner_words(trail.managed_by), "records " + "; ".join(describe(records_of(trail)))]
