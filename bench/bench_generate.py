"""Median wall time of `orgtrail-gen configs/example.yaml`, end to end, in fresh processes.

Usage: python bench/bench_generate.py [--runs 15] [CONFIG]

Each run is a new interpreter (imports included), writing into a temporary output root, as a
user's invocation would. Prints the median, min and max, plus whether boto3/botocore were
imported on the path (they must not be). Target: median <= 0.5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", nargs="?", default="configs/example.yaml")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("orgtrail-gen")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "generator"]
    times = []
    with tempfile.TemporaryDirectory() as root:
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([*command, args.config, "--output-dir", root], check=True,
                           capture_output=True)  # fmt: skip
            times.append(time.perf_counter() - start)
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, args.config, "--output-dir", root],
            check=True,
            capture_output=True,
            text=True,
        )
    print(f"orgtrail-gen {args.config}: {args.runs} runs")
    median = statistics.median(times)
    print(f"  median {median:.3f} s  min {min(times):.3f} s  max {max(times):.3f} s")
    print(f"  boto3/botocore imported: {probe.stderr.strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
