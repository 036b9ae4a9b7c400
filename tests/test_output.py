"""The writer: plan what changes, apply it atomically, diff it for --check, and never touch a
file that orgtrail-gen did not generate.
"""

from __future__ import annotations

import errno
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


def entries(root: Path) -> dict[str, bytes | None]:
    """Every file and folder below ``root``, hidden ones too (a folder maps to None)."""
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def fail_at(monkeypatch: pytest.MonkeyPatch, name: str, nth: int, *, after: bool = False) -> None:
    """Make ``os.<name>`` fail with a full disk at its ``nth`` call (and every later one if
    ``after``); the calls before it run for real."""
    real = getattr(os, name)
    calls = 0

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == nth or (after and calls > nth):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)


OLD_MODULE = {**FILES, "logs.tf": OURS + "# logs\n", "kms.tf": OURS + "# kms\n"}
NEW_MODULE = {
    **{name: text + "# changed\n" for name, text in FILES.items()},
    "kms.tf": OLD_MODULE["kms.tf"],  # unchanged
    "c.tf": OURS + "# new\n",
    "d.tf": OURS + "# new too\n",
}  # logs.tf is no longer produced: removed


def an_old_module_beside_foreign_files(root: Path) -> Path:
    directory = root / "example"
    write_all(directory, OLD_MODULE)
    (directory / "backend.tf").write_text("# mine\n", encoding="utf-8")
    (directory / ".terraform.lock.hcl").write_text("# lock\n", encoding="utf-8")
    os.utime(directory / "a.tf", ns=(1, 1))
    return directory


@pytest.mark.parametrize(
    ("call", "nth"),
    [
        ("fsync", 1),  # the disk is full at the first file written
        ("fsync", 3),  # ... at the third: two are written in full already
        ("replace", 1),  # moving the first file in
        ("replace", 3),  # moving the third in: two already replaced
        ("unlink", 1),  # removing the stale file, after every new one is in place
    ],
)
def test_a_write_failing_part_way_leaves_the_folder_exactly_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, nth: int
) -> None:
    """A module is written whole or not at all: a full disk after some files left a mix."""
    directory = an_old_module_beside_foreign_files(tmp_path)
    change = plan(directory, NEW_MODULE)
    assert len(change.write) == 4 and change.delete == ["logs.tf"]
    before = entries(tmp_path)
    fail_at(monkeypatch, call, nth)
    with pytest.raises(OutputError) as caught:
        apply(directory, change)
    monkeypatch.undo()
    assert entries(tmp_path) == before, "every byte as it was, no staging folder left"
    assert (directory / "a.tf").stat().st_mtime_ns == 1, "the old file itself, put back"
    message = str(caught.value)
    assert message.startswith(f"{directory}: ")
    assert os.strerror(errno.ENOSPC) in message
    assert f"nothing was written ({directory} is as it was)" in message
    write_all(directory, NEW_MODULE)  # once there is room, the same plan goes through
    assert plan(directory, NEW_MODULE).write == {}


def test_a_filesystem_without_hard_links_still_gets_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous files are kept by copy where links are refused (FAT, some shares)."""
    directory = an_old_module_beside_foreign_files(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", refuse)
    apply(directory, plan(directory, NEW_MODULE))
    monkeypatch.undo()
    change = plan(directory, NEW_MODULE)
    assert (change.write, change.delete) == ({}, [])
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [*NEW_MODULE, "backend.tf", ".terraform.lock.hcl"]
    ), "the new module beside the foreign files, no staging folder left"


def test_a_new_folder_that_cannot_be_written_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "output" / "example"
    fail_at(monkeypatch, "fsync", 2)
    with pytest.raises(OutputError) as caught:
        apply(directory, plan(directory, NEW_MODULE))
    monkeypatch.undo()
    assert entries(tmp_path) == {}, "neither output/ nor output/example is left behind"
    assert f"nothing was written ({directory} was not created)" in str(caught.value)


def test_when_even_putting_back_fails_the_message_says_what_changed_and_where_the_old_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = an_old_module_beside_foreign_files(tmp_path)
    before = entries(directory)
    fail_at(monkeypatch, "replace", 3, after=True)  # two files moved in, then nothing moves
    with pytest.raises(OutputError) as caught:
        apply(directory, plan(directory, NEW_MODULE))
    monkeypatch.undo()
    message = str(caught.value)
    assert "nothing was written" not in message
    now = entries(directory)
    moved = sorted(
        name
        for name, text in NEW_MODULE.items()
        if now.get(name) == text.encode("utf-8") != before.get(name)
    )
    assert len(moved) == 2 and f"{', '.join(moved)} already hold the new module" in message
    kept = Path(message.split("the previous versions are in ", 1)[1].split(". ", 1)[0])
    for name in moved:
        if name in before:
            assert (kept / name).read_bytes() == before[name], "the old file is there to restore"


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
