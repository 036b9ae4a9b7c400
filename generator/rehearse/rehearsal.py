"""One module rehearsed start to finish, and the report of several.

Why one function for the command and the tests: :func:`rehearse_module` is what ``orgtrail-gen
rehearse`` runs per module and what the test suite runs for every shipped module
(tests/support/terraform_suite.py), so a verdict of the suite is a verdict of the command. It
copies the module's ``*.tf`` into a scratch folder (the user's folder is only read), starts a
moto server seeded from the config, runs the Terraform steps against it, judges the first plan
(:func:`generator.rehearse.plan.plan_problems`) and requires the second plan to be empty.
:func:`report` renders the one table the command ends with.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.rehearse.adapt import ProviderSchema, provider_schema
from generator.rehearse.emulator import Emulator, EmulatorError
from generator.rehearse.hcl_spans import AdaptError
from generator.rehearse.plan import brief, plan_problems
from generator.rehearse.tools import TerraformRunError, Tools, terraform_version
from generator.rehearse.workspace import ModuleRun, RehearsalError, run_module
from generator.sections.registry import load_config

RECORD = "rehearsal.json"  # each module's outcome, in its scratch folder
WORKSPACE = "terraform"  # the Terraform working folder inside a module's scratch folder

# A module's progress: (module, step, seconds, passed).
Progress = Callable[[str, str, float, bool], None]
# More work against the applied module's emulator and state (the test suite's plan scenarios):
# (tools, schema, working folder, AWS environment, endpoint, environ) -> anything.
Followup = Callable[
    [Tools, ProviderSchema | None, Path, Mapping[str, str], str, Mapping[str, str]], Any
]
# Work against the seeded emulator before the module's first plan (what a test compares the
# applied emulator with): (AWS environment, endpoint, environ) -> anything.
Prelude = Callable[[Mapping[str, str], str, Mapping[str, str]], Any]


@dataclass
class Rehearsal:
    """One module's rehearsal: its run, or why it could not run, and the plan's verdict."""

    name: str
    config: str
    module: str  # the folder rehearsed (the user's; only read)
    workdir: str  # this module's scratch folder
    run: ModuleRun | None = None
    error: str | None = None  # why it could not run: an emulator, a module not adaptable
    problems: list[str] = field(default_factory=list)  # what is wrong with the first plan
    patches: list[str] = field(default_factory=list)  # the moto patches of its server
    versions: dict[str, str] = field(default_factory=dict)  # moto, botocore of its server
    seconds: float = 0.0  # wall time, the emulator's start included
    followup: Any = None  # what a Followup returned (not recorded)
    followup_error: str | None = None
    prelude: Any = None  # what a Prelude returned (not recorded)
    prelude_error: str | None = None

    @property
    def passed(self) -> bool:
        """Every step passed, the plan destroys nothing, and the second plan is empty."""
        return (
            self.run is not None
            and self.run.failed_step is None
            and not self.problems
            and self.run.second_plan_exit == 0
        )

    def completed(self) -> ModuleRun:
        """The run, or RehearsalError with the reason it is missing."""
        if self.run is None:
            raise RehearsalError(self.error or f"{self.name}: the module did not run")
        return self.run

    def failure(self) -> str | None:
        """What failed, with Terraform's own error text; None when the rehearsal passed."""
        run = self.run
        if run is None:
            return f"{self.name}: could not run: {self.error}"
        if run.failed_step is not None:
            text = run.terraform_error or run.error or ""
            return f"{self.name}: {run.failed_step} failed:\n{_indent(text)}"
        lines = [f"{self.name}: the plan is refused: {problem}" for problem in self.problems]
        if run.second_plan_exit not in (0, None):
            changed = run.second_plan
            counts = brief(changed) if changed is not None else "changes"
            lines.append(
                f"{self.name}: the second plan is not empty ({counts}): what was applied does "
                "not read back as planned (a perpetual diff)"
            )
            if changed is not None:
                for verb, addresses in (
                    ("would create", changed.creates),
                    ("would update", changed.updates),
                    ("would replace", changed.replaces),
                    ("would destroy", changed.deletes),
                ):
                    if addresses:
                        lines.append(f"  {verb}: {', '.join(addresses)}")
                lines.append(
                    "  (with --keep, `terraform show` of the last plan in the kept folder shows "
                    "each attribute)"
                )
        return "\n".join(lines) or None

    def record(self) -> dict[str, Any]:
        """This rehearsal as JSON data (the scratch folder's ``rehearsal.json``)."""
        data = dataclasses.asdict(self)
        data.pop("followup")
        data.pop("prelude")
        return data

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Rehearsal:
        """The rehearsal :meth:`record` wrote."""
        fields = dict(record)
        if fields.get("run") is not None:
            fields["run"] = ModuleRun.from_record(fields["run"])
        return cls(**fields)


def rehearse_module(
    name: str,
    config_path: Path,
    module: Path,
    workdir: Path,
    tools: Tools,
    *,
    environ: Mapping[str, str],
    progress: Progress | None = None,
    followup: Followup | None = None,
    prelude: Prelude | None = None,
) -> Rehearsal:
    """Copy ``module`` into ``workdir / name``, seed an emulator from the config, run it through.

    ``init``, ``validate``, ``plan`` (judged), ``apply`` and a second plan; the outcome is
    also written to ``workdir / name / rehearsal.json``. Nothing is raised for a failing step:
    it is recorded in the rehearsal. ``followup`` runs after a run whose steps all passed,
    against the same emulator and state (its result or error is kept, not recorded);
    ``prelude`` runs on the seeded emulator before ``init`` (likewise kept).
    """
    folder = workdir / name
    copy = folder / "module"
    copy.mkdir(parents=True)
    for path in sorted(module.glob("*.tf")):
        shutil.copyfile(path, copy / path.name)
    rehearsal = Rehearsal(name, str(config_path), str(module), str(folder))
    started = time.monotonic()

    def tell(step: str, seconds: float, passed: bool) -> None:
        if progress is not None:
            progress(name, step, seconds, passed)

    emulator = Emulator(config_path, folder / "moto.log", environ)
    try:
        config = load_config(config_path)
        schema = None
        if tools.mirror is not None:
            begun = time.monotonic()
            schema = provider_schema(tools, workdir)  # read once; the other modules wait
            tell("provider schema", time.monotonic() - begun, True)
        begun = time.monotonic()
        with emulator as seeded:
            tell("emulator", time.monotonic() - begun, True)
            environment = seeded.environment(config.trail.home_region)
            if prelude is not None:
                try:
                    rehearsal.prelude = prelude(environment, seeded.url, environ)
                except Exception as exc:  # reported by whoever wanted it
                    rehearsal.prelude_error = f"{type(exc).__name__}: {exc}"
            run = run_module(
                tools,
                schema,
                copy,
                folder,
                environment,
                seeded.url,
                apply=True,
                name=WORKSPACE,
                environ=environ,
                progress=tell,
            )
            run.name = name
            rehearsal.run = run
            if run.plan is not None:
                rehearsal.problems = plan_problems(
                    run.plan,
                    copy,
                    adopting=config.adopt is not None,
                    removed_imports=run.removed_imports,
                )
            if followup is not None and run.failed_step is None:
                try:
                    rehearsal.followup = followup(
                        tools, schema, folder / WORKSPACE, environment, seeded.url, environ
                    )
                except Exception as exc:  # reported by whoever wanted it
                    rehearsal.followup_error = f"{type(exc).__name__}: {exc}"
    except EmulatorError as exc:
        tell("emulator", time.monotonic() - started, False)
        rehearsal.error = exc.reason
    except (AdaptError, TerraformRunError) as exc:  # the schema read, an unadaptable module
        rehearsal.error = getattr(exc, "output", "") or str(exc)
    rehearsal.patches, rehearsal.versions = emulator.patches, emulator.versions
    rehearsal.seconds = time.monotonic() - started
    (folder / RECORD).write_text(json.dumps(rehearsal.record(), indent=1), encoding="utf-8")
    return rehearsal


# --- the report --------------------------------------------------------------------------------


def versions_line(
    tools: Tools, emulators: Iterable[Mapping[str, str]], providers: Iterable[str] = ()
) -> str:
    """Terraform, the provider and where it came from, the emulator's moto and botocore.

    A verdict holds for these versions: moto's routing and botocore's service models decide
    which calls the emulator answers (moto 5.2.6 routes by botocore's models and, with the same
    botocore, stopped answering Go SDK calls to CloudTrail and Athena that 5.2.5 answered).
    moto and botocore are as each server reported them (``emulators``); when none started, as
    installed for this interpreter, which is the one the servers run. ``providers``: the
    hashicorp/aws versions ``init`` selected, when they are not the mirror's one.
    """
    reported = sorted({(v.get("moto", "?"), v.get("botocore", "?")) for v in emulators if v})
    source = "as the moto servers reported"
    if not reported:
        reported = [(_installed("moto"), _installed("botocore"))]
        source = "installed here; no moto server started"
    emulator = "; ".join(f"moto {moto}, botocore {botocore}" for moto, botocore in reported)
    provider = ", ".join(sorted(set(providers))) or tools.provider_version or "unknown"
    return (
        f"Terraform {terraform_version(tools)} ({tools.terraform}), "
        f"hashicorp/aws {provider} ({tools.provider_source()}), "
        f"{emulator} ({source})"
    )


def _installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


HEADER = ("MODULE", "PLAN", "APPLY", "SECOND PLAN", "TIME", "ADAPTATIONS")


def _row(rehearsal: Rehearsal) -> tuple[str, ...]:
    run = rehearsal.run
    if run is None:
        return (rehearsal.name, "not run", "-", "-", f"{rehearsal.seconds:.1f}s", "")
    reached = run.failed_step
    plan = "failed" if reached == "plan" else (brief(run.plan) if run.plan else "-")
    if rehearsal.problems:
        plan += " REFUSED"
    apply = "applied" if run.applied else ("failed" if reached == "apply" else "-")
    second = "-"
    if reached == "second plan":
        second = "failed"
    elif run.second_plan_exit == 0:
        second = "no changes"
    elif run.second_plan_exit is not None:
        second = brief(run.second_plan) if run.second_plan else "changes"
    return (rehearsal.name, plan, apply, second, f"{rehearsal.seconds:.1f}s")


def report(tools: Tools, rehearsals: list[Rehearsal]) -> str:
    """The table ``rehearse`` ends with, the versions, the moto patches, then each failure.

    One row per module; every adaptation made for an older provider is a line of its last
    column ("none" when the provider knew everything).
    """
    rows = [_row(r) for r in rehearsals]
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(5)]
    indent = " " * (sum(widths) + 2 * 5)

    def line(cells: tuple[str, ...], last: str) -> str:
        return (
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:5])) + "  " + last
        ).rstrip()

    lines = [line(HEADER, HEADER[5])]
    for rehearsal, row in zip(rehearsals, rows, strict=True):
        changes = rehearsal.run.changes if rehearsal.run is not None else []
        first, *rest = changes or ["none" if rehearsal.run is not None else ""]
        lines.append(line(row, first))
        lines += [f"{indent}{change}" for change in rest]
    lines.append("")
    providers = [r.run.provider_version for r in rehearsals if r.run and r.run.provider_version]
    emulators = [r.versions for r in rehearsals]
    lines.append(f"versions: {versions_line(tools, emulators, providers)}")
    patches = list(dict.fromkeys(p for r in rehearsals for p in r.patches))  # in moto's order
    lines.append("moto patches applied in each server:" if patches else "moto patches: none")
    lines += [f"  {patch}" for patch in patches]
    failures = [text for r in rehearsals if (text := r.failure()) is not None]
    count = len(rehearsals)
    modules = f"module{'s' if count > 1 else ''}"
    lines.append("")
    lines += failures
    if failures:
        lines.append(f"FAILED: {len(failures)} of {count} {modules} (above)")
    else:
        lines.append(f"{count} {modules} rehearsed: every step passed")
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.strip().splitlines())
