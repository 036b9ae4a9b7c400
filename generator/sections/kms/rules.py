"""Rules on the trail's KMS key (InsufficientEncryptionPolicyException, KmsKeyNotFoundException)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from generator.check.hcl_parse import (
    ParsedModule,
    nested,
    template_source,
)
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import key_of, organization_trails, region_of, trail_arn
from generator.check.preflight.policy_reading import ParsedStatement, statements
from generator.core.constants import CLOUDTRAIL_PRINCIPAL


def _allows(statement: ParsedStatement, principal: tuple[str, str], action: str) -> bool:
    return (
        statement.effect == "Allow"
        and statement.has_principal(*principal)
        and any(fnmatchcase(action, pattern) for pattern in statement.actions)
    )


def _conditions_admit(statement: ParsedStatement, context: dict[str, str]) -> bool:
    """Whether every condition of the statement holds for a request with ``context`` keys.

    Keys and operators compare case-insensitively, as IAM evaluates them (``AWS:SourceArn``).
    """
    keys = {key.lower(): value for key, value in context.items()}
    for test, variable, values in statement.conditions:
        actual, test = keys.get(variable.lower()), test.lower()
        if test == "null":
            if (actual is None) != (values == ("true",)):
                return False
        elif actual is None:
            return False
        elif test in ("stringequals", "arnequals"):
            if actual not in values:
                return False
        elif test in ("stringlike", "arnlike"):
            if not any(fnmatchcase(actual, value) for value in values):
                return False
        else:  # a condition we cannot evaluate offline: do not claim it admits the request
            return False
    return True


@rule(
    "OTG030",
    "the trail's key is in the bucket's region",
    protects=(
        "CloudTrail needs its KMS key in the bucket's region: with a key elsewhere "
        "CreateTrail fails with `KmsKeyNotFoundException`."
    ),
    satisfy=(
        "Name a key in `trail.home_region`, the bucket's region, in `kms.key_arn` or "
        "`adopt.key.arn`, or leave `kms.key_arn` unset and let orgtrail-gen create one. The "
        "config refuses a key in another region first, so " + REPORT_BUG
    ),
)
def key_region(module: ParsedModule, facts: Facts) -> list[Finding]:
    """CloudTrail needs a key in the same region as the bucket."""
    findings = []
    for trail in organization_trails(module):
        if "kms_key_id" not in trail.body:
            continue
        _, key_region_name = key_of(module, trail.body.get("kms_key_id"))
        buckets = module.of_type("resource", "aws_s3_bucket")
        bucket_region = region_of(module, buckets[0]) if buckets else region_of(module, trail)
        if key_region_name and bucket_region and key_region_name != bucket_region:
            findings.append(
                Finding(
                    "OTG030",
                    trail.file,
                    trail.address,
                    f"the KMS key is in {key_region_name}, the bucket in {bucket_region}: "
                    "CreateTrail fails with KmsKeyNotFoundException",
                    f"use a key in {bucket_region} (kms.key_arn), or let orgtrail-gen create one",
                )
            )
    return findings


def trail_key_problems(
    stmts: list[ParsedStatement],
    *,
    trail_arn: str,
    partition: str,
    management_account_id: str,
    bucket_key: bool,
) -> list[tuple[str, str]]:
    """(problem, fix) per action CloudTrail needs and the key policy does not allow it.

    ``bucket_key``: the bucket encrypts with an S3 Bucket Key, so CloudTrail also needs
    kms:Decrypt to create or update the trail (CT-UG, "Required KMS key policy elements for
    trails"). Why a function over statements: ``verify`` runs it on an existing key's live
    policy JSON.
    """
    context = {
        "kms:EncryptionContext:aws:cloudtrail:arn": trail_arn,
        "aws:SourceArn": trail_arn,
        "aws:SourceAccount": management_account_id,
    }
    service = ("Service", CLOUDTRAIL_PRINCIPAL)
    source = f"aws:SourceArn {trail_arn}"
    context_and_source = (
        f"encryption context arn:{partition}:cloudtrail:*:{management_account_id}:trail/* "
        f"and {source}"
    )
    # (action, why the trail needs it, the conditions the fix names)
    needed = [
        ("kms:GenerateDataKey", "", context_and_source),
        # DescribeKey carries no encryption context: a statement that asks for one refuses it
        ("kms:DescribeKey", "", source),
    ]
    if bucket_key:
        needed.append(("kms:Decrypt", " (the bucket uses an S3 Bucket Key)", source))
    problems = []
    for action, why, conditions in needed:
        if not any(_allows(s, service, action) and _conditions_admit(s, context) for s in stmts):
            problems.append(
                (
                    f"the key policy does not allow {CLOUDTRAIL_PRINCIPAL} {action} for "
                    f"{trail_arn}{why}: CreateTrail fails with "
                    "InsufficientEncryptionPolicyException",
                    f"allow {action} to {CLOUDTRAIL_PRINCIPAL} with {conditions}",
                )
            )
    return problems


def uses_bucket_key(module: ParsedModule) -> bool:
    """Whether the module's bucket encrypts with an S3 Bucket Key (``bucket_key_enabled``)."""
    return any(
        rule.get("bucket_key_enabled") is True
        for config in module.of_type(
            "resource", "aws_s3_bucket_server_side_encryption_configuration"
        )
        for rule in nested(config.body, "rule")
    )


def log_group_key_problems(
    stmts: list[ParsedStatement], *, group_arn: str, service: str
) -> list[tuple[str, str]]:
    """(problem, fix) when the key policy does not admit CloudWatch Logs for the log group."""
    context = {"kms:EncryptionContext:aws:logs:arn": group_arn}
    if any(
        _allows(s, ("Service", service), "kms:GenerateDataKey") and _conditions_admit(s, context)
        for s in stmts
    ):
        return []
    return [
        (
            f"the key policy does not admit {service} for {group_arn}: creating the "
            "log group fails with AccessDeniedException (KMS)",
            f"allow {service} kms:GenerateDataKey*, kms:Decrypt* ... with "
            f"kms:EncryptionContext:aws:logs:arn = {group_arn}",
        )
    ]


@rule(
    "OTG031",
    "the key policy admits CloudTrail for this trail",
    protects=(
        "Unless the key policy lets `cloudtrail.amazonaws.com` `kms:GenerateDataKey*` under "
        "this trail's encryption context and `aws:SourceArn`, `kms:DescribeKey`, and "
        "`kms:Decrypt` when the bucket uses an S3 Bucket Key, CreateTrail fails with "
        "`InsufficientEncryptionPolicyException`."
    ),
    satisfy=(
        "Nothing to set for a key in the module: its policy is written for the trail; "
        + REPORT_BUG
        + " A key the module only names (`kms.key_arn`) is not checked here: `orgtrail-gen "
        "verify` checks its live policy, and its policy must admit the trail."
    ),
)
def key_admits_trail(module: ParsedModule, facts: Facts) -> list[Finding]:
    """CloudTrail's key actions for this trail must be allowed.

    GenerateDataKey* with this trail's encryption context, DescribeKey, and Decrypt when the
    bucket uses an S3 Bucket Key.
    """
    findings = []
    for trail in organization_trails(module):
        key, _ = key_of(module, trail.body.get("kms_key_id"))
        arn = trail_arn(module, facts, trail)
        if key is None or arn is None:
            continue
        document = module.resolve(key.body.get("policy"), "json")
        stmts = statements(document) if document else []
        for problem, fix in trail_key_problems(
            stmts,
            trail_arn=arn,
            partition=facts.arns.partition,
            management_account_id=facts.arns.management_account_id,
            bucket_key=uses_bucket_key(module),
        ):
            where = document or key
            findings.append(Finding("OTG031", where.file, where.address, problem, fix))
    return findings


@rule(
    "OTG032",
    "the key policy admits CloudWatch Logs for the log group",
    protects=(
        "An encrypted log group needs `logs.<region>.amazonaws.com` admitted in its key's "
        "policy under the group's `kms:EncryptionContext:aws:logs:arn`; otherwise creating "
        "the log group fails with `AccessDeniedException` (KMS)."
    ),
    satisfy=(
        "Nothing to set for a key in the module: its policy is written for the log group; "
        + REPORT_BUG
        + " A key the module only names (`kms.key_arn`) is not checked here: `orgtrail-gen "
        "verify` checks its live policy."
    ),
)
def key_admits_log_group(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An encrypted log group needs logs.<region> in the key policy, or creation is refused."""
    findings = []
    for group in module.of_type("resource", "aws_cloudwatch_log_group"):
        key, _ = key_of(module, group.body.get("kms_key_id"))
        name = template_source(group.body.get("name"))
        region = region_of(module, group)
        if key is None or name is None or region is None:
            continue
        document = module.resolve(key.body.get("policy"), "json")
        arns = facts.arns
        group_arn = (
            f"arn:{arns.partition}:logs:{region}:{arns.management_account_id}:log-group:{name}"
        )
        stmts = statements(document) if document else []
        for problem, fix in log_group_key_problems(
            stmts, group_arn=group_arn, service=f"logs.{region}.{arns.dns_suffix}"
        ):
            findings.append(Finding("OTG032", group.file, group.address, problem, fix))
    return findings
