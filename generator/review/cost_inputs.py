"""The cost estimate's inputs and its unit: the volumes a config gives, one priced line.

Why apart from the arithmetic: ``check --summary`` prices two modules with the same inputs (the
current config's: the previous module's config is not known there), so the inputs are built
once from a config and handed to each estimate; and a line is the one shape every report
prints - quantity x unit price = monthly USD, with the assumption behind the quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.config.prices import Price, PriceList, price_list
from generator.sections.cost.model import DEFAULTS, Cost
from generator.sections.facts import known_accounts

if TYPE_CHECKING:
    from generator.sections.registry import Config


@dataclass(frozen=True)
class Volume:
    """One volume the estimate used: its value and where it came from."""

    key: str
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Inputs:
    """What the estimate takes from a config: the organization's size, volumes and prices."""

    accounts: int
    accounts_source: str
    regions: tuple[str, ...]
    home_region: str
    copies_before: int
    volumes: dict[str, Volume]
    selector_events: dict[str, int]
    measured_on: str | None
    measured_ingest_bytes: int | None
    measured_standard_bytes: int | None
    prices: PriceList
    replaced_prices: tuple[str, ...]
    owner: str | None = None  # beside an owner's trail (owner_trail): who, in words

    def __getitem__(self, key: str) -> float:
        """A volume's value by its key under cost.volumes."""
        return self.volumes[key].value


@dataclass(frozen=True)
class Line:
    """One priced item: quantity x unit price = monthly USD, and the quantity's assumption."""

    service: str
    item: str
    quantity: float
    unit: str
    price: Price
    basis: str

    @property
    def usd(self) -> float:
        """The monthly amount."""
        return self.quantity * self.price.each


DAYS_PER_MONTH = 30  # the estimate's month


def number(value: float) -> str:
    """A quantity in words: 1,234,567 or 12.5."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.4g}"


def _volumes(cost: Cost) -> dict[str, Volume]:
    given = cost.volumes
    found = {}
    for key, default in DEFAULTS.items():
        value = getattr(given, key)
        source = (
            f"default: {default.source}" if value is None else f"cost.volumes.{key} in the config"
        )
        found[key] = Volume(key, default.value if value is None else value, default.unit, source)
    if given.athena_bytes_per_day is not None:
        found["athena_bytes_per_day"] = Volume(
            "athena_bytes_per_day",
            given.athena_bytes_per_day,
            "bytes a saved Athena query scans per day of its window",
            "cost.volumes.athena_bytes_per_day in the config",
        )
    return found


def inputs_of(config: Config) -> Inputs:
    """The estimate's inputs from one config (its ``cost`` section, or every default)."""
    cost = config.cost or Cost()
    named = set(known_accounts(config))
    if config.athena is not None and config.athena.enum_accounts:
        named |= set(config.athena.enum_accounts)
    if cost.accounts is not None:
        accounts, source = cost.accounts, "cost.accounts in the config"
    else:
        accounts = len(named)
        source = (
            f"default: the {accounts} account{'s' if accounts != 1 else ''} the config names "
            "(management, log archive, delegated administrator, athena.accounts); set "
            "cost.accounts to the organization's number of accounts"
        )
    measured = cost.measured
    table = price_list()
    return Inputs(
        accounts=accounts,
        accounts_source=source,
        regions=tuple(config.trail.expected_regions),
        home_region=config.trail.home_region,
        copies_before=cost.management_event_copies_before,
        volumes=_volumes(cost),
        selector_events=dict(cost.volumes.selectors),
        measured_on=measured.on if measured else None,
        measured_ingest_bytes=measured.log_group_incoming_bytes if measured else None,
        measured_standard_bytes=measured.bucket_standard_bytes if measured else None,
        prices=table.with_amounts(dict(cost.prices)) if cost.prices else table,
        replaced_prices=tuple(sorted(cost.prices)),
        owner=config.owner_trail.manager if config.owner_trail else None,
    )
