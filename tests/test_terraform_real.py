"""Every shipped module, run by the real Terraform CLI against a seeded moto server.

What users apply is the committed ``output/<config>/``, so that is what runs: ``init`` (offline,
from the provider mirror), ``validate``, ``plan``, ``show -json``, ``apply`` and a second
``plan -detailed-exitcode`` that must find nothing to do (the perpetual-diff check). Each module
has its own moto server process and temporary folder; the modules run concurrently, because
Terraform mostly waits (the provider's own lifecycle-configuration wait is ≈55 s, on AWS too).

Skipped, with the reason, where ``terraform`` or a provider mirror is missing
(``ORGTRAIL_TERRAFORM``, ``ORGTRAIL_TF_MIRROR``; see tests/support/terraform_run.py). Each
adaptation to the mirror's older provider and each moto patch is printed in the summary.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED_CONFIGS
from support.aws_emulator import Emulator
from support.terraform_run import (
    ModuleRun,
    ProviderSchema,
    TfFile,
    Tools,
    provider_schema,
    run_module,
    tools_or_skip,
)

from generator.config.loader import load_config

pytestmark = pytest.mark.terraform

NAMES = [path.stem for path in SHIPPED_CONFIGS]
ADOPTING = [path.stem for path in SHIPPED_CONFIGS if load_config(path).adopt is not None]
GREENFIELD = [name for name in NAMES if name not in ADOPTING]


@dataclass
class Outcome:
    """One module's run, or the command that failed and its output."""

    run: ModuleRun | None
    error: str | None
    patches: list[str]

    def completed(self) -> ModuleRun:
        if self.run is None:
            pytest.fail(self.error or "the module did not run")
        return self.run


def _run(name: str, workdir: Path, tools: Tools, schema: ProviderSchema) -> Outcome:
    config_path = ROOT / "configs" / f"{name}.yaml"
    folder = workdir / name
    folder.mkdir(parents=True)
    emulator = Emulator(config_path, folder / "moto.log")
    try:
        with emulator as seeded:
            environment = seeded.environment(load_config(config_path).trail.home_region)
            run = run_module(
                tools,
                schema,
                ROOT / "output" / name,
                folder,
                environment,
                seeded.url,
                apply=True,
            )
        return Outcome(run, None, emulator.patches)
    except RuntimeError as exc:  # AdaptError, TerraformRunError, a server that did not start
        return Outcome(None, f"{name}: {exc}", emulator.patches)


@pytest.fixture(scope="session")
def terraform_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """All shipped modules, run once per session, concurrently; the summary is printed."""
    tools = tools_or_skip()
    show = _printer(request)
    workdir = tmp_path_factory.mktemp("terraform")
    started = time.monotonic()
    schema = provider_schema(tools, workdir)
    show(
        f"terraform {tools.terraform}, hashicorp/aws {tools.provider_version} from {tools.mirror}"
        f" (schema read in {time.monotonic() - started:.1f}s)"
    )
    names = _selected(request) or NAMES
    jobs = int(os.environ.get("ORGTRAIL_TF_JOBS", len(names)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {name: pool.submit(_run, name, workdir, tools, schema) for name in names}
        outcomes = {name: future.result() for name, future in futures.items()}
    patches = sorted({p for outcome in outcomes.values() for p in outcome.patches})
    show(f"moto patched in each server process: {'; '.join(patches)}")
    for name, outcome in outcomes.items():
        show(outcome.run.report() if outcome.run else f"{name}: FAILED (see the test)")
    show(f"all modules: {time.monotonic() - started:.1f}s wall, {jobs} at a time")
    return outcomes


def _selected(request: pytest.FixtureRequest) -> list[str]:
    """The modules the selected tests ask for (``-k example`` runs that module only)."""
    return sorted(
        {
            str(item.callspec.params["name"])
            for item in request.session.items
            if isinstance(item, pytest.Function)
            and item.module is sys.modules[__name__]
            and hasattr(item, "callspec")
        }
    )


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
    run = terraform_runs[name].completed()
    run.reached("plan")
    plan = run.plan
    assert plan is not None
    assert plan.deletes == ()
    assert plan.replaces == ()


@pytest.mark.parametrize("name", ADOPTING)
def test_adopting_plan_imports_every_adopted_object_and_changes_it_in_place(
    terraform_runs: dict[str, Outcome], name: str
) -> None:
    run = terraform_runs[name].completed()
    run.reached("plan")
    plan = run.plan
    assert plan is not None
    declared = _import_targets(ROOT / "output" / name / "imports.tf")
    # imports of what the mirror's provider lacks were removed (and printed) by the harness
    expected = declared - set(run.removed_imports)
    assert expected, "imports.tf declares no import"
    assert sorted(plan.imports) == sorted(expected)
    assert not expected & set(plan.creates), "an adopted object would be created anew"
    assert expected <= set(plan.updates) | set(plan.unchanged)


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


def _import_targets(path: Path) -> set[str]:
    """The ``to`` address of every ``import`` block in the file."""
    tf = TfFile(path.name, path.read_text(encoding="utf-8"))
    targets = set()
    for item in tf.items:
        if item.name == "import":
            for child in tf.children(item):
                if child.name == "to":
                    targets.add(child.text(tf.text).split("=", 1)[1].strip())
    return targets
