"""Median wall and CPU time of `orgtrail-gen CONFIG`, end to end, in fresh processes.

Usage: python bench/bench_generate.py [--runs 15] [--no-bytecode] [CONFIG]

Each run is a new interpreter (imports included), writing into a temporary output root, as a
user's invocation would. An installed package has its bytecode compiled (pip does it at
install time, and Python caches it on the first import), so the children may write bytecode -
into a temporary ``PYTHONPYCACHEPREFIX``, never into the source tree - and a first, untimed
run compiles it and fills the parse cache; it is reported on its own line. ``--no-bytecode``
measures the other case, every source compiled on every run (an editable install under
``PYTHONDONTWRITEBYTECODE=1``, as on some CI images). CPU time (user + system of the child)
is printed beside wall time because it moves less with the machine's other load.

Prints the median, min and max, plus whether boto3/botocore were imported on the path (they
must not be). Target: median <= 0.5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = (
    "import sys; from generator.cli import main; code = main(sys.argv[1:]); "
    "print('boto3' in sys.modules or 'botocore' in sys.modules, file=sys.stderr); "
    "raise SystemExit(code)"
)


def _child_env(pycache: Path, bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", nargs="?", default="configs/example.yaml")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode", action="store_true")
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("orgtrail-gen")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "generator"]
    with tempfile.TemporaryDirectory() as root:
        env = _child_env(Path(root) / "pycache", bytecode=not args.no_bytecode)
        run = [*command, args.config, "--output-dir", str(Path(root) / "output")]
        first, _ = _timed(run, env)
        walls, cpus = zip(*(_timed(run, env) for _ in range(args.runs)), strict=True)
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, args.config, "--output-dir", str(Path(root) / "output")],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
    mode = "no bytecode" if args.no_bytecode else "bytecode cached"
    print(f"orgtrail-gen {args.config}: {args.runs} runs ({mode})")
    median = statistics.median(walls)
    print(f"  median {median:.3f} s  min {min(walls):.3f} s  max {max(walls):.3f} s")
    print(f"  cpu median {statistics.median(cpus):.3f} s")
    print(f"  first run {first:.3f} s (writes the module, compiles bytecode, fills the caches)")
    print(f"  boto3/botocore imported: {probe.stderr.strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
