"""Regions and partitions, read from botocore's endpoint data without importing botocore.

Why: region names must be validated offline and every ARN must carry the right partition
(``aws``, ``aws-cn``, ``aws-us-gov``, ...). botocore ships that data as ``endpoints.json``;
reading the file directly costs a few milliseconds, importing botocore costs far more, and the
main command must not pay for boto3 at all.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Partition:
    """One AWS partition: its ARN name, DNS suffix and the regions where CloudTrail runs."""

    name: str
    dns_suffix: str
    regions: frozenset[str]
    global_region: str | None = None  # where IAM, STS and CloudFront events are recorded


def _data_file(name: str) -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it provides the region data")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def _global_regions() -> dict[str, str]:
    """Each partition's implicit global region (partitions.json), e.g. aws -> us-east-1."""
    try:
        data = json.loads(_data_file("partitions.json").read_text(encoding="utf-8"))
    except OSError:
        return {}
    return {
        part["id"]: part["outputs"]["implicitGlobalRegion"]
        for part in data.get("partitions", [])
        if part.get("outputs", {}).get("implicitGlobalRegion")
    }


@cache
def partitions() -> tuple[Partition, ...]:
    """Every partition with the regions that have a CloudTrail endpoint (FIPS aliases dropped)."""
    data = json.loads(_data_file("endpoints.json").read_text(encoding="utf-8"))
    global_regions = _global_regions()
    result = []
    for part in data["partitions"]:
        known = part.get("regions", {})
        endpoints = part.get("services", {}).get("cloudtrail", {}).get("endpoints", {})
        regions = frozenset(name for name in endpoints if name in known)
        name = part["partition"]
        result.append(Partition(name, part["dnsSuffix"], regions, global_regions.get(name)))
    return tuple(result)


def partition_of(region: str) -> Partition | None:
    """The partition in which CloudTrail serves ``region``, or None for an unknown region."""
    for part in partitions():
        if region in part.regions:
            return part
    return None
