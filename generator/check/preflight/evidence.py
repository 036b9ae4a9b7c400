"""Rules over the previous output: a regeneration must not destroy stored evidence.

Why: changing a name in the config looks harmless in a diff, but for these resources Terraform
cannot rename in place - it destroys the old one and creates another. A renamed trail leaves the
whole organization unlogged in between; a renamed log group or bucket takes every stored event
with it; a replaced key makes every log it encrypted unreadable. ``prevent_destroy`` does not
help when the block itself changes address or disappears. So the new output is compared with
the module already in the output folder, and such a change needs the user to name the resource
(``--allow-replace ADDRESS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.check.hcl_parse import Block, ParsedModule, expression, nested
from generator.check.preflight import Facts, Finding, rule


@dataclass(frozen=True)
class Stateful:
    """A resource type whose replacement loses something, and its replacing (ForceNew) args."""

    force_new: tuple[str, ...]
    loss: str


# ForceNew arguments per terraform-provider-aws (internal/service/...: trail.go, bucket.go,
# group.go, key.go), limited to what the generator can emit.
STATEFUL = {
    "aws_cloudtrail": Stateful(
        ("name",),
        "the trail is deleted and created again: no account of the organization is logged in "
        "between, and the old trail's ARN no longer matches what readers and alarms expect",
    ),
    "aws_s3_bucket": Stateful(
        ("bucket", "object_lock_enabled"),
        "a new, empty bucket is created and Terraform tries to delete the old one with every "
        "log file in it",
    ),
    "aws_cloudwatch_log_group": Stateful(
        ("name", "log_group_class"),
        "the log group is deleted with every event stored in it",
    ),
    "aws_kms_key": Stateful(
        ("customer_master_key_spec", "key_usage", "multi_region"),
        "the key is scheduled for deletion: every log file and digest it encrypted becomes "
        "unreadable",
    ),
}


def _log_keys(module: ParsedModule) -> set[str]:
    """Keys that encrypt logs: named by the trail, the log group or the bucket's encryption.

    Other keys (e.g. the alarm topic's) protect nothing stored, so replacing them loses nothing.
    """
    references = []
    for block in module.blocks:
        references.append(expression(block.body.get("kms_key_id")))
        for encryption_rule in nested(block.body, "rule"):
            for default in nested(encryption_rule, "apply_server_side_encryption_by_default"):
                references.append(expression(default.get("kms_master_key_id")))
    return {ref.rsplit(".", 1)[0] for ref in references if ref and ref.startswith("aws_kms_key.")}


def _shown(value: object) -> str:
    return "(not set)" if value is None else str(value)


def _finding(block: Block, problem: str) -> Finding:
    return Finding(
        "OTG040",
        block.file,
        block.address,
        problem + f": {STATEFUL[block.labels[0]].loss}",
        "keep the config's old value; or, if you mean it, run again with "
        f"--allow-replace {block.address}",
    )


@rule("OTG040", "a regeneration neither replaces nor removes stored evidence")
def evidence_kept(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Compare every stateful resource of the previous output with the new one."""
    previous = facts.previous
    if previous is None:
        return []
    findings = []
    log_keys = _log_keys(previous)
    for old in previous.blocks:
        if old.kind != "resource" or old.labels[0] not in STATEFUL:
            continue
        if old.labels[0] == "aws_kms_key" and old.address not in log_keys:
            continue
        if old.address in facts.allow_replace:
            continue
        new = module.get(old.address)
        if new is None:
            findings.append(
                _finding(old, f"{old.address} is no longer generated, so apply DESTROYS it")
            )
            continue
        for argument in STATEFUL[old.labels[0]].force_new:
            before, after = old.body.get(argument), new.body.get(argument)
            if before != after:
                findings.append(
                    _finding(
                        new,
                        f"{argument} changes from {_shown(before)} to {_shown(after)}, which "
                        "Terraform can only do by REPLACING the resource",
                    )
                )
    return findings


# What must refuse a destroy, by resource type, and what a destroy would delete. An existing or
# adopted bucket's policy is guarded too: destroying aws_s3_bucket_policy deletes the bucket's
# whole policy, statements this module never wrote (other trails' grants) included.
_GUARDED = {
    "aws_s3_bucket": "every log file",
    "aws_kms_key": "the key every log file is encrypted with",
    "aws_cloudwatch_log_group": "every event in the log group",
    "aws_s3_bucket_policy": "the bucket's whole policy",
}


def _prevents_destroy(block: Block) -> bool:
    return any(item.get("prevent_destroy") is True for item in nested(block.body, "lifecycle"))


@rule("OTG041", "what holds the logs refuses a destroy")
def destroy_refused(module: ParsedModule, facts: Facts) -> list[Finding]:
    """prevent_destroy on the bucket, the keys, the log group and an existing bucket's policy.

    The log group also needs AWS's own deletion protection, which holds whatever tool calls
    DeleteLogGroup. A bucket created here keeps its policy unguarded: it goes only with the
    bucket, which is guarded. An ADOPTED bucket (the target of an import block) is not created
    here: its policy carries other trails' grants, so it is guarded like an existing bucket's.
    """
    imported = {expression(block.body.get("to")) for block in module.all("import")}
    created_buckets = {
        block.address
        for block in module.of_type("resource", "aws_s3_bucket")
        if block.address not in imported
    }
    findings = []
    for block in module.blocks:
        if block.kind != "resource" or block.labels[0] not in _GUARDED:
            continue
        if block.labels[0] == "aws_s3_bucket_policy":
            target = expression(block.body.get("bucket")) or ""
            if target.rsplit(".", 1)[0] in created_buckets:
                continue
        if not _prevents_destroy(block):
            findings.append(
                Finding(
                    "OTG041",
                    block.file,
                    block.address,
                    f"no lifecycle {{ prevent_destroy = true }}: a destroy would delete "
                    f"{_GUARDED[block.labels[0]]}",
                    "lifecycle { prevent_destroy = true }",
                )
            )
        if (
            block.labels[0] == "aws_cloudwatch_log_group"
            and block.body.get("deletion_protection_enabled") is not True
        ):
            findings.append(
                Finding(
                    "OTG041",
                    block.file,
                    block.address,
                    "deletion_protection_enabled is not true: AWS would let any caller delete "
                    "every event in the log group",
                    "deletion_protection_enabled = true",
                )
            )
    return findings
