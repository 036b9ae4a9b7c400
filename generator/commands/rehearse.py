"""``orgtrail-gen rehearse CONFIG...``: apply each module to a local AWS emulator first.

Why: the preflight rules know what AWS checks at ``CreateTrail`` time, but only Terraform
itself, with the real provider, shows that ``init``, ``validate``, ``plan``, ``apply`` and a
second plan go through - and that the plan destroys nothing and the applied module does not
drift. ``rehearse`` runs exactly that, per module, against moto on 127.0.0.1 seeded from the
config (``generator.rehearse``, the code the test suite runs for every shipped module). What it
rehearses is the module in the output folder - what the user applies - and it refuses a stale
one (a rehearsal of something else proves nothing). It copies the module into a scratch folder,
never writes into the output folder, never uses the user's backend, state or credentials, and
prints a progress line per step and module to standard error; standard output gets one table.

Exit codes: 0 every module passed; 1 a module is stale or missing, or a step failed (with
Terraform's error text); 2 terraform, the mirror ``ORGTRAIL_TF_MIRROR`` names, or the emulator
(moto) is missing - one line each saying what to install or set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, UserError

if TYPE_CHECKING:
    from generator.commands._modules import Target
    from generator.rehearse.rehearsal import Rehearsal
    from generator.rehearse.tools import Tools

HELP = "run each module through real Terraform against a local AWS emulator (moto) before apply"


def configure(parser: argparse.ArgumentParser) -> None:
    """Configs, ``--output-dir`` as for ``generate``, ``--keep`` and ``--jobs``."""
    parser.add_argument(
        "configs",
        nargs="+",
        type=Path,
        metavar="CONFIG",
        help="config files (YAML); each one's module in the output folder is rehearsed",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="ROOT",
        help="rehearse ROOT/<config-stem>/ (default: output/ at the root of the config's "
        "working tree, where generate writes)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch folder (each module's copy, Terraform's working folder and "
        "state, the emulator's log) and print its path",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="rehearse N modules at once (default: all of them; each takes a minute or more, "
        "mostly waiting on the provider)",
    )
    parser.set_defaults(allow_replace=[], allow_shorter_retention=[])


def run(args: argparse.Namespace) -> int:
    """Refuse stale modules and missing tools, rehearse the rest, print the table."""
    from generator.commands._modules import build_all

    jobs = len(args.configs) if args.jobs is None else args.jobs
    if jobs < 1:
        raise UserError(f"--jobs must be 1 or more, not {jobs}")
    targets = build_all(args.configs, args.output_dir, warn=False)
    if not _up_to_date(args, targets):
        return EXIT_FAILED
    tools = _tools_or_none()
    if tools is None:
        return EXIT_BAD_INPUT
    rehearsals = _rehearse(args, targets, tools, jobs)
    return EXIT_OK if all(r.passed for r in rehearsals) else EXIT_FAILED


def _up_to_date(args: argparse.Namespace, targets: list[Target]) -> bool:
    """Whether every module in the output folder is what its config generates; say which not."""
    from generator import output
    from generator.commands._modules import regenerate_command

    fresh = True
    for target in targets:
        command = regenerate_command(args, target.config)
        if not output.generated_files(target.directory):
            print(f"{target.directory} is missing; run `{command}` first", file=sys.stderr)
            fresh = False
        elif output.diff(target.directory, target.module.files):
            print(
                f"{target.directory} is stale; run `{command}` first (`orgtrail-gen check` "
                "shows the diff): a module other than the config's proves nothing",
                file=sys.stderr,
            )
            fresh = False
    return fresh


def _tools_or_none() -> Tools | None:
    """Terraform (and the mirror, if one is named) and the emulator; else one line each."""
    import os

    from generator.rehearse.emulator import emulator_missing
    from generator.rehearse.tools import tool_problems

    tools, problems = tool_problems(os.environ, registry=True)
    lines = [f"orgtrail-gen rehearse: {problem}" for problem in problems]
    missing = emulator_missing()
    if missing is not None:
        lines.append(missing)
    for line in lines:
        print(line, file=sys.stderr)
    return None if lines else tools


def _rehearse(
    args: argparse.Namespace, targets: list[Target], tools: Tools, jobs: int
) -> list[Rehearsal]:
    """Every module in a thread of its own (at most ``jobs`` at once), in a scratch folder."""
    import os
    import shutil
    import tempfile
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from generator.rehearse.rehearsal import rehearse_module, report

    scratch = Path(tempfile.mkdtemp(prefix="orgtrail-rehearse-"))
    printing = threading.Lock()

    def progress(name: str, step: str, seconds: float, passed: bool) -> None:
        done = f"{seconds:.1f}s" if passed else f"FAILED after {seconds:.1f}s"
        with printing:
            print(f"{name}: {step} ... {done}", file=sys.stderr, flush=True)

    where = (
        f"hashicorp/aws {tools.provider_version} from {tools.mirror}"
        if tools.mirror is not None
        else "hashicorp/aws from the registry (no provider mirror found)"
    )
    print(
        f"rehearsing {len(targets)} module{'s' if len(targets) > 1 else ''}, {jobs} at a time, "
        f"with {tools.terraform} and {where}: a minute or more each",
        file=sys.stderr,
        flush=True,
    )
    environ = dict(os.environ)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="rehearse")
    try:
        futures = [
            pool.submit(
                rehearse_module,
                target.config.stem,
                target.config,
                target.directory,
                scratch,
                tools,
                environ=environ,
                progress=progress,
            )
            for target in targets
        ]
        rehearsals = [future.result() for future in futures]
    except BaseException:  # an interrupt: Terraform and the emulators stop with it
        pool.shutdown(wait=False, cancel_futures=True)
        print(f"stopped; the scratch folder is {scratch}", file=sys.stderr)
        raise
    pool.shutdown()
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.stdout.write(report(tools, rehearsals))
    if args.keep:
        print(f"scratch folder kept: {scratch}", file=sys.stderr)
    elif not all(r.passed for r in rehearsals):
        print(
            "the scratch folder was removed; `--keep` keeps it (Terraform's folder, the "
            "emulator's log)",
            file=sys.stderr,
        )
    return rehearsals
