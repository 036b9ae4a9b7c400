"""Rules on the log bucket's policy (InsufficientS3BucketPolicyException and friends)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from generator.config import CLOUDTRAIL_PRINCIPAL
from generator.hcl_parse import ParsedModule, literal
from generator.policies import CONSOLE_SIDS, sid_stem
from generator.preflight import Facts, Finding, rule
from generator.preflight.lookups import (
    bucket_name,
    bucket_policies,
    organization_trails,
    trail_arn,
)
from generator.preflight.policy_reading import ParsedStatement, statements

_INSUFFICIENT = "CreateTrail fails with InsufficientS3BucketPolicyException"


def _cloudtrail_statements(module: ParsedModule, facts: Facts) -> list[
    tuple[str, str, str, str | None, list[ParsedStatement], str]
]:  # fmt: skip
    """(file, address, bucket, key prefix, statements, trail ARN) per trail with a policy."""
    result = []
    for trail in organization_trails(module):
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        arn = trail_arn(module, facts, trail)
        if not name or not arn:
            continue
        prefix = literal(trail.body.get("s3_key_prefix"))
        for _policy, document in bucket_policies(module, name):
            if document is None:
                continue
            result.append(
                (document.file, document.address, name, prefix, statements(document), arn)
            )
    return result


def _writes_to(statement: ParsedStatement, resource: str) -> bool:
    return (
        statement.effect == "Allow"
        and "s3:PutObject" in statement.actions
        and resource in statement.resources
        and statement.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
    )


def _objects(facts: Facts, bucket: str, prefix: str | None, owner: str) -> str:
    key = f"{prefix}/" if prefix else ""
    return f"arn:{facts.arns.partition}:s3:::{bucket}/{key}AWSLogs/{owner}/*"


def _missing_grant(module: ParsedModule, facts: Facts, rule_id: str, owner: str, what: str) -> list[
    Finding
]:  # fmt: skip
    findings = []
    for file, address, bucket, prefix, stmts, _arn in _cloudtrail_statements(module, facts):
        wanted = _objects(facts, bucket, prefix, owner)
        if any(_writes_to(s, wanted) for s in stmts):
            continue
        near = [r for s in stmts for r in s.resources if f"AWSLogs/{owner}/" in r and r != wanted]
        hint = (
            f" (found {', '.join(near)}: its key prefix differs from the trail's)" if near else ""
        )
        findings.append(
            Finding(
                rule_id,
                file,
                address,
                f"no s3:PutObject for {CLOUDTRAIL_PRINCIPAL} on {wanted}{hint}; {what}: "
                + _INSUFFICIENT,
                f"allow s3:PutObject on {wanted} (the trail's s3_key_prefix must match)",
            )
        )
    return findings


@rule("OTG001", "bucket policy grants the organization's log prefix")
def org_prefix_grant(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An organization trail writes under AWSLogs/<org-id>/ for every account."""
    return _missing_grant(
        module, facts, "OTG001", facts.arns.org_id, "an organization trail writes there"
    )


@rule("OTG002", "bucket policy grants the management account's log prefix")
def management_prefix_grant(module: ParsedModule, facts: Facts) -> list[Finding]:
    """AWS requires the management account's own prefix too (CT-UG, organization trails)."""
    return _missing_grant(
        module,
        facts,
        "OTG002",
        facts.arns.management_account_id,
        "AWS requires the management account's prefix for an organization trail",
    )


@rule("OTG003", "every CloudTrail grant is pinned to this trail's ARN")
def source_arn(module: ParsedModule, facts: Facts) -> list[Finding]:
    """aws:SourceArn must equal the trail's exact ARN, or CloudTrail is refused."""
    findings = []
    for file, address, _bucket, _prefix, stmts, arn in _cloudtrail_statements(module, facts):
        for statement in stmts:
            if statement.effect != "Allow" or not statement.has_principal(
                "Service", CLOUDTRAIL_PRINCIPAL
            ):
                continue
            exact = [
                *(statement.condition("StringEquals", "aws:SourceArn") or ()),
                *(statement.condition("ArnEquals", "aws:SourceArn") or ()),
            ]
            patterns = [
                *(statement.condition("StringLike", "aws:SourceArn") or ()),
                *(statement.condition("ArnLike", "aws:SourceArn") or ()),
            ]
            values = exact + patterns
            if arn not in exact and not any(fnmatchcase(arn, p) for p in patterns):
                findings.append(
                    Finding(
                        "OTG003",
                        file,
                        f"{address} statement {statement.sid or '(no sid)'}",
                        f"aws:SourceArn is {values}, not the trail's ARN {arn}: {_INSUFFICIENT}",
                        f'condition StringEquals "aws:SourceArn" = ["{arn}"] (management account, '
                        "home region, trail name)",
                    )
                )
    return findings


@rule("OTG004", "bucket policy lets CloudTrail read the bucket ACL")
def acl_check(module: ParsedModule, facts: Facts) -> list[Finding]:
    """CloudTrail calls GetBucketAcl on the bucket before it delivers."""
    findings = []
    for file, address, bucket, _prefix, stmts, _arn in _cloudtrail_statements(module, facts):
        bucket_arn = f"arn:{facts.arns.partition}:s3:::{bucket}"
        if not any(
            s.effect == "Allow"
            and "s3:GetBucketAcl" in s.actions
            and bucket_arn in s.resources
            and s.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
            for s in stmts
        ):
            findings.append(
                Finding(
                    "OTG004",
                    file,
                    address,
                    f"no s3:GetBucketAcl for {CLOUDTRAIL_PRINCIPAL} on {bucket_arn}: "
                    + _INSUFFICIENT,
                    f"allow s3:GetBucketAcl on {bucket_arn} to {CLOUDTRAIL_PRINCIPAL} "
                    f"(orgtrail-gen's statement CloudTrail{sid_stem(facts.arns.trail_name)}"
                    "AclCheck)",
                )
            )
    return findings


@rule("OTG005", "CloudTrail writes require bucket-owner-full-control")
def owner_full_control(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Without the ACL condition objects could be written that the bucket owner cannot control."""
    findings = []
    for file, address, _bucket, _prefix, stmts, _arn in _cloudtrail_statements(module, facts):
        for statement in stmts:
            if not (
                statement.effect == "Allow"
                and "s3:PutObject" in statement.actions
                and statement.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
            ):
                continue
            if statement.condition("StringEquals", "s3:x-amz-acl") != (
                "bucket-owner-full-control",
            ):
                findings.append(
                    Finding(
                        "OTG005",
                        file,
                        f"{address} statement {statement.sid or '(no sid)'}",
                        "the write grant does not require s3:x-amz-acl = bucket-owner-full-control"
                        " (AWS's documented organization-trail policy does)",
                        'condition StringEquals "s3:x-amz-acl" = ["bucket-owner-full-control"]',
                    )
                )
    return findings


@rule("OTG006", "bucket policy denies requests without TLS")
def tls_only(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Audit logs must never travel in clear text; every bucket we touch refuses plain HTTP."""
    findings = []
    for file, address, bucket, _prefix, stmts, _arn in _cloudtrail_statements(module, facts):
        objects = f"arn:{facts.arns.partition}:s3:::{bucket}/*"
        if not any(
            s.effect == "Deny"
            and s.condition("Bool", "aws:SecureTransport") == ("false",)
            and objects in s.resources
            for s in stmts
        ):
            findings.append(
                Finding(
                    "OTG006",
                    file,
                    address,
                    "no Deny for aws:SecureTransport = false: the bucket accepts plain HTTP",
                    "add the DenyInsecureTransport statement on the bucket and its objects",
                )
            )
    return findings


@rule("OTG007", "the trail's bucket has a policy, which never refers back to the trail")
def policy_present_without_cycle(module: ParsedModule, facts: Facts) -> list[Finding]:
    """No policy means no delivery; a policy built from aws_cloudtrail's ARN is a cycle."""
    findings = []
    for trail in organization_trails(module):
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        pairs = bucket_policies(module, name) if name else []
        if not pairs or all(document is None for _, document in pairs):
            findings.append(
                Finding(
                    "OTG007",
                    trail.file,
                    trail.address,
                    f"no aws_s3_bucket_policy built from a policy document for bucket {name}: "
                    f"{_INSUFFICIENT}",
                    "attach the CloudTrail bucket policy to the trail's bucket",
                )
            )
        for policy, document in pairs:
            for block in (policy, document):
                if block is not None and "aws_cloudtrail." in repr(block.body):
                    findings.append(
                        Finding(
                            "OTG007",
                            block.file,
                            block.address,
                            "refers to aws_cloudtrail while the trail depends on the policy: "
                            "Terraform reports a dependency cycle",
                            "spell the trail ARN out from partition, home region, management "
                            "account and trail name",
                        )
                    )
    return findings


@rule("OTG008", "a merged bucket policy keeps the console's CloudTrail grants")
def merge_keeps_console_grants(module: ParsedModule, facts: Facts) -> list[Finding]:
    """source_policy_documents merges by Sid: reusing a console Sid replaces that grant.

    A bucket shared with a trail made in the console carries AWSCloudTrailAclCheck20150319 and
    AWSCloudTrailWrite20150319 for THAT trail. A generated statement with the same Sid would
    replace it at apply, and the other trail's delivery would stop.
    """
    findings = []
    for document in module.of_type("data", "aws_iam_policy_document"):
        if "source_policy_documents" not in document.body:
            continue
        for statement in statements(document):
            if statement.sid in CONSOLE_SIDS:
                findings.append(
                    Finding(
                        "OTG008",
                        document.file,
                        document.address,
                        f"statement Sid {statement.sid} is the CloudTrail console's: merged over "
                        "the bucket's current policy it replaces another trail's grant, whose "
                        "delivery then stops",
                        "give the statement a Sid of its own (orgtrail-gen names them "
                        f"CloudTrail{sid_stem(facts.arns.trail_name)}...)",
                    )
                )
    return findings
