"""What `discover` writes about the costs of adopting: an SSE-S3 trail, a role's other policies.

Against a moto server, like tests/aws/test_discover.py (whose console-style trail it reuses).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from support.moto_server import aws_env, client, moto_url  # noqa: F401  (fixtures)
from test_discover import _existing_trail, discover, org_only  # noqa: F401  (fixtures)

from generator.cli import main
from generator.pipeline import build

SECOND_POLICY = "console-extra-grants"


def test_an_sse_s3_trail_and_a_roles_other_policies_are_written_down(
    org_only: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    _existing_trail(org_only, policy=True, key=False)
    iam = client(org_only.url, "iam")
    iam.put_role_policy(
        RoleName="LegacyDelivery",
        PolicyName=SECOND_POLICY,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )
    attached = iam.create_policy(
        PolicyName="ConsoleLogsAccess",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="LegacyDelivery", PolicyArn=attached)
    code, path = discover(tmp_path)
    assert code == 0
    text = path.read_text(encoding="utf-8")
    # The trail has no key today: the config says what switching to the created key costs, and
    # how to keep SSE-S3 instead.
    assert "# The trail writes with SSE-S3 today (S3-managed keys)." in text
    assert "needs kms:Decrypt" in text and "bucket.readers" in text
    assert "# kms:\n#   enabled: false\n" in text
    assert "kms" not in yaml.safe_load(text)  # commented: the default (a new key) stands
    module = build(path)
    role = module.config.adopt.role
    assert role is not None
    # Two inline policies: none is taken over, both are named as left on the role.
    assert role.inline_policy is None
    assert sorted(role.other_inline_policies) == sorted(
        ["Cloudtrail-CW-access-policy", SECOND_POLICY]
    )
    assert role.attached_policies == [attached]
    (warning,) = [w for w in module.warnings if w.startswith("aws_iam_role.cloudtrail_cloudwatch")]
    for name in (SECOND_POLICY, "Cloudtrail-CW-access-policy", attached):
        assert name in warning
    assert "keeps granting what it grants" in warning
    assert any("SSE-S3 (S3-managed keys) -> SSE-KMS" in w for w in module.warnings)


def test_the_adopted_log_group_and_bucket_are_measured_for_the_cost_estimate(
    org_only: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    _existing_trail(org_only, policy=True)
    cloudwatch = client(org_only.url, "cloudwatch")
    now = datetime.now(UTC)
    for days in (1, 2, 3):  # three days of intake, as CloudWatch Logs publishes it
        cloudwatch.put_metric_data(
            Namespace="AWS/Logs",
            MetricData=[
                {
                    "MetricName": "IncomingBytes",
                    "Dimensions": [{"Name": "LogGroupName", "Value": "legacy-trail"}],
                    "Timestamp": now - timedelta(days=days),
                    "Value": 1_000_000.0,
                }
            ],
        )
    code, path = discover(tmp_path)
    assert code == 0
    text = path.read_text(encoding="utf-8")
    config = build(path).config
    assert config.cost is not None and config.cost.measured is not None
    measured = config.cost.measured
    assert measured.log_group_incoming_bytes == 3_000_000
    assert measured.on == now.date().isoformat()
    # moto publishes BucketSizeBytes itself, as S3 does: the config holds its latest value.
    published = cloudwatch.get_metric_statistics(
        Namespace="AWS/S3",
        MetricName="BucketSizeBytes",
        Dimensions=[
            {"Name": "BucketName", "Value": "legacy-trail-bucket"},
            {"Name": "StorageType", "Value": "StandardStorage"},
        ],
        StartTime=now - timedelta(days=3),
        EndTime=now,
        Period=86400,
        Statistics=["Average"],
    )["Datapoints"]
    latest = max(published, key=lambda point: point["Timestamp"])
    assert measured.bucket_standard_bytes == int(latest["Average"])
    assert "bucket_standard_bytes:" in text and "# AWS/S3 BucketSizeBytes" in text
    # The estimate uses the measurement instead of events x bytes_per_event.
    estimate = main(["cost", str(path), "--json"])
    assert estimate == 0
