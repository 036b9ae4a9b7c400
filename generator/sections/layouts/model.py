"""The log_archive and delegated_admin sections: which accounts own the bucket and trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, StrictBool

from generator.config.fields import AccountId, Issue, RoleArn, StrictModel
from generator.config.regions import partition_of
from generator.core.arns import arn_account, parse_arn
from generator.core.constants import MAX_DELEGATED_ADMINS

if TYPE_CHECKING:
    from generator.sections.registry import Config


class LogArchive(StrictModel):
    """A separate log-archive account that owns the bucket and its KMS key."""

    account_id: AccountId = Field(description="The log-archive account.")
    role_arn: RoleArn = Field(
        description=(
            "Role in the log-archive account that Terraform assumes (from the management "
            "account's credentials) to manage the bucket and its key."
        )
    )
    verify_role_arn: RoleArn | None = Field(
        default=None,
        description=(
            "Read-only role in the log-archive account that `orgtrail-gen verify` assumes "
            "(from the management account's credentials) to read the bucket policy, list the "
            "delivered logs and read an existing key's policy, so that verify never holds the "
            "deploy role. `orgtrail-gen verify CONFIG --print-policy log-archive` prints what "
            "it needs. Default: role_arn."
        ),
    )

    @property
    def reader_role_arn(self) -> str:
        """The role verify assumes in the log-archive account: the read-only one if given."""
        return self.verify_role_arn or self.role_arn


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


# What a role ARN in the wrong account would do, per key.
_WRONG_ACCOUNT = {
    "role_arn": "Terraform would manage the wrong account (allowed_account_ids refuses it)",
    "verify_role_arn": "verify would read another account's bucket, or none, and judge the "
    "deployment on it",
}


def cross_field_issues(config: Config) -> list[Issue]:
    """Rules of the log-archive and delegated-administrator layouts."""
    issues: list[Issue] = []
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
        roles = [("role_arn", section.role_arn, _WRONG_ACCOUNT["role_arn"])]
        if isinstance(section, LogArchive) and section.verify_role_arn is not None:
            roles.append(
                ("verify_role_arn", section.verify_role_arn, _WRONG_ACCOUNT["verify_role_arn"])
            )
        for key, arn, consequence in roles:
            role = parse_arn(arn)
            arn_partition, role_account = (role.partition, role.account) if role else ("", "")
            if role_account != section.account_id:
                issues.append(
                    (
                        (name, key),
                        f"is a role in account {role_account}, not in {section.account_id}: "
                        + consequence,
                    )
                )
            if partition and arn_partition != partition.name:
                issues.append(((name, key), f"not in the trail's partition {partition.name}"))
    archive = config.log_archive
    # Beside an owner's trail the key is the owner's, wherever its owner keeps it.
    if archive is not None and config.kms.key_arn is not None and config.owner_trail is None:
        key_account = arn_account(config.kms.key_arn)
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
