"""`check --summary` says in words what a change of `trail.events` records and stops recording.

Driven as a reviewer meets it: generate, edit the YAML, run `check --summary`. The assertions
name what the reviewer must learn from a selector change - which management events, which
sources, which data events of which buckets or ARNs, which network activity - instead of the
bare "update in place (advanced_event_selector)".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from generator.cli import main
from generator.sections.registry import Config
from generator.sections.trail.events import event_warnings

LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:payments"
EVENTS = {
    "management": {"read_write": "write", "exclude_sources": ["kms.amazonaws.com"]},
    "data": [
        {"resource_type": "AWS::S3::Object"},
        {"resource_type": "AWS::Lambda::Function", "read_write": "write", "resources": [LAMBDA]},
    ],
    "network_activity": [{"event_source": "ec2.amazonaws.com"}],
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with the shipped configs; nothing generated yet."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_events(project: Path, events: dict[str, Any] | None) -> None:
    path = project / "configs" / "example.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["trail"].pop("events", None)
    if events is not None:
        data["trail"]["events"] = events
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def summarize(capsys: pytest.CaptureFixture[str], fmt: str = "json") -> Any:
    capsys.readouterr()
    main(["check", "configs/example.yaml", "--summary", fmt])
    out = capsys.readouterr().out
    return json.loads(out)["modules"][0] if fmt == "json" else out


def trail_events(module: dict[str, Any]) -> tuple[str, str]:
    """(recorded now, no longer recorded) of the trail, each joined into one text."""
    (change,) = [e for e in module["events"] if e["address"] == "aws_cloudtrail.org"]
    return "\n".join(change["recorded"]), "\n".join(change["no_longer_recorded"])


def test_narrowing_management_events_and_adding_data_events_is_said_in_words(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["configs/example.yaml"]) == 0  # no trail.events: every management event
    set_events(project, EVENTS)
    module = summarize(capsys)
    recorded, gone = trail_events(module)
    # what stops: the read half of management events, and KMS's write events
    assert "read management events" in gone
    assert "kms.amazonaws.com" in gone and "now excluded" in gone
    assert all("kms.amazonaws.com" in line for line in gone.splitlines() if "write" in line)
    # what starts: S3 objects of every bucket but the log bucket, one Lambda, EC2's endpoints
    s3 = next(line for line in recorded.splitlines() if "AWS::S3::Object" in line)
    assert "read and write" in s3 and "every bucket" in s3
    assert "except" in s3 and "example-org-cloudtrail-logs" in s3.split("except", 1)[1]
    lam = next(line for line in recorded.splitlines() if "AWS::Lambda::Function" in line)
    assert "write only" in lam and LAMBDA in lam
    assert "network activity events of ec2.amazonaws.com" in recorded
    markdown = summarize(capsys, fmt="markdown")
    assert "**What the trail records**" in markdown
    assert "- `aws_cloudtrail.org` no longer records: read management events" in markdown
    assert "- `aws_cloudtrail.org` now records: " in markdown


def test_widening_back_to_the_default_says_what_is_recorded_again(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_events(project, EVENTS)
    assert main(["configs/example.yaml"]) == 0
    # every management event, and nothing else (omitting trail.events once selectors were
    # applied is refused, OTG081: the provider would send an empty selector list)
    set_events(project, {"management": {"read_write": "all"}})
    recorded, gone = trail_events(summarize(capsys))
    assert "read management events" in recorded
    assert "kms.amazonaws.com" in recorded and "no longer excluded" in recorded
    assert "AWS::S3::Object data events" in gone and "AWS::Lambda::Function" in gone
    assert "network activity events of ec2.amazonaws.com" in gone


def test_a_selector_renamed_records_the_same_events_and_the_summary_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_events(project, EVENTS)
    assert main(["configs/example.yaml"]) == 0
    renamed = {**EVENTS, "data": [{**EVENTS["data"][0], "name": "objects"}, EVENTS["data"][1]]}
    set_events(project, renamed)
    module = summarize(capsys)
    assert module["events"] == []
    markdown = summarize(capsys, fmt="markdown")
    assert "update in place `aws_cloudtrail.org` (advanced_event_selector)" in markdown
    assert "`aws_cloudtrail.org` records the same events as before" in markdown


def test_a_first_generation_says_what_the_trail_records(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded, gone = trail_events(summarize(capsys))
    assert recorded == "every management event, read and write" and gone == ""


def test_the_generate_warning_and_the_summary_word_management_events_alike(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One vocabulary: what the warning says the trail records is what the summary says."""
    set_events(project, {"management": {"read_write": "read"}})
    data = yaml.safe_load((project / "configs" / "example.yaml").read_text(encoding="utf-8"))
    (warning,) = event_warnings(Config.model_validate(data))
    recorded, gone = trail_events(summarize(capsys))
    assert f"records {recorded} only" in warning
    assert gone == ""
