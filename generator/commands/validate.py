"""``orgtrail-gen validate CONFIG...``: config errors only, every config's at once.

Why: the quickest loop while editing a config - no rendering, no output folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.core.errors import EXIT_OK

HELP = "check configs only (file:line:col: key: message, every error of every config)"


def configure(parser: argparse.ArgumentParser) -> None:
    """One or more configs."""
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG", help="config files")


def run(args: argparse.Namespace) -> int:
    """Load each config; report the valid ones, then raise every error together."""
    from generator.core.errors import CombinedError, UserError
    from generator.sections.registry import load_config

    failures: list[UserError] = []
    for path in args.configs:
        try:
            load_config(path)
        except UserError as exc:
            failures.append(exc)
        else:
            print(f"{path}: valid")
    if failures:
        raise CombinedError(failures)
    return EXIT_OK
