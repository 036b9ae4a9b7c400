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

:func:`patch_moto_gaps` closes, in the server's process, the gaps of moto (5.2.5 and 5.2.6) the
generated modules reach; each patch's docstring names its gap. Each patch first checks that what
it replaces is there with the shape it was written against and otherwise stops the server at once
with a MotoPatchError naming the patch and moto's version (``python -m support.aws_emulator
--check``, run from tests/, asks the same of the installed moto without starting a server).
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

    Must run in the server's process (it patches moto's id generators there; moto's models call
    them through the module, ``utils.make_random_account_id()``). Raises MotoPatchError when
    they are not there, taking no argument.
    """
    utils = _lookup("fixed_ids", "moto.organizations", "utils")
    saved = (
        _method("fixed_ids", utils, "make_random_org_id", ()),
        _method("fixed_ids", utils, "make_random_account_id", ()),
    )
    queue = list(account_ids)
    _install(utils, "make_random_org_id", lambda: org_id)
    _install(utils, "make_random_account_id", lambda: queue.pop(0))
    try:
        yield
    finally:
        _install(utils, "make_random_org_id", saved[0])
        _install(utils, "make_random_account_id", saved[1])


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
#
# Each patch first checks that what it replaces (or adds) is, in the installed moto, what it was
# written against: a class defining the method it wraps with the parameters it calls it with, the
# absence of the method it adds, a module attribute of the expected type. Anything else raises
# MotoPatchError at once, naming the patch and moto's version, instead of leaving a 404 or a
# missing value to surface deep in a Terraform apply log. Only then does it install, and only
# through :func:`_install` (so a test can check a patch without changing moto in its process).

PATCH_FILE = "tests/support/aws_emulator.py"
_PATCHED: list[str] | None = None


class MotoPatchError(RuntimeError):
    """The installed moto is not what a patch was written against (see :func:`_mismatch`)."""


def installed_versions() -> dict[str, str]:
    """The moto and botocore this process runs (botocore holds the service models moto routes by)."""
    import botocore
    import moto

    return {"moto": moto.__version__, "botocore": botocore.__version__}


def patch_moto_gaps() -> list[str]:
    """Patch, in this process, the moto gaps the generated modules reach; name each.

    Written against moto 5.2.5 and 5.2.6 (two patches are dormant on 5.2.5, whose dispatch took
    the action from the last dotted part of X-Amz-Target). Raises MotoPatchError when a patch's
    target is missing or has another shape. A second call returns the first one's names.
    """
    global _PATCHED
    if _PATCHED is None:
        for patch in PATCHES:
            patch()
        _PATCHED = [describe_patch(p) for p in PATCHES]
    return list(_PATCHED)


def describe_patch(patch: Callable[[], None]) -> str:
    """``name: the gap`` - the patch's name and its docstring's first line (the suite prints it)."""
    return f"{patch.__name__.strip('_')}: {(patch.__doc__ or '').splitlines()[0]}"


def _install(target: Any, name: str, value: Any) -> None:
    """Set ``value`` as ``target.name`` (a method on one of moto's classes, a new attribute...)."""
    setattr(target, name, value)


def _mismatch(patch: str, expected: str, found: str) -> MotoPatchError:
    import moto

    return MotoPatchError(
        f"moto {moto.__version__}: patch {patch} expects {expected}; found {found}"
        f" — update {PATCH_FILE}"
    )


def _lookup(patch: str, module: str, name: str) -> Any:
    """``module.name`` of the installed moto (a class, a function, a module); else
    MotoPatchError, rather than an ImportError or AttributeError that names no patch."""
    import importlib

    try:
        found = importlib.import_module(module)
    except ImportError:
        raise _mismatch(patch, f"module {module}", "no such module") from None
    if not hasattr(found, name):
        try:  # a submodule not imported yet
            return importlib.import_module(f"{module}.{name}")
        except ImportError:
            raise _mismatch(patch, f"{module}.{name}", f"no {name} in {module}") from None
    return getattr(found, name)


def _label(target: Any) -> str:
    return str(getattr(target, "__name__", type(target).__name__))


def _parameters(function: Any) -> list[str]:
    """Parameter names as written (``*args``, ``**kwargs``); defaults and annotations aside."""
    import inspect

    marks: dict[Any, str] = {
        inspect.Parameter.VAR_POSITIONAL: "*",
        inspect.Parameter.VAR_KEYWORD: "**",
    }
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return ["?"]
    return [marks.get(p.kind, "") + p.name for p in parameters]


def _method(patch: str, owner: Any, name: str, parameters: tuple[str, ...]) -> Any:
    """``owner.name``, defined on ``owner`` itself (not inherited: it is what the patch wraps or
    relies on) and taking ``parameters``; else MotoPatchError."""
    expected = f"{_label(owner)}.{name}({', '.join(parameters)})"
    found = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if found is None:
        inherited = " (only inherited)" if hasattr(owner, name) else ""
        raise _mismatch(patch, expected, f"no {_label(owner)}.{name}{inherited}")
    function = found.__func__ if isinstance(found, (staticmethod, classmethod)) else found
    if not callable(function):
        raise _mismatch(patch, expected, f"{_label(owner)}.{name} is a {type(found).__name__}")
    actual = _parameters(function)
    if actual != list(parameters):
        raise _mismatch(patch, expected, f"{_label(owner)}.{name}({', '.join(actual)})")
    return getattr(owner, name)


def _property(patch: str, owner: type, name: str) -> None:
    """``owner.name`` is a property (a backend moto resolves per account and region)."""
    import inspect

    found = inspect.getattr_static(owner, name, None)
    if not isinstance(found, property):
        what = "nothing" if found is None else f"a {type(found).__name__}"
        raise _mismatch(patch, f"property {owner.__name__}.{name}", what)


def _absent(patch: str, owner: type, name: str) -> None:
    """moto does not implement ``owner.name`` (the gap the patch fills); if it does now, the patch
    would hide moto's own implementation: say so rather than override it silently."""
    if hasattr(owner, name):
        found = getattr(owner, name)
        raise _mismatch(
            patch,
            f"{owner.__name__} without {name} (moto's gap this patch fills)",
            f"{owner.__name__}.{name}({', '.join(_parameters(found))}) in moto itself",
        )


def _attribute(patch: str, owner: Any, name: str, kind: type) -> Any:
    """``owner.name``, an instance of ``kind``; else MotoPatchError."""
    found = getattr(owner, name, None)
    if not isinstance(found, kind):
        what = "nothing" if found is None else f"a {type(found).__name__}"
        raise _mismatch(patch, f"{_label(owner)}.{name}, a {kind.__name__}", what)
    return found


def _sets(patch: str, owner: type, method: str, *names: str) -> None:
    """``owner.method`` (its source) assigns ``self.<name>`` for each name: instance attributes
    the patch reads, which no signature shows."""
    import inspect
    import re

    expected = f"{owner.__name__}.{method} to set self.{', self.'.join(names)}"
    function = vars(owner).get(method)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        source = ""
    if not source:
        raise _mismatch(patch, expected, f"no source of {owner.__name__}.{method} to read")
    missing = [n for n in names if not re.search(rf"\bself\.{n}\b\s*(:[^=\n]*)?=[^=]", source)]
    if missing:
        raise _mismatch(patch, expected, f"no self.{', self.'.join(missing)} set there")


def _operations(patch: str, service: str, *names: str) -> None:
    """moto's model of ``service`` (botocore's) names these operations, so requests route to them."""
    utils = _lookup(patch, "moto.core", "utils")
    get_service_model = _method(patch, utils, "get_service_model", ("service_name",))
    known = set(get_service_model(service).operation_names)
    missing = [name for name in names if name not in known]
    if missing:
        raise _mismatch(
            patch,
            f"the {service} model to define {', '.join(names)}",
            f"no {', '.join(missing)}",
        )


def _json_short_target() -> None:
    """X-Amz-Target routing: the short CloudTrail_20131101.<Action> form answers 404, not the action.

    moto 5.2.6 routes a JSON request by looking its whole X-Amz-Target up in a table built from
    botocore's targetPrefix (moto.core.routing.JSONRouter._match, called from
    BaseResponse._get_action_from_request); 5.2.5 took the part after the last dot
    (BaseResponse._get_action). botocore spells CloudTrail's prefix
    com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101, while the Go SDK (the provider) sends
    CloudTrail_20131101.<Action>, which AWS accepts too. When the full target finds nothing and
    the header is <last part of a dotted prefix>.<an operation of the model>, route to it."""
    patch = "json_short_target"
    routing = _lookup(patch, "moto.core", "routing")
    _lookup(patch, "moto.core.routing", "JSONRouter")
    _lookup(patch, "moto.core.routing", "ProtocolRouter")
    match = _method(patch, routing.JSONRouter, "_match", ("self", "request"))
    _method(patch, routing.ProtocolRouter, "__init__", ("self", "service_model"))
    routers = _attribute(patch, routing, "PROTOCOL_ROUTERS", dict)
    if routers.get("json") is not routing.JSONRouter:
        raise _mismatch(
            patch, "PROTOCOL_ROUTERS['json'] to be JSONRouter", repr(routers.get("json"))
        )

    def short_match(self: Any, request: Any) -> tuple[Any, dict[str, Any]]:
        operation, params = match(self, request)
        if operation is None:
            prefix = self.service_model.metadata.get("targetPrefix") or ""
            head, _, action = (request.headers.get("X-Amz-Target") or "").rpartition(".")
            if (
                "." in prefix
                and head == prefix.rsplit(".", 1)[1]
                and action in self.service_model.operation_names
            ):
                operation = self.service_model.operation_model(action)
        return operation, params

    _install(routing.JSONRouter, "_match", short_match)


def _athena_json_protocol() -> None:
    """Athena over JSON 1.1: the Go SDK's AmazonAthena.<Action> requests answer 404.

    botocore (1.44) models Athena as rest-json only (POST /workgroups...), with no targetPrefix.
    moto 5.2.6 routes every request by botocore's model: it picks the protocol from the content
    type (moto.core.request.determine_request_protocol) and gives up (NotImplementedError, caught
    in BaseResponse._get_action_from_request, so 404) on application/x-amz-json-1.1 for a service
    whose model lists no "json". The Go SDK speaks Athena's AWS protocol, awsJson1_1 with
    X-Amz-Target AmazonAthena.<Action>. Add that protocol and prefix to moto's (cached) model of
    athena, so JSONRouter routes it and errors are serialized as JSON. 5.2.5 took the action from
    the header whatever the model said, and needed nothing."""
    patch = "athena_json_protocol"
    prefix = "AmazonAthena"
    _lookup(patch, "moto.core.routing", "JSONRouter")
    utils = _lookup(patch, "moto.core", "utils")
    get_service_model = _method(patch, utils, "get_service_model", ("service_name",))
    model = get_service_model("athena")
    metadata = _attribute(patch, model, "metadata", dict)
    protocols = metadata.get("protocols", [metadata.get("protocol")])
    if not isinstance(protocols, list) or metadata.get("targetPrefix") not in (None, prefix):
        raise _mismatch(
            patch,
            f"athena's model metadata with a protocols list and no targetPrefix but {prefix}",
            f"protocols {protocols!r}, targetPrefix {metadata.get('targetPrefix')!r}",
        )
    _operations(patch, "athena", "CreateWorkGroup", "GetWorkGroup")
    if "json" in protocols and metadata.get("targetPrefix") == prefix:
        return  # botocore models Athena's JSON protocol again: nothing to add
    _install(
        model,
        "metadata",
        {
            **metadata,
            "protocols": [*protocols, "json"],
            "jsonVersion": "1.1",
            "targetPrefix": prefix,
        },
    )


def _lifecycle_minimum_object_size() -> None:
    """Lifecycle read-back: the minimum object size put is answered, not always 128K.

    GetBucketLifecycleConfiguration always answers TransitionDefaultMinimumObjectSize
    all_storage_classes_128K, so the provider waits 3 minutes for the value it put (then fails
    or, on refresh, reports a diff): keep the value the PutBucketLifecycleConfiguration header
    carried. The provider's own wait (10 s delay, 10 polls 5 s apart) remains, as on AWS."""
    patch = "lifecycle_minimum_object_size"
    S3Response = _lookup(patch, "moto.s3.responses", "S3Response")
    put = _method(
        patch, S3Response, "_bucket_response_put", ("self", "request", "bucket_name", "querystring")
    )
    get = _method(patch, S3Response, "get_bucket_lifecycle", ("self",))
    _sets(patch, S3Response, "setup_class", "bucket_name")
    header = "x-amz-transition-default-minimum-object-size"
    stored: dict[str, str] = {}

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

    patch = "query_definitions"
    BaseResponse = _lookup(patch, "moto.core.responses", "BaseResponse")
    LogsResponse = _lookup(patch, "moto.logs.responses", "LogsResponse")
    names = ("put_query_definition", "describe_query_definitions", "delete_query_definition")
    for name in names:
        _absent(patch, LogsResponse, name)
    _operations(
        patch, "logs", "PutQueryDefinition", "DescribeQueryDefinitions", "DeleteQueryDefinition"
    )
    _method(patch, BaseResponse, "_get_param", ("self", "param_name", "if_none"))
    _sets(patch, BaseResponse, "setup_class", "current_account", "region")
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
    patch = "log_group_kms_key"
    BaseResponse = _lookup(patch, "moto.core.responses", "BaseResponse")
    LogGroup = _lookup(patch, "moto.logs.models", "LogGroup")
    LogsBackend = _lookup(patch, "moto.logs.models", "LogsBackend")
    LogsResponse = _lookup(patch, "moto.logs.responses", "LogsResponse")
    for name in ("associate_kms_key", "disassociate_kms_key"):
        _absent(patch, LogsResponse, name)
    _operations(patch, "logs", "AssociateKmsKey", "DisassociateKmsKey")
    _property(patch, LogsResponse, "logs_backend")
    _sets(patch, LogsBackend, "__init__", "groups")
    _sets(patch, LogGroup, "__init__", "kms_key_id")
    _method(patch, BaseResponse, "_get_param", ("self", "param_name", "if_none"))

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
    patch = "trail_by_arn"
    CloudTrailBackend = _lookup(patch, "moto.cloudtrail.models", "CloudTrailBackend")
    Trail = _lookup(patch, "moto.cloudtrail.models", "Trail")
    CloudTrailResponse = _lookup(patch, "moto.cloudtrail.responses", "CloudTrailResponse")
    BaseResponse = _lookup(patch, "moto.core.responses", "BaseResponse")
    delete = _method(patch, CloudTrailBackend, "delete_trail", ("self", "name"))
    _method(patch, CloudTrailBackend, "describe_trails", ("self", "include_shadow_trails"))
    _method(patch, CloudTrailResponse, "describe_trails", ("self",))
    _property(patch, CloudTrailResponse, "cloudtrail_backend")
    _method(patch, Trail, "description", ("self", "include_region"))
    _sets(patch, CloudTrailBackend, "__init__", "trails")
    _sets(patch, Trail, "__init__", "trail_name")
    _property(patch, Trail, "arn")
    _method(patch, BaseResponse, "_get_bool_param", ("self", "param_name", "if_none"))

    def delete_trail(self: Any, name: str) -> None:
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
    patch = "cloudtrail_delegated_admin"
    CloudTrailResponse = _lookup(patch, "moto.cloudtrail.responses", "CloudTrailResponse")
    BaseResponse = _lookup(patch, "moto.core.responses", "BaseResponse")
    models = _lookup(patch, "moto.organizations", "models")
    FakeDelegatedAdministrator = _lookup(patch, models.__name__, "FakeDelegatedAdministrator")
    OrganizationsBackend = _lookup(patch, models.__name__, "OrganizationsBackend")
    for name in (
        "register_organization_delegated_admin",
        "deregister_organization_delegated_admin",
    ):
        _absent(patch, CloudTrailResponse, name)
    _operations(
        patch,
        "cloudtrail",
        "RegisterOrganizationDelegatedAdmin",
        "DeregisterOrganizationDelegatedAdmin",
    )
    services = _attribute(patch, FakeDelegatedAdministrator, "SUPPORTED_SERVICES", list)
    backends = _attribute(patch, models, "organizations_backends", object)
    for name in ("register_delegated_administrator", "deregister_delegated_administrator"):
        _method(patch, OrganizationsBackend, name, ("self", "**kwargs"))
    _sets(patch, BaseResponse, "setup_class", "current_account", "partition")
    principal = "cloudtrail.amazonaws.com"

    def organizations(self: Any) -> Any:
        return backends[self.current_account][self.partition]

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

    if principal not in services:
        _install(FakeDelegatedAdministrator, "SUPPORTED_SERVICES", [*services, principal])
    _install(CloudTrailResponse, "register_organization_delegated_admin", register)
    _install(CloudTrailResponse, "deregister_organization_delegated_admin", deregister)


PATCHES: tuple[Callable[[], None], ...] = (
    _json_short_target,
    _athena_json_protocol,
    _lifecycle_minimum_object_size,
    _query_definitions,
    _log_group_kms_key,
    _trail_by_arn,
    _cloudtrail_delegated_admin,
)


# --- one server per process --------------------------------------------------------------------

# The child's exit code when a patch found moto other than it expects (its message on stderr).
PATCH_FAILED = 3


def serve(config_path: Path, stdin: IO[str], stdout: IO[str]) -> None:
    """The child's serving: patch, start, seed, report one JSON line; stop when stdin closes.

    Raises MotoPatchError (from a patch or :func:`fixed_ids`) before reporting; :func:`main`
    turns it into one line on stderr, which the parent shows (:meth:`Emulator.__enter__`).
    """
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
                    "versions": installed_versions(),
                }
            )
            + "\n"
        )
        stdout.flush()
        stdin.read()  # until the parent closes it (or dies)
    finally:
        server.stop()


def main(arguments: list[str], stdin: IO[str], stdout: IO[str]) -> int:
    """The child: ``python -m support.aws_emulator CONFIG`` serves (:func:`serve`);
    ``--check`` only installs every patch and prints the versions and each patch's line as JSON:
    the quick answer to "does this moto still take our patches?", without a server.

    A patch that does not fit the installed moto ends it at once with exit PATCH_FAILED and the
    patch's one-line message on stderr (no traceback to read through).
    """
    try:
        if arguments == ["--check"]:
            patched = patch_moto_gaps()
            stdout.write(json.dumps({"versions": installed_versions(), "patches": patched}) + "\n")
        else:
            serve(Path(arguments[0]), stdin, stdout)
    except MotoPatchError as exc:
        print(f"moto patch failed: {exc}", file=sys.stderr, flush=True)
        return PATCH_FAILED
    return 0


class Emulator:
    """A seeded moto server in a child process, for one module (``with Emulator(config):``).

    After entering: :attr:`patches` (one line per moto patch) and :attr:`versions` (the moto and
    botocore the server runs).
    """

    def __init__(
        self, config_path: Path, log: Path, environ: Mapping[str, str] = os.environ
    ) -> None:
        self.config_path = config_path
        self.log = log
        self.environ = dict(environ)
        self.patches: list[str] = []
        self.versions: dict[str, str] = {}
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
            process = self._process
            self.__exit__()
            log = self.log.read_text(encoding="utf-8")
            # a patch that does not fit says so in one line (main): show it first
            failed = [entry for entry in log.splitlines() if entry.startswith("moto patch failed:")]
            raise RuntimeError(
                "\n".join(
                    [
                        f"the moto server for {self.config_path} did not start "
                        f"(exit {process.returncode}; its log: {self.log})",
                        *failed,
                        "the log ends:",
                        log[-4000:],
                    ]
                )
            )
        started = json.loads(line)
        self.patches = started["patches"]
        self.versions = started["versions"]
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
    raise SystemExit(main(sys.argv[1:], sys.stdin, sys.stdout))
