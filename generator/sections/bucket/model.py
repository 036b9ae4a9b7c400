"""The bucket section: the central log bucket, its hardening, readers and kept statements."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from generator.config.fields import (
    BucketName,
    Issue,
    PositiveDays,
    Principal,
    StrictModel,
    _match,
    _OneOrMore,
    _principal_key,
    as_list,
)
from generator.config.regions import partition_of
from generator.core.arns import arn_partition as arn_partition_of
from generator.core.arns import parse_arn
from generator.core.constants import bucket_policy_sids

if TYPE_CHECKING:
    from generator.sections.registry import Config


StorageClass = Literal[
    "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]


class Transition(StrictModel):
    """Move log objects to a cheaper storage class after some days."""

    days: Annotated[StrictInt, Field(ge=0, le=36500)] = Field(description="Days after delivery.")
    storage_class: StorageClass = Field(
        description="GLACIER and DEEP_ARCHIVE files (digests too) need a restore before reading."
    )


class Lifecycle(StrictModel):
    """Lifecycle of log objects. Nothing expires unless you say so."""

    transitions: list[Transition] = Field(
        default_factory=list, description="Storage-class transitions of log objects."
    )
    expiration_days: PositiveDays | None = Field(
        default=None, description="Delete log objects this many days after delivery."
    )
    noncurrent_version_expiration_days: PositiveDays | None = Field(
        default=None, description="Delete overwritten/deleted versions after this many days."
    )
    abort_incomplete_multipart_upload_days: PositiveDays = Field(
        default=7, description="Abort incomplete multipart uploads after this many days."
    )


class ObjectLock(StrictModel):
    """S3 Object Lock: log versions cannot be deleted or overwritten for ``days``."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        description="COMPLIANCE: no one, root included, deletes a version before its retention "
        "ends; GOVERNANCE: principals with s3:BypassGovernanceRetention can."
    )
    days: PositiveDays = Field(description="Default retention of each new object version.")


class AccessLogging(StrictModel):
    """S3 server access logging of the log bucket into another bucket."""

    target_bucket: BucketName = Field(
        description="A bucket of the log bucket's own account, in trail.home_region."
    )
    target_prefix: Annotated[
        StrictStr, _match(r"[A-Za-z0-9!_.'()/-]{0,200}", "S3-safe, <= 200")
    ] = Field(default="", description="Key prefix of the access log objects.")


class KeptStatement(StrictModel):
    """A statement of the bucket's policy that must survive, written as IAM JSON spells it.

    Why literal IAM JSON: ``discover`` copies it from the live policy and the reviewer compares
    it with what the console shows, key for key. The generated policy is then fully determined
    by the config: nothing is read back from the live bucket at plan time, so a statement the
    config stops writing is removed, and one added outside Terraform is drift, not desired state.
    """

    sid: Annotated[
        StrictStr,
        _match(r"[A-Za-z0-9_-]{1,128}", "letters, digits, '-' and '_' (1-128), unique"),
    ] = Field(alias="Sid", description="Required: the reviewer and verify name it by its Sid.")
    effect: Literal["Allow", "Deny"] = Field(alias="Effect", description="Allow or Deny.")
    principal: Literal["*"] | dict[Literal["AWS", "Service"], _OneOrMore] = Field(
        alias="Principal",
        description="{Service: ...} or {AWS: ...}; '*' only in a Deny.",
    )
    action: _OneOrMore = Field(alias="Action", description="s3: actions only (a bucket policy).")
    resource: _OneOrMore = Field(alias="Resource", description="This bucket or its objects.")
    condition: dict[StrictStr, dict[StrictStr, _OneOrMore]] = Field(
        default_factory=dict, alias="Condition", description="{operator: {key: value(s)}}."
    )

    def iam_json(self) -> dict[str, Any]:
        """A statement of ``bucket.kept_statements`` as IAM JSON, every string as written.

        Nothing is normalised (not the console's ``-<uuid>`` Sids, not its ``AWS:SourceArn``
        spelling): the reviewer compares it with the config and the console key for key. It stays
        JSON (a literal source document) because some provider versions refuse a statement block's
        ``sid`` with anything but letters and digits (terraform-provider-aws#40562, later
        reverted), while S3 accepts the console's Sids; a source document's Sids are not checked.
        """
        result: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Action": self.action,
            "Resource": self.resource,
            "Principal": self.principal,
        }
        if self.condition:
            result["Condition"] = self.condition
        return result


class Bucket(StrictModel):
    """The central log bucket."""

    name: BucketName = Field(description="S3 naming rules; no '.' for a new bucket.")
    create: StrictBool = Field(
        default=True,
        description="true: create and harden the bucket; false: it exists, emit only its policy.",
    )
    existing_policy: Literal["replace", "merge", "keep"] = Field(
        default="replace",
        description=(
            "Only with create: false. aws_s3_bucket_policy REPLACES the bucket's whole policy: "
            "'replace' writes this module's statements only; 'merge' writes them plus "
            "bucket.kept_statements (the live policy is never read back); 'keep' writes no "
            "policy at all - the bucket's owner keeps it, and the statements this module needs "
            "are printed for them to add (required beside an owner_trail)."
        ),
    )
    kept_statements: list[KeptStatement] = Field(
        default_factory=list,
        description=(
            "Statements of the bucket's policy today that must survive (other trails' grants, "
            "the console's AWSCloudTrail*20150319): rendered literally beside this module's. "
            "`orgtrail-gen discover` copies them; any other live statement is removed at apply."
        ),
    )
    lifecycle: Lifecycle = Field(
        default_factory=Lifecycle,
        description="Default: only abort incomplete uploads after 7 days.",
    )
    object_lock: ObjectLock | None = Field(
        default=None, description="Object Lock for immutable logs (new buckets only)."
    )
    access_logging: AccessLogging | None = Field(
        default=None, description="Server access logging to another bucket."
    )
    readers: list[Principal] = Field(
        default_factory=list,
        description="Accounts or IAM roles/users that may read the logs (S3 read + KMS decrypt).",
    )
    versioning: StrictBool = Field(
        default=True, description="Keep every version. Turning it off loses overwritten logs."
    )


def _condition_keys(statement: KeptStatement) -> set[str]:
    """The statement's condition keys, lowercased: IAM reads them case-insensitively."""
    return {key.lower() for pairs in statement.condition.values() for key in pairs}


def _kept_statement_issues(config: Config) -> list[Issue]:
    """The kept statements form a valid bucket policy with ours, and grant nothing wider.

    S3 refuses a policy whose resources are outside the bucket or whose actions are not s3:
    (MalformedPolicy); the provider refuses duplicate Sids at plan time. A grant to everyone
    or to a service without a source condition is refused here, as it is for our statements.
    """
    bucket = config.bucket
    issues: list[Issue] = []
    where: tuple[str | int, ...] = ("bucket", "kept_statements")
    if not bucket.create and bucket.existing_policy == "merge" and not bucket.kept_statements:
        issues.append(
            (
                ("bucket", "existing_policy"),
                "merge keeps bucket.kept_statements and nothing else: the live policy is no "
                "longer read back at plan time. Run `orgtrail-gen discover` to copy the "
                "statements that must survive into bucket.kept_statements, or set "
                "existing_policy: replace if none must",
            )
        )
    if not bucket.create and bucket.existing_policy == "replace" and bucket.kept_statements:
        issues.append(
            (
                (*where, 0),
                "existing_policy is replace, which writes this module's statements only: set "
                "bucket.existing_policy: merge to keep these, or remove them",
            )
        )
    if not bucket.create and bucket.existing_policy == "keep" and bucket.kept_statements:
        issues.append(
            (
                (*where, 0),
                "existing_policy is keep, which writes no policy: the bucket's owner keeps "
                "every statement it has; remove these",
            )
        )
    partition = partition_of(config.trail.home_region)
    bucket_arn = f"arn:{partition.name if partition else 'aws'}:s3:::{bucket.name}"
    ours = set(bucket_policy_sids(config.trail.name))
    seen: dict[str, int] = {}
    for i, statement in enumerate(bucket.kept_statements):
        sid = statement.sid
        if sid in seen:
            issues.append(
                (
                    (*where, i, "Sid"),
                    f"Sid {sid} is also bucket.kept_statements[{seen[sid]}]: the provider refuses "
                    "duplicate Sids at plan time; rename one (or drop the copy)",
                )
            )
        seen.setdefault(sid, i)
        if sid in ours:
            issues.append(
                (
                    (*where, i, "Sid"),
                    f"Sid {sid} is one this module writes for trail {config.trail.name}: remove "
                    "the statement (the module writes it), or rename it if it is another grant",
                )
            )
        for j, action in enumerate(as_list(statement.action)):
            if not re.fullmatch(r"s3:[A-Za-z0-9*?]+", action):
                issues.append(
                    (
                        (*where, i, "Action", *(() if isinstance(statement.action, str) else (j,))),
                        f"{action!r} is not an s3: action; S3 refuses any other in a bucket policy",
                    )
                )
        for j, resource in enumerate(as_list(statement.resource)):
            if resource != bucket_arn and not resource.startswith(f"{bucket_arn}/"):
                issues.append(
                    (
                        (
                            *where,
                            i,
                            "Resource",
                            *(() if isinstance(statement.resource, str) else (j,)),
                        ),
                        f"{resource!r} is not {bucket_arn} or one of its objects; S3 refuses a "
                        "bucket policy naming other resources",
                    )
                )
        principal = statement.principal
        everyone = principal == "*" or (
            isinstance(principal, dict) and "*" in as_list(principal.get("AWS", []))
        )
        if everyone and statement.effect == "Allow":
            issues.append(
                (
                    (*where, i, "Principal"),
                    "grants to everyone ('*'): name the accounts, roles or service that need it "
                    "(a Deny may name '*')",
                )
            )
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        pinned = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid"}
        if statement.effect == "Allow" and services and not _condition_keys(statement) & pinned:
            issues.append(
                (
                    (*where, i, "Condition"),
                    f"grants {', '.join(services)} without aws:SourceArn (or aws:SourceAccount): "
                    "any account's resources could use it (confused deputy). Add the condition "
                    "that names the trail, e.g. StringEquals aws:SourceArn: <its trail ARN>",
                )
            )
    return issues


def _hardening_issues(config: Config) -> list[Issue]:
    """Rules of the bucket's lifecycle, lock and key that relate several fields."""
    issues: list[Issue] = []
    bucket, kms, home = config.bucket, config.kms, config.trail.home_region
    partition = partition_of(home)
    life = bucket.lifecycle
    for i, transition in enumerate(life.transitions):
        if transition.storage_class in ("STANDARD_IA", "ONEZONE_IA") and transition.days < 30:
            issues.append(
                (
                    ("bucket", "lifecycle", "transitions", i, "days"),
                    f"S3 requires at least 30 days before {transition.storage_class}",
                )
            )
        if i and transition.days <= life.transitions[i - 1].days:
            issues.append((("bucket", "lifecycle", "transitions", i, "days"),
                           "transitions must be in increasing order of days"))  # fmt: skip
    last = max((t.days for t in life.transitions), default=0)
    if life.expiration_days is not None and life.expiration_days <= last:
        issues.append((("bucket", "lifecycle", "expiration_days"),
                       f"must be later than the last transition (day {last})"))  # fmt: skip
    lock = bucket.object_lock
    if lock is not None and not bucket.versioning:
        issues.append((("bucket", "versioning"), "Object Lock requires versioning"))
    if lock is not None and life.expiration_days is not None and life.expiration_days < lock.days:
        issues.append((("bucket", "lifecycle", "expiration_days"),
                       f"shorter than the Object Lock retention ({lock.days} days)"))  # fmt: skip
    if not bucket.create:
        for name in ("object_lock", "access_logging"):
            if getattr(bucket, name) is not None:
                issues.append((("bucket", name), "applies only to a bucket created here"))
        if bucket.readers:
            issues.append((("bucket", "readers"), "applies only to a bucket created here"))
    if bucket.access_logging and bucket.access_logging.target_bucket == bucket.name:
        issues.append((("bucket", "access_logging", "target_bucket"),
                       "must be another bucket: logging a bucket into itself loops"))  # fmt: skip
    issues.extend(_access_log_target_issues(config))
    for field_path, principals in (
        (("bucket", "readers"), bucket.readers),
        (("kms", "administrators"), kms.administrators),
    ):
        for i, principal in enumerate(principals):
            if (
                partition
                and principal.startswith("arn:")
                and arn_partition_of(principal) != partition.name
            ):
                issues.append(((*field_path, i), f"not in the trail's partition {partition.name}"))
    if kms.key_arn is not None:
        key = parse_arn(kms.key_arn)
        arn_partition, region = (key.partition, key.region) if key else ("", "")
        if region != home:
            issues.append((("kms", "key_arn"),
                           f"the key is in {region}, the bucket in {home}: CloudTrail needs a key "
                           "in the bucket's region (KmsKeyNotFoundException)"))  # fmt: skip
        if partition and arn_partition != partition.name:
            issues.append((("kms", "key_arn"), f"not in the trail's partition {partition.name}"))
        for name in ("alias", "administrators"):
            if getattr(kms, name):
                issues.append((("kms", name), "applies only to a key created here (no key_arn)"))
    readers = {_principal_key(p) for p in bucket.readers}
    for i, principal in enumerate(kms.administrators):
        if _principal_key(principal) in readers:
            issues.append(
                (
                    ("kms", "administrators", i),
                    f"{principal} is also in bucket.readers: key administrators get no decrypt "
                    "permission (separation of duties); list a different principal for each role",
                )
            )
    if not kms.enabled and (kms.key_arn or kms.alias or kms.administrators):
        issues.append((("kms", "enabled"), "kms.enabled is false but other kms keys are set"))
    return issues


def _access_log_target_issues(config: Config) -> list[Issue]:
    """The access-log target must be in the log bucket's account and region, where we can tell.

    S3 delivers server access logs only to a bucket of the same account and Region as the
    logged bucket (S3 User Guide, "Logging requests with server access logging"); elsewhere
    PutBucketLogging fails at apply. A bucket name alone says neither, so the only target the
    config can place is one it describes itself: the state bucket, whose region
    backend.region gives. Everything else is the README's to say (bucket.access_logging).
    """
    logging, backend = config.bucket.access_logging, config.backend
    if logging is None or backend is None or logging.target_bucket != backend.bucket:
        return []
    home = config.trail.home_region
    region = backend.state_region(home)
    if region == home:
        return []
    account = config.log_archive.account_id if config.log_archive else None
    owner = f"account {account}" if account else "the management account"
    return [
        (
            ("bucket", "access_logging", "target_bucket"),
            f"{logging.target_bucket} is the state bucket (backend.bucket), in {region} "
            f"(backend.region); S3 delivers server access logs only to a bucket in the log "
            f"bucket's region {home} and account ({owner}), and PutBucketLogging would fail at "
            "apply. Name a bucket of that account in that region",
        )
    ]


def cross_field_issues(config: Config) -> list[Issue]:
    """The bucket's cross-field rules: its name, policy mode, kept statements, hardening."""
    issues: list[Issue] = []
    bucket = config.bucket
    if bucket.create and "." in bucket.name:
        issues.append(
            (
                ("bucket", "name"),
                "periods break virtual-hosted HTTPS to the bucket; choose a name without '.' for a "
                "new bucket",
            )
        )
    if bucket.create and bucket.existing_policy != "replace":
        issues.append((("bucket", "existing_policy"), "applies only to create: false"))
    issues.extend(_kept_statement_issues(config))
    issues.extend(_hardening_issues(config))
    return issues
