"""Rules on the log bucket's policy (InsufficientS3BucketPolicyException and friends).

Why the split: each rule's logic is a function over normalised statements and a
:class:`BucketPolicyTarget`, so ``verify`` runs exactly these checks on the live policy JSON;
the registered rules only find the generated policy documents and locate the findings.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import NamedTuple

from generator.check.hcl_parse import ParsedModule, literal
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import (
    bucket_name,
    bucket_policies,
    organization_trails,
    trail_arn,
)
from generator.check.preflight.policy_reading import ParsedStatement, all_statements, statements
from generator.core.constants import CLOUDTRAIL_PRINCIPAL, sid_stem

_INSUFFICIENT = "CreateTrail fails with InsufficientS3BucketPolicyException"


class BucketPolicyTarget(NamedTuple):
    """What a bucket policy must admit: one organization trail writing into one bucket."""

    partition: str
    org_id: str
    management_account_id: str
    bucket: str
    prefix: str | None
    trail_arn: str


class PolicyProblem(NamedTuple):
    """One way a policy fails a rule; ``statement`` names the statement, or None for the policy."""

    rule: str
    statement: str | None
    problem: str
    fix: str


PolicyCheck = Callable[[list[ParsedStatement], BucketPolicyTarget], list[PolicyProblem]]


def _cloudtrail_statements(module: ParsedModule, facts: Facts) -> list[
    tuple[str, str, BucketPolicyTarget, list[ParsedStatement]]
]:  # fmt: skip
    """(file, address, target, statements) per trail with a policy document on its bucket."""
    result = []
    for trail in organization_trails(module):
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        arn = trail_arn(module, facts, trail)
        if not name or not arn:
            continue
        target = BucketPolicyTarget(
            partition=facts.arns.partition,
            org_id=facts.arns.org_id,
            management_account_id=facts.arns.management_account_id,
            bucket=name,
            prefix=literal(trail.body.get("s3_key_prefix")),
            trail_arn=arn,
        )
        for _policy, document in bucket_policies(module, name):
            if document is not None:
                result.append((document.file, document.address, target, statements(document)))
    return result


def _findings(module: ParsedModule, facts: Facts, check: PolicyCheck) -> list[Finding]:
    findings = []
    for file, address, target, stmts in _cloudtrail_statements(module, facts):
        for problem in check(stmts, target):
            where = (
                address if problem.statement is None else f"{address} statement {problem.statement}"
            )
            findings.append(Finding(problem.rule, file, where, problem.problem, problem.fix))
    return findings


def _writes_to(statement: ParsedStatement, resource: str) -> bool:
    return (
        statement.effect == "Allow"
        and "s3:PutObject" in statement.actions
        and resource in statement.resources
        and statement.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
    )


def _objects(target: BucketPolicyTarget, owner: str) -> str:
    key = f"{target.prefix}/" if target.prefix else ""
    return f"arn:{target.partition}:s3:::{target.bucket}/{key}AWSLogs/{owner}/*"


def _missing_grant(
    stmts: list[ParsedStatement], target: BucketPolicyTarget, rule_id: str, owner: str, what: str
) -> list[PolicyProblem]:
    wanted = _objects(target, owner)
    if any(_writes_to(s, wanted) for s in stmts):
        return []
    near = [r for s in stmts for r in s.resources if f"AWSLogs/{owner}/" in r and r != wanted]
    hint = f" (found {', '.join(near)}: its key prefix differs from the trail's)" if near else ""
    return [
        PolicyProblem(
            rule_id,
            None,
            f"no s3:PutObject for {CLOUDTRAIL_PRINCIPAL} on {wanted}{hint}; {what}: "
            + _INSUFFICIENT,
            f"allow s3:PutObject on {wanted} (the trail's s3_key_prefix must match)",
        )
    ]


def org_prefix_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """An organization trail writes under AWSLogs/<org-id>/ for every account."""
    return _missing_grant(
        stmts, target, "OTG001", target.org_id, "an organization trail writes there"
    )


def management_prefix_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """AWS requires the management account's own prefix too (CT-UG, organization trails)."""
    return _missing_grant(
        stmts,
        target,
        "OTG002",
        target.management_account_id,
        "AWS requires the management account's prefix for an organization trail",
    )


_SOURCE_ARN_TESTS = ("StringEquals", "ArnEquals", "StringLike", "ArnLike")
_OTHER_PINS = ("aws:sourceaccount", "aws:sourceorgid")


def _source_arns(statement: ParsedStatement) -> tuple[list[str], list[str]]:
    """The statement's aws:SourceArn values: (exact ones, patterns)."""
    exact = [
        v for t in _SOURCE_ARN_TESTS[:2] for v in statement.condition(t, "aws:SourceArn") or ()
    ]
    like = [v for t in _SOURCE_ARN_TESTS[2:] for v in statement.condition(t, "aws:SourceArn") or ()]
    return exact, like


def _admits(statement: ParsedStatement, arn: str) -> bool:
    exact, patterns = _source_arns(statement)
    return arn in exact or any(fnmatchcase(arn, p) for p in patterns)


def source_arn_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """Every CloudTrail grant is pinned to a trail; this trail's grants to its exact ARN.

    A grant pinned to ANOTHER trail (a kept console statement, a second trail delivering into
    the bucket) is an extra Allow: it never makes CreateTrail fail, so it is a problem only when
    no grant of this trail covers its actions - then this trail lacks them. A grant with no
    aws:SourceArn, aws:SourceAccount or aws:SourceOrgID admits every trail of every account
    (confused deputy).
    """
    problems = []
    arn = target.trail_arn
    grants = [
        s for s in stmts if s.effect == "Allow" and s.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
    ]
    covered = {action for s in grants if _admits(s, arn) for action in s.actions}
    fix = (
        f'condition StringEquals "aws:SourceArn" = ["{arn}"] (management account, home region, '
        "trail name)"
    )
    for statement in grants:
        exact, patterns = _source_arns(statement)
        values = exact + patterns
        # aws:SourceAccount / aws:SourceOrgID pin a grant too, less tightly (aws-facts.md 1.1).
        pinned = values or any(v.lower() in _OTHER_PINS for _t, v, _ in statement.conditions)
        if not pinned:
            problems.append(
                PolicyProblem(
                    "OTG003",
                    statement.sid or "(no sid)",
                    f"grants {CLOUDTRAIL_PRINCIPAL} {', '.join(statement.actions)} without an "
                    "aws:SourceArn condition: any trail of any account may use it (confused "
                    "deputy)",
                    fix,
                )
            )
        elif not values:
            continue  # pinned to an account or organization: an extra Allow at worst
        elif not _admits(statement, arn) and not set(statement.actions) <= covered:
            problems.append(
                PolicyProblem(
                    "OTG003",
                    statement.sid or "(no sid)",
                    f"aws:SourceArn is {values}, not the trail's ARN {arn}, and no other grant "
                    f"gives this trail {', '.join(sorted(set(statement.actions) - covered))}: "
                    + _INSUFFICIENT,
                    fix,
                )
            )
    return problems


def acl_check_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """CloudTrail calls GetBucketAcl on the bucket before it delivers."""
    bucket_arn = f"arn:{target.partition}:s3:::{target.bucket}"
    if any(
        s.effect == "Allow"
        and "s3:GetBucketAcl" in s.actions
        and bucket_arn in s.resources
        and s.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
        for s in stmts
    ):
        return []
    return [
        PolicyProblem(
            "OTG004",
            None,
            f"no s3:GetBucketAcl for {CLOUDTRAIL_PRINCIPAL} on {bucket_arn}: " + _INSUFFICIENT,
            f"allow s3:GetBucketAcl on {bucket_arn} to {CLOUDTRAIL_PRINCIPAL} (orgtrail-gen's "
            f"statement CloudTrail{sid_stem(target.trail_arn.rsplit('/', 1)[1])}AclCheck)",
        )
    ]


def owner_full_control_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """Without the ACL condition objects could be written that the bucket owner cannot control."""
    problems = []
    for statement in stmts:
        if not (
            statement.effect == "Allow"
            and "s3:PutObject" in statement.actions
            and statement.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
        ):
            continue
        if statement.condition("StringEquals", "s3:x-amz-acl") != ("bucket-owner-full-control",):
            problems.append(
                PolicyProblem(
                    "OTG005",
                    statement.sid or "(no sid)",
                    "the write grant does not require s3:x-amz-acl = bucket-owner-full-control"
                    " (AWS's documented organization-trail policy does)",
                    'condition StringEquals "s3:x-amz-acl" = ["bucket-owner-full-control"]',
                )
            )
    return problems


def tls_only_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """Audit logs must never travel in clear text; every bucket we touch refuses plain HTTP."""
    objects = f"arn:{target.partition}:s3:::{target.bucket}/*"
    if any(
        s.effect == "Deny"
        and s.condition("Bool", "aws:SecureTransport") == ("false",)
        and objects in s.resources
        for s in stmts
    ):
        return []
    return [
        PolicyProblem(
            "OTG006",
            None,
            "no Deny for aws:SecureTransport = false: the bucket accepts plain HTTP",
            "add the DenyInsecureTransport statement on the bucket and its objects",
        )
    ]


BUCKET_POLICY_CHECKS: tuple[PolicyCheck, ...] = (
    org_prefix_problems,
    management_prefix_problems,
    source_arn_problems,
    acl_check_problems,
    owner_full_control_problems,
    tls_only_problems,
)


def bucket_policy_problems(
    stmts: list[ParsedStatement], target: BucketPolicyTarget
) -> list[PolicyProblem]:
    """Every statement-level bucket rule (OTG001-006), in id order, on any policy's statements."""
    return [problem for check in BUCKET_POLICY_CHECKS for problem in check(stmts, target)]


@rule(
    "OTG001",
    "bucket policy grants the organization's log prefix",
    protects=(
        "Without `s3:PutObject` for `cloudtrail.amazonaws.com` on "
        "`<bucket>/[<prefix>/]AWSLogs/<org-id>/*`, CreateTrail fails with "
        "`InsufficientS3BucketPolicyException` and no account of the organization delivers. "
        "A grant whose key prefix differs from the trail's `s3_key_prefix` is refused the "
        "same way."
    ),
    satisfy=(
        "Nothing to set: orgtrail-gen writes this grant from `organization.id`, "
        "`bucket.name` and `trail.s3_key_prefix`; " + REPORT_BUG
    ),
)
def org_prefix_grant(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An organization trail writes under AWSLogs/<org-id>/ for every account."""
    return _findings(module, facts, org_prefix_problems)


@rule(
    "OTG002",
    "bucket policy grants the management account's log prefix",
    protects=(
        "AWS requires an organization trail's bucket policy to grant the management "
        "account's own prefix, `AWSLogs/<management account>/*`, as well; without it "
        "CreateTrail fails with `InsufficientS3BucketPolicyException`."
    ),
    satisfy=(
        "Nothing to set: orgtrail-gen writes this grant from "
        "`organization.management_account_id`, `bucket.name` and `trail.s3_key_prefix`; "
        + REPORT_BUG
    ),
)
def management_prefix_grant(module: ParsedModule, facts: Facts) -> list[Finding]:
    """AWS requires the management account's own prefix too (CT-UG, organization trails)."""
    return _findings(module, facts, management_prefix_problems)


@rule(
    "OTG003",
    "every CloudTrail grant is pinned to this trail's ARN",
    protects=(
        "A CloudTrail grant with no `aws:SourceArn`, `aws:SourceAccount` or "
        "`aws:SourceOrgID` condition lets any trail of any account write into the bucket "
        "(confused deputy). A grant pinned to another ARN than this trail's (another home "
        "region, account or name) admits nothing for this trail: unless another grant gives "
        "it the same actions, CreateTrail fails with `InsufficientS3BucketPolicyException`."
    ),
    satisfy=(
        "Nothing to set: orgtrail-gen pins its grants to "
        "`arn:<partition>:cloudtrail:<trail.home_region>:"
        "<organization.management_account_id>:trail/<trail.name>`. "
        "This rule reads orgtrail-gen's statements, not `bucket.kept_statements` (the config "
        "refuses a kept statement that grants a service without `aws:SourceArn` or "
        "`aws:SourceAccount`); " + REPORT_BUG
    ),
)
def source_arn(module: ParsedModule, facts: Facts) -> list[Finding]:
    """aws:SourceArn must equal the trail's exact ARN, or CloudTrail is refused."""
    return _findings(module, facts, source_arn_problems)


@rule(
    "OTG004",
    "bucket policy lets CloudTrail read the bucket ACL",
    protects=(
        "CloudTrail calls `GetBucketAcl` on the bucket before it delivers: without "
        "`s3:GetBucketAcl` for `cloudtrail.amazonaws.com` on the bucket's ARN, CreateTrail "
        "fails with `InsufficientS3BucketPolicyException`."
    ),
    satisfy="Nothing to set: orgtrail-gen always writes its `...AclCheck` statement; " + REPORT_BUG,
)
def acl_check(module: ParsedModule, facts: Facts) -> list[Finding]:
    """CloudTrail calls GetBucketAcl on the bucket before it delivers."""
    return _findings(module, facts, acl_check_problems)


@rule(
    "OTG005",
    "CloudTrail writes require bucket-owner-full-control",
    protects=(
        "AWS's documented organization-trail policy makes CloudTrail's `s3:PutObject` grant "
        "require `s3:x-amz-acl = bucket-owner-full-control`; without the condition, log "
        "objects could be written that the bucket's owner does not control."
    ),
    satisfy="Nothing to set: orgtrail-gen's write grants always carry it; " + REPORT_BUG,
)
def owner_full_control(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Without the ACL condition objects could be written that the bucket owner cannot control."""
    return _findings(module, facts, owner_full_control_problems)


@rule(
    "OTG006",
    "bucket policy denies requests without TLS",
    protects=(
        "Without a Deny on `aws:SecureTransport = false` for the bucket's objects, the "
        "bucket accepts plain HTTP and audit logs can travel in clear text."
    ),
    satisfy=(
        "Nothing to set: the `DenyInsecureTransport` statement is written for every bucket, "
        "created here or existing (`bucket.create: false`); " + REPORT_BUG
    ),
)
def tls_only(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Audit logs must never travel in clear text; every bucket we touch refuses plain HTTP."""
    return _findings(module, facts, tls_only_problems)


@rule(
    "OTG007",
    "the trail's bucket has a policy, which never refers back to the trail",
    protects=(
        "Without an `aws_s3_bucket_policy` on the trail's bucket CloudTrail may not deliver: "
        "CreateTrail fails with `InsufficientS3BucketPolicyException`. A policy built from "
        "`aws_cloudtrail`'s ARN, while the trail depends on the policy, is a dependency "
        "cycle that Terraform reports instead of planning."
    ),
    satisfy=(
        "Nothing to set: the policy is written unless `bucket.existing_policy` is keep (its "
        "owner adds the printed statements), and it spells the trail's ARN out "
        "from the partition, `trail.home_region`, `organization.management_account_id` and "
        "`trail.name`; " + REPORT_BUG
    ),
)
def policy_present_without_cycle(module: ParsedModule, facts: Facts) -> list[Finding]:
    """No policy, no delivery (a kept one is its owner's); aws_cloudtrail's ARN in it, a cycle."""
    findings = []
    for trail in organization_trails(module):
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        pairs = bucket_policies(module, name) if name else []
        missing = not pairs or all(document is None for _, document in pairs)
        kept = facts.kept_bucket_policy and name == facts.arns.bucket_name  # its owner's
        if missing and not kept:
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


@rule(
    "OTG008",
    "the Sids of a policy document are unique",
    protects=(
        "A Sid used twice in one policy document makes `terraform plan` fail (`duplicate "
        "Sid`). With `bucket.kept_statements`, a statement copied from the live bucket can "
        "carry a Sid that is also one of orgtrail-gen's."
    ),
    satisfy=(
        "Give each entry of `bucket.kept_statements` a `Sid` of its own, none equal to a Sid "
        "this module writes for the trail. The config refuses both clashes first, naming the "
        "entry, so " + REPORT_BUG
    ),
)
def unique_sids(module: ParsedModule, facts: Facts) -> list[Finding]:
    """aws_iam_policy_document refuses a duplicate Sid at plan time ("duplicate Sid").

    With bucket.kept_statements the bucket policy holds statements copied from the live
    bucket next to ours; the config refuses a clash, and this rule holds the rendered text to it.
    """
    findings = []
    for document in module.of_type("data", "aws_iam_policy_document"):
        seen: set[str] = set()
        for statement in all_statements(document):
            if statement.sid and statement.sid in seen:
                findings.append(
                    Finding(
                        "OTG008",
                        document.file,
                        f"{document.address} statement {statement.sid}",
                        f"Sid {statement.sid} is used twice: terraform plan fails (duplicate Sid)",
                        "give each statement a Sid of its own (for a kept statement: rename it in "
                        "bucket.kept_statements)",
                    )
                )
            seen.add(statement.sid)
    return findings
