"""What discover measures for the cost estimate: a log group's intake and a bucket's size.

Why: the estimate's defaults (events per account and region, bytes per event) can be wrong by an
order of magnitude for a given organization; an existing trail's log group and bucket already
say what it really costs. Both come from CloudWatch metrics AWS publishes for free:
``AWS/Logs IncomingBytes`` per log group (a Sum per day, kept 15 months) and ``AWS/S3
BucketSizeBytes`` per bucket and storage class (one Average a day, in the bucket's region). A
metric with no datapoint - a new log group, a bucket younger than a day, no permission - is not
a zero: it is left out, with a note saying why, and the default stands.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from generator.aws.session import Aws
from generator.core.errors import AwsError

DAY = 86400
# The 30-day window IncomingBytes is summed over: what cost.measured.log_group_incoming_bytes means.
WINDOW_DAYS = 30
# BucketSizeBytes is published once a day, some hours after midnight UTC: three days back always
# holds the latest datapoint.
SIZE_LOOKBACK_DAYS = 3


class Measurements(NamedTuple):
    """What was measured (None: not measured), when, and why a measurement is missing."""

    on: str
    log_group_incoming_bytes: int | None
    bucket_standard_bytes: int | None
    notes: tuple[str, ...]

    @property
    def any(self) -> bool:
        """Whether anything was measured (else the config gets no ``cost.measured``)."""
        return self.log_group_incoming_bytes is not None or self.bucket_standard_bytes is not None


def _datapoints(aws: Aws, region: str, **params: Any) -> list[dict[str, object]] | str:
    """The datapoints of one metric, or why they could not be read."""
    try:
        answer = aws.call("cloudwatch", "get_metric_statistics", region=region, **params)
    except AwsError as exc:
        return str(exc)
    return list((answer or {}).get("Datapoints", []))


def incoming_bytes(aws: Aws, log_group: str, region: str, now: datetime) -> int | str:
    """``IncomingBytes`` of ``log_group`` summed over the last 30 days, or why it is unknown."""
    points = _datapoints(
        aws,
        region,
        Namespace="AWS/Logs",
        MetricName="IncomingBytes",
        Dimensions=[{"Name": "LogGroupName", "Value": log_group}],
        StartTime=now - timedelta(days=WINDOW_DAYS),
        EndTime=now,
        Period=DAY,
        Statistics=["Sum"],
    )
    if isinstance(points, str):
        return f"IncomingBytes of {log_group} could not be read: {points}"
    if not points:
        return f"IncomingBytes of {log_group} has no datapoint in the last {WINDOW_DAYS} days"
    return int(sum(float(str(p.get("Sum", 0))) for p in points))


def standard_bytes(aws: Aws, bucket: str, region: str, now: datetime) -> int | str:
    """The latest ``BucketSizeBytes`` (StandardStorage) of ``bucket``, or why it is unknown."""
    points = _datapoints(
        aws,
        region,
        Namespace="AWS/S3",
        MetricName="BucketSizeBytes",
        Dimensions=[
            {"Name": "BucketName", "Value": bucket},
            {"Name": "StorageType", "Value": "StandardStorage"},
        ],
        StartTime=now - timedelta(days=SIZE_LOOKBACK_DAYS),
        EndTime=now,
        Period=DAY,
        Statistics=["Average"],
    )
    if isinstance(points, str):
        return f"BucketSizeBytes of {bucket} could not be read: {points}"
    if not points:
        return (
            f"BucketSizeBytes of {bucket} has no datapoint in the last {SIZE_LOOKBACK_DAYS} "
            "days (S3 publishes it once a day, in the bucket's region)"
        )
    latest = max(points, key=lambda p: str(p.get("Timestamp", "")))
    return int(float(str(latest.get("Average", 0))))


def clock() -> datetime:
    """Now, in UTC: the window's end and the day written as ``measured.on``."""
    return datetime.now(UTC)


def measure(
    aws: Aws,
    *,
    log_group: tuple[str, str] | None,
    bucket: tuple[str, str] | None,
    now: datetime | None = None,
) -> Measurements:
    """Measure an existing ``(log group, region)`` and ``(bucket, region)``, each if given."""
    moment = now or clock()
    notes: list[str] = []
    ingest: int | None = None
    size: int | None = None
    if log_group is not None:
        value = incoming_bytes(aws, log_group[0], log_group[1], moment)
        ingest, notes = (value, notes) if isinstance(value, int) else (None, [*notes, value])
    if bucket is not None:
        value = standard_bytes(aws, bucket[0], bucket[1], moment)
        size, notes = (value, notes) if isinstance(value, int) else (None, [*notes, value])
    return Measurements(moment.date().isoformat(), ingest, size, tuple(notes))


def measured_yaml(found: Measurements, indent: str = "  ") -> list[str]:
    """The ``measured:`` lines of the ``cost:`` section (empty when nothing was measured)."""
    lines = [f"# {note}" for note in found.notes]
    if not found.any:
        return lines
    lines.append("measured:   # read by `orgtrail-gen discover`: replaces the estimates")
    lines.append(f'{indent}on: "{found.on}"             # quoted: YAML would read a date')
    if found.log_group_incoming_bytes is not None:
        lines.append(
            f"{indent}log_group_incoming_bytes: {found.log_group_incoming_bytes}"
            f"   # AWS/Logs IncomingBytes, Sum of the last {WINDOW_DAYS} days"
        )
    if found.bucket_standard_bytes is not None:
        lines.append(
            f"{indent}bucket_standard_bytes: {found.bucket_standard_bytes}"
            "   # AWS/S3 BucketSizeBytes, StandardStorage, latest day"
        )
    return lines
