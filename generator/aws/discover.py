"""``discover``: read the live organization and its trails into what a config needs.

Why a plain data result: the YAML writer (:mod:`generator.aws.config_yaml`) decides how to say
it, and tests can assert on what was read without parsing comments. Every call is paginated
where AWS paginates, and every error propagates as :class:`AwsError` (exit 3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from generator.aws.measure import Measurements, measure
from generator.aws.session import Aws, NotFound
from generator.aws.trails import companion_owner, owner_of, trail_selectors, trail_tags
from generator.config.regions import partition_of
from generator.core.arns import arn_account, arn_region, parse_arn
from generator.core.constants import CLOUDTRAIL_PRINCIPAL
from generator.core.errors import UserError
from generator.sections.trail.events import Fields


@dataclass(frozen=True)
class ExistingTrail:
    """A trail of the management account, as GetTrail describes it."""

    name: str
    arn: str
    home_region: str
    is_organization: bool
    is_multi_region: bool
    include_global_service_events: bool
    log_file_validation: bool
    bucket: str | None
    prefix: str | None
    kms_key_arn: str | None
    log_group_arn: str | None
    role_arn: str | None
    sns_topic: str | None = None
    has_custom_event_selectors: bool = False
    has_insight_selectors: bool = False
    owner: str | None = None  # trails.owner_of: Control Tower, LZA, a CloudFormation stack
    selectors: tuple[Fields, ...] = ()  # GetEventSelectors, as advanced selectors

    @property
    def managed_by(self) -> str | None:
        """Who owns this trail (never adopted: two owners fight); None when nobody known."""
        return self.owner

    @property
    def log_group_name(self) -> str | None:
        """The log group's name, from ``arn:...:log-group:<name>:*``."""
        parts = parse_arn(self.log_group_arn) if self.log_group_arn else None
        return parts.resource.split(":")[1] if parts else None

    @property
    def role_name(self) -> str | None:
        """The delivery role's name (its path dropped)."""
        return self.role_arn.rsplit("/", 1)[-1] if self.role_arn else None


@dataclass(frozen=True)
class ExistingBucket:
    """The adopted trail's bucket: where it is and which settings it has today."""

    name: str
    in_management_account: bool
    region: str | None = None
    configurations: tuple[str, ...] = ()
    object_lock: dict[str, Any] | None = None
    logging: dict[str, Any] | None = None
    policy: Any = None  # GetBucketPolicy's document, parsed


@dataclass(frozen=True)
class ExistingKey:
    """The adopted trail's KMS key, as DescribeKey and ListAliases describe it."""

    arn: str
    key_spec: str
    multi_region: bool
    key_manager: str
    custom_key_store_id: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ExistingLogGroup:
    """The adopted trail's log group (DescribeLogGroups)."""

    name: str
    log_group_class: str
    retention_in_days: int | None
    kms_key_arn: str | None


@dataclass(frozen=True)
class ExistingRole:
    """The adopted trail's delivery role (GetRole, ListRolePolicies)."""

    name: str
    path: str
    inline_policies: tuple[str, ...]
    attached_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Discovery:
    """What the management account's credentials see of the organization and its trails."""

    org_id: str
    management_account_id: str
    feature_set: str
    trusted_access: bool
    delegated_admins: list[str] | None  # None: the endpoint refused to list them
    account_count: int
    active_count: int
    trails: list[ExistingTrail]
    home_region: str
    regions: list[str]
    regions_source: str
    adopted: ExistingTrail | None = None
    bucket_has_policy: bool | None = None
    bucket_policy: Any = None  # the adopted trail's bucket policy, parsed (GetBucketPolicy)
    caller_account: str | None = None
    notes: list[str] = field(default_factory=list)
    bucket: ExistingBucket | None = None
    key: ExistingKey | None = None
    log_group: ExistingLogGroup | None = None
    role: ExistingRole | None = None
    active_account_ids: tuple[str, ...] = ()  # for the athena: enum of a small organization
    # The organization trail someone else owns (trails.companion_owner): the config is written
    # beside it (owner_trail:, generator.aws.companion_yaml), and nothing is adopted.
    owner: ExistingTrail | None = None
    # Whether ListBuckets of the management account lists the owner's bucket; None: not asked
    # (another account's credentials, or the owner's trail names no bucket).
    owner_bucket_in_management: bool | None = None
    # The adopted log group's intake and bucket's size, for cost.measured (generator.aws.measure).
    measured: Measurements | None = None


def _trail(aws: Aws, summary: dict[str, Any]) -> ExistingTrail:
    region = summary.get("HomeRegion")
    response = aws.call("cloudtrail", "get_trail", region=region, Name=summary["TrailARN"]) or {}
    trail = response.get("Trail", {})
    arn, name = summary["TrailARN"], trail.get("Name", summary.get("Name", ""))
    group = trail.get("CloudWatchLogsLogGroupArn")
    return ExistingTrail(
        name=name,
        arn=arn,
        home_region=trail.get("HomeRegion") or region or "",
        is_organization=bool(trail.get("IsOrganizationTrail")),
        is_multi_region=bool(trail.get("IsMultiRegionTrail")),
        include_global_service_events=bool(trail.get("IncludeGlobalServiceEvents")),
        log_file_validation=bool(trail.get("LogFileValidationEnabled")),
        bucket=trail.get("S3BucketName"),
        prefix=trail.get("S3KeyPrefix") or None,
        kms_key_arn=trail.get("KmsKeyId"),
        log_group_arn=group,
        role_arn=trail.get("CloudWatchLogsRoleArn"),
        sns_topic=trail.get("SnsTopicARN") or trail.get("SnsTopicName"),
        has_custom_event_selectors=bool(trail.get("HasCustomEventSelectors")),
        has_insight_selectors=bool(trail.get("HasInsightSelectors")),
        owner=owner_of(name, group.split(":")[6] if group else None, trail_tags(aws, arn, region)),
        selectors=trail_selectors(aws, arn, region, trail.get("HasCustomEventSelectors")),
    )


# Each bucket setting an import can take over, the Get call that reads it, and the error code
# that means "the bucket does not have it". GetBucketVersioning and GetBucketLogging answer
# without error; an empty answer (no Status, no LoggingEnabled) means the setting is absent.
_BUCKET_GETS = (
    ("public_access_block", "get_public_access_block", "NoSuchPublicAccessBlockConfiguration"),
    ("ownership_controls", "get_bucket_ownership_controls", "OwnershipControlsNotFoundError"),
    ("versioning", "get_bucket_versioning", None),
    ("encryption", "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
    ("lifecycle", "get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
    ("object_lock", "get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ("logging", "get_bucket_logging", None),
    ("policy", "get_bucket_policy", "NoSuchBucketPolicy"),
)


def _lists_bucket(aws: Aws, name: str) -> bool:
    """Whether ListBuckets lists ``name``: it lists only the caller's own buckets."""
    return any(
        entry.get("Name") == name
        for page in aws.pages("s3", "list_buckets")
        for entry in page.get("Buckets", [])
    )


def _bucket(aws: Aws, name: str, home: str) -> ExistingBucket:
    """Whether the management account owns the bucket, its region and its settings.

    ListBuckets lists only the caller's own buckets, so a bucket it does not list belongs to
    another account (a log-archive account), which this module cannot import. A bucket in
    another region is not read further: the module's provider works in the home region.
    """
    if not _lists_bucket(aws, name):
        return ExistingBucket(name, in_management_account=False)
    location = aws.call("s3", "get_bucket_location", region=home, Bucket=name) or {}
    region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(
        location.get("LocationConstraint"), location.get("LocationConstraint")
    )
    if region != home:
        return ExistingBucket(name, in_management_account=True, region=region)
    found: list[str] = []
    answers: dict[str, dict[str, Any]] = {}
    for setting, operation, absent in _BUCKET_GETS:
        answer = aws.call(
            "s3", operation, region=home, missing=(absent,) if absent else (), Bucket=name
        )
        if answer is None:
            continue
        if setting == "versioning" and not answer.get("Status"):
            continue
        if setting == "logging" and not answer.get("LoggingEnabled"):
            continue
        found.append(setting)
        answers[setting] = answer
    lock = answers.get("object_lock", {}).get("ObjectLockConfiguration")
    return ExistingBucket(
        name,
        in_management_account=True,
        region=region,
        configurations=tuple(found),
        object_lock=dict(lock) if lock else None,
        logging=answers.get("logging", {}).get("LoggingEnabled"),
        policy=_policy_document(answers.get("policy")),
    )


def _key(aws: Aws, arn: str) -> ExistingKey | None:
    """DescribeKey and the key's aliases; None when the key is gone."""
    region = arn_region(arn)
    described = aws.call(
        "kms", "describe_key", region=region, missing=("NotFoundException",), KeyId=arn
    )
    if described is None:
        return None
    meta = described.get("KeyMetadata", {})
    aliases = sorted(
        str(alias["AliasName"])
        for page in aws.pages("kms", "list_aliases", region=region, KeyId=meta.get("KeyId", arn))
        for alias in page.get("Aliases", [])
    )
    return ExistingKey(
        arn=str(meta.get("Arn", arn)),
        key_spec=str(meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or ""),
        multi_region=bool(meta.get("MultiRegion")),
        key_manager=str(meta.get("KeyManager", "")),
        custom_key_store_id=meta.get("CustomKeyStoreId"),
        aliases=tuple(aliases),
    )


def _log_group(aws: Aws, name: str, region: str) -> ExistingLogGroup | None:
    """The log group with exactly this name (DescribeLogGroups lists by prefix)."""
    for page in aws.pages("logs", "describe_log_groups", region=region, logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group.get("logGroupName") == name:
                return ExistingLogGroup(
                    name=name,
                    log_group_class=str(group.get("logGroupClass") or "STANDARD"),
                    retention_in_days=group.get("retentionInDays"),
                    kms_key_arn=group.get("kmsKeyId"),
                )
    return None


def _role(aws: Aws, name: str) -> ExistingRole | None:
    """The delivery role's path, inline and attached policies; None when the role is gone."""
    answer = aws.call("iam", "get_role", missing=("NoSuchEntity",), RoleName=name)
    if answer is None:
        return None
    policies = [
        str(policy)
        for page in aws.pages("iam", "list_role_policies", RoleName=name)
        for policy in page.get("PolicyNames", [])
    ]
    attached = [
        str(policy["PolicyArn"])
        for page in aws.pages("iam", "list_attached_role_policies", RoleName=name)
        for policy in page.get("AttachedPolicies", [])
    ]
    return ExistingRole(
        name=name,
        path=str(answer.get("Role", {}).get("Path", "/")),
        inline_policies=tuple(policies),
        attached_policies=tuple(attached),
    )


def _policy_document(answer: dict[str, Any] | None) -> Any:
    """GetBucketPolicy's Policy, parsed; None when there is none (or it is not JSON)."""
    try:
        return json.loads(answer["Policy"]) if answer else None
    except (KeyError, TypeError, ValueError):
        return None


def _arn_account(arn: str | None) -> str | None:
    return arn_account(arn) if arn else None


def _arn_region(arn: str | None) -> str | None:
    return arn_region(arn) if arn else None


def _delivered_regions(aws: Aws, trail: ExistingTrail, org_id: str, account: str) -> list[str]:
    """Regions with delivered logs of ``account`` in the adopted trail's bucket."""
    if not trail.bucket:
        return []
    base = f"{trail.prefix}/" if trail.prefix else ""
    prefix = f"{base}AWSLogs/{org_id}/{account}/CloudTrail/"
    regions = []
    for page in aws.pages(
        "s3",
        "list_objects_v2",
        region=trail.home_region,
        Bucket=trail.bucket,
        Prefix=prefix,
        Delimiter="/",
    ):
        for entry in page.get("CommonPrefixes", []):
            regions.append(entry["Prefix"][len(prefix) :].rstrip("/"))
    return regions


def _enabled_regions(aws: Aws, home: str) -> list[str]:
    """Regions enabled in the management account (opt-in regions only once opted in)."""
    response = aws.call("ec2", "describe_regions", region=home) or {}
    return [
        entry["RegionName"]
        for entry in response.get("Regions", [])
        if entry.get("OptInStatus", "opt-in-not-required") in ("opt-in-not-required", "opted-in")
    ]


def discover(aws: Aws) -> Discovery:
    """Read the organization, its accounts, CloudTrail's access and the existing trails."""
    org = (aws.call("organizations", "describe_organization") or {}).get("Organization", {})
    org_id, management = str(org.get("Id", "")), str(org.get("MasterAccountId", ""))
    trusted = any(
        entry["ServicePrincipal"] == CLOUDTRAIL_PRINCIPAL
        for page in aws.pages("organizations", "list_aws_service_access_for_organization")
        for entry in page.get("EnabledServicePrincipals", [])
    )
    admins: list[str] | None
    try:
        admins = [
            str(admin["Id"])
            for page in aws.pages(
                "organizations",
                "list_delegated_administrators",
                missing=("InvalidInputException",),
                ServicePrincipal=CLOUDTRAIL_PRINCIPAL,
            )
            for admin in page.get("DelegatedAdministrators", [])
        ]
    except NotFound:
        # AWS knows CloudTrail's principal; an emulator (moto) refuses it as "unrecognized".
        # The list only feeds a comment, so discover goes on and the comment says why.
        admins = None
    accounts = [a for page in aws.pages("organizations", "list_accounts") for a in page["Accounts"]]
    active = sum(1 for a in accounts if (a.get("State") or a.get("Status")) == "ACTIVE")
    caller = (aws.call("sts", "get_caller_identity") or {}).get("Account")
    trails = [
        _trail(aws, summary)
        for page in aws.pages("cloudtrail", "list_trails")
        for summary in page.get("Trails", [])
    ]
    trails.sort(key=lambda t: t.name)
    candidates = [t for t in trails if t.is_organization and t.managed_by is None]
    owner = companion_owner(trails, management)
    adopted = candidates[0] if candidates and owner is None else None
    notes = []
    if owner is not None:
        notes.append(
            f"wrote the companion layout beside {owner.managed_by}'s trail {owner.name} "
            "(owner_trail): it records the organization's management events, so this config "
            f"records none and manages nothing of {owner.managed_by}'s"
            + (f"; not adopted: {', '.join(t.name for t in candidates)}" if candidates else "")
        )
    elif len(candidates) > 1:
        notes.append(
            f"several organization trails exist; adopted {adopted.name if adopted else ''}, "
            f"not {', '.join(t.name for t in candidates[1:])}"
        )
    home = owner.home_region if owner else adopted.home_region if adopted else aws.region
    if not home:
        raise UserError("no home region for a new trail: pass --region")
    bucket_has_policy = None
    bucket_policy: Any = None
    bucket = key = log_group = role = None
    # What the adopted trail uses is read only with the management account's credentials:
    # only the management account can import it, and only it owns the ARNs compared below.
    own = adopted is not None and caller == management
    if adopted and adopted.bucket:
        if own:
            bucket = _bucket(aws, adopted.bucket, adopted.home_region)
        if bucket is not None and bucket.region == adopted.home_region:
            bucket_has_policy = "policy" in bucket.configurations
            bucket_policy = bucket.policy
        else:
            policy = aws.call(
                "s3",
                "get_bucket_policy",
                region=adopted.home_region,
                missing=("NoSuchBucketPolicy",),
                Bucket=adopted.bucket,
            )
            bucket_has_policy = policy is not None
            bucket_policy = _policy_document(policy)
    if own and adopted and adopted.kms_key_arn and _arn_account(adopted.kms_key_arn) == management:
        key = _key(aws, adopted.kms_key_arn)
    if (
        own
        and adopted
        and adopted.log_group_name
        and _arn_account(adopted.log_group_arn) == management
        and _arn_region(adopted.log_group_arn) == adopted.home_region
    ):
        log_group = _log_group(aws, adopted.log_group_name, adopted.home_region)
    if own and adopted and adopted.role_name and _arn_account(adopted.role_arn) == management:
        role = _role(aws, adopted.role_name)
    owner_bucket_in_management = None
    if owner is not None and owner.bucket and caller == management:
        owner_bucket_in_management = _lists_bucket(aws, owner.bucket)
    # Delivered regions are listed in the adopted trail's bucket only, never the owner's: that
    # is usually another account's, whose policy need not let the management account list it.
    regions = _delivered_regions(aws, adopted, org_id, management) if adopted else []
    source = "regions with delivered logs of the management account"
    if not regions:
        regions, source = _enabled_regions(aws, home), "regions enabled in the management account"
    partition = partition_of(home)
    regions = sorted({r for r in regions if partition and r in partition.regions} | {home})
    measured = None
    if log_group is not None or (bucket is not None and bucket.region == home):
        measured = measure(
            aws,
            log_group=(log_group.name, home) if log_group is not None else None,
            bucket=(bucket.name, home) if bucket is not None and bucket.region == home else None,
        )
    return Discovery(
        measured=measured,
        org_id=org_id,
        management_account_id=management,
        feature_set=str(org.get("FeatureSet", "")),
        trusted_access=trusted,
        delegated_admins=sorted(admins) if admins is not None else None,
        account_count=len(accounts),
        active_count=active,
        trails=trails,
        home_region=home,
        regions=[home, *(r for r in regions if r != home)],
        regions_source=source,
        adopted=adopted,
        bucket_has_policy=bucket_has_policy,
        bucket_policy=bucket_policy,
        caller_account=caller,
        notes=notes,
        bucket=bucket,
        key=key,
        log_group=log_group,
        role=role,
        active_account_ids=tuple(
            sorted(a["Id"] for a in accounts if (a.get("State") or a.get("Status")) == "ACTIVE")
        ),
        owner=owner,
        owner_bucket_in_management=owner_bucket_in_management,
    )
