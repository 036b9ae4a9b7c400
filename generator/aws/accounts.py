"""Checks that every ACTIVE account delivers: S3 folders and CloudWatch Logs streams.

Why apart from the other checks: these are the ones that scale with the organization; they
read the listings of :mod:`generator.aws.delivery` once and compare them with the account list,
so an account is reported by id, a recent one as a note and a suspended one not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from generator.aws.delivery import account_folders, log_prefix_of, stream_regions
from generator.aws.live import Live, Result, hours_ago
from generator.aws.session import NotFound

_UNDELIVERED_FIX = (
    "an organization trail covers every member by itself: look for an SCP that denies the "
    "account CloudTrail, and for the organization trail in `aws cloudtrail describe-trails` "
    "run in that account"
)


def _per_account(
    live: Live, check: str, missing_for: Callable[[str], str | None], expected: Callable[[str], str]
) -> list[Result]:
    """One result per active account that does not deliver, a note if it joined recently."""
    active = live.active_accounts()
    skipped = len(live.accounts) - len(active)
    results: list[Result] = []
    delivering = 0
    for account in sorted(active, key=lambda a: str(a["Id"])):
        account_id = str(account["Id"])
        missing = missing_for(account_id)
        if missing is None:
            delivering += 1
            continue
        recent = live.joined_recently(account)
        if recent is not None:
            results.append(
                Result(
                    check,
                    f"account {account_id}",
                    "note",
                    expected(account_id),
                    f"{missing}; joined {hours_ago(recent)}, not a failure yet",
                )
            )
        else:
            results.append(
                Result(
                    check,
                    f"account {account_id}",
                    "fail",
                    expected(account_id),
                    missing,
                    _UNDELIVERED_FIX,
                )
            )
    summary = f"{delivering} of {len(active)} active accounts deliver"
    failed = sum(1 for result in results if result.status == "fail")
    if len(results) > failed:
        summary += f"; {len(results) - failed} joined recently"
    if skipped:
        summary += f"; {skipped} suspended or closing skipped"
    results.insert(
        0,
        Result(
            check,
            "organization",
            "fail" if failed else "ok",
            f"{len(active)} active accounts",
            summary,
        ),
    )
    return results


def check_s3_delivery(live: Live) -> list[Result]:
    """Every active account has a CloudTrail folder under ``[prefix/]AWSLogs/<org-id>/``."""
    config = live.config
    prefix = log_prefix_of(config)
    try:
        folders = account_folders(
            live.bucket_aws, live.home, config.bucket.name, log_prefix_of(config), live.progress
        )
    except NotFound:
        missing_bucket = Result(
            "S3 delivery",
            config.bucket.name,
            "fail",
            f"bucket {config.bucket.name}",
            "no such bucket",
            "run `terraform apply` (s3.tf), or fix bucket.name",
        )
        return [missing_bucket]
    return _per_account(
        live,
        "S3 delivery",
        lambda account: None if account in folders else "no folder",
        lambda account: f"s3://{config.bucket.name}/{prefix}{account}/CloudTrail/",
    )


def check_cloudwatch_delivery(live: Live) -> list[Result]:
    """Every active account has a stream for each region of ``trail.regions``."""
    config = live.config
    if config.cloudwatch_logs is None:
        return []
    group = config.cloudwatch_logs.log_group_name
    regions = config.trail.expected_regions
    groups = live.aws.pages(
        "logs", "describe_log_groups", region=live.home, logGroupNamePrefix=group
    )
    if not any(g["logGroupName"] == group for page in groups for g in page.get("logGroups", [])):
        missing_group = Result(
            "CloudWatch delivery",
            group,
            "fail",
            f"log group {group} in {live.home}",
            "no such log group",
            "run `terraform apply` (logs.tf)",
        )
        return [missing_group]
    streams = stream_regions(
        live.aws,
        group,
        config.organization.id,
        config.organization.management_account_id,
        live.progress,
        region=live.home,
        workers=live.options.workers,
    )

    def missing(account: str) -> str | None:
        absent = [r for r in regions if r not in streams.get(account, set())]
        return f"no stream for {', '.join(absent)}" if absent else None

    return _per_account(
        live,
        "CloudWatch delivery",
        missing,
        lambda account: (
            f"{group}: {config.organization.id}_{account}_CloudTrail_<region> for "
            f"{', '.join(regions)}"
        ),
    )
