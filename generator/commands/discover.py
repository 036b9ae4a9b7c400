"""``orgtrail-gen discover``: write a config from the live organization."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.aws.options import add_aws_arguments, session_from
from generator.core.errors import EXIT_OK, UserError

HELP = "read the live organization and its trails (boto3) and write a config for it"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add discover's arguments."""
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="CONFIG",
        help="where to write the config (default: configs/<org-id>.yaml); its file name "
        "becomes the output folder's name",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite CONFIG if it exists (never by default)"
    )
    parser.add_argument(
        "--print-policy",
        action="store_true",
        help="print the read-only IAM policy discover needs and exit, without calling AWS",
    )
    add_aws_arguments(
        parser,
        region_help="home region for a new trail, and where the management account is read "
        "(default: AWS_DEFAULT_REGION or the profile's region); an existing trail keeps its own",
    )


def run(args: argparse.Namespace) -> int:
    """Discover, then write the config atomically; refuse to overwrite without --force."""
    from generator.aws.config_yaml import config_yaml, sorted_bucket_policy
    from generator.aws.discover import discover
    from generator.aws.trails import duplicate_warnings

    if args.print_policy:
        from generator.aws.permissions import discover_policy, printable

        sys.stdout.write(printable(discover_policy()))
        return EXIT_OK
    if args.output is not None and args.output.exists() and not args.force:
        raise UserError(f"{args.output} exists; pass --force to overwrite it")
    aws = session_from(args)
    found = discover(aws)
    target: Path = args.output or Path("configs") / f"{found.org_id}.yaml"
    if target.exists() and not args.force:
        raise UserError(f"{target} exists; pass --force to overwrite it")
    text = config_yaml(found)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from exc
    if found.owner is not None:
        adopted = f"beside {found.owner.managed_by}'s trail {found.owner.name}"
    else:
        adopted = f"adopted trail {found.adopted.name}" if found.adopted else "a new trail"
    print(
        f"{target}: organization {found.org_id}, {found.active_count} active accounts, "
        f"{adopted}, {len(found.regions)} regions from {found.regions_source} "
        f"({sum(aws.calls.values())} API calls); next: orgtrail-gen {target}"
    )
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in duplicate_warnings(found):
        print(f"warning: {warning}", file=sys.stderr)
    policy = sorted_bucket_policy(found)
    if policy is not None:
        for sid in policy.duplicate_sids:
            print(f"bucket policy: Sid {sid} appears more than once (the provider refuses "
                  "duplicate Sids at plan time)", file=sys.stderr)  # fmt: skip
        for drift in policy.drift:
            print(f"bucket policy drift: statement {drift.sid}: {drift.reason}", file=sys.stderr)
    return EXIT_OK
