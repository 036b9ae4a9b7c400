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


def _endpoints_file() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; it provides the region data")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "endpoints.json"


@cache
def partitions() -> tuple[Partition, ...]:
    """Every partition with the regions that have a CloudTrail endpoint (FIPS aliases dropped)."""
    data = json.loads(_endpoints_file().read_text(encoding="utf-8"))
    result = []
    for part in data["partitions"]:
        known = part.get("regions", {})
        endpoints = part.get("services", {}).get("cloudtrail", {}).get("endpoints", {})
        regions = frozenset(name for name in endpoints if name in known)
        result.append(Partition(part["partition"], part["dnsSuffix"], regions))
    return tuple(result)


def partition_of(region: str) -> Partition | None:
    """The partition in which CloudTrail serves ``region``, or None for an unknown region."""
    for part in partitions():
        if region in part.regions:
            return part
    return None
