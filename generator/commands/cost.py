"""``orgtrail-gen cost CONFIG...``: what the generated module will cost a month, line by line.

Why: an organization trail's bill is decided by choices in the config - a second copy of
management events, data events, Insights, a long CloudWatch retention, alarms - and none of
them shows a price in the HCL. Each module is built in memory as ``controls`` builds it
(loaded, rendered, re-parsed, every preflight rule run; nothing written) and priced from the
re-parsed HCL, so the estimate prices what will really be applied; the organization's volumes
come from the config's ``cost`` section or stated defaults. A table by default; ``--markdown``
and ``--json`` (format ``orgtrail-gen-cost``, version 1: ``generator.review.cost_render``
documents it) as the controls report has.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from generator.core.errors import EXIT_OK

HELP = "estimate what the module will cost a month, line by line, with every assumption"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs and the output format (a table by default)."""
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG", help="config files")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--json", action="store_true", help="one JSON document for all configs (version 1)"
    )
    shape.add_argument(
        "--markdown", action="store_true", help="Markdown tables, to file with a change"
    )


def run(args: argparse.Namespace) -> int:
    """Build each config in memory and print its estimate; every config's errors raise together."""
    from generator.commands._modules import build_all
    from generator.core.paths import tree_label
    from generator.review import cost_render
    from generator.review.cost import estimate
    from generator.review.cost_facts import read_cost
    from generator.review.cost_inputs import inputs_of

    with tempfile.TemporaryDirectory(prefix="orgtrail-gen-cost-") as empty:
        targets = build_all(args.configs, Path(empty), warn=False)
    estimates = [
        estimate(
            read_cost(target.module.parsed),
            inputs_of(target.module.config),
            tree_label(target.config, target.config),
            target.module.stem,
        )
        for target in targets
    ]
    if args.json:
        sys.stdout.write(cost_render.as_json(estimates))
    else:
        shape = cost_render.markdown if args.markdown else cost_render.table
        sys.stdout.write("\n".join(shape(one) for one in estimates))
    return EXIT_OK
