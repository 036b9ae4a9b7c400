"""Rules of the multi-account layouts: the trail's key beside the bucket, management its owner.

Why: with a log-archive account or a CloudTrail delegated administrator, one module drives
several accounts. A key of another account than the bucket's, or a grant that names the
delegated administrator as the trail's owner, breaks delivery with nothing failing at plan.
"""

from __future__ import annotations

from generator.check.hcl_parse import ParsedModule, literal
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import account_of, key_of, organization_trails
from generator.check.preflight.policy_reading import statements
from generator.core.arns import arn_account


@rule(
    "OTG071",
    "the trail's key is in the bucket's account",
    protects=(
        "The bucket's owner cannot keep the policy of another account's key, which "
        "CloudTrail and the readers need: delivery breaks whenever that policy drifts."
    ),
    satisfy=(
        "Set `kms.key_arn` to a key of the bucket's account (`log_archive.account_id`, else "
        "`organization.management_account_id`), or leave it unset and let orgtrail-gen "
        "create one there. With `log_archive` the config refuses another account's key "
        "first; without it, this rule does."
    ),
)
def key_account(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A key the bucket's owner does not control breaks delivery whenever its policy drifts."""
    if facts.owned_elsewhere is not None:  # the owner's key, wherever its owner keeps it
        return []
    findings = []
    for trail in organization_trails(module):
        value = trail.body.get("kms_key_id")
        key, _ = key_of(module, value)
        arn = literal(value)
        account = account_of(module, key) if key else arn_account(arn) if arn else None
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


@rule(
    "OTG072",
    "no CloudTrail grant names the delegated administrator as the trail's owner",
    protects=(
        "A delegated administrator's organization trail is still owned by the management "
        "account, and its ARN carries the management account's id: a grant whose trail ARN "
        "names the delegated administrator never matches, and delivery fails."
    ),
    satisfy=(
        "Nothing to set: the trail's ARN is written with "
        "`organization.management_account_id`, whatever `delegated_admin.account_id` is; "
        + REPORT_BUG
    ),
)
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
