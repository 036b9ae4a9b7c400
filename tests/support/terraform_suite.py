"""The shipped modules' real-Terraform runs, started in the background as soon as they are wanted.

Each run is ``orgtrail-gen rehearse``'s own run of one module
(``generator.rehearse.rehearsal.rehearse_module``): the suite's verdicts are the command's. A
module's run is ≈80 s of mostly waiting (the provider's lifecycle-configuration wait alone is
≈55 s), so the runs start at the end of collection (``tests/conftest.py`` calls :func:`start`),
all at once in a thread pool, each with its own moto server process and folder, while the rest
of the suite runs. The fixture of ``tests/end_to_end/test_terraform_real.py`` waits for them
(:meth:`Runs.outcomes`). Without the conftest hook the fixture starts them itself.

One module (:data:`CLI_RUN`) goes through the command's entry point instead, as a user runs it
(``python -m generator rehearse configs/<name>.yaml --keep``), when the test of
``tests/commands/test_rehearse.py`` that wants it is selected: its outcome is read back from the
scratch folder the command kept, so that run serves the module's tests here too, and the test
there judges what the command printed (:attr:`Runs.cli`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.rehearse.rehearsal import RECORD, Followup, Prelude, Rehearsal, rehearse_module
from generator.rehearse.tools import Tools, find_tools

from . import consumer_delivery, owner_untouched, plan_scenarios

ROOT = Path(__file__).resolve().parents[2]
TEST_FILE = "test_terraform_real.py"
# More work done in a module's run once it has applied, against its emulator and state:
# (module, the test file that wants it, what runs). Its result is Outcome.followup.
FOLLOWUPS: dict[str, tuple[str, Followup]] = {
    "example": ("test_plan_real.py", plan_scenarios.run),
    "log-archive": ("test_consumers_real.py", consumer_delivery.run),
    "control-tower": ("test_control_tower_real.py", owner_untouched.run),
}
# What a module's follow-up compares with, read on the seeded emulator before ``init``; it runs
# when the follow-up does. Its result is Outcome.prelude.
PRELUDES: dict[str, Prelude] = {"control-tower": owner_untouched.before}
# The module whose run goes through `orgtrail-gen rehearse` itself, and the test file that wants it.
CLI_RUN = ("greenfield", "test_rehearse.py")
# What a user's shell may hold; the command must use none of it (each would break the run).
USER_ENVIRONMENT = {
    "AWS_PROFILE": "orgtrail-no-such-profile",
    "AWS_ACCESS_KEY_ID": "AKIAUSERSOWNKEY00000",
    "AWS_SECRET_ACCESS_KEY": "the-users-own-secret",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "TF_DATA_DIR": "/nonexistent/orgtrail-user-tf-data",
    "TF_WORKSPACE": "orgtrail-no-such-workspace",
}

Outcome = Rehearsal  # one module's run, or why it could not run


def tools_or_skip(environ: Mapping[str, str] = os.environ) -> Tools:
    """A terraform binary and a provider mirror, or skip the calling test naming what is missing."""
    tools = find_tools(environ)
    if isinstance(tools, str):
        pytest.skip(tools)
    return tools


Snapshot = dict[str, tuple[bytes, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every file under ``folder``, by relative path: its bytes and modification time."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@dataclass
class CliRun:
    """`orgtrail-gen rehearse` run as a user runs it, and the output folder around it."""

    argv: list[str]
    environment: dict[str, str]  # what was added to the suite's environment
    tmpdir: Path  # TMPDIR of the run: the scratch folder must be made there
    exit_code: int
    stdout: str
    stderr: str
    before: Snapshot  # the output folder before the run
    after: Snapshot  # and after
    scratch_files: list[str]  # what the kept scratch folder holds, relative to it


class Runs:
    """The runs of some shipped modules, going on in a thread pool."""

    def __init__(
        self, names: list[str], tools: Tools, followups: Iterable[str] = (), cli: bool = False
    ) -> None:
        self.names, self.tools, self.followups = names, tools, set(followups)
        self.workdir = Path(tempfile.mkdtemp(prefix="orgtrail-terraform-"))
        self.jobs = int(os.environ.get("ORGTRAIL_TF_JOBS", len(names)))
        self.started = time.monotonic()
        self.cli: CliRun | None = None
        self._cli_wanted = cli
        self._environ = dict(os.environ)  # now, before any test changes os.environ
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="terraform")
        self._futures: dict[str, Future[Outcome]] = {
            name: self._pool.submit(self._run, name) for name in names
        }
        self._outcomes: dict[str, Outcome] | None = None
        self.wall = 0.0

    def _run(self, name: str) -> Outcome:
        if self._cli_wanted and name == CLI_RUN[0]:
            return self._run_cli(name)
        followup = FOLLOWUPS[name][1] if name in self.followups else None
        prelude = PRELUDES.get(name) if name in self.followups else None
        return rehearse_module(
            name,
            ROOT / "configs" / f"{name}.yaml",
            ROOT / "output" / name,
            self.workdir,
            self.tools,
            environ=self._environ,
            followup=followup,
            prelude=prelude,
        )

    def _run_cli(self, name: str) -> Outcome:
        """The module through ``python -m generator rehearse``; its outcome from the kept record."""
        tmpdir = self.workdir / "cli-tmp"
        tmpdir.mkdir()
        argv = [sys.executable, "-m", "generator", "rehearse", f"configs/{name}.yaml", "--keep"]
        added = {**USER_ENVIRONMENT, "TMPDIR": str(tmpdir)}
        output = ROOT / "output" / name
        before = snapshot(output)
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env={**self._environ, **added},
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        after = snapshot(output)
        kept = sorted(tmpdir.glob("orgtrail-rehearse-*"))
        files = (
            [str(path.relative_to(kept[-1])) for path in kept[-1].rglob("*") if path.is_file()]
            if kept
            else []
        )
        self.cli = CliRun(
            argv, added, tmpdir, done.returncode, done.stdout, done.stderr, before, after, files
        )
        records = sorted(tmpdir.glob(f"orgtrail-rehearse-*/{name}/{RECORD}"))
        if not records:
            return Outcome(
                name,
                f"configs/{name}.yaml",
                str(output),
                str(tmpdir),
                error=f"`{' '.join(argv[1:])}` exited {done.returncode} and kept no record:\n"
                f"{done.stderr}{done.stdout}",
            )
        return Outcome.from_record(json.loads(records[-1].read_text(encoding="utf-8")))

    def outcomes(self) -> dict[str, Outcome]:
        """Wait for every run; the folder is removed when all of them passed every step."""
        if self._outcomes is None:
            self._outcomes = {name: future.result() for name, future in self._futures.items()}
            self.wall = time.monotonic() - self.started
            self._pool.shutdown()
            if all(
                o.run is not None and o.run.failed_step is None for o in self._outcomes.values()
            ):
                shutil.rmtree(self.workdir, ignore_errors=True)
        return self._outcomes

    def stop(self) -> None:
        """Cancel the runs not begun; wait for the others (their servers end with them)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


_RUNS: Runs | None = None


def selected_modules(items: list[pytest.Item]) -> list[str]:
    """The modules the selected real-Terraform tests ask for (``-k example``: that one only)."""
    return sorted(
        {
            str(item.callspec.params["name"])
            for item in items
            if isinstance(item, pytest.Function)
            and item.path.name == TEST_FILE
            and hasattr(item, "callspec")
            and "name" in item.callspec.params
        }
        | set(selected_followups(items))
        | ({CLI_RUN[0]} if cli_selected(items) else set())
    )


def selected_followups(items: list[pytest.Item]) -> list[str]:
    """The modules whose follow-up work a selected test wants (see FOLLOWUPS)."""
    files = {item.path.name for item in items}
    return sorted(name for name, (test_file, _) in FOLLOWUPS.items() if test_file in files)


def cli_selected(items: list[pytest.Item]) -> bool:
    """Whether a selected real-Terraform test of CLI_RUN's file wants the command's own run."""
    return any(
        item.path.name == CLI_RUN[1] and item.get_closest_marker("terraform") is not None
        for item in items
    )


def start(session: pytest.Session) -> Runs | None:
    """Start the runs the session's tests need, once; None when none is needed or possible."""
    global _RUNS
    if _RUNS is None and not session.config.option.collectonly:
        names = selected_modules(session.items)
        tools = find_tools()
        if names and not isinstance(tools, str):
            _RUNS = Runs(
                names, tools, selected_followups(session.items), cli_selected(session.items)
            )
    return _RUNS


def stop() -> None:
    """End of session: let nothing run on after pytest."""
    if _RUNS is not None:
        _RUNS.stop()
