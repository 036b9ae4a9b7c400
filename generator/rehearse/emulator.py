"""The emulator: a seeded moto server in a child process, one per module.

Why a child process: moto keeps its state in process-wide backends, so two servers in one
process would share accounts (log-archive and adopt-console both use 444455556666), and the
patches of :mod:`generator.rehearse.moto_patches` stay out of the caller's process - which never
imports moto at all. The parent (:class:`Emulator`) starts ``python -m generator.rehearse.emulator
CONFIG``, reads one JSON line from it (the URL, the management account's keys, the patches and
the moto and botocore versions) and ends it by closing its standard input. The child gets none
of the caller's ``AWS_*`` variables. ``python -m generator.rehearse.emulator --check`` only
installs every patch and prints the versions and each patch's line: the quick answer to "does
this moto still take our patches?", without a server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from generator.rehearse.moto_checks import INSTALL_HINT, MotoPatchError, installed_versions
from generator.rehearse.moto_patches import patch_moto_gaps
from generator.rehearse.seed import Seeded, seed
from generator.sections.registry import load_config

MISSING = f"orgtrail-gen rehearse needs the emulator: {INSTALL_HINT}"
# What moto's server needs beyond moto itself (moto[server]): checked without importing them.
SERVER_MODULES = ("flask", "flask_cors", "werkzeug")


def emulator_missing() -> str | None:
    """One line saying what to install when moto's server cannot start here; None when it can.

    ``import moto`` is cheap (its services load lazily); the server's own dependencies are only
    looked up, not imported, so that nothing of the server runs in the caller's process.
    """
    try:
        import moto  # noqa: F401
    except ImportError:
        return MISSING
    if any(importlib.util.find_spec(name) is None for name in SERVER_MODULES):
        return MISSING
    return None


class EmulatorError(RuntimeError):
    """The server did not start; :attr:`reason` is the line that says why (a patch, a crash)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- one server per process --------------------------------------------------------------------

# The child's exit code when a patch found moto other than it expects (its message on stderr).
PATCH_FAILED = 3


def serve(config_path: Path, stdin: IO[str], stdout: IO[str]) -> None:
    """The child's serving: patch, start, seed, report one JSON line; stop when stdin closes.

    Raises MotoPatchError (from a patch or :func:`fixed_ids`) before reporting; :func:`main`
    turns it into one line on stderr, which the parent shows (:meth:`Emulator.__enter__`).
    """
    from moto.server import ThreadedMotoServer

    patched = patch_moto_gaps()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        seeded = seed(f"http://{host}:{port}", load_config(config_path))
        stdout.write(
            json.dumps(
                {
                    "url": seeded.url,
                    "access_key": seeded.access_key,
                    "secret_key": seeded.secret_key,
                    "patches": patched,
                    "versions": installed_versions(),
                }
            )
            + "\n"
        )
        stdout.flush()
        stdin.read()  # until the parent closes it (or dies)
    finally:
        server.stop()


def main(arguments: list[str], stdin: IO[str], stdout: IO[str]) -> int:
    """The child: ``python -m generator.rehearse.emulator CONFIG`` serves (:func:`serve`).

    ``--check`` only installs every patch and prints the versions and each patch's line as JSON:
    the quick answer to "does this moto still take our patches?", without a server. A patch
    that does not fit the installed moto ends it at once with exit PATCH_FAILED and the patch's
    one-line message on stderr (no traceback to read through).
    """
    if len(arguments) != 1:
        print("usage: python -m generator.rehearse.emulator CONFIG | --check", file=sys.stderr)
        return 2
    try:
        if arguments == ["--check"]:
            patched = patch_moto_gaps()
            stdout.write(json.dumps({"versions": installed_versions(), "patches": patched}) + "\n")
        else:
            serve(Path(arguments[0]), stdin, stdout)
    except MotoPatchError as exc:
        print(f"moto patch failed: {exc}", file=sys.stderr, flush=True)
        return PATCH_FAILED
    return 0


class Emulator:
    """A seeded moto server in a child process, for one module (``with Emulator(config):``).

    After entering: :attr:`patches` (one line per moto patch) and :attr:`versions` (the moto and
    botocore the server runs).
    """

    def __init__(
        self, config_path: Path, log: Path, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.config_path = config_path
        self.log = log
        self.environ = dict(environ)
        self.patches: list[str] = []
        self.versions: dict[str, str] = {}
        self._process: subprocess.Popen[str] | None = None
        self.seeded: Seeded | None = None

    def __enter__(self) -> Seeded:
        """Start the child and wait for its line (two minutes at most); EmulatorError if none."""
        env = {
            name: value
            for name, value in self.environ.items()
            if not name.startswith("AWS_") and name != "MOTO_ACCOUNT_ID"
        }
        with self.log.open("w", encoding="utf-8") as errors:
            # From the scratch folder: a `generator/` folder in the user's working directory
            # must not shadow the installed package in the child (`python -m` looks there first).
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "generator.rehearse.emulator",
                    str(self.config_path.resolve()),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=env,
                cwd=self.log.parent,
            )
        assert self._process.stdout is not None
        line = _read_line(self._process.stdout, timeout=120)
        if not line:
            process = self._process
            self.__exit__()
            log = self.log.read_text(encoding="utf-8")
            # a patch that does not fit says so in one line (main): show it first
            failed = [entry for entry in log.splitlines() if entry.startswith("moto patch failed:")]
            last = [entry for entry in log.splitlines() if entry.strip()][-1:]
            headline = (
                f"the moto server for {self.config_path} did not start "
                f"(exit {process.returncode}; its log: {self.log})"
            )
            raise EmulatorError(
                "\n".join([headline, *failed, "the log ends:", log[-4000:]]),
                "; ".join([headline, *(failed or last)]),
            )
        started = json.loads(line)
        self.patches = started["patches"]
        self.versions = started["versions"]
        self.seeded = Seeded(started["url"], started["access_key"], started["secret_key"])
        return self.seeded

    def __exit__(self, *_: object) -> None:
        """End the child: close its standard input, then kill it if it lingers."""
        if self._process is None:
            return
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._process = None


def _read_line(stream: IO[str], timeout: float) -> str:
    """One line from ``stream``, or "" after ``timeout`` seconds (a hung child)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], sys.stdin, sys.stdout))
