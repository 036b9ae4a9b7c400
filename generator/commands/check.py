"""``orgtrail-gen check CONFIG...``: is the committed output what the configs produce?

Why: CI and the pre-commit hook run this. It renders in memory, writes nothing, and shows the
drift as a unified diff with the command that fixes it. Standard output carries the diff alone
(a patch a reviewer can apply); what is up to date or stale goes to standard error.
"""

from __future__ import annotations

import argparse
import sys

from generator.errors import EXIT_FAILED, EXIT_OK

HELP = "write nothing; exit 1 with a unified diff if an output folder is stale"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs and ``--output-dir``, as for ``generate``."""
    from generator.commands._modules import add_module_arguments

    add_module_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Diff every module against its folder; exit 1 if any differs."""
    from generator import output
    from generator.commands._modules import build_all, regenerate_command

    status = EXIT_OK
    for target in build_all(
        args.configs, args.output_dir, args.allow_replace, args.allow_shorter_retention
    ):
        text = output.diff(target.directory, target.module.files)
        if text:
            sys.stdout.write(text)
            print(
                f"{target.directory}: stale; run `{regenerate_command(args, target.config)}`",
                file=sys.stderr,
            )
            status = EXIT_FAILED
        else:
            print(f"{target.directory}: up to date", file=sys.stderr)
    return status
