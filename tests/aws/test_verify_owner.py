"""verify in the companion layout: configs/control-tower.yaml beside a Control Tower landing zone.

The moto server is seeded the way Control Tower 4.0 leaves an organization, with the shipped
config's ids replaced by the server's: the trail aws-controltower-BaselineCloudTrail
(organization, multi-region, logging) in the management account; its bucket
aws-controltower-logs-<log archive>-<region> in the log-archive account, with a policy; its log
group aws-controltower/CloudTrailLogs-<suffix>; its key in the management account. Then what
the generated module adds: the trail of data events with the selectors cloudtrail.tf declares,
and the metric filters, alarms and topic monitoring.tf declares, read from the rendered HCL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    assumed_client,
    aws_env,
    client,
    moto_url,
    on_clients,
    seed_organization,
)
from test_permissions import called, lint
from test_verify_events import module_selectors

from generator.aws.live import Options, Result
from generator.aws.permissions import actions_of, log_archive_role_policy, verify_policy
from generator.aws.progress import Progress
from generator.aws.report import layers
from generator.aws.session import Aws
from generator.aws.verify import verify
from generator.check.hcl_parse import literal, literals, nested
from generator.cli import main
from generator.pipeline import build
from generator.sections.registry import Config, arns_of, facts_of, load_config

ROOT = Path(__file__).resolve().parents[2]
HOME = "eu-west-1"
CT_TRAIL = "aws-controltower-BaselineCloudTrail"
GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"
CT_KEY = re.compile(r"arn:aws:kms:eu-west-1:\d{12}:key/[0-9a-f-]+")
EVENTS = re.compile(r"  events:\n(?:    .*\n)+")


@dataclass
class Landing:
    """A Control Tower organization on the server, and the config beside it."""

    org: Org
    path: Path
    config: Config
    key: str
    owner_arn: str

    @property
    def bucket(self) -> str:
        return self.config.bucket.name

    @property
    def role(self) -> str:
        assert self.config.log_archive is not None
        return self.config.log_archive.role_arn

    def s3(self) -> Any:
        return assumed_client(self.org.url, "s3", self.role, HOME)

    def cloudtrail(self) -> Any:
        return client(self.org.url, "cloudtrail", HOME)


def _config(tmp_path: Path, org: Org, key: str, *, events: bool) -> Path:
    """configs/control-tower.yaml with the server's ids (and without trail.events if asked)."""
    text = (ROOT / "configs" / "control-tower.yaml").read_text(encoding="utf-8")
    for shipped, seeded in (
        ("210987654321", org.management),
        ("987654321098", org.members[0]),
        ("o-ctl4ndz0ne", org.org_id),
    ):
        text = text.replace(shipped, seeded)
    text = CT_KEY.sub(key, text)
    if not events:
        text, count = EVENTS.subn("", text)
        assert count == 1
    path = tmp_path / "control-tower.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def ct_bucket_policy(bucket: str, org_id: str) -> list[dict[str, Any]]:
    """Control Tower's log bucket policy (Control Tower User Guide): TLS only, the services'
    ACL check, and CloudTrail's writes pinned to the organization with aws:SourceOrgID."""
    arn = f"arn:aws:s3:::{bucket}"
    services = {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]}
    return [
        {
            "Sid": "AllowSSLRequestsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AWSBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": services,
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
        },
        {
            "Sid": "AWSBucketDeliveryForOrganizationTrail",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{arn}/{org_id}/AWSLogs/*/*",
            "Condition": {"StringEquals": {"aws:SourceOrgID": org_id}},
        },
    ]


def pinned_bucket_policy(landing: Landing) -> list[dict[str, Any]]:
    """A bucket policy that admits the owner's trail only (aws:SourceArn = its ARN), plus the
    statements s3.tf prints for this module's trail."""
    statements = ct_bucket_policy(landing.bucket, landing.org.org_id)
    statements[2]["Condition"] = {"StringEquals": {"aws:SourceArn": landing.owner_arn}}
    required = facts_of(landing.config, arns_of(landing.config)).required_bucket_statements
    assert required is not None
    return [*statements, *required.to_json()["Statement"]]


def ct_key_policy(landing: Landing) -> list[dict[str, Any]]:
    """Control Tower's key policy (the root, CloudTrail and Config), plus kms.tf's statements."""
    required = facts_of(landing.config, arns_of(landing.config)).required_key_statements
    return [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{landing.org.management}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow CloudTrail and AWS Config to encrypt/decrypt logs",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]},
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "*",
        },
        *required.to_json()["Statement"],
    ]


def put_bucket_policy(landing: Landing, statements: list[dict[str, Any]]) -> None:
    document = {"Version": "2012-10-17", "Statement": statements}
    landing.s3().put_bucket_policy(Bucket=landing.bucket, Policy=json.dumps(document))


def put_key_policy(landing: Landing, statements: list[dict[str, Any]]) -> None:
    document = {"Version": "2012-10-17", "Statement": statements}
    client(landing.org.url, "kms", HOME).put_key_policy(
        KeyId=landing.key, PolicyName="default", Policy=json.dumps(document)
    )


def _monitoring(landing: Landing) -> None:
    """The metric filters, alarms and topic monitoring.tf / notifications.tf declare."""
    parsed = build(landing.path).parsed
    sns = client(landing.org.url, "sns", HOME)
    (topic,) = parsed.of_type("resource", "aws_sns_topic")
    topic_arn = sns.create_topic(Name=literal(topic.body["name"]))["TopicArn"]
    for block in parsed.of_type("resource", "aws_sns_topic_subscription"):
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol=literal(block.body["protocol"]),
            Endpoint=literal(block.body["endpoint"]),
        )
    logs = client(landing.org.url, "logs", HOME)
    for block in parsed.of_type("resource", "aws_cloudwatch_log_metric_filter"):
        (transform,) = nested(block.body, "metric_transformation")
        logs.put_metric_filter(
            logGroupName=literal(block.body["log_group_name"]),  # the owner's, by its name
            filterName=literal(block.body["name"]),
            filterPattern=literal(block.body["pattern"]),
            metricTransformations=[
                {
                    "metricName": literal(transform["name"]),
                    "metricNamespace": literal(transform["namespace"]),
                    "metricValue": literal(transform["value"]),
                }
            ],
        )
    cloudwatch = client(landing.org.url, "cloudwatch", HOME)
    for block in parsed.of_type("resource", "aws_cloudwatch_metric_alarm"):
        body = block.body
        cloudwatch.put_metric_alarm(
            AlarmName=literal(body["alarm_name"]),
            Namespace=literal(body["namespace"]),
            MetricName=literal(body["metric_name"]),
            Statistic=literal(body["statistic"]),
            Period=body["period"],
            EvaluationPeriods=body["evaluation_periods"],
            Threshold=float(body["threshold"]),
            ComparisonOperator=literal(body["comparison_operator"]),
            TreatMissingData=literal(body["treat_missing_data"]),
            ActionsEnabled=body["actions_enabled"],
            AlarmActions=literals(body["alarm_actions"]) or [topic_arn],
        )


def landing_zone(
    url: str, tmp_path: Path, *, events: bool = True, live_group: str = GROUP
) -> Landing:
    """Control Tower's trail, bucket, key and log group; then what the module adds."""
    org = seed_organization(url, members=2)
    key = client(url, "kms", HOME).create_key()["KeyMetadata"]["Arn"]
    path = _config(tmp_path, org, key, events=events)
    config = load_config(path)
    owner = config.owner_trail
    assert owner is not None and owner.log_group_name == GROUP
    landing = Landing(org, path, config, key, owner.arn)
    s3 = landing.s3()
    s3.create_bucket(Bucket=landing.bucket, CreateBucketConfiguration={"LocationConstraint": HOME})
    for account in org.accounts:  # before the policy: moto enforces its TLS deny on http
        s3.put_object(
            Bucket=landing.bucket,
            Key=f"{org.org_id}/AWSLogs/{org.org_id}/{account}/CloudTrail/{HOME}/2026/11/27/"
            f"{account}_CloudTrail_{HOME}_20261127T1200Z_abcdefghijklmnop.json.gz",
            Body=b"{}",
        )
    put_bucket_policy(landing, ct_bucket_policy(landing.bucket, org.org_id))
    put_key_policy(landing, ct_key_policy(landing))
    logs = client(url, "logs", HOME)
    logs.create_log_group(logGroupName=GROUP)
    if live_group != GROUP:
        logs.create_log_group(logGroupName=live_group)
    cloudtrail = landing.cloudtrail()
    common = {
        "S3BucketName": landing.bucket,
        "S3KeyPrefix": org.org_id,
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": True,
        "EnableLogFileValidation": True,
        "KmsKeyId": key,
    }
    cloudtrail.create_trail(
        Name=CT_TRAIL,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME}:{org.management}:log-group:{live_group}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{org.management}:role/aws-controltower-CloudWatchLogsRole",
        **common,
    )
    cloudtrail.start_logging(Name=CT_TRAIL)
    if events:
        cloudtrail.create_trail(Name=config.trail.name, **common)
        cloudtrail.start_logging(Name=config.trail.name)
        advanced, _insights = module_selectors(path)
        cloudtrail.put_event_selectors(
            TrailName=arns_of(config).trail, AdvancedEventSelectors=advanced
        )
    _monitoring(landing)
    return landing


def run(landing: Landing) -> tuple[Aws, list[Result]]:
    aws = Aws(region=HOME)
    options = Options(new_account_hours=0)
    return aws, verify(aws, landing.config, options, Progress(enabled=False))


def rows(results: list[Result], check: str) -> list[Result]:
    return [r for r in results if r.check == check]


def failures(results: list[Result]) -> list[Result]:
    return [r for r in results if r.status == "fail"]


@pytest.fixture
def landing(aws_env: str, tmp_path: Path) -> Landing:  # noqa: F811
    return landing_zone(aws_env, tmp_path)


def test_beside_control_tower_every_row_passes_and_no_owners_layer_fails(landing: Landing) -> None:
    _aws, results = run(landing)
    assert failures(results) == []
    owner = {r.subject.removeprefix(f"{CT_TRAIL} "): r for r in rows(results, "owner trail")}
    assert set(owner) == {
        "organization trail",
        "multi-region",
        "logging",
        "delivery errors",
        "event selectors",
        "bucket",
        "key prefix",
        "KMS key",
        "log group",
    }
    assert owner["event selectors"].found == "every management event, read and write"
    # Control Tower's own statements admit this module's trail: aws:SourceOrgID pins CloudTrail's
    # writes to the organization, and its ACL check has no condition.
    bucket = {r.subject.split()[-1]: r for r in rows(results, "bucket statements")}
    assert {sid: r.status for sid, r in bucket.items()} == {
        "CloudTrailOrgDataEventsAclCheck": "ok",
        "CloudTrailOrgDataEventsWriteManagementAccount": "ok",
        "CloudTrailOrgDataEventsWriteOrganization": "ok",
    }
    assert bucket["CloudTrailOrgDataEventsWriteOrganization"].found == (
        "allowed by AWSBucketDeliveryForOrganizationTrail"
    )
    key = {r.subject.split()[-1]: r.status for r in rows(results, "key statements")}
    assert key == dict.fromkeys(
        [
            "AllowCloudTrailEncryptLogs",
            "AllowCloudTrailDescribeKey",
            "AllowCloudTrailDecryptWithBucketKey",
            "AllowLogReadersDecrypt",
        ],
        "ok",
    )
    # the layers that are Control Tower's are notes, not failures
    (drift,) = rows(results, "bucket policy drift")
    (group,) = rows(results, "CloudWatch delivery")
    assert (drift.status, group.status) == ("note", "note")
    assert drift.found.startswith("not applicable: existing_policy: keep")
    assert group.found.startswith(f"not applicable: the log group {GROUP}, its retention")
    assert layers(results)["log group"] == "not applicable"
    # the metric filters were read on Control Tower's log group
    (filters,) = [r for r in rows(results, "monitoring") if r.subject.startswith("metric filters")]
    assert (filters.subject, filters.status) == (f"metric filters on {GROUP}", "ok")
    assert rows(results, "bucket policy") == [] and rows(results, "key policy") == []


def test_a_policy_admitting_only_the_owners_trail_fails_where_a_printed_statement_is_missing(
    landing: Landing,
) -> None:
    statements = pinned_bucket_policy(landing)
    put_bucket_policy(landing, statements)
    _aws, results = run(landing)
    assert failures(results) == []
    write = "CloudTrailOrgDataEventsWriteOrganization"
    put_bucket_policy(landing, [s for s in statements if s["Sid"] != write])
    _aws, results = run(landing)
    (failed,) = failures(results)
    assert (failed.check, failed.subject) == ("bucket statements", f"{landing.bucket} {write}")
    assert failed.found.startswith(
        f"missing: s3:PutObject on arn:aws:s3:::{landing.bucket}/{landing.org.org_id}/AWSLogs/"
        f"{landing.org.org_id}/* (allowed by no statement)"
    )
    assert failed.fix.startswith(
        f"ask AWS Control Tower to add statement {write} from s3.tf to the policy of bucket "
        f"{landing.bucket}"
    )
    assert "InsufficientS3BucketPolicyException" in failed.fix


def test_a_condition_verify_cannot_evaluate_is_manual_not_a_pass(landing: Landing) -> None:
    statements = ct_bucket_policy(landing.bucket, landing.org.org_id)
    statements[2]["Condition"] = {
        "ForAnyValue:StringLike": {"aws:SourceOrgPaths": [f"{landing.org.org_id}/*"]}
    }
    put_bucket_policy(landing, statements)
    _aws, results = run(landing)
    assert failures(results) == []
    manual = [r for r in rows(results, "bucket statements") if r.status == "note"]
    assert [r.subject.split()[-1] for r in manual] == [
        "CloudTrailOrgDataEventsWriteManagementAccount",
        "CloudTrailOrgDataEventsWriteOrganization",
    ]
    assert all(r.found.startswith("manual: s3:PutObject on ") for r in manual)
    assert "statement AWSBucketDeliveryForOrganizationTrail (not evaluated offline)" in (
        manual[0].found
    )
    assert manual[0].fix.startswith(
        "verify cannot decide this offline: read statement AWSBucketDeliveryForOrganizationTrail"
    )


def test_a_missing_key_statement_names_the_statement_to_add(landing: Landing) -> None:
    statements = ct_key_policy(landing)
    put_key_policy(landing, [s for s in statements if s["Sid"] != "AllowLogReadersDecrypt"])
    aws, results = run(landing)
    (failed,) = failures(results)
    assert (failed.check, failed.subject) == (
        "key statements",
        f"{landing.key} AllowLogReadersDecrypt",
    )
    reader = f"arn:aws:iam::{landing.org.members[0]}:role/SecurityInvestigator"
    assert failed.found == f"missing: {reader} kms:Decrypt (allowed by no statement)"
    assert failed.fix == (
        f"ask AWS Control Tower to add statement AllowLogReadersDecrypt from kms.tf to the "
        f"policy of key {landing.key}: without it these readers cannot decrypt the logs "
        "(Athena's queries fail)"
    )
    # Control Tower's key is the management account's: read there, not through the role
    assert aws.calls["kms:GetKeyPolicy"] == 1
    assert "kms:GetKeyPolicy" not in aws.assumed[landing.role].calls


def test_a_changed_log_group_says_to_discover_again(
    aws_env: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    moved = "aws-controltower/CloudTrailLogs-n3w"
    landing = landing_zone(aws_env, tmp_path, live_group=moved)
    _aws, results = run(landing)
    (failed,) = failures(results)
    assert (failed.check, failed.subject) == ("owner trail", f"{CT_TRAIL} log group")
    group_arn = f"arn:aws:logs:{HOME}:{landing.org.management}:log-group:"
    assert (failed.expected, failed.found) == (f"{group_arn}{GROUP}", f"{group_arn}{moved}")
    assert "Control Tower names it aws-controltower/CloudTrailLogs-<random suffix>" in failed.fix
    assert "run `orgtrail-gen discover`" in failed.fix
    assert f"set owner_trail.log_group_arn to {group_arn}{moved}:*" in failed.fix


def test_a_stopped_owner_trail_fails_with_the_command_that_starts_it(landing: Landing) -> None:
    landing.cloudtrail().stop_logging(Name=CT_TRAIL)
    _aws, results = run(landing)
    (failed,) = failures(results)
    assert (failed.subject, failed.found) == (f"{CT_TRAIL} logging", "stopped")
    assert failed.fix.startswith(
        f"ask AWS Control Tower to start it (`aws cloudtrail start-logging --name "
        f"{landing.owner_arn}`)"
    )


def test_the_owners_trail_is_no_duplicate_a_third_management_trail_is(landing: Landing) -> None:
    _aws, results = run(landing)
    (alone,) = rows(results, "duplicate trails")
    assert (alone.status, alone.found) == ("ok", "none")
    landing.cloudtrail().create_trail(Name="legacy-console-trail", S3BucketName=landing.bucket)
    _aws, results = run(landing)
    (copy,) = rows(results, "duplicate trails")
    legacy = f"arn:aws:cloudtrail:{HOME}:{landing.org.management}:trail/legacy-console-trail"
    assert (copy.status, copy.subject) == ("note", f"{legacy} (managed by unknown)")
    assert copy.expected == f"only {CT_TRAIL} (AWS Control Tower) records the management events"
    assert copy.fix.startswith("a paid copy of the management events")


def test_without_trail_events_the_owners_trail_is_the_one_delivering(
    aws_env: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    landing = landing_zone(aws_env, tmp_path, events=False)
    asked: list[str] = []

    def register(service: str, created: Any) -> None:
        created.meta.events.register(
            "before-parameter-build.cloudtrail.GetTrail",
            lambda params, **_: asked.append(params["Name"]),
        )

    on_clients(monkeypatch, register)
    _aws, results = run(landing)
    assert failures(results) == []
    assert asked == [landing.owner_arn]  # this module's trail does not exist: never asked for
    (trail,) = rows(results, "trail")
    assert trail.found.startswith("not applicable: trail.events is not set")
    (bucket,) = rows(results, "bucket statements")
    assert bucket.found.startswith("not applicable: this module creates no trail")
    # Control Tower's trail delivers for every account: judged from its folders
    (summary,) = [r for r in rows(results, "S3 delivery") if r.subject == "organization"]
    assert summary.status == "ok" and summary.found.startswith("3 of 3 active accounts")
    key = {r.subject.split()[-1]: r.status for r in rows(results, "key statements")}
    assert key == {"AllowLogReadersDecrypt": "ok"}


@pytest.mark.parametrize("events", [True, False], ids=["data-event trail", "no trail"])
def test_print_policy_is_the_calls_verify_makes_beside_control_tower(
    aws_env: str,  # noqa: F811
    tmp_path: Path,
    events: bool,
) -> None:
    landing = landing_zone(aws_env, tmp_path, events=events)
    aws, _results = run(landing)
    role_policy = log_archive_role_policy(landing.config)
    assert role_policy is not None
    assert called(aws.assumed[landing.role]) == actions_of(role_policy)
    management = verify_policy(landing.config)
    assert called(aws) == actions_of(management)
    (key,) = [s for s in management["Statement"] if s["Sid"] == "ReadTrailKeyPolicy"]
    assert key["Resource"] == landing.key
    (owner,) = [s for s in management["Statement"] if s["Sid"] == "ReadOwnerTrail"]
    assert owner["Resource"] == landing.owner_arn
    assert lint(management) == [] and lint(role_policy) == []


def test_the_command_exits_0_and_says_which_layer_is_the_owners(
    landing: Landing, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(["verify", str(landing.path), "--new-account-hours", "0"])
    table = capsys.readouterr().out
    assert code == 0, table
    assert re.search(r"^log group +not applicable$", table, re.M)
    assert re.search(rf"^ok +owner trail +{CT_TRAIL} logging +logging$", table, re.M)
