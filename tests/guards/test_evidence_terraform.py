"""OTG040's verdict against Terraform's own: what a regeneration destroys, planned for real.

configs/example.yaml is generated and applied once to a seeded moto server. Each change below is
then rendered by orgtrail-gen and planned by the real Terraform CLI over a copy of that state.
What Terraform would destroy (replace or delete) must be exactly what the evidence rule computes
(``evidence.replacements``: OTG040 refuses the trail, bucket, log group or key among them by
name and lists the rest with their cost), and a change OTG040 lets through destroys nothing.
The verdict plans run with ``prevent_destroy`` taken out of the copy, so that Terraform shows
everything it would destroy instead of stopping at the first guard. With the guards kept, the
way OTG040 prints - ``terraform state rm`` of the old resource - must make the plan go through
and destroy none of what holds logs (issue 14, point 3).

Skipped, with the reason, where ``terraform`` or a provider mirror is missing (see
generator/rehearse/tools.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from support.terraform_suite import tools_or_skip

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight import Finding
from generator.cli import main
from generator.guards.evidence import replacements
from generator.output import generated_files
from generator.pipeline import check_module, render_module
from generator.rehearse.adapt import ProviderSchema, provider_schema
from generator.rehearse.emulator import Emulator
from generator.rehearse.plan import PlanSummary
from generator.rehearse.seed import Seeded
from generator.rehearse.tools import TerraformRunError, Tools
from generator.rehearse.workspace import Workspace
from generator.sections.registry import load_config

pytestmark = pytest.mark.terraform

EXAMPLE = ROOT / "configs" / "example.yaml"
REGION = load_config(EXAMPLE).trail.home_region
GUARD = re.compile(r"\n\s*lifecycle \{\s*prevent_destroy = true\s*\}\n")
FORGET = re.compile(r"`terraform state rm ([^`]+)`")


@dataclass
class Applied:
    """The applied example: its output folder, its state, and how to reach the emulator."""

    tools: Tools
    schema: ProviderSchema
    seeded: Seeded
    output: Path  # output/example as generated
    state: Path  # terraform.tfstate after the apply
    workdir: Path

    def workspace(self, name: str) -> Workspace:
        """A new working folder holding a copy of the applied state."""
        folder = self.workdir / name / "run"
        folder.mkdir(parents=True)
        shutil.copy(self.state, folder / "terraform.tfstate")
        return Workspace(
            self.tools, self.schema, folder, self.seeded.environment(REGION), self.seeded.url
        )


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    """configs/example.yaml generated, applied once, and checked to plan no change after."""
    tools = tools_or_skip()
    workdir = tmp_path_factory.mktemp("evidence-terraform")
    root = workdir / "output"
    assert main([str(EXAMPLE), "--output-dir", str(root)]) == 0
    schema = provider_schema(tools, workdir)
    with Emulator(EXAMPLE, workdir / "moto.log") as seeded:
        folder = workdir / "applied"
        workspace = Workspace(tools, schema, folder, seeded.environment(REGION), seeded.url)
        workspace.load(root / "example")
        workspace.init()
        workspace.apply(workspace.plan())
        assert workspace.plan(show_unchanged=False).exit_code == 0, "applied: nothing to do"
        yield Applied(
            tools, schema, seeded, root / "example", folder / "terraform.tfstate", workdir
        )


@dataclass(frozen=True)
class Verdicts:
    """What orgtrail-gen says about a change, and the module it renders for it."""

    findings: list[Finding]
    expected: set[str]  # every address the evidence rule says the change destroys
    module: Path


def _verdicts(applied: Applied, edit: Callable[[dict[str, Any]], None], name: str) -> Verdicts:
    """OTG040 over the change (compared with the applied output), and the module it renders."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    edit(data)
    path = applied.workdir / name / "configs" / "example.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = load_config(path)
    files = render_module(config, "configs/example.yaml")
    previous = ParsedModule.parse(generated_files(applied.output))
    parsed, findings = check_module(config, files, previous)
    module = applied.workdir / name / "module"
    module.mkdir()
    for file, text in files.items():
        (module / file).write_text(text, encoding="utf-8")
    expected = set(replacements(previous, parsed))
    return Verdicts([f for f in findings if f.rule == "OTG040"], expected, module)


def _plan(
    applied: Applied, module: Path, name: str, *, keep_guards: bool, forget: str = ""
) -> PlanSummary:
    """Plan ``module`` over a copy of the applied state; ``forget``: addresses to state rm first."""
    workspace = applied.workspace(name)
    workspace.load(module)
    if not keep_guards:
        for tf in workspace.folder.glob("*.tf"):
            tf.write_text(GUARD.sub("\n", tf.read_text(encoding="utf-8")), encoding="utf-8")
    workspace.init()
    if forget:
        workspace.run("state rm", "state", "rm", *forget.split())
    return workspace.plan().summary


def _destroyed(plan: PlanSummary) -> set[str]:
    return set(plan.replaces) | set(plan.deletes)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        section, key = path.split(".")
        data[section][key] = value

    return edit


def _no_key(data: dict[str, Any]) -> None:
    data["kms"] = {"enabled": False}


def _allowed(data: dict[str, Any]) -> None:
    data["cloudwatch_logs"]["retention_in_days"] = 731
    data["trail"]["s3_key_prefix"] = "ct"


# (id, config change, what OTG040 refuses)
REFUSED = [
    ("trail", _set("trail.name", "org-trail-v2"), "aws_cloudtrail.org"),
    ("bucket", _set("bucket.name", "another-org-cloudtrail-logs"), "aws_s3_bucket.logs"),
    ("log-group", _set("cloudwatch_logs.log_group_name", "/org/trail"), "aws_cloudwatch_log_group.cloudtrail"),
    ("key", _no_key, "aws_kms_key.cloudtrail"),
]  # fmt: skip
GUARDED = ["bucket", "log-group", "key"]  # what OTG040 answers with `terraform state rm`; key last

Outcome = PlanSummary | TerraformRunError


@dataclass(frozen=True)
class Planned:
    """Every change's verdicts, and every plan made of it (by job name), made concurrently."""

    verdicts: dict[str, Verdicts]
    forget: dict[str, str]  # the addresses OTG040's fix tells to forget, "" if it names none
    plans: dict[str, Outcome]


@pytest.fixture(scope="module")
def planned(applied: Applied) -> Planned:
    """Every plan the tests judge, made once (each over its own copy of the applied state)."""
    verdicts = {case: _verdicts(applied, edit, case) for case, edit, _ in REFUSED}
    verdicts["allowed"] = _verdicts(applied, _allowed, "allowed")
    forget = {}
    for case in GUARDED:
        match = next((FORGET.search(f.fix) for f in verdicts[case].findings), None)
        forget[case] = match[1] if match else ""
    jobs: dict[str, tuple[Path, bool, str]] = {
        **{f"verdict-{case}": (verdicts[case].module, False, "") for case, _, _ in REFUSED},
        # The key's block is gone, guard and all: its verdict plan is already the guarded one.
        **{f"guarded-{case}": (verdicts[case].module, True, "") for case in GUARDED[:-1]},
        **{f"forget-{case}": (verdicts[case].module, True, forget[case]) for case in GUARDED},
        "allowed": (verdicts["allowed"].module, True, ""),
    }

    def job(name: str) -> Outcome:
        module, keep_guards, addresses = jobs[name]
        try:
            return _plan(applied, module, name, keep_guards=keep_guards, forget=addresses)
        except TerraformRunError as exc:
            return exc

    # One at a time unless ORGTRAIL_TF_JOBS says otherwise: on 2 cores the provider's start is
    # CPU-bound, so concurrent plans gained nothing measurable against one moto server.
    with ThreadPoolExecutor(max_workers=int(os.environ.get("ORGTRAIL_TF_JOBS", 1))) as pool:
        plans = dict(zip(jobs, pool.map(job, jobs), strict=True))
    return Planned(verdicts, forget, plans)


def _summary(planned: Planned, job: str) -> PlanSummary:
    outcome = planned.plans[job]
    if isinstance(outcome, TerraformRunError):
        pytest.fail(f"{job}: {str(outcome)[-4000:]}")
    return outcome


@pytest.mark.parametrize(
    ("case", "address"), [(c, a) for c, _, a in REFUSED], ids=[c for c, _, _ in REFUSED]
)
def test_terraform_destroys_exactly_what_otg040_computes(
    planned: Planned, case: str, address: str
) -> None:
    verdicts = planned.verdicts[case]
    assert [f.address for f in verdicts.findings] == [address]
    plan = _summary(planned, f"verdict-{case}")
    assert _destroyed(plan) == verdicts.expected, plan.counts()
    assert address in _destroyed(plan)


@pytest.mark.parametrize("case", GUARDED)
def test_the_printed_way_through_plans_and_keeps_what_holds_logs(
    planned: Planned, case: str
) -> None:
    """prevent_destroy kept; `terraform state rm` as OTG040 prints it; then the plan works."""
    assert planned.forget[case], planned.verdicts[case].findings
    forgotten = set(planned.forget[case].split())
    guarded = planned.plans[f"guarded-{case}" if case != "key" else "verdict-key"]
    if case == "key":  # a removed block carries no guard: Terraform would destroy the key
        assert isinstance(guarded, PlanSummary), str(guarded)[-4000:]
        assert "aws_kms_key.cloudtrail" in guarded.deletes
    else:
        assert isinstance(guarded, TerraformRunError), "the guard stops the plan"
        assert "Instance cannot be destroyed" in str(guarded), str(guarded)[-4000:]
    plan = _summary(planned, f"forget-{case}")
    assert not _destroyed(plan) & forgotten, plan.counts()
    assert _destroyed(plan) == planned.verdicts[case].expected - forgotten, plan.counts()


def test_a_change_otg040_lets_through_destroys_nothing(planned: Planned) -> None:
    verdicts = planned.verdicts["allowed"]
    assert verdicts.findings == [] and verdicts.expected == set()
    plan = _summary(planned, "allowed")
    assert _destroyed(plan) == set(), plan.counts()
    assert "aws_cloudtrail.org" in plan.updates
