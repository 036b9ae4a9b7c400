"""The monthly cost estimate: what the generated module will cost, line by line.

Why this shape: a reviewer must be able to redo every line by hand - quantity x unit price =
monthly USD, with the assumption behind the quantity written beside it - because an estimate
nobody can check is worse than none. The quantities the module decides (how many alarms and
filters, which selectors, the lifecycle, the Bucket Key) are read from its HCL
(:mod:`generator.review.cost_facts`); how many events the organization produces comes from the
config's ``cost`` section or the stated defaults (:data:`generator.sections.cost.model.DEFAULTS`);
every price comes from the packaged list with its source (:mod:`generator.config.prices`).

Conventions: a GB is 2^30 bytes and a TB 2^40 (the price list's ``bytes_per_gb``); a month is
30 days; storage is priced where it settles (retention reached), or after ``horizon_days`` when
nothing expires. Free tiers are not deducted: they are shared with everything else an account
runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.config.prices import Price, PriceList
from generator.review.cost_facts import CostModule
from generator.review.cost_inputs import Inputs, Line, Volume
from generator.review.cost_lines import Builder


@dataclass(frozen=True)
class Estimate:
    """One module's estimate: its lines, the volumes and prices used, and what is left out."""

    config: str
    module: str
    lines: tuple[Line, ...]
    volumes: tuple[Volume, ...]
    accounts: int
    regions: tuple[str, ...]
    notes: tuple[str, ...]
    not_priced: tuple[str, ...]
    prices: PriceList

    @property
    def total(self) -> float:
        """USD a month, every line."""
        return sum(line.usd for line in self.lines)

    def by_service(self) -> dict[str, float]:
        """USD a month per service, in the order the lines come."""
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, 0.0) + line.usd
        return totals

    def used_prices(self) -> list[Price]:
        """Each price a line uses, once, in line order."""
        return list({line.price.key: line.price for line in self.lines}.values())


NOT_PRICED = (
    "data transfer (CloudTrail's deliveries within AWS are not charged as transfer; readers "
    "downloading logs, replication and cross-region copies are)",
    "requests by readers: Athena's and SIEMs' S3 GET and LIST requests and KMS Decrypt "
    "requests for the files they read",
    "CloudWatch Logs' and SNS's own KMS requests for the log group's and the topic's keys "
    "(they cache data keys)",
    "free tiers: not deducted, they are shared with everything else each account runs "
    "(KMS 20,000 requests, CloudWatch 10 alarms, 10 metrics and 5 GB of logs, SNS the first "
    "million publishes and 1,000 emails a month)",
    "minimum storage durations and early deletion (30, 90 and 180 days for IA, Glacier and "
    "Deep Archive), retrievals and restores",
    "the bytes of digest files and of Insights events (small beside the logs)",
    "taxes",
)


def estimate(facts: CostModule, inputs: Inputs, config: str = "", module: str = "") -> Estimate:
    """The monthly estimate of one module's quantities with one config's inputs."""
    builder = Builder(facts, inputs)
    builder.cloudtrail()
    builder.cloudwatch()
    builder.s3()
    builder.kms()
    builder.sns()
    builder.athena()
    return Estimate(
        config=config,
        module=module,
        lines=tuple(builder.lines),
        volumes=tuple(inputs.volumes.values()),
        accounts=inputs.accounts,
        regions=inputs.regions,
        notes=tuple(_notes(inputs) + builder.notes),
        not_priced=tuple(builder.not_priced) + NOT_PRICED,
        prices=inputs.prices,
    )


def _notes(inputs: Inputs) -> list[str]:
    table = inputs.prices
    notes = [
        f"accounts: {inputs.accounts} ({inputs.accounts_source}); regions: "
        f"{', '.join(inputs.regions)} (trail.regions)",
        f"prices: {table.region} list prices in {table.currency}, read on {table.read_on} "
        "(generator/config/prices.json; each price's source is listed with it)",
    ]
    if inputs.home_region != table.region:
        notes.append(
            f"the trail's home region is {inputs.home_region}, where prices differ. "
            + table.how_to_use_another_region
        )
    if inputs.replaced_prices:
        notes.append(f"replaced by cost.prices: {', '.join(inputs.replaced_prices)}")
    if inputs.measured_on:
        notes.append(f"measured volumes: cost.measured, read on {inputs.measured_on}")
    notes.append("a GB is 2^30 bytes, a TB 2^40; a month is 30 days")
    return notes
