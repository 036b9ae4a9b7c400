"""The command line: a thin layer of argument parsing over :mod:`generator.pipeline`.

Why: one error boundary turns every ``UserError`` into a clean message and its exit code; only
``--debug`` ever shows a traceback. Commands parse, call one core function, and print.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from generator import __version__
from generator.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, UserError

COMMANDS = ("validate", "schema")


def _generate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgtrail-gen",
        description=(
            "Render a CloudTrail organization-trail Terraform module for each CONFIG into "
            "OUTPUT_DIR/<config-stem>/. Other commands: validate CONFIG..., schema."
        ),
    )
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG")
    parser.add_argument(
        "--output-dir", type=Path, default=Path("output"), help="root folder (default: output)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if output is stale"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"orgtrail-gen {__version__}")
    return parser


def _generate(args: argparse.Namespace) -> int:
    from generator import output
    from generator.pipeline import build, rule_count

    modules = [build(path) for path in args.configs]  # every config checked before any write
    stems = [module.stem for module in modules]
    clashes = sorted({stem for stem in stems if stems.count(stem) > 1})
    if clashes:
        raise UserError(
            f"several configs would write {', '.join(clashes)}: each config needs its own "
            "file name, because it names its output folder"
        )
    status = EXIT_OK
    for module in modules:
        for warning in module.warnings:
            print(f"warning: {module.stem}: {warning}", file=sys.stderr)
    if args.check:
        for module in modules:
            directory = args.output_dir / module.stem
            text = output.diff(directory, module.files)
            if text:
                sys.stdout.write(text)
                print(f"{directory}: stale; run `orgtrail-gen` without --check", file=sys.stderr)
                status = EXIT_FAILED
            else:
                print(f"{directory}: up to date")
        return status
    # Plan every folder first: a foreign file anywhere means nothing is written anywhere.
    plans = [
        (module, output.plan(args.output_dir / module.stem, module.files)) for module in modules
    ]
    for module, change in plans:
        directory = args.output_dir / module.stem
        for warning in module.warnings:
            print(f"warning: {module.stem}: {warning}", file=sys.stderr)
        output.apply(directory, change)
        print(
            f"{directory}: {len(module.files)} files ({len(change.write)} written, "
            f"{len(change.delete)} removed), {module.resource_count} resources, "
            f"{rule_count()} preflight checks passed"
        )
    return status


def _validate(argv: Sequence[str]) -> int:
    from generator.config_loader import load_config

    parser = argparse.ArgumentParser(
        prog="orgtrail-gen validate", description="Check configs only."
    )
    parser.add_argument("configs", nargs="+", type=Path, metavar="CONFIG")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return _guarded(args.debug, lambda: _validate_all(args.configs, load_config))


def _validate_all(paths: list[Path], load: Callable[[Path], object]) -> int:
    failed: list[str] = []
    for path in paths:
        try:
            load(path)
            print(f"{path}: valid")
        except UserError as exc:
            failed.append(str(exc))
    if failed:
        raise UserError("\n".join(failed))
    return EXIT_OK


def _schema(argv: Sequence[str]) -> int:
    from generator.schema import config_schema

    argparse.ArgumentParser(
        prog="orgtrail-gen schema", description="Print the config's JSON Schema."
    ).parse_args(argv)
    sys.stdout.write(config_schema())
    return EXIT_OK


def _guarded(debug: bool, action: Callable[[], int]) -> int:
    """The one error boundary: user errors print cleanly, bugs print a short report."""
    try:
        return action()
    except UserError as exc:
        if debug:
            traceback.print_exc()
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "(this is a bug in orgtrail-gen; run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orgtrail-gen`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # --- discover/verify dispatch (branch aws); the subcommand CLI replaces it at merge ---
    if argv and argv[0] in ("discover", "verify"):
        import importlib

        command = importlib.import_module(f"generator.commands.{argv[0]}")
        parser = argparse.ArgumentParser(prog=f"orgtrail-gen {argv[0]}", description=command.HELP)
        command.configure(parser)
        parser.add_argument("--debug", action="store_true", help="show tracebacks")
        try:
            parsed = parser.parse_args(argv[1:])
        except SystemExit as exc:
            return EXIT_OK if exc.code == 0 else EXIT_BAD_INPUT
        return _guarded(parsed.debug, lambda: int(command.run(parsed)))
    # --- end of discover/verify dispatch ---
    try:
        if argv and argv[0] == "validate":
            return _validate(argv[1:])
        if argv and argv[0] == "schema":
            return _schema(argv[1:])
        args = _generate_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, or a usage error
        code = exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
        return EXIT_BAD_INPUT if code not in (EXIT_OK,) else EXIT_OK
    return _guarded(args.debug, lambda: _generate(args))
