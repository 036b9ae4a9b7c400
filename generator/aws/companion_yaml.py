"""The companion layout discover writes beside an organization trail someone else owns.

Why: when Control Tower, Landing Zone Accelerator or a CloudFormation stack already runs an
organization trail that records the management events, a trail of this module recording them
again would pay for a second copy of every event (LZA#1170), and adopting the owner's trail
would give it two managers. So discover writes ``owner_trail:`` (generator/sections/owner/) with
the owner's trail, bucket, prefix, key and log group exactly as GetTrail returns them (Control
Tower 4.0 suffixes its log group's name: it is read, never guessed), and leaves ``trail.events``
out, so the module creates no trail until data events are asked for. Each value's comment says
whose it is. :mod:`generator.aws.config_yaml` writes the header, organization, cost and athena
sections around these.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from generator.aws.discover import Discovery, ExistingTrail
from generator.aws.trails import LONG_NAMES, STACK_TAG, STACK_WORDS, managed_by_key
from generator.aws.yaml_text import comment, flow_list, scalar
from generator.config.regions import partition_of
from generator.core.arns import arn_account

DATA_TRAIL = "org-data-events"
# The role Control Tower creates in every enrolled account for the management account to assume
# (Control Tower User Guide, "Roles and accounts"); the log-archive account is enrolled.
CONTROL_TOWER_ROLE = "AWSControlTowerExecution"
# Bucket namings that carry the log-archive account's id.
NAMINGS = (
    (
        re.compile(r"^aws-controltower-logs-(\d{12})-[a-z0-9-]+$"),
        "Control Tower's naming aws-controltower-logs-<account>-<region>",
    ),
    (
        re.compile(r"^[a-z0-9-]+-central-logs-(\d{12})-[a-z0-9-]+$"),
        "Landing Zone Accelerator's naming <prefix>-central-logs-<account>-<region>",
    ),
)
_ACCOUNT_ID = re.compile(r"(?<!\d)(\d{12})(?!\d)")


class BucketAccount(NamedTuple):
    """The account of the owner's bucket when it is not the management account, and how known.

    ``account`` None: the management account's (ListBuckets lists it), or unknown (``how`` says
    which, for the comment).
    """

    account: str | None
    how: str


def who(trail: ExistingTrail) -> str:
    """The owner's trail's manager in words: ``Control Tower``, ``Landing Zone Accelerator``."""
    owner = trail.managed_by or "another team"
    return LONG_NAMES.get(owner, owner)


def bucket_account(found: Discovery) -> BucketAccount:
    """Whose the owner's bucket is: ListBuckets first, then a naming that carries the account.

    ListBuckets lists only the caller's own buckets, so one it lists is the management
    account's. One it does not list is another account's, and Control Tower's and LZA's
    namings say whose; any other name says so only when it carries exactly one id of another
    account of this organization.
    """
    owner = found.owner
    name = owner.bucket if owner else None
    management = found.management_account_id
    if not name:
        return BucketAccount(None, "the trail names no bucket")
    if found.owner_bucket_in_management:
        return BucketAccount(None, "ListBuckets of the management account lists it")
    listed = (
        "ListBuckets of the management account does not list it"
        if found.owner_bucket_in_management is False
        else "ListBuckets was not asked (the credentials are not the management account's)"
    )
    for pattern, naming in NAMINGS:
        match = pattern.match(name)
        if match and match.group(1) != management:
            return BucketAccount(match.group(1), f"its name follows {naming}; {listed}")
    ids = {i for i in _ACCOUNT_ID.findall(name) if i in found.active_account_ids} - {management}
    if len(ids) == 1:
        account = ids.pop()
        return BucketAccount(
            account, f"its name carries account {account} of the organization; {listed}"
        )
    return BucketAccount(None, f"{listed}, and its name does not say whose it is")


def _recognised(trail: ExistingTrail) -> str:
    """How discover knew the manager (trails.owner_of), for the managed_by comment."""
    key = managed_by_key(trail.managed_by or "")
    if key == "control-tower":
        return "its name or log group follows Control Tower's naming (aws-controltower-)"
    if key == "lza":
        return "its name follows LZA's naming (<prefix>-Organizations-CloudTrail)"
    return f"its tag {STACK_TAG} is {(trail.managed_by or '').removeprefix(STACK_WORDS)}"


def _owner_section(trail: ExistingTrail) -> list[str]:
    lines = [
        f"owner_trail:  # {who(trail)}'s organization trail: read and verified, never managed "
        "here (OTG110)",
        f"  managed_by: {managed_by_key(trail.managed_by or '')}  # {_recognised(trail)}",
        f"  arn: {scalar(trail.arn)}",
    ]
    if trail.log_group_arn:
        return [
            *lines,
            "  # its CloudWatchLogsLogGroupArn, as GetTrail returns it (Control Tower 4.0 adds a",
            "  # random suffix to the name): the metric filters and alarms go on this log group",
            f"  log_group_arn: {scalar(trail.log_group_arn)}",
        ]
    return [*lines, "  # no log_group_arn: the trail delivers to S3 only (so no monitoring)"]


def _trail_section(found: Discovery, trail: ExistingTrail) -> list[str]:
    taken = {t.name for t in found.trails}
    name, n = DATA_TRAIL, 2
    while name in taken:
        name, n = f"{DATA_TRAIL}-{n}", n + 1
    lines = [
        f"trail:  # this module's own trail: data and network activity events only, never "
        f"{who(trail)}'s",
        f"  name: {name}  # new; no trail is created while trail.events is absent (below)",
        f"  home_region: {found.home_region}  # {who(trail)}'s trail's home region",
        f"  # regions: {found.regions_source}",
        *flow_list("  regions: ", found.regions),
    ]
    if trail.prefix:
        lines.append(
            f"  s3_key_prefix: {scalar(trail.prefix)}  # {who(trail)}'s trail's S3KeyPrefix"
        )
    return [
        *lines,
        *comment(
            f"trail.events is absent: this module creates no trail. To record data or network "
            f"activity events, add them with management events off ({who(trail)}'s trail "
            "records those; a second copy is paid):"
        ),
        "  # events:",
        "  #   management: {read_write: none}",
        "  #   data: [{resource_type: AWS::S3::Object}]",
    ]


def _storage_sections(trail: ExistingTrail) -> list[str]:
    owner = who(trail)
    lines = [
        f"bucket:  # {owner}'s bucket (its trail's S3BucketName): nothing of it is managed here",
        f"  name: {scalar(trail.bucket or '')}",
        f"  create: false  # exists: {owner}'s",
        f"  existing_policy: keep  # its policy stays {owner}'s: what a trail of this module "
        "needs is printed for them to add",
        "kms:",
    ]
    if trail.kms_key_arn:
        account = arn_account(trail.kms_key_arn)
        return [
            *lines,
            f"  key_arn: {scalar(trail.kms_key_arn)}  # {owner}'s trail's KmsKeyId (account "
            f"{account}): used, never managed here",
        ]
    return [
        *lines,
        f"  enabled: false  # {owner}'s trail writes with SSE-S3 (it has no KmsKeyId): so does "
        "this module's",
    ]


def _log_archive_section(found: Discovery, trail: ExistingTrail) -> list[str]:
    owner, (account, how) = who(trail), bucket_account(found)
    if account is None:
        if found.owner_bucket_in_management:
            return [f"# No log_archive: {owner}'s bucket is the management account's ({how})."]
        return comment(
            f"{owner}'s bucket: {how}. If it is another account's, add log_archive: "
            "{account_id: <its account>, role_arn: <a role there Terraform may assume>}.",
            "",
        )
    partition = partition_of(found.home_region)
    role = f"arn:{partition.name if partition else 'aws'}:iam::{account}:role/"
    head = [
        f"log_archive:  # the account of {owner}'s bucket: Athena and log consumers go there, "
        "and verify reads the bucket from there",
        f'  account_id: "{account}"  # {how}',
    ]
    if managed_by_key(trail.managed_by or "") == "control-tower":
        return [
            *head,
            *comment(
                f"{CONTROL_TOWER_ROLE}: the role Control Tower creates in every enrolled account "
                "for the management account to assume. It has AdministratorAccess: name a "
                "narrower role if you have one, and a read-only verify_role_arn "
                "(orgtrail-gen verify CONFIG --print-policy log-archive)."
            ),
            f"  role_arn: {role}{CONTROL_TOWER_ROLE}",
        ]
    hint = (
        " (LZA: its managementAccountAccessRole in global-config.yaml - AWSControlTowerExecution "
        "under Control Tower, else OrganizationAccountAccessRole by default)"
        if managed_by_key(trail.managed_by or "") == "lza"
        else ""
    )
    return [
        *comment(
            f"{owner}'s bucket is in account {account} ({how}). Name a role there that "
            f"Terraform may assume{hint}, replace ROLE and uncomment:",
            "",
        ),
        "# log_archive:",
        f'#   account_id: "{account}"',
        f"#   role_arn: {role}ROLE",
    ]


def companion_sections(found: Discovery) -> list[str]:
    """owner_trail, trail, bucket, kms and log_archive beside ``found.owner``; none without one."""
    trail = found.owner
    if trail is None:
        return []
    return [
        *_owner_section(trail),
        *_trail_section(found, trail),
        *_storage_sections(trail),
        *_log_archive_section(found, trail),
    ]


def access_note(found: Discovery) -> str:
    """Why cloudtrail_trusted_access is already_enabled beside the owner's trail."""
    trail = found.owner
    owner = who(trail) if trail else "the owner"
    if found.trusted_access:
        return f"exists: {owner}'s organization trail depends on it; asserted, never managed here"
    return (
        f"ListAWSServiceAccessForOrganization does not list CloudTrail, yet {owner}'s "
        "organization trail exists: check; asserted, never managed here"
    )
