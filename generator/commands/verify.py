"""``orgtrail-gen verify CONFIG``: prove after apply that every account and region delivers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.aws.options import add_aws_arguments, session_from
from generator.errors import EXIT_FAILED, EXIT_OK

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
        help="parallel log-stream listings (default: 8)",
    )
    add_aws_arguments(
        parser, region_help="region of the session (default: the trail's home region in CONFIG)"
    )


def run(args: argparse.Namespace) -> int:
    """Load the config, run every check, print the report; exit 1 if any check failed."""
    from generator.aws.progress import Progress
    from generator.aws.report import as_json, table
    from generator.aws.verify import Options, verify
    from generator.config.loader import load_config

    config = load_config(args.config)
    aws = session_from(args, region=config.trail.home_region)
    options = Options(
        new_account_hours=args.new_account_hours,
        delivery_age_hours=args.delivery_age_hours,
        workers=max(1, args.workers),
    )
    results = verify(aws, config, options, Progress())
    sys.stdout.write(as_json(results, aws.calls) if args.json else table(results, aws.calls))
    return EXIT_FAILED if any(r.status == "fail" for r in results) else EXIT_OK
