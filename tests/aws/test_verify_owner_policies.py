"""Whether another's policy admits a request of this module, judged as IAM would, or ``unknown``.

The moto runs (tests/aws/test_verify_owner.py) show the rows; these show the verdicts a person
relies on when an owner's policy is not Control Tower's: a Deny that applies wins, a key's
account root admits a principal of another account but not one of its own (IAM decides there),
and what cannot be evaluated offline is never a pass.
"""

from __future__ import annotations

from typing import Any

from generator.aws.verify_owner_policies import Context, Judged, LivePolicy, Request

TRAIL = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-data-events"
OBJECT = "arn:aws:s3:::logs/o-abc/AWSLogs/o-abc/222222222222/CloudTrail/eu-west-1/x.json.gz"
CLOUDTRAIL: Context = {
    "aws:sourcearn": TRAIL,
    "aws:sourceaccount": "111111111111",
    "aws:sourceorgid": "o-abc",
    "aws:securetransport": "true",
    "s3:x-amz-acl": "bucket-owner-full-control",
}
WRITE = Request(("Service", "cloudtrail.amazonaws.com"), "s3:PutObject", OBJECT, CLOUDTRAIL, "")
READER = "arn:aws:iam::333333333333:role/Investigator"
DECRYPT = Request(
    ("AWS", READER),
    "kms:Decrypt",
    "*",
    {"kms:encryptioncontext:aws:cloudtrail:arn": TRAIL, "aws:principalarn": READER},
    "",
)


def judge(request: Request, *statements: dict[str, Any], home: str = "111111111111") -> Judged:
    return LivePolicy.of({"Version": "2012-10-17", "Statement": list(statements)}).judge(
        request, home
    )


def allow_write(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": "Write",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::logs/o-abc/AWSLogs/*",
        "Condition": condition,
    }


def test_an_allow_pinned_to_the_trail_admits_it_whatever_the_keys_case() -> None:
    assert judge(WRITE, allow_write({"StringEquals": {"AWS:SourceArn": TRAIL}})) == Judged(
        "yes", "allowed by Write"
    )
    other = TRAIL.replace("org-data-events", "aws-controltower-BaselineCloudTrail")
    refused = judge(WRITE, allow_write({"StringEquals": {"aws:SourceArn": other}}))
    assert refused == Judged("no", "allowed by no statement")


def test_a_deny_that_applies_wins_over_the_allow() -> None:
    deny = {
        "Sid": "OnlyOurOrganization",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::logs/*",
        "Condition": {"StringNotEquals": {"aws:SourceOrgID": "o-other"}},
    }
    allow = allow_write({"StringEquals": {"aws:SourceOrgID": "o-abc"}})
    assert judge(WRITE, allow, deny) == Judged("no", "denied by OnlyOurOrganization")
    tls = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert judge(WRITE, allow, tls).verdict == "yes"


def test_what_cannot_be_evaluated_offline_is_unknown_never_yes() -> None:
    paths = allow_write({"ForAnyValue:StringLike": {"aws:SourceOrgPaths": ["o-abc/*"]}})
    assert judge(WRITE, paths) == Judged("unknown", "statement Write (not evaluated offline)")
    vpc = allow_write({"StringEquals": {"aws:SourceVpce": "vpce-1"}})  # a key not modelled
    assert judge(WRITE, vpc).verdict == "unknown"
    not_principal = {
        "Sid": "DenyOthers",
        "Effect": "Deny",
        "NotPrincipal": {"Service": "config.amazonaws.com"},
        "Action": "s3:*",
        "Resource": "*",
    }
    pinned = allow_write({"StringEquals": {"aws:SourceArn": TRAIL}})
    assert judge(WRITE, pinned, not_principal) == Judged(
        "unknown", "statement DenyOthers (not evaluated offline)"
    )


def test_a_key_accounts_root_admits_another_accounts_reader_only() -> None:
    root = {
        "Sid": "ReaderAccount",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
        "Action": ["kms:Decrypt"],
        "Resource": "*",
    }
    # across accounts the reader's IAM policy must allow it whether the key names it or its root
    assert judge(DECRYPT, root, home="111111111111").verdict == "yes"
    # in the key's own account the root hands the decision to IAM, which verify does not read
    assert judge(DECRYPT, root, home="333333333333").verdict == "unknown"


def test_if_exists_and_null_read_an_absent_key_as_iam_does() -> None:
    acl_check = Request(
        ("Service", "cloudtrail.amazonaws.com"),
        "s3:GetBucketAcl",
        "arn:aws:s3:::logs",
        {**CLOUDTRAIL, "s3:x-amz-acl": None},
        "",
    )
    statement = {
        "Sid": "Acl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:GetBucketAcl",
        "Resource": "arn:aws:s3:::logs",
    }
    if_exists = {"StringEqualsIfExists": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    assert judge(acl_check, {**statement, "Condition": if_exists}).verdict == "yes"
    plain = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    assert judge(acl_check, {**statement, "Condition": plain}).verdict == "no"
    null = {"Null": {"s3:x-amz-acl": "true"}}
    assert judge(acl_check, {**statement, "Condition": null}).verdict == "yes"
