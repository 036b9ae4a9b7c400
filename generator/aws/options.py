"""The AWS arguments ``discover`` and ``verify`` share, declared once.

Why here and without boto3: command modules add these arguments at parser-build time, which
must stay cheap; the session is built (and boto3 imported) only when a command runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.aws.session import Aws


def add_aws_arguments(parser: argparse.ArgumentParser, *, region_help: str) -> None:
    """``--profile``, ``--region`` and ``--endpoint-url``; unset, botocore's environment applies."""
    group = parser.add_argument_group("AWS")
    group.add_argument(
        "--profile", help="named profile from ~/.aws/config (default: AWS_PROFILE or default)"
    )
    group.add_argument("--region", help=region_help)
    group.add_argument(
        "--endpoint-url",
        help="send every call to this endpoint, e.g. a moto server or LocalStack "
        "(default: AWS_ENDPOINT_URL, else AWS itself)",
    )


def session_from(args: argparse.Namespace, *, region: str | None = None) -> Aws:
    """The AWS session for parsed arguments; ``region`` applies when ``--region`` is absent."""
    from generator.aws.session import Aws

    return Aws(profile=args.profile, region=args.region or region, endpoint_url=args.endpoint_url)
