"""Regions and partitions, read from botocore's endpoint data without importing botocore.

Why: region names must be validated offline and every ARN must carry the right partition
(``aws``, ``aws-cn``, ``aws-us-gov``, ...). botocore ships that data as ``endpoints.json``;
reading the file directly costs a few milliseconds, importing botocore costs far more, and the
main command must not pay for boto3 at all. The file is 1.2 MB of JSON, about 10 ms to parse
on every run, for a few hundred bytes of result: the result is kept in the user's cache folder,
keyed by the data files' size and modification time, so a botocore upgrade is read afresh.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from generator.core.cache import read_json, write_json
from generator.core.paths import cache_dir


class Partition(NamedTuple):
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


def _read_partitions() -> tuple[Partition, ...]:
    """Every partition, parsed from botocore's data files (the slow path)."""
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


# Part of every entry's name: raise it when _read_partitions extracts something else, so that
# an entry written by an older orgtrail-gen is never read as this one's.
_CACHE_FORMAT = 1


def _cache_file() -> Path | None:
    """The cache entry for the data files as they are now, or None if they cannot be read."""
    try:
        stamps = [
            (stat.st_size, stat.st_mtime_ns)
            for stat in (_data_file(name).stat() for name in ("endpoints.json", "partitions.json"))
        ]
    except OSError:
        return None
    key = "-".join(f"{size}.{mtime}" for size, mtime in stamps)
    return cache_dir() / "regions" / f"v{_CACHE_FORMAT}-{key}.json"


def _decode(rows: Any) -> tuple[Partition, ...] | None:
    """Partitions from a cache entry's rows, or None for an entry that is not one."""
    if not isinstance(rows, list) or not rows:
        return None
    try:
        return tuple(
            Partition(str(name), str(suffix), frozenset(map(str, regions)), global_region)
            for name, suffix, regions, global_region in rows
        )
    except (TypeError, ValueError):
        return None


@cache
def partitions() -> tuple[Partition, ...]:
    """Every partition with the regions that have a CloudTrail endpoint (FIPS aliases dropped)."""
    path = _cache_file()
    cached = _decode(read_json(path)) if path is not None else None
    if cached is not None:
        return cached
    result = _read_partitions()
    if path is not None:
        rows = [[p.name, p.dns_suffix, sorted(p.regions), p.global_region] for p in result]
        write_json(path, rows)
    return result


def partition_of(region: str) -> Partition | None:
    """The partition in which CloudTrail serves ``region``, or None for an unknown region."""
    for part in partitions():
        if region in part.regions:
            return part
    return None
