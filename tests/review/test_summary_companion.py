"""`check --summary` beside an owner's trail (configs/control-tower.yaml, owner_trail).

Driven as a user would, as in test_summary.py: a scratch checkout, generate, edit the YAML, run
`check --summary`. The reviewer must read that the module sits beside Control Tower's trail and
manages nothing of it, what its own trail records, what the owner must add before apply, and
what a change that adds, drops or moves owner_trail does.
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

TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:210987654321:trail/aws-controltower-BaselineCloudTrail"
GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"
BUCKET = "aws-controltower-logs-987654321098-eu-west-1"
KEY = "arn:aws:kms:eu-west-1:210987654321:key/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with the shipped configs; nothing generated yet."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def generate(name: str) -> None:
    assert main([f"configs/{name}.yaml"]) == 0


def load(project: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (project / "configs" / f"{name}.yaml").read_text(encoding="utf-8")
    )
    return data


def save(project: Path, name: str, data: dict[str, Any]) -> None:
    path = project / "configs" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def summary(capsys: pytest.CaptureFixture[str], name: str, fmt: str = "json", *flags: str) -> Any:
    """Run check --summary; the parsed JSON module, or the Markdown text."""
    capsys.readouterr()
    main(["check", f"configs/{name}.yaml", "--summary", fmt, *flags])
    out = capsys.readouterr().out
    if fmt == "json":
        (module,) = json.loads(out)["modules"]
        return module
    return out


def base_branch(project: Path, name: str) -> None:
    """What CI does: the base branch's output/ checked out beside, output/ regenerated."""
    (project / "base").mkdir(exist_ok=True)
    shutil.move(project / "output" / name, project / "base" / name)


def against_base(capsys: pytest.CaptureFixture[str], name: str) -> Any:
    generate(name)
    return summary(capsys, name, "json", "--summary-base", "base")


def owner_items(module: dict[str, Any]) -> list[str]:
    return [a["text"] for a in module["attention"] if a["kind"] == "owner-statements"]


def test_a_first_generation_says_whose_trail_it_sits_beside_and_what_the_owner_must_add(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = summary(capsys, "control-tower")
    assert module["first_generation"]
    beside, own, filters = module["companion"]
    assert beside == (
        f"This module sits beside AWS Control Tower's trail {TRAIL_ARN}, which records the "
        "organization's management events, and manages nothing of it: not the trail, its bucket "
        f"{BUCKET}, the bucket's policy, its key {KEY}, nor its log group {GROUP} (rule OTG110)."
    )
    assert own == (
        "Its own trail `aws_cloudtrail.org` (org-data-events) records no management events, "
        "only: AWS::S3::Object data events (write only) of every bucket except bucket "
        f"{BUCKET}."
    )
    assert filters.startswith(
        f"Its 15 metric filters and their alarms watch AWS Control Tower's log group {GROUP}"
    )
    (item,) = [a for a in module["attention"] if a["kind"] == "owner-statements"]
    assert item["address"] == "owner_trail"
    text = item["text"]
    assert text.startswith("AWS Control Tower owns the trail's bucket and key; before "
                           "`terraform apply`, its owner must add to the policy of bucket "
                           f"{BUCKET} the statements printed in s3.tf (Sids "
                           "CloudTrailOrgDataEventsAclCheck, ")  # fmt: skip
    assert f"to the policy of key {KEY} the statements printed in kms.tf (Sids " in text
    assert "AllowLogReadersDecrypt" in text
    assert (
        "CreateTrail fails (InsufficientS3BucketPolicyException or "
        "InsufficientEncryptionPolicyException) and Athena's readers cannot decrypt the logs"
    ) in text
    markdown = summary(capsys, "control-tower", "markdown")
    assert "**Beside another organization trail** (`owner_trail`)" in markdown
    assert markdown.index("**Beside another organization trail**") < markdown.index(
        "**Needs attention**"
    )


def test_the_statements_are_asked_again_only_when_what_they_name_changes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("control-tower")
    module = summary(capsys, "control-tower")
    assert module["unchanged"] and owner_items(module) == []
    data = load(project, "control-tower")
    data["monitoring"]["notifications"]["topic"]["subscriptions"].append(
        {"protocol": "email", "endpoint": "second@example.com"}
    )
    save(project, "control-tower", data)
    module = summary(capsys, "control-tower")
    assert not module["unchanged"] and owner_items(module) == []  # the trail is the same
    generate("control-tower")
    base_branch(project, "control-tower")
    data["trail"]["name"] = "org-data-events-2"  # aws:SourceArn of every statement changes
    save(project, "control-tower", data)
    (text,) = owner_items(against_base(capsys, "control-tower"))
    assert "(Sids CloudTrailOrgDataEvents2AclCheck, " in text


def test_moving_to_the_owners_trail_says_what_the_compared_module_did_itself(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("example")
    base_branch(project, "example")
    shutil.copy(project / "configs" / "control-tower.yaml", project / "configs" / "example.yaml")
    module = against_base(capsys, "example")
    assert module["companion"][-1] == (
        "owner_trail is new: the compared module's own organization trail recorded the "
        "management events, delivered them to its own log group and kept its own bucket; this "
        "one leaves that to AWS Control Tower's trail, and what it stops managing is listed below."
    )
    assert owner_items(module)  # the owner has never been asked


def test_dropping_owner_trail_says_the_management_events_are_paid_twice(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("control-tower")
    base_branch(project, "control-tower")
    shutil.copy(project / "configs" / "example.yaml", project / "configs" / "control-tower.yaml")
    module = against_base(capsys, "control-tower")
    assert module["companion"] == [
        "owner_trail is gone: the compared module sat beside another organization trail (its "
        f"metric filters and saved queries watched {GROUP}, a log group it did not manage); this "
        "one runs its own organization trail, and it records management events: while that other "
        "trail records them too, every one is paid a second time (`orgtrail-gen cost` prices it "
        "with cost.management_event_copies_before)."
    ]
    assert owner_items(module) == []


def test_a_new_owner_log_group_moves_the_filters(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate("control-tower")
    data = load(project, "control-tower")
    new_group = "aws-controltower/CloudTrailLogs-new-abc"
    data["owner_trail"]["log_group_arn"] = (
        f"arn:aws:logs:eu-west-1:210987654321:log-group:{new_group}:*"
    )
    save(project, "control-tower", data)
    module = summary(capsys, "control-tower")
    assert module["companion"][-1] == (
        f"owner_trail.log_group_arn changed: the metric filters and saved queries move from "
        f"{GROUP} to AWS Control Tower's log group {new_group} (a filter's log group forces a new "
        "filter: each is replaced; a saved query changes in place)."
    )
    replaced = {r["address"] for r in module["resources"]["replaced"]}
    assert "aws_cloudwatch_log_metric_filter.root_account_usage" in replaced
    assert owner_items(module) == []  # the trail's bucket, prefix, key and name are the same


def test_a_module_beside_no_owner_has_no_companion_lines(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert summary(capsys, "example")["companion"] == []
