"""A moto server on 127.0.0.1 for discover/verify tests, and the seeding they share.

The server is started once per session; every test gets a reset server and an environment
that points botocore at it (``AWS_ENDPOINT_URL``), with fake credentials, no config files, and
``AWS_MAX_ATTEMPTS=1`` (moto answers unimplemented calls with HTTP 500, which would be retried).
moto accepts input AWS would reject, so tests assert on orgtrail-gen's behaviour only.

Where moto lacks an API or a field, tests fake exactly that call at the session seam
(:func:`on_clients` wraps ``Aws._new_client`` and registers a botocore event handler) and
say so where they do it.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config as BotoConfig
from moto.server import ThreadedMotoServer

from generator.aws.session import Aws
from generator.render.policies import bucket_policy
from generator.sections.registry import Config, arns_of, facts_of

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> str:
    """A clean moto server and an environment that reaches only it; returns its URL."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return moto_url


def client(url: str, service: str, region: str = REGION) -> Any:
    """A test-side client (not through the seam): seeding must not count as verify's calls."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def assumed_client(url: str, service: str, role_arn: str, region: str = REGION) -> Any:
    """A test-side client with ``role_arn``'s credentials (moto puts its calls in that account)."""
    credentials = client(url, "sts", region).assume_role(
        RoleArn=role_arn, RoleSessionName="test-seeding"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def bucket_client(org: Org, config: Config, service: str) -> Any:
    """A client of the account that owns the bucket and its key (the log-archive account's)."""
    home = config.trail.home_region
    if config.log_archive is not None:
        return assumed_client(org.url, service, config.log_archive.role_arn, home)
    return client(org.url, service, home)


def on_clients(monkeypatch: pytest.MonkeyPatch, register: Callable[[str, Any], None]) -> None:
    """Call ``register(service, client)`` on every client the seam builds (to add a fake)."""
    original = Aws._new_client

    def new_client(self: Aws, service: str, region: str | None) -> Any:
        created = original(self, service, region)
        register(service, created)
        return created

    monkeypatch.setattr(Aws, "_new_client", new_client)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def error_response(status: int, code: str, message: str) -> AWSResponse:
    """An HTTP error as AWS's JSON protocols send it, for a ``before-send`` handler."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse("https://fake", status, {"x-amzn-query-error": f"{code};Sender"}, _Raw(body))


def answer(parsed: dict[str, Any]) -> Callable[..., tuple[AWSResponse, dict[str, Any]]]:
    """A ``before-call`` handler that answers the call with ``parsed`` (a call moto lacks)."""

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://fake", 200, {}, _Raw(b"")), parsed

    return handler


def fake_delegated_admins(monkeypatch: pytest.MonkeyPatch, admins: list[str] | None = None) -> None:
    """moto gap: ListDelegatedAdministrators refuses cloudtrail.amazonaws.com as a principal."""

    def register(service: str, created: Any) -> None:
        if service == "organizations":
            created.meta.events.register(
                "before-call.organizations.ListDelegatedAdministrators",
                answer({"DelegatedAdministrators": [{"Id": a} for a in admins or []]}),
            )

    on_clients(monkeypatch, register)


def fake_cloudwatch_delivery_status(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any] | None = None
) -> None:
    """moto gap: GetTrailStatus has no CloudWatch Logs delivery fields (nor delivery errors).

    Adds ``LatestCloudWatchLogsDeliveryTime`` = now, plus ``extra`` fields, to moto's answer.
    """

    def add(parsed: dict[str, Any], **_: Any) -> None:
        parsed.setdefault("LatestCloudWatchLogsDeliveryTime", datetime.now(UTC))
        parsed.update(extra or {})

    def register(service: str, created: Any) -> None:
        if service == "cloudtrail":
            created.meta.events.register("after-call.cloudtrail.GetTrailStatus", add)

    on_clients(monkeypatch, register)


@dataclass
class Org:
    """A seeded organization: its id, management account and member accounts."""

    url: str
    org_id: str
    management: str
    members: list[str] = field(default_factory=list)

    @property
    def accounts(self) -> list[str]:
        return [self.management, *self.members]


def seed_organization(url: str, *, members: int = 3, trusted: bool = True) -> Org:
    """An all-features organization with ``members`` member accounts."""
    orgs = client(url, "organizations")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    ids = [
        orgs.create_account(Email=f"member{i}@example.com", AccountName=f"member{i}")[
            "CreateAccountStatus"
        ]["AccountId"]
        for i in range(members)
    ]
    if trusted:
        orgs.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    return Org(url, org["Id"], org["MasterAccountId"], ids)


def deploy(org: Org, config: Config, *, accounts: list[str] | None = None) -> None:
    """Create what the generated module describes, plus delivered objects and streams.

    There is no Terraform here: the bucket policy is the generator's own policy data
    (:func:`generator.render.policies.bucket_policy`, which s3.tf prints), the trail has the
    generated settings, and every account in ``accounts`` (default: all) has delivered a
    log object and one stream per region of ``trail.regions``.
    """
    arns = arns_of(config)
    home = config.trail.home_region
    s3 = bucket_client(org, config, "s3")
    if config.bucket.create:
        where = {} if home == "us-east-1" else {"LocationConstraint": home}
        s3.create_bucket(
            Bucket=config.bucket.name, **({"CreateBucketConfiguration": where} if where else {})
        )
    trail: dict[str, Any] = {
        "Name": config.trail.name,
        "S3BucketName": config.bucket.name,
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": config.trail.is_multi_region,
        "IncludeGlobalServiceEvents": config.trail.include_global_service_events,
        "EnableLogFileValidation": config.trail.enable_log_file_validation,
    }
    if config.trail.s3_key_prefix:
        trail["S3KeyPrefix"] = config.trail.s3_key_prefix
    if config.kms.enabled:
        trail["KmsKeyId"] = (
            config.kms.key_arn
            or bucket_client(org, config, "kms").create_key()["KeyMetadata"]["Arn"]
        )
    logs = client(org.url, "logs", home)
    if config.cloudwatch_logs:
        name = config.cloudwatch_logs.log_group_name
        logs.create_log_group(logGroupName=name)
        trail["CloudWatchLogsLogGroupArn"] = f"{arns.log_group(name)}:*"
        trail["CloudWatchLogsRoleArn"] = (
            f"arn:aws:iam::{org.management}:role/{config.cloudwatch_logs.role_name}"
        )
    cloudtrail = client(org.url, "cloudtrail", home)
    cloudtrail.create_trail(**trail)
    cloudtrail.start_logging(Name=config.trail.name)
    for account in accounts if accounts is not None else org.accounts:
        deliver(org, config, account)
    # Last: moto enforces the policy's TLS-only deny on object writes, and this server is http.
    readers = facts_of(config, arns).log_readers  # bucket.readers and consumers, as s3.tf
    policy = bucket_policy(
        arns, readers=readers, kept=tuple(s.iam_json() for s in config.bucket.kept_statements)
    )
    s3.put_bucket_policy(Bucket=config.bucket.name, Policy=json.dumps(policy.to_json()))


def deliver(org: Org, config: Config, account: str) -> None:
    """One delivered log object and one stream per expected region for ``account``."""
    home = config.trail.home_region
    prefix = f"{config.trail.s3_key_prefix}/" if config.trail.s3_key_prefix else ""
    bucket_client(org, config, "s3").put_object(
        Bucket=config.bucket.name,
        Key=f"{prefix}AWSLogs/{org.org_id}/{account}/CloudTrail/{home}/2026/11/27/"
        f"{account}_CloudTrail_{home}_20261127T1200Z_abcdefghijklmnop.json.gz",
        Body=b"{}",
    )
    if config.cloudwatch_logs:
        logs = client(org.url, "logs", home)
        now = int(datetime.now(UTC).timestamp() * 1000)
        for region in config.trail.expected_regions:
            stream = f"{org.org_id}_{account}_CloudTrail_{region}"
            group = config.cloudwatch_logs.log_group_name
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            # One event: CloudTrail creates a stream when it delivers; its ingestion time is
            # what verify judges recency by.
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now, "message": '{"eventVersion":"1.11"}'}],
            )


def age_streams(org: Org, config: Config, account: str, days: float) -> None:
    """Make ``account``'s streams look last delivered ``days`` ago (a stale account).

    moto stamps ``lastIngestionTime`` with the time of PutLogEvents and cannot be told
    otherwise over HTTP; the server runs in this process, so its backend is edited directly.
    """
    from datetime import timedelta

    from moto.logs.models import logs_backends

    assert config.cloudwatch_logs is not None
    then = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)  # moto's naive UTC
    backend = logs_backends[org.management][config.trail.home_region]
    group = backend.groups[config.cloudwatch_logs.log_group_name]
    for name, stream in group.streams.items():
        if f"_{account}_CloudTrail_" in name:
            stream.last_ingestion_time = then
            for event in stream.events:
                event.timestamp = event.ingestion_time = int(
                    then.replace(tzinfo=UTC).timestamp() * 1000
                )


def deploy_monitoring(org: Org, module: Any) -> str:
    """Create the metric filters, alarms, topic and subscriptions the rendered module describes.

    Read from the generated HCL (``module.parsed``), not from the generator's view, so that a
    verify test compares the server with what monitoring.tf says. Returns the topic's ARN (the
    existing topic's, or the one created for ``aws_sns_topic.alarms``).
    """
    from generator.check.hcl_parse import literal, literals, nested

    config: Config = module.config
    home = config.trail.home_region
    parsed = module.parsed
    assert config.monitoring is not None and config.cloudwatch_logs is not None
    topic_arn = config.monitoring.notifications.existing_topic_arn or ""
    sns = client(org.url, "sns", home)
    for block in parsed.of_type("resource", "aws_sns_topic"):
        topic_arn = sns.create_topic(Name=literal(block.body["name"]))["TopicArn"]
    for block in parsed.of_type("resource", "aws_sns_topic_subscription"):
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol=literal(block.body["protocol"]),
            Endpoint=literal(block.body["endpoint"]),
        )
    logs = client(org.url, "logs", home)
    for block in parsed.of_type("resource", "aws_cloudwatch_log_metric_filter"):
        (transform,) = nested(block.body, "metric_transformation")
        logs.put_metric_filter(
            logGroupName=config.cloudwatch_logs.log_group_name,  # a reference in the HCL
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
    cloudwatch = client(org.url, "cloudwatch", home)
    for block in parsed.of_type("resource", "aws_cloudwatch_metric_alarm"):
        body = block.body
        actions = literals(body["alarm_actions"]) or [topic_arn]  # a reference to the topic
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
            AlarmActions=actions,
        )
    return topic_arn


def fake_pending_email_subscriptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto gap: it confirms every subscription at once; AWS keeps an email subscription's
    SubscriptionArn at ``PendingConfirmation`` until the recipient follows the link."""

    def pending(parsed: dict[str, Any], **_: Any) -> None:
        for item in parsed.get("Subscriptions", []):
            if item.get("Protocol") == "email":
                item["SubscriptionArn"] = "PendingConfirmation"

    def register(service: str, created: Any) -> None:
        if service == "sns":
            created.meta.events.register("after-call.sns.ListSubscriptionsByTopic", pending)

    on_clients(monkeypatch, register)
