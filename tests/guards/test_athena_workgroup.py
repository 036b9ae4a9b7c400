"""A regeneration that renames the Athena workgroup is refused, whatever is allowed (OTG083).

Why: the provider replaces a workgroup whose name changes (``name`` is ForceNew in
internal/service/athena/workgroup.go), and its delete sends RecursiveDeleteOption only from
``force_destroy``, which the module keeps false: Athena then refuses DeleteWorkGroup while the
workgroup holds query history, after Terraform has destroyed the saved queries in it. The apply
stops halfway, so no flag may let it through; keeping the old name is the way. The default name
follows the trail's, so a trail rename is enough to cause it.

Driven through the command line as a user would: generate, change the config, generate again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path("configs") / "example.yaml"
ADDRESS = "aws_athena_workgroup.cloudtrail"
ATHENA = {
    "start_date": "2026/01/01",
    "results": {"bucket": "example-athena-results"},
    "readers": ["arn:aws:iam::111111111111:role/SecurityAnalyst"],
}


def _edit(project: Path, trail: str | None = None, **athena: Any) -> None:
    path = project / CONFIG
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if trail is not None:
        data["trail"]["name"] = trail
    data["athena"].update(athena)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _snapshot(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "output" / "example").iterdir())}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout whose example config has athena:, already generated."""
    (tmp_path / "configs").mkdir()
    shutil.copy(REPO / CONFIG, tmp_path / CONFIG)
    data = yaml.safe_load((tmp_path / CONFIG).read_text(encoding="utf-8"))
    data["athena"] = dict(ATHENA)
    (tmp_path / CONFIG).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main([str(CONFIG)]) == 0
    assert 'name          = "org-trail-investigations"' in (
        tmp_path / "output" / "example" / "athena.tf"
    ).read_text(encoding="utf-8")
    return tmp_path


def _otg083(err: str) -> str:
    (finding,) = [line for line in err.splitlines() if line.startswith("OTG083")]
    return finding


def test_a_trail_rename_that_renames_the_workgroup_is_refused_even_when_allowed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(project)
    _edit(project, trail="org-trail-v2")
    capsys.readouterr()
    allowed = ["--allow-replace", "aws_cloudtrail.org", "--allow-replace", ADDRESS]
    for extra in ([], allowed):
        assert main([str(CONFIG), *extra]) == 1, extra
        err = capsys.readouterr().err
        finding = _otg083(err)
        assert f"athena.tf: {ADDRESS}:" in finding
        for words in (
            "changes from org-trail-investigations to org-trail-v2-investigations",
            "athena.workgroup is not set, so the workgroup is named after trail.name, which "
            "changes from org-trail to org-trail-v2",
            "destroys the 6 saved queries",
            "Athena refuses DeleteWorkGroup for org-trail-investigations while it holds query "
            "history",
            "force_destroy = false",
            "stops halfway",
            "--allow-replace cannot make it succeed",
        ):
            assert words in finding, (words, finding)
        assert "fix: keep the workgroup: under `athena:` in the config write `workgroup: " in err
        assert "`workgroup: org-trail-investigations`" in err
        assert _snapshot(project) == before, "nothing is written"
    assert main(["check", str(CONFIG)]) == 1, "CI's check refuses it too"


def test_writing_the_printed_line_keeps_the_workgroup_through_a_trail_rename(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(project, trail="org-trail-v2", workgroup="org-trail-investigations")
    capsys.readouterr()
    assert main([str(CONFIG), "--allow-replace", "aws_cloudtrail.org"]) == 0
    assert "OTG083" not in capsys.readouterr().err
    athena = (project / "output" / "example" / "athena.tf").read_text(encoding="utf-8")
    assert 'name          = "org-trail-investigations"' in athena
    assert "workgroup/org-trail-investigations" in athena, "the readers' policy follows"


def test_changing_athena_workgroup_is_refused_and_names_the_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(project, workgroup="forensics")
    capsys.readouterr()
    assert main([str(CONFIG), "--allow-replace", ADDRESS]) == 1
    err = capsys.readouterr().err
    finding = _otg083(err)
    assert "changes from org-trail-investigations to forensics" in finding
    assert "athena.workgroup names it forensics" in finding
    assert "`workgroup: org-trail-investigations`" in err
    assert "OTG040" not in err, "a workgroup holds no logs: only OTG083 speaks of it"


def test_the_same_name_passes_and_other_athena_changes_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(project, workgroup="org-trail-investigations")  # the default, now written out
    assert main([str(CONFIG)]) == 0
    _edit(project, bytes_scanned_cutoff_per_query=20 * 1024**3)
    assert main([str(CONFIG)]) == 0
    assert "OTG083" not in capsys.readouterr().err


def test_otg040_names_what_a_workgroup_replacement_really_does(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The trail rename's finding lists the workgroup among what it replaces: never as
    "deleted and created again", which Athena does not let happen."""
    _edit(project, trail="org-trail-v2")
    capsys.readouterr()
    assert main([str(CONFIG)]) == 1
    err = capsys.readouterr().err
    (finding,) = [line for line in err.splitlines() if line.startswith("OTG040")]
    assert "aws_athena_workgroup (cloudtrail; name changes from" in finding
    assert (
        "cannot be replaced: Terraform destroys its saved queries, then Athena refuses" in finding
    )
    assert "its query history goes" not in err


def _drop_athena(project: Path) -> None:
    path = project / CONFIG
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["athena"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_dropping_athena_is_refused_because_the_workgroup_cannot_be_deleted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without athena: the workgroup is destroyed, which fails halfway as a rename does."""
    before = _snapshot(project)
    _drop_athena(project)
    capsys.readouterr()
    assert main([str(CONFIG)]) == 1
    err = capsys.readouterr().err
    assert f"OTG040 athena.tf: {ADDRESS}: {ADDRESS} is no longer generated" in err
    assert "Athena refuses while it holds query history" in err
    assert "the apply stops halfway at DeleteWorkGroup" in err
    assert f"--allow-replace {ADDRESS}" in err and f"terraform state rm {ADDRESS}" in err
    assert _snapshot(project) == before


def test_dropping_athena_with_the_flag_says_to_forget_the_workgroup_first(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _drop_athena(project)
    capsys.readouterr()
    assert main([str(CONFIG), "--allow-replace", ADDRESS]) == 0
    err = capsys.readouterr().err
    assert f"{ADDRESS} is REMOVED, as --allow-replace allows" in err
    assert f"run `terraform state rm {ADDRESS}` in the module's folder" in err
    assert not (project / "output" / "example" / "athena.tf").exists()
