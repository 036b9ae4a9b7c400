"""Write the locks of the test environments; with ``--upgrade``, move them to the newest releases.

    python tests/support/lock.py             # re-lock after pyproject.toml changed, keeping every pin it can
    python tests/support/lock.py --upgrade   # newest releases: lock, install, check the region table, run pytest

Two locks, both read by pip and both committed:

* ``tests/requirements.txt`` - every package the tests and CI install besides orgtrail-gen
  itself: its runtime dependencies and the ``test`` extra, with everything they pull in.
  ``.ci/run`` and the README install ``pip install -r tests/requirements.txt '.[test]'``.
* ``tests/requirements-checkov.txt`` - checkov and its dependencies, for the separate
  virtualenv ``tests/support/checkov.py`` makes.

Why uv (``uv pip compile``) and not pip-tools' ``pip-compile``: pip-compile resolves for the
interpreter that runs it only, and this machine has one Python; ``uv pip compile --universal``
writes one lock valid for every Python ``requires-python`` admits (3.11 and later), with
environment markers where a version differs (networkx, for one), in pip's requirements format.
uv is needed only here, to write a lock; installing from one needs pip alone.

Why this matters: a moto or botocore release must never reach the tests by itself. Moving to
one is ``--upgrade``, whose diff someone reads and whose suite someone runs, in one commit.
moto and botocore are pinned exactly in pyproject.toml's ``rehearse`` extra (what users of
``orgtrail-gen rehearse`` install, locked like the tests), so ``--upgrade`` keeps them: move
them there by hand (with the emulator's patches, generator/rehearse/moto_patches.py), then lock.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_LOCK = ROOT / "tests" / "requirements.txt"
CHECKOV_LOCK = ROOT / "tests" / "requirements-checkov.txt"
CHECKOV = "checkov==3.3.30"  # the release tests/support/checkov.py reads the report of
PYTHON = "3.11"  # the oldest Python requires-python admits; --universal covers the newer ones
COMMAND = "python tests/support/lock.py"
CHECKOV_HEADER = (
    "# checkov runs from its own virtualenv (.cache/checkov-venv), never the project venv:\n"
    "# it depends on bc-python-hcl2, whose module is also named hcl2 and would replace"
    " python-hcl2.\n"
    "# tests/support/checkov.py installs this file on first use.\n"
)


def uv() -> list[str]:
    """The uv command (on PATH or beside this Python), or exit saying how to get it."""
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if not found:
        sys.exit("uv is not installed: `pip install uv` (it is in the dev extra), then run again")
    return [found]


def compile_lock(source: str, output: Path, upgrade: bool, stdin: str | None = None) -> None:
    """Resolve ``source`` (a file, or ``-`` with ``stdin``) into ``output``, universally."""
    argv = [
        *uv(),
        "pip",
        "compile",
        source,
        "--universal",
        "--python-version",
        PYTHON,
        "--output-file",
        str(output),
        "--custom-compile-command",
        COMMAND + (" --upgrade" if upgrade else ""),
        "--quiet",
    ]
    if source.endswith("pyproject.toml"):
        argv += ["--extra", "test"]
    if upgrade:
        argv.append("--upgrade")
    subprocess.run(argv, cwd=ROOT, input=stdin, text=True, check=True)


def pins(lock: Path) -> dict[str, str]:
    """``name -> version`` lines of a lock (markers kept, so a split pin shows as two)."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            name, _, rest = line.partition("==")
            version, _, marker = rest.partition(";")
            found[f"{name.strip()}{';' + marker.strip() if marker else ''}"] = version.strip()
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What moved between two locks, a line each."""
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old != new:
            lines.append(f"  {name}: {old or '(new)'} -> {new or '(gone)'}")
    return lines


def lock(upgrade: bool) -> list[str]:
    """Write both locks; return what moved in each."""
    before = {path: pins(path) if path.exists() else {} for path in (TEST_LOCK, CHECKOV_LOCK)}
    compile_lock(str(ROOT / "pyproject.toml"), TEST_LOCK, upgrade)
    compile_lock("-", CHECKOV_LOCK, upgrade, stdin=CHECKOV + "\n")
    text = CHECKOV_LOCK.read_text(encoding="utf-8")
    if not text.startswith(CHECKOV_HEADER):
        CHECKOV_LOCK.write_text(CHECKOV_HEADER + text, encoding="utf-8")
    moved = []
    for path, pinned in before.items():
        lines = changed(pinned, pins(path))
        if lines:
            moved += [f"{path.relative_to(ROOT)}:", *lines]
    return moved


def main(argv: Sequence[str] | None = None) -> int:
    """Lock; with --upgrade also install the new lock, check the region table and run pytest."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--upgrade",
        action="store_true",
        help="take the newest releases, install them here, then run the region check and pytest",
    )
    args = parser.parse_args(argv)
    moved = lock(args.upgrade)
    print("\n".join(["the locks moved:", *moved]) if moved else "the locks did not move")
    if not args.upgrade:
        return 0
    print(
        "moto and botocore stay at the rehearse extra's pins (pyproject.toml): move them there "
        f"by hand, then run `{COMMAND}`"
    )
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "-r", str(TEST_LOCK)]
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    refresh = subprocess.run(
        [sys.executable, "-m", "generator.config.regions_refresh", "--check"], cwd=ROOT
    )
    if refresh.returncode:
        print("the region table is due for a refresh (above): the suite will say so too")
    print("running the suite on the upgraded lock: `pytest`", flush=True)
    return subprocess.run([sys.executable, "-m", "pytest"], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
