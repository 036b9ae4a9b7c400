"""The kms section: the trail's customer-managed key, or what an existing key's policy needs.

It owns ``kms.tf``: the trail's key beside the bucket and, with a log-archive account, the log
group's own key in the management account.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.render import policies
from generator.render.hcl import Ref
from generator.sections.addresses import KEY, KEY_ALIAS, LOGS_KEY, LOGS_KEY_ALIAS, label
from generator.sections.base import CheckovSkip, Output, Section, Skip, skips_for
from generator.sections.facts import ModuleFacts
from generator.sections.kms import model, rules
from generator.sections.kms.model import default_key_alias

TRAIL_KEY_POLICY = "data.aws_iam_policy_document.cloudtrail_kms"
LOGS_KEY_POLICY = "data.aws_iam_policy_document.cloudwatch_logs_kms"


def _key_policy_skips(where: str, created: bool) -> tuple[CheckovSkip, ...]:
    """In a key policy, ``Resource: "*"`` means this key: checkov reads it as every resource."""

    def when(facts: ModuleFacts) -> bool:
        return facts.has_created_key if created else facts.has_log_group_key

    return (
        CheckovSkip(
            "CKV_AWS_109",
            where,
            lambda f: "In a key policy, Resource * means this key only; admin is the account root",
            when=when,
        ),
        CheckovSkip(
            "CKV_AWS_111",
            where,
            lambda f: "In a key policy, Resource * means this key only; writes need SourceArn",
            when=when,
        ),
        CheckovSkip(
            "CKV_AWS_356",
            where,
            lambda f: "In a key policy, Resource * means this key only",
            when=when,
        ),
    )


SKIPS = _key_policy_skips(TRAIL_KEY_POLICY, True) + _key_policy_skips(LOGS_KEY_POLICY, False)


class KeyView(NamedTuple):
    """One key this module creates, with its alias and policy."""

    label: str
    alias_label: str
    alias: str
    provider: str | None
    description: str
    deletion_window_in_days: int
    policy: policies.PolicyDocument
    policy_skips: tuple[Skip, ...]
    comment: str
    key_id: str


class KmsView(NamedTuple):
    """What kms.tf needs: the created keys, or an existing key's required statements."""

    files: tuple[str, ...]
    existing: str | None
    required: tuple[str, ...]
    keys: tuple[KeyView, ...]
    owner: str | None = None  # who owns the existing key's trail, in the companion layout
    creates_trail: bool = True


def build(facts: ModuleFacts) -> KmsView | None:
    """The keys this module creates, or the statements an existing key's policy needs.

    The trail's key sits beside the bucket (in the log-archive account if there is one):
    rotation, alias, prevent_destroy, admin-only administrators. With a log-archive account
    the log group, which stays in the management account, gets a key of its own there.
    """
    config = facts.config
    kms, cwl = config.kms, config.cloudwatch_logs
    if not kms.enabled:
        return None
    alias = default_key_alias(config)
    in_trail_key = facts.trail_key_encrypts_log_group
    keys: list[KeyView] = []
    if facts.has_created_key:
        keys.append(
            KeyView(
                label=label(KEY),
                alias_label=label(KEY_ALIAS),
                alias=alias,
                provider=facts.bucket_provider,
                description=f"CloudTrail organization trail {config.trail.name}: "
                + (
                    "log files, digest files and the CloudWatch Logs log group"
                    if in_trail_key
                    else "log files and digest files"
                ),
                deletion_window_in_days=kms.deletion_window_in_days,
                policy=policies.key_policy(
                    facts.arns,
                    administrators=facts.administrators(facts.bucket_account),
                    readers=facts.key_readers,
                    log_group_name=cwl.log_group_name if cwl and in_trail_key else None,
                ),
                policy_skips=tuple(skips_for(SKIPS, TRAIL_KEY_POLICY, facts)),
                comment="The key that encrypts every log file"
                + (", digest file and the log group" if in_trail_key else " and digest file")
                + ". It lives in the bucket's region (CloudTrail refuses a key elsewhere)"
                + (" and account" if config.log_archive else "")
                + ", rotates yearly and is never destroyed by Terraform: losing it would "
                "make every log unreadable.",
                key_id=Ref(f"{KEY}.key_id"),
            )
        )
    if facts.has_log_group_key and cwl is not None:
        keys.append(
            KeyView(
                label=label(LOGS_KEY),
                alias_label=label(LOGS_KEY_ALIAS),
                alias=f"{alias}-logs",
                provider=None,
                description=f"CloudTrail organization trail {config.trail.name}: "
                "the CloudWatch Logs log group",
                deletion_window_in_days=kms.deletion_window_in_days,
                policy=policies.log_group_key_policy(
                    facts.arns,
                    administrators=facts.administrators(facts.arns.management_account_id),
                    log_group_name=cwl.log_group_name,
                ),
                policy_skips=tuple(skips_for(SKIPS, LOGS_KEY_POLICY, facts)),
                comment="The log group's key, in the management account beside the log "
                "group (the trail's key is in the log-archive account). Rotates yearly, never "
                "destroyed by Terraform.",
                key_id=Ref(f"{LOGS_KEY}.key_id"),
            )
        )
    required = policies.to_json_text(facts.required_key_statements).splitlines()
    return KmsView(
        files=("kms",),
        existing=kms.key_arn,
        required=tuple(required) if kms.key_arn else (),
        keys=tuple(keys),
        owner=facts.owner.manager if facts.owner else None,
        creates_trail=facts.creates_trail,
    )


def warnings(facts: ModuleFacts) -> list[str]:
    """An existing key must already grant what CreateTrail checks."""
    kms = facts.config.kms
    if not (kms.enabled and kms.key_arn):
        return []
    statements = policies.to_json_text(facts.required_key_statements)
    if facts.owner is not None:
        failure = (
            "CreateTrail fails with InsufficientEncryptionPolicyException and "
            if facts.creates_trail
            else ""
        )
        return [
            f"kms.key_arn {kms.key_arn} is the key of {facts.owner.manager}'s trail, not "
            "managed here. Before `terraform apply`, ask its owner to add these statements to "
            f"its key policy (also in kms.tf), or {failure}Athena's readers cannot decrypt "
            "the logs:\n" + statements
        ]
    return [
        f"kms.key_arn {kms.key_arn} is not managed here. Before `terraform apply`, its "
        "key policy must contain these statements (also in kms.tf), or CreateTrail "
        "fails with InsufficientEncryptionPolicyException:\n" + statements
    ]


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The trail key's ARN, when this module creates it."""
    if not facts.has_created_key:
        return ()
    if facts.trail_key_encrypts_log_group:
        what = "Key that encrypts log files, digests and the log group."
    elif facts.has_log_group_key:
        # log_archive: the log group has a key of its own account (aws_kms_key.cloudwatch_logs)
        what = "Key that encrypts log files and digests (the log group has a key of its own)."
    else:
        what = "Key that encrypts log files and digests."
    return (Output("kms_key_arn", f"{KEY}.arn", what),)


SECTION = Section(
    name="kms",
    keys=("kms",),
    templates=("kms",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
    outputs=outputs,
    rules=rules,
    skips=SKIPS,
    resources={"aws_kms_key": "key", "aws_kms_alias": "key"},
)
