"""A regeneration that would destroy stored evidence is refused until the user names it.

Driven through the command line as a user would: generate, change the config, generate again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from generator.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "configs" / "example.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with configs/example.yaml already generated into output/example."""
    (tmp_path / "configs").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "configs" / "example.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["configs/example.yaml"]) == 0
    return tmp_path


def change(project: Path, edit: dict[str, object] | None = None, drop: str | None = None) -> None:
    path = project / "configs" / "example.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in (edit or {}).items():
        section, key = dotted.split(".")
        data[section][key] = value
    if drop:
        del data[drop]
        if drop == "cloudwatch_logs":
            data.pop("monitoring", None)  # monitoring needs the log group
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def snapshot(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "output" / "example").iterdir())}


@pytest.mark.parametrize(
    ("edit", "drop", "address", "words"),
    [
        ({"trail.name": "org-trail-v2"}, None, "aws_cloudtrail.org", ('"org-trail"', '"org-trail-v2"', "no account")),
        ({"cloudwatch_logs.log_group_name": "/org/trail"}, None, "aws_cloudwatch_log_group.cloudtrail", ("/aws/cloudtrail/org", "every event stored")),
        ({"bucket.name": "another-org-cloudtrail-logs"}, None, "aws_s3_bucket.logs", ("example-org-cloudtrail-logs", "every log file")),
        (None, "cloudwatch_logs", "aws_cloudwatch_log_group.cloudtrail", ("no longer generated", "DESTROYS")),
        ({"kms.enabled": False}, None, "aws_kms_key.cloudtrail", ("no longer generated", "unreadable")),
    ],
    ids=["trail-rename", "log-group-rename", "bucket-rename", "log-group-dropped", "key-dropped"],
)  # fmt: skip
def test_replacing_evidence_is_refused_until_named(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    edit: dict[str, object] | None,
    drop: str | None,
    address: str,
    words: tuple[str, ...],
) -> None:
    before = snapshot(project)
    capsys.readouterr()
    if edit and "kms.enabled" in edit:
        data = yaml.safe_load((project / "configs" / "example.yaml").read_text())
        data["kms"] = {"enabled": False}
        (project / "configs" / "example.yaml").write_text(yaml.safe_dump(data))
    else:
        change(project, edit, drop)

    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert "OTG040" in err and address in err, err
    for word in words:
        assert word in err
    assert f"--allow-replace {address}" in err
    assert snapshot(project) == before, "nothing is written"
    assert main(["configs/example.yaml", "--check"]) == 1, "CI's check refuses it too"

    assert main(["configs/example.yaml", "--allow-replace", address]) == 0
    assert snapshot(project) != before
    assert main(["configs/example.yaml"]) == 0, "once written, the new output is the reference"


def test_a_first_generation_and_unrelated_changes_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change(project, {"cloudwatch_logs.retention_in_days": 731, "trail.s3_key_prefix": "ct"})
    assert main(["configs/example.yaml"]) == 0
    assert main(["configs/example.yaml", "--output-dir", "elsewhere"]) == 0
    # The alarm topic's key encrypts no stored log: dropping monitoring removes it freely.
    change(project, drop="monitoring")
    assert main(["configs/example.yaml"]) == 0
    assert not (project / "output" / "example" / "notifications.tf").exists()


def test_allowing_one_resource_does_not_allow_another(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change(project, {"trail.name": "org-trail-v2", "bucket.name": "another-org-cloudtrail-logs"})
    capsys.readouterr()
    assert main(["configs/example.yaml", "--allow-replace", "aws_cloudtrail.org"]) == 1
    err = capsys.readouterr().err
    assert "aws_s3_bucket.logs" in err and "aws_cloudtrail.org: name" not in err


def test_an_unparsable_earlier_file_stops_the_run_with_advice(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project / "output" / "example" / "cloudtrail.tf"
    target.write_text(target.read_text() + "\nresource {{{\n")
    capsys.readouterr()
    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert "no longer parses" in err and "git checkout" in err
