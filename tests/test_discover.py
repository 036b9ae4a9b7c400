"""`orgtrail-gen discover` against a moto server, and the loop discover -> generate -> verify."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.moto_server import (  # noqa: F401  (fixtures)
    REGION,
    aws_env,
    client,
    deploy,
    error_response,
    fake_cloudwatch_delivery_status,
    fake_delegated_admins,
    moto_url,
    on_clients,
    seed_organization,
)

from generator.cli import main
from generator.hcl_parse import literal
from generator.pipeline import Module, build
from generator.preflight.policy_reading import ParsedStatement, statements, statements_from_json

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def org_only(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    # moto gap: ListDelegatedAdministrators refuses cloudtrail.amazonaws.com; faked at the seam.
    fake_delegated_admins(monkeypatch, [])
    return seed_organization(aws_env, members=2, trusted=False)


def discover(tmp_path: Path, *args: str) -> tuple[int, Path]:
    target = tmp_path / "configs" / "acme.yaml"
    return main(["discover", "-o", str(target), *args]), target


def test_new_organization_gives_a_config_the_generator_accepts(
    org_only: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, path = discover(tmp_path)
    assert code == 0, capsys.readouterr().err
    module = build(path)  # the written file is accepted as is
    assert module.stem == "acme"
    config = module.config
    assert config.organization.id == org_only.org_id
    assert config.organization.management_account_id == org_only.management
    assert config.organization.cloudtrail_trusted_access == "enable"
    assert config.bucket.create is True
    assert config.trail.home_region == REGION and config.trail.expected_regions[0] == REGION
    text = path.read_text(encoding="utf-8")
    assert f"{len(org_only.accounts)} accounts ({len(org_only.accounts)} active)" in text
    assert "Existing trails: none" in text
    out = capsys.readouterr().out
    assert f"orgtrail-gen {path}" in out


def test_trusted_access_already_enabled_is_asserted_not_managed(
    org_only: Any, tmp_path: Path
) -> None:
    client(org_only.url, "organizations").enable_aws_service_access(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )
    code, path = discover(tmp_path)
    assert code == 0
    assert build(path).config.organization.cloudtrail_trusted_access == "already_enabled"


def _existing_trail(org: Any, *, policy: bool, key: bool = True) -> str:
    s3 = client(org.url, "s3")
    s3.create_bucket(Bucket="legacy-trail-bucket")
    for region in ("us-east-1", "eu-west-1"):
        s3.put_object(
            Bucket="legacy-trail-bucket",
            Key=f"audit/AWSLogs/{org.org_id}/{org.management}/CloudTrail/{region}/2026/11/27/x.json.gz",
            Body=b"{}",
        )
    if policy:
        s3.put_bucket_policy(
            Bucket="legacy-trail-bucket",
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Keep",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{org.management}:root"},
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::legacy-trail-bucket/*",
                        }
                    ],
                }
            ),
        )
    logs = client(org.url, "logs")
    logs.create_log_group(logGroupName="legacy-trail")
    trail: dict[str, Any] = {
        "Name": "legacy-trail",
        "S3BucketName": "legacy-trail-bucket",
        "S3KeyPrefix": "audit",
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": True,
        "EnableLogFileValidation": False,
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{org.management}:log-group:legacy-trail:*",
        "CloudWatchLogsRoleArn": f"arn:aws:iam::{org.management}:role/service-role/LegacyDelivery",
    }
    key_arn = ""
    if key:
        key_arn = client(org.url, "kms").create_key()["KeyMetadata"]["Arn"]
        trail["KmsKeyId"] = key_arn
    client(org.url, "cloudtrail").create_trail(**trail)
    return key_arn


def test_existing_trail_is_adopted(org_only: Any, tmp_path: Path) -> None:
    key_arn = _existing_trail(org_only, policy=True)
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert config.trail.name == "legacy-trail"
    assert config.trail.s3_key_prefix == "audit"
    assert config.trail.regions == ["us-east-1", "eu-west-1"]  # where logs were delivered
    assert (config.bucket.name, config.bucket.create, config.bucket.existing_policy) == (
        "legacy-trail-bucket",
        False,
        "merge",
    )
    assert config.kms.key_arn == key_arn
    assert config.cloudwatch_logs is not None
    assert (config.cloudwatch_logs.log_group_name, config.cloudwatch_logs.role_name) == (
        "legacy-trail",
        "LegacyDelivery",
    )
    text = path.read_text(encoding="utf-8")
    assert (
        "create: false  # exists" in text
        and "existing_policy: merge  # it has a policy today" in text
    )
    assert "regions: regions with delivered logs" in text
    assert "the existing trail has log file validation off; the module turns it on" in text
    assert (
        "#   legacy-trail: organization trail, home us-east-1, bucket legacy-trail-bucket, prefix audit, key arn:aws:kms:"
        in text
    )
    assert "log group legacy-trail, role arn:aws:iam::" in text
    assert config.trail.enable_log_file_validation is True


def test_bucket_without_policy_is_replace(org_only: Any, tmp_path: Path) -> None:
    # data "aws_s3_bucket_policy" fails the plan on a bucket with no policy: merge is impossible.
    _existing_trail(org_only, policy=False, key=False)
    code, path = discover(tmp_path)
    assert code == 0
    config = build(path).config
    assert config.bucket.existing_policy == "replace"
    assert config.kms.key_arn is None
    assert "it has no policy today" in path.read_text(encoding="utf-8")


def test_control_tower_trail_is_recognised_and_its_cost_explained(
    org_only: Any, tmp_path: Path
) -> None:
    s3 = client(org_only.url, "s3")
    s3.create_bucket(Bucket="aws-controltower-logs-123456789012-us-east-1")
    client(org_only.url, "cloudtrail").create_trail(
        Name="aws-controltower-BaselineCloudTrail",
        S3BucketName="aws-controltower-logs-123456789012-us-east-1",
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
    )
    code, path = discover(tmp_path)
    assert code == 0
    text = path.read_text(encoding="utf-8")
    assert "aws-controltower-BaselineCloudTrail is Control Tower's organization trail" in text
    assert "second copy of management" in text
    config = build(path).config
    assert config.trail.name == "org-trail" and config.bucket.create is True


def test_delegated_administrators_are_listed(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # moto gap: ListDelegatedAdministrators for CloudTrail is faked at the seam.
    seed_organization(aws_env, members=1)
    fake_delegated_admins(monkeypatch, ["222222222222"])
    code, path = discover(tmp_path)
    assert code == 0
    assert "CloudTrail delegated administrators: 222222222222" in path.read_text(encoding="utf-8")


def test_never_overwrites_without_force(
    org_only: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "configs" / "acme.yaml"
    target.parent.mkdir()
    target.write_text("mine\n", encoding="utf-8")
    code, _ = discover(tmp_path)
    assert code == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine\n"
    code, _ = discover(tmp_path, "--force")
    assert code == 0
    assert "organization:" in target.read_text(encoding="utf-8")


def test_default_output_is_named_for_the_organization(
    org_only: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["discover"]) == 0
    assert (tmp_path / "configs" / f"{org_only.org_id}.yaml").is_file()


def test_access_denied_is_exit_3_and_writes_nothing(
    aws_env: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # moto server does not enforce IAM: DescribeOrganization's denial is faked at the seam.
    seed_organization(aws_env)

    def register(service: str, created: Any) -> None:
        if service == "organizations":
            created.meta.events.register(
                "before-send.organizations.DescribeOrganization",
                lambda **_: error_response(400, "AccessDeniedException", "not authorized"),
            )

    on_clients(monkeypatch, register)
    code, path = discover(tmp_path)
    assert code == 3
    assert "organizations:DescribeOrganization" in capsys.readouterr().err
    assert not path.exists()


def test_endpoint_url_option_wins_over_environment(
    org_only: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, _ = discover(tmp_path, "--endpoint-url", org_only.url)
    assert code == 0


def _normalised(stmts: list[ParsedStatement]) -> list[tuple[object, ...]]:
    return sorted(
        (
            s.sid,
            s.effect,
            s.actions,
            s.resources,
            tuple(sorted(s.principals)),
            tuple(sorted(s.conditions)),
        )
        for s in stmts
    )


def _assert_server_holds_what_the_module_describes(module: Module, url: str) -> None:
    """deploy() stands in for `terraform apply`: check it against the generated HCL itself."""
    parsed = module.parsed
    document = parsed.get("data.aws_iam_policy_document.cloudtrail_bucket")
    assert document is not None
    live_policy = client(url, "s3", module.config.trail.home_region).get_bucket_policy(
        Bucket=module.config.bucket.name
    )
    assert _normalised(statements(document)) == _normalised(
        statements_from_json(json.loads(live_policy["Policy"]))
    )
    (trail_block,) = parsed.of_type("resource", "aws_cloudtrail")
    trail = client(url, "cloudtrail", module.config.trail.home_region).get_trail(
        Name=module.config.trail.name
    )["Trail"]
    assert literal(trail_block.body["name"]) == trail["Name"]
    for argument, field in (
        ("is_organization_trail", "IsOrganizationTrail"),
        ("is_multi_region_trail", "IsMultiRegionTrail"),
        ("include_global_service_events", "IncludeGlobalServiceEvents"),
        ("enable_log_file_validation", "LogFileValidationEnabled"),
    ):
        assert trail_block.body[argument] == trail[field], argument


def test_discover_generate_verify_loop(
    org_only: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, path = discover(tmp_path)
    assert code == 0
    module = build(path)
    config = module.config
    assert main([str(path), "--output-dir", str(tmp_path / "output")]) == 0
    assert (tmp_path / "output" / "acme" / "cloudtrail.tf").is_file()
    # No Terraform here: create what the module describes, with trusted access it enables.
    client(org_only.url, "organizations").enable_aws_service_access(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )
    deploy(org_only, config)
    _assert_server_holds_what_the_module_describes(module, org_only.url)
    fake_cloudwatch_delivery_status(monkeypatch)
    capsys.readouterr()
    assert main(["verify", str(path), "--new-account-hours", "0"]) == 0, capsys.readouterr().out
    # One account stops delivering: its objects and streams go.
    gone = org_only.members[0]
    s3 = client(org_only.url, "s3")
    policy = s3.get_bucket_policy(Bucket=config.bucket.name)["Policy"]
    s3.delete_bucket_policy(Bucket=config.bucket.name)  # moto enforces its TLS deny on http
    listed = s3.list_objects_v2(
        Bucket=config.bucket.name, Prefix=f"AWSLogs/{config.organization.id}/{gone}/"
    )
    for entry in listed["Contents"]:
        s3.delete_object(Bucket=config.bucket.name, Key=entry["Key"])
    s3.put_bucket_policy(Bucket=config.bucket.name, Policy=policy)
    capsys.readouterr()
    assert main(["verify", str(path), "--new-account-hours", "0", "--json"]) == 1
    failed = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "fail"]
    assert [(r["check"], r["subject"]) for r in failed] == [
        ("S3 delivery", "organization"),
        ("S3 delivery", f"account {gone}"),
    ]


def test_commands_do_not_import_boto3_until_run() -> None:
    probe = (
        "import sys, argparse; from generator.commands import discover, verify; "
        "[m.configure(argparse.ArgumentParser()) for m in (discover, verify)]; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_written_yaml_is_plain_data() -> None:
    from generator.aws.config_yaml import _q

    for value in ("yes", "123", "a b", "#x", "/aws/cloudtrail/org", "o-abc"):
        assert yaml.safe_load(f"k: {_q(value)}") == {"k": value}


def test_long_region_lists_wrap_and_stay_one_list() -> None:
    from generator.aws.config_yaml import _flow_list

    regions = [f"region-{i:02d}" for i in range(20)]
    lines = _flow_list("  regions: ", regions, width=60)
    assert len(lines) > 1 and all(len(line) <= 60 for line in lines)
    assert yaml.safe_load("k:\n" + "\n".join(lines)) == {"k": {"regions": regions}}


def test_no_region_is_bad_input(
    org_only: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, path = discover(tmp_path)
    assert code == 2
    assert "--region" in capsys.readouterr().err
    assert not path.exists()
