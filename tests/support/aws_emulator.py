"""A moto server seeded with what a config says exists, for running a module through Terraform.

One server per module, each in a process of its own: moto keeps its state in process-wide
backends, so two servers in one process would share accounts (log-archive and adopt-console both
use 444455556666), and the narrow patches below stay out of the pytest process. The parent talks
to the child through one JSON line on stdout and ends it by closing stdin (:class:`Emulator`).

Seeding (:func:`seed`) makes, from the config: the organization (feature set ALL) with the
config's organization and account ids, trusted access when the config says it is on, the member
accounts and the roles provider aliases assume, the access-log target bucket, an SQS queue a
subscription names, and for ``adopt:`` what the CloudTrail console made
(:func:`seed_console_trail`, reusable on its own). Terraform then authenticates as an IAM user of
the management account (:attr:`Seeded.access_key`), so the provider's ``allowed_account_ids``
check really runs. ``MOTO_ACCOUNT_ID`` is not used: it also overrides the account of
assumed-role credentials, and the log-archive alias would then fail ``allowed_account_ids``.

:func:`patch_moto_gaps` closes, in the server's process, the gaps of moto 5.2.5 the generated
modules reach; each patch's docstring names its gap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config as BotoConfig

from generator.sections.registry import Config, load_config

TERRAFORM_USER = "orgtrail-terraform"
# Sid suffixes the console draws at random (uuid4); fixed here so runs are reproducible.
CONSOLE_SID_SUFFIXES = (
    "5d3bd6d2-7c3e-4f6e-9a55-0b0d8e6f3a11",
    "c1a0f9e4-2b7d-4d1e-8f3c-6a9b2e7d4c55",
)


# --- clients -----------------------------------------------------------------------------------


def account_client(url: str, service: str, account: str, region: str) -> Any:
    """A client whose calls moto books to ``account`` (its ``x-moto-account-id`` header).

    Used only to seed what exists before the user's credentials do: the IAM user itself, and
    objects in member accounts.
    """
    created = boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="seeding",
        aws_secret_access_key="seeding",
        config=BotoConfig(retries={"max_attempts": 1}),
    )

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    created.meta.events.register("before-sign", add_header)
    return created


@dataclass(frozen=True)
class Seeded:
    """A seeded emulator: its URL and the management account's IAM user keys."""

    url: str
    access_key: str
    secret_key: str

    def client(self, service: str, region: str) -> Any:
        """A client with the management account's credentials (what Terraform runs as)."""
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=BotoConfig(retries={"max_attempts": 1}),
        )

    def environment(self, region: str) -> dict[str, str]:
        """AWS environment variables for a process (terraform) that should reach only moto."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_MAX_ATTEMPTS": "1",
        }


# --- seeding -----------------------------------------------------------------------------------


@contextmanager
def fixed_ids(org_id: str, account_ids: list[str]) -> Iterator[None]:
    """moto draws organization and account ids at random: hand out the config's instead.

    Must run in the server's process (it patches moto's id generators there).
    """
    from moto.organizations import utils

    queue = list(account_ids)
    saved = utils.make_random_org_id, utils.make_random_account_id
    utils.make_random_org_id = lambda: org_id
    utils.make_random_account_id = lambda: queue.pop(0)
    try:
        yield
    finally:
        utils.make_random_org_id, utils.make_random_account_id = saved


def member_accounts(config: Config) -> list[str]:
    """The accounts the config names besides the management account, in a stable order."""
    found: list[str] = []
    if config.log_archive is not None:
        found.append(config.log_archive.account_id)
    if config.delegated_admin is not None:
        found += [config.delegated_admin.account_id, *config.delegated_admin.other_registered]
    management = config.organization.management_account_id
    return [a for i, a in enumerate(found) if a != management and a not in found[:i]]


def seed(url: str, config: Config) -> Seeded:
    """Make what the config says exists before the module is applied; return the user's keys.

    Not made: an existing key (``kms.key_arn``; moto cannot create a key with a given id) and
    the state bucket of ``backend`` (the run replaces the backend by a local one).
    """
    management = config.organization.management_account_id
    home = config.trail.home_region
    iam = account_client(url, "iam", management, home)
    iam.create_user(UserName=TERRAFORM_USER)
    key = iam.create_access_key(UserName=TERRAFORM_USER)["AccessKey"]
    seeded = Seeded(url, key["AccessKeyId"], key["SecretAccessKey"])

    members = member_accounts(config)
    orgs = seeded.client("organizations", "us-east-1")
    with fixed_ids(config.organization.id, [management, *members]):
        orgs.create_organization(FeatureSet="ALL")
        for account in members:
            orgs.create_account(Email=f"{account}@example.com", AccountName=f"account-{account}")
    if config.organization.cloudtrail_trusted_access in ("already_enabled", "adopt"):
        orgs.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    if config.delegated_admin is not None and config.delegated_admin.registered:
        orgs.register_delegated_administrator(
            AccountId=config.delegated_admin.account_id,
            ServicePrincipal="cloudtrail.amazonaws.com",
        )

    for role_arn in _assumed_roles(config):
        account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
        account_client(url, "iam", account, home).create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )

    bucket_account = config.log_archive.account_id if config.log_archive else management
    if config.bucket.access_logging is not None:
        target = config.bucket.access_logging.target_bucket
        s3 = account_client(url, "s3", bucket_account, home)
        _create_bucket(s3, target, home)
        s3.put_bucket_policy(Bucket=target, Policy=json.dumps(_access_log_policy(target)))

    for endpoint in _sqs_endpoints(config):
        _, _, _, region, account, name = endpoint.split(":")
        account_client(url, "sqs", account, region).create_queue(QueueName=name)
    if config.monitoring is not None and config.monitoring.notifications.existing_topic_arn:
        _, _, _, region, account, name = config.monitoring.notifications.existing_topic_arn.split(
            ":"
        )
        account_client(url, "sns", account, region).create_topic(Name=name)

    if config.adopt is not None:
        seed_console_trail(seeded, config)
    return seeded


def _assumed_roles(config: Config) -> list[str]:
    roles = []
    if config.log_archive is not None:
        roles.append(config.log_archive.role_arn)
    if config.delegated_admin is not None:
        roles.append(config.delegated_admin.role_arn)
    return roles


def _sqs_endpoints(config: Config) -> list[str]:
    if config.monitoring is None or config.monitoring.notifications.topic is None:
        return []
    return [
        s.endpoint
        for s in config.monitoring.notifications.topic.subscriptions
        if s.protocol == "sqs"
    ]


def _create_bucket(s3: Any, name: str, region: str) -> None:
    where = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **where)


def _access_log_policy(bucket: str) -> dict[str, Any]:
    """The target bucket's grant to S3 server access logging (S3 User Guide)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def console_bucket_policy(bucket: str, trail_arn: str, account: str, org_id: str) -> dict[str, Any]:
    """The bucket policy the CloudTrail console writes today for an organization trail.

    aws-facts.md §11.5: Sids with a UUID suffix, the condition key spelt ``AWS:SourceArn``; the
    statements themselves are the CloudTrail User Guide's (tests/data/aws-documented-policies.json).
    """
    acl, write = CONSOLE_SID_SUFFIXES
    source = {"AWS:SourceArn": trail_arn}
    written = {"s3:x-amz-acl": "bucket-owner-full-control", **source}
    principal = {"Service": "cloudtrail.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"AWSCloudTrailAclCheck20150319-{acl}",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": f"AWSCloudTrailWrite20150319-{write}",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": [
                    f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
                    f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*",
                ],
                "Condition": {"StringEquals": written},
            },
        ],
    }


def live_bucket_policy(config: Config) -> dict[str, Any]:
    """The policy an adopted bucket has today, as the config says.

    ``bucket.kept_statements`` are what ``discover`` copied from the live policy, so a config
    that has them describes that policy; without them the console's default stands in.
    """
    if config.bucket.kept_statements:
        return {
            "Version": "2012-10-17",
            "Statement": [
                statement.model_dump(by_alias=True, exclude_defaults=True)
                for statement in config.bucket.kept_statements
            ],
        }
    assert config.adopt is not None and config.adopt.trail is not None
    return console_bucket_policy(
        config.bucket.name,
        config.adopt.trail.arn,
        config.organization.management_account_id,
        config.organization.id,
    )


def console_role_policy(
    log_group_arn: str, account: str, region: str, org_id: str
) -> dict[str, Any]:
    """The inline policy the console puts on the role it makes for CloudWatch Logs delivery."""
    streams = [
        f"{log_group_arn}:log-stream:{account}_CloudTrail_{region}*",
        f"{log_group_arn}:log-stream:{org_id}_*",
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailCreateLogStream20141101",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream"],
                "Resource": streams,
            },
            {
                "Sid": "AWSCloudTrailPutLogEvents20141101",
                "Effect": "Allow",
                "Action": ["logs:PutLogEvents"],
                "Resource": streams,
            },
        ],
    }


def seed_console_trail(seeded: Seeded, config: Config) -> None:
    """Make the objects of ``config.adopt`` as the CloudTrail console makes them.

    The bucket (console policy, public access block, BucketOwnerEnforced, SSE-S3), the log group
    with no retention, the delivery role with its inline policy, and a running organization
    trail using them. Each object only when the adopt section names it; an adopted key is not
    made (moto cannot create a key with a given id). Call after :func:`seed` (or on any server
    holding the organization and a management-account user).
    """
    adopt = config.adopt
    assert adopt is not None
    management = config.organization.management_account_id
    org_id = config.organization.id
    home = config.trail.home_region
    trail_arn = adopt.trail.arn if adopt.trail else None
    if adopt.bucket is not None:
        s3 = seeded.client("s3", home)
        name = adopt.bucket.name
        _create_bucket(s3, name, home)
        configurations = set(adopt.bucket.configurations)
        if "public_access_block" in configurations:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        if "ownership_controls" in configurations:
            s3.put_bucket_ownership_controls(
                Bucket=name,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            )
        if "encryption" in configurations:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": False,
                        }
                    ]
                },
            )
        if "versioning" in configurations:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if "policy" in configurations and trail_arn:
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(live_bucket_policy(config)))
    group_arn = None
    if adopt.log_group is not None:
        logs = seeded.client("logs", home)
        logs.create_log_group(logGroupName=adopt.log_group.name)
        if adopt.log_group.retention_in_days:
            logs.put_retention_policy(
                logGroupName=adopt.log_group.name,
                retentionInDays=adopt.log_group.retention_in_days,
            )
        group_arn = f"arn:aws:logs:{home}:{management}:log-group:{adopt.log_group.name}"
    role_arn = None
    if adopt.role is not None:
        iam = seeded.client("iam", home)
        role = iam.create_role(
            RoleName=adopt.role.name,
            Path=adopt.role.path,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]
        role_arn = role["Arn"]
        if group_arn is not None:
            iam.put_role_policy(
                RoleName=adopt.role.name,
                PolicyName=adopt.role.inline_policy
                or f"CloudTrailPolicyForCloudWatchLogs_{config.trail.name}",
                PolicyDocument=json.dumps(console_role_policy(group_arn, management, home, org_id)),
            )
    if adopt.trail is not None:
        trail = adopt.trail
        arguments: dict[str, Any] = {
            "Name": trail.arn.rsplit("/", 1)[1],
            "S3BucketName": trail.s3_bucket_name,
            "IsOrganizationTrail": trail.is_organization_trail,
            "IsMultiRegionTrail": trail.is_multi_region,
            "IncludeGlobalServiceEvents": trail.include_global_service_events,
            "EnableLogFileValidation": trail.enable_log_file_validation,
        }
        if trail.kms_key_arn:
            arguments["KmsKeyId"] = trail.kms_key_arn
        if trail.cloud_watch_logs_group_arn:
            arguments["CloudWatchLogsLogGroupArn"] = trail.cloud_watch_logs_group_arn
            arguments["CloudWatchLogsRoleArn"] = trail.cloud_watch_logs_role_arn or role_arn
        cloudtrail = seeded.client("cloudtrail", home)
        cloudtrail.create_trail(**arguments)
        cloudtrail.start_logging(Name=arguments["Name"])


# --- moto's gaps -------------------------------------------------------------------------------


def patch_moto_gaps() -> list[str]:
    """Patch, in this process, the moto 5.2.5 gaps the generated modules reach; name each."""
    patches: list[Callable[[], None]] = [
        _lifecycle_minimum_object_size,
        _query_definitions,
        _log_group_kms_key,
        _trail_by_arn,
        _cloudtrail_delegated_admin,
    ]
    for patch in patches:
        patch()
    return [f"{p.__name__.strip('_')}: {(p.__doc__ or '').splitlines()[0]}" for p in patches]


def _install(cls: type, name: str, function: Callable[..., Any]) -> None:
    """Put ``function`` on moto's class as method ``name`` (new, or replacing moto's)."""
    setattr(cls, name, function)


def _lifecycle_minimum_object_size() -> None:
    """Lifecycle read-back: the minimum object size put is answered, not always 128K.

    GetBucketLifecycleConfiguration always answers TransitionDefaultMinimumObjectSize
    all_storage_classes_128K, so the provider waits 3 minutes for the value it put (then fails
    or, on refresh, reports a diff): keep the value the PutBucketLifecycleConfiguration header
    carried. The provider's own wait (10 s delay, 10 polls 5 s apart) remains, as on AWS."""
    from moto.s3.responses import S3Response

    header = "x-amz-transition-default-minimum-object-size"
    stored: dict[str, str] = {}
    put, get = S3Response._bucket_response_put, S3Response.get_bucket_lifecycle

    def bucket_put(self: Any, request: Any, bucket_name: str, querystring: Any) -> Any:
        result = put(self, request, bucket_name, querystring)
        if "lifecycle" in querystring and request.headers.get(header):
            stored[bucket_name] = request.headers[header]
        return result

    def get_lifecycle(self: Any) -> Any:
        status, headers, body = get(self)
        if self.bucket_name in stored:
            headers = {**headers, header: stored[self.bucket_name]}
        return status, headers, body

    _install(S3Response, "_bucket_response_put", bucket_put)
    _install(S3Response, "get_bucket_lifecycle", get_lifecycle)


def _query_definitions() -> None:
    """Saved queries: Put/Describe/DeleteQueryDefinition, which moto does not implement.

    Kept per account and region (aws_cloudwatch_query_definition reads them back by listing)."""
    import uuid

    from moto.logs.responses import LogsResponse

    definitions: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def store(self: Any) -> dict[str, dict[str, Any]]:
        return definitions.setdefault((self.current_account, self.region), {})

    def put_query_definition(self: Any) -> str:
        query_id = self._get_param("queryDefinitionId") or str(uuid.uuid4())
        store(self)[query_id] = {
            "queryDefinitionId": query_id,
            "name": self._get_param("name"),
            "queryString": self._get_param("queryString"),
            "logGroupNames": self._get_param("logGroupNames") or [],
            "lastModified": 0,
        }
        return json.dumps({"queryDefinitionId": query_id})

    def describe_query_definitions(self: Any) -> str:
        prefix = self._get_param("queryDefinitionNamePrefix") or ""
        found = [d for d in store(self).values() if d["name"].startswith(prefix)]
        return json.dumps({"queryDefinitions": found})

    def delete_query_definition(self: Any) -> str:
        removed = store(self).pop(self._get_param("queryDefinitionId"), None)
        return json.dumps({"success": removed is not None})

    _install(LogsResponse, "put_query_definition", put_query_definition)
    _install(LogsResponse, "describe_query_definitions", describe_query_definitions)
    _install(LogsResponse, "delete_query_definition", delete_query_definition)


def _log_group_kms_key() -> None:
    """Log group keys: Associate/DisassociateKmsKey, which moto does not implement.

    An adopted group gets the trail's key in place; set or clear the group's kmsKeyId."""
    from moto.logs.responses import LogsResponse

    def group(self: Any) -> Any:
        return self.logs_backend.groups[self._get_param("logGroupName")]

    def associate_kms_key(self: Any) -> str:
        group(self).kms_key_id = self._get_param("kmsKeyId")
        return ""

    def disassociate_kms_key(self: Any) -> str:
        group(self).kms_key_id = None
        return ""

    _install(LogsResponse, "associate_kms_key", associate_kms_key)
    _install(LogsResponse, "disassociate_kms_key", disassociate_kms_key)


def _trail_by_arn() -> None:
    """Trails by ARN: DeleteTrail by ARN and DescribeTrails' trailNameList, both ignored.

    moto deletes nothing for an ARN and lists every trail whatever was asked, so a trail
    replacement fails; resolve ARNs and filter by the names asked for."""
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.cloudtrail.responses import CloudTrailResponse

    delete = CloudTrailBackend.delete_trail

    def delete_trail(self: CloudTrailBackend, name: str) -> None:
        for trail_name, trail in list(self.trails.items()):
            if trail.arn == name:
                name = trail_name
        delete(self, name)

    def describe_trails(self: Any) -> str:
        wanted = self._get_param("trailNameList") or []
        include_shadow = self._get_bool_param("includeShadowTrails", True)
        trails = [
            t
            for t in self.cloudtrail_backend.describe_trails(include_shadow)
            if not wanted or t.trail_name in wanted or t.arn in wanted
        ]
        return json.dumps({"trailList": [t.description(include_region=True) for t in trails]})

    _install(CloudTrailBackend, "delete_trail", delete_trail)
    _install(CloudTrailResponse, "describe_trails", describe_trails)


def _cloudtrail_delegated_admin() -> None:
    """CloudTrail delegated admin: (De)RegisterOrganizationDelegatedAdmin, not implemented.

    Organizations does not list cloudtrail.amazonaws.com among its delegated-admin services
    either; register the account for CloudTrail in the caller's organization."""
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.organizations.models import FakeDelegatedAdministrator, organizations_backends

    principal = "cloudtrail.amazonaws.com"
    if principal not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)

    def organizations(self: Any) -> Any:
        return organizations_backends[self.current_account][self.partition]

    def register(self: Any) -> str:
        organizations(self).register_delegated_administrator(
            AccountId=self._get_param("MemberAccountId"), ServicePrincipal=principal
        )
        return "{}"

    def deregister(self: Any) -> str:
        organizations(self).deregister_delegated_administrator(
            AccountId=self._get_param("DelegatedAdminAccountId"), ServicePrincipal=principal
        )
        return "{}"

    _install(CloudTrailResponse, "register_organization_delegated_admin", register)
    _install(CloudTrailResponse, "deregister_organization_delegated_admin", deregister)


# --- one server per process --------------------------------------------------------------------


def serve(config_path: Path, stdin: IO[str], stdout: IO[str]) -> None:
    """The child's main: patch, start, seed, report one JSON line; stop when stdin closes."""
    from moto.server import ThreadedMotoServer

    patched = patch_moto_gaps()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        seeded = seed(f"http://{host}:{port}", load_config(config_path))
        stdout.write(
            json.dumps(
                {
                    "url": seeded.url,
                    "access_key": seeded.access_key,
                    "secret_key": seeded.secret_key,
                    "patches": patched,
                }
            )
            + "\n"
        )
        stdout.flush()
        stdin.read()  # until the parent closes it (or dies)
    finally:
        server.stop()


class Emulator:
    """A seeded moto server in a child process, for one module (``with Emulator(config):``)."""

    def __init__(
        self, config_path: Path, log: Path, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.config_path = config_path
        self.log = log
        self.environ = dict(environ)
        self.patches: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self.seeded: Seeded | None = None

    def __enter__(self) -> Seeded:
        support = Path(__file__).resolve().parent
        env = {
            **self.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(support.parent), self.environ.get("PYTHONPATH", "")]
            ),
        }
        for name in [n for n in env if n.startswith("AWS_") or n == "MOTO_ACCOUNT_ID"]:
            del env[name]
        with self.log.open("w", encoding="utf-8") as errors:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "support.aws_emulator", str(self.config_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=env,
            )
        assert self._process.stdout is not None
        line = _read_line(self._process.stdout, timeout=120)
        if not line:
            self.__exit__()
            raise RuntimeError(
                f"the moto server for {self.config_path} did not start:\n"
                + self.log.read_text(encoding="utf-8")[-4000:]
            )
        started = json.loads(line)
        self.patches = started["patches"]
        self.seeded = Seeded(started["url"], started["access_key"], started["secret_key"])
        return self.seeded

    def __exit__(self, *_: object) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._process = None


def _read_line(stream: IO[str], timeout: float) -> str:
    """One line from ``stream``, or "" after ``timeout`` seconds (a hung child)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.stdin, sys.stdout)
