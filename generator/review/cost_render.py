"""The cost estimate as a terminal table, Markdown to file with a change, or JSON for tools.

Why three shapes of one estimate, as the controls report has: a reviewer reads the table, a
pull request or a budget request carries the Markdown, and a FinOps tool reads the JSON. All
three carry every line with its quantity, unit price and assumption, the volumes with their
sources, the prices with theirs, and what is not priced.

JSON shape (``version`` 1)::

    {"format": "orgtrail-gen-cost", "version": 1, "currency": "USD",
     "modules": [{
        "config": "configs/x.yaml", "module": "x",
        "monthly_usd": float,                        # every line
        "by_service": {"CloudTrail": float, ...},    # in the order of the lines
        "accounts": int, "regions": [str],
        "lines": [{"service", "item", "quantity": float, "unit",
                   "price_key", "unit_price_usd": float, "per": int,  # usd per `per` units
                   "monthly_usd": float, "basis": str}],             # basis: the assumption
        "volumes": [{"key", "value": float, "unit", "source"}],
        "prices": [{"key", "usd": float, "per": int, "unit", "read_on", "source",
                    "confidence": "confirmed" | "secondary" | "unconfirmed" | "config",
                    "note"}],                       # each price a line uses
        "not_priced": [str], "notes": [str]}]}
"""

from __future__ import annotations

import json
from typing import Any

from generator.review.cost import Estimate

FORMAT = "orgtrail-gen-cost"
VERSION = 1


def usd(value: float) -> str:
    """Dollars to the cent; a non-zero amount under half a cent as "<$0.01", never as $0.00."""
    if value and abs(value) < 0.005:
        return "<$0.01"
    return f"${value:,.2f}"


def quantity(value: float) -> str:
    """A quantity as a bill prints it: whole from 100, three decimals from 1, else 3 digits."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _title(estimate: Estimate) -> str:
    table = estimate.prices
    of = f" ({estimate.config})" if estimate.config else ""
    return (
        f"{estimate.module}{of}: about {usd(estimate.total)} a month ({table.currency}, "
        f"{table.region} list prices of {table.read_on}, every default volume stated below)"
    )


def table(estimate: Estimate) -> str:
    """Lines by service with their subtotals; the volumes, prices and omissions after."""
    lines = [_title(estimate)]
    subtotals = estimate.by_service()
    for service, amount in subtotals.items():
        lines += ["", f"{service}: {usd(amount)}"]
        for line in (line for line in estimate.lines if line.service == service):
            lines.append(
                f"  {line.item}: {quantity(line.quantity)} {line.unit} x {line.price.words} "
                f"= {usd(line.usd)}"
            )
            lines.append(f"      {line.basis}")
    lines += ["", f"Total: {usd(estimate.total)} a month", "", "Volumes:"]
    lines += [f"  {v.key}: {quantity(v.value)} {v.unit} ({v.source})" for v in estimate.volumes]
    lines += ["", "Prices:"]
    lines += [
        f"  {p.key}: {p.words} [{p.confidence}, read {p.read_on}] {p.source}"
        for p in estimate.used_prices()
    ]
    lines += ["", "Not priced:", *(f"  - {item}" for item in estimate.not_priced)]
    lines += ["", "Notes:", *(f"  - {note}" for note in estimate.notes)]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


def markdown(estimate: Estimate) -> str:
    """A table of lines with the total, then the volumes, prices and omissions as tables."""
    out = [f"### Cost estimate: {estimate.module}", "", _title(estimate) + ".", ""]
    out += ["| Service | Item | Quantity | Unit price | Monthly | Assumption |"]
    out += ["| --- | --- | ---: | --- | ---: | --- |"]
    for line in estimate.lines:
        out.append(
            f"| {line.service} | {_cell(line.item)} | {quantity(line.quantity)} {line.unit} "
            f"| {_cell(line.price.words)} | {usd(line.usd)} | {_cell(line.basis)} |"
        )
    out.append(f"| **Total** | | | | **{usd(estimate.total)}** | |")
    out += [
        "",
        "By service: " + ", ".join(f"{s} {usd(a)}" for s, a in estimate.by_service().items()),
    ]
    out += [
        "",
        "#### Volumes",
        "",
        "| Volume | Value | Unit | Source |",
        "| --- | ---: | --- | --- |",
    ]
    out += [
        f"| `{v.key}` | {quantity(v.value)} | {_cell(v.unit)} | {_cell(v.source)} |"
        for v in estimate.volumes
    ]
    out += ["", "#### Prices", ""]
    out += ["| Key | Price | Read | Confidence | Source |", "| --- | --- | --- | --- | --- |"]
    out += [
        f"| `{p.key}` | {_cell(p.words)} | {p.read_on} | {p.confidence} | {p.source} |"
        for p in estimate.used_prices()
    ]
    out += ["", "#### Not priced", "", *(f"- {_cell(item)}" for item in estimate.not_priced)]
    out += ["", "#### Notes", "", *(f"- {_cell(note)}" for note in estimate.notes)]
    return "\n".join(out) + "\n"


def module_json(estimate: Estimate) -> dict[str, Any]:
    """One module's estimate in the documented JSON shape."""
    return {
        "config": estimate.config,
        "module": estimate.module,
        "monthly_usd": round(estimate.total, 6),
        "by_service": {s: round(a, 6) for s, a in estimate.by_service().items()},
        "accounts": estimate.accounts,
        "regions": list(estimate.regions),
        "lines": [
            {
                "service": line.service,
                "item": line.item,
                "quantity": round(line.quantity, 6),
                "unit": line.unit,
                "price_key": line.price.key,
                "unit_price_usd": line.price.usd,
                "per": line.price.per,
                "monthly_usd": round(line.usd, 6),
                "basis": line.basis,
            }
            for line in estimate.lines
        ],
        "volumes": [
            {"key": v.key, "value": v.value, "unit": v.unit, "source": v.source}
            for v in estimate.volumes
        ],
        "prices": [p._asdict() for p in estimate.used_prices()],
        "not_priced": list(estimate.not_priced),
        "notes": list(estimate.notes),
    }


def as_json(estimates: list[Estimate]) -> str:
    """Every config's estimate in one document."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "currency": "USD",
        "modules": [module_json(e) for e in estimates],
    }
    return json.dumps(document, indent=2) + "\n"
