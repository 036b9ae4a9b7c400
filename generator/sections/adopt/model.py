"""The adopt section: what already exists in AWS and is imported instead of created."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from generator.config.fields import (
    _ARN_PARTITION,
    BucketName,
    IamRoleName,
    Issue,
    KeyArn,
    LogGroupArn,
    LogGroupName,
    RoleArn,
    StrictModel,
    TrailArn,
    _match,
)
from generator.config.regions import partition_of
from generator.core.arns import parse_arn
from generator.sections.kms.model import default_key_alias

if TYPE_CHECKING:
    from generator.sections.registry import Config


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
    s3_bucket_name: BucketName = Field(description="S3BucketName: the bucket it delivers to today.")
    s3_key_prefix: (
        Annotated[StrictStr, _match(r"[\x20-\x7e]{1,2000}", "printable ASCII, <= 2000")] | None
    ) = Field(default=None, description="S3KeyPrefix, if it has one.")
    is_organization_trail: StrictBool = Field(description="IsOrganizationTrail.")
    is_multi_region: StrictBool = Field(description="IsMultiRegionTrail.")
    include_global_service_events: StrictBool = Field(description="IncludeGlobalServiceEvents.")
    enable_log_file_validation: StrictBool = Field(description="LogFileValidationEnabled.")
    kms_key_arn: KeyArn | None = Field(
        default=None, description="KmsKeyId, if it encrypts with a key (null: SSE-S3)."
    )
    cloud_watch_logs_group_arn: LogGroupArn | None = Field(
        default=None, description="CloudWatchLogsLogGroupArn, if it delivers to a log group."
    )
    cloud_watch_logs_role_arn: RoleArn | None = Field(
        default=None, description="CloudWatchLogsRoleArn: the role it delivers with."
    )
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

    name: LogGroupName = Field(description="Its name; must be cloudwatch_logs.log_group_name.")
    log_group_class: Literal["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"] = Field(
        default="STANDARD", description="Its class; only STANDARD can be adopted."
    )
    retention_in_days: StrictInt | None = Field(
        default=None, description="Today's retention; omitted or null: never expires."
    )
    kms_key_arn: KeyArn | None = Field(
        default=None, description="The key it is encrypted with today, if any."
    )


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

    name: IamRoleName = Field(description="Its name; must be cloudwatch_logs.role_name.")
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

    trail: AdoptedTrail | None = Field(
        default=None, description="The trail that exists, as describe-trails shows it."
    )
    bucket: AdoptedBucket | None = Field(
        default=None, description="The log bucket that exists, and the settings it has."
    )
    log_group: AdoptedLogGroup | None = Field(
        default=None, description="The log group that exists."
    )
    role: AdoptedRole | None = Field(
        default=None, description="The delivery role that exists, and its policies."
    )
    key: AdoptedKey | None = Field(
        default=None, description="A KMS key that exists and this module takes over."
    )


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(partition, region, account, resource) of an ARN the model already validated."""
    parts = parse_arn(arn)
    if parts is None:  # the model's pattern admits ARNs only
        raise ValueError(f"not an ARN: {arn}")
    return parts.partition, parts.region, parts.account, parts.resource


def cross_field_issues(config: Config) -> list[Issue]:
    """What an import cannot take over without REPLACING it, located at the key to change.

    Terraform imports an object and then plans the difference to the config: for a ForceNew
    argument (the trail's, bucket's, log group's or role's name, the trail's region, a key's
    multi-Region switch) that difference is a delete-and-create of what holds the logs. Such a
    config is refused here; differences AWS can apply in place are warnings
    (generator.sections.adopt.changes).
    """
    adopt = config.adopt
    if adopt is None:
        return []
    issues: list[Issue] = []
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
) -> list[Issue]:
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
    issues: list[Issue] = []
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
