"""``orgtrail-gen review`` on real plans: Terraform's own plans of changes to the applied example.

The plans come from support/plan_scenarios.py, run inside the example's real-Terraform run (the
same moto server and state, after its apply; support/terraform_suite.py). Each scenario is an
edit a user makes to configs/example.yaml, or a change made by hand in the emulator; ``review``
must refuse or report each exactly, and pass the plan that only adds. Skipped, with the reason,
where terraform or a provider mirror is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import plan_scenarios, terraform_suite
from support.terraform_suite import tools_or_skip

from generator.cli import main
from generator.review.plan import parse
from generator.review.plan_rules import Finding, findings
from generator.review.plan_summary import summarize_plan
from generator.review.summary import module_json

pytestmark = pytest.mark.terraform
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plans(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every scenario's ``show -json`` plan, by name."""
    tools_or_skip()
    runs = terraform_suite.start(request.session)
    assert runs is not None
    outcome = runs.outcomes()["example"]
    outcome.completed().reached("second plan")
    if outcome.followup is None:
        pytest.fail(f"the plan scenarios did not run: {outcome.followup_error}")
    return outcome.followup


def _review(plans: dict[str, Any], name: str, **allowed: list[str]) -> list[Finding]:
    return findings(parse(json.dumps(plans[name]), f"{name}.json"), **allowed)


def _refused(found: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.rule, f.address, f.attribute) for f in found if f.allowed_by is None]


def test_a_trail_rename_is_refused_unless_allowed(plans: dict[str, Any]) -> None:
    found = _review(plans, "rename")
    assert _refused(found) == [("OTG040", "aws_cloudtrail.org", "name")]
    (trail,) = found
    assert (trail.before, trail.after) == ("org-trail", "org-trail-renamed")
    assert "REPLACES" in trail.problem and "no account of the organization" in trail.problem
    allowed = _review(plans, "rename", allow_replace=["aws_cloudtrail.org"])
    assert _refused(allowed) == []
    assert allowed[0].allowed_by == "--allow-replace aws_cloudtrail.org"


def test_a_retention_cut_is_refused(plans: dict[str, Any]) -> None:
    found = _review(plans, "retention")
    assert _refused(found) == [
        ("OTG042", "aws_cloudwatch_log_group.cloudtrail", "retention_in_days")
    ]
    assert (found[0].before, found[0].after) == ("365 days", "90 days")


def test_management_events_turned_off_are_refused(plans: dict[str, Any]) -> None:
    found = _review(plans, "management-off")
    assert _refused(found) == [("OTG090", "aws_cloudtrail.org", "advanced_event_selector")]
    assert "every management event, read and write" in found[0].problem


def test_a_removed_metric_filter_and_its_alarm_are_refused(plans: dict[str, Any]) -> None:
    assert _refused(_review(plans, "filter-removed")) == [
        ("OTG091", "aws_cloudwatch_log_metric_filter.organizations_changes", ""),
        ("OTG091", "aws_cloudwatch_metric_alarm.organizations_changes", ""),
    ]


def test_a_plan_that_only_adds_a_reader_passes(plans: dict[str, Any]) -> None:
    plan = parse(json.dumps(plans["reader-added"]), "reader-added.json")
    assert findings(plan) == []
    summary = module_json(summarize_plan(plan, []))
    texts = [s["text"] for p in summary["policies"] for s in p["added"]]
    assert texts and all("role/auditor in 111111111111" in text for text in texts)
    for policy in summary["policies"]:  # a statement may change (the key's readers): same Sid
        assert {s["sid"] for s in policy["removed"]} <= {s["sid"] for s in policy["added"]}


def test_a_reader_removed_is_reported_not_refused(plans: dict[str, Any]) -> None:
    plan = parse(json.dumps(plans["reader-removed"]), "reader-removed.json")
    assert findings(plan) == []
    summary = module_json(summarize_plan(plan, []))
    bucket = next(p for p in summary["policies"] if p["address"] == "aws_s3_bucket_policy.logs")
    assert [s["text"] for s in bucket["removed"]] == [
        "no longer allows role/auditor in 111111111111 to list and read (s3:ListBucket, "
        "s3:GetObject) example-org-cloudtrail-logs/*, example-org-cloudtrail-logs"
    ]


def test_changes_made_outside_terraform_are_reported(plans: dict[str, Any]) -> None:
    plan = parse(json.dumps(plans["changed-outside"]), "changed-outside.json")
    assert findings(plan) == []  # the plan lengthens retention again, removes the statement
    outside = [
        (a.address, a.text)
        for a in summarize_plan(plan, []).attention
        if a.kind == "changed-outside"
    ]
    assert [address for address, _ in outside] == [
        "aws_cloudwatch_log_group.cloudtrail",
        "aws_s3_bucket_policy.logs",
    ]
    assert "retention_in_days was changed outside Terraform, from 365 to 30" in outside[0][1]
    assert "allows account 999999999999 to read (s3:GetObject)" in outside[1][1]


def test_the_command_exits_by_its_findings(
    plans: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("rename", "reader-added"):
        (tmp_path / f"{name}.json").write_text(json.dumps(plans[name]), encoding="utf-8")
    assert main(["review", str(tmp_path / "rename.json")]) == 1
    assert (
        "OTG040 aws_cloudtrail.org: name: org-trail -> org-trail-renamed" in capsys.readouterr().out
    )
    assert main(["review", str(tmp_path / "reader-added.json"), "--summary", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["modules"][0]["basis"] == "plan"


@pytest.mark.parametrize(
    ("scenario", "rule", "address"),
    [
        ("rename", "OTG040", "aws_cloudtrail.org"),
        ("retention", "OTG042", "aws_cloudwatch_log_group.cloudtrail"),
    ],
)
def test_review_and_the_generate_guards_agree(
    plans: dict[str, Any],
    scenario: str,
    rule: str,
    address: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Where both can see a change, the plan's reviewer and the generator's guard name it alike.

    The guard compares the regenerated module with the applied one (output/example copied in as
    the module in the output folder); review reads Terraform's plan of the same change.
    """
    module = plan_scenarios.generate(scenario, tmp_path)  # allowed: writes the module
    example = (ROOT / "output" / "example").iterdir()
    for path in example:  # the applied module, as the output folder holds it
        (module / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "configs" / f"{scenario}.yaml"
    assert main(["check", str(config), "--output-dir", str(tmp_path / "output")]) == 1
    guard = capsys.readouterr().err
    assert f"{rule} " in guard and address in guard
    assert [(f.rule, f.address) for f in _review(plans, scenario)] == [(rule, address)]
