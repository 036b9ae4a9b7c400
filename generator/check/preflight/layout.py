"""Rules of the multi-account layouts: each resource in its account, the trail owned by management.

Why: with a log-archive account or a CloudTrail delegated administrator, one module drives
several accounts through provider aliases. A resource on the wrong provider is created in the
wrong account - a bucket in the management account that the log-archive account was meant to
own, a trail the delegated administrator cannot manage - and nothing fails until someone looks.
"""

from __future__ import annotations

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, literals, nested
from generator.check.preflight import Facts, Finding, rule
from generator.check.preflight.lookups import account_of, organization_trails
from generator.check.preflight.policy_reading import statements

# Resource types that always run with the management account's credentials.
_MANAGEMENT_TYPES = (
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_organizations_aws_service_access",
    "aws_cloudtrail_organization_delegated_admin_account",
)
# Resource types that run in the bucket's account: the Athena section sits beside the data
# and the trail's key (generator/render/athena_view.py says why).
_BUCKET_TYPES = (
    "aws_glue_catalog_database",
    "aws_glue_catalog_table",
    "aws_athena_workgroup",
    "aws_athena_named_query",
    "aws_iam_policy",
)


def _trail_keys(module: ParsedModule) -> set[str]:
    """Addresses of the keys the trail encrypts with (created here)."""
    keys = set()
    for trail in organization_trails(module):
        reference = expression(trail.body.get("kms_key_id")) or ""
        if reference.startswith("aws_kms_key."):
            keys.add(reference.rsplit(".", 1)[0])
    return keys


def _expected(module: ParsedModule, facts: Facts, block: Block) -> tuple[str, str] | None:
    """(account, its role in the layout) a resource belongs to, or None if not placed by us."""
    kind = block.labels[0]
    management = (facts.arns.management_account_id, "the management account")
    bucket = (
        facts.bucket_account,
        "the log-archive account" if facts.log_archive_account else "the management account",
    )
    if block.kind == "data":
        if kind == "aws_organizations_organization":
            return management
        return bucket if kind == "aws_s3_bucket_policy" else None
    if kind == "aws_cloudtrail":
        if facts.delegated_admin_account:
            return facts.delegated_admin_account, "the delegated administrator account"
        return management
    if kind.startswith("aws_s3_bucket") or kind in _BUCKET_TYPES:
        return bucket
    if kind in ("aws_kms_key", "aws_kms_alias"):
        key = block.address
        if kind == "aws_kms_alias":
            key = (expression(block.body.get("target_key_id")) or "").rsplit(".", 1)[0]
        return bucket if key in _trail_keys(module) else management
    return management if kind in _MANAGEMENT_TYPES else None


@rule("OTG070", "every resource runs in the account it belongs to")
def right_provider(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Compare each resource's provider account with the layout's placement."""
    findings = []
    for block in module.blocks:
        if block.kind not in ("resource", "data"):
            continue
        expected = _expected(module, facts, block)
        if expected is None:
            continue
        account, role = expected
        actual = account_of(module, block)
        if actual != account:
            provider_name = expression(block.body.get("provider")) or "aws"
            findings.append(
                Finding(
                    "OTG070",
                    block.file,
                    block.address,
                    f"runs with provider {provider_name} (account {actual or 'not pinned'}) but "
                    f"belongs in {role} {account}: it would be created in the wrong account",
                    f'set provider = the alias pinned to allowed_account_ids = ["{account}"]',
                )
            )
    for provider in module.all("provider"):
        alias = literal(provider.body.get("alias"))
        if alias is None:
            continue
        pinned = [
            account
            for account in (facts.log_archive_account, facts.delegated_admin_account)
            if account
        ]
        roles = [
            literal(item.get("role_arn")) or "" for item in nested(provider.body, "assume_role")
        ]
        accounts = literals(provider.body.get("allowed_account_ids"))
        if (
            len(accounts) != 1
            or accounts[0] not in pinned
            or not any(role.split(":")[4:5] == accounts for role in roles)
        ):
            findings.append(
                Finding(
                    "OTG070",
                    provider.file,
                    f"provider aws.{alias}",
                    "the provider is not pinned to one account of the layout, or does not "
                    "assume a role in that account",
                    "allowed_account_ids = [ACCOUNT] and assume_role { role_arn = a role in "
                    "ACCOUNT }",
                )
            )
    return findings


@rule("OTG071", "the trail's key is in the bucket's account")
def key_account(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A key the bucket's owner does not control breaks delivery whenever its policy drifts."""
    findings = []
    for trail in organization_trails(module):
        value = trail.body.get("kms_key_id")
        reference = expression(value) or ""
        if reference.startswith("aws_kms_key."):
            key = module.get(reference.rsplit(".", 1)[0])
            account = account_of(module, key) if key else None
        else:
            arn = literal(value)
            account = arn.split(":")[4] if arn and arn.count(":") >= 5 else None
        if account is not None and account != facts.bucket_account:
            findings.append(
                Finding(
                    "OTG071",
                    trail.file,
                    trail.address,
                    f"the trail's KMS key is in account {account}, the bucket in "
                    f"{facts.bucket_account}: the bucket's owner cannot keep the key policy "
                    "that CloudTrail and the readers need",
                    f"use a key of account {facts.bucket_account}",
                )
            )
    return findings


@rule("OTG072", "no CloudTrail grant names the delegated administrator as the trail's owner")
def trail_owner_is_management(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A delegated administrator's trail is still owned by, and named after, management."""
    admin = facts.delegated_admin_account
    if admin is None:
        return []
    wrong = f":{admin}:trail/"
    findings = []
    for document in module.of_type("data", "aws_iam_policy_document"):
        for statement in statements(document):
            values = [v for _t, _v, vs in statement.conditions for v in vs] + list(
                statement.resources
            )
            if any(wrong in value for value in values):
                findings.append(
                    Finding(
                        "OTG072",
                        document.file,
                        f"{document.address} statement {statement.sid}",
                        f"the trail's ARN names the delegated administrator {admin} as its owner: "
                        "AWS records the management account as the owner, so this grant never "
                        "matches and delivery fails",
                        f"use the management account {facts.arns.management_account_id} in "
                        f"the trail's ARN ({facts.arns.trail})",
                    )
                )
    return findings
