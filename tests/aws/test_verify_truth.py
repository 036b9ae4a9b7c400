"""verify tells the truth: recent delivery, the wrong target, a module not yet applied, names,
causes that can be true, and a console-made trail; each asserts the report a user reads."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    age_streams,
    assumed_client,
    aws_env,
    client,
    deploy,
    fake_cloudwatch_delivery_status,
    moto_url,
    seed_organization,
)

from generator.cli import main
from generator.sections.registry import load_config


def write_config(tmp_path: Path, org: Org, extra: str = "", *, cloudwatch: bool = True) -> Path:
    path = tmp_path / "live.yaml"
    logs = "cloudwatch_logs:\n  log_group_name: /aws/cloudtrail/org\n" if cloudwatch else ""
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
  regions: [us-east-1, eu-west-1]
bucket:
  name: live-org-cloudtrail-logs
kms:
  enabled: false
{logs}{extra}""",
        encoding="utf-8",
    )
    return path


def verify(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify", str(path), "--new-account-hours", "0", *args])
    return code, capsys.readouterr().out


def verify_json(
    path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    code, out = verify(path, capsys, "--json", *args)
    return code, json.loads(out)


def fail_rows(out: str) -> int:
    return sum(line.startswith("FAIL ") for line in out.splitlines())


def failures(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in document["results"] if r["status"] == "fail"]


# 1. "Delivers" means "delivered recently".


def test_stale_account_fails_with_its_lag(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=3)
    path = write_config(tmp_path, org)
    config = load_config(path)
    deploy(org, config)
    stale = org.members[1]
    age_streams(org, config, stale, days=400)  # folder and streams exist, last event long ago
    fake_cloudwatch_delivery_status(monkeypatch)
    code, out = verify(path, capsys)
    assert code == 1
    assert "3 of 4 active accounts delivered within 24 h" in out
    row = next(line for line in out.splitlines() if f"account {stale}" in line)
    assert row.startswith("FAIL") and "CloudWatch delivery" in row
    assert "us-east-1: last delivery 400 days ago; eu-west-1: last delivery 400 days ago" in row
    assert fail_rows(out) == 2  # the organization's summary row and the stale account's

    # The window is the user's: 500 days admits the account.
    code, document = verify_json(path, capsys, "--delivery-age-hours", str(500 * 24))
    assert code == 0, failures(document)


def test_s3_only_config_says_what_recency_it_could_not_check(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = seed_organization(aws_env, members=2)
    path = write_config(tmp_path, org, cloudwatch=False)
    deploy(org, load_config(path))
    code, document = verify_json(path, capsys)
    assert code == 0
    note = next(r for r in document["results"] if r["subject"] == "recent delivery per account")
    assert note["status"] == "note"
    assert note["found"].startswith("not checked: S3 keys carry the date only below")
    assert "(12 calls here)" in note["found"]  # 3 accounts x 2 regions x 2 days


# 2. Stop early on the wrong target.


def test_wrong_organization_is_one_failure(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = seed_organization(aws_env, members=3)
    deploy(org, load_config(write_config(tmp_path, org)))
    other = Org(aws_env, "o-otherorg123", "210987654321")
    path = write_config(tmp_path, other)
    code, out = verify(path, capsys)
    assert code == 1
    assert fail_rows(out) == 1
    row = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert f"account {org.management} of organization {org.org_id}" in row
    assert "these credentials reach another organization" in out
    assert "terraform apply" not in out
    assert "skipped" in out


def test_member_account_credentials_are_one_failure(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=2)
    path = write_config(tmp_path, org)
    deploy(org, load_config(path))
    member = org.members[0]
    role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    keys = client(aws_env, "sts").assume_role(RoleArn=role, RoleSessionName="member")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["SessionToken"])
    code, document = verify_json(path, capsys)
    assert code == 1
    (failure,) = failures(document)
    assert failure["subject"] == "credentials"
    assert failure["found"].startswith(f"account {member}")
    assert f"credentials of account {org.management}" in failure["fix"]


def test_a_standalone_accounts_profile_is_named_with_the_account_the_config_expects(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The usual cause: --profile names another account's credentials, one in no organization.
    org = seed_organization(aws_env, members=1)
    path = write_config(tmp_path, org)
    standalone = "555555555555"
    role = f"arn:aws:iam::{standalone}:role/Admin"
    keys = client(aws_env, "sts").assume_role(RoleArn=role, RoleSessionName="me")["Credentials"]
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[sandbox]\naws_access_key_id = {keys['AccessKeyId']}\n"
        f"aws_secret_access_key = {keys['SecretAccessKey']}\n"
        f"aws_session_token = {keys['SessionToken']}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    code, document = verify_json(path, capsys, "--profile", "sandbox")
    assert code == 1
    (failure,) = failures(document)
    assert failure["found"] == f"account {standalone}, in no organization"
    fix = failure["fix"]
    assert "profile 'sandbox'" in fix and f"account {standalone}'s" in fix
    assert "standalone account" in fix
    assert f"management account {org.management} of organization {org.org_id}" in fix
    assert "the credentials you are using" not in fix


def test_the_management_account_in_no_organization_is_told_to_create_it(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The config names these very credentials' account, whose organization is gone.
    account = client(aws_env, "sts").get_caller_identity()["Account"]
    path = write_config(tmp_path, Org(aws_env, "o-deleted1234", account))
    code, document = verify_json(path, capsys)
    assert code == 1
    (failure,) = failures(document)
    assert "is the config's management account, but it is in no organization" in failure["fix"]
    assert "was deleted, or never created" in failure["fix"]
    assert "run verify with credentials" not in failure["fix"]


# 3. Before apply: "not deployed" once per layer, a layer summary, accounts with names.


MONITORING = """monitoring:
  notifications:
    topic:
      subscriptions: [{protocol: email, endpoint: security@example.com}]
"""


def test_module_not_yet_applied_says_not_deployed_once_per_layer(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = seed_organization(aws_env, members=3)
    path = write_config(tmp_path, org, MONITORING)
    code, out = verify(path, capsys)
    assert code == 1
    head = out.split("\n\n")[0].splitlines()
    assert head == [
        "LAYER         STATE",
        "organization  ok",
        "trail         not deployed",
        "bucket        not deployed",
        "log group     not deployed",
        "delivery      not judged",
        "monitoring    not deployed",
    ]
    assert fail_rows(out) == 4  # trail, bucket, log group, monitoring
    assert "pattern" not in out  # no filter patterns of metric filters that do not exist


def test_accounts_carry_their_names(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=2)
    path = write_config(tmp_path, org)
    silent = org.members[1]
    deploy(org, load_config(path), accounts=[a for a in org.accounts if a != silent])
    fake_cloudwatch_delivery_status(monkeypatch)
    code, out = verify(path, capsys)
    assert code == 1
    assert f"account {silent} (member1)" in out
    _code, document = verify_json(path, capsys)
    rows = [r for r in failures(document) if r["account_id"]]
    assert {(r["check"], r["account_id"], r["account_name"]) for r in rows} == {
        ("S3 delivery", silent, "member1"),
        ("CloudWatch delivery", silent, "member1"),
    }
    assert document["layers"]["delivery"] == "4 failed"  # 2 summaries, 2 accounts


# 4. Causes that can be true.


def test_silent_account_fix_names_documented_causes_not_scps(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=2)
    path = write_config(tmp_path, org)
    silent = org.members[0]
    deploy(org, load_config(path), accounts=[a for a in org.accounts if a != silent])
    fake_cloudwatch_delivery_status(monkeypatch)
    _code, document = verify_json(path, capsys)
    fixes = {r["fix"] for r in failures(document) if r["account_id"] == silent}
    assert fixes and all("look for an SCP" not in fix for fix in fixes)
    for fix in fixes:
        # moto stamps JoinedTimestamp now: the one cause verify can tell here is the join.
        assert "AWS can take up to 24 hours" in fix and "joined" in fix


def test_silent_account_in_an_opt_in_region_says_so(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    path = write_config(tmp_path, org)
    text = path.read_text(encoding="utf-8").replace(
        "[us-east-1, eu-west-1]", "[us-east-1, eu-west-1, af-south-1]"
    )
    path.write_text(text, encoding="utf-8")
    deploy(org, load_config(path))
    client(aws_env, "logs").delete_log_stream(
        logGroupName="/aws/cloudtrail/org",
        logStreamName=f"{org.org_id}_{org.members[0]}_CloudTrail_af-south-1",
    )
    fake_cloudwatch_delivery_status(monkeypatch)
    _code, document = verify_json(path, capsys)
    (row,) = [r for r in failures(document) if r["account_id"]]
    assert row["found"] == "no stream for af-south-1"
    assert row["fix"].startswith("af-south-1: opt-in, the account delivers there only once")
    assert f"list-regions --account-id {org.members[0]}" in row["fix"]


def test_trail_delivery_error_is_named_as_the_cause(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # moto never reports delivery errors: added to its GetTrailStatus answer at the seam.
    org = seed_organization(aws_env, members=2)
    path = write_config(tmp_path, org)
    silent = org.members[0]
    deploy(org, load_config(path), accounts=[a for a in org.accounts if a != silent])
    fake_cloudwatch_delivery_status(monkeypatch, {"LatestDeliveryError": "AccessDenied"})
    _code, document = verify_json(path, capsys)
    s3 = next(r for r in failures(document) if r["check"] == "S3 delivery" and r["account_id"])
    assert s3["fix"].startswith("the trail's latest delivery failed (AccessDenied)")


# 6. Degrade where an emulator lacks a field.


def test_missing_cloudwatch_fields_in_trail_status_are_a_note(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No fake here: moto's GetTrailStatus has no CloudWatch Logs delivery fields.
    org = seed_organization(aws_env, members=1)
    path = write_config(tmp_path, org)
    deploy(org, load_config(path))
    code, document = verify_json(path, capsys)
    assert code == 0, failures(document)
    row = next(
        r for r in document["results"] if r["subject"] == "org-trail last CloudWatch Logs delivery"
    )
    assert row["status"] == "note"
    assert "LatestCloudWatchLogsDeliveryTime" in row["expected"]


def test_discover_goes_on_where_moto_refuses_delegated_administrators(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No fake here: moto refuses ListDelegatedAdministrators for cloudtrail.amazonaws.com.
    seed_organization(aws_env, members=1)
    target = tmp_path / "found.yaml"
    assert main(["discover", "-o", str(target)]) == 0, capsys.readouterr().err
    assert (
        "# CloudTrail delegated administrators: not read: ListDelegatedAdministrators refused "
        "cloudtrail.amazonaws.com (an emulator such as moto does; AWS does not)"
    ) in target.read_text(encoding="utf-8")


# A console-made organization trail: ~40 accounts, the console's bucket policy.


def console_policy(org: Org, bucket: str, trail_arn: str) -> dict[str, Any]:
    """The bucket policy the CloudTrail console writes today (aws-facts.md §11.5)."""
    suffix = uuid.UUID(int=7)
    condition = {"StringEquals": {"AWS:SourceArn": trail_arn}}
    service = {"Service": "cloudtrail.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"AWSCloudTrailAclCheck20150319-{suffix}",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": condition,
            },
            {
                "Sid": f"AWSCloudTrailWrite20150319-{suffix}",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{org.management}/*",
                "Condition": {
                    "StringEquals": {
                        "AWS:SourceArn": trail_arn,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            },
            {
                "Sid": f"AWSCloudTrailOrganizationWrite20150319-{suffix}",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{org.org_id}/*",
                "Condition": {
                    "StringEquals": {
                        "AWS:SourceArn": trail_arn,
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            },
        ],
    }


def test_console_made_trail_of_forty_accounts(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=39)
    path = write_config(tmp_path, org)
    config = load_config(path)
    deploy(org, config)
    stale = org.members[7]
    age_streams(org, config, stale, days=400)
    trail_arn = f"arn:aws:cloudtrail:us-east-1:{org.management}:trail/org-trail"
    client(aws_env, "s3").put_bucket_policy(
        Bucket="live-org-cloudtrail-logs",
        Policy=json.dumps(console_policy(org, "live-org-cloudtrail-logs", trail_arn)),
    )
    fake_cloudwatch_delivery_status(monkeypatch)
    code, out = verify(path, capsys)
    assert code == 1
    head = out.split("\n\n")[0]
    assert "trail         ok" in head and "log group     ok" in head
    assert "OTG006" in out  # the console's policy does not deny plain HTTP
    assert "39 of 40 active accounts delivered within 24 h" in out
    stale_rows = [line for line in out.splitlines() if f"account {stale} (member7)" in line]
    assert len(stale_rows) == 1 and "400 days ago" in stale_rows[0]
    # Each account is reported at most once per check: 40 accounts, not 40 FAIL rows.
    assert fail_rows(out) < 10
