"""verify in the layouts: a log-archive account's bucket, a delegated administrator's trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    aws_env,
    client,
    deploy,
    fake_cloudwatch_delivery_status,
    moto_url,
    on_clients,
    seed_organization,
)

from generator.aws.progress import Progress
from generator.aws.session import Aws
from generator.aws.verify import Options, Result, verify
from generator.sections.registry import arns_of, load_config


def _record(monkeypatch: pytest.MonkeyPatch, event: str) -> list[dict[str, Any]]:
    """Record the parameters of every call named by ``event`` that the seam's clients make."""
    seen: list[dict[str, Any]] = []

    def register(service: str, created: Any) -> None:
        created.meta.events.register(event, lambda params, **_: seen.append(dict(params)))

    on_clients(monkeypatch, register)
    return seen


def _run(config_path: Path) -> tuple[Aws, list[Result]]:
    aws = Aws(region="us-east-1")
    config = load_config(config_path)
    return aws, verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))


def _s3_calls(aws: Aws) -> dict[str, int]:
    return {name: n for name, n in aws.calls.items() if name.startswith("s3:")}


def test_log_archive_bucket_is_read_through_the_assumed_role(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto resolves bucket names across accounts, so management credentials could read the
    # bucket too: the proof that verify used the role is the seam's per-session call counter.
    org = seed_organization(aws_env)
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/OrgTrailLogArchiveDeployer"
    path = tmp_path / "archive.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
bucket:
  name: archive-org-cloudtrail-logs
cloudwatch_logs:
  log_group_name: /org/cloudtrail
log_archive:
  account_id: "{archive}"
  role_arn: {role}
""",
        encoding="utf-8",
    )
    deploy(org, load_config(path))  # bucket and key created with the role's credentials
    fake_cloudwatch_delivery_status(monkeypatch)
    assumed = _record(monkeypatch, "before-parameter-build.sts.AssumeRole")

    aws, results = _run(path)

    assert [r for r in results if r.status == "fail"] == []
    assert [(a["RoleArn"], a["RoleSessionName"]) for a in assumed] == [
        (role, "orgtrail-gen-verify-org-trail")
    ]
    archive_session = aws.assumed[role]
    assert archive_session.call("sts", "get_caller_identity")["Account"] == archive  # type: ignore[index]
    # Every S3 call of the run (the totals count every session) went through the role.
    assert _s3_calls(aws) == _s3_calls(archive_session)
    assert _s3_calls(archive_session) == {"s3:GetBucketPolicy": 1, "s3:ListObjectsV2": 1}
    # The trail, its status and the log group stay the management account's.
    assert "cloudtrail:GetTrail" not in archive_session.calls
    assert "logs:DescribeLogStreams" not in archive_session.calls
    policy = next(r for r in results if r.check == "bucket policy")
    assert (policy.status, policy.found) == ("ok", "as expected")


def test_log_archive_existing_key_policy_is_read_through_the_role(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.moto_server import assumed_client

    org = seed_organization(aws_env, members=1)
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/Deployer"
    key = assumed_client(aws_env, "kms", role).create_key()["KeyMetadata"]["Arn"]
    assert key.split(":")[4] == archive  # moto created it in the log-archive account
    path = tmp_path / "archive-key.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
bucket:
  name: archive-org-cloudtrail-logs
kms:
  key_arn: {key}
log_archive:
  account_id: "{archive}"
  role_arn: {role}
""",
        encoding="utf-8",
    )
    deploy(org, load_config(path))
    aws, results = _run(path)
    assert aws.assumed[role].calls["kms:GetKeyPolicy"] == 1
    assert aws.calls["kms:GetKeyPolicy"] == 1  # the total: no other session asked
    # moto's default key policy admits only the account root: the findings are the trail's.
    assert {r.subject.split()[-1] for r in results if r.status == "fail"} == {"OTG031"}


def test_delegated_admin_trail_is_looked_up_by_the_management_accounts_arn(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto cannot create a trail as a CloudTrail delegated administrator (registration fails),
    # so the trail is created in the management account - where AWS records an organization
    # trail's owner in any case. What is asserted is what verify asks for.
    org = seed_organization(aws_env, members=2)
    admin = org.members[0]
    path = tmp_path / "delegated.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: security-org-trail
  home_region: us-east-1
bucket:
  name: delegated-org-cloudtrail-logs
delegated_admin:
  account_id: "{admin}"
  role_arn: arn:aws:iam::{admin}:role/OrgTrailAdministrator
  registered: true
""",
        encoding="utf-8",
    )
    config = load_config(path)
    deploy(org, config)
    get_trail = _record(monkeypatch, "before-parameter-build.cloudtrail.GetTrail")
    status = _record(monkeypatch, "before-parameter-build.cloudtrail.GetTrailStatus")

    aws, results = _run(path)

    management_arn = f"arn:aws:cloudtrail:us-east-1:{org.management}:trail/security-org-trail"
    assert arns_of(config).trail == management_arn
    assert [c["Name"] for c in get_trail] == [management_arn]
    assert [c["Name"] for c in status] == [management_arn]
    assert [r for r in results if r.status == "fail"] == []
    # No role is assumed: the management account reads the trail and its own bucket.
    assert aws.assumed == {} and "sts:AssumeRole" not in aws.calls


def test_bucket_policy_naming_the_delegated_admin_as_trail_owner_fails(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from generator.render.policies import bucket_policy

    org = seed_organization(aws_env, members=2)
    admin = org.members[0]
    path = tmp_path / "delegated.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: security-org-trail
  home_region: us-east-1
bucket:
  name: delegated-org-cloudtrail-logs
delegated_admin:
  account_id: "{admin}"
  role_arn: arn:aws:iam::{admin}:role/OrgTrailAdministrator
  registered: true
""",
        encoding="utf-8",
    )
    config = load_config(path)
    deploy(org, config)
    # The mistake users make: the policy's SourceArn names the account that created the trail.
    wrong = json.dumps(bucket_policy(arns_of(config)).to_json()).replace(
        f":{org.management}:trail/", f":{admin}:trail/"
    )
    client(aws_env, "s3").put_bucket_policy(Bucket="delegated-org-cloudtrail-logs", Policy=wrong)
    _aws, results = _run(path)
    failed = [r for r in results if r.status == "fail" and r.check == "bucket policy"]
    # Every CloudTrail grant is pinned to an ARN that is not the trail's (OTG003).
    assert [r.subject.split()[1] for r in failed] == ["OTG003"] * 3
    # ... and they are not the statements the config produces: drift.
    (drift,) = [r for r in results if r.check == "bucket policy drift"]
    assert drift.status == "fail" and "CloudTrailSecurityOrgTrailAclCheck" in drift.found
    assert {r.check for r in results if r.status == "fail"} == {
        "bucket policy",
        "bucket policy drift",
    }
