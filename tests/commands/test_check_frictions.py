"""`check` in CI: a missing folder, an orphaned module, two configs for one folder, warnings,
and a status line whose command runs as printed."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
import yaml

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


# ---------------------------------------------------------------- the hint is the command to run


def _hinted(err: str, status: str) -> list[str]:
    """The command a status line tells the user to run, split as a shell would split it."""
    (line,) = [line for line in err.splitlines() if status in line]
    return shlex.split(line.split("run `", 1)[1].split("`", 1)[0])


def _edit(config: Path, section: str, values: dict[str, object] | None) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    if values is None:
        del data[section], data["monitoring"]  # monitoring needs the log group
    else:
        data[section].update(values)
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("option", "section", "values"),
    [
        ("--allow-shorter-retention", "cloudwatch_logs", {"retention_in_days": 30}),
        ("--allow-replace", "cloudwatch_logs", None),  # the log group is removed
    ],
    ids=["shorter-retention", "replace"],
)
def test_the_stale_hint_carries_the_allow_options_so_running_it_succeeds(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    section: str,
    values: dict[str, object] | None,
) -> None:
    """`check --allow-X A` said `run orgtrail-gen x.yaml`, which OTG040/OTG042 then refused."""
    _edit(project / "configs" / "example.yaml", section, values)
    capsys.readouterr()
    address = "aws_cloudwatch_log_group.cloudtrail"
    code, _out, err = check(capsys, "configs/example.yaml", option, address)
    assert code == 1, err
    argv = _hinted(err, "output/example: stale")
    assert argv[0] == "orgtrail-gen"
    assert main(argv[1:]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert check(capsys, "configs/example.yaml")[0] == 0, "the hint brought the folder up to date"


def test_the_hint_is_shell_quoted_for_paths_with_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config or output folder whose path holds a space: the hint still runs when pasted."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "my configs").mkdir()
    shutil.copy(REPO / "configs" / "example.yaml", tmp_path / "my configs" / "example.yaml")
    monkeypatch.chdir(tmp_path)
    config, root = "my configs/example.yaml", "tf out"
    code = main(["check", config, "--output-dir", root])
    err = capsys.readouterr().err
    assert code == 1, err
    argv = _hinted(err, "is missing")
    assert argv[1:] == [config, "--output-dir", root], "one word per argument"
    assert main(argv[1:]) == 0, capsys.readouterr().err
    assert (tmp_path / root / "example" / "cloudtrail.tf").is_file()
    capsys.readouterr()
    assert main(["check", config, "--output-dir", root]) == 0
