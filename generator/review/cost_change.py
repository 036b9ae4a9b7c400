"""What a regeneration changes in the monthly estimate: the line ``check --summary`` adds.

Why both modules are priced with the current config's volumes: ``check`` compares with a
module in a folder, and only that module's HCL is known there, not the config it came from.
So the estimate of each module uses the same organization (accounts, regions, volumes, prices)
and the difference is exactly what the change to the module costs - a data-event selector
added, an alarm removed, a retention lengthened - never a change of assumed volumes. The
summary says so beside the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.review.cost import Estimate, estimate
from generator.review.cost_facts import read_cost
from generator.review.cost_inputs import inputs_of

if TYPE_CHECKING:
    from generator.check.hcl_parse import ParsedModule
    from generator.sections.registry import Config

NOTE = (
    "both modules priced with this config's cost inputs (the compared module's config is not "
    "known here): the change is what the module's change costs; orgtrail-gen cost shows every "
    "line and assumption"
)


@dataclass(frozen=True)
class LineChange:
    """One estimate line whose monthly amount differs (None: the line is new or gone)."""

    service: str
    item: str
    before: float | None
    after: float | None


@dataclass(frozen=True)
class CostChange:
    """The monthly estimate before (None: a first generation) and after, and what moved it."""

    before: float | None
    after: float
    lines: tuple[LineChange, ...]
    note: str = NOTE

    @property
    def change(self) -> float:
        """USD a month more (negative: less) than before."""
        return self.after - (self.before or 0.0)


def _amounts(found: Estimate) -> dict[tuple[str, str], float]:
    amounts: dict[tuple[str, str], float] = {}
    for line in found.lines:
        key = (line.service, line.item)
        amounts[key] = amounts.get(key, 0.0) + line.usd
    return amounts


def cost_change(
    config: Config, new: ParsedModule, previous: ParsedModule | None
) -> CostChange | None:
    """The change in the estimate, or None when it is the same to the cent."""
    inputs = inputs_of(config)
    after = estimate(read_cost(new), inputs)
    if previous is None:
        return CostChange(None, after.total, ())
    before = estimate(read_cost(previous), inputs)
    if round(before.total, 2) == round(after.total, 2):
        return None
    old, now = _amounts(before), _amounts(after)
    lines = [
        LineChange(service, item, old.get((service, item)), now.get((service, item)))
        for service, item in dict.fromkeys([*old, *now])
        if round(old.get((service, item), 0.0), 4) != round(now.get((service, item), 0.0), 4)
    ]
    return CostChange(before.total, after.total, tuple(lines))
