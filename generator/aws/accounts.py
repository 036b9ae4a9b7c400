"""Checks that every ACTIVE account delivers, and delivered recently: S3 folders, log streams.

Why apart from the other checks: these are the ones that scale with the organization; they
read the listings of :mod:`generator.aws.delivery` once and compare them with the account list,
so an account is reported by id and name, a recent one as a note and a suspended one not at all.

"Delivers" means "delivered within the window" (``--delivery-age-hours``): an account whose
streams last received an event 400 days ago has a folder and streams, and still fails. The
per-account recency comes from the log streams' ingestion times (free with the listing); the S3
side is judged by the folder alone, and the report says so (see :mod:`generator.aws.delivery`).

Why the causes are worded as they are: an organization trail delivers for every member by
itself, through CloudTrail's service-linked role, which SCPs do not restrict. What AWS
documents can silence one account (aws-facts.md §11.5) is a region the account has not
enabled, the account being closed or leaving, or joining within the last day; an error on the
trail's own latest delivery is organization-wide. Where verify knows which one applies
(joined date, the trail's delivery error, an opt-in region), the fix says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from generator.aws.delivery import account_folders, log_prefix_of, stream_regions
from generator.aws.live import NOT_DEPLOYED, Live, Result, hours_ago
from generator.aws.session import NotFound

# Regions enabled by default in every account of the aws partition: those launched before
# 20 March 2019. A region launched since is opt-in: an account delivers there only after
# someone enabled the region in that account.
DEFAULT_ENABLED_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Gap:
    """What one account lacks: regions with no delivery at all, regions delivered too long ago."""

    missing: tuple[str, ...] = ()
    stale: tuple[tuple[str, timedelta | None], ...] = ()  # region, age (None: no event ever)
    text: str = ""


def _account_label(account: dict[str, Any]) -> tuple[str, str]:
    return str(account["Id"]), str(account.get("Name") or "")


def _joined(account: dict[str, Any], now: datetime) -> str:
    joined = account.get("JoinedTimestamp")
    if not isinstance(joined, datetime):
        return ""
    return f"joined {joined:%Y-%m-%d} ({hours_ago(now - joined)})"


def cause(live: Live, account: dict[str, Any], gap: Gap, *, error: str | None) -> str:
    """The fix for one silent account: the cause verify can tell, else the documented ones."""
    account_id = str(account["Id"])
    if error:
        return (
            f"the trail's latest delivery failed ({error}): the destination refuses CloudTrail "
            "for every account, not just this one; the trail status and policy rows above say "
            "which policy"
        )
    regions = list(gap.missing) + [region for region, _ in gap.stale]
    opt_in = [
        r for r in regions if live.arns.partition == "aws" and r not in DEFAULT_ENABLED_REGIONS
    ]
    stamp = account.get("JoinedTimestamp")
    joined = live.options.now - stamp if isinstance(stamp, datetime) else None
    parts: list[str] = []
    if opt_in:
        parts.append(
            f"{', '.join(opt_in)}: opt-in, the account delivers there only once the region is "
            "enabled in it (`aws account "
            f"list-regions --account-id {account_id}`), else drop it from trail.regions"
        )
    if joined is not None and joined < timedelta(hours=24):
        parts.append(
            f"it joined {hours_ago(joined)}: AWS can take up to 24 hours to start an organization "
            "trail's delivery for a new member"
        )
    if not parts:
        parts.append(
            "an organization trail delivers for every active member by itself (SCPs do not "
            "restrict its service-linked role); what AWS documents can stop one account: a "
            "region not enabled in it, the account being closed or leaving the organization "
            f"(`aws organizations describe-account --account-id {account_id}` shows its "
            "state), or joining within the last 24 hours"
            + (f"; it {_joined(account, live.options.now)}" if stamp else "")
        )
    return "; ".join(parts)


def _per_account(
    live: Live,
    check: str,
    gap_of: Callable[[str], Gap | None],
    expected: Callable[[str], str],
    *,
    verb: str,
    error: str | None,
) -> list[Result]:
    """One result per active account that does not deliver, a note if it joined recently."""
    active = live.active_accounts()
    skipped = len(live.accounts) - len(active)
    results: list[Result] = []
    delivering = 0
    for account in sorted(active, key=lambda a: str(a["Id"])):
        account_id, name = _account_label(account)
        gap = gap_of(account_id)
        if gap is None:
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
                    f"{gap.text}; joined {hours_ago(recent)}, not a failure yet",
                    account_id=account_id,
                    account_name=name,
                )
            )
        else:
            results.append(
                Result(
                    check,
                    f"account {account_id}",
                    "fail",
                    expected(account_id),
                    gap.text,
                    cause(live, account, gap, error=error),
                    account_id=account_id,
                    account_name=name,
                )
            )
    summary = f"{delivering} of {len(active)} active accounts {verb}"
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


def _not_judged(check: str, why: str) -> list[Result]:
    return [Result(check, "organization", "note", "every active account delivers", why)]


def check_s3_delivery(live: Live) -> list[Result]:
    """Every active account has a CloudTrail folder under ``[prefix/]AWSLogs/<org-id>/``.

    A missing bucket is the bucket policy row's to report (once, as "not deployed"); with no
    trail, nothing can have been delivered, and the trail row says so.
    """
    config = live.config
    if live.trail is None:
        return _not_judged("S3 delivery", "not judged: no trail is deployed")
    prefix = log_prefix_of(config)
    try:
        folders = account_folders(
            live.bucket_aws, live.home, config.bucket.name, prefix, live.progress
        )
    except NotFound:
        return []
    results = _per_account(
        live,
        "S3 delivery",
        lambda account: None if account in folders else Gap(text="no folder"),
        lambda account: f"s3://{config.bucket.name}/{prefix}{account}/CloudTrail/",
        verb="have a CloudTrail folder",
        error=live.trail_status.get("LatestDeliveryError"),
    )
    if config.cloudwatch_logs is None:
        results.append(
            Result(
                "S3 delivery",
                "recent delivery per account",
                "note",
                f"within {live.options.delivery_age_hours:g} h",
                "not checked: S3 keys carry the date only below <account>/CloudTrail/<region>/, "
                "so it would take one listing per account, region and day "
                f"({len(live.active_accounts()) * len(config.trail.expected_regions) * 2:,} "
                "calls here); the trail-wide last delivery above is checked. With "
                "cloudwatch_logs, each account x region is judged from its log stream",
            )
        )
    return results


def check_cloudwatch_delivery(live: Live) -> list[Result]:
    """Every active account has a stream for each region, with an event within the window."""
    config = live.config
    if config.cloudwatch_logs is None:
        return []
    group = config.cloudwatch_logs.log_group_name
    regions = config.trail.expected_regions
    groups = live.aws.pages(
        "logs", "describe_log_groups", region=live.home, logGroupNamePrefix=group
    )
    where = f"log group {group} in {live.home}"
    if not any(g["logGroupName"] == group for page in groups for g in page.get("logGroups", [])):
        missing_group = Result(
            "CloudWatch delivery",
            group,
            "fail",
            where,
            NOT_DEPLOYED,
            "run `terraform apply` (logs.tf)",
            layer="log group",
        )
        return [missing_group]
    exists = Result("CloudWatch delivery", group, "ok", where, "exists", layer="log group")
    if live.trail is None:
        return [exists, *_not_judged("CloudWatch delivery", "not judged: no trail is deployed")]
    streams = stream_regions(
        live.aws,
        group,
        config.organization.id,
        config.organization.management_account_id,
        live.progress,
        region=live.home,
        workers=live.options.workers,
    )
    window = timedelta(hours=live.options.delivery_age_hours)
    now = live.options.now

    def gap(account: str) -> Gap | None:
        found = streams.get(account, {})
        missing = tuple(r for r in regions if r not in found)
        stale: list[tuple[str, timedelta | None]] = []
        for region in regions:
            if region in found:
                when = found[region]
                age = now - when if when is not None else None
                if age is None or age > window:
                    stale.append((region, age))
        if not missing and not stale:
            return None
        texts = [f"no stream for {', '.join(missing)}"] if missing else []
        texts += [
            f"{region}: last delivery {hours_ago(age) if age is not None else 'never (no event)'}"
            for region, age in stale
        ]
        return Gap(missing, tuple(stale), "; ".join(texts))

    hours = f"{live.options.delivery_age_hours:g} h"
    per_account = _per_account(
        live,
        "CloudWatch delivery",
        gap,
        lambda account: (
            f"{group}: {config.organization.id}_{account}_CloudTrail_<region> for "
            f"{', '.join(regions)}, each with an event within {hours}"
        ),
        verb=f"delivered within {hours}",
        error=live.trail_status.get("LatestCloudWatchLogsDeliveryError"),
    )
    return [exists, *per_account]
