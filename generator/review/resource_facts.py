"""The module's buckets, keys, topics, queues, log group, workgroup, table, as prowler reads them.

Why: prowler's resource checks judge what its service clients read back from AWS (S3's
GetBucketVersioning ``MFADelete``, GetBucketPolicy, KMS's DescribeKey and GetKeyRotationStatus,
SNS's GetTopicAttributes, SQS's GetQueueAttributes, Athena's GetWorkGroup). Each fact here is
the value that call returns once this module is applied, read from the re-parsed HCL (and
AWS's or the provider's defaults where an argument is left out), so that
:mod:`prowler_resources` can answer as the check would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight.lookups import (
    account_of,
    bucket_name,
    bucket_policies,
    organization_trails,
    provider_of,
    region_of,
)
from generator.check.preflight.policy_reading import all_statements
from generator.review.prowler_policy import Json, policy_json
from generator.sections.monitoring.rules import trail_log_group


@dataclass(frozen=True)
class Bucket:
    """One bucket of the module: created here, or only given its policy (``bucket.create``)."""

    address: str  # aws_s3_bucket.logs, or the bucket's name when it is not created here
    name: str
    created: bool
    account: str | None
    region: str | None
    ownership: str | None  # GetBucketOwnershipControls ObjectOwnership
    encryption: str | None  # GetBucketEncryption SSEAlgorithm
    versioning: bool
    mfa_delete: bool  # GetBucketVersioning MFADelete == Enabled
    object_lock: bool  # GetObjectLockConfiguration answers (object lock on the bucket)
    lifecycle: bool  # a lifecycle rule with Status Enabled
    logging: bool
    replication: bool  # an enabled replication rule with a destination
    notifications: bool  # topic, queue, Lambda or EventBridge notifications
    public_access_block: tuple[bool, bool, bool, bool] | None  # acls, ignore, policy, restrict
    policy: Json | None  # None: no aws_s3_bucket_policy in the module


@dataclass(frozen=True)
class Key:
    """One aws_kms_key of the module."""

    address: str
    account: str | None
    enabled: bool
    rotation: bool
    symmetric: bool
    multi_region: bool
    policy: Json | None
    enclave_hint: bool  # alias, description or tag saying "enclave": prowler's is_enclave_key


@dataclass(frozen=True)
class Topic:
    """One aws_sns_topic of the module, its policy and its subscriptions' protocols."""

    address: str
    account: str | None
    encrypted: bool
    policy: Json | None  # None: no aws_sns_topic_policy (SNS's default policy applies)
    protocols: tuple[str, ...]
    log_files: bool = False  # a bucket notification's destination (consumers:), not the alarms'


@dataclass(frozen=True)
class Queue:
    """One aws_sqs_queue: what GetQueueAttributes (``All``) returns of it.

    ``encryption``: "SSE-KMS" (a KmsMasterKeyId), "SSE-SQS" (SqsManagedSseEnabled true),
    "SSE-SQS by default" (neither argument: SQS encrypts a queue created over HTTPS with
    SigV4, as the provider creates it, with SSE-SQS since October 2022), "" (no encryption:
    ``sqs_managed_sse_enabled = false``), None (an expression the module does not resolve).
    """

    address: str
    account: str | None
    encryption: str | None
    policy: Json | None  # {}: no Policy attribute; None: a policy that is not read here


@dataclass(frozen=True)
class Workgroup:
    """One aws_athena_workgroup: what GetWorkGroup returns of it."""

    address: str
    enabled: bool
    enforced: bool
    encryption: str  # EncryptionOption, "" when none
    metrics: bool  # PublishCloudWatchMetricsEnabled


@dataclass(frozen=True)
class ResourceFacts:
    """Every resource prowler's s3, kms, sns, sqs, logs, athena and glue checks judge."""

    buckets: tuple[Bucket, ...]
    keys: tuple[Key, ...]
    external_keys: tuple[str, ...]  # key ARNs the module names but does not create
    topics: tuple[Topic, ...]
    external_topics: tuple[str, ...]  # alarm actions to topics not created here
    queues: tuple[Queue, ...]
    log_group: str | None  # the trail's log group's name
    log_group_account: str | None
    workgroups: tuple[Workgroup, ...]
    tables: tuple[str, ...]  # aws_glue_catalog_table addresses
    tables_region: str | None


def _setting(module: ParsedModule, kind: str, name: str) -> Block | None:
    for block in module.of_type("resource", kind):
        if bucket_name(module, block.body.get("bucket")) == name:
            return block
    return None


def _first(body: dict[str, Any] | None, *path: str) -> dict[str, Any]:
    """The first nested block along ``path`` (an empty body when any is missing)."""
    current = body or {}
    for name in path:
        found = nested(current, name)
        current = found[0] if found else {}
    return current


def _flag(block: Block | None, name: str, default: bool = False) -> bool:
    return block is not None and block.body.get(name, default) is True


def _document_policy(module: ParsedModule, value: object) -> Json | None:
    document = module.resolve(value, "json")
    return policy_json(all_statements(document)) if document is not None else None


def _enabled_rules(block: Block | None, extra: str = "") -> bool:
    """A ``rule`` with status Enabled (and the nested block ``extra``, if named)."""
    rules = nested(block.body, "rule") if block else []
    return any(literal(r.get("status")) == "Enabled" and (not extra or nested(r, extra))
               for r in rules)  # fmt: skip


def _notifies(block: Block | None) -> bool:
    if block is None:
        return False
    kinds = ("topic", "queue", "lambda_function")
    return _flag(block, "eventbridge") or any(nested(block.body, kind) for kind in kinds)


def _bucket(module: ParsedModule, name: str, block: Block | None) -> Bucket:
    def setting(kind: str) -> Block | None:
        return _setting(module, f"aws_s3_bucket_{kind}", name)

    def body(kind: str) -> dict[str, Any] | None:
        found = setting(kind)
        return found.body if found else None

    versioning = _first(body("versioning"), "versioning_configuration")
    default = _first(body("server_side_encryption_configuration"), "rule",
                     "apply_server_side_encryption_by_default")  # fmt: skip
    access = setting("public_access_block")
    policies = bucket_policies(module, name)
    policy_block, document = policies[0] if policies else (None, None)
    policy: Json | None = None  # not known: a bucket not created here, without our policy
    if document is not None:
        policy = policy_json(all_statements(document))
    elif block is not None and policy_block is None:
        policy = {}  # GetBucketPolicy: NoSuchBucketPolicy
    anchor = block or policy_block
    return Bucket(
        address=block.address if block else name,
        name=name,
        created=block is not None,
        account=account_of(module, anchor) if anchor else None,
        region=region_of(module, anchor) if anchor else None,
        ownership=literal(_first(body("ownership_controls"), "rule").get("object_ownership")),
        encryption=literal(default.get("sse_algorithm")),
        versioning=literal(versioning.get("status")) == "Enabled",
        mfa_delete=literal(versioning.get("mfa_delete")) == "Enabled",
        object_lock=_flag(block, "object_lock_enabled")
        or setting("object_lock_configuration") is not None,
        lifecycle=_enabled_rules(setting("lifecycle_configuration")),
        logging=setting("logging") is not None,
        replication=_enabled_rules(setting("replication_configuration"), "destination"),
        notifications=_notifies(setting("notification")),
        public_access_block=(
            _flag(access, "block_public_acls"),
            _flag(access, "ignore_public_acls"),
            _flag(access, "block_public_policy"),
            _flag(access, "restrict_public_buckets"),
        )
        if access
        else None,
        policy=policy,
    )


def _buckets(module: ParsedModule) -> tuple[Bucket, ...]:
    found = [_bucket(module, literal(b.body.get("bucket")) or b.address, b)
             for b in module.of_type("resource", "aws_s3_bucket")]  # fmt: skip
    names = {b.name for b in found}
    for trail in organization_trails(module):
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        if name and name not in names:
            found.append(_bucket(module, name, None))
            names.add(name)
    return tuple(found)


def _tag_text(module: ParsedModule, block: Block) -> str:
    texts: list[str] = []
    own = block.body.get("tags")
    provider = provider_of(module, block)
    defaults = [b.get("tags") for b in nested(provider.body, "default_tags")] if provider else []
    for tags in [own, *defaults]:
        if isinstance(tags, dict):
            texts += [f"{k} {literal(v) or ''}" for k, v in tags.items()]
    return " ".join(texts)


def _key(module: ParsedModule, block: Block) -> Key:
    aliases = [
        literal(a.body.get("name")) or ""
        for a in module.of_type("resource", "aws_kms_alias")
        if (expression(a.body.get("target_key_id")) or "").startswith(f"{block.address}.")
    ]
    spec = (literal(block.body.get("customer_master_key_spec"))
            or literal(block.body.get("key_spec")) or "SYMMETRIC_DEFAULT")  # fmt: skip
    hint = " ".join(
        [
            *(a.removeprefix("alias/") for a in aliases),
            literal(block.body.get("description")) or "",
            _tag_text(module, block),
        ]
    )
    return Key(
        address=block.address,
        account=account_of(module, block),
        enabled=block.body.get("is_enabled", True) is True,
        rotation=block.body.get("enable_key_rotation") is True,
        symmetric="SYMMETRIC" in spec,
        multi_region=block.body.get("multi_region") is True,
        policy=_document_policy(module, block.body.get("policy")),
        enclave_hint="enclave" in hint.lower(),
    )  # fmt: skip


def _external_keys(module: ParsedModule) -> tuple[str, ...]:
    """Literal key ARNs the module encrypts with (trail, log group, topic, bucket, results)."""
    found: set[str] = set()

    def visit(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        else:
            text = literal(value)
            if text and text.startswith("arn:") and ":kms:" in text and ":key/" in text:
                found.add(text)

    for block in module.blocks:
        if block.kind == "resource" and not block.address.startswith("aws_iam_"):
            visit(block.body)
    return tuple(sorted(found))


def _topics(module: ParsedModule) -> tuple[Topic, ...]:
    announced = {expression(t.get("topic_arn"))
                 for n in module.of_type("resource", "aws_s3_bucket_notification")
                 for t in nested(n.body, "topic")}  # fmt: skip
    result = []
    for block in module.of_type("resource", "aws_sns_topic"):
        arn = f"{block.address}.arn"
        policy = next((_document_policy(module, p.body.get("policy"))
                       for p in module.of_type("resource", "aws_sns_topic_policy")
                       if expression(p.body.get("arn")) == arn), None)  # fmt: skip
        protocols = tuple(literal(s.body.get("protocol")) or ""
                          for s in module.of_type("resource", "aws_sns_topic_subscription")
                          if expression(s.body.get("topic_arn")) == arn)  # fmt: skip
        result.append(
            Topic(
                block.address,
                account_of(module, block),
                bool(block.body.get("kms_master_key_id")),
                policy,
                protocols,
                arn in announced,
            )
        )
    return tuple(result)


def _queue_encryption(block: Block) -> str | None:
    """What sqs_service.py reads into ``kms_key_id``: the key, SSE-SQS, or nothing."""
    key = block.body.get("kms_master_key_id")
    if key and literal(key) != "":  # kms_master_key_id = "" sets no key
        return "SSE-KMS"
    managed = block.body.get("sqs_managed_sse_enabled")
    if managed is None:
        return "SSE-SQS by default"
    if isinstance(managed, bool):
        return "SSE-SQS" if managed else ""
    return None


def _queues(module: ParsedModule) -> tuple[Queue, ...]:
    result = []
    for block in module.of_type("resource", "aws_sqs_queue"):
        urls = (f"{block.address}.id", f"{block.address}.url")
        values = [p.body.get("policy") for p in module.of_type("resource", "aws_sqs_queue_policy")
                  if expression(p.body.get("queue_url")) in urls]  # fmt: skip
        if block.body.get("policy"):
            values.append(block.body.get("policy"))
        policy: Json | None = {}
        if values:  # the last one applied wins: judge one only when it is the only one
            policy = _document_policy(module, values[0]) if len(values) == 1 else None
        result.append(
            Queue(block.address, account_of(module, block), _queue_encryption(block), policy)
        )
    return tuple(result)


def _external_topics(module: ParsedModule) -> tuple[str, ...]:
    found = {text for alarm in module.of_type("resource", "aws_cloudwatch_metric_alarm")
             for item in (alarm.body.get("alarm_actions") or [])
             if (text := literal(item)) and ":sns:" in text}  # fmt: skip
    return tuple(sorted(found))


def _workgroup(block: Block) -> Workgroup:
    configuration = _first(block.body, "configuration")
    encryption = _first(configuration, "result_configuration", "encryption_configuration")
    return Workgroup(
        address=block.address,
        enabled=(literal(block.body.get("state")) or "ENABLED") == "ENABLED",
        enforced=bool(configuration)
        and configuration.get("enforce_workgroup_configuration", True) is True,
        encryption=literal(encryption.get("encryption_option")) or "",
        metrics=bool(configuration)
        and configuration.get("publish_cloudwatch_metrics_enabled", True) is True,
    )


def read_resources(module: ParsedModule) -> ResourceFacts:
    """The resources of one parsed module that prowler's resource checks judge."""
    group = trail_log_group(module)
    tables = module.of_type("resource", "aws_glue_catalog_table")
    return ResourceFacts(
        buckets=_buckets(module),
        keys=tuple(_key(module, b) for b in module.of_type("resource", "aws_kms_key")),
        external_keys=_external_keys(module),
        topics=_topics(module),
        external_topics=_external_topics(module),
        queues=_queues(module),
        log_group=literal(group.body.get("name")) if group else None,
        log_group_account=account_of(module, group) if group else None,
        workgroups=tuple(_workgroup(b) for b in module.of_type("resource", "aws_athena_workgroup")),
        tables=tuple(b.address for b in tables),
        tables_region=region_of(module, tables[0]) if tables else None,
    )
