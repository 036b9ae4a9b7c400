"""The kms section: the customer-managed key of logs and digests, and its administrators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr

from generator.config.fields import Issue, KeyArn, Principal, StrictModel, _match
from generator.core.arns import principal_account

if TYPE_CHECKING:
    from generator.sections.registry import Config


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
    deletion_window_in_days: Annotated[StrictInt, Field(ge=7, le=30)] = Field(
        default=30, description="Waiting period of a scheduled deletion of the created key."
    )
    administrators: list[Principal] = Field(
        default_factory=list,
        description=(
            "Who may administer the created keys besides each key's account root: manage, never "
            "decrypt. Each goes on the keys of its own account only (KMS administrative calls do "
            "not work across accounts)."
        ),
    )


def created_keys(config: Config) -> dict[str, list[str]]:
    """The KMS keys this module creates, by the account that owns each: {account: [key, ...]}.

    The trail's key sits beside the bucket (the log-archive account's, if any); the log group's
    own key (log-archive layout) and the alarm topic's key in the management account; the log
    consumers' key (``consumers:``) beside the bucket again. The
    views (generator.sections.facts) make the same decisions; this is what validation needs.
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
        and (cwl is not None or config.owner_trail is not None)  # or on the owner's log group
        and monitoring.notifications.existing_topic_arn is None
        and (monitoring.control_ids or monitoring.custom_filters)
    ):
        keys.setdefault(management, []).append("the alarm topic's key")
    if config.consumers:  # the log-file topic's and queues', beside the bucket
        keys.setdefault(archive.account_id if archive else management, []).append(
            "the log consumers' key"
        )
    return keys


def cross_field_issues(config: Config) -> list[Issue]:
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
    issues: list[Issue] = []
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
