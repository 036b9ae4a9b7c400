"""Every shipped module, rehearsed by ``orgtrail-gen rehearse``'s own run against moto.

What users apply is the committed ``output/<config>/``, so that is what runs: ``init`` (offline,
from the provider mirror), ``validate``, ``plan``, ``show -json``, ``apply`` and a second
``plan -detailed-exitcode`` that must find nothing to do (the perpetual-diff check). Each run is
``generator.rehearse.rehearsal.rehearse_module``, the command's per-module function, and the
first plan is judged by the command's own rule (``generator.rehearse.plan.plan_problems``). Each
module has its own moto server process and scratch folder; the modules run concurrently and start
at the end of collection, while the rest of the suite runs (support/terraform_suite.py), because
Terraform mostly waits (the provider's own lifecycle-configuration wait is ≈55 s, on AWS too).

Skipped, with the reason, where ``terraform`` or a provider mirror is missing
(``ORGTRAIL_TERRAFORM``, ``ORGTRAIL_TF_MIRROR``; see generator/rehearse/tools.py). The summary is
the table ``rehearse`` prints: each module's plan counts, apply, second plan, time and every
adaptation to the mirror's older provider, then the versions the runs used (Terraform, the
provider, the emulator's moto and botocore) and each moto patch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import pytest
from conftest import ROOT, SHIPPED_CONFIGS
from support import terraform_suite
from support.terraform_suite import Outcome, tools_or_skip

from generator.rehearse.plan import PlanSummary, import_targets, plan_problems
from generator.rehearse.rehearsal import report
from generator.rehearse.seed import live_bucket_policy
from generator.sections.registry import load_config

pytestmark = pytest.mark.terraform

NAMES = [path.stem for path in SHIPPED_CONFIGS]
ADOPTING = [path.stem for path in SHIPPED_CONFIGS if load_config(path).adopt is not None]


@pytest.fixture(scope="session")
def terraform_runs(request: pytest.FixtureRequest) -> dict[str, Outcome]:
    """The selected modules' runs (begun at collection, see support/terraform_suite.py)."""
    tools = tools_or_skip()
    runs = terraform_suite.start(request.session)
    assert runs is not None
    outcomes = runs.outcomes()
    show = _printer(request)
    show(report(tools, list(outcomes.values())))
    show(
        f"all modules: {runs.wall:.1f}s wall from the end of collection, {runs.jobs} at a time"
        + (f"; folders kept in {runs.workdir}" if runs.workdir.exists() else "")
    )
    return outcomes


def _printer(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Write lines to the terminal even under output capture (the figures are the point)."""
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")

    def show(message: str) -> None:
        if reporter is None or capture is None:
            print(f"terraform: {message}", file=sys.stderr)
            return
        with capture.global_and_fixture_disabled():
            for line in message.splitlines():
                reporter.write_line(f"terraform: {line}")

    return show


@pytest.mark.parametrize("name", NAMES)
def test_module_validates(terraform_runs: dict[str, Outcome], name: str) -> None:
    terraform_runs[name].completed().reached("validate")


@pytest.mark.parametrize("name", NAMES)
def test_plan_destroys_and_replaces_nothing(terraform_runs: dict[str, Outcome], name: str) -> None:
    """The command's verdict on the plan (adopting modules: every import, in place only)."""
    outcome = terraform_runs[name]
    outcome.completed().reached("plan")
    assert outcome.problems == []


@pytest.mark.parametrize("name", ADOPTING)
def test_adopting_plan_imports_every_adopted_object_and_changes_it_in_place(
    terraform_runs: dict[str, Outcome], name: str
) -> None:
    """The plan really holds imports (the verdict above is not empty-handed), and the rule
    refuses what it must: a plan that leaves out one import or creates an adopted object."""
    run = terraform_runs[name].completed()
    run.reached("plan")
    plan = run.plan
    assert plan is not None
    module = ROOT / "output" / name
    # imports of what the mirror's provider lacks were removed (and printed) by the adaptation
    expected = import_targets(module) - set(run.removed_imports)
    assert expected, "imports.tf declares no import"
    assert sorted(plan.imports) == sorted(expected)
    assert plan_problems(plan, module, adopting=True, removed_imports=run.removed_imports) == []
    dropped = sorted(expected)[0]
    without = PlanSummary(
        (*plan.creates, dropped),
        tuple(a for a in plan.updates if a != dropped),
        plan.deletes,
        plan.replaces,
        tuple(a for a in plan.imports if a != dropped),
        tuple(a for a in plan.unchanged if a != dropped),
    )
    refused = plan_problems(without, module, adopting=True, removed_imports=run.removed_imports)
    assert refused == [
        f"not imported: {dropped}",
        f"an adopted object would be created anew: {dropped}",
    ]


@pytest.mark.parametrize("name", ADOPTING)
def test_adopting_plan_keeps_every_statement_the_console_wrote_in_the_bucket_policy(
    terraform_runs: dict[str, Outcome], name: str
) -> None:
    """The seeded bucket carries the console's policy (UUID Sids, ``AWS:SourceArn``); the
    planned policy must still hold each of those statements, or a trail loses its grant."""
    config = load_config(ROOT / "configs" / f"{name}.yaml")
    assert config.adopt is not None and config.adopt.bucket is not None
    assert config.adopt.trail is not None
    if "policy" not in config.adopt.bucket.configurations:
        pytest.skip(f"{name} adopts no bucket policy")
    run = terraform_runs[name].completed()
    run.reached("plan")
    assert run.plan_json is not None
    planned = json.loads(PlanSummary.after(run.plan_json, "aws_s3_bucket_policy.logs")["policy"])
    console = live_bucket_policy(config)
    for statement in console["Statement"]:
        assert statement in planned["Statement"], statement["Sid"]


@pytest.mark.parametrize("name", NAMES)
def test_after_apply_a_second_plan_finds_nothing_to_change(
    terraform_runs: dict[str, Outcome], name: str
) -> None:
    run = terraform_runs[name].completed()
    run.reached("second plan")
    assert run.applied
    assert run.second_plan_exit == 0, (
        f"perpetual diff: {run.second_plan.counts() if run.second_plan else ''}\n{run.second_plan}"
    )
