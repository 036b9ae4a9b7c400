"""Rules on the organization: read and asserted, never owned; CloudTrail's trusted access."""

from __future__ import annotations

import re

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.core.constants import CLOUDTRAIL_PRINCIPAL

_ORGANIZATION = "aws_organizations_organization"
_EQUALS = re.compile(r'^self\.(?P<attribute>\w+)\s*==\s*"(?P<value>[^"\\]*)"$')
_CONTAINS = re.compile(r'^contains\(\s*self\.(?P<attribute>\w+)\s*,\s*"(?P<value>[^"\\]*)"\s*\)$')


def _conditions(block: Block) -> list[tuple[str, str, str]]:
    """(kind, attribute, value) of each postcondition: kind is ``==`` or ``contains``."""
    result = []
    for lifecycle in nested(block.body, "lifecycle"):
        for check in nested(lifecycle, "postcondition"):
            text = (expression(check.get("condition")) or "").strip()
            if match := _EQUALS.match(text):
                result.append(("==", match["attribute"], match["value"]))
            elif match := _CONTAINS.match(text):
                result.append(("contains", match["attribute"], match["value"]))
    return result


def _trusted_access_resources(module: ParsedModule) -> list[Block]:
    return [
        block
        for block in module.of_type("resource", "aws_organizations_aws_service_access")
        if literal(block.body.get("service_principal")) == CLOUDTRAIL_PRINCIPAL
    ]


def trusted_access_sources(module: ParsedModule) -> list[str]:
    """Addresses that enable (resource) or assert (data source) CloudTrail's trusted access."""
    asserted = [
        block.address
        for block in module.of_type("data", _ORGANIZATION)
        if ("contains", "aws_service_access_principals", CLOUDTRAIL_PRINCIPAL) in _conditions(block)
    ]
    return [block.address for block in _trusted_access_resources(module)] + asserted


@rule(
    "OTG020",
    "trusted access for CloudTrail is enabled or asserted",
    protects=(
        "An organization trail needs CloudTrail's trusted access in AWS Organizations: "
        "without it CreateTrail fails with `CloudTrailAccessNotEnabledException`. The module "
        "must enable it or stop the plan while it is off."
    ),
    satisfy=(
        "Set `organization.cloudtrail_trusted_access`: `enable` (this module enables it), "
        "`adopt` (it is on, and this module imports it) or `already_enabled` (only asserted "
        "at plan). Each value writes the resource or the assertion, so " + REPORT_BUG
    ),
)
def trusted_access(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An organization trail needs CloudTrail's trusted access, enabled here or checked at plan."""
    if trusted_access_sources(module):
        return []
    return [
        Finding(
            "OTG020",
            "organizations.tf",
            "aws_organizations_aws_service_access",
            "CloudTrail's trusted access is neither enabled (aws_organizations_aws_service_access) "
            "nor asserted at plan: CreateTrail fails with CloudTrailAccessNotEnabledException",
            f'resource "aws_organizations_aws_service_access" with service_principal = '
            f'"{CLOUDTRAIL_PRINCIPAL}", or a postcondition contains(self.'
            f'aws_service_access_principals, "{CLOUDTRAIL_PRINCIPAL}") on '
            f"data.{_ORGANIZATION} (organization.cloudtrail_trusted_access)",
        )
    ]


@rule(
    "OTG021",
    "the organization is never managed, and the old resource is forgotten",
    protects=(
        "A module that manages `aws_organizations_organization` is authoritative over the "
        "organization: every trusted service and policy type it does not list is disabled at "
        "apply, and removing the block plans DeleteOrganization. orgtrail-gen 0.1 managed "
        "it, so without a `removed` block with `lifecycle { destroy = false }` a state "
        "written by 0.1 would plan DeleteOrganization."
    ),
    satisfy=(
        "Nothing to set: the organization is only read, and the `removed` block is always "
        "written; " + REPORT_BUG
    ),
)
def organization_not_owned(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Owning aws_organizations_organization makes a trail module authoritative over the org.

    Its trusted-service list and policy types are enforced at every apply, and removing it from
    the code plans DeleteOrganization. Earlier output managed it, so a ``removed`` block with
    ``destroy = false`` must make the next apply forget it instead.
    """
    findings = [
        Finding(
            "OTG021",
            block.file,
            block.address,
            "the module manages the organization: every trusted service and policy type not "
            "listed is disabled at apply, and removing the block deletes the organization",
            f'read it with data "{_ORGANIZATION}" instead, and replace this block with '
            f"removed {{ from = {block.address} lifecycle {{ destroy = false }} }}",
        )
        for block in module.of_type("resource", _ORGANIZATION)
    ]
    forgets = [
        block
        for block in module.all("removed")
        if (expression(block.body.get("from")) or "").startswith(f"{_ORGANIZATION}.")
    ]
    if not forgets:
        findings.append(
            Finding(
                "OTG021",
                "organizations.tf",
                "removed",
                f"no removed block for {_ORGANIZATION}.this: a state written by orgtrail-gen 0.1 "
                "would plan DeleteOrganization",
                f"removed {{ from = {_ORGANIZATION}.this lifecycle {{ destroy = false }} }}",
            )
        )
    for block in forgets:
        destroy = [item.get("destroy") for item in nested(block.body, "lifecycle")]
        if destroy != [False]:
            findings.append(
                Finding(
                    "OTG021",
                    block.file,
                    f"removed {expression(block.body.get('from'))}",
                    "the removed block does not say lifecycle { destroy = false }: the next apply "
                    "would DELETE the organization",
                    "lifecycle { destroy = false }",
                )
            )
    return findings


@rule(
    "OTG022",
    "plan asserts the organization's id, management account and feature set",
    protects=(
        "Credentials of another organization must stop `terraform plan`, not create a trail "
        "there; and CreateTrail fails on an organization without all features enabled."
    ),
    satisfy=(
        "Nothing to set: the postconditions on the organization's id, management account and "
        "feature set are written from `organization.id` and "
        "`organization.management_account_id` (when one fails at plan, the credentials or "
        "those keys are wrong); " + REPORT_BUG
    ),
)
def organization_asserted(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Credentials of another organization must stop the plan, not create a trail there."""
    arns = facts.arns
    wanted = {
        ("==", "id", arns.org_id): f'self.id == "{arns.org_id}"',
        ("==", "master_account_id", arns.management_account_id): (
            f'self.master_account_id == "{arns.management_account_id}"'
        ),
        ("==", "feature_set", "ALL"): 'self.feature_set == "ALL"',
    }
    blocks = module.of_type("data", _ORGANIZATION)
    if not blocks:
        return [
            Finding(
                "OTG022",
                "organizations.tf",
                f"data.{_ORGANIZATION}",
                "the organization is not read: a plan with another organization's credentials "
                "would go ahead (and CreateTrail fails on an organization without all features)",
                f'data "{_ORGANIZATION}" with postconditions ' + ", ".join(wanted.values()),
            )
        ]
    findings = []
    for block in blocks:
        present = set(_conditions(block))
        missing = [text for key, text in wanted.items() if key not in present]
        if missing:
            findings.append(
                Finding(
                    "OTG022",
                    block.file,
                    block.address,
                    "plan does not stop when " + ", ".join(missing) + " is false",
                    "lifecycle { postcondition { condition = ... } } for each: "
                    + "; ".join(missing),
                )
            )
    return findings
