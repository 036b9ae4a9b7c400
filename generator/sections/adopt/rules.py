"""Rules on import blocks: each adopts exactly the object the module describes.

Why: an import block with an id in the wrong format fails the plan (the provider cannot read
it), and one that names another object than the config - another trail, bucket or log group -
imports it and then plans to REPLACE it with the configured one, deleting what holds the logs.
Terraform only says so at plan, after the review; these rules say it before anything is
written. The formats are the provider's (hashicorp/aws docs "Import" sections and importers).
"""

from __future__ import annotations

import re

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import (
    BUCKET_SETTING_TYPES,
    bucket_name,
    references,
    trail_arn,
)

_BUCKET = (r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "the bucket's name")

# Import id per resource type: (pattern, what the provider expects). A bucket's settings take
# the bare bucket name; "<bucket>,<owner account>" is for buckets of another account, which
# this module never manages.
IMPORT_FORMATS: dict[str, tuple[str, str]] = {
    "aws_cloudtrail": (
        r"arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]{3,128}",
        "the trail's ARN, arn:<partition>:cloudtrail:<home region>:<management account>:trail/"
        "<name> (the provider reads a trail by ARN)",
    ),
    "aws_s3_bucket": _BUCKET,
    **{type_: _BUCKET for type_ in BUCKET_SETTING_TYPES},
    "aws_cloudwatch_log_group": (r"[.\-_/#A-Za-z0-9]{1,512}", "the log group's name, not its ARN"),
    "aws_iam_role": (r"[\w+=,.@-]{1,64}", "the role's name, not its ARN"),
    "aws_iam_role_policy": (r"[\w+=,.@-]{1,64}:[\w+=,.@-]{1,128}", "<role name>:<policy name>"),
    "aws_kms_key": (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}",
        "the key id (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-...), not its ARN or alias",
    ),
    "aws_kms_alias": (r"alias/[A-Za-z0-9/_-]{1,250}", "the alias name, alias/<name>"),
    "aws_organizations_aws_service_access": (
        r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?",
        "the service principal, e.g. cloudtrail.amazonaws.com",
    ),
}


def _imports(module: ParsedModule) -> list[tuple[Block, str, str | None]]:
    """(import block, target address, literal id or None) for every import block."""
    return [
        (block, expression(block.body.get("to")) or "", literal(block.body.get("id")))
        for block in module.all("import")
    ]


def _where(block: Block, target: str) -> tuple[str, str]:
    return block.file, f"import {target}"


@rule(
    "OTG060",
    "every import id has its resource type's import format",
    protects=(
        "An import id the provider cannot parse, an ARN where a name is wanted among them, "
        "makes `terraform plan` fail."
    ),
    satisfy=(
        "Nothing to set: the import ids are derived from the `adopt:` section "
        "(`adopt.trail.arn`, `adopt.bucket.name`, `adopt.log_group.name`, `adopt.role.name`, "
        "`adopt.key.arn`), as `orgtrail-gen discover` writes it, in each type's import "
        "format; " + REPORT_BUG
    ),
)
def import_id_format(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An id the provider cannot parse fails the plan; an ARN where a name is wanted too."""
    findings = []
    for block, target, import_id in _imports(module):
        type_ = target.split(".")[0]
        if type_ not in IMPORT_FORMATS:
            findings.append(
                Finding(
                    "OTG060",
                    *_where(block, target),
                    f"no known import format for {type_ or 'this target'}",
                    "import only resources orgtrail-gen generates: "
                    + ", ".join(sorted(IMPORT_FORMATS)),
                )
            )
            continue
        pattern, wanted = IMPORT_FORMATS[type_]
        if import_id is None or not re.fullmatch(pattern, import_id, re.ASCII):
            resource = module.get(target)
            expected = expected_import_id(module, facts, resource) if resource else None
            findings.append(
                Finding(
                    "OTG060",
                    *_where(block, target),
                    f"import id {import_id!r} is not in {type_}'s import format: `terraform "
                    "plan` fails (the provider cannot read the object)",
                    f"id = {wanted}" + (f"; here {expected!r}" if expected else ""),
                )
            )
    return findings


@rule(
    "OTG061",
    "every import block targets a resource of the module",
    protects=(
        "Terraform refuses an import whose target has no resource block in the "
        "configuration: `terraform plan` fails (`Configuration for import target does not "
        "exist`)."
    ),
    satisfy=(
        "Nothing to set: import blocks are written only for resources the module declares "
        "(from `adopt:` and `organization.cloudtrail_trusted_access: adopt`); " + REPORT_BUG
    ),
)
def import_target_exists(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Terraform refuses an import whose target has no resource block in the configuration."""
    return [
        Finding(
            "OTG061",
            *_where(block, target),
            f"there is no resource {target} in the module: `terraform plan` fails (Configuration "
            "for import target does not exist)",
            "import into a resource the module declares, or remove the import block",
        )
        for block, target, _ in _imports(module)
        if target not in {b.address for b in module.all("resource")}
    ]


def _role_policy_id(module: ParsedModule, policy: Block) -> str | None:
    """``<role name>:<policy name>`` of an ``aws_iam_role_policy`` as the module writes it."""
    name = literal(policy.body.get("name"))
    role = literal(policy.body.get("role"))
    reference = expression(policy.body.get("role"))
    if role is None and reference and reference.endswith((".id", ".name")):
        block = module.get(reference.rsplit(".", 1)[0])
        role = literal(block.body.get("name")) if block else None
    return f"{role}:{name}" if role and name else None


def expected_import_id(module: ParsedModule, facts: Facts, target: Block) -> str | None:
    """The id of the object ``target`` describes, or None where AWS chooses it (a key id)."""
    type_, body = target.labels[0], target.body
    if type_ == "aws_cloudtrail":
        return trail_arn(module, facts, target)
    if type_ == "aws_s3_bucket":
        return literal(body.get("bucket"))
    if type_ in BUCKET_SETTING_TYPES:
        return bucket_name(module, body.get("bucket"))
    if type_ in ("aws_cloudwatch_log_group", "aws_iam_role", "aws_kms_alias"):
        return literal(body.get("name"))
    if type_ == "aws_iam_role_policy":
        return _role_policy_id(module, target)
    if type_ == "aws_organizations_aws_service_access":
        return literal(body.get("service_principal"))
    return None


@rule(
    "OTG062",
    "every import id names the object its target describes",
    protects=(
        "An import of another object than the one its target describes imports it and then "
        "plans its REPLACEMENT: the trail's, bucket's, log group's and role's names are "
        "ForceNew, so importing `old-trail` into a block that says `org-trail` deletes the "
        "old trail and creates a new one."
    ),
    satisfy=(
        "Give the config the adopted objects' names: `trail.name` and `trail.home_region` as "
        "in `adopt.trail.arn` (whose account must be `organization.management_account_id`), "
        "`bucket.name` as `adopt.bucket.name`, `cloudwatch_logs.log_group_name` as "
        "`adopt.log_group.name`, `cloudwatch_logs.role_name` as `adopt.role.name`. The "
        "config refuses a mismatch first, so " + REPORT_BUG
    ),
)
def import_id_matches_target(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Importing another object than the configured one plans its REPLACEMENT.

    The trail's name, the bucket's, the log group's and the role's are ForceNew: an import of
    ``old-trail`` into a block that says ``org-trail`` deletes the old trail and creates a new
    one. The trail's id must also carry the home region and the MANAGEMENT account.
    """
    findings = []
    for block, target_address, import_id in _imports(module):
        target = module.get(target_address)
        if target is None or import_id is None:
            continue  # OTG061 / OTG060
        wanted = expected_import_id(module, facts, target)
        if wanted is not None and import_id != wanted:
            findings.append(
                Finding(
                    "OTG062",
                    *_where(block, target_address),
                    f"imports {import_id}, but {target_address} describes {wanted}: the plan "
                    "would import one object and then REPLACE it with the configured one",
                    f"id = {wanted!r}; or set the config's name to the adopted object's "
                    "(adopt section) so that both agree",
                )
            )
    return findings


def _sse_kms(encryption: Block) -> bool:
    """Whether a bucket encryption configuration makes SSE-KMS the bucket's default."""
    for rule_ in nested(encryption.body, "rule"):
        for default in nested(rule_, "apply_server_side_encryption_by_default"):
            if literal(default.get("sse_algorithm")) == "aws:kms":
                return True
    return False


@rule(
    "OTG063",
    "an adopted bucket turns to SSE-KMS only after the adopted trail uses the key",
    protects=(
        "Until UpdateTrail names the key, an adopted trail writes without one. If the "
        "adopted bucket's default encryption turns to SSE-KMS first, S3 asks KMS for a data "
        "key under S3's encryption context, which the key policy does not admit for "
        "CloudTrail: every file delivered in between is lost."
    ),
    satisfy=(
        "Nothing to set: the adopted bucket's encryption configuration is written with "
        "`depends_on` the adopted trail; " + REPORT_BUG
    ),
)
def encryption_after_trail(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Otherwise S3 encrypts the adopted trail's key-less writes with the key and KMS refuses.

    Until UpdateTrail names the key, CloudTrail writes without one; with SSE-KMS as the bucket's
    default, S3 then asks KMS for a data key on CloudTrail's behalf under S3's encryption
    context, which the key policy does not admit (it admits CloudTrail under
    aws:cloudtrail:arn only): every file delivered in between is lost.
    """
    imported = {target for _, target, _ in _imports(module)}
    trails = [t for t in module.of_type("resource", "aws_cloudtrail") if t.address in imported]
    findings = []
    for trail in trails:
        if trail.body.get("kms_key_id") is None:
            continue
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        for encryption in module.of_type(
            "resource", "aws_s3_bucket_server_side_encryption_configuration"
        ):
            reference = expression(encryption.body.get("bucket")) or ""
            if not (
                bucket_name(module, encryption.body.get("bucket")) == name
                and reference.rsplit(".", 1)[0] in imported
                and _sse_kms(encryption)
                and trail.address not in references(encryption.body.get("depends_on"))
            ):
                continue
            findings.append(
                Finding(
                    "OTG063",
                    encryption.file,
                    encryption.address,
                    f"the adopted bucket {name} may turn to SSE-KMS before the adopted trail "
                    f"{trail.address} is updated to use the key: the trail's files in between are "
                    "encrypted by S3 under S3's encryption context, which the key policy does not "
                    "admit for CloudTrail, so KMS refuses them and those deliveries fail",
                    f"depends_on = [{trail.address}] in {encryption.address}",
                )
            )
    return findings
