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


def build(facts: ModuleFacts) -> ModuleView:
    """The providers: each pinned to the home region and, as a guard, to its one account.

    The default provider is the management account's credentials; a log-archive account or
    a delegated administrator is reached by assuming the role the config names. Terraform
    1.10 brought the S3 backend's native locking (use_lockfile), so a backend needs it.
    """
    config = facts.config
    session = f"orgtrail-gen-{config.trail.name}"[:64]
    owned = ["the organization (read)", "trusted access"]
    owned += ["the log group and its role"] if facts.has_cloudwatch else []
    owned += [] if config.log_archive else ["the bucket and its key"]
    owned += [] if config.delegated_admin else ["the trail"]
    providers = [
        Provider(
            alias=None,
            account_ids=(facts.arns.management_account_id,),
            role_arn=None,
            purpose="the management account: " + ", ".join(owned),
        )
    ]
    for alias, section, purpose in (
        (LOG_ARCHIVE_PROVIDER, config.log_archive, "the log-archive account: bucket and its key"),
        (DELEGATED_ADMIN_PROVIDER, config.delegated_admin, "the CloudTrail delegated "
         "administrator: the trail (its ARN still carries the management account's id)"),
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
    )


SECTION = Section(
    name="module",
    keys=("tags",),
    templates=("versions", "providers"),
    view=build,
    # Policy documents are rendered by every section (templates/_policy.tf.j2); they call no API.
    resources={"aws_iam_policy_document": "local"},
)
