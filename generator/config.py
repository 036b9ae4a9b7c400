"""The config model: what one organization's trail looks like, validated field by field.

Why: everything the templates emit comes from here, so every value is checked against the
rules AWS applies (aws-facts.md §8) before any Terraform exists. Unknown keys are errors,
because a misspelt protection that silently falls back to its default is worse than no option.
Rules that relate several fields live in :func:`cross_field_issues`, so that each message can
name the key the user must change.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from generator.regions import partition_of

CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"

# botocore `logs` model `Days`, plus 0 (never expire), which Terraform accepts.
RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)  # fmt: skip

_BUCKET_RE = re.compile(
    r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)"
    r"(?!.*\.\.)(?!.*(?:\.-|-\.))[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
)
_TRAIL_RE = re.compile(r"^[A-Za-z0-9](?:[._-]?[A-Za-z0-9])+$")
_PREFIX_SEGMENT_RE = re.compile(r"^[A-Za-z0-9!_.'()-]+$")
_TAG_PUNCTUATION = set(" _.:/=+-@")


def _match(pattern: str, rule: str) -> AfterValidator:
    compiled = re.compile(pattern, re.ASCII)  # AWS identifiers are ASCII: \d is [0-9] only

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not valid: {rule}")
        return value

    return AfterValidator(check)


def _bucket_name(value: str) -> str:
    if value != value.lower():
        fix = f" ({value.lower()!r})" if _BUCKET_RE.fullmatch(value.lower()) else ""
        raise ValueError(f"{value!r} has uppercase letters; S3 bucket names are lowercase{fix}")
    if not _BUCKET_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid S3 bucket name: 3-63 characters from a-z 0-9 . -, starting"
            " and ending with a letter or digit, no '..', '.-' or '-.', no reserved prefix"
            " (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3,"
            " --table-s3)"
        )
    if re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", value):
        raise ValueError(
            f"{value!r} is not a valid S3 bucket name: it is formatted as an IP address"
        )
    return value


def _trail_name(value: str) -> str:
    if not (3 <= len(value) <= 128 and _TRAIL_RE.fullmatch(value)):
        raise ValueError(
            f"{value!r} is not a valid trail name: 3-128 ASCII letters, digits, '.', '_' or '-',"
            " starting and ending with a letter or digit, no two separators in a row"
        )
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", value):
        raise ValueError(f"{value!r} is not a valid trail name: it is formatted as an IP address")
    return value


def _region(value: str) -> str:
    if partition_of(value) is None:
        raise ValueError(f"{value!r} is not a region where CloudTrail runs (botocore data)")
    return value


def _key_prefix(value: str) -> str:
    if not 1 <= len(value) <= 200:
        raise ValueError("must be 1-200 characters (CloudTrail API limit)")
    if value.startswith("/") or value.endswith("/"):
        raise ValueError(f"{value!r}: must not start or end with '/' (CloudTrail adds the '/')")
    for segment in value.split("/"):
        if segment in ("", ".", "..") or not _PREFIX_SEGMENT_RE.fullmatch(segment):
            raise ValueError(
                f"{value!r}: use S3-safe characters only (A-Z a-z 0-9 ! _ . ' ( ) -, '/' between"
                " non-empty segments); '*' is refused because it would widen the bucket policy"
            )
    return value


def _tag_text(value: str, *, is_key: bool) -> str:
    if unicodedata.normalize("NFC", value) != value:
        raise ValueError(
            f"{value!r} is not in Unicode NFC form; Terraform would send AWS a different string"
        )
    limit = 128 if is_key else 256
    if len(value) > limit or (is_key and not value):
        raise ValueError(f"tag {'key' if is_key else 'value'} must be {int(is_key)}-{limit} chars")
    bad = sorted({c for c in value if not (c.isalnum() or c in _TAG_PUNCTUATION)})
    if bad:
        raise ValueError(f"{value!r}: characters {''.join(bad)!r} are not allowed in AWS tags")
    if is_key and value.lower().startswith("aws:"):
        raise ValueError(f"{value!r}: the 'aws:' prefix is reserved for AWS")
    return value


AccountId = Annotated[
    StrictStr, _match(r"\d{12}", "an AWS account id is 12 digits, quoted in YAML ('012345678901')")
]
OrgId = Annotated[StrictStr, _match(r"o-[a-z0-9]{10,32}", "expected o- and 10-32 of a-z 0-9")]
Region = Annotated[StrictStr, AfterValidator(_region)]
BucketName = Annotated[StrictStr, AfterValidator(_bucket_name)]
LogGroupName = Annotated[
    StrictStr, _match(r"[.\-_/#A-Za-z0-9]{1,512}", "1-512 characters from a-z A-Z 0-9 _ - / . #")
]
IamRoleName = Annotated[
    StrictStr, _match(r"[\w+=,.@-]{1,64}", "1-64 characters [A-Za-z0-9+=,.@_-]")
]


class StrictModel(BaseModel):
    """Base of every config section: unknown keys are errors, values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


TRUSTED_ACCESS_HINT = (
    "find out with `aws organizations list-aws-service-access-for-organization` in the "
    "management account: 'already_enabled' if cloudtrail.amazonaws.com is listed, else 'enable'"
)


_NOT_MANAGED = (
    "orgtrail-gen no longer manages aws_organizations_organization, which is authoritative over "
    "every trusted service and the root's policy types (a service missing from its list lost "
    "trusted access at apply; a missing policy type was disabled and its policies detached)"
)

# Keys of earlier versions: a config that still has them is told why they went, not "unknown".
RETIRED_KEYS: dict[tuple[str, ...], str] = {
    ("organization", "trusted_access"): (
        f"no longer needed: {_NOT_MANAGED}. Delete this key and set "
        "organization.cloudtrail_trusted_access instead; the other services keep their access"
    ),
    ("organization", "enabled_policy_types"): (
        f"no longer needed: {_NOT_MANAGED}. Delete this key; the root's policy types are left as "
        "they are in AWS"
    ),
}

# Extra advice for required keys that have no safe default.
MISSING_HINTS: dict[tuple[str, ...], str] = {
    ("organization", "cloudtrail_trusted_access"): TRUSTED_ACCESS_HINT,
}


class Organization(StrictModel):
    """The AWS Organization the trail covers. It is read and asserted, never managed."""

    id: OrgId = Field(description="Organization id, o-xxxxxxxxxx.")
    management_account_id: AccountId = Field(
        description="The management account: it owns the trail, so every ARN carries its id."
    )
    cloudtrail_trusted_access: Literal["already_enabled", "enable"] = Field(
        description=(
            "Whether CloudTrail's trusted access in AWS Organizations is already on. "
            "'already_enabled': it is only asserted at plan (other organization trails, e.g. "
            "Control Tower's, depend on it, so this module must never disable it). 'enable': "
            "this module enables it with aws_organizations_aws_service_access, and a destroy "
            "disables only that. No default: " + TRUSTED_ACCESS_HINT + "."
        ),
    )


class Trail(StrictModel):
    """The organization trail."""

    name: Annotated[StrictStr, AfterValidator(_trail_name)]
    home_region: Region = Field(description="Region the trail is created in (its ARN's region).")
    regions: list[Region] | None = Field(
        default=None,
        min_length=1,
        description=(
            "Regions whose delivery the organization expects (verify and monitoring check them); "
            "must include home_region. Default: the home region only. The trail itself records "
            "every enabled region when is_multi_region is true."
        ),
    )
    s3_key_prefix: Annotated[StrictStr, AfterValidator(_key_prefix)] | None = Field(
        default=None, description="Optional prefix in front of AWSLogs/ in the bucket."
    )
    is_multi_region: StrictBool = True
    include_global_service_events: StrictBool = True
    enable_log_file_validation: StrictBool = True

    @property
    def expected_regions(self) -> list[str]:
        """The regions whose delivery is expected: ``regions``, or the home region alone."""
        return list(self.regions) if self.regions else [self.home_region]


StorageClass = Literal[
    "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
PositiveDays = Annotated[StrictInt, Field(ge=1, le=36500)]


class Transition(StrictModel):
    """Move log objects to a cheaper storage class after some days."""

    days: Annotated[StrictInt, Field(ge=0, le=36500)]
    storage_class: StorageClass


class Lifecycle(StrictModel):
    """Lifecycle of log objects. Nothing expires unless you say so."""

    transitions: list[Transition] = Field(default_factory=list)
    expiration_days: PositiveDays | None = Field(
        default=None, description="Delete log objects this many days after delivery."
    )
    noncurrent_version_expiration_days: PositiveDays | None = Field(
        default=None, description="Delete overwritten/deleted versions after this many days."
    )
    abort_incomplete_multipart_upload_days: PositiveDays = 7


class ObjectLock(StrictModel):
    """S3 Object Lock: log versions cannot be deleted or overwritten for ``days``."""

    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    days: PositiveDays


class AccessLogging(StrictModel):
    """S3 server access logging of the log bucket into another bucket."""

    target_bucket: BucketName
    target_prefix: Annotated[
        StrictStr, _match(r"[A-Za-z0-9!_.'()/-]{0,200}", "S3-safe, <= 200")
    ] = ""


Principal = Annotated[
    StrictStr,
    _match(
        r"\d{12}|arn:aws[a-z-]*:iam::\d{12}:(?:root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})",
        "an account id or an IAM role/user ARN",
    ),
]


class Bucket(StrictModel):
    """The central log bucket."""

    name: BucketName
    create: StrictBool = Field(
        default=True,
        description="true: create and harden the bucket; false: it exists, emit only its policy.",
    )
    existing_policy: Literal["replace", "merge"] = Field(
        default="replace",
        description=(
            "Only with create: false. aws_s3_bucket_policy REPLACES the bucket's whole policy; "
            "'merge' reads the current policy and keeps its statements (CloudTrail's Sids win)."
        ),
    )
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
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


class Kms(StrictModel):
    """Encryption of logs, digests and the log group with a customer-managed KMS key."""

    enabled: StrictBool = Field(
        default=True, description="false falls back to SSE-S3 and an unencrypted log group."
    )
    key_arn: (
        Annotated[
            StrictStr,
            _match(
                r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                r"[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
                "a symmetric key's ARN, arn:<partition>:kms:<region>:<account>:key/<key-id>",
            ),
        ]
        | None
    ) = Field(default=None, description="Use this existing key instead of creating one.")
    alias: (
        Annotated[
            StrictStr,
            _match(r"alias/(?!aws/)[A-Za-z0-9/_-]{1,250}", "alias/<name>, not under alias/aws/"),
        ]
        | None
    ) = Field(default=None, description="Alias of the created key (default alias/<trail>).")
    deletion_window_in_days: Annotated[StrictInt, Field(ge=7, le=30)] = 30
    administrators: list[Principal] = Field(
        default_factory=list,
        description="Who may administer the created key besides the management account's root.",
    )


class CloudWatchLogs(StrictModel):
    """The central log group CloudTrail also delivers to, and its delivery role."""

    log_group_name: LogGroupName
    retention_in_days: StrictInt = Field(default=365, description="Allowed CloudWatch values.")
    role_name: IamRoleName = Field(
        default="CloudTrailCloudWatchLogsDelivery",
        description="IAM role CloudTrail assumes to write to the log group.",
    )


_STATE_KEY_SEGMENT_RE = re.compile(r"^[A-Za-z0-9!_.'()=-]+$")


def _state_key(value: str) -> str:
    if not 1 <= len(value.encode("utf-8")) <= 1024:
        raise ValueError("must be 1-1024 bytes (the S3 object key limit)")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise ValueError(
            f"{value!r}: must not start or end with '/' or hold '//' (the S3 backend refuses it)"
        )
    for segment in value.split("/"):
        if segment in (".", "..") or not _STATE_KEY_SEGMENT_RE.fullmatch(segment):
            raise ValueError(
                f"{value!r}: use S3-safe characters only (A-Z a-z 0-9 ! _ . ' ( ) = -, '/' between"
                " segments; no '.' or '..' segment)"
            )
    return value


class Backend(StrictModel):
    """Where Terraform keeps this module's state: an S3 backend with native locking."""

    bucket: BucketName = Field(
        description="Existing, versioned bucket for Terraform state (not the log bucket)."
    )
    key: Annotated[StrictStr, AfterValidator(_state_key)] = Field(
        description="Object key of the state file, e.g. orgtrail/prod/terraform.tfstate."
    )
    region: Region | None = Field(
        default=None, description="Region of the state bucket. Default: trail.home_region."
    )
    kms_key_id: (
        Annotated[
            StrictStr,
            _match(
                r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                r"[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
                "a symmetric key's ARN, arn:<partition>:kms:<region>:<account>:key/<key-id>",
            ),
        ]
        | None
    ) = Field(
        default=None,
        description="Encrypt state with this KMS key (SSE-KMS) instead of S3-managed keys.",
    )

    def state_region(self, home_region: str) -> str:
        """The state bucket's region: as configured, else the trail's home region."""
        return self.region or home_region


def _principal_key(principal: str) -> str:
    """A principal as an account id or ARN, normalised so that '1234' and its root ARN compare."""
    if principal.endswith(":root"):
        return principal.split(":")[4]
    return principal


def _sorted_tags(value: dict[str, str]) -> dict[str, str]:
    return dict(sorted(value.items()))


TagKey = Annotated[StrictStr, AfterValidator(lambda v: _tag_text(v, is_key=True))]
TagValue = Annotated[StrictStr, AfterValidator(lambda v: _tag_text(v, is_key=False))]


class Config(StrictModel):
    """One organization: the whole input of one generated module."""

    organization: Organization
    trail: Trail
    bucket: Bucket
    cloudwatch_logs: CloudWatchLogs | None = Field(
        default=None, description="Omit to deliver to S3 only."
    )
    kms: Kms = Field(default_factory=Kms)
    tags: Annotated[dict[TagKey, TagValue], AfterValidator(_sorted_tags)] = Field(
        default_factory=dict, description="Default tags for every resource (provider default_tags)."
    )
    backend: Backend | None = Field(
        default=None,
        description="Omit to keep state where you configure it (a hand-written backend.tf is "
        "kept) or, without one, in a local terraform.tfstate.",
    )


def cross_field_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that relate several fields, each as (path of the key to change, message)."""
    issues: list[tuple[tuple[str | int, ...], str]] = []
    trail, bucket = config.trail, config.bucket
    regions = trail.regions or []
    if regions and trail.home_region not in regions:
        issues.append((("trail", "regions"), f"must include the home region {trail.home_region}"))
    for i, region in enumerate(regions):
        if region in regions[:i]:
            issues.append((("trail", "regions", i), f"{region} is listed twice"))
    home = partition_of(trail.home_region)
    for i, region in enumerate(regions):
        other = partition_of(region)
        if home and other and other.name != home.name:
            issues.append(
                (
                    ("trail", "regions", i),
                    f"{region} is in partition {other.name}, the home region in {home.name}: an "
                    "organization trail covers only its own partition",
                )
            )
    if trail.is_multi_region and not trail.include_global_service_events:
        issues.append(
            (
                ("trail", "include_global_service_events"),
                "must be true for a multi-region trail (AWS rejects the combination with "
                "InvalidParameterCombinationException)",
            )
        )
    if not trail.is_multi_region and regions and regions != [trail.home_region]:
        issues.append(
            (
                ("trail", "regions"),
                "a single-region trail logs only its home region; list only "
                f"{trail.home_region} or set is_multi_region: true",
            )
        )
    global_region = home.global_region if home else None
    if (
        not trail.is_multi_region
        and trail.include_global_service_events
        and global_region
        and trail.home_region != global_region
    ):
        issues.append(
            (
                ("trail", "is_multi_region"),
                f"a single-region trail in {trail.home_region} records NO global service events "
                f"(IAM, STS, CloudFront): since 22 November 2021 they are recorded in "
                f"{global_region} only. Set is_multi_region: true (recommended), or set "
                "include_global_service_events: false to accept that they are not recorded",
            )
        )
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
    issues.extend(_hardening_issues(config))
    issues.extend(_backend_issues(config))
    cwl = config.cloudwatch_logs
    if cwl is not None and cwl.retention_in_days not in RETENTION_DAYS:
        issues.append(
            (
                ("cloudwatch_logs", "retention_in_days"),
                f"{cwl.retention_in_days} is not allowed; use one of "
                + ", ".join(map(str, RETENTION_DAYS)),
            )
        )
    return issues


def _hardening_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules of the bucket's lifecycle, lock and key that relate several fields."""
    issues: list[tuple[tuple[str | int, ...], str]] = []
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
    for field_path, principals in (
        (("bucket", "readers"), bucket.readers),
        (("kms", "administrators"), kms.administrators),
    ):
        for i, principal in enumerate(principals):
            if (
                partition
                and principal.startswith("arn:")
                and principal.split(":")[1] != partition.name
            ):
                issues.append(((*field_path, i), f"not in the trail's partition {partition.name}"))
    if kms.key_arn is not None:
        _, arn_partition, _, region, *_ = kms.key_arn.split(":")
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


def _backend_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules of the state backend that relate it to the rest of the config."""
    backend = config.backend
    if backend is None:
        return []
    issues: list[tuple[tuple[str | int, ...], str]] = []
    if backend.bucket == config.bucket.name:
        issues.append((("backend", "bucket"),
                       "keep state out of the log bucket: its policy, lifecycle and Object Lock "
                       "are made for logs; use a bucket of its own"))  # fmt: skip
    home = partition_of(config.trail.home_region)
    region = backend.state_region(config.trail.home_region)
    state = partition_of(region)
    if home and state and state.name != home.name:
        issues.append((("backend", "region"),
                       f"{region} is in partition {state.name}, the trail in {home.name}: one "
                       "set of credentials cannot reach both"))  # fmt: skip
    if backend.kms_key_id is not None:
        _, arn_partition, _, key_region, *_ = backend.kms_key_id.split(":")
        if key_region != region:
            issues.append((("backend", "kms_key_id"),
                           f"the key is in {key_region}, the state bucket in {region}: S3 needs "
                           "a key in the bucket's region"))  # fmt: skip
        if state and arn_partition != state.name:
            issues.append((("backend", "kms_key_id"), f"not in partition {state.name}"))
    return issues
