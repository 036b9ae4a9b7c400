"""Live policy JSON reaches the same preflight checks as generated HCL, with the same verdicts."""

from __future__ import annotations

import json
from pathlib import Path

from generator.check.preflight.policy_reading import statements_from_json
from generator.core.arns import Arns
from generator.render.policies import bucket_policy, key_policy
from generator.sections.bucket.rules import BucketPolicyTarget, bucket_policy_problems
from generator.sections.kms.rules import log_group_key_problems, trail_key_problems
from generator.sections.registry import arns_of, load_config

ROOT = Path(__file__).resolve().parents[2]


def _arns() -> Arns:
    return arns_of(load_config(ROOT / "configs" / "example.yaml"))


def _target(arns: Arns) -> BucketPolicyTarget:
    return BucketPolicyTarget(
        arns.partition, arns.org_id, arns.management_account_id, arns.bucket_name, None, arns.trail
    )


def test_generated_bucket_policy_as_json_passes_every_check() -> None:
    arns = _arns()
    document = json.loads(json.dumps(bucket_policy(arns).to_json()))
    assert bucket_policy_problems(statements_from_json(document), _target(arns)) == []


def test_json_shapes_aws_returns_are_read() -> None:
    # AWS collapses one-element lists to strings and writes Principal "*" as a string.
    arns = _arns()
    document = bucket_policy(arns).to_json()
    for statement in document["Statement"]:
        statement["Action"] = (
            statement["Action"][0] if len(statement["Action"]) == 1 else statement["Action"]
        )
        if statement.get("Principal", {}) != "*" and "Service" in statement.get("Principal", {}):
            statement["Principal"] = {"Service": statement["Principal"]["Service"][0]}
    assert bucket_policy_problems(statements_from_json(document), _target(arns)) == []


def test_lost_org_prefix_is_otg001() -> None:
    arns = _arns()
    document = bucket_policy(arns).to_json()
    document["Statement"] = [  # the organization's write grant, whatever its Sid
        s
        for s in document["Statement"]
        if not any(f"AWSLogs/{arns.org_id}/" in r for r in s.get("Resource", []))
    ]
    problems = bucket_policy_problems(statements_from_json(document), _target(arns))
    assert [p.rule for p in problems] == ["OTG001"]
    assert f"AWSLogs/{arns.org_id}/*" in problems[0].problem


def test_not_action_grants_nothing() -> None:
    arns = _arns()
    document = bucket_policy(arns).to_json()
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            statement["NotAction"] = statement.pop("Action")
    rules = {p.rule for p in bucket_policy_problems(statements_from_json(document), _target(arns))}
    assert {"OTG001", "OTG002", "OTG004"} <= rules


def test_generated_key_policy_as_json_admits_trail_and_log_group() -> None:
    arns = _arns()
    document = key_policy(
        arns,
        administrators=(arns.root(arns.management_account_id),),
        readers=(),
        log_group_name="/g",
    ).to_json()
    stmts = statements_from_json(document)
    assert (
        trail_key_problems(
            stmts,
            trail_arn=arns.trail,
            partition=arns.partition,
            management_account_id=arns.management_account_id,
            bucket_key=True,
        )
        == []
    )
    assert (
        log_group_key_problems(
            stmts, group_arn=arns.log_group("/g"), service="logs.us-east-1.amazonaws.com"
        )
        == []
    )
    assert (
        len(
            trail_key_problems(
                statements_from_json({"Statement": []}),
                trail_arn=arns.trail,
                partition="aws",
                management_account_id="1" * 12,
                bucket_key=False,
            )
        )
        == 2
    )


def _console_policy(arns: Arns, trail: str, key: str = "AWS:SourceArn") -> list[dict[str, object]]:
    """What today's console writes for ``trail`` (aws-facts.md 11.5): UUID Sids, AWS:SourceArn."""
    uuid = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    write = {"s3:x-amz-acl": "bucket-owner-full-control", key: trail}
    return [
        {"Sid": f"AWSCloudTrailAclCheck20150319-{uuid}", "Effect": "Allow",
         "Principal": cloudtrail, "Action": "s3:GetBucketAcl", "Resource": arns.bucket,
         "Condition": {"StringEquals": {key: trail}}},
        *({"Sid": f"AWSCloudTrail{name}Write20150319-{uuid}", "Effect": "Allow",
           "Principal": cloudtrail, "Action": "s3:PutObject",
           "Resource": arns.log_objects(owner), "Condition": {"StringEquals": write}}
          for name, owner in (("", arns.management_account_id), ("Organization", arns.org_id))),
    ]  # fmt: skip


def test_console_statements_spelling_aws_sourcearn_admit_the_trail() -> None:
    """IAM reads condition keys case-insensitively: the console's key is aws:SourceArn."""
    arns = _arns()
    tls = [s for s in bucket_policy(arns).to_json()["Statement"] if s["Effect"] == "Deny"]
    document = {"Statement": [*_console_policy(arns, arns.trail), *tls]}
    assert bucket_policy_problems(statements_from_json(document), _target(arns)) == []


def test_condition_operators_are_read_case_insensitively() -> None:
    arns = _arns()
    document = bucket_policy(arns).to_json()
    for statement in document["Statement"]:
        for test in list(statement.get("Condition", {})):
            statement["Condition"][test.lower()] = statement["Condition"].pop(test)
    assert bucket_policy_problems(statements_from_json(document), _target(arns)) == []


def test_another_trails_grant_is_no_problem_and_never_said_to_fail_createtrail() -> None:
    """An extra Allow pinned to another trail never makes CreateTrail fail."""
    arns = _arns()
    other = arns.trail.replace("trail/org-trail", "trail/console-trail")
    document = bucket_policy(arns).to_json()
    document["Statement"] += _console_policy(arns, other)
    assert bucket_policy_problems(statements_from_json(document), _target(arns)) == []


def test_an_unpinned_extra_grant_is_reported_without_blaming_createtrail() -> None:
    arns = _arns()
    document = bucket_policy(arns).to_json()
    unpinned = _console_policy(arns, arns.trail)[0]
    del unpinned["Condition"]
    document["Statement"].append(unpinned)
    (problem,) = bucket_policy_problems(statements_from_json(document), _target(arns))
    assert (problem.rule, problem.statement) == ("OTG003", unpinned["Sid"])
    assert "confused deputy" in problem.problem
    assert "CreateTrail" not in problem.problem and "Insufficient" not in problem.problem


def test_a_key_policy_spelling_aws_sourcearn_admits_the_trail() -> None:
    arns = _arns()
    document = key_policy(arns, administrators=(), readers=(), log_group_name=None).to_json()
    for statement in document["Statement"]:
        for pairs in statement.get("Condition", {}).values():
            if "aws:SourceArn" in pairs:
                pairs["AWS:SourceArn"] = pairs.pop("aws:SourceArn")
    problems = trail_key_problems(
        statements_from_json(document),
        trail_arn=arns.trail,
        partition=arns.partition,
        management_account_id=arns.management_account_id,
        bucket_key=True,
    )
    assert problems == []


def test_cloudtrail_needs_decrypt_only_when_the_bucket_uses_a_bucket_key() -> None:
    """CT-UG: with an S3 Bucket Key, CreateTrail/UpdateTrail need kms:Decrypt for CloudTrail.

    A key policy from before this rule (GenerateDataKey and DescribeKey only) is enough for
    a bucket without one, and must be reported for a bucket with one.
    """
    arns = _arns()
    document = key_policy(arns, administrators=(), readers=(), log_group_name=None).to_json()
    document["Statement"] = [
        s for s in document["Statement"] if s["Sid"] != "AllowCloudTrailDecryptWithBucketKey"
    ]
    stmts = statements_from_json(document)
    common = {
        "trail_arn": arns.trail,
        "partition": arns.partition,
        "management_account_id": arns.management_account_id,
    }
    assert trail_key_problems(stmts, bucket_key=False, **common) == []
    ((problem, fix),) = trail_key_problems(stmts, bucket_key=True, **common)
    assert "kms:Decrypt" in problem and "S3 Bucket Key" in problem
    assert "InsufficientEncryptionPolicyException" in problem
    assert fix == f"allow kms:Decrypt to cloudtrail.amazonaws.com with aws:SourceArn {arns.trail}"


def test_a_grant_pinned_to_the_account_is_no_confused_deputy() -> None:
    """The model and discover keep aws:SourceAccount grants: verify must not call them unpinned."""
    arns = _arns()
    document = bucket_policy(arns).to_json()
    by_account = _console_policy(arns, arns.trail)[0]
    by_account["Condition"] = {"StringEquals": {"AWS:SourceAccount": arns.management_account_id}}
    document["Statement"].append(by_account)
    assert bucket_policy_problems(statements_from_json(document), _target(arns)) == []


def test_each_fix_names_the_conditions_its_request_can_meet() -> None:
    """DescribeKey and Decrypt carry no CloudTrail encryption context: a fix that asked for one
    would write a statement that refuses them."""
    arns = _arns()
    problems = trail_key_problems(
        statements_from_json({"Statement": []}),
        trail_arn=arns.trail,
        partition=arns.partition,
        management_account_id=arns.management_account_id,
        bucket_key=True,
    )
    fixes = {fix.split()[1]: fix for _, fix in problems}
    assert set(fixes) == {"kms:GenerateDataKey", "kms:DescribeKey", "kms:Decrypt"}
    assert "encryption context" in fixes["kms:GenerateDataKey"]
    for action in ("kms:DescribeKey", "kms:Decrypt"):
        assert fixes[action].endswith(f"with aws:SourceArn {arns.trail}"), fixes[action]
