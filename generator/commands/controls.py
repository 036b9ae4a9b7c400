"""``orgtrail-gen controls CONFIG...``: which benchmark controls the generated module satisfies.

Why: an auditor asks which CIS, Security Hub and prowler controls a setup satisfies, which
not, and why. Each module is built in memory as ``generate`` builds it - loaded, rendered,
re-parsed, every preflight rule run - and nothing is written; every verdict is computed from
the re-parsed HCL. The report judges the module alone: it is built against an empty output
folder, so the evidence guard (is it safe to replace what ``output/`` holds?) stays the job of
``check`` and ``generate``, and a report can be had for a config whose change they would refuse.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from generator.core.errors import EXIT_OK

HELP = "list the CIS, Security Hub and prowler controls the module satisfies, and why"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs and the output format (a table by default)."""
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG", help="config files")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--json", action="store_true", help="one JSON document for all configs (format_version 1)"
    )
    shape.add_argument(
        "--markdown", action="store_true", help="Markdown tables, to file with a change"
    )


def run(args: argparse.Namespace) -> int:
    """Build each config in memory and print its report; every config's errors raise together."""
    from generator.commands._modules import build_all
    from generator.review import render
    from generator.review.controls import report
    from generator.review.facts import read

    with tempfile.TemporaryDirectory(prefix="orgtrail-gen-controls-") as empty:
        targets = build_all(args.configs, Path(empty), warn=False)
    reports = [
        report(target.module.stem, read(target.module.parsed), target.module.config)
        for target in targets
    ]
    if args.json:
        sys.stdout.write(render.as_json(reports))
    else:
        shape = render.markdown if args.markdown else render.table
        sys.stdout.write("\n".join(shape(one) for one in reports))
    return EXIT_OK
