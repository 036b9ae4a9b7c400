"""The price list behind ``orgtrail-gen cost``: one packaged file, each price with its source.

Why a data file in the package and not a look-up at run time: an estimate must be the same on
every machine and in CI, offline, and say exactly which price it used and where that price was
read (``prices.json`` beside this module: unit, USD amount, the day it was read, the AWS page,
and how sure it is). Nothing reads an installed package's data but this package's own file.
The amounts are us-east-1 list prices; a config replaces any of them by key (``cost.prices``)
for another region or a negotiated rate.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

DATA_FILE = "prices.json"
CONFIDENCES = ("confirmed", "secondary", "unconfirmed")


class Price(NamedTuple):
    """One price: ``usd`` for every ``per`` of ``unit``, and where it was read."""

    key: str
    usd: float
    per: int
    unit: str
    read_on: str
    source: str
    confidence: str
    note: str

    @property
    def each(self) -> float:
        """USD for one unit (one event, one GB, one request)."""
        return self.usd / self.per

    @property
    def words(self) -> str:
        """``$2.00 per 100,000 management events ...``, as a report prints it."""
        if not self.usd:
            return f"free ({self.unit})"
        per = "" if self.per == 1 else f"{self.per:,} "
        return f"{dollars(self.usd)} per {per}{self.unit}"


def dollars(amount: float) -> str:
    """A price as the pricing pages print it: at least cents, every significant digit after."""
    digits = f"{amount:,.6f}".rstrip("0")
    whole, _, cents = digits.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


class PriceList(NamedTuple):
    """The packaged list: its region, currency, date, byte units and every price by key."""

    region: str
    currency: str
    read_on: str
    bytes_per_gb: int
    bytes_per_tb: int
    confidence: dict[str, str]
    how_to_use_another_region: str
    prices: dict[str, Price]

    def with_amounts(self, amounts: dict[str, float]) -> PriceList:
        """The list with some amounts replaced (``cost.prices``); their source says so."""
        changed = dict(self.prices)
        for key, usd in amounts.items():
            old = changed[key]
            changed[key] = old._replace(
                usd=usd,
                source="cost.prices in the config",
                confidence="config",
                note=f"replaces the {self.region} list price {old.words} (read {old.read_on})",
            )
        return self._replace(prices=changed)


def decode(document: Any) -> PriceList:
    """The list of a ``prices.json`` document; ValueError for one that is not such a list."""
    try:
        if document["format"] != "orgtrail-gen-prices" or document["version"] != 1:
            raise ValueError(f"format {document['format']!r} version {document['version']!r}")
        prices = {
            key: Price(
                key,
                float(row["usd"]),
                int(row["per"]),
                str(row["unit"]),
                str(row["read_on"]),
                str(row["source"]),
                str(row["confidence"]),
                str(row["note"]),
            )
            for key, row in document["prices"].items()
        }
        table = PriceList(
            str(document["region"]),
            str(document["currency"]),
            str(document["read_on"]),
            int(document["bytes_per_gb"]),
            int(document["bytes_per_tb"]),
            {str(k): str(v) for k, v in document["confidence"].items()},
            str(document["how_to_use_another_region"]),
            prices,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an orgtrail-gen price list: {exc!r}") from exc
    unknown = {p.confidence for p in prices.values()} - set(CONFIDENCES)
    if unknown:
        raise ValueError(f"not an orgtrail-gen price list: confidence {sorted(unknown)}")
    return table


@cache
def price_list() -> PriceList:
    """The packaged list (read once per process)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return decode(json.loads(text))
