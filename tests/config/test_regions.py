"""The partition table read from botocore's data files, and the cache that spares the parse."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.config import regions


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and no partition table remembered in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    regions.partitions.cache_clear()
    yield tmp_path / "cache" / "orgtrail-gen" / "regions"
    regions.partitions.cache_clear()


def _forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse() -> tuple[regions.Partition, ...]:
        raise AssertionError("botocore's endpoints.json was parsed again")

    monkeypatch.setattr(regions, "_read_partitions", parse)


def test_a_second_run_reads_the_cached_table_not_botocores_data(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = regions.partitions()
    assert {p.name for p in first} >= {"aws", "aws-cn", "aws-us-gov"}
    assert len(list(fresh.glob("*.json"))) == 1
    regions.partitions.cache_clear()
    _forbid_parsing(monkeypatch)
    assert regions.partitions() == first
    assert regions.partition_of("eu-west-1") == first[[p.name for p in first].index("aws")]


def test_a_corrupt_cache_entry_is_read_afresh_and_replaced(fresh: Path) -> None:
    expected = regions.partitions()
    (entry,) = fresh.glob("*.json")
    for garbage in ("{not json", "[]", '[["aws", "amazonaws.com"]]', '{"aws": 1}'):
        entry.write_text(garbage, encoding="utf-8")
        regions.partitions.cache_clear()
        assert regions.partitions() == expected
        assert json.loads(entry.read_text(encoding="utf-8"))[0][0] == expected[0].name


def test_a_botocore_upgrade_is_not_answered_from_the_old_entry(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New data files (another size or time) make another key: a new region is seen."""
    data = tmp_path / "botocore-data"
    data.mkdir()
    for name in ("endpoints.json", "partitions.json"):
        shutil.copy(regions._data_file(name), data / name)
    monkeypatch.setattr(regions, "_data_file", lambda name: data / name)
    assert regions.partition_of("xx-test-1") is None
    endpoints = json.loads((data / "endpoints.json").read_text(encoding="utf-8"))
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    aws["regions"]["xx-test-1"] = {"description": "a region botocore learnt later"}
    aws["services"]["cloudtrail"]["endpoints"]["xx-test-1"] = {}
    (data / "endpoints.json").write_text(json.dumps(endpoints), encoding="utf-8")
    regions.partitions.cache_clear()
    part = regions.partition_of("xx-test-1")
    assert part is not None and part.name == "aws"
    assert len(list(fresh.glob("*.json"))) == 2


def test_an_unwritable_cache_folder_only_costs_the_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    regions.partitions.cache_clear()
    try:
        assert regions.partition_of("us-east-1") is not None
    finally:
        regions.partitions.cache_clear()


def test_an_entry_of_another_cache_format_is_not_read(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer orgtrail-gen that extracts something else never reads an older entry."""
    regions.partitions()
    (old,) = fresh.glob("*.json")
    old.write_text('[["aws", "example.com", ["us-east-1"], null]]', encoding="utf-8")
    regions.partitions.cache_clear()
    assert regions.partitions()[0].dns_suffix == "example.com"  # the same format reads it
    monkeypatch.setattr(regions, "_CACHE_FORMAT", regions._CACHE_FORMAT + 1)
    regions.partitions.cache_clear()
    assert regions.partition_of("eu-west-1") is not None
    assert len(list(fresh.glob("*.json"))) == 2
