"""discover's measurements for the cost estimate, read from CloudWatch metrics on a moto server.

moto keeps whatever metric data is put to it, so the tests publish the datapoints AWS would
publish for a log group and a bucket, then read them through the same session seam discover
uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from support.moto_server import REGION, aws_env, client, moto_url  # noqa: F401  (fixtures)

from generator.aws.measure import measure, measured_yaml
from generator.aws.session import Aws
from generator.config.yaml_source import load_yaml
from generator.sections.cost.model import Measured

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"
BUCKET = "aws-controltower-logs-987654321098-us-east-1"


def _put(url: str, namespace: str, name: str, dimensions: list[dict[str, str]],
         values: list[tuple[datetime, float]]) -> None:  # fmt: skip
    cloudwatch = client(url, "cloudwatch")
    for when, value in values:
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {"MetricName": name, "Dimensions": dimensions, "Timestamp": when, "Value": value}
            ],
        )


def test_intake_is_summed_over_30_days_and_size_is_the_latest_day(aws_env: Any) -> None:  # noqa: F811
    days = [NOW - timedelta(days=d, hours=1) for d in range(1, 41)]  # 40 days, 29 in the window
    _put(aws_env, "AWS/Logs", "IncomingBytes", [{"Name": "LogGroupName", "Value": GROUP}],
         [(day, 1_000_000.0) for day in days])  # fmt: skip
    size = [{"Name": "BucketName", "Value": BUCKET}, {"Name": "StorageType",
                                                       "Value": "StandardStorage"}]  # fmt: skip
    _put(aws_env, "AWS/S3", "BucketSizeBytes", size,
         [(NOW - timedelta(days=2), 5e9), (NOW - timedelta(days=1), 6e9)])  # fmt: skip
    found = measure(Aws(region=REGION), log_group=(GROUP, REGION), bucket=(BUCKET, REGION), now=NOW)
    window = [d for d in days if d >= NOW - timedelta(days=30)]
    assert found.log_group_incoming_bytes == 1_000_000 * len(window)
    assert found.bucket_standard_bytes == 6_000_000_000  # the newest day, not the average
    assert found.on == "2026-12-08" and found.notes == ()


def test_no_datapoint_is_not_zero_and_says_why(aws_env: Any) -> None:  # noqa: F811
    found = measure(Aws(region=REGION), log_group=(GROUP, REGION), bucket=(BUCKET, REGION), now=NOW)
    assert found.log_group_incoming_bytes is None and found.bucket_standard_bytes is None
    assert not found.any
    assert any("IncomingBytes of" in note and "no datapoint" in note for note in found.notes)
    assert any("BucketSizeBytes of" in note for note in found.notes)
    lines = measured_yaml(found)
    assert lines and all(line.startswith("#") for line in lines)  # only the reasons, as comments


def test_the_written_lines_are_a_valid_cost_measured_section(aws_env: Any) -> None:  # noqa: F811
    _put(aws_env, "AWS/Logs", "IncomingBytes", [{"Name": "LogGroupName", "Value": GROUP}],
         [(NOW - timedelta(days=2), 2048.0)])  # fmt: skip
    found = measure(Aws(region=REGION), log_group=(GROUP, REGION), bucket=None, now=NOW)
    text = "\n".join(measured_yaml(found))
    section = load_yaml(text, "cost.yaml").data["measured"]  # as the config loader reads it
    measured = Measured.model_validate(section)  # what the config model accepts
    assert measured.on == "2026-12-08"
    assert measured.log_group_incoming_bytes == 2048 and measured.bucket_standard_bytes is None
