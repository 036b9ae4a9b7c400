"""Rewrite the packaged region table (``regions.json``) from the installed botocore's data.

Run ``python -m generator.config.regions_refresh`` in a development install, read the diff of
``generator/config/regions.json`` like a golden file's, regenerate ``output/`` and the goldens
(a new region reaches the Athena table and every saved query), and commit them together: that
is how a new region reaches users, in a new orgtrail-gen release. ``--check`` writes nothing and
exits 1 when the installed botocore knows another table (run by ``tests/lock.sh --upgrade``, so
that a botocore upgrade says a refresh is due instead of changing anyone's output).

Why botocore's files and not its API: the table needs two files of its data folder
(``endpoints.json``: the regions with a CloudTrail endpoint per partition; ``partitions.json``:
each partition's implicit global region), and reading them needs no botocore import.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.config.regions import DATA_FILE, Partition, RegionData, decode

COMMAND = "python -m generator.config.regions_refresh"


def botocore_data(name: str) -> Path:
    """A file of the installed botocore's data folder (botocore is not imported)."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("botocore is not installed: pip install botocore, then run this again")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def read_botocore(today: str) -> RegionData:
    """The table as the installed botocore's data files describe it."""
    endpoints = json.loads(botocore_data("endpoints.json").read_text(encoding="utf-8"))
    global_regions = {
        part["id"]: part["outputs"]["implicitGlobalRegion"]
        for part in json.loads(botocore_data("partitions.json").read_text(encoding="utf-8"))[
            "partitions"
        ]
        if part.get("outputs", {}).get("implicitGlobalRegion")
    }
    table = []
    for part in endpoints["partitions"]:
        known = part.get("regions", {})
        cloudtrail = part.get("services", {}).get("cloudtrail", {}).get("endpoints", {})
        name = part["partition"]
        table.append(
            Partition(
                name,
                part["dnsSuffix"],
                frozenset(region for region in cloudtrail if region in known),
                global_regions.get(name),
            )
        )
    return RegionData(importlib.metadata.version("botocore"), today, tuple(table))


def encode(data: RegionData) -> str:
    """The file's text: sorted, one region a line, so that its diff reads like a golden's."""
    document: dict[str, Any] = {
        "source": {
            "botocore": data.botocore_version,
            "generated_on": data.generated_on,
            "command": COMMAND,
        },
        "partitions": [
            {
                "name": part.name,
                "dns_suffix": part.dns_suffix,
                "global_region": part.global_region,
                "regions": sorted(part.regions),
            }
            for part in data.partitions
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def changes(old: RegionData, new: RegionData) -> list[str]:
    """What differs between two tables, a line each (empty when they agree)."""
    lines = []
    before = {p.name: p for p in old.partitions}
    after = {p.name: p for p in new.partitions}
    for name in sorted(before.keys() - after.keys()):
        lines.append(f"partition {name}: removed")
    for name in sorted(after.keys() - before.keys()):
        lines.append(f"partition {name}: added ({', '.join(sorted(after[name].regions))})")
    for name in sorted(before.keys() & after.keys()):
        was, now = before[name], after[name]
        if now.regions - was.regions:
            lines.append(f"{name}: regions added: {', '.join(sorted(now.regions - was.regions))}")
        if was.regions - now.regions:
            lines.append(f"{name}: regions removed: {', '.join(sorted(was.regions - now.regions))}")
        if was.dns_suffix != now.dns_suffix:
            lines.append(f"{name}: DNS suffix {was.dns_suffix} -> {now.dns_suffix}")
        if was.global_region != now.global_region:
            lines.append(f"{name}: global region {was.global_region} -> {now.global_region}")
    if [p.name for p in old.partitions] != [p.name for p in new.partitions] and not lines:
        lines.append("the partitions' order changed")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Compare the installed botocore's table with the file; rewrite it (or, with --check, say)."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the installed botocore's table differs from the file",
    )
    parser.add_argument(
        "--file",
        type=Path,
        default=Path(__file__).with_name(DATA_FILE),
        help="the table to compare and rewrite (default: the package's own)",
    )
    args = parser.parse_args(argv)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    fresh = read_botocore(today)
    if not args.file.exists():
        current = RegionData("none", "never", ())
        origin = f"{args.file} (missing)"
    else:
        current = decode(json.loads(args.file.read_text(encoding="utf-8")))
        read = f"botocore {current.botocore_version}, read on {current.generated_on}"
        origin = f"{args.file} ({read})"
    found = changes(current, fresh)
    if not found:
        print(f"{origin} agrees with the installed botocore {fresh.botocore_version}")
        return 0
    print(f"the installed botocore {fresh.botocore_version} differs from {origin}:")
    for line in found:
        print(f"  {line}")
    if args.check:
        print(f"run `{COMMAND}`, regenerate output/ and the goldens, read the diff and commit them")
        return 1
    args.file.write_text(encode(fresh), encoding="utf-8")
    print(f"wrote {args.file}; now regenerate output/ and the goldens and read their diff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
