"""The ``athena:`` section: one Athena table over every account's trail files, and who may query.

Why a section of its own: the table, the workgroup, the saved queries and the readers' policy
are one feature that an organization turns on or leaves off; without the key, nothing of it is
generated and the module is byte-identical to what it was. Its rules that relate it to the
rest of the config (the readers' account, the result location against the log bucket) are in
:func:`athena_issues`, so each message names the key to change.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, StrictInt, StrictStr

from generator.config.fields import BucketName, Issue, KeyArn, Principal, StrictModel, _match
from generator.core.arns import principal_account

if TYPE_CHECKING:
    from generator.sections.registry import Config

# Athena's own limit for a workgroup's per-query cutoff (CreateWorkGroup
# BytesScannedCutoffPerQuery; the provider validates IntAtLeast(10485760)): 10 MB.
MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024
DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024**3  # 10 GiB: a month of a mid-size organization
# Above this, an enum of accounts makes every query enumerate every account's folder, and the
# Glue table's metadata grows towards its ~1 MB limit; AWS advises "a few dozen or less"
# (ATH-UG "Supported types for partition projection"). Injected has neither cost.
MAX_ENUM_ACCOUNTS = 50
_RESULT_PREFIX = re.compile(r"(?:[A-Za-z0-9!_.'()-]+/)+")


def _start_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}/\d{2}/\d{2}", value):
        raise ValueError(f"{value!r} is not a date in the trail's folder form YYYY/MM/DD")
    try:
        datetime.datetime.strptime(value, "%Y/%m/%d")
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar date") from None
    if value < "2013/11/13":
        raise ValueError(f"{value!r} is before CloudTrail existed (2013/11/13)")
    return value


def _result_prefix(value: str) -> str:
    if not (1 <= len(value) <= 512 and _RESULT_PREFIX.fullmatch(value)):
        raise ValueError(
            f"{value!r}: S3-safe segments (A-Z a-z 0-9 ! _ . ' ( ) -), each followed by '/' "
            "(e.g. 'athena/'), no leading '/', no empty segment ('//')"
        )
    return value


def _accounts(value: object) -> str | list[str]:
    """'injected' or a list of account ids, as ONE rule: a union would report each arm."""
    if value == "injected":
        return "injected"
    if isinstance(value, list) and value:
        for i, item in enumerate(value):
            if not (isinstance(item, str) and re.fullmatch(r"\d{12}", item, re.ASCII)):
                raise ValueError(
                    f"item {i}: {item!r} is not an account id: 12 digits, quoted in YAML "
                    "('012345678901')"
                )
        return list(value)
    raise ValueError("expected 'injected' or a list of account ids such as ['111122223333']")


# object + one validator: a union type would report an error once per arm, on made-up paths.
AccountSelection = Annotated[object, AfterValidator(_accounts)]

GlueName = Annotated[
    StrictStr,
    _match(
        r"[a-z0-9_]{1,255}",
        "Athena reads Glue names in lowercase letters, digits and '_' only (1-255)",
    ),
]
WorkgroupName = Annotated[
    StrictStr, _match(r"[A-Za-z0-9._-]{1,128}", "1-128 characters from A-Z a-z 0-9 . _ -")
]


class AthenaResults(StrictModel):
    """Where query results go: an existing bucket of their own and a prefix in it."""

    bucket: BucketName = Field(
        description=(
            "An existing bucket for query results, not the log bucket: results are rewritten "
            "and deleted, which the log bucket's Object Lock, lifecycle and readers' grants "
            "are not made for."
        )
    )
    prefix: Annotated[StrictStr, AfterValidator(_result_prefix)] = Field(
        default="athena-results/", description="Where in the bucket; ends with '/'."
    )
    kms_key_arn: KeyArn | None = Field(
        default=None,
        description=(
            "Encrypt results with this customer-managed key (SSE_KMS); its policy must let the "
            "readers use it. Default: SSE_S3. The trail's key is never used: readers may only "
            "decrypt CloudTrail's files with it."
        ),
    )

    @property
    def location(self) -> str:
        """The workgroup's output location, ``s3://bucket/prefix/``."""
        return f"s3://{self.bucket}/{self.prefix}"


class Athena(StrictModel):
    """An Athena table over the organization's trail files, a workgroup, saved queries, readers."""

    database: GlueName = Field(default="cloudtrail", description="The Glue database.")
    table: GlueName = Field(default="organization_trail", description="The Glue table.")
    workgroup: WorkgroupName | None = Field(
        default=None, description="The Athena workgroup (default: <trail name>-investigations)."
    )
    start_date: Annotated[StrictStr, AfterValidator(_start_date)] = Field(
        description=(
            "First day of logs the table projects (YYYY/MM/DD, the trail's folder form); days "
            "run from it to NOW, so the table needs no change as days pass."
        )
    )
    accounts: AccountSelection = Field(
        default="injected",
        json_schema_extra={
            "anyOf": [
                {"enum": ["injected"], "type": "string"},
                {"items": {"pattern": r"^\d{12}$", "type": "string"}, "type": "array"},
            ]
        },
        description=(
            "'injected' (default): every query names its accounts (WHERE account IN (...)); "
            "accounts that join need no table change. Or the list of account ids (enum), for "
            f"small organizations (at most {MAX_ENUM_ACCOUNTS}): queries may then omit the "
            "account, and an account that joins is invisible until it is added here. "
            "`orgtrail-gen discover` writes the list for small organizations."
        ),
    )
    bytes_scanned_cutoff_per_query: Annotated[StrictInt, Field(ge=MIN_BYTES_SCANNED_CUTOFF)] = (
        Field(
            default=DEFAULT_BYTES_SCANNED_CUTOFF,
            description="Athena cancels a query of this workgroup once it has scanned this many "
            "bytes (at least 10 MB).",
        )
    )
    results: AthenaResults = Field(description="Where query results go: a bucket of their own.")
    readers: list[Principal] = Field(
        default_factory=list,
        description=(
            "IAM roles or users of the bucket's account who may query: the trail's key lets "
            "them decrypt. Attach the athena_readers_policy_arn output to them (the policy "
            "holds exactly the S3, KMS, Glue and Athena permissions a query needs)."
        ),
    )

    @property
    def enum_accounts(self) -> list[str] | None:
        """The account ids of an enum projection; None when the account column is injected."""
        return list(self.accounts) if isinstance(self.accounts, list) else None

    def workgroup_name(self, trail_name: str) -> str:
        """The workgroup's name: configured, else ``<trail name>-investigations``."""
        return self.workgroup or default_workgroup(trail_name)


def default_workgroup(trail_name: str) -> str:
    """The workgroup's default name: it follows a trail rename, which rule OTG083 refuses."""
    return f"{trail_name}-investigations"[:128]


def cross_field_issues(config: Config) -> list[Issue]:
    """Rules relating ``athena:`` to the rest of the config, each as (key path, message)."""
    athena = config.athena
    if athena is None:
        return []
    issues: list[Issue] = []
    archive = config.log_archive
    owner = archive.account_id if archive else config.organization.management_account_id
    where = "the log-archive account" if archive else "the management account"
    for i, principal in enumerate(athena.readers):
        if principal.isdigit() or principal.endswith(":root"):
            issues.append(
                (
                    ("athena", "readers", i),
                    f"{principal} is a whole account: name the IAM roles or users who may query "
                    "(a reader gets decrypt rights on the trail's key)",
                )
            )
        elif principal_account(principal) != owner:
            issues.append(
                (
                    ("athena", "readers", i),
                    f"{principal} is in account {principal_account(principal)}, but the table "
                    f"and the workgroup are in {where} {owner}, beside the bucket: Athena "
                    "workgroups cannot be used from another account. Name a role of "
                    f"{owner}, or give that role access to this account's workgroup by "
                    "assuming a role here",
                )
            )
    if athena.results.bucket == config.bucket.name:
        issues.append(
            (
                ("athena", "results", "bucket"),
                "is the log bucket: query results would sit beside the evidence under its "
                "Object Lock and lifecycle, and readers would need write access to it. Use a "
                "bucket of its own for results",
            )
        )
    accounts = athena.enum_accounts
    if accounts is not None:
        if len(accounts) > MAX_ENUM_ACCOUNTS:
            issues.append(
                (
                    ("athena", "accounts"),
                    f"{len(accounts)} accounts: an enum projection of more than "
                    f"{MAX_ENUM_ACCOUNTS} makes every query list every account's folder and "
                    "grows the table's metadata; use 'injected'",
                )
            )
        for i, account in enumerate(accounts):
            if account in accounts[:i]:
                issues.append((("athena", "accounts", i), f"{account} is listed twice"))
    return issues
