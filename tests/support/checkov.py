"""Run checkov 3.3.30 on a module, offline, and read its JSON report.

checkov cannot share the project's virtualenv: it depends on ``bc-python-hcl2``, whose module
is also named ``hcl2`` and would replace python-hcl2. It therefore runs as a command from its
own virtualenv (see ``checkov_executable``).

Measured traps: checkov exits 0 on HCL it cannot parse (the report then says
``summary.parsing_errors: 1``), so the exit code is never trusted, only the report. It goes
online three ways unless stopped: the platform download (``--skip-download``; also
``BC_SKIP_MAPPING``) and a PyPI version check made when its banner module is imported
(``CKV_SKIP_PACKAGE_UPDATE_CHECK``). With all three set, strace shows no network connection.
The report is one object for one framework, a list of objects for several, and a bare
summary without ``results`` when the directory holds nothing to scan.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from .hcl import tf_files

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "tests" / "requirements-checkov.txt"
VENV = REPO_ROOT / ".cache" / "checkov-venv"
_MARKER = VENV / ".installed-requirements"
_OFFLINE_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
_INSTALL_TIMEOUT_SECONDS = 900


class CheckovError(RuntimeError):
    """checkov could not be installed, or produced no report this module understands."""


class CheckovCheck(NamedTuple):
    """One passed or failed check: which check, on which resource, where."""

    check_id: str
    resource: str
    file: str
    lines: tuple[int, int]


class CheckovSkip(NamedTuple):
    """One check suppressed by a ``#checkov:skip=ID:reason`` comment."""

    check_id: str
    resource: str
    suppress_comment: str
    file: str = ""


@dataclass(frozen=True)
class CheckovReport:
    """What one checkov run found; ``parsing_errors`` lists files it could not read."""

    passed: list[CheckovCheck]
    failed: list[CheckovCheck]
    skipped: list[CheckovSkip]
    parsing_errors: list[str]


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """The default progress callback: say nothing."""


def checkov_executable(progress: Progress = _quiet) -> Path:
    """Find checkov: ``$ORGTRAIL_CHECKOV``, else ``.cache/checkov-venv``, installed if needed.

    The install runs under a file lock (fcntl, so POSIX only), so parallel pytest processes
    install once. It counts as complete only once a marker holding the requirements text is
    written, so an interrupted install is redone and a changed pin triggers a reinstall.
    ``progress`` receives one line per step of an install (it takes a minute or two).
    """
    override = os.environ.get("ORGTRAIL_CHECKOV")
    if override:
        return _existing(Path(override))
    if not _venv_is_current():
        with _locked(VENV.parent / "checkov-venv.lock"):
            if not _venv_is_current():
                _install_venv(progress)
    return _existing(VENV / "bin" / "checkov")


def checkov_or_skip(progress: Progress, environ: Mapping[str, str]) -> Path:
    """checkov for the tests: skip them with the reason if it cannot be had, fail under CI.

    Why: on a developer's machine without network the rest of the suite is still worth
    running; in CI (``CI=true``) a skipped checkov run would hide exactly what CI is for.
    """
    try:
        return checkov_executable(progress)
    except CheckovError as exc:
        if environ.get("CI", "").lower() == "true":
            pytest.fail(f"checkov is unavailable and CI=true, so this is a failure: {exc}")
        pytest.skip(f"checkov is unavailable (CI=true would fail here): {exc}")


def _existing(path: Path) -> Path:
    """Return ``path`` if it is a file; otherwise fail with the name of what is missing."""
    if not path.is_file():
        raise CheckovError(f"no checkov executable at {path} (ORGTRAIL_CHECKOV or install)")
    return path


def _venv_is_current() -> bool:
    """True when the venv was completed for exactly the current requirements file."""
    return _MARKER.is_file() and _MARKER.read_text() == REQUIREMENTS.read_text()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (blocking) for the duration of the block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install_venv(progress: Progress) -> None:
    """Create the venv from scratch and pip-install the pinned requirements into it."""
    started = time.monotonic()
    shutil.rmtree(VENV, ignore_errors=True)
    progress(f"creating {VENV} (first use; checkov cannot share the project's virtualenv)")
    _run_install_step([sys.executable, "-m", "venv", str(VENV)], progress)
    pins = [line for line in REQUIREMENTS.read_text().splitlines() if "==" in line]
    checkov = next((pin for pin in pins if pin.startswith("checkov==")), "checkov")
    progress(
        f"pip install -r {REQUIREMENTS.name}: {checkov} and {len(pins) - 1} locked dependencies"
        " (a minute or two)"
    )
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    _run_install_step([*pip, "install", "--progress-bar", "off", "-r", str(REQUIREMENTS)], progress)
    _MARKER.write_text(REQUIREMENTS.read_text())
    progress(f"checkov installed in {time.monotonic() - started:.0f} s")


def _run_install_step(command: list[str], progress: Progress) -> None:
    """Run one install command, passing pip's "Collecting ..." lines on; raise on failure."""
    lines: list[str] = []
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process:
            watchdog = threading.Timer(_INSTALL_TIMEOUT_SECONDS, process.kill)
            watchdog.start()
            try:
                for line in process.stdout or ():
                    lines.append(line)
                    if line.startswith("Collecting "):
                        progress("  " + line.strip())
                code = process.wait()
            finally:
                timed_out = not watchdog.is_alive()
                watchdog.cancel()
    except OSError as exc:
        raise CheckovError(f"cannot run {command[0]}: {exc}") from exc
    if timed_out:
        raise CheckovError(f"installing checkov timed out: {' '.join(command)}")
    if code != 0:
        output = "".join(lines)[-3000:]
        raise CheckovError(
            f"installing checkov into {VENV} failed (exit {code}) running "
            f"{' '.join(command)}:\n{output}"
        )


def run_checkov(
    module_dir: Path, timeout: float = 300, executable: Path | None = None
) -> CheckovReport:
    """Run checkov's Terraform checks on ``module_dir`` offline and return its findings.

    One run takes about 4 s, so run it once per module, not once per test. Note that ``-d``
    also scans subdirectories. ``executable`` defaults to :func:`checkov_executable`.
    """
    tf_files(module_dir)
    return _scan(module_dir, timeout, executable)


def _scan(directory: Path, timeout: float, executable: Path | None) -> CheckovReport:
    """``checkov -d directory`` offline (subdirectories included), read into a report."""
    command = [
        str(executable or checkov_executable()),
        *("-d", str(directory), "--framework", "terraform"),
        *("--skip-download", "-o", "json", "--compact"),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=directory,
        env={**os.environ, **_OFFLINE_ENV},
    )
    return parse_report(done.stdout, f"exit {done.returncode}: {done.stderr[-3000:]}")


def run_checkov_per_folder(
    parent: Path, timeout: float = 600, executable: Path | None = None
) -> dict[str, CheckovReport]:
    """One checkov run over every module folder under ``parent``: its findings per folder.

    Why one run: each start of checkov costs a few seconds of CPU before it reads a file
    (most of a run on a small module), so five modules scanned at once cost about a third of
    five runs. A file directly under ``parent`` is not part of any module and is an error.
    """
    folders = sorted(path for path in parent.iterdir() if path.is_dir())
    for folder in folders:
        tf_files(folder)
    report = _scan(parent, timeout, executable)
    if report.parsing_errors:
        raise CheckovError(f"checkov could not parse {report.parsing_errors} under {parent}")
    return split_by_folder(report, [folder.name for folder in folders])


def split_by_folder(report: CheckovReport, folders: list[str]) -> dict[str, CheckovReport]:
    """Split a report of ``checkov -d PARENT`` by the first folder of each finding's file.

    checkov names files relative to ``-d``, as ``/FOLDER/file.tf``; a finding outside every
    folder is an error rather than dropped.
    """
    split = {folder: CheckovReport([], [], [], []) for folder in folders}

    def folder_of(file: str) -> str:
        folder = file.lstrip("/").split("/", 1)[0]
        if folder not in split or "/" not in file.lstrip("/"):
            raise CheckovError(f"checkov reported {file}, which is in none of {folders}")
        return folder

    for check in report.passed:
        split[folder_of(check.file)].passed.append(check)
    for check in report.failed:
        split[folder_of(check.file)].failed.append(check)
    for skip in report.skipped:
        split[folder_of(skip.file)].skipped.append(skip)
    return split


def parse_report(stdout: str, context: str = "") -> CheckovReport:
    """Read checkov's ``-o json`` output in any of its shapes into one CheckovReport.

    Raises CheckovError when the output is not JSON or its summary disagrees with its
    results, instead of reporting a clean run.
    """
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise CheckovError(f"checkov produced no JSON report ({context})") from exc
    reports = [_one_report(item) for item in (data if isinstance(data, list) else [data])]
    return CheckovReport(
        passed=[check for report in reports for check in report.passed],
        failed=[check for report in reports for check in report.failed],
        skipped=[skip for report in reports for skip in report.skipped],
        parsing_errors=[path for report in reports for path in report.parsing_errors],
    )


def _one_report(report: dict[str, Any]) -> CheckovReport:
    """Read one framework's report; a bare summary (nothing scanned) has no ``results``."""
    results = report.get("results", {})
    summary = report.get("summary", report)
    parsed = CheckovReport(
        passed=[_check(item) for item in results.get("passed_checks", [])],
        failed=[_check(item) for item in results.get("failed_checks", [])],
        skipped=[_skip(item) for item in results.get("skipped_checks", [])],
        parsing_errors=list(results.get("parsing_errors", [])),
    )
    _require_consistent(summary, parsed)
    return parsed


def _require_consistent(summary: dict[str, Any], parsed: CheckovReport) -> None:
    """Refuse a report whose summary counts differ from the results listed."""
    counts = {
        "passed": len(parsed.passed),
        "failed": len(parsed.failed),
        "skipped": len(parsed.skipped),
        "parsing_errors": len(parsed.parsing_errors),
    }
    disagreeing = {
        key: summary.get(key) for key, count in counts.items() if summary.get(key) != count
    }
    if disagreeing:
        raise CheckovError(f"checkov summary {disagreeing} disagrees with its results {counts}")


def _check(item: dict[str, Any]) -> CheckovCheck:
    """Read one entry of ``passed_checks`` or ``failed_checks``."""
    first, last = item["file_line_range"]
    return CheckovCheck(item["check_id"], item["resource"], item["file_path"], (first, last))


def _skip(item: dict[str, Any]) -> CheckovSkip:
    """Read one entry of ``skipped_checks``."""
    comment = item.get("check_result", {}).get("suppress_comment", "")
    return CheckovSkip(item["check_id"], item["resource"], comment, item.get("file_path", ""))
