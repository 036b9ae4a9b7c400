"""The module section: the Terraform version, the providers of each account, default tags.

It owns the config's ``tags`` key and ``versions.tf`` / ``providers.tf``.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.sections.addresses import DELEGATED_ADMIN_PROVIDER, LOG_ARCHIVE_PROVIDER
from generator.sections.base import Section
from generator.sections.facts import ModuleFacts


class Provider(NamedTuple):
    """One ``provider "aws"`` block, pinned to its one account."""

    alias: str | None
    account_ids: tuple[str, ...]
    role_arn: str | None
    purpose: str
    session_name: str | None = None


class ModuleView(NamedTuple):
    """What versions.tf and providers.tf need."""

    files: tuple[str, ...]
    terraform: str
    region: str
    tags: dict[str, str]
    providers: tuple[Provider, ...]
    guard: str


# Why each provider refuses any other account, as providers.tf says it.
GUARD = "this module rewrites organization-wide settings"
COMPANION_GUARD = "each resource below belongs in this one"


def _purposes(facts: ModuleFacts) -> dict[str | None, str]:
    """What each provider manages, in words, by alias (None: the management account's).

    Beside an owner's trail (``owner_trail``) none manages the owner's bucket, key, log group
    or trusted access: the management account holds this module's trail of data events and
    the alarms on the owner's log group, the bucket's account Athena over the owner's bucket.
    """
    config = facts.config
    owner = facts.owner
    admin = "the trail (its ARN still carries the management account's id)"
    if owner is None:
        owned = ["the organization (read)", "trusted access"]
        owned += ["the log group and its role"] if facts.has_cloudwatch else []
        owned += [] if config.log_archive else ["the bucket and its key"]
        owned += [] if config.delegated_admin else ["the trail"]
        return {None: ", ".join(owned), "log_archive": "bucket and its key", "admin": admin}
    trail = ["the trail of data events"] if facts.creates_trail else []
    monitoring = config.monitoring
    watching = ["metric filters", "alarms"] if facts.has_alarms else []
    if monitoring is not None and monitoring.saved_queries and owner.log_group_name:
        watching.append("saved queries")
    watched = (
        ", ".join(watching[:-1]) + " and " + watching[-1] if watching[1:] else "".join(watching)
    )
    athena = [f"Athena over {owner.manager}'s bucket"] if config.athena else []
    owned = ["the organization (read)", *([] if config.delegated_admin else trail)]
    owned += [f"the {watched} on {owner.manager}'s log group"] if watching else []
    owned += [] if config.log_archive else athena
    return {
        None: ", ".join(owned),
        "log_archive": ", ".join(athena) or f"nothing ({owner.manager}'s bucket stays theirs)",
        "admin": f"the trail of data events ({admin.removeprefix('the trail (')}"
        if facts.creates_trail
        else "nothing (trail.events is not set: this module creates no trail)",
    }


def build(facts: ModuleFacts) -> ModuleView:
    """The providers: each pinned to the home region and, as a guard, to its one account.

    The default provider is the management account's credentials; a log-archive account or
    a delegated administrator is reached by assuming the role the config names. Terraform
    1.10 brought the S3 backend's native locking (use_lockfile), so a backend needs it.
    """
    config = facts.config
    session = f"orgtrail-gen-{config.trail.name}"[:64]
    purposes = _purposes(facts)
    providers = [
        Provider(
            alias=None,
            account_ids=(facts.arns.management_account_id,),
            role_arn=None,
            purpose="the management account: " + purposes[None],
        )
    ]
    for alias, section, purpose in (
        (LOG_ARCHIVE_PROVIDER, config.log_archive, "the log-archive account: "
         + purposes["log_archive"]),
        (DELEGATED_ADMIN_PROVIDER, config.delegated_admin, "the CloudTrail delegated "
         "administrator: " + purposes["admin"]),
    ):  # fmt: skip
        if section is not None:
            providers.append(
                Provider(
                    alias=alias.split(".", 1)[1],
                    account_ids=(section.account_id,),
                    role_arn=section.role_arn,
                    purpose=purpose,
                    session_name=session,
                )
            )
    return ModuleView(
        files=("versions", "providers"),
        terraform=">= 1.10.0" if config.backend is not None else ">= 1.7.0",
        region=facts.arns.home_region,
        tags=config.tags,
        providers=tuple(providers),
        guard=GUARD if facts.owner is None else COMPANION_GUARD,
    )


SECTION = Section(
    name="module",
    keys=("tags",),
    templates=("versions", "providers"),
    view=build,
    # Policy documents are rendered by every section (templates/_policy.tf.j2); they call no API.
    resources={"aws_iam_policy_document": "local"},
)
