"""Sorting a live bucket policy (discover) and comparing it with the config's (verify)."""

from __future__ import annotations

from typing import Any

from generator.aws.kept_statements import sort_statements, unproduced
from generator.core.constants import bucket_policy_sids

BUCKET = "b-logs"
TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"


def _grant(sid: str, **changes: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:GetBucketAcl",
        "Resource": f"arn:aws:s3:::{BUCKET}",
        "Condition": {"StringEquals": {"AWS:SourceArn": TRAIL}},
    }
    statement.update(changes)
    return {k: v for k, v in statement.items() if v is not None}


def _sort(*statements: dict[str, Any]) -> Any:
    return sort_statements(
        {"Statement": list(statements)},
        bucket=BUCKET,
        partition="aws",
        trail_arn=TRAIL,
        our_sids=bucket_policy_sids("org-trail"),
    )


def test_only_pinned_cloudtrail_grants_of_this_bucket_survive() -> None:
    result = _sort(
        _grant("AWSCloudTrailAclCheck20150319-1"),
        _grant("Unpinned", Condition=None),
        _grant("OtherBucket", Resource="arn:aws:s3:::elsewhere"),
        _grant("Reader", Principal={"AWS": "arn:aws:iam::222222222222:root"}),
        _grant("Wide", Action="s3:*"),
        _grant("CloudTrailOrgTrailAclCheck"),
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
    )
    assert [k.statement["Sid"] for k in result.kept] == ["AWSCloudTrailAclCheck20150319-1"]
    assert "this trail" in result.kept[0].reason
    assert result.ours == ("CloudTrailOrgTrailAclCheck",)
    assert [d.sid for d in result.drift] == [
        "Unpinned",
        "OtherBucket",
        "Reader",
        "Wide",
        "(no Sid)",
    ]
    assert all("bucket.kept_statements" in d.reason for d in result.drift)


def test_duplicate_sids_are_reported_and_read_once() -> None:
    result = _sort(_grant("Twice"), _grant("Twice", Action="s3:PutObject"))
    assert result.duplicate_sids == ("Twice",)
    assert [k.statement["Action"] for k in result.kept] == ["s3:GetBucketAcl"]
    assert [d.sid for d in result.drift] == ["Twice"]


def test_verify_compares_statements_as_iam_reads_them() -> None:
    expected = {
        "Statement": [
            _grant("A", Condition={"StringEquals": {"aws:SourceArn": [TRAIL]}}, Action=["s3:GetBucketAcl"]),
            _grant("R", Principal={"AWS": ["111111111111"]}, Action=["s3:ListBucket", "s3:GetObject"]),
        ]
    }  # fmt: skip
    live = {
        "Statement": [
            _grant("A", Condition={"stringequals": {"AWS:SourceArn": TRAIL}}),
            _grant("R", Principal={"AWS": "arn:aws:iam::111111111111:root"},
                   Action=["s3:GetObject", "s3:ListBucket"]),
            _grant("Added"),
            _grant("A2", Condition={"StringEquals": {"AWS:SourceArn": TRAIL + "x"}}),
        ]
    }  # fmt: skip
    assert unproduced(live, expected) == ["Added", "A2"]
