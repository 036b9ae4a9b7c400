"""``discover``: read the live organization and its trails into what a config needs.

Why a plain data result: the YAML writer (:mod:`generator.aws.config_yaml`) decides how to say
it, and tests can assert on what was read without parsing comments. Every call is paginated
where AWS paginates, and every error propagates as :class:`AwsError` (exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.aws.session import Aws
from generator.config import CLOUDTRAIL_PRINCIPAL
from generator.errors import UserError
from generator.regions import partition_of

CONTROL_TOWER_PREFIX = "aws-controltower-"


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

    @property
    def is_control_tower(self) -> bool:
        """Control Tower's baseline trail, which its own stack set owns."""
        return self.name.startswith(CONTROL_TOWER_PREFIX)

    @property
    def log_group_name(self) -> str | None:
        """The log group's name, from ``arn:...:log-group:<name>:*``."""
        return self.log_group_arn.split(":")[6] if self.log_group_arn else None

    @property
    def role_name(self) -> str | None:
        """The delivery role's name (its path dropped)."""
        return self.role_arn.rsplit("/", 1)[-1] if self.role_arn else None


@dataclass(frozen=True)
class Discovery:
    """What the management account's credentials see of the organization and its trails."""

    org_id: str
    management_account_id: str
    feature_set: str
    trusted_access: bool
    delegated_admins: list[str]
    account_count: int
    active_count: int
    trails: list[ExistingTrail]
    home_region: str
    regions: list[str]
    regions_source: str
    adopted: ExistingTrail | None = None
    bucket_has_policy: bool | None = None
    caller_account: str | None = None
    notes: list[str] = field(default_factory=list)


def _trail(aws: Aws, summary: dict[str, Any]) -> ExistingTrail:
    region = summary.get("HomeRegion")
    response = aws.call("cloudtrail", "get_trail", region=region, Name=summary["TrailARN"]) or {}
    trail = response.get("Trail", {})
    return ExistingTrail(
        name=trail.get("Name", summary.get("Name", "")),
        arn=summary["TrailARN"],
        home_region=trail.get("HomeRegion") or region or "",
        is_organization=bool(trail.get("IsOrganizationTrail")),
        is_multi_region=bool(trail.get("IsMultiRegionTrail")),
        include_global_service_events=bool(trail.get("IncludeGlobalServiceEvents")),
        log_file_validation=bool(trail.get("LogFileValidationEnabled")),
        bucket=trail.get("S3BucketName"),
        prefix=trail.get("S3KeyPrefix") or None,
        kms_key_arn=trail.get("KmsKeyId"),
        log_group_arn=trail.get("CloudWatchLogsLogGroupArn"),
        role_arn=trail.get("CloudWatchLogsRoleArn"),
    )


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
    admins = [
        str(admin["Id"])
        for page in aws.pages(
            "organizations", "list_delegated_administrators", ServicePrincipal=CLOUDTRAIL_PRINCIPAL
        )
        for admin in page.get("DelegatedAdministrators", [])
    ]
    accounts = [a for page in aws.pages("organizations", "list_accounts") for a in page["Accounts"]]
    active = sum(1 for a in accounts if (a.get("State") or a.get("Status")) == "ACTIVE")
    caller = (aws.call("sts", "get_caller_identity") or {}).get("Account")
    trails = [
        _trail(aws, summary)
        for page in aws.pages("cloudtrail", "list_trails")
        for summary in page.get("Trails", [])
    ]
    trails.sort(key=lambda t: t.name)
    candidates = [t for t in trails if t.is_organization and not t.is_control_tower]
    adopted = candidates[0] if candidates else None
    notes = []
    if len(candidates) > 1:
        notes.append(
            f"several organization trails exist; adopted {adopted.name if adopted else ''}, "
            f"not {', '.join(t.name for t in candidates[1:])}"
        )
    home = adopted.home_region if adopted else aws.region
    if not home:
        raise UserError("no home region for a new trail: pass --region")
    bucket_has_policy = None
    if adopted and adopted.bucket:
        policy = aws.call(
            "s3",
            "get_bucket_policy",
            region=adopted.home_region,
            missing=("NoSuchBucketPolicy",),
            Bucket=adopted.bucket,
        )
        bucket_has_policy = policy is not None
    regions = _delivered_regions(aws, adopted, org_id, management) if adopted else []
    source = "regions with delivered logs of the management account"
    if not regions:
        regions, source = _enabled_regions(aws, home), "regions enabled in the management account"
    partition = partition_of(home)
    regions = sorted({r for r in regions if partition and r in partition.regions} | {home})
    return Discovery(
        org_id=org_id,
        management_account_id=management,
        feature_set=str(org.get("FeatureSet", "")),
        trusted_access=trusted,
        delegated_admins=sorted(admins),
        account_count=len(accounts),
        active_count=active,
        trails=trails,
        home_region=home,
        regions=[home, *(r for r in regions if r != home)],
        regions_source=source,
        adopted=adopted,
        bucket_has_policy=bucket_has_policy,
        caller_account=caller,
        notes=notes,
    )
