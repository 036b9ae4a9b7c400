"""``orgtrail-gen review PLAN.json``: judge what Terraform's plan will do to what is deployed.

Why beside ``check``: ``check`` and the evidence guard compare the regenerated module with the
committed one, which is what orgtrail-gen wrote. The plan (``terraform show -json
plan.tfplan``) is Terraform's own answer against the real state: drift, changes made by hand,
what a replacement does to the live resource. ``review`` refuses (exit 1) a plan that destroys
or replaces what holds evidence, shortens a retention, or turns logging down - with the same
rule ids and ``--allow-*`` names as ``generate`` - and ``--summary`` words the whole plan as
``check --summary`` words a change. Standard output carries the findings (or the summary, when
asked, and the findings then go to standard error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.errors import EXIT_FAILED, EXIT_OK, UserError

if TYPE_CHECKING:
    from generator.check.hcl_parse import ParsedModule
    from generator.check.preflight import OwnedElsewhere
    from generator.review.plan import Plan
    from generator.review.summary import ModuleSummary

# Attention items of the summary that refuse nothing but are printed with the findings.
_NOTES = {
    "changed-outside": "changed outside Terraform:",
    "not-from-config": "not from the config:",
}
HELP = "judge a Terraform plan (show -json) of the module: refuse what loses evidence or logging"


def configure(parser: argparse.ArgumentParser) -> None:
    """The plan, an optional config, the summary's shape and the flags that allow a finding."""
    parser.add_argument(
        "plan",
        metavar="PLAN",
        help="what `terraform show -json plan.tfplan` writes; - for standard input",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="CONFIG",
        help="the module's config: the summary then also names what the plan changes that the "
        "config's module does not declare",
    )
    parser.add_argument(
        "--summary",
        choices=("markdown", "json"),
        help="print what applying the plan does, in the words of `check --summary`, to "
        "standard output (the findings then go to standard error)",
    )
    parser.add_argument(
        "--summary-file", type=Path, metavar="PATH", help="write the summary to PATH instead"
    )
    for flag, what in (
        ("--allow-replace", "destroys or replaces (OTG040)"),
        ("--allow-shorter-retention", "shortens the retention of (OTG042)"),
        ("--allow-less-logging", "turns logging down on (OTG090-OTG092)"),
    ):
        parser.add_argument(
            flag,
            action="append",
            default=[],
            metavar="ADDRESS",
            help=f"accept that the plan {what} this resource (repeatable)",
        )


def run(args: argparse.Namespace) -> int:
    """Read the plan, judge it, print findings and summary; exit 1 on a finding not allowed."""
    from generator.review.plan import read
    from generator.review.plan_rules import findings
    from generator.review.plan_summary import summarize_plan

    if args.summary is None and args.summary_file is not None:
        raise UserError("--summary-file needs --summary markdown or json")
    plan = read(args.plan)
    label, module, owned = _config_module(args.config) if args.config else (None, None, None)
    found = findings(
        plan, args.allow_replace, args.allow_shorter_retention, args.allow_less_logging, owned
    )
    refused = [f for f in found if f.allowed_by is None]
    stream = sys.stderr if args.summary and args.summary_file is None else sys.stdout
    for finding in found:
        allowed = f" (allowed by {finding.allowed_by})" if finding.allowed_by else ""
        stream.write(f"{finding}{allowed}\n")
    summary = summarize_plan(plan, found, label, module)
    for item in summary.attention:
        if item.kind in _NOTES:
            stream.write(f"{_NOTES[item.kind]} {item.address}: {item.text}\n")
    if args.summary:
        _write_summary(summary, args.summary, args.summary_file)
    counts = _counts(plan)
    if refused:
        print(
            f"{plan.label}: refused: {len(refused)} finding(s) above ({counts}). Change the "
            "config and plan again, or name each change you mean with the flag its fix gives",
            file=stream,
        )
        return EXIT_FAILED
    print(f"{plan.label}: nothing refused ({counts})", file=stream)
    return EXIT_OK


def _counts(plan: Plan) -> str:
    tally = {"create": 0, "update": 0, "replace": 0, "destroy": 0}
    for change in plan.changes:
        if change.replaced:
            tally["replace"] += 1
        elif change.deleted:
            tally["destroy"] += 1
        elif change.created:
            tally["create"] += 1
        elif change.updated:
            tally["update"] += 1
    return ", ".join(f"{count} to {action}" for action, count in tally.items())


def _config_module(path: Path) -> tuple[str, ParsedModule, OwnedElsewhere | None]:
    """The config's label, its module built as ``controls`` builds it, its owner's (OTG093)."""
    import tempfile

    from generator.commands._modules import build_all
    from generator.core.paths import tree_label
    from generator.pipeline import owned_elsewhere

    with tempfile.TemporaryDirectory(prefix="orgtrail-gen-review-") as empty:
        (target,) = build_all([path], Path(empty), warn=False)
    config = target.module.config
    return tree_label(target.config, target.config), target.module.parsed, owned_elsewhere(config)


def _write_summary(summary: ModuleSummary, format_name: str, path: Path | None) -> None:
    from generator.commands._summary import render

    text = render([summary], format_name)
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"{path}: plan summary ({format_name}) written", file=sys.stderr)
