"""The companion layout's rule: no resource of the module manages what the owner's trail owns.

Why: beside Control Tower's (or another team's) organization trail, a module that imported or
declared the owner's trail, bucket, bucket settings, key or log group would take it over - a
later destroy of this module would delete the organization's evidence, and every apply would
fight the owner's own deployments. The config rules keep the sections from generating such a
resource; this rule reads the generated HCL itself, so that nothing any section or a later
change writes can slip past.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from generator.check.hcl_parse import Block, ParsedModule, expression, literal
from generator.check.preflight import REPORT_BUG, Facts, Finding, OwnedElsewhere, rule
from generator.check.preflight.lookups import bucket_name

# Resource types that are one of the owner's things, and the argument that names which.
_OWNED_BY_ARGUMENT = (
    ("aws_cloudtrail", "name", "trail"),
    ("aws_cloudwatch_log_group", "name", "log group"),
    ("aws_cloudwatch_log_data_protection_policy", "log_group_name", "log group"),
    ("aws_kms_key_policy", "key_id", "key"),
    ("aws_kms_alias", "target_key_id", "key"),
    ("aws_kms_grant", "key_id", "key"),
)
# Trusted access is what the owner's organization trail depends on.
_TRUSTED_ACCESS = ("aws_organizations_aws_service_access", "cloudtrail.amazonaws.com")


def _identifiers(owned: OwnedElsewhere) -> dict[str, set[str]]:
    """What names each owned thing, per kind: names, ARNs and key ids."""
    key_ids = {owned.key_arn, owned.key_arn.rsplit("/", 1)[1]} if owned.key_arn else set()
    groups = {owned.log_group_name} if owned.log_group_name else set()
    return {
        "trail": {owned.trail_arn, owned.trail_arn.rsplit("/", 1)[1]},
        "bucket": {owned.bucket},
        "key": key_ids,
        "log group": groups,
    }


def owned_by_values(
    kind: str, value: Callable[[str], str | None], owned: OwnedElsewhere
) -> Iterator[str]:
    """What of the owner's a resource of type ``kind`` manages, in words.

    ``value(argument)`` reads one of its arguments as a plain string (None when it is not one):
    the generated HCL's literal here, a plan's planned value in ``orgtrail-gen review``, so
    that both refuse the same things.
    """
    ids = _identifiers(owned)
    owns = f"which {owned.manager}'s organization trail owns"
    if kind.startswith("aws_s3_bucket") and value("bucket") in ids["bucket"]:
        yield f"the bucket {owned.bucket}, {owns}"
    for type_label, argument, what in _OWNED_BY_ARGUMENT:
        if kind == type_label and value(argument) in ids[what]:
            yield f"the {what} {value(argument)}, {owns}"
    if kind == _TRUSTED_ACCESS[0] and value("service_principal") == _TRUSTED_ACCESS[1]:
        yield (
            f"CloudTrail's trusted access, on which {owned.manager}'s organization trail "
            "depends: a destroy would disable it"
        )


def imported_owned(identifier: str, owned: OwnedElsewhere) -> Iterator[str]:
    """Which of the owner's things an import id names, in words."""
    for what, names in _identifiers(owned).items():
        if identifier in names or any(identifier.startswith(f"{n},") for n in names):
            yield f"the {what} {identifier}"


def _taken(module: ParsedModule, block: Block, owned: OwnedElsewhere) -> Iterator[str]:
    """What of the owner's ``block`` would manage, in words."""

    def value(argument: str) -> str | None:
        raw = block.body.get(argument)
        return bucket_name(module, raw) if argument == "bucket" else literal(raw)

    yield from owned_by_values(block.labels[0] if block.labels else "", value, owned)


def _imported(block: Block, owned: OwnedElsewhere) -> Iterator[str]:
    """What of the owner's an ``import`` block brings into this module's state, in words."""
    identifier = literal(block.body.get("id")) or ""
    target = expression(block.body.get("to")) or ""
    for what in imported_owned(identifier, owned):
        yield f"{what} (import into {target})"


@rule(
    "OTG110",
    "nothing the owner's organization trail owns is managed by this module",
    protects=(
        "Beside Control Tower's, Landing Zone Accelerator's or another team's organization "
        "trail (owner_trail), a resource or import block on the owner's trail, bucket, bucket "
        "settings or policy, key or log group, or on CloudTrail's trusted access, would put "
        "it in this module's state: a destroy would delete the organization's evidence or cut "
        "its delivery, and each apply would undo the owner's own changes."
    ),
    satisfy=(
        "Nothing to set: in the companion layout the config keeps bucket.create false with "
        "existing_policy: keep, cloudwatch_logs and adopt absent, and "
        "cloudtrail_trusted_access already_enabled; " + REPORT_BUG
    ),
)
def nothing_of_the_owner(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Every resource and import block that would manage one of the owner's things."""
    owned = facts.owned_elsewhere
    if owned is None:
        return []
    findings = []
    for block in module.all("resource"):
        for what in _taken(module, block, owned):
            findings.append(
                Finding(
                    "OTG110",
                    block.file,
                    block.address,
                    f"manages {what}",
                    "remove the resource: the owner's trail, bucket, key and log group are "
                    "read and verified, never managed here",
                )
            )
    for block in module.all("import"):
        for what in _imported(block, owned):
            findings.append(
                Finding(
                    "OTG110",
                    block.file,
                    "import",
                    f"imports {what}, which {owned.manager}'s organization trail owns",
                    "remove the import block: nothing of the owner's is taken over",
                )
            )
    return findings
