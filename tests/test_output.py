"""The writer: plan what changes, apply it atomically, diff it for --check, and never touch a
file that orgtrail-gen did not generate.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from generator import output
from generator.core.constants import HEADER_MARK
from generator.core.errors import EXIT_BAD_INPUT, OutputConflictError, OutputError
from generator.output import apply, diff, is_generated, plan
from generator.render.engine import header

OURS = header("configs/example.yaml")
FILES = {
    "a.tf": OURS + 'resource "x" "a" {}\n',
    "b.tf": OURS + 'resource "x" "b" {}\n',
}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def write_all(directory: Path, files: dict[str, str]) -> None:
    apply(directory, plan(directory, files))


# ---------------------------------------------------------------- is_generated


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (OURS + "x = 1\n", True),
        (HEADER_MARK.encode() + b" from x.yaml\n\xff\xfe binary tail\n", True),
        ("# my own backend\nterraform {}\n", False),
        ("", False),
        ("\n" + OURS, False),
        ("\ufeff" + OURS, False),
        ("  " + OURS, False),
        (b"\x00\xff\xfe\x01", False),
        (HEADER_MARK[:-1], False),
    ],
    ids=[
        "header",
        "header-then-binary",
        "foreign",
        "empty",
        "blank-line-first",
        "bom-first",
        "indented",
        "binary",
        "truncated-mark",
    ],
)
def test_is_generated(tmp_path: Path, content: str | bytes, expected: bool) -> None:
    path = tmp_path / "f.tf"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert is_generated(path) is expected


def test_is_generated_is_false_for_missing_paths_and_directories(tmp_path: Path) -> None:
    assert is_generated(tmp_path / "missing.tf") is False
    (tmp_path / "dir.tf").mkdir()
    assert is_generated(tmp_path / "dir.tf") is False


# ---------------------------------------------------------------- plan


def test_plan_for_a_new_folder_writes_everything_and_creates_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "out" / "example"
    change = plan(directory, FILES)
    assert change.write == FILES
    assert (change.delete, change.unchanged) == ([], [])
    assert not (tmp_path / "out").exists()


def test_plan_after_apply_changes_nothing(tmp_path: Path) -> None:
    write_all(tmp_path, FILES)
    change = plan(tmp_path, FILES)
    assert change.write == {}
    assert change.delete == []
    assert sorted(change.unchanged) == sorted(FILES)


def test_plan_rewrites_only_the_changed_file(tmp_path: Path) -> None:
    write_all(tmp_path, FILES)
    edited = {**FILES, "b.tf": OURS + 'resource "x" "b2" {}\n'}
    change = plan(tmp_path, edited)
    assert change.write == {"b.tf": edited["b.tf"]}
    assert change.unchanged == ["a.tf"]


def test_plan_restores_a_hand_edited_generated_file(tmp_path: Path) -> None:
    write_all(tmp_path, FILES)
    (tmp_path / "a.tf").write_text(OURS + "# my edit\n", encoding="utf-8")
    assert plan(tmp_path, FILES).write == {"a.tf": FILES["a.tf"]}


def test_plan_refuses_to_overwrite_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "b.tf").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(OutputConflictError) as caught:
        plan(tmp_path, FILES)
    assert "b.tf" in str(caught.value)
    assert "a.tf" not in str(caught.value)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert snapshot(tmp_path) == {"b.tf": b"# mine\n"}


def test_plan_refuses_a_directory_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "a.tf").mkdir()
    with pytest.raises(OutputConflictError):
        plan(tmp_path, FILES)


def test_plan_deletes_only_our_stale_terraform_files(tmp_path: Path) -> None:
    write_all(tmp_path, {**FILES, "logs.tf": OURS + "# logs\n"})
    (tmp_path / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n', encoding="utf-8")
    (tmp_path / ".terraform.lock.hcl").write_text("# lock\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text(OURS, encoding="utf-8")
    change = plan(tmp_path, FILES)
    assert change.delete == ["logs.tf"]
    assert change.write == {}


def test_plan_rewrites_a_generated_file_with_bad_bytes(tmp_path: Path) -> None:
    write_all(tmp_path, FILES)
    with (tmp_path / "a.tf").open("ab") as handle:
        handle.write(b"\xff\xfe stray bytes\n")
    assert plan(tmp_path, FILES).write == {"a.tf": FILES["a.tf"]}


# ---------------------------------------------------------------- apply


def test_apply_writes_exact_bytes_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    directory = tmp_path / "out" / "example"
    files = {**FILES, "c.tf": OURS + "# unicode \u00e9\u65e5\n# crlf stays lf\n"}
    write_all(directory, files)
    assert snapshot(directory) == {name: text.encode("utf-8") for name, text in files.items()}
    for name in files:
        mode = stat.S_IMODE((directory / name).stat().st_mode)
        assert mode & 0o644 == 0o644, oct(mode)


def test_apply_does_not_touch_unchanged_files(tmp_path: Path) -> None:
    write_all(tmp_path, FILES)
    before = {name: (tmp_path / name).stat().st_mtime_ns for name in FILES}
    os.utime(tmp_path / "a.tf", ns=(1, 1))
    write_all(tmp_path, FILES)
    assert (tmp_path / "a.tf").stat().st_mtime_ns == 1
    assert (tmp_path / "b.tf").stat().st_mtime_ns == before["b.tf"]


def test_apply_removes_stale_files_and_keeps_foreign_ones(tmp_path: Path) -> None:
    write_all(tmp_path, {**FILES, "logs.tf": OURS + "# logs\n"})
    (tmp_path / "backend.tf").write_text("# backend\n", encoding="utf-8")
    (tmp_path / ".terraform.lock.hcl").write_text("# lock\n", encoding="utf-8")
    write_all(tmp_path, FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".terraform.lock.hcl",
        "a.tf",
        "b.tf",
        "backend.tf",
    ]
    assert (tmp_path / "backend.tf").read_text(encoding="utf-8") == "# backend\n"


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_all(tmp_path, FILES)
    before = snapshot(tmp_path)

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", refuse)
    changed = {name: text + "# changed\n" for name, text in FILES.items()}
    with pytest.raises(OutputError, match="No space"):
        apply(tmp_path, plan(tmp_path, changed))
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- diff


def test_diff_is_empty_when_up_to_date(tmp_path: Path) -> None:
    write_all(tmp_path, FILES)
    assert diff(tmp_path, FILES) == ""


def test_diff_shows_a_unified_diff_of_each_change(tmp_path: Path) -> None:
    write_all(tmp_path, {**FILES, "old.tf": OURS + "# old\n"})
    (tmp_path / "a.tf").write_text(OURS + "# hand edit\n", encoding="utf-8")
    new = {**FILES, "new.tf": OURS + "# new\n"}
    before = snapshot(tmp_path)
    text = diff(tmp_path, new)
    assert snapshot(tmp_path) == before  # diff writes nothing
    assert f"--- a/{tmp_path / 'a.tf'}\n+++ b/{tmp_path / 'a.tf'}\n" in text
    assert "-# hand edit\n" in text
    assert '+resource "x" "a" {}\n' in text
    assert f"+++ b/{tmp_path / 'new.tf'}\n" in text
    assert "+# new\n" in text
    assert f"--- a/{tmp_path / 'old.tf'}\n+++ /dev/null\n" in text
    assert "-# old\n" in text
    assert "b.tf" not in text


def test_diff_of_a_missing_folder_adds_every_file(tmp_path: Path) -> None:
    text = diff(tmp_path / "nowhere", FILES)
    assert text.count("+++ b/") == len(FILES)
    assert not (tmp_path / "nowhere").exists()


def test_diff_refuses_a_foreign_file_too(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(OutputConflictError):
        diff(tmp_path, FILES)
