"""``orgtrail-gen check CONFIG...``: is the committed output what the configs produce?

Why: CI and the pre-commit hook run this. It renders in memory, writes nothing, and shows the
drift as a unified diff with the command that fixes it. Standard output carries the diff alone
(a patch a reviewer can apply); every summary - up to date, stale, missing, orphaned, and a
count of each module's warnings instead of the warnings themselves, which `generate` prints -
goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from generator.commands._modules import Target

HELP = "write nothing; exit 1 with a unified diff if an output folder is stale"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs and ``--output-dir``, as for ``generate``."""
    from generator.commands._modules import add_module_arguments

    add_module_arguments(parser)


def _orphans(args: argparse.Namespace, targets: list[Target]) -> list[Path]:
    """Generated folders beside the checked ones whose config file no longer exists.

    A folder is an orphan when it holds our generated ``*.tf`` files and no ``<name>.yaml`` or
    ``<name>.yml`` exists in any folder the checked configs came from: its module may still be
    applied, and deleting the folder would orphan that state, hence the advice to destroy first.
    """
    from generator import output

    roots = {target.directory.parent for target in targets}
    config_dirs = {config.parent for config in args.configs}
    checked = {target.directory.resolve() for target in targets}
    found = []
    for root in sorted(roots):
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if folder.resolve() in checked or not output.generated_files(folder):
                continue
            names = (f"{folder.name}.yaml", f"{folder.name}.yml")
            if not any((d / name).exists() for d in config_dirs for name in names):
                found.append(folder)
    return found


def run(args: argparse.Namespace) -> int:
    """Diff every module against its folder; exit 1 if any differs, is missing or orphaned."""
    from generator import output
    from generator.commands._modules import build_all, regenerate_command

    status = EXIT_OK
    targets = build_all(args.configs, args.output_dir, args.allow_replace, warn=False)
    for target in targets:
        command = regenerate_command(args, target.config)
        warnings = len(target.module.warnings)
        noted = (
            f" ({warnings} warning{'s' if warnings > 1 else ''}: `{command}` prints "
            + ("them)" if warnings > 1 else "it)")
            if warnings
            else ""
        )
        if not output.generated_files(target.directory):
            print(f"{target.directory} is missing; run `{command}`{noted}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        text = output.diff(target.directory, target.module.files)
        if text:
            sys.stdout.write(text)
            print(f"{target.directory}: stale; run `{command}`{noted}", file=sys.stderr)
            status = EXIT_FAILED
        else:
            print(f"{target.directory}: up to date{noted}", file=sys.stderr)
    for orphan in _orphans(args, targets):
        print(
            f"{orphan}: orphaned module (generated files, no config named {orphan.name}.yaml): "
            f"if it was applied, run `terraform destroy` in {orphan} first (or move its state), "
            "then delete the folder",
            file=sys.stderr,
        )
        status = EXIT_FAILED
    return status
