"""``orgtrail-gen generate CONFIG...``: the main job, also run as ``orgtrail-gen CONFIG...``.

Why: every config is built and checked before any folder is touched, and every folder is
planned before any is written, so a bad config or a foreign file anywhere writes nothing.
"""

from __future__ import annotations

import argparse

from generator.core.errors import EXIT_OK

HELP = "validate, render and preflight each CONFIG; write output/<config-stem>/ (or --output-dir)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs, ``--output-dir`` and ``--check`` (the same as the ``check`` command)."""
    from generator.commands._modules import add_module_arguments

    add_module_arguments(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a unified diff if a folder is stale (= `check`)",
    )


def run(args: argparse.Namespace) -> int:
    """Write every module, or compare them with what is on disk under ``--check``."""
    from generator import output
    from generator.commands import check
    from generator.commands._modules import build_all
    from generator.pipeline import rule_count

    if args.check:
        return check.run(args)
    targets = build_all(
        args.configs, args.output_dir, args.allow_replace, args.allow_shorter_retention
    )
    plans = [(target, output.plan(target.directory, target.module.files)) for target in targets]
    for target, change in plans:
        output.apply(target.directory, change)
        print(
            f"{target.directory}: {len(target.module.files)} files ({len(change.write)} written, "
            f"{len(change.delete)} removed), {target.module.resource_count} resources, "
            f"{rule_count()} preflight checks passed"
        )
    return EXIT_OK
