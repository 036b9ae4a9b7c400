"""Cache entries: read back only when sound, written atomically, never a leftover file."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.core.cache import read_json, write_json


def test_an_entry_round_trips_and_its_folder_is_created(tmp_path: Path) -> None:
    entry = tmp_path / "a" / "b" / "entry.json"
    assert write_json(entry, {"k": [1, "two", None]})
    assert read_json(entry) == {"k": [1, "two", None]}
    assert [p.name for p in entry.parent.iterdir()] == ["entry.json"]


@pytest.mark.parametrize("text", ["", "{not json", '{"a": '])
def test_a_corrupt_or_missing_entry_reads_as_absent(tmp_path: Path, text: str) -> None:
    assert read_json(tmp_path / "missing.json") is None
    entry = tmp_path / "entry.json"
    entry.write_text(text, encoding="utf-8")
    assert read_json(entry) is None


def test_an_unwritable_folder_is_false_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert write_json(blocker / "entry.json", [1]) is False


def test_a_value_that_is_not_json_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_json(tmp_path / "entry.json", {"k": object()})
    assert list(tmp_path.iterdir()) == []
