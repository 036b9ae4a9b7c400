"""Who delivers: account folders in the bucket and log streams in the log group, at scale.

Why these listings: an organization of 5,000 accounts in 10 regions has 50,000 account/region
pairs. Asking about each pair is 50,000 calls; instead one S3 listing with a delimiter returns
every account folder (1,000 per page), and DescribeLogStreams by the organization's stream
prefix returns every stream (50 per page). The stream listing is split by the first digit of the
account id so that ten listings run in parallel (bounded by ``workers``).

Recency comes with the stream listing at no extra call: each stream carries
``lastIngestionTime`` and ``lastEventTimestamp``, so the latest delivery of every account x
region is known from the same pages (a Logs Insights ``stats max(@timestamp) by
recipientAccountId, awsRegion`` would be one more, slower call, scanning the events). The S3
side has no such field: its keys carry the date only below ``<account>/CloudTrail/<region>/``,
so judging S3 recency would take one listing per account, region and day (tens of thousands
of calls at 5,000 accounts); verify does not, and says so in its report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from generator.aws.progress import Progress
from generator.aws.session import Aws
from generator.sections.registry import Config

_STREAM = re.compile(
    r"^(?:o-[a-z0-9]+_)?(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+?)(?:_\d+)?$"
)


def log_prefix_of(config: Config) -> str:
    """``[prefix/]AWSLogs/<org-id>/``: where an organization trail writes every account."""
    key_prefix, org_id = config.trail.s3_key_prefix, config.organization.id
    return f"{key_prefix}/AWSLogs/{org_id}/" if key_prefix else f"AWSLogs/{org_id}/"


def account_folders(
    aws: Aws, region: str, bucket: str, prefix: str, progress: Progress
) -> set[str]:
    """Accounts with a ``CloudTrail`` folder under the organization's prefix.

    The delimiter is ``/CloudTrail``, not ``/``: each account then comes back once as
    ``.../<account>/CloudTrail`` if CloudTrail wrote anything for it (logs, or the digests that
    CloudTrail writes next to them), while a folder some other tool wrote does not count.
    Raises :class:`NotFound` when the bucket does not exist.
    """
    found: set[str] = set()
    for page in aws.pages(
        "s3",
        "list_objects_v2",
        region=region,
        missing=("NoSuchBucket",),
        Bucket=bucket,
        Prefix=prefix,
        Delimiter="/CloudTrail",
    ):
        entries = page.get("CommonPrefixes", [])
        for entry in entries:
            account = entry["Prefix"][len(prefix) :].split("/", 1)[0]
            if account.isdigit() and len(account) == 12:
                found.add(account)
        progress.add("account folders", len(entries))
    return found


def stream_regions(
    aws: Aws,
    log_group: str,
    org_id: str,
    management_account_id: str,
    progress: Progress,
    *,
    region: str,
    workers: int = 8,
) -> dict[str, dict[str, datetime | None]]:
    """Per account, each region with a CloudTrail log stream and its latest ingestion time.

    Organization streams are ``<org-id>_<account>_CloudTrail_<region>[_N]``; the management
    account's may also be ``<account>_CloudTrail_<region>`` (its own-account form), so that
    prefix is listed too. Several streams of one region (``_N``) count by the latest of them;
    None means streams exist but CloudWatch Logs reports no ingestion on any.
    """
    prefixes = [f"{org_id}_{digit}" for digit in "0123456789"]
    prefixes.append(f"{management_account_id}_CloudTrail_")

    def listing(prefix: str) -> Callable[[], list[dict[str, Any]]]:
        def run() -> list[dict[str, Any]]:
            streams: list[dict[str, Any]] = []
            for page in aws.pages(
                "logs",
                "describe_log_streams",
                region=region,
                logGroupName=log_group,
                logStreamNamePrefix=prefix,
            ):
                batch = page.get("logStreams", [])
                streams.extend(batch)
                progress.add("log streams", len(batch))
            return streams

        return run

    result: dict[str, dict[str, datetime | None]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(listing(prefix)) for prefix in prefixes]
        for future in futures:
            for stream in future.result():
                match = _STREAM.match(str(stream.get("logStreamName", "")))
                if match:
                    regions = result.setdefault(match["account"], {})
                    latest = regions.get(match["region"])
                    when = last_delivery(stream)
                    both = [t for t in (latest, when) if t is not None]
                    regions[match["region"]] = max(both) if both else None
    return result


def last_delivery(stream: dict[str, Any]) -> datetime | None:
    """When a stream last received an event: the later of its ingestion and event times.

    Both ``lastIngestionTime`` and ``lastEventTimestamp`` (epoch milliseconds) are updated
    eventually - AWS: "typically in less than an hour", rarely later (LogStream, CloudWatch
    Logs API reference) - so the later of the two is the best bound, and a window shorter
    than about an hour would call a delivering account stale.
    """
    times = [
        datetime.fromtimestamp(value / 1000, UTC)
        for value in (stream.get("lastIngestionTime"), stream.get("lastEventTimestamp"))
        if isinstance(value, int | float)
    ]
    return max(times) if times else None
