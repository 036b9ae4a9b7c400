"""`check` in CI: a missing folder, an orphaned module, two configs for one folder, warnings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with configs/example.yaml and configs/prod.yaml, generated."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "configs").mkdir()
    for name in ("example.yaml", "prod.yaml"):
        shutil.copy(REPO / "configs" / name, tmp_path / "configs" / name)
    monkeypatch.chdir(tmp_path)
    assert main(["configs/example.yaml", "configs/prod.yaml"]) == 0
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *configs: str) -> tuple[int, str, str]:
    code = main(["check", *configs])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_orphaned_module_is_reported_with_what_to_do(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    (project / "configs" / "prod.yaml").unlink()  # the config went; its module stayed
    code, out, err = check(capsys, "configs/example.yaml")
    assert code == 1 and out == ""
    assert (
        "output/prod: orphaned module (generated files whose config no longer exists): if it was "
        "applied, run `terraform destroy` in output/prod first (or move its state), then delete "
        "the folder"
    ) in err
    assert "output/example: up to date" in err


def test_a_folder_of_a_config_not_named_on_the_command_line_is_no_orphan(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, _out, err = check(capsys, "configs/example.yaml")
    assert code == 0, err
    assert "orphaned" not in err


def test_a_folder_whose_config_lives_elsewhere_is_no_orphan(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "examples").mkdir()
    (project / "configs" / "prod.yaml").rename(project / "examples" / "prod.yaml")
    assert main(["examples/prod.yaml"]) == 0  # its header now names examples/prod.yaml
    capsys.readouterr()
    code, _out, err = check(capsys, "configs/example.yaml")
    assert code == 0, err


def test_two_configs_for_one_folder_are_refused_before_any_preflight(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    (project / "other").mkdir()
    # A broken config of the same name: its errors would come from building it; the clash
    # is known from the file names alone and reported instead.
    (project / "other" / "example.yaml").write_text("organization: {}\n", encoding="utf-8")
    code, _out, err = check(capsys, "configs/example.yaml", "other/example.yaml")
    assert code == 2
    assert "several configs would write output/example" in err
    assert "required key is missing" not in err


def test_check_counts_warnings_instead_of_repeating_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, _out, err = check(capsys, "configs/example.yaml", "configs/prod.yaml")
    assert code == 0
    assert not [line for line in err.splitlines() if line.startswith("warning:")]
    assert (
        "output/prod: up to date (3 warnings: `orgtrail-gen configs/prod.yaml` prints them)" in err
    )
