"""What ``generate`` and ``check`` share: their arguments, and building every config first.

Why: both commands take the same configs and ``--output-dir``, and both must report every
config's errors before deciding anything, so that one broken config never hides another's.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from generator.core.errors import CombinedError, UserError
from generator.core.paths import default_output_root
from generator.output import generated_files
from generator.pipeline import Module, build


def add_module_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of every command that renders modules."""
    parser.add_argument(
        "configs",
        nargs="+",
        type=Path,
        metavar="CONFIG",
        help="config files (YAML); each renders its own module, named after the file",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="ROOT",
        help="write each module to ROOT/<config-stem>/ (default: output/ at the root of the "
        "config's working tree - the nearest folder up with .git or pyproject.toml - else "
        "./output)",
    )
    parser.add_argument(
        "--allow-replace",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="let this run replace or remove a resource that holds logs (the trail, bucket, log "
        "group or key, e.g. aws_cloudtrail.org after a trail rename); repeat for several",
    )
    parser.add_argument(
        "--allow-shorter-retention",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="let this run shorten how long stored logs are kept, which deletes the older ones "
        "at apply (a log group's retention_in_days, the bucket's lifecycle expiration, its "
        "Object Lock retention; e.g. aws_cloudwatch_log_group.cloudtrail); repeat for several",
    )


class Target(NamedTuple):
    """One config's checked module and the folder it belongs in."""

    config: Path
    module: Module
    directory: Path


def _shown(path: Path) -> Path:
    """``path`` relative to the current directory when it lies below it, else absolute."""
    absolute = path.resolve()
    here = Path.cwd().resolve()
    return absolute.relative_to(here) if absolute.is_relative_to(here) else absolute


def _folder_clashes(configs: list[Path], output_root: Path | None) -> list[str]:
    """Folders two configs would both write: known from the file names alone, before any build.

    Why before: the file name, not the content, names the folder, so the clash is reported
    at once instead of after every config's preflight rules ran (and perhaps failed).
    """
    folders = Counter(
        _shown((output_root if output_root is not None else default_output_root(c)) / c.stem)
        for c in configs
    )
    return sorted(str(folder) for folder, count in folders.items() if count > 1)


def build_all(
    configs: list[Path],
    output_root: Path | None,
    allow_replace: list[str] | None = None,
    allow_shorter_retention: list[str] | None = None,
    *,
    warn: bool = True,
) -> list[Target]:
    """Build every config; raise one error holding every config's errors if any failed.

    Nothing may be written unless all configs pass, and two configs aimed at the same folder
    are refused (the file name, not the content, names the folder). ``warn``: print each
    module's warnings (``check`` counts them instead, so CI logs do not repeat them each run).
    """
    clashes = _folder_clashes(configs, output_root)
    if clashes:
        raise UserError(
            f"several configs would write {', '.join(clashes)}: each config needs its own "
            "file name, because it names its output folder; nothing was written"
        )
    targets: list[Target] = []
    failures: list[UserError] = []
    for config in configs:
        root = output_root if output_root is not None else default_output_root(config)
        folder = root / config.stem
        try:
            module = build(
                config,
                generated_files(folder),
                previous_label=str(folder),
                output_root=output_root,
                allow_replace=allow_replace or (),
                allow_shorter_retention=allow_shorter_retention or (),
            )
        except UserError as exc:
            failures.append(exc)
            continue
        targets.append(Target(config, module, _shown(folder)))
    if failures and len(configs) > 1:
        failures.append(
            UserError(f"{len(failures)} of {len(configs)} configs failed; nothing was written")
        )
    if failures:
        raise CombinedError(failures)
    for target in targets if warn else []:
        for warning in target.module.warnings:
            print(f"warning: {target.config}: {warning}", file=sys.stderr)
    return targets


def regenerate_command(args: argparse.Namespace, config: Path) -> str:
    """The command that brings ``config``'s folder up to date, as typed from here.

    Why every ``--allow-*`` option given: the check ran with them, and the same command
    without them is refused (OTG040/OTG042) - the hint must be the command that succeeds.
    Why quoted: it is meant to be pasted into a shell, and a config path or an address may
    hold spaces or quotes (``shlex.quote``, as the files' header does).
    """
    words = ["orgtrail-gen", str(config)]
    if args.output_dir:
        words += ["--output-dir", str(args.output_dir)]
    for option, addresses in (
        ("--allow-replace", args.allow_replace),
        ("--allow-shorter-retention", args.allow_shorter_retention),
    ):
        for address in dict.fromkeys(addresses):  # each once, in the order given
            words += [option, address]
    return shlex.join(words)
