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
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
    StrictStr,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core.core_schema import CoreSchema

from generator.config.regions import partition_of

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


@dataclass(frozen=True)
class _Pattern(AfterValidator):
    """An AfterValidator that also puts its regular expression in the JSON Schema.

    Why: an editor with the schema then flags a bad account id as the user types, as
    ``validate`` does; the message stays ours (pydantic's own ``pattern`` would word it).
    """

    pattern: str = ""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result = handler(schema)
        result["pattern"] = self.pattern
        return result


def _match(pattern: str, rule: str) -> AfterValidator:
    compiled = re.compile(pattern, re.ASCII)  # AWS identifiers are ASCII: \d is [0-9] only

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not valid: {rule}")
        return value

    return _Pattern(check, pattern=f"^(?:{pattern})$")


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
        import difflib

        from generator.config.regions import partitions

        known = sorted(region for partition in partitions() for region in partition.regions)
        close = difflib.get_close_matches(value, known, n=2, cutoff=0.75)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"{value!r} is not a region where CloudTrail runs (botocore data){hint}")
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
    cloudtrail_trusted_access: Literal["already_enabled", "enable", "adopt"] = Field(
        description=(
            "Whether CloudTrail's trusted access in AWS Organizations is already on. "
            "'already_enabled': it is only asserted at plan (other organization trails, e.g. "
            "Control Tower's, depend on it, so this module must never disable it). 'enable': "
            "this module enables it with aws_organizations_aws_service_access, and a destroy "
            "disables only that. 'adopt': it was enabled outside Terraform (e.g. by the console "
            "when it created the trail) and this module takes it over with an import block; a "
            "destroy then disables it. No default: " + TRUSTED_ACCESS_HINT + "."
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


def sid_stem(trail_name: str) -> str:
    """The trail's name as a Sid part: ``acme-org.trail_v2`` -> ``AcmeOrgTrailV2``.

    Sids name the trail so that two trails' grants in one bucket's policy never share a Sid.
    """
    words = trail_name.replace(".", "-").replace("_", "-").split("-")
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def bucket_policy_sids(trail_name: str) -> tuple[str, ...]:
    """Every Sid the generated bucket policy may carry (generator.render.policies writes them)."""
    stem = f"CloudTrail{sid_stem(trail_name)}"
    return (
        f"{stem}AclCheck",
        f"{stem}WriteManagementAccount",
        f"{stem}WriteOrganization",
        f"{stem}LogReaders",
        "DenyInsecureTransport",
    )


_OneOrMore = (
    Annotated[StrictStr, Field(min_length=1)]
    | Annotated[list[Annotated[StrictStr, Field(min_length=1)]], Field(min_length=1)]
)


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
    effect: Literal["Allow", "Deny"] = Field(alias="Effect")
    principal: Literal["*"] | dict[Literal["AWS", "Service"], _OneOrMore] = Field(
        alias="Principal",
        description="{Service: ...} or {AWS: ...}; '*' only in a Deny.",
    )
    action: _OneOrMore = Field(alias="Action", description="s3: actions only (a bucket policy).")
    resource: _OneOrMore = Field(alias="Resource", description="This bucket or its objects.")
    condition: dict[StrictStr, dict[StrictStr, _OneOrMore]] = Field(
        default_factory=dict, alias="Condition", description="{operator: {key: value(s)}}."
    )


def as_list(value: str | list[str]) -> list[str]:
    """IAM JSON allows one string wherever a list is meant."""
    return [value] if isinstance(value, str) else list(value)


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
            "Only with create: false. aws_s3_bucket_policy REPLACES the bucket's whole policy: "
            "'replace' writes this module's statements only; 'merge' writes them plus "
            "bucket.kept_statements (the live policy is never read back)."
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


_ARN_PARTITION = r"arn:aws[a-z-]*"
_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
TrailArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:cloudtrail:[a-z0-9-]+:\d{{12}}:trail/[A-Za-z0-9._-]{{3,128}}",
        "a trail ARN, arn:<partition>:cloudtrail:<home region>:<account>:trail/<name>",
    ),
]
KeyArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:kms:[a-z0-9-]+:\d{{12}}:key/{_KEY_ID}",
        "a symmetric key's ARN, arn:<partition>:kms:<region>:<account>:key/<key-id>",
    ),
]
LogGroupArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:logs:[a-z0-9-]+:\d{{12}}:log-group:[.\-_/#A-Za-z0-9]{{1,512}}(?::\*)?",
        "a log group ARN, arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]",
    ),
]
RoleArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:iam::\d{{12}}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}}",
        "a role ARN, arn:<partition>:iam::<account>:role/<name>",
    ),
]


class Kms(StrictModel):
    """Encryption of logs, digests and the log group with a customer-managed KMS key."""

    enabled: StrictBool = Field(
        default=True, description="false falls back to SSE-S3 and an unencrypted log group."
    )
    key_arn: KeyArn | None = Field(
        default=None, description="Use this existing symmetric key instead of creating one."
    )
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
        description=(
            "Who may administer the created keys besides each key's account root: manage, never "
            "decrypt. Each goes on the keys of its own account only (KMS administrative calls do "
            "not work across accounts)."
        ),
    )


class CloudWatchLogs(StrictModel):
    """The central log group CloudTrail also delivers to, and its delivery role."""

    log_group_name: LogGroupName
    retention_in_days: StrictInt = Field(
        default=365,
        description="Allowed CloudWatch values.",
        json_schema_extra={"enum": list(RETENTION_DAYS)},
    )
    role_name: IamRoleName = Field(
        default="CloudTrailCloudWatchLogsDelivery",
        description="IAM role CloudTrail assumes to write to the log group.",
    )


BucketConfiguration = Literal[
    "public_access_block",
    "ownership_controls",
    "versioning",
    "encryption",
    "lifecycle",
    "object_lock",
    "logging",
    "policy",
]


class AdoptedTrail(StrictModel):
    """The trail as it is today (``aws cloudtrail describe-trails``): what the plan changes."""

    arn: TrailArn = Field(description="TrailARN: the import id (the provider reads trails by ARN).")
    s3_bucket_name: BucketName
    s3_key_prefix: (
        Annotated[StrictStr, _match(r"[\x20-\x7e]{1,2000}", "printable ASCII, <= 2000")] | None
    ) = None
    is_organization_trail: StrictBool
    is_multi_region: StrictBool
    include_global_service_events: StrictBool
    enable_log_file_validation: StrictBool
    kms_key_arn: KeyArn | None = None
    cloud_watch_logs_group_arn: LogGroupArn | None = None
    cloud_watch_logs_role_arn: RoleArn | None = None
    sns_topic_name: (
        Annotated[
            StrictStr,
            _match(
                rf"(?:{_ARN_PARTITION}:sns:[a-z0-9-]+:\d{{12}}:)?[A-Za-z0-9_-]{{1,256}}",
                "an SNS topic name or ARN",
            ),
        ]
        | None
    ) = Field(
        default=None, description="SnsTopicName/ARN, if the trail notifies one (removed here)."
    )
    has_custom_event_selectors: StrictBool = Field(
        default=False,
        description=(
            "HasCustomEventSelectors: data events or advanced selectors, which this module does "
            "not generate (the plan removes them)."
        ),
    )
    has_insight_selectors: StrictBool = Field(
        default=False, description="HasInsightSelectors (the plan removes them)."
    )


class AdoptedBucket(StrictModel):
    """The log bucket exists (``bucket.name``, ``create: true``): it and its settings are imported.

    Only the settings the bucket has today can be imported (importing one it lacks fails the
    plan with "Cannot import non-existent remote object"); the others are created.
    """

    name: BucketName = Field(description="The existing bucket; must be bucket.name.")
    configurations: list[BucketConfiguration] = Field(
        description=(
            "Which bucket settings exist today (discover: the Get* call that does not answer "
            "NoSuch...). 'policy': imported and replaced by ours plus bucket.kept_statements "
            "(discover copies the console's AWSCloudTrail*20150319 grants there)."
        ),
    )


class AdoptedLogGroup(StrictModel):
    """The log group exists (``cloudwatch_logs.log_group_name``)."""

    name: LogGroupName
    log_group_class: Literal["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"] = "STANDARD"
    retention_in_days: StrictInt | None = Field(
        default=None, description="Today's retention; omitted or null: never expires."
    )
    kms_key_arn: KeyArn | None = None


InlinePolicyName = Annotated[StrictStr, _match(r"[\w+=,.@-]{1,128}", "an inline policy name")]
PolicyArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:iam::(?:\d{{12}}|aws):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,128}}",
        "a managed policy ARN, arn:<partition>:iam::<account or aws>:policy/<name>",
    ),
]


class AdoptedRole(StrictModel):
    """The delivery role exists (``cloudwatch_logs.role_name``)."""

    name: IamRoleName
    path: Annotated[
        StrictStr,
        _match(r"/(?:[\w+=,.@-]+/){0,50}", "an IAM path: / or /name/.../"),
        Field(max_length=512),
    ] = Field(
        default="/",
        description="Its path (console-made service roles may use /service-role/): kept, "
        "because a different path forces a new role.",
    )
    inline_policy: InlinePolicyName | None = Field(
        default=None,
        description=(
            "Its inline policy that grants delivery, taken over under this name and replaced "
            "by the generated one."
        ),
    )
    other_inline_policies: list[InlinePolicyName] = Field(
        default_factory=list,
        description=(
            "Its other inline policies (discover lists them): not managed here, they stay and "
            "keep granting what they grant."
        ),
    )
    attached_policies: list[PolicyArn] = Field(
        default_factory=list,
        description=(
            "Managed policies attached to it (discover lists them): left attached, granting "
            "what they grant."
        ),
    )


class AdoptedKey(StrictModel):
    """The trail's key exists and this module takes it over (instead of creating one)."""

    arn: KeyArn = Field(description="The key's ARN; its key id is the import id.")
    alias: (
        Annotated[
            StrictStr,
            _match(r"alias/(?!aws/)[A-Za-z0-9/_-]{1,250}", "alias/<name>, not under alias/aws/"),
        ]
        | None
    ) = Field(default=None, description="Its alias, if it has one: must be the config's alias.")
    key_spec: Annotated[
        StrictStr, _match(r"[A-Z0-9_]{1,40}", "a KeySpec such as SYMMETRIC_DEFAULT")
    ] = Field(default="SYMMETRIC_DEFAULT", description="describe-key KeySpec.")
    custom_key_store_id: Annotated[StrictStr, _match(r"cks-[a-z0-9]{1,60}", "cks-<id>")] | None = (
        Field(default=None, description="describe-key CustomKeyStoreId, if any.")
    )


class Adopt(StrictModel):
    """What already exists and is imported, not created. Omit what does not exist."""

    trail: AdoptedTrail | None = None
    bucket: AdoptedBucket | None = None
    log_group: AdoptedLogGroup | None = None
    role: AdoptedRole | None = None
    key: AdoptedKey | None = None


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
    kms_key_id: KeyArn | None = Field(
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


class LogArchive(StrictModel):
    """A separate log-archive account that owns the bucket and its KMS key."""

    account_id: AccountId = Field(description="The log-archive account.")
    role_arn: RoleArn = Field(
        description=(
            "Role in the log-archive account that Terraform assumes (from the management "
            "account's credentials) to manage the bucket and its key."
        )
    )


class DelegatedAdmin(StrictModel):
    """A CloudTrail delegated administrator account that creates the trail."""

    account_id: AccountId = Field(description="The delegated administrator account.")
    role_arn: RoleArn = Field(
        description="Role in that account that Terraform assumes to create the trail."
    )
    registered: StrictBool = Field(
        default=False,
        description=(
            "true: already registered as CloudTrail's delegated administrator; false: this "
            "module registers it from the management account "
            "(aws_cloudtrail_organization_delegated_admin_account)."
        ),
    )
    other_registered: list[AccountId] = Field(
        default_factory=list,
        description=(
            "Other accounts already registered as CloudTrail delegated administrators "
            "(CloudTrail allows 3 per organization)."
        ),
    )


def _sorted_tags(value: dict[str, str]) -> dict[str, str]:
    return dict(sorted(value.items()))


TagKey = Annotated[StrictStr, AfterValidator(lambda v: _tag_text(v, is_key=True))]
TagValue = Annotated[StrictStr, AfterValidator(lambda v: _tag_text(v, is_key=False))]


# --- monitoring (CIS metric filters, alarms, notifications, saved queries) --------------------

# CloudWatch alarm periods (botocore PutMetricAlarm ``Period``): 10, 20, 30 or a multiple of 60.
_HIGH_RESOLUTION_PERIODS = (10, 20, 30)
_EMAIL_RE = re.compile(r"[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_HTTPS_RE = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s]*)?")
_SQS_ARN_RE = re.compile(r"arn:(aws[a-z-]*):sqs:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,80}(?:\.fifo)?")
_LAMBDA_ARN_RE = re.compile(
    r"arn:(aws[a-z-]*):lambda:([a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
_TOPIC_ARN_RE = re.compile(r"arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}")


def _filter_pattern(value: str) -> str:
    """Parse a custom pattern with the same grammar the CIS catalogue is proven with.

    Imported here, not at module level: building the grammar costs time that a config without
    custom filters never pays.
    """
    from generator.monitoring.filter_pattern import parse

    parse(value)  # FilterPatternError is a ValueError: pydantic reports it on this key
    return value


# Used as metric filter name, metric name and (behind the trail's name) alarm name, and turned
# into a Terraform label: the strictest of those rules (botocore FilterName, MetricName,
# PutMetricAlarm AlarmName), which also keeps the alarm name within 255 characters.
FilterName = Annotated[
    StrictStr,
    _match(
        r"[A-Za-z][A-Za-z0-9_.-]{0,99}",
        "1-100 characters from A-Z a-z 0-9 _ . -, starting with a letter (used as metric "
        "filter, metric and alarm name)",
    ),
]
Comparison = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]


class CustomFilter(StrictModel):
    """A metric filter of your own on the central log group, with its alarm."""

    name: FilterName
    pattern: Annotated[StrictStr, AfterValidator(_filter_pattern)] = Field(
        description=(
            "A CloudWatch Logs JSON filter pattern, { ... }, at most 1024 characters. It is "
            "parsed when the config is validated: a syntax error names its column."
        )
    )
    threshold: Annotated[StrictInt, Field(ge=0)] | None = Field(
        default=None, description="Alarm threshold; default monitoring.alarms.threshold."
    )
    period: StrictInt | None = Field(
        default=None, description="Alarm period in seconds; default monitoring.alarms.period."
    )
    evaluation_periods: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None, description="Default monitoring.alarms.evaluation_periods."
    )
    comparison: Comparison | None = Field(
        default=None, description="Default GreaterThanOrEqualToThreshold."
    )


class AlarmSettings(StrictModel):
    """How every alarm judges its metric (aws-facts.md §7.5: one event in five minutes alarms)."""

    # CloudWatch namespaces are ASCII (PutMetricData); botocore's logs model forbids : * $.
    namespace: Annotated[
        StrictStr,
        _match(r"(?:(?![:*$])[ -~]){1,255}", "1-255 printable ASCII characters, none of : * $"),
    ] = Field(default="CISBenchmark", description="CloudWatch namespace of every metric.")
    period: StrictInt = Field(default=300, description="10, 20, 30 or a multiple of 60 seconds.")
    threshold: Annotated[StrictInt, Field(ge=0)] = 1
    evaluation_periods: Annotated[StrictInt, Field(ge=1)] = 1
    treat_missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = Field(
        default="notBreaching",
        description="A quiet period has no data points; notBreaching keeps the alarm OK.",
    )
    ok_actions: StrictBool = Field(
        default=False, description="Also notify when an alarm returns to OK."
    )


class Subscription(StrictModel):
    """One subscriber of the alarm topic."""

    protocol: Literal["email", "https", "sqs", "lambda"]
    endpoint: StrictStr = Field(
        description=(
            "email: an address (stays PendingConfirmation until the recipient confirms); "
            "https: a URL; sqs: a queue ARN; lambda: a function ARN, both in the trail's "
            "partition (SNS delivers to queues and functions in other regions too)."
        )
    )


class CreatedTopic(StrictModel):
    """An SNS topic created here, encrypted with its own customer-managed key."""

    name: (
        Annotated[
            StrictStr, _match(r"[A-Za-z0-9_-]{1,256}", "1-256 characters from A-Z a-z 0-9 _ -")
        ]
        | None
    ) = Field(default=None, description="Default <trail name>-alarms.")
    subscriptions: list[Subscription] = Field(default_factory=list)


class Notifications(StrictModel):
    """Where alarms notify: a topic created here (default) or an existing topic."""

    topic: CreatedTopic | None = Field(
        default=None, description="Create the topic (the default when existing_topic_arn is unset)."
    )
    existing_topic_arn: StrictStr | None = Field(
        default=None,
        description=(
            "Publish to this topic instead; its policy (and key, if encrypted) must admit "
            "cloudwatch.amazonaws.com."
        ),
    )


def _cis_selection(value: object) -> str | list[str]:
    """'all', 'none' or a list of id strings, as ONE rule: a union would report each arm."""
    if value in ("all", "none"):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError("expected 'all', 'none' or a list of CIS ids such as ['4.1', '4.3']")


# object + one validator: a union type would report an error once per arm, on made-up paths.
CisSelection = Annotated[object, AfterValidator(_cis_selection)]


class Monitoring(StrictModel):
    """CIS metric filters and alarms on the central log group, their notifications, queries."""

    cis_controls: CisSelection = Field(
        default="all",
        description="'all', 'none', or CIS ids such as ['4.1', '4.15'].",
        json_schema_extra={
            "anyOf": [
                {"enum": ["all", "none"], "type": "string"},
                {"items": {"type": "string"}, "type": "array"},
            ]
        },
    )
    flavours: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        description="Flavour per control where the sources disagree: {'4.10': 'securityhub'}.",
    )
    custom_filters: list[CustomFilter] = Field(default_factory=list)
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    notifications: Notifications = Field(default_factory=Notifications)
    saved_queries: StrictBool = Field(
        default=True, description="Logs Insights queries for the common investigations."
    )

    @property
    def control_ids(self) -> list[str]:
        """The selected CIS control ids, in the order given ('all': benchmark order)."""
        from generator.monitoring.cis import controls

        if isinstance(self.cis_controls, list):
            return [str(control_id) for control_id in self.cis_controls]
        return [c.id for c in controls()] if self.cis_controls == "all" else []


# The sections in modules of their own use the types above, so they are imported here.
from generator.config.athena import Athena, athena_issues  # noqa: E402


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
    log_archive: LogArchive | None = Field(
        default=None,
        description="Put the bucket and its key in a separate log-archive account.",
    )
    delegated_admin: DelegatedAdmin | None = Field(
        default=None,
        description="Create the trail from a CloudTrail delegated administrator account.",
    )
    adopt: Adopt | None = Field(
        default=None,
        description=(
            "What already exists in AWS and is taken over with import blocks instead of "
            "created (`orgtrail-gen discover` fills it in)."
        ),
    )
    backend: Backend | None = Field(
        default=None,
        description="Omit to keep state where you configure it (a hand-written backend.tf is "
        "kept) or, without one, in a local terraform.tfstate.",
    )
    monitoring: Monitoring | None = Field(
        default=None,
        description="CIS metric filters and alarms on the log group, notifications, saved queries.",
    )
    athena: Athena | None = Field(
        default=None,
        description="An Athena table over every account's logs, a workgroup, saved queries.",
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
    issues.extend(_kept_statement_issues(config))
    issues.extend(_hardening_issues(config))
    issues.extend(_layout_issues(config))
    issues.extend(_administrator_issues(config))
    issues.extend(_adoption_issues(config))
    issues.extend(_backend_issues(config))
    issues.extend(_monitoring_issues(config))
    issues.extend(athena_issues(config))
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


def _condition_keys(statement: KeptStatement) -> set[str]:
    """The statement's condition keys, lowercased: IAM reads them case-insensitively."""
    return {key.lower() for pairs in statement.condition.values() for key in pairs}


def _kept_statement_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """The kept statements form a valid bucket policy with ours, and grant nothing wider.

    S3 refuses a policy whose resources are outside the bucket or whose actions are not s3:
    (MalformedPolicy); the provider refuses duplicate Sids at plan time. A grant to everyone
    or to a service without a source condition is refused here, as it is for our statements.
    """
    bucket = config.bucket
    issues: list[tuple[tuple[str | int, ...], str]] = []
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
    issues.extend(_access_log_target_issues(config))
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


def _access_log_target_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
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


MAX_DELEGATED_ADMINS = 3  # CloudTrail's limit per organization (CT-UG, aws-facts.md §5.4)


def _layout_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules of the log-archive and delegated-administrator layouts."""
    issues: list[tuple[tuple[str | int, ...], str]] = []
    management = config.organization.management_account_id
    partition = partition_of(config.trail.home_region)
    for name, section in (
        ("log_archive", config.log_archive),
        ("delegated_admin", config.delegated_admin),
    ):
        if section is None:
            continue
        if section.account_id == management:
            issues.append(
                (
                    (name, "account_id"),
                    "is the management account: omit the section to use the management account",
                )
            )
        _, arn_partition, _, _, role_account, _ = section.role_arn.split(":", 5)
        if role_account != section.account_id:
            issues.append(
                (
                    (name, "role_arn"),
                    f"is a role in account {role_account}, not in {section.account_id}: Terraform "
                    "would manage the wrong account (allowed_account_ids refuses it)",
                )
            )
        if partition and arn_partition != partition.name:
            issues.append(((name, "role_arn"), f"not in the trail's partition {partition.name}"))
    archive = config.log_archive
    if archive is not None and config.kms.key_arn is not None:
        key_account = config.kms.key_arn.split(":")[4]
        if key_account != archive.account_id:
            issues.append(
                (
                    ("kms", "key_arn"),
                    f"the key is in account {key_account}, the bucket in the log-archive account "
                    f"{archive.account_id}: use a key of the bucket's account, whose policy the "
                    "bucket's owner controls",
                )
            )
    admin = config.delegated_admin
    if admin is not None:
        others = admin.other_registered
        if 1 + len(set(others) - {admin.account_id}) > MAX_DELEGATED_ADMINS:
            issues.append(
                (
                    ("delegated_admin", "other_registered"),
                    f"CloudTrail allows at most {MAX_DELEGATED_ADMINS} delegated administrators "
                    "per organization: deregister one first",
                )
            )
        if management in others:
            issues.append(
                (
                    ("delegated_admin", "other_registered"),
                    "the management account cannot be a delegated administrator",
                )
            )
        if config.cloudwatch_logs is not None:
            issues.append(
                (
                    ("cloudwatch_logs",),
                    "a trail created by a delegated administrator delivers to CloudWatch Logs only "
                    "into a log group of the account that calls CreateTrail, while the trail, "
                    "its ARN and its CloudWatch Logs delivery belong to the management account; "
                    "AWS does not document which account must own the group (aws-facts.md "
                    "§3.4). Create the trail from the management account (omit "
                    "delegated_admin) to deliver to CloudWatch Logs, or omit cloudwatch_logs",
                )
            )
    return issues


def principal_account(principal: str) -> str:
    """The account of a config principal: an account id is itself, an ARN carries it."""
    return principal if principal.isdigit() else principal.split(":")[4]


def created_keys(config: Config) -> dict[str, list[str]]:
    """The KMS keys this module creates, by the account that owns each: {account: [key, ...]}.

    The trail's key sits beside the bucket (the log-archive account's, if any); the log group's
    own key (log-archive layout) and the alarm topic's key in the management account. The
    renderer (generator.render.views) makes the same decisions; this is what validation needs.
    """
    management = config.organization.management_account_id
    archive = config.log_archive
    kms, cwl, monitoring = config.kms, config.cloudwatch_logs, config.monitoring
    keys: dict[str, list[str]] = {}
    if kms.enabled and kms.key_arn is None:
        keys.setdefault(archive.account_id if archive else management, []).append("the trail's key")
    if archive is not None and cwl is not None and kms.enabled:
        keys.setdefault(management, []).append("the log group's key")
    if (
        monitoring is not None
        and cwl is not None
        and monitoring.notifications.existing_topic_arn is None
        and (monitoring.control_ids or monitoring.custom_filters)
    ):
        keys.setdefault(management, []).append("the alarm topic's key")
    return keys


def _administrator_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Each key administrator must belong to the account of a key it is to administer.

    KMS refuses its administrative operations (PutKeyPolicy, ScheduleKeyDeletion,
    EnableKeyRotation, CreateAlias...) to principals of another account whatever the key policy
    says; only CreateGrant, ListGrants, RevokeGrant, DescribeKey and the cryptographic
    operations work across accounts (KMS developer guide, "Allowing users in other accounts to
    use a KMS key"). So an administrator goes only on the keys of its own account, and one
    whose account owns no key of this module would administer nothing.
    """
    keys = created_keys(config)
    if not config.kms.enabled or config.kms.key_arn is not None:
        return []  # kms.administrators is refused with its own message there
    where = "; ".join(f"account {account}: {', '.join(names)}" for account, names in keys.items())
    issues: list[tuple[tuple[str | int, ...], str]] = []
    for i, principal in enumerate(config.kms.administrators):
        account = principal_account(principal)
        if account not in keys:
            issues.append(
                (
                    ("kms", "administrators", i),
                    f"{principal} is in account {account}, which owns no key of this module "
                    f"({where}). KMS refuses administrative operations such as PutKeyPolicy "
                    "from another account whatever the key policy says: name a principal of "
                    "the key's own account, or remove this entry",
                )
            )
    return issues


def default_key_alias(config: Config) -> str:
    """The alias of the created key: ``kms.alias``, else ``alias/<trail name>`` ('.' -> '-')."""
    return config.kms.alias or "alias/" + config.trail.name.replace(".", "-")


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(partition, region, account, resource) of an ARN the model already validated."""
    _, partition, _, region, account, resource = arn.split(":", 5)
    return partition, region, account, resource


def _adoption_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """What an import cannot take over without REPLACING it, located at the key to change.

    Terraform imports an object and then plans the difference to the config: for a ForceNew
    argument (the trail's, bucket's, log group's or role's name, the trail's region, a key's
    multi-Region switch) that difference is a delete-and-create of what holds the logs. Such a
    config is refused here; differences AWS can apply in place are warnings
    (generator.render.adoption).
    """
    adopt = config.adopt
    if adopt is None:
        return []
    issues: list[tuple[tuple[str | int, ...], str]] = []
    trail, bucket, cwl = config.trail, config.bucket, config.cloudwatch_logs
    home = partition_of(trail.home_region)
    partition = home.name if home else ""
    management = config.organization.management_account_id
    if adopt.trail is not None:
        arn_partition, region, account, resource = _arn_parts(adopt.trail.arn)
        name = resource.removeprefix("trail/")
        where: tuple[str | int, ...] = ("adopt", "trail", "arn")
        if arn_partition != partition:
            issues.append((where, f"in partition {arn_partition}, the home region in {partition}"))
        if account != management:
            issues.append(
                (
                    where,
                    f"carries account {account}, not the management account {management}: an "
                    "organization trail's ARN always carries the management account's id, even "
                    "when a delegated administrator created it. This is another account's trail, "
                    "which this module cannot adopt; remove adopt.trail or fix the ARN",
                )
            )
        if region != trail.home_region:
            issues.append(
                (
                    ("trail", "home_region"),
                    f"the adopted trail's home region is {region} (adopt.trail.arn): set "
                    f"trail.home_region: {region}. A trail cannot move; Terraform would delete it "
                    f"and create another in {trail.home_region}",
                )
            )
        if name != trail.name:
            issues.append(
                (
                    ("trail", "name"),
                    f"the adopted trail is called {name} (adopt.trail.arn): set trail.name: "
                    f"{name}. A trail cannot be renamed: Terraform would delete it and create "
                    "another, and no account is logged in between",
                )
            )
    if adopt.bucket is not None:
        if not bucket.create:
            issues.append(
                (
                    ("adopt", "bucket"),
                    "applies only to bucket.create: true. With create: false the bucket is not "
                    "managed and there is nothing to import; bucket.existing_policy: merge with "
                    "bucket.kept_statements keeps the statements of its policy that must survive",
                )
            )
        elif adopt.bucket.name != bucket.name:
            issues.append(
                (
                    ("bucket", "name"),
                    f"the adopted bucket is {adopt.bucket.name} (adopt.bucket.name): set "
                    f"bucket.name: {adopt.bucket.name}, or remove adopt.bucket to create a new "
                    "bucket. A bucket cannot be renamed; Terraform would create a new, empty one",
                )
            )
        if bucket.object_lock is not None and "object_lock" not in adopt.bucket.configurations:
            issues.append(
                (
                    ("bucket", "object_lock"),
                    f"the adopted bucket {adopt.bucket.name} has no Object Lock, and "
                    "object_lock_enabled forces a new bucket: remove bucket.object_lock (or add "
                    "'object_lock' to adopt.bucket.configurations if the bucket has it)",
                )
            )
        for i, item in enumerate(adopt.bucket.configurations):
            if item in adopt.bucket.configurations[:i]:
                issues.append((("adopt", "bucket", "configurations", i), f"{item} is listed twice"))
    if adopt.log_group is not None:
        if cwl is None:
            issues.append(
                (
                    ("adopt", "log_group"),
                    f"the config has no cloudwatch_logs section: add one with log_group_name: "
                    f"{adopt.log_group.name}, or remove adopt.log_group",
                )
            )
        elif adopt.log_group.name != cwl.log_group_name:
            issues.append(
                (
                    ("cloudwatch_logs", "log_group_name"),
                    f"the adopted log group is {adopt.log_group.name} (adopt.log_group.name): set "
                    f"cloudwatch_logs.log_group_name: {adopt.log_group.name}. A log group cannot "
                    "be renamed; Terraform would delete it with every event stored in it",
                )
            )
        if adopt.log_group.log_group_class != "STANDARD":
            issues.append(
                (
                    ("adopt", "log_group", "log_group_class"),
                    f"a {adopt.log_group.log_group_class} log group cannot be adopted: the "
                    "generated group is STANDARD and the class forces a new group. Remove "
                    "adopt.log_group and choose another cloudwatch_logs.log_group_name",
                )
            )
    if adopt.role is not None:
        if cwl is None:
            issues.append(
                (
                    ("adopt", "role"),
                    "the config has no cloudwatch_logs section, so no delivery role is "
                    "generated: add the section or remove adopt.role",
                )
            )
        elif adopt.role.name != cwl.role_name:
            issues.append(
                (
                    ("cloudwatch_logs", "role_name"),
                    f"the adopted role is {adopt.role.name} (adopt.role.name): set "
                    f"cloudwatch_logs.role_name: {adopt.role.name}. A role cannot be renamed; "
                    "Terraform would delete it and create another",
                )
            )
        if adopt.role.inline_policy in adopt.role.other_inline_policies:
            issues.append(
                (
                    ("adopt", "role", "other_inline_policies"),
                    f"{adopt.role.inline_policy} is adopt.role.inline_policy (taken over and "
                    "replaced): remove it from other_inline_policies, which are left as they are",
                )
            )
    if adopt.key is not None:
        issues.extend(_adopted_key_issues(config, adopt.key, partition, management))
    return issues


def _adopted_key_issues(
    config: Config, key: AdoptedKey, partition: str, management: str
) -> list[tuple[tuple[str | int, ...], str]]:
    """An adopted key must be one this module could have created: same region, single-Region."""
    kms, home = config.kms, config.trail.home_region
    where: tuple[str | int, ...] = ("adopt", "key")
    if not kms.enabled:
        return [(where, "kms.enabled is false: there is no key to take over; remove adopt.key")]
    if kms.key_arn is not None:
        return [
            (
                where,
                "kms.key_arn uses a key without managing it, adopt.key takes one over: remove "
                "adopt.key to keep using it as it is, or remove kms.key_arn to manage it here",
            )
        ]
    issues: list[tuple[tuple[str | int, ...], str]] = []
    arn_partition, region, account, resource = _arn_parts(key.arn)
    arn_key: tuple[str | int, ...] = ("adopt", "key", "arn")
    if arn_partition != partition:
        issues.append((arn_key, f"in partition {arn_partition}, the home region in {partition}"))
    if region != home:
        issues.append(
            (
                arn_key,
                f"the key is in {region}, the trail's bucket in {home}: CloudTrail needs a key in "
                "the bucket's region (KmsKeyNotFoundException), and this module manages "
                f"resources in {home} only. Remove adopt.key; a new key is created in {home}",
            )
        )
    if account != management:
        issues.append(
            (
                arn_key,
                f"the key belongs to account {account}, this module runs in the management "
                f"account {management}: it cannot be imported. Use it unmanaged with "
                "kms.key_arn instead",
            )
        )
    if resource.startswith("key/mrk-"):
        issues.append(
            (
                arn_key,
                "a multi-Region key: the generated key is single-Region and multi_region forces "
                "a new key, so Terraform would schedule this one for deletion and every log it "
                "encrypted would become unreadable. Use it without managing it: move its ARN to "
                "kms.key_arn and remove adopt.key",
            )
        )
    for name, value, wanted in (
        ("key_spec", key.key_spec, "SYMMETRIC_DEFAULT"),
        ("custom_key_store_id", key.custom_key_store_id, None),
    ):
        if value != wanted:
            issues.append(
                (
                    ("adopt", "key", name),
                    f"{value}: the generated key is a SYMMETRIC_DEFAULT key in AWS KMS's own key "
                    f"store and {name} forces a new key (this one would be scheduled for "
                    "deletion). Use it without managing it with kms.key_arn (CloudTrail needs a "
                    "symmetric key), and remove adopt.key",
                )
            )
    alias = default_key_alias(config)
    if key.alias is not None and key.alias != alias:
        issues.append(
            (
                ("kms", "alias"),
                f"the adopted key's alias is {key.alias} (adopt.key.alias): set kms.alias: "
                f"{key.alias}. An alias cannot be renamed; Terraform would delete it and create "
                f"{alias}",
            )
        )
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


def _monitoring_issues(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules of the monitoring section that relate several fields or need the catalogue."""
    from generator.monitoring import cis
    from generator.monitoring.names import monitoring_label

    monitoring = config.monitoring
    if monitoring is None:
        return []
    issues: list[tuple[tuple[str | int, ...], str]] = []
    where = ("monitoring",)
    if config.cloudwatch_logs is None:
        issues.append(
            (
                where,
                "monitoring needs the cloudwatch_logs section: metric filters and queries run on "
                "the log group the trail delivers to. Add cloudwatch_logs, or remove monitoring",
            )
        )
    chosen = monitoring.control_ids
    for i, control_id in enumerate(chosen if isinstance(monitoring.cis_controls, list) else []):
        try:
            cis.control(control_id)
        except cis.CatalogueError as exc:
            issues.append(((*where, "cis_controls", i), str(exc)))
        if control_id in chosen[:i]:
            issues.append(((*where, "cis_controls", i), f"{control_id} is listed twice"))
    for control_id, flavour in monitoring.flavours.items():
        path = (*where, "flavours", control_id)
        try:
            control = cis.control(control_id)
        except cis.CatalogueError as exc:
            issues.append((path, str(exc)))
            continue
        if control_id not in chosen:
            issues.append((path, f"CIS {control_id} is not selected in monitoring.cis_controls"))
            continue
        try:
            control.flavour(flavour)
        except cis.CatalogueError as exc:
            issues.append((path, str(exc)))
    taken = {
        monitoring_label(c.name): f"CIS {c.id}" for c in cis.controls() if c.id in chosen
    }  # metric names share one namespace: a custom filter must not count into a CIS metric
    for i, custom in enumerate(monitoring.custom_filters):
        label = monitoring_label(custom.name)
        if label in taken:
            issues.append(
                (
                    (*where, "custom_filters", i, "name"),
                    f"{custom.name!r} is already the name of {taken[label]} (names are compared "
                    "case-insensitively, with . - _ alike); choose another",
                )
            )
        taken[label] = f"custom filter {custom.name!r}"
    periods: list[tuple[tuple[str | int, ...], int]] = [
        ((*where, "alarms", "period"), monitoring.alarms.period)
    ]
    periods += [
        ((*where, "custom_filters", i, "period"), c.period)
        for i, c in enumerate(monitoring.custom_filters)
        if c.period is not None
    ]
    for period_path, period in periods:
        if period not in _HIGH_RESOLUTION_PERIODS and not (period > 0 and period % 60 == 0):
            issues.append(
                (
                    period_path,
                    f"{period} is not an alarm period: use 10, 20, 30 or a multiple of 60",
                )
            )
    issues.extend(_notification_issues(config, monitoring.notifications))
    return issues


def _notification_issues(
    config: Config, notifications: Notifications
) -> list[tuple[tuple[str | int, ...], str]]:
    """The topic: created or existing (not both), its ARN and its subscribers' endpoints."""
    from generator.monitoring.names import subscription_label

    issues: list[tuple[tuple[str | int, ...], str]] = []
    where = ("monitoring", "notifications")
    partition = partition_of(config.trail.home_region)
    home = config.trail.home_region
    arn = notifications.existing_topic_arn
    if arn is not None:
        match = _TOPIC_ARN_RE.fullmatch(arn)
        if notifications.topic is not None:
            issues.append(
                ((*where, "existing_topic_arn"), "set either topic or existing_topic_arn, not both")
            )
        if match is None:
            issues.append(
                (
                    (*where, "existing_topic_arn"),
                    f"{arn!r} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:"
                    "<name>)",
                )
            )
        elif partition and match[1] != partition.name:
            issues.append(
                ((*where, "existing_topic_arn"), f"not in the trail's partition {partition.name}")
            )
        elif match[2] != home:
            issues.append(
                (
                    (*where, "existing_topic_arn"),
                    f"the topic is in {match[2]}, the alarms in {home}: an alarm notifies a topic "
                    "in its own region only",
                )
            )
    topic = notifications.topic
    labels: dict[str, str] = {}
    for i, subscription in enumerate(topic.subscriptions if topic else []):
        path = (*where, "topic", "subscriptions", i, "endpoint")
        endpoint = subscription.endpoint
        label = subscription_label(subscription.protocol, endpoint)
        if label in labels:
            twice = labels[label] == endpoint
            issues.append(
                (
                    path,
                    f"{subscription.protocol} {endpoint} is subscribed twice"
                    if twice
                    else f"{endpoint} and {labels[label]} would share the Terraform address "
                    f"aws_sns_topic_subscription.{label}; subscribe only one of them here",
                )
            )
        labels[label] = endpoint
        problem = _endpoint_problem(subscription.protocol, endpoint)
        arn_partition = endpoint.split(":")[1] if endpoint.startswith("arn:") else None
        if problem is not None:
            issues.append((path, problem))
        elif partition and arn_partition is not None and arn_partition != partition.name:
            issues.append((path, f"not in the trail's partition {partition.name}"))
    return issues


def _endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why ``endpoint`` cannot receive ``protocol`` notifications, or None."""
    rules = {
        "email": (_EMAIL_RE, "an email address such as security@example.com"),
        "https": (_HTTPS_RE, "an https:// URL without spaces"),
        "sqs": (_SQS_ARN_RE, "an SQS queue ARN, arn:<partition>:sqs:<region>:<account>:<queue>"),
        "lambda": (
            _LAMBDA_ARN_RE,
            "a Lambda function ARN, arn:<partition>:lambda:<region>:<account>:function:<name>",
        ),
    }
    pattern, expected = rules[protocol]
    if pattern.fullmatch(endpoint):
        return None
    return f"{endpoint!r} is not valid for protocol {protocol}: expected {expected}"
