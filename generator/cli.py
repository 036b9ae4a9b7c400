"""The command line: subcommands dispatched to :mod:`generator.commands`, one error boundary.

Why: each command lives in its own module (``HELP``, ``configure(parser)``, ``run(args)``) and
only the one that runs is imported, so the main job never pays for the others (boto3 above
all). ``orgtrail-gen CONFIG...`` stays the main job: an argument that is an existing file or
ends in ``.yaml``/``.yml`` is a config, not a command. :func:`_guarded` is the one place that
turns a ``UserError`` into a message and its exit code; only ``--debug`` shows a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from generator import __version__
from generator.core.errors import EXIT_AWS, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, UserError

# Command name -> module. Adding a command is one line here plus its module.
COMMANDS = {
    "generate": "generator.commands.generate",
    "check": "generator.commands.check",
    "validate": "generator.commands.validate",
    "schema": "generator.commands.schema",
    "discover": "generator.commands.discover",
    "verify": "generator.commands.verify",
    "controls": "generator.commands.controls",
    "cost": "generator.commands.cost",
    "review": "generator.commands.review",
    "rehearse": "generator.commands.rehearse",
}
DEFAULT_COMMAND = "generate"
_GLOBAL_FLAGS = ("--debug",)
_CONFIG_SUFFIXES = (".yaml", ".yml")


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def _top_level_help() -> str:
    """Usage and the command list; imports each command module, which is cheap by contract."""
    width = max(map(len, COMMANDS))
    lines = [
        "usage: orgtrail-gen [--debug] COMMAND [ARGS...]",
        "       orgtrail-gen [--debug] CONFIG... [generate options]",
        "",
        "Turn one YAML config per AWS Organization into a hardened Terraform root module for",
        "its CloudTrail organization trail.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {_command_module(name).HELP}" for name in COMMANDS),
        "",
        "options:",
        "  -h, --help  show this help (`orgtrail-gen COMMAND --help` for a command's)",
        "  --version   show the version",
        "  --debug     show tracebacks (accepted anywhere on the line)",
        "",
        f"`orgtrail-gen CONFIG...` means `orgtrail-gen {DEFAULT_COMMAND} CONFIG...`: an argument",
        "that is an existing file or ends in .yaml/.yml is a config. Options go before or after",
        "the configs.",
        "Exit codes: 0 ok; 1 a preflight check, --check or a verification failed; 2 bad input",
        "(config, arguments, or a file in the output folder that orgtrail-gen did not write);",
        "3 an AWS API error.",
    ]
    return "\n".join(lines) + "\n"


def _is_config(argument: str) -> bool:
    return argument.endswith(_CONFIG_SUFFIXES) or Path(argument).is_file()


class _UnknownCommandError(UserError):
    def __init__(self, name: str) -> None:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = (
            f" (did you mean {close[0]!r}?)"
            if close
            else f"; commands: {', '.join(COMMANDS)}. A config must be an existing file or "
            "end in .yaml/.yml"
        )
        super().__init__(f"orgtrail-gen: unknown command {name!r}{hint}")


def _split(argv: list[str]) -> tuple[str | None, list[str]]:
    """Which command runs, and its arguments; None for the top-level flags alone.

    Raises:
        _UnknownCommandError: The first argument is neither a command nor a config.
    """
    for index, argument in enumerate(argv):
        if argument in _GLOBAL_FLAGS:
            continue
        if argument in COMMANDS:
            return argument, argv[:index] + argv[index + 1 :]
        if argument in ("-h", "--help", "--version"):
            return None, argv
        if argument.startswith("-") or _is_config(argument):
            return DEFAULT_COMMAND, argv
        raise _UnknownCommandError(argument)
    return None, argv


def _parser(name: str, module: ModuleType) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"orgtrail-gen {name}", description=module.HELP)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    module.configure(parser)
    return parser


def _guarded(debug: bool, action: Callable[[], int]) -> int:
    """The one error boundary: user errors print cleanly, bugs print a short report.

    botocore's errors (``ClientError``, ``BotoCoreError``: AWS refused or could not be reached)
    exit 3, recognised by their module so that commands without boto3 never import it.
    """
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
        if type(exc).__module__.partition(".")[0] == "botocore":  # no botocore import needed
            print(f"AWS error: {exc}", file=sys.stderr)
            return EXIT_AWS
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "(this is a bug in orgtrail-gen; run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``orgtrail-gen`` console script."""
    _utf8_streams()
    arguments = list(sys.argv[1:] if argv is None else argv)
    return _guarded("--debug" in arguments, lambda: _dispatch(arguments))


def _utf8_streams() -> None:
    """Print UTF-8 whatever the locale says.

    Why: a report (``check --summary``, ``controls``) is read by CI and posted to a pull request;
    under a latin-1 locale the same text came out as other bytes, or failed on its first
    arrow. Our output is UTF-8, as every file we write is.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() not in (
            "utf-8",
            "utf8",
        ):
            stream.reconfigure(encoding="utf-8")


def _dispatch(arguments: list[str]) -> int:
    name, rest = _split(arguments)
    if name is None:
        return _top_level(rest)
    module = _command_module(name)
    parser = _parser(name, module)
    try:
        args, unknown = parser.parse_known_intermixed_args(rest)
        if unknown:
            parser.error(_unrecognized(parser, unknown))
    except SystemExit as exc:  # argparse: --help, or a usage error (already printed)
        return EXIT_OK if exc.code in (0, None) else EXIT_BAD_INPUT
    return int(module.run(args))


def _unrecognized(parser: argparse.ArgumentParser, unknown: list[str]) -> str:
    """The "unrecognized arguments" error, with the nearest option for each misspelt one.

    Why: a misspelt command gets "did you mean"; a misspelt option (``--sumary``) got only
    the bare refusal, and the user had to compare it with the usage line letter by letter.
    Only the command's own options are offered, so the suggestion is always accepted there.
    """
    import difflib

    # argparse keeps its options in _actions only (the tests read them there too).
    options = [name for action in parser._actions for name in action.option_strings]
    nearest: dict[str, str] = {}
    for argument in unknown:
        given = argument.partition("=")[0]  # --sumary=json
        close = difflib.get_close_matches(given, options, n=1) if given.startswith("-") else []
        if close:
            nearest[given] = close[0]
    message = f"unrecognized arguments: {' '.join(unknown)}"
    if len(nearest) == 1:
        return f"{message} (did you mean {next(iter(nearest.values()))!r}?)"
    if nearest:
        pairs = ", ".join(f"{close!r} for {given!r}" for given, close in nearest.items())
        return f"{message} (did you mean {pairs}?)"
    return message


def _top_level(arguments: list[str]) -> int:
    """``orgtrail-gen``, ``--help`` or ``--version`` without a command."""
    if "--version" in arguments:
        print(f"orgtrail-gen {__version__}")
        return EXIT_OK
    if "-h" in arguments or "--help" in arguments:
        sys.stdout.write(_top_level_help())
        return EXIT_OK
    sys.stderr.write(_top_level_help())
    print("orgtrail-gen: error: a command or a config is required", file=sys.stderr)
    return EXIT_BAD_INPUT
