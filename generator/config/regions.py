"""Regions and partitions, read from the data file that ships inside this package.

Why a file of our own: the region list reaches generated Terraform (the Athena table's
partition projection, every saved query's ``region IN (...)``) and decides which region names
a config may use. Read from the installed botocore, as it once was, the same config gave other
Terraform on every botocore release: a committed ``output/`` turned stale in a user's CI
although nothing of theirs changed, and an older botocore silently dropped regions - and
their events - from every query. So the table is ``regions.json`` beside this module, written
by ``python -m generator.config.regions_refresh`` from botocore's data and committed like a
golden file: output is a function of the config and orgtrail-gen's version, nothing else, and
a new region reaches users through a new orgtrail-gen release.

The file is a few kilobytes: parsing it costs well under a millisecond, so nothing is cached.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

DATA_FILE = "regions.json"


class Partition(NamedTuple):
    """One AWS partition: its ARN name, DNS suffix and the regions where CloudTrail runs."""

    name: str
    dns_suffix: str
    regions: frozenset[str]
    global_region: str | None = None  # where IAM, STS and CloudFront events are recorded


class RegionData(NamedTuple):
    """The packaged table and where it came from (the botocore release and the day it was read)."""

    botocore_version: str
    generated_on: str
    partitions: tuple[Partition, ...]


def decode(document: Any) -> RegionData:
    """The table of a ``regions.json`` document; ValueError for one that is not such a table."""
    try:
        source = document["source"]
        table = tuple(
            Partition(
                str(row["name"]),
                str(row["dns_suffix"]),
                frozenset(str(region) for region in row["regions"]),
                None if row["global_region"] is None else str(row["global_region"]),
            )
            for row in document["partitions"]
        )
        data = RegionData(str(source["botocore"]), str(source["generated_on"]), table)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an orgtrail-gen region table: {exc!r}") from exc
    if not table:
        raise ValueError("not an orgtrail-gen region table: no partition")
    return data


@cache
def region_data() -> RegionData:
    """The packaged table (read once per process)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return decode(json.loads(text))


def partitions() -> tuple[Partition, ...]:
    """Every partition with the regions that have a CloudTrail endpoint (FIPS aliases dropped)."""
    return region_data().partitions


def partition_of(region: str) -> Partition | None:
    """The partition in which CloudTrail serves ``region``, or None for an unknown region."""
    for part in partitions():
        if region in part.regions:
            return part
    return None


def provenance() -> str:
    """Where the table came from, for messages that refuse a region: 'botocore X, read on D'."""
    data = region_data()
    return f"botocore {data.botocore_version}, read on {data.generated_on}"
