"""``orgtrail-gen controls CONFIG...``: which benchmark controls the generated module satisfies.

Why: an auditor asks which CIS, Security Hub and prowler controls a setup satisfies, which
not, and why. The module is built in memory exactly as ``generate`` would build it (nothing is
written) and every verdict is computed from its re-parsed HCL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.errors import EXIT_OK

HELP = "list the CIS, Security Hub and prowler controls the module satisfies, and why"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs and the output format."""
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG", help="config files")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON document per config")
    shape.add_argument("--markdown", action="store_true", help="Markdown tables to file")


def run(args: argparse.Namespace) -> int:
    """Build each config in memory and print its report; a config that fails raises."""
    from generator.commands._modules import build_all
    from generator.review import render
    from generator.review.controls import evaluate
    from generator.review.facts import read

    targets = build_all(args.configs, None, warn=False)
    reports = [
        (target.module.stem, evaluate(read(target.module.parsed), target.module.config))
        for target in targets
    ]
    if args.json:
        sys.stdout.write(render.as_json(reports))
        return EXIT_OK
    shape = render.markdown if args.markdown else render.table
    sys.stdout.write("\n".join(shape(stem, results) for stem, results in reports))
    return EXIT_OK
