"""The organization section: which organization, and CloudTrail's trusted access in it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from generator.config.fields import AccountId, OrgId, StrictModel

if TYPE_CHECKING:
    pass


TRUSTED_ACCESS_HINT = (
    "find out with `aws organizations list-aws-service-access-for-organization` in the "
    "management account: 'already_enabled' if cloudtrail.amazonaws.com is listed, else 'enable'"
)


_NOT_MANAGED = (
    "orgtrail-gen no longer manages aws_organizations_organization, which is authoritative over "
    "every trusted service and the root's policy types (a service missing from its list lost "
    "trusted access at apply; a missing policy type was disabled and its policies detached)"
)


# Keys of earlier versions: a config that still has them is told why they went, not "unknown".
RETIRED_KEYS: dict[tuple[str, ...], str] = {
    ("organization", "trusted_access"): (
        f"no longer needed: {_NOT_MANAGED}. Delete this key and set "
        "organization.cloudtrail_trusted_access instead; the other services keep their access"
    ),
    ("organization", "enabled_policy_types"): (
        f"no longer needed: {_NOT_MANAGED}. Delete this key; the root's policy types are left as "
        "they are in AWS"
    ),
}


# Extra advice for required keys that have no safe default.
MISSING_HINTS: dict[tuple[str, ...], str] = {
    ("organization", "cloudtrail_trusted_access"): TRUSTED_ACCESS_HINT,
}


class Organization(StrictModel):
    """The AWS Organization the trail covers. It is read and asserted, never managed."""

    id: OrgId = Field(description="Organization id, o-xxxxxxxxxx.")
    management_account_id: AccountId = Field(
        description="The management account: it owns the trail, so every ARN carries its id."
    )
    cloudtrail_trusted_access: Literal["already_enabled", "enable", "adopt"] = Field(
        description=(
            "Whether CloudTrail's trusted access in AWS Organizations is already on. "
            "'already_enabled': it is only asserted at plan (other organization trails, e.g. "
            "Control Tower's, depend on it, so this module must never disable it). 'enable': "
            "this module enables it with aws_organizations_aws_service_access, and a destroy "
            "disables only that. 'adopt': it was enabled outside Terraform (e.g. by the console "
            "when it created the trail) and this module takes it over with an import block; a "
            "destroy then disables it. No default: " + TRUSTED_ACCESS_HINT + "."
        ),
    )
