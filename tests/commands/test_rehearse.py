"""`orgtrail-gen rehearse`: what it refuses before running anything, and one real run.

The refusals need no Terraform: a stale or missing module (exit 1, with the command that
regenerates it: rehearsing something else than the config's module proves nothing), a missing
terraform, a mirror named but empty, a missing emulator (exit 2, one line each saying what to
install or set). The real run is the test suite's own background run of configs/greenfield.yaml
made through the command's entry point (tests/support/terraform_suite.py, CLI_RUN), with the
user's AWS and Terraform variables set to values that would break it if they were used.
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest
from support import terraform_suite
from support.terraform_suite import tools_or_skip

from generator.cli import main
from generator.rehearse.plan import brief

REPO = Path(__file__).resolve().parents[2]
EMULATOR_LINE = "orgtrail-gen rehearse needs the emulator: pip install 'orgtrail-gen[rehearse]'"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with configs/example.yaml, generated into output/example."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "configs").mkdir()
    shutil.copy(REPO / "configs" / "example.yaml", tmp_path / "configs" / "example.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["configs/example.yaml"]) == 0
    for name in ("ORGTRAIL_TERRAFORM", "ORGTRAIL_TF_MIRROR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def rehearse(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["rehearse", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_stale_module_is_refused_with_the_command_that_regenerates_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = project / "output" / "example" / "logs.tf"
    logs.write_text(logs.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    before = logs.read_bytes()
    code, out, err = rehearse(capsys, "configs/example.yaml")
    assert (code, out) == (1, "")
    assert err == (
        "output/example is stale; run `orgtrail-gen configs/example.yaml` first (`orgtrail-gen "
        "check` shows the diff): a module other than the config's proves nothing\n"
    )
    assert logs.read_bytes() == before  # nothing regenerated behind the user's back


def test_a_missing_module_names_the_command_with_its_output_dir(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = rehearse(capsys, "configs/example.yaml", "--output-dir", "elsewhere")
    assert code == 1
    assert err == (
        "elsewhere/example is missing; run `orgtrail-gen configs/example.yaml --output-dir "
        "elsewhere` first\n"
    )


def test_a_missing_terraform_is_one_line_saying_what_to_set(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = project / "no-terraform"
    monkeypatch.setenv("ORGTRAIL_TERRAFORM", str(missing))
    code, out, err = rehearse(capsys, "configs/example.yaml")
    assert (code, out) == (2, "")
    assert err == (
        f"orgtrail-gen rehearse: no terraform binary at ORGTRAIL_TERRAFORM={missing}: set it to "
        "a terraform binary, or unset it to use the one on PATH\n"
    )
    monkeypatch.delenv("ORGTRAIL_TERRAFORM")
    monkeypatch.setenv("PATH", str(project))  # no terraform on it
    code, out, err = rehearse(capsys, "configs/example.yaml")
    assert (code, out) == (2, "")
    assert err == (
        "orgtrail-gen rehearse: no terraform binary: none on PATH and ORGTRAIL_TERRAFORM is not "
        "set; install Terraform (https://developer.hashicorp.com/terraform/install) or set "
        "ORGTRAIL_TERRAFORM to its path\n"
    )


def test_a_missing_emulator_and_a_named_empty_mirror_are_a_line_each(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terraform = project / "terraform"
    terraform.write_text("", encoding="utf-8")
    monkeypatch.setenv("ORGTRAIL_TERRAFORM", str(terraform))
    monkeypatch.setitem(sys.modules, "moto", None)  # as if orgtrail-gen[rehearse] was not installed
    code, out, err = rehearse(capsys, "configs/example.yaml")
    assert (code, out, err) == (2, "", EMULATOR_LINE + "\n")
    monkeypatch.setenv("ORGTRAIL_TF_MIRROR", str(project / "no-mirror"))
    code, _, err = rehearse(capsys, "configs/example.yaml")
    assert code == 2
    first, second = err.splitlines()
    assert first.startswith("orgtrail-gen rehearse: no provider mirror holding ")
    assert "ORGTRAIL_TF_MIRROR=" in first and second == EMULATOR_LINE


def test_jobs_must_be_positive(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = rehearse(capsys, "configs/example.yaml", "--jobs", "0")
    assert (code, err) == (2, "--jobs must be 1 or more, not 0\n")


def test_the_command_is_listed_with_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", "--help"]) == 0
    printed = capsys.readouterr().out
    for option in ("--output-dir ROOT", "--keep", "--jobs N"):
        assert option in printed


@pytest.mark.terraform
def test_rehearse_runs_greenfield_end_to_end_and_prints_one_table(
    request: pytest.FixtureRequest,
) -> None:
    """`python -m generator rehearse configs/greenfield.yaml --keep`, run by the suite."""
    tools = tools_or_skip()
    runs = terraform_suite.start(request.session)
    assert runs is not None
    outcome = runs.outcomes()[terraform_suite.CLI_RUN[0]]
    cli = runs.cli
    assert cli is not None, "the suite did not run greenfield through the command"
    assert cli.exit_code == 0, cli.stderr + cli.stdout
    run = outcome.completed()
    assert run.plan is not None

    header, row, *rest = cli.stdout.splitlines()
    assert header.split() == ["MODULE", "PLAN", "APPLY", "SECOND", "PLAN", "TIME", "ADAPTATIONS"]
    cells = re.split(r" {2,}", row)
    assert cells[:4] == ["greenfield", brief(run.plan), "applied", "no changes"]
    assert re.fullmatch(r"\d+\.\d+s", cells[4])
    assert run.changes, "the mirror's provider is older: the adaptations are listed"
    for change in run.changes:  # each on a line of the table
        assert any(line.strip() == change for line in [cells[5], *rest])
    assert (
        f"hashicorp/aws {tools.provider_version} (mirror {tools.mirror}), "
        f"moto {metadata.version('moto')}, botocore {metadata.version('botocore')}"
    ) in cli.stdout
    assert "moto patches applied in each server:" in cli.stdout
    for patch in outcome.patches:
        assert f"  {patch}" in cli.stdout
    assert cli.stdout.endswith("1 module rehearsed: every step passed\n")

    for step in ("provider schema", "emulator", "init", "validate", "plan", "apply", "second plan"):
        assert re.search(rf"^greenfield: {step} \.\.\. \d+\.\d+s$", cli.stderr, re.M), step
    kept = re.search(r"^scratch folder kept: (.+)$", cli.stderr, re.M)
    assert kept is not None and Path(kept[1]).parent == cli.tmpdir
    # the state went to the scratch folder: greenfield's s3 backend was replaced by a local one
    assert "greenfield/terraform/terraform.tfstate" in cli.scratch_files
    # the user's folder was only read: same files, same bytes, same times, nothing added
    assert cli.before and cli.after == cli.before
    # and the user's AWS_* and TF_* variables (which would have broken the run) were not used
    assert {"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "TF_DATA_DIR", "TF_WORKSPACE"} <= set(
        cli.environment
    )
