"""One Terraform working folder against one emulator, and one module run start to finish.

:func:`write_override` points every ``provider "aws"`` block of the copy at the emulator and
replaces a remote backend by a local one, so the user's backend and state are never touched;
:class:`Workspace` runs the commands (its state survives :meth:`Workspace.load`, so a test can
plan a changed module against what was applied); :func:`run_module` is ``init``, ``validate``,
``plan``, ``apply`` and a second plan, recording - not raising - the step that failed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.rehearse.adapt import Adaptation, ProviderSchema, adapt_module
from generator.rehearse.hcl_spans import TfFile
from generator.rehearse.plan import Plan, PlanSummary
from generator.rehearse.tools import (
    PROVIDER,
    Result,
    TerraformRunError,
    Tools,
    base_environment,
    terraform,
)

# Services the generated modules call, each pointed at the emulator.
EMULATED_SERVICES = (
    "athena",
    "cloudtrail",
    "cloudwatch",
    "events",
    "glue",
    "iam",
    "kms",
    "lambda",
    "logs",
    "organizations",
    "s3",
    "sns",
    "sqs",
    "sts",
)
OVERRIDE_FILE = "zz_emulator_override.tf"
EMULATOR_RETRIES = 2
STEPS = ("init", "validate", "plan", "apply", "second plan")

# A step's progress: (step, seconds, passed).
Progress = Callable[[str, float, bool], None]


class RehearsalError(RuntimeError):
    """A step a caller relies on did not pass (:meth:`ModuleRun.reached`)."""


# --- the emulator override ---------------------------------------------------------------------


def provider_aliases(module: Path) -> list[str | None]:
    """Every ``provider "aws"`` block's alias (None for the default one)."""
    aliases: list[str | None] = []
    for path in sorted(module.glob("*.tf")):
        tf = TfFile(path.name, path.read_text(encoding="utf-8"))
        for item in tf.items:
            if item.name == "provider" and item.labels == ("aws",):
                match = re.search(r'^\s*alias\s*=\s*"([^"]+)"', item.text(tf.text), re.M)
                aliases.append(match.group(1) if match else None)
    return aliases


def write_override(module: Path, endpoint: str, has_backend: bool) -> list[str]:
    """Point every provider block at the emulator; a local backend replaces a remote one.

    Credential and account-id validation stay on: ``allowed_account_ids`` is really checked
    against the emulator's GetCallerIdentity. ``max_retries`` is small, so that a call moto
    does not implement (HTTP 500) fails within seconds instead of retrying for minutes, but not
    1: under load the provider's client now and then loses a response of the local server
    ("use of closed network connection", seen on DescribeAlarms), which one retry absorbs.
    Returns one line per change, for the test output.
    """
    services = "".join(f"    {name:<13} = {json.dumps(endpoint)}\n" for name in EMULATED_SERVICES)
    blocks, changes = [], []
    for alias in provider_aliases(module):
        alias_line = f'  alias = "{alias}"\n' if alias else ""
        blocks.append(
            'provider "aws" {\n'
            f"{alias_line}"
            "  s3_use_path_style       = true\n"
            "  skip_metadata_api_check = true\n"
            "  skip_region_validation  = true\n"
            f"  max_retries             = {EMULATOR_RETRIES}\n"
            f"  endpoints {{\n{services}  }}\n"
            "}\n"
        )
        changes.append(f"{OVERRIDE_FILE}: provider aws{'.' + alias if alias else ''} -> {endpoint}")
    if has_backend:
        blocks.append('terraform {\n  backend "local" {}\n}\n')
        changes.append(f"{OVERRIDE_FILE}: the module's remote backend replaced by a local one")
    (module / OVERRIDE_FILE).write_text("\n".join(blocks), encoding="utf-8")
    return changes


def has_backend(module: Path) -> bool:
    """Whether a ``terraform`` block of the module declares a backend."""
    for path in module.glob("*.tf"):
        tf = TfFile(path.name, path.read_text(encoding="utf-8"))
        for item in tf.items:
            if (
                item.name == "terraform"
                and item.kind == "block"
                and any(child.name == "backend" for child in tf.children(item))
            ):
                return True
    return False


# --- a working folder, one module at a time -----------------------------------------------------


class Workspace:
    """One Terraform working folder against one emulator; its state survives :meth:`load`.

    So a test can apply a module, load another version of it (a rename, say) and plan that
    against what exists: ``ws.load(a); ws.init(); ws.apply(ws.plan()); ws.load(b);
    ws.plan()``. Every command's time is added up in :attr:`seconds`, its output in :attr:`log`.
    ``schema`` None (a provider from the registry): the module is copied as it is.
    """

    def __init__(
        self,
        tools: Tools,
        schema: ProviderSchema | None,
        folder: Path,
        aws_environment: Mapping[str, str],
        endpoint: str,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.tools, self.schema, self.folder, self.endpoint = tools, schema, folder, endpoint
        folder.mkdir(parents=True, exist_ok=True)
        self.env = {**base_environment(tools, folder, environ), **aws_environment}
        self.seconds: dict[str, float] = {}
        self.log: list[str] = []
        self._plans = 0

    def load(self, module: Path) -> Adaptation:
        """Replace the folder's ``*.tf`` by ``module``'s, adapted; the state stays."""
        for old in self.folder.glob("*.tf"):
            old.unlink()
        started = time.monotonic()
        if self.schema is None:
            adaptation = Adaptation()
            for path in sorted(module.glob("*.tf")):
                shutil.copyfile(path, self.folder / path.name)
        else:
            adaptation = adapt_module(module, self.folder, self.schema)
        adaptation.emulator = write_override(
            self.folder, self.endpoint, has_backend=has_backend(self.folder)
        )
        self._count("adapt", time.monotonic() - started)
        return adaptation

    def run(self, step: str, *args: str, ok: Iterable[int] = (0,)) -> Result:
        """One terraform command in the folder, timed under ``step`` and logged."""
        try:
            result = terraform(self.tools, self.folder, self.env, *args, ok=ok)
        except TerraformRunError as exc:
            self.log.append(f"$ terraform {' '.join(args)}  (failed)\n{exc}")
            raise
        self._count(step, result.seconds)
        self.log.append(
            f"$ terraform {' '.join(args)}  (exit {result.returncode})\n{result.stdout}"
        )
        return result

    def init(self) -> None:
        """``terraform init`` (from the mirror, else the registry)."""
        self.run("init", "init", "-input=false", "-no-color")

    def validate(self) -> None:
        """``terraform validate``."""
        self.run("validate", "validate", "-no-color")

    def provider_version(self) -> str | None:
        """The hashicorp/aws version ``init`` selected (``terraform version -json`` here)."""
        try:
            shown = json.loads(self.run("version", "version", "-json").stdout)
        except (TerraformRunError, ValueError):
            return None
        selected = shown.get("provider_selections", {}).get(PROVIDER)
        return str(selected) if selected else None

    def plan(
        self,
        *,
        targets: Iterable[str] = (),
        step: str = "plan",
        ok: Iterable[int] = (0, 2),
        show_unchanged: bool = True,
    ) -> Plan:
        """``plan -detailed-exitcode -out``, then ``show -json`` of that plan.

        ``targets`` become ``-target`` options (name them in the test: they leave the rest of
        the module out). A plan that fails raises TerraformRunError with Terraform's message.
        ``show_unchanged=False`` skips ``show`` when the plan has no changes (exit 0): one
        provider start less; the summary is then empty, as the plan is.
        """
        self._plans += 1
        out = f"plan{self._plans}.tfplan"
        planned = self.run(
            step,
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-out={out}",
            *(f"-target={t}" for t in targets),
            ok=ok,
        )
        if planned.returncode == 0 and not show_unchanged:
            return Plan(0, PlanSummary.of({}), {}, planned.stdout)
        raw = json.loads(self.run("show", "show", "-json", out).stdout)
        return Plan(planned.returncode, PlanSummary.of(raw), raw, planned.stdout)

    def apply(self, plan: Plan) -> None:
        """Apply a saved plan (the last one made: Terraform refuses a stale one)."""
        self.run(
            "apply",
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            f"plan{self._plans}.tfplan",
        )

    def _count(self, step: str, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds


# --- one module, start to finish ---------------------------------------------------------------


@dataclass
class ModuleRun:
    """What running one module showed: the adaptation, the plans, timings, the log."""

    name: str
    changes: list[str] = field(default_factory=list)
    removed_imports: list[str] = field(default_factory=list)
    plan: PlanSummary | None = None
    plan_json: Mapping[str, Any] | None = None  # ``show -json`` of the first plan
    plan_exit: int | None = None
    applied: bool = False
    second_plan_exit: int | None = None
    second_plan: PlanSummary | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    failed_step: str | None = None  # the step that raised ``error``
    error: str | None = None  # the command, its exit code and its whole output
    terraform_error: str | None = None  # Terraform's own error text, for the report
    provider_version: str | None = None  # what init selected (from the registry: after init)

    def reached(self, step: str) -> None:
        """Raise RehearsalError unless every step up to ``step`` succeeded."""
        if self.failed_step is not None and STEPS.index(self.failed_step) <= STEPS.index(step):
            raise RehearsalError(f"{self.name}: {self.failed_step} failed:\n{self.error}")

    @property
    def total_seconds(self) -> float:
        """Terraform's time in all (the adaptation included)."""
        return sum(self.seconds.values())

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ModuleRun:
        """The run :func:`dataclasses.asdict` wrote (a rehearsal's JSON record)."""
        fields = dict(record)
        for name in ("plan", "second_plan"):
            if fields.get(name) is not None:
                fields[name] = PlanSummary.from_record(fields[name])
        return cls(**fields)


def run_module(
    tools: Tools,
    schema: ProviderSchema | None,
    module: Path,
    workdir: Path,
    aws_environment: Mapping[str, str],
    endpoint: str,
    *,
    apply: bool,
    name: str | None = None,
    targets: Iterable[str] = (),
    environ: Mapping[str, str] = os.environ,
    progress: Progress | None = None,
) -> ModuleRun:
    """init, validate, plan (saved), show -json; with ``apply``, apply it and plan again.

    The working folder is ``workdir / name`` (``name`` defaults to the module folder's). A
    failing command stops the run and is recorded (:attr:`ModuleRun.failed_step`, ``error``,
    ``terraform_error``): that is a real failure of the module, since the adaptation to the
    mirror's provider has already been made and recorded; callers check the steps they need
    with :meth:`ModuleRun.reached`. ``progress`` hears of each step as it ends.
    """
    run = ModuleRun(name or module.name)
    workspace = Workspace(tools, schema, workdir / run.name, aws_environment, endpoint, environ)
    run.seconds, run.log = workspace.seconds, workspace.log
    adaptation = workspace.load(module)
    run.changes, run.removed_imports = adaptation.changes, adaptation.removed_imports
    run.provider_version = tools.provider_version

    def step(label: str, action: Callable[[], Any]) -> Any:
        run.failed_step = label
        started = time.monotonic()
        try:
            done = action()
        except TerraformRunError:
            if progress is not None:
                progress(label, time.monotonic() - started, False)
            raise
        if progress is not None:
            progress(label, time.monotonic() - started, True)
        return done

    try:
        step("init", workspace.init)
        if run.provider_version is None:  # from the registry: what init selected
            run.provider_version = workspace.provider_version()
        step("validate", workspace.validate)
        first: Plan = step("plan", lambda: workspace.plan(targets=targets))
        run.plan, run.plan_json, run.plan_exit = first.summary, first.raw, first.exit_code
        if apply:
            step("apply", lambda: workspace.apply(first))
            run.applied = True
            second: Plan = step(
                "second plan",
                lambda: workspace.plan(targets=targets, step="second plan", show_unchanged=False),
            )
            run.second_plan_exit, run.second_plan = second.exit_code, second.summary
        run.failed_step = None
    except TerraformRunError as exc:
        run.error, run.terraform_error = str(exc), exc.output
    return run
