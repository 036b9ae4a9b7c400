"""``orgtrail-gen verify CONFIG``: prove after apply that every account and region delivers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.aws.options import add_aws_arguments, session_from
from generator.core.errors import EXIT_FAILED, EXIT_OK, UserError

if TYPE_CHECKING:
    from generator.sections.registry import Config

HELP = "check the deployed trail against CONFIG and that every active account delivers (boto3)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add verify's arguments."""
    parser.add_argument("config", type=Path, metavar="CONFIG", help="the config that was applied")
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON instead of a table"
    )
    parser.add_argument(
        "--new-account-hours",
        type=float,
        default=24.0,
        metavar="H",
        help="an account that joined less than H hours ago and has not delivered yet is a note, "
        "not a failure (default: 24)",
    )
    parser.add_argument(
        "--delivery-age-hours",
        type=float,
        default=24.0,
        metavar="H",
        help="the delivery window: the trail's last delivery and each account x region's latest "
        "log stream event must be at most H hours old (default: 24)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=8,
        metavar="N",
        help="how many of the 11 log-stream listings (one per first digit of the account id, "
        "plus the management account's own stream form) run at once (default: 8)",
    )
    parser.add_argument(
        "--print-policy",
        nargs="?",
        const="management",
        choices=("management", "log-archive"),
        help="print the least-privilege read-only IAM policy verify needs for CONFIG and exit, "
        "without calling AWS: the management account's credentials' (default), or that of "
        "the log-archive role verify assumes ('log-archive'): log_archive.verify_role_arn, "
        "else log_archive.role_arn",
    )
    add_aws_arguments(
        parser, region_help="region of the session (default: the trail's home region in CONFIG)"
    )


def run(args: argparse.Namespace) -> int:
    """Load the config, run every check, print the report; exit 1 if any check failed."""
    from generator.aws.progress import Progress
    from generator.aws.report import as_json, table
    from generator.aws.verify import Options, verify
    from generator.sections.registry import load_config

    config = load_config(args.config)
    if args.print_policy:
        return _print_policy(config, args.print_policy)
    aws = session_from(args, region=config.trail.home_region)
    options = Options(
        new_account_hours=args.new_account_hours,
        delivery_age_hours=args.delivery_age_hours,
        workers=max(1, args.workers),
    )
    results = verify(aws, config, options, Progress())
    sys.stdout.write(as_json(results, aws.calls) if args.json else table(results, aws.calls))
    return EXIT_FAILED if any(r.status == "fail" for r in results) else EXIT_OK


def _print_policy(config: Config, which: str) -> int:
    from generator.aws.permissions import log_archive_role_policy, printable, verify_policy

    policy = verify_policy(config) if which == "management" else log_archive_role_policy(config)
    if policy is None:
        raise UserError(
            "--print-policy log-archive: the config has no log_archive section; verify reads "
            "the bucket with the management account's credentials"
        )
    sys.stdout.write(printable(policy))
    if which == "log-archive" and config.log_archive is not None:
        archive = config.log_archive
        role = archive.verify_role_arn or f"{archive.role_arn} (log_archive.role_arn)"
        sys.stderr.write(
            f"the policy of {role}, the role verify assumes in the log-archive account"
            + (
                ""
                if archive.verify_role_arn
                else "; log_archive.verify_role_arn names a read-only one"
            )
            + "\n"
        )
    return EXIT_OK
