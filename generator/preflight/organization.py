"""Rules on trusted access in AWS Organizations."""

from __future__ import annotations

from generator.config import CLOUDTRAIL_PRINCIPAL
from generator.hcl_parse import ParsedModule, expression, literal, literals, nested
from generator.preflight import Facts, Finding, rule


@rule("OTG020", "trusted access is enabled for CloudTrail")
def trusted_access(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An organization trail needs cloudtrail.amazonaws.com among the trusted services."""
    organizations = module.of_type("resource", "aws_organizations_organization")
    if not organizations:
        return [
            Finding(
                "OTG020",
                "organizations.tf",
                "aws_organizations_organization",
                "trusted access for CloudTrail is not managed: CreateTrail fails with "
                "CloudTrailAccessNotEnabledException",
                "emit aws_organizations_organization with the full principal list",
            )
        ]
    return [
        Finding(
            "OTG020",
            org.file,
            org.address,
            f"{CLOUDTRAIL_PRINCIPAL} is not in aws_service_access_principals: CreateTrail fails "
            "with CloudTrailAccessNotEnabledException",
            f"add {CLOUDTRAIL_PRINCIPAL} to organization.trusted_access.service_access_principals",
        )
        for org in organizations
        if CLOUDTRAIL_PRINCIPAL not in literals(org.body.get("aws_service_access_principals"))
    ]


@rule("OTG021", "the organization can be neither destroyed nor created")
def organization_guarded(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Destroying aws_organizations_organization deletes the organization; it must be imported."""
    findings = []
    imports = {
        expression(block.body.get("to")): literal(block.body.get("id"))
        for block in module.all("import")
    }
    for org in module.of_type("resource", "aws_organizations_organization"):
        guarded = any(item.get("prevent_destroy") is True for item in nested(org.body, "lifecycle"))
        if not guarded:
            findings.append(
                Finding(
                    "OTG021",
                    org.file,
                    org.address,
                    "no lifecycle { prevent_destroy = true }: a destroy would delete the "
                    "organization",
                    "lifecycle { prevent_destroy = true }",
                )
            )
        if imports.get(org.address) != facts.arns.org_id:
            findings.append(
                Finding(
                    "OTG021",
                    org.file,
                    org.address,
                    f"no import block with id {facts.arns.org_id}: apply would try to CREATE an "
                    "organization (AlreadyInOrganizationException)",
                    f'import {{ to = {org.address}  id = "{facts.arns.org_id}" }}',
                )
            )
    return findings
