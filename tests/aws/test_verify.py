"""`orgtrail-gen verify` against a moto server: a healthy deployment, then one failure each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    aws_env,
    client,
    deliver,
    deploy,
    error_response,
    fake_cloudwatch_delivery_status,
    moto_url,
    on_clients,
    seed_organization,
)

from generator.cli import main
from generator.render.policies import bucket_policy, key_policy
from generator.sections.registry import arns_of, load_config


def write_config(
    tmp_path: Path, org: Org, extra: str = "", *, regions: str = "[us-east-1, eu-west-1]"
) -> Path:
    path = tmp_path / "live.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: enable
trail:
  name: org-trail
  home_region: us-east-1
  regions: {regions}
bucket:
  name: live-org-cloudtrail-logs
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
{extra}""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def healthy(aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Org, Path]:
    org = seed_organization(aws_env)
    path = write_config(tmp_path, org)
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    return org, path


def run(path: Path, *args: str) -> int:
    return main(["verify", str(path), "--new-account-hours", "0", *args])


def test_healthy_deployment_exits_0(
    healthy: tuple[Org, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path = healthy
    assert run(path) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "all delivering" in out
    assert f"{len(org.accounts)} of {len(org.accounts)} active accounts deliver" in out


def test_json_report(healthy: tuple[Org, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _org, path = healthy
    assert run(path, "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True
    assert document["summary"]["fail"] == 0
    assert {"check", "subject", "status", "expected", "found", "fix"} <= set(document["results"][0])
    assert document["calls"]["organizations:ListAccounts"] >= 1


def test_account_that_never_delivered_is_named(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env)
    path = write_config(tmp_path, org)
    silent = org.members[1]
    deploy(org, load_config(path), accounts=[a for a in org.accounts if a != silent])
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path, "--json") == 1
    failed = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "fail"]
    subjects = {(r["check"], r["subject"]) for r in failed}
    assert ("S3 delivery", f"account {silent}") in subjects
    assert ("CloudWatch delivery", f"account {silent}") in subjects
    s3 = next(
        r for r in failed if r["subject"] == f"account {silent}" and r["check"] == "S3 delivery"
    )
    assert (
        s3["expected"] == f"s3://live-org-cloudtrail-logs/AWSLogs/{org.org_id}/{silent}/CloudTrail/"
    )
    assert s3["found"] == "no folder" and s3["fix"]


def test_missing_region_stream_is_a_failure(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    path = write_config(tmp_path, org)
    deploy(org, load_config(path))
    client(aws_env, "logs").delete_log_stream(
        logGroupName="/aws/cloudtrail/org",
        logStreamName=f"{org.org_id}_{org.members[0]}_CloudTrail_eu-west-1",
    )
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path) == 1
    out = capsys.readouterr().out
    assert f"account {org.members[0]}" in out and "no stream for eu-west-1" in out


def test_recently_joined_account_is_a_note_not_a_failure(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # moto stamps JoinedTimestamp with the creation time: every seeded account joined just now.
    org = seed_organization(aws_env)
    path = write_config(tmp_path, org)
    deploy(org, load_config(path), accounts=org.accounts[:-1])
    fake_cloudwatch_delivery_status(monkeypatch)
    assert main(["verify", str(path), "--json"]) == 0
    notes = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "note"]
    assert {r["subject"] for r in notes} == {f"account {org.accounts[-1]}"}
    assert "joined" in notes[0]["found"]


def test_suspended_accounts_are_skipped(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env)
    path = write_config(tmp_path, org)
    closed = org.members[0]
    deploy(org, load_config(path), accounts=[a for a in org.accounts if a != closed])
    client(aws_env, "organizations").close_account(AccountId=closed)
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path) == 0
    out = capsys.readouterr().out
    assert closed not in out
    assert "1 suspended or closing skipped" in out


def test_trail_not_logging(healthy: tuple[Org, Path], capsys: pytest.CaptureFixture[str]) -> None:
    org, path = healthy
    client(org.url, "cloudtrail").stop_logging(Name="org-trail")
    assert run(path) == 1
    out = capsys.readouterr().out
    assert "org-trail logging" in out and "stopped" in out and "start-logging" in out


def test_missing_trail(aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org = seed_organization(aws_env)
    path = write_config(tmp_path, org)
    client(aws_env, "s3").create_bucket(Bucket="live-org-cloudtrail-logs")
    assert run(path, "--json") == 1
    results = json.loads(capsys.readouterr().out)["results"]
    trail = next(r for r in results if r["check"] == "trail")
    assert trail["found"] == "not deployed" and trail["status"] == "fail"
    assert not [r for r in results if r["check"] == "trail status"]


def test_delivery_error(
    healthy: tuple[Org, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto never reports delivery errors: add one to its GetTrailStatus answer at the seam.
    _org, path = healthy
    fake_cloudwatch_delivery_status(monkeypatch, {"LatestDeliveryError": "AccessDenied"})
    assert run(path) == 1
    assert "S3 delivery error" in capsys.readouterr().out


def test_trusted_access_missing(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, trusted=False)
    path = write_config(tmp_path, org)
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path, "--json") == 1
    failed = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "fail"]
    assert [r["check"] for r in failed] == ["trusted access"]
    assert "enable-aws-service-access" in failed[0]["fix"]


def test_bucket_policy_that_lost_the_org_prefix(
    healthy: tuple[Org, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path = healthy
    document = bucket_policy(arns_of(load_config(path))).to_json()
    document["Statement"] = [  # the organization's write grant, whatever its Sid
        s
        for s in document["Statement"]
        if not any(f"AWSLogs/{org.org_id}/" in r for r in s.get("Resource", []))
    ]
    client(org.url, "s3").put_bucket_policy(
        Bucket="live-org-cloudtrail-logs", Policy=json.dumps(document)
    )
    assert run(path, "--json") == 1
    failed = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "fail"]
    assert [r["subject"] for r in failed] == ["live-org-cloudtrail-logs OTG001"]
    assert f"AWSLogs/{org.org_id}/*" in failed[0]["found"]


OTHER_TRAIL_WRITE = {  # today's console grant for another trail (aws-facts.md 11.5)
    "Sid": "AWSCloudTrailWrite20150319-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::live-org-cloudtrail-logs/AWSLogs/{mgmt}/*",
    "Condition": {
        "StringEquals": {
            "s3:x-amz-acl": "bucket-owner-full-control",
            "AWS:SourceArn": "arn:aws:cloudtrail:us-east-1:{mgmt}:trail/console-trail",
        }
    },
}


def _kept(org: Org, **changes: Any) -> dict[str, Any]:
    statement = json.loads(json.dumps(OTHER_TRAIL_WRITE).replace("{mgmt}", org.management))
    statement.update(changes)
    return {k: v for k, v in statement.items() if v is not None}


def _results(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return list(json.loads(capsys.readouterr().out)["results"])


def test_an_out_of_band_statement_is_drift_in_one_row(
    healthy: tuple[Org, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    org, path = healthy
    s3 = client(org.url, "s3")
    document = json.loads(s3.get_bucket_policy(Bucket="live-org-cloudtrail-logs")["Policy"])
    extra = [
        {"Sid": "HandAddedRead", "Effect": "Allow", "Principal": {"AWS": "999988887777"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::live-org-cloudtrail-logs/*"},
        {"Sid": "HandAddedList", "Effect": "Allow", "Principal": {"AWS": "999988887777"},
         "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::live-org-cloudtrail-logs"},
    ]  # fmt: skip
    document["Statement"] += extra
    s3.put_bucket_policy(Bucket="live-org-cloudtrail-logs", Policy=json.dumps(document))
    assert run(path, "--json") == 1
    failed = [r for r in _results(capsys) if r["status"] == "fail"]
    assert [r["check"] for r in failed] == ["bucket policy drift"]  # one row, listing both
    assert failed[0]["found"] == "not in the config: HandAddedRead, HandAddedList"
    assert "bucket.kept_statements" in failed[0]["fix"]


def test_kept_console_statements_are_neither_drift_nor_missing_their_source_arn(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The console writes AWS:SourceArn; IAM reads condition keys case-insensitively."""
    org = seed_organization(aws_env)
    kept = _kept(org)
    path = write_config(tmp_path, org, "")
    text = path.read_text(encoding="utf-8").replace(
        "  name: live-org-cloudtrail-logs\n",
        "  name: live-org-cloudtrail-logs\n  kept_statements:\n    - " + json.dumps(kept) + "\n",
    )
    path.write_text(text, encoding="utf-8")
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path, "--json") == 0, capsys.readouterr().out
    rows = {r["check"]: r for r in _results(capsys)}
    assert rows["bucket policy drift"]["status"] == "ok"
    assert rows["bucket policy"]["status"] == "ok"


def test_a_kept_statement_at_fault_is_fixed_in_the_config_not_by_apply(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env)
    kept = _kept(org)
    del kept["Condition"]["StringEquals"]["s3:x-amz-acl"]  # OTG005 on the kept statement
    path = write_config(tmp_path, org, "")
    text = path.read_text(encoding="utf-8").replace(
        "  name: live-org-cloudtrail-logs\n",
        "  name: live-org-cloudtrail-logs\n  kept_statements:\n    - " + json.dumps(kept) + "\n",
    )
    path.write_text(text, encoding="utf-8")
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path, "--json") == 1
    (failed,) = [r for r in _results(capsys) if r["status"] == "fail"]
    assert failed["subject"] == f"live-org-cloudtrail-logs OTG005 statement {kept['Sid']}"
    assert failed["fix"].startswith("edit bucket.kept_statements[0] in the config")
    assert "CreateTrail" not in failed["found"]


def test_existing_key_policy_is_checked(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    key = client(aws_env, "kms").create_key()["KeyMetadata"][
        "Arn"
    ]  # moto's default policy: root only
    path = write_config(tmp_path, org, f"kms:\n  key_arn: {key}\n")
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path, "--json") == 1
    failed = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "fail"]
    assert {r["check"] for r in failed} == {"key policy"}
    assert {r["subject"].split()[-1] for r in failed} == {"OTG031", "OTG032"}


@pytest.mark.parametrize("bucket_key", [False, True])
def test_an_existing_key_needs_decrypt_for_cloudtrail_only_with_an_s3_bucket_key(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bucket_key: bool,
) -> None:
    """CT-UG: a bucket with an S3 Bucket Key makes UpdateTrail need kms:Decrypt (OTG031).

    The key's policy is what this tool writes, less the Decrypt statement: verify reads the
    live bucket's encryption and reports the gap only when the bucket uses a Bucket Key.
    """
    org = seed_organization(aws_env, members=1)
    arns = arns_of(load_config(write_config(tmp_path, org)))  # the key does not change them
    document = key_policy(
        arns, administrators=(), readers=(), log_group_name="/aws/cloudtrail/org"
    ).to_json()
    document["Statement"] = [
        s for s in document["Statement"] if s["Sid"] != "AllowCloudTrailDecryptWithBucketKey"
    ]
    key = client(aws_env, "kms").create_key(Policy=json.dumps(document))["KeyMetadata"]["Arn"]
    path = write_config(tmp_path, org, f"kms:\n  key_arn: {key}\n")
    deploy(org, load_config(path))
    client(aws_env, "s3").put_bucket_encryption(
        Bucket="live-org-cloudtrail-logs",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    },
                    "BucketKeyEnabled": bucket_key,
                }
            ]
        },
    )
    fake_cloudwatch_delivery_status(monkeypatch)
    run(path, "--json")
    (row,) = [r for r in _results(capsys) if r["check"] == "key policy"]
    if not bucket_key:
        assert row["status"] == "ok", row
        return
    assert (row["status"], row["subject"]) == ("fail", f"{key} OTG031")
    assert "kms:Decrypt" in row["found"] and "S3 Bucket Key" in row["found"]


def test_access_denied_is_exit_3_naming_the_permission(
    healthy: tuple[Org, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto server does not enforce IAM: the denial is faked at the seam, for this one call.
    _org, path = healthy

    def register(service: str, created: Any) -> None:
        if service == "organizations":
            created.meta.events.register(
                "before-send.organizations.ListAccounts",
                lambda **_: error_response(400, "AccessDeniedException", "not authorized"),
            )

    on_clients(monkeypatch, register)
    assert run(path) == 3
    captured = capsys.readouterr()
    assert "organizations:ListAccounts" in captured.err and "access denied" in captured.err
    assert "all delivering" not in captured.out and "ok" not in captured.out


def test_throttling_is_retried(
    healthy: tuple[Org, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto never throttles: the first ListAccounts request is answered with a throttle at the seam.
    _org, path = healthy
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    sent: list[str] = []

    def throttle_once(**_: Any) -> Any:
        sent.append("x")
        return (
            error_response(400, "TooManyRequestsException", "Rate exceeded")
            if len(sent) == 1
            else None
        )

    def register(service: str, created: Any) -> None:
        if service == "organizations":
            created.meta.events.register("before-send.organizations.ListAccounts", throttle_once)

    on_clients(monkeypatch, register)
    assert run(path) == 0
    assert len(sent) == 2


def test_persistent_throttling_is_exit_3(
    healthy: tuple[Org, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _org, path = healthy

    def register(service: str, created: Any) -> None:
        if service == "organizations":
            created.meta.events.register(
                "before-send.organizations.ListAccounts",
                lambda **_: error_response(400, "TooManyRequestsException", "Rate exceeded"),
            )

    on_clients(monkeypatch, register)
    assert run(path) == 3
    assert "throttled" in capsys.readouterr().err


def test_bad_config_is_exit_2(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("organization: {}\n", encoding="utf-8")
    assert run(path) == 2
    assert "bad.yaml" in capsys.readouterr().err


def test_unreachable_endpoint_is_exit_3(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = Org(aws_env, "o-abcdefghij", "123456789012")
    path = write_config(tmp_path, org)
    assert run(path, "--endpoint-url", "http://127.0.0.1:9") == 3
    assert "describe" in capsys.readouterr().err.lower()


def test_calls_grow_with_accounts_per_page_not_accounts_times_regions(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    regions = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2"]
    org = seed_organization(aws_env, members=24)
    path = write_config(tmp_path, org, regions=f"[{', '.join(regions)}]")
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    assert run(path, "--json") == 0
    calls = json.loads(capsys.readouterr().out)["calls"]
    accounts, pairs = len(org.accounts), len(org.accounts) * len(regions)
    assert calls["s3:ListObjectsV2"] == 1  # 1,000 account folders per page
    assert calls["organizations:ListAccounts"] <= -(-accounts // 20)  # AWS: 20 per page
    # 11 stream prefixes (ten account-id digits + the management account's own form),
    # 50 streams per page: never one call per account or per account and region.
    assert calls["logs:DescribeLogStreams"] <= 11 + pairs // 50
    assert sum(calls.values()) < accounts < pairs


def test_no_progress_output_when_not_a_terminal(
    healthy: tuple[Org, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _org, path = healthy
    assert run(path) == 0
    assert "\r" not in capsys.readouterr().err


def test_progress_on_a_terminal() -> None:
    import io

    from generator.aws.progress import Progress

    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    progress.add("log streams", 50)
    progress.add("log streams", 25)
    progress.done()
    assert "\rverify: listed 75 log streams" in stream.getvalue()


def test_denied_stream_listing_in_a_worker_thread_is_exit_3(
    healthy: tuple[Org, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Denied inside the parallel stream listing: the error crosses the thread pool (faked at the seam).
    _org, path = healthy

    def register(service: str, created: Any) -> None:
        if service == "logs":
            created.meta.events.register(
                "before-send.cloudwatch-logs.DescribeLogStreams",
                lambda **_: error_response(400, "AccessDeniedException", "not authorized"),
            )

    on_clients(monkeypatch, register)
    assert run(path, "--json") == 3
    captured = capsys.readouterr()
    assert "logs:DescribeLogStreams" in captured.err
    assert captured.out == ""


def test_s3_only_trail_with_key_prefix(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = seed_organization(aws_env, members=2)
    path = tmp_path / "s3only.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
  s3_key_prefix: audit/trail
bucket:
  name: live-org-cloudtrail-logs
kms:
  enabled: false
""",
        encoding="utf-8",
    )
    silent = org.members[0]
    deploy(org, load_config(path), accounts=[a for a in org.accounts if a != silent])
    assert run(path, "--json") == 1
    results = json.loads(capsys.readouterr().out)["results"]
    assert not [r for r in results if r["check"] == "CloudWatch delivery"]
    failed = [r for r in results if r["status"] == "fail"]
    assert [(r["check"], r["subject"]) for r in failed] == [
        ("S3 delivery", "organization"),
        ("S3 delivery", f"account {silent}"),
    ]
    assert (
        failed[1]["expected"]
        == f"s3://live-org-cloudtrail-logs/audit/trail/AWSLogs/{org.org_id}/{silent}/CloudTrail/"
    )


def test_malformed_endpoint_url_is_exit_2(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, Org(aws_env, "o-abcdefghij", "123456789012"))
    assert run(path, "--endpoint-url", "not a url") == 2
    assert "--endpoint-url" in capsys.readouterr().err


def test_unknown_profile_is_exit_2(
    aws_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, Org(aws_env, "o-abcdefghij", "123456789012"))
    assert run(path, "--profile", "no-such-profile") == 2
    assert "no-such-profile" in capsys.readouterr().err
