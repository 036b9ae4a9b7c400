"""The organization section: the organization read and asserted, CloudTrail's trusted access.

It owns ``organizations.tf``: the data source with its postconditions, the non-authoritative
trusted-access resource, the delegated administrator's registration and the ``removed`` block
for what orgtrail-gen 0.1 managed.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.core.constants import CLOUDTRAIL_PRINCIPAL
from generator.sections.addresses import (
    DELEGATED_ADMIN,
    LEGACY_ORGANIZATION,
    ORGANIZATION,
    TRUSTED_ACCESS,
    label,
)
from generator.sections.base import Section
from generator.sections.facts import ModuleFacts
from generator.sections.organization import rules

# Why every module carries ``removed { from = aws_organizations_organization.this }``, in the
# words the change summary gives a reviewer. A first generation cannot find 0.1's state in a new
# output folder, but the state is wherever the backend keeps it (an S3 key reused from 0.1, a
# renamed config or folder): dropping the block there would plan DeleteOrganization (OTG021).
LEGACY_REASON = (
    "the upgrade from orgtrail-gen 0.1, which managed the organization: Terraform acts on it "
    "only when the state already holds that address (a state 0.1 applied, wherever the backend "
    "keeps it, even when this output folder is new) and then only forgets the organization, "
    "without touching it; for any other state it plans nothing. Every module keeps it, because "
    "without it such a state would plan DeleteOrganization (rule OTG021)"
)
# Each ``removed`` block a section writes for a migration, and why, by the address it forgets.
MIGRATIONS = {LEGACY_ORGANIZATION: LEGACY_REASON}


class Assertion(NamedTuple):
    """A postcondition on the organization data source."""

    attribute: str
    message: str
    equals: str | None = None
    contains: str | None = None


class Registration(NamedTuple):
    """The delegated administrator this module registers."""

    label: str
    account_id: str


class OrganizationView(NamedTuple):
    """What organizations.tf needs."""

    files: tuple[str, ...]
    label: str
    organization_only: bool
    assertions: tuple[Assertion, ...]
    enable: bool
    adopted: bool
    trusted_access_label: str
    principal: str
    legacy: str
    delegated_admin: Registration | None


def build(facts: ModuleFacts) -> OrganizationView:
    """The organization, read and asserted; CloudTrail's trusted access enabled or asserted.

    Each assertion is a postcondition on the data source, so ``terraform plan`` stops before
    anything changes when the credentials reach another organization or the organization is
    not in all-features mode. Asserting the trusted-access list needs the full data source
    (it also lists every account); the identity checks alone need only DescribeOrganization.
    """
    org = facts.config.organization
    admin = facts.config.delegated_admin
    assertions = [
        Assertion(
            attribute="id",
            equals=org.id,
            message=f"This module is for organization {org.id} (config: organization.id), "
            "but the credentials reach another one. Use the management account of "
            f"{org.id}, or fix organization.id in the config.",
        ),
        Assertion(
            attribute="master_account_id",
            equals=org.management_account_id,
            message=f"The management account of this organization is not "
            f"{org.management_account_id} (config: organization.management_account_id). "
            "Fix the config, then run orgtrail-gen again.",
        ),
        Assertion(
            attribute="feature_set",
            equals="ALL",
            message="The organization is not in all-features mode: organization trails "
            "need it (OrganizationNotInAllFeaturesModeException). Enable all features in AWS "
            "Organizations first.",
        ),
    ]
    if not facts.enables_trusted_access:
        assertions.append(
            Assertion(
                attribute="aws_service_access_principals",
                contains=CLOUDTRAIL_PRINCIPAL,
                message=f"Trusted access for {CLOUDTRAIL_PRINCIPAL} is not enabled, but "
                "the config says organization.cloudtrail_trusted_access: already_enabled. "
                "Set it to 'enable' so that this module enables it, then run orgtrail-gen "
                "again.",
            )
        )
    return OrganizationView(
        files=("organizations",),
        label=label(ORGANIZATION),
        organization_only=facts.enables_trusted_access,
        assertions=tuple(assertions),
        enable=facts.enables_trusted_access,
        adopted=org.cloudtrail_trusted_access == "adopt",
        trusted_access_label=label(TRUSTED_ACCESS),
        principal=CLOUDTRAIL_PRINCIPAL,
        legacy=LEGACY_ORGANIZATION,
        delegated_admin=None
        if admin is None or admin.registered
        else Registration(label=label(DELEGATED_ADMIN), account_id=admin.account_id),
    )


SECTION = Section(
    name="organization",
    keys=("organization",),
    templates=("organizations",),
    view=build,
    rules=rules,
    resources={
        "aws_organizations_organization": "management",
        "aws_organizations_aws_service_access": "management",
        "aws_cloudtrail_organization_delegated_admin_account": "management",
    },
)
