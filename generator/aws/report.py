"""How verify's results are shown: an aligned table for people, JSON for pipelines."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict

from generator.aws.live import NOT_APPLICABLE, NOT_DEPLOYED, Result

_LABEL = {"ok": "ok", "fail": "FAIL", "note": "note"}

# The module's layers, in the order they are built, and which checks read each. A check not
# listed (a newer one) is a layer of its own name.
LAYERS: dict[str, tuple[str, ...]] = {
    "organization": ("organization", "trusted access"),
    "trail": ("owner trail", "trail", "trail status", "trail events", "duplicate trails"),
    "bucket": (
        "bucket policy",
        "bucket statements",
        "bucket policy drift",
        "key policy",
        "key statements",
    ),
    "log group": (),
    "delivery": ("S3 delivery", "CloudWatch delivery"),
    "monitoring": ("monitoring",),
    "consumers": ("consumers",),
}
_LAYER_OF = {check: layer for layer, checks in LAYERS.items() for check in checks}


def _layer_of(result: Result) -> str:
    return result.layer or _LAYER_OF.get(result.check, result.check)


def layers(results: list[Result]) -> dict[str, str]:
    """Each layer with results: "not deployed", "N failed", "not applicable", or "ok".

    Why: before apply, or with one layer missing, the head of the report says which layer to
    apply, instead of a reader adding up rows; a layer someone else owns (the companion
    layout's log group) says so instead of counting as notes.
    """
    grouped: dict[str, list[Result]] = {}
    for result in results:
        grouped.setdefault(_layer_of(result), []).append(result)
    order = [*LAYERS, *(name for name in grouped if name not in LAYERS)]
    states: dict[str, str] = {}
    for name in order:
        rows = grouped.get(name)
        if not rows:
            continue
        if any(r.found == NOT_DEPLOYED for r in rows):
            states[name] = NOT_DEPLOYED
            continue
        failed = sum(r.status == "fail" for r in rows)
        notes = sum(r.status == "note" for r in rows)
        for state in ("not judged", NOT_APPLICABLE):
            if notes == len(rows) and all(r.found.startswith(state) for r in rows):
                states[name] = state
                break
        if name in states:
            continue
        state = f"{failed} failed" if failed else "ok"
        states[name] = state + (f", {notes} note{'s' if notes > 1 else ''}" if notes else "")
    return states


def _subject(result: Result) -> str:
    return f"{result.subject} ({result.account_name})" if result.account_name else result.subject


def summary(results: list[Result], calls: Counter[str]) -> dict[str, int]:
    """Counts per status, plus the API calls made."""
    counts = Counter(result.status for result in results)
    return {
        "ok": counts["ok"],
        "fail": counts["fail"],
        "note": counts["note"],
        "api_calls": sum(calls.values()),
    }


def table(results: list[Result], calls: Counter[str]) -> str:
    """One row per result with what was found; for a failure or note, expected and fix below."""
    header = ("STATUS", "CHECK", "SUBJECT", "FOUND")
    rows = [(_LABEL[r.status], r.check, _subject(r), r.found) for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    indent = " " * (widths[0] + 2)

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]

    states = layers(results)
    width = max(len("LAYER"), *map(len, states))
    lines = [f"{'LAYER'.ljust(width)}  STATE"]
    lines += [f"{name.ljust(width)}  {state}" for name, state in states.items()]
    lines += ["", line(header)]
    for result, row in zip(results, rows, strict=True):
        lines.append(line(row))
        if result.status != "ok" and result.expected:
            lines.append(f"{indent}expected: {result.expected}")
        if result.fix:
            lines.append(f"{indent}fix: {result.fix}")
    totals = summary(results, calls)
    verdict = "FAILED" if totals["fail"] else "all delivering"
    lines.append(
        f"\n{verdict}: {totals['ok']} ok, {totals['fail']} failed, {totals['note']} notes "
        f"({totals['api_calls']} API calls)"
    )
    return "\n".join(lines) + "\n"


def as_json(results: list[Result], calls: Counter[str]) -> str:
    """``{"ok", "summary", "layers", "results", "calls"}``, stable key order.

    Each result carries ``account_id`` and ``account_name`` (empty unless the row is about
    one member account), so a pipeline need not parse them out of ``subject``.
    """
    totals = summary(results, calls)
    document = {
        "ok": totals["fail"] == 0,
        "summary": totals,
        "layers": layers(results),
        "results": [asdict(result) for result in results],
        "calls": dict(sorted(calls.items())),
    }
    return json.dumps(document, indent=2) + "\n"
