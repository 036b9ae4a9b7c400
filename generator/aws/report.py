"""How verify's results are shown: an aligned table for people, JSON for pipelines."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict

from generator.aws.live import Result

_LABEL = {"ok": "ok", "fail": "FAIL", "note": "note"}


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
    rows = [(_LABEL[r.status], r.check, r.subject, r.found) for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    indent = " " * (widths[0] + 2)

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]

    lines = [line(header)]
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
    """``{"ok": bool, "summary": {...}, "results": [...], "calls": {...}}``, stable key order."""
    totals = summary(results, calls)
    document = {
        "ok": totals["fail"] == 0,
        "summary": totals,
        "results": [asdict(result) for result in results],
        "calls": dict(sorted(calls.items())),
    }
    return json.dumps(document, indent=2) + "\n"
