"""The shipped modules' real-Terraform runs, started in the background as soon as they are wanted.

A module's run is ≈80 s of mostly waiting (the provider's lifecycle-configuration wait alone is
≈55 s), so the runs start at the end of collection (``tests/conftest.py`` calls :func:`start`),
all at once in a thread pool, each with its own moto server process and folder, while the rest
of the suite runs. The fixture of ``tests/end_to_end/test_terraform_real.py`` waits for them
(:meth:`Runs.outcomes`). Without the conftest hook the fixture starts them itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

from generator.sections.registry import load_config

from .aws_emulator import Emulator
from .terraform_run import (
    ModuleRun,
    Tools,
    find_tools,
    provider_schema,
    run_module,
    terraform_version,
)

ROOT = Path(__file__).resolve().parents[2]
TEST_FILE = "test_terraform_real.py"


@dataclass
class Outcome:
    """One module's run, or why it could not run (an emulator that did not start, a module the
    harness could not adapt); a failing terraform command is recorded in the run itself."""

    run: ModuleRun | None
    error: str | None
    patches: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # moto, botocore of its server

    def completed(self) -> ModuleRun:
        """The run, or fail the calling test with the reason it is missing."""
        if self.run is None:
            pytest.fail(self.error or "the module did not run")
        return self.run


class Runs:
    """The runs of some shipped modules, going on in a thread pool."""

    def __init__(self, names: list[str], tools: Tools) -> None:
        self.names, self.tools = names, tools
        self.workdir = Path(tempfile.mkdtemp(prefix="orgtrail-terraform-"))
        self.jobs = int(os.environ.get("ORGTRAIL_TF_JOBS", len(names)))
        self.started = time.monotonic()
        self.schema_seconds = 0.0
        self._environ = dict(os.environ)  # now, before any test changes os.environ
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="terraform")
        self._futures: dict[str, Future[Outcome]] = {
            name: self._pool.submit(self._run, name) for name in names
        }
        self._outcomes: dict[str, Outcome] | None = None
        self.wall = 0.0

    def _run(self, name: str) -> Outcome:
        config_path = ROOT / "configs" / f"{name}.yaml"
        folder = self.workdir / name
        folder.mkdir(parents=True)
        emulator = Emulator(config_path, folder / "moto.log", self._environ)
        try:
            started = time.monotonic()
            schema = provider_schema(self.tools, self.workdir)  # read once, the others wait
            self.schema_seconds = max(self.schema_seconds, time.monotonic() - started)
            with emulator as seeded:
                run = run_module(
                    self.tools,
                    schema,
                    ROOT / "output" / name,
                    folder,
                    seeded.environment(load_config(config_path).trail.home_region),
                    seeded.url,
                    apply=True,
                    environ=self._environ,
                )
            return Outcome(run, None, emulator.patches, emulator.versions)
        except RuntimeError as exc:  # AdaptError, TerraformRunError, a server that did not start
            return Outcome(None, f"{name}: {exc}", emulator.patches, emulator.versions)

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

    def versions(self) -> str:
        """What the runs ran with, for the summary (:func:`versions_line`)."""
        return versions_line(self.tools, [o.versions for o in self.outcomes().values()])


def versions_line(tools: Tools, emulators: Iterable[Mapping[str, str]]) -> str:
    """Terraform, the provider and the emulator's moto and botocore, in one line.

    A verdict of the real-Terraform runs holds for these versions: moto's routing and botocore's
    service models decide which calls the emulator answers (moto 5.2.6 routes by botocore's
    models and, with the same botocore, stopped answering Go SDK calls to CloudTrail and Athena
    that 5.2.5 answered). moto and botocore are as each
    server process reported them; when none started (a patch that no longer fits), as installed
    for this interpreter, which is the one the servers run.
    """
    reported = sorted({(v.get("moto", "?"), v.get("botocore", "?")) for v in emulators if v})
    source = "as the moto servers reported"
    if not reported:
        reported = [(_installed("moto"), _installed("botocore"))]
        source = "installed here; no moto server started"
    emulator = "; ".join(f"moto {moto}, botocore {botocore}" for moto, botocore in reported)
    return (
        f"Terraform {terraform_version(tools)} ({tools.terraform}), "
        f"hashicorp/aws {tools.provider_version} (mirror {tools.mirror}), "
        f"{emulator} ({source})"
    )


def _installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


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
    )


def start(session: pytest.Session) -> Runs | None:
    """Start the runs the session's tests need, once; None when none is needed or possible."""
    global _RUNS
    if _RUNS is None and not session.config.option.collectonly:
        names = selected_modules(session.items)
        tools = find_tools()
        if names and not isinstance(tools, str):
            _RUNS = Runs(names, tools)
    return _RUNS


def stop() -> None:
    """End of session: let nothing run on after pytest."""
    if _RUNS is not None:
        _RUNS.stop()
