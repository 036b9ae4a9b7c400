"""Rules over the previous output: a regeneration must not destroy stored evidence.

Why: changing a name in the config looks harmless in a diff, but for these resources Terraform
cannot rename in place - it destroys the old one and creates another. A renamed trail leaves the
whole organization unlogged in between; a renamed log group or bucket takes every stored event
with it; a replaced key makes every log it encrypted unreadable. ``prevent_destroy`` does not
help when the block itself changes address or disappears. A shorter retention deletes stored
events just as surely, and the plan shows it only as an in-place change. So the new output is
compared with the module already in the output folder (and with what the config's ``adopt:``
section says exists today), and such a change needs the user to name the resource
(``--allow-replace ADDRESS``, ``--allow-shorter-retention ADDRESS``).

The previous output is what orgtrail-gen wrote, not what is deployed: the messages say "if this
module was applied", because only the state knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from generator.check.hcl_parse import Block, ParsedModule, expression, nested
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import BUCKET_SETTING_TYPES
from generator.guards.force_new import FORCE_NEW


class Stateful(NamedTuple):
    """A resource type whose replacement loses evidence, and what is lost."""

    loss: str
    guarded: bool  # prevent_destroy: Terraform refuses the destroy even when allowed here


# What replacing or removing one of these loses. Only keys that encrypt logs count (_log_keys).
STATEFUL = {
    "aws_cloudtrail": Stateful(
        "the trail is deleted and created again: no account of the organization is logged in "
        "between, and the old trail's ARN no longer matches what readers and alarms expect",
        guarded=False,
    ),
    "aws_s3_bucket": Stateful(
        "a new, empty bucket is created and Terraform tries to delete the old one with every "
        "log file in it",
        guarded=True,
    ),
    "aws_cloudwatch_log_group": Stateful(
        "the log group is deleted with every event stored in it", guarded=True
    ),
    "aws_kms_key": Stateful(
        "the key is scheduled for deletion: every log file and digest it encrypted becomes "
        "unreadable",
        guarded=True,
    ),
    # A bucket has one notification configuration, and Delete writes an empty one
    # (s3/bucket_notification.go): every consumer, and any other tool's notification, goes.
    "aws_s3_bucket_notification": Stateful(
        "Terraform puts an EMPTY notification configuration on the bucket: no consumer is "
        "told of new log files any more (the files stay in the bucket), and a notification "
        "another tool added to the bucket goes too",
        guarded=True,
    ),
    # Only on an existing bucket (create: false): a created bucket's policy goes with it.
    "aws_s3_bucket_policy": Stateful(
        "Terraform deletes the old bucket's whole policy - other trails' grants and every "
        "statement this module never wrote included - and writes one on the new bucket",
        guarded=True,
    ),
    # Only when removed (athena: dropped): a rename is OTG083's. Its query history is the record
    # of who investigated what, and with force_destroy = false Athena refuses to delete it.
    "aws_athena_workgroup": Stateful(
        "Terraform deletes the saved queries, then asks Athena to delete the workgroup, which "
        "Athena refuses while it holds query history (force_destroy = false): the apply stops "
        "halfway",
        guarded=True,
    ),
}

# What the replacement of a resource that stores nothing still costs, by type.
COSTS = {
    "aws_sns_topic": (
        "deleted and created again under a new ARN (a log-file topic's new ARN is put on the "
        "bucket's notification and its subscriptions)"
    ),
    "aws_sqs_queue": (
        "deleted with every message not yet received and created again: the consumer is never "
        "told of those log files (they stay in the bucket; its SIEM can re-read them by prefix)"
    ),
    "aws_sqs_queue_policy": "set again on the new queue",
    "aws_sns_topic_subscription": (
        "each subscription is deleted and made again: an email recipient gets a new "
        "confirmation mail, and until they confirm it the alarms reach nobody"
    ),
    "aws_sns_topic_policy": "set again on the new topic",
    "aws_cloudwatch_metric_alarm": (
        "deleted and created again: each alarm's state and history start over"
    ),
    "aws_kms_alias": (
        "deleted and created under the new name: whatever names a key by its old alias fails"
    ),
    "aws_cloudwatch_log_metric_filter": (
        "deleted and created again: events delivered in between are not counted"
    ),
    "aws_iam_role": "CloudTrail cannot deliver to CloudWatch Logs until the new role exists",
    "aws_iam_role_policy": "CloudTrail cannot deliver to CloudWatch Logs until it is put again",
    "aws_athena_workgroup": (
        "cannot be replaced: Terraform destroys its saved queries, then Athena refuses "
        "DeleteWorkGroup while it holds query history (force_destroy = false), so the apply "
        "stops halfway; OTG083 refuses the rename"
    ),
    "aws_athena_named_query": "saved again under a new id",
    "aws_glue_catalog_table": "dropped and created again: queries fail in between",
    "aws_glue_catalog_database": (
        "dropped with every table in it - this module's and any other's - and created again"
    ),
    "aws_iam_policy": (
        "created again under a new ARN: IAM refuses to delete the old one while it is attached "
        "(DeleteConflict), so detach it from the readers first and attach the new one after"
    ),
}
_SETTING_COST = (
    "each is created on the new bucket, and removed from the old one unless Terraform forgets "
    "it first"
)

_REFERENCE = re.compile(r"\b(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[A-Za-z_]")


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


def _resources(module: ParsedModule) -> list[Block]:
    return [block for block in module.blocks if block.kind == "resource"]


class Replacement(NamedTuple):
    """One resource of the previous output that the new one destroys, and why."""

    old: Block
    reason: str
    removed: bool  # no longer generated (destroyed), rather than replaced
    cause: str | None = None  # the replaced resource a ForceNew argument refers to
    change: tuple[str, str] | None = None  # the literal (before, after) that forces it

    @property
    def type(self) -> str:
        """The resource type, e.g. ``aws_s3_bucket``."""
        return self.old.labels[0]


def replacements(previous: ParsedModule, module: ParsedModule) -> dict[str, Replacement]:
    """Every resource of ``previous`` that applying ``module`` over it would destroy.

    A resource is replaced when one of its ForceNew arguments changes, or refers to a resource
    that is itself replaced (its id or ARN is then new: Terraform replaces again, e.g. every
    subscription of a replaced topic).
    """
    found: dict[str, Replacement] = {}
    for old in _resources(previous):
        if module.get(old.address) is None:
            found[old.address] = Replacement(old, "no longer generated", removed=True)
    grew = True
    while grew:
        grew = False
        for old in _resources(previous):
            new = module.get(old.address)
            if new is None or old.address in found:
                continue
            replacement = _force_new_change(old, new, found)
            if replacement:
                found[old.address] = replacement
                grew = True
    return found


def _force_new_change(old: Block, new: Block, found: dict[str, Replacement]) -> Replacement | None:
    for argument in FORCE_NEW.get(old.labels[0], ()):
        before, after = old.body.get(argument), new.body.get(argument)
        if before != after:
            change = (before, after) if isinstance(before, str) and isinstance(after, str) else None
            reason = f"{argument} changes from {_shown(before)} to {_shown(after)}"
            return Replacement(old, reason, removed=False, change=change)
        for target in _REFERENCE.findall(str(after)):
            if target in found and not found[target].removed:
                reason = f"{argument} refers to {target}, which is replaced"
                return Replacement(old, reason, removed=False, cause=target)
    return None


def _root(found: dict[str, Replacement], item: Replacement) -> Replacement:
    while item.cause is not None and item.cause in found:
        item = found[item.cause]
    return item


def _follows(item: Replacement, evidence: Replacement) -> bool:
    """Whether ``item``'s new literal is named after ``evidence``'s (the topic after the trail)."""
    if item.change is None or evidence.change is None:
        return False
    (before, after), (old_name, new_name) = item.change, evidence.change
    old_name, new_name = old_name.strip('"'), new_name.strip('"')
    return bool(old_name) and old_name in before and new_name in after


def _collateral(
    found: dict[str, Replacement], evidence: dict[str, Replacement], address: str
) -> str:
    """What else the change that replaces ``address`` replaces, by type, with each one's cost.

    A resource counts when it refers to ``address`` (the bucket's settings) or is named after
    it (the alarm topic, alarms and aliases after the trail); a replacement no evidence explains
    is listed under every finding rather than hidden.
    """
    by_type: dict[str, list[Replacement]] = {}
    for item in found.values():
        if item.old.address in evidence or item.removed:
            continue
        root = _root(found, item)
        mine = root.old.address == address or _follows(root, evidence[address])
        orphan = root.old.address not in evidence and not any(
            _follows(root, other) for other in evidence.values()
        )
        if mine or orphan:
            by_type.setdefault(item.type, []).append(item)
    settings = [item for name in BUCKET_SETTING_TYPES for item in by_type.pop(name, [])]
    parts = []
    if settings:
        names = ", ".join(item.old.address for item in settings)
        parts.append(f"{len(settings)} bucket setting(s) ({names}): {_SETTING_COST}")
    for type_name, items in sorted(by_type.items()):
        cost = COSTS.get(type_name, "replaced")
        names = ", ".join(item.old.labels[1] for item in items)
        first = items[0].reason
        reason = first if all(item.reason == first for item in items) else f"e.g. {first}"
        count = f"{len(items)} x " if len(items) > 1 else ""
        parts.append(f"{count}{type_name} ({names}; {reason}): {cost}")
    if not parts:
        return ""
    total = len(settings) + sum(len(items) for items in by_type.values())
    return f". The same change REPLACES {total} more resource(s): " + "; ".join(parts)


def _forget_command(previous: ParsedModule, address: str) -> str:
    """``terraform state rm`` for the resource and the settings that belong to it (the bucket's)."""
    type_name = address.split(".", 1)[0]
    owned = [
        block.address
        for block in _resources(previous)
        if block.labels[0].startswith(f"{type_name}_")
        and any(
            address in _REFERENCE.findall(str(block.body.get(argument)))
            for argument in FORCE_NEW.get(block.labels[0], ())
        )
    ]
    return "terraform state rm " + " ".join([address, *owned])


def _steps(previous: ParsedModule, item: Replacement) -> str:
    """What to do so that the allowed change plans and keeps the old resource's content."""
    address = item.old.address
    stateful = STATEFUL[item.type]
    if not stateful.guarded:
        return (
            f"if you mean it, run again with --allow-replace {address}; the plan then "
            "replaces what is listed"
        )
    otherwise = (
        "the next apply destroys it"
        if item.removed
        else 'Terraform\'s prevent_destroy stops the plan ("Instance cannot be destroyed")'
    )
    if item.type == "aws_cloudwatch_log_group":
        otherwise += ", and AWS refuses DeleteLogGroup while deletion protection is on"
    if item.type == "aws_athena_workgroup":
        otherwise = "the apply stops halfway at DeleteWorkGroup"
    return (
        f"or, to keep the old one with everything in it, run again with --allow-replace "
        f"{address} and then, in the module's folder, `{_forget_command(previous, address)}` "
        f"before `terraform plan`: Terraform forgets the old one, which stays in AWS untouched "
        "(delete it by hand once nothing needs it), and creates what the config says. "
        f"Otherwise {otherwise}"
    )


def _finding(previous: ParsedModule, new: Block | None, item: Replacement, also: str) -> Finding:
    block = new or item.old
    if item.removed:
        problem = (
            f"{item.old.address} is no longer generated (compared with the module in the output "
            "folder). If this module was applied, the next apply DESTROYS it:"
        )
    else:
        problem = (
            f"{item.reason} (compared with the module in the output folder), which Terraform "
            "can only do by REPLACING the resource. If this module was applied,"
        )
    return Finding(
        "OTG040",
        block.file,
        block.address,
        f"{problem} {STATEFUL[item.type].loss}{also}",
        "keep the config's old value; " + _steps(previous, item),
    )


def _evidence(previous: ParsedModule, found: dict[str, Replacement]) -> dict[str, Replacement]:
    """The replacements that lose evidence: of a log key, of an existing bucket's policy, ..."""
    log_keys = _log_keys(previous)

    def counts(item: Replacement) -> bool:
        if item.type == "aws_kms_key":
            return item.old.address in log_keys
        if item.type == "aws_s3_bucket_policy":
            return expression(item.old.body.get("bucket")) is None  # a literal: existing bucket
        if item.type == "aws_athena_workgroup":
            return item.removed  # a rename is refused by OTG083, whatever is allowed
        return item.type in STATEFUL

    return {address: item for address, item in found.items() if counts(item)}


@rule(
    "OTG040",
    "a regeneration neither replaces nor removes stored evidence",
    protects=(
        "Terraform changes some arguments only by replacing the resource (a trail's, "
        "bucket's or log group's name, a key's spec) and destroys what is no longer "
        "generated. A replaced trail leaves the organization unlogged in between; a replaced "
        "bucket or log group takes every stored log with it; a replaced key makes every file "
        "it encrypted unreadable; an existing bucket's replaced policy loses every statement "
        "this module never wrote. `prevent_destroy` does not help when the block changes "
        "address or disappears."
    ),
    satisfy=(
        "Keep the config's old value (`trail.name`, `bucket.name`, "
        "`cloudwatch_logs.log_group_name`, ...). If you mean the change, run again with "
        "`--allow-replace ADDRESS`; for a guarded resource (the bucket, the log group, a log "
        "key, an existing bucket's policy) also run the `terraform state rm ...` the finding "
        "prints before `terraform plan`, which keeps the old one in AWS, unmanaged."
    ),
)
def evidence_kept(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Compare every stateful resource of the previous output with the new one."""
    previous = facts.previous
    if previous is None:
        return []
    found = replacements(previous, module)
    evidence = _evidence(previous, found)
    return [
        _finding(previous, module.get(address), item, _collateral(found, evidence, address))
        for address, item in evidence.items()
        if address not in facts.allow_replace
    ]


def allowed_replacements(
    module: ParsedModule, previous: ParsedModule | None, allowed: Iterable[str]
) -> list[str]:
    """What an allowed run (``--allow-replace``) replaces, and the steps that make it plan.

    Printed as warnings: the run passes, but the user must still know what the plan destroys
    and what Terraform needs before it agrees.
    """
    if previous is None:
        return []
    found = replacements(previous, module)
    evidence = _evidence(previous, found)
    notes = []
    for address, item in evidence.items():
        if address not in set(allowed):
            continue
        what = "REMOVED" if item.removed else f"REPLACED ({item.reason})"
        also = _collateral(found, evidence, address)
        note = f"{address} is {what}, as --allow-replace allows: {STATEFUL[item.type].loss}{also}"
        if STATEFUL[item.type].guarded:
            note += (
                f". Before `terraform plan`, run `{_forget_command(previous, address)}` in the "
                "module's folder to keep the old one (it stays in AWS, unmanaged)"
            )
        notes.append(note)
    return notes


_GUARDED = {
    "aws_s3_bucket": "every log file",
    "aws_kms_key": "the key every log file is encrypted with",
    "aws_cloudwatch_log_group": "every event in the log group",
    "aws_s3_bucket_policy": "the bucket's whole policy",
    "aws_s3_bucket_notification": "the bucket's whole notification configuration",
}


def _prevents_destroy(block: Block) -> bool:
    return any(item.get("prevent_destroy") is True for item in nested(block.body, "lifecycle"))


@rule(
    "OTG041",
    "what holds the logs refuses a destroy",
    protects=(
        "Without `lifecycle { prevent_destroy = true }` a destroy deletes the bucket with "
        "every log file, the key every log file is encrypted with, the log group with every "
        "event, an existing or adopted bucket's whole policy (other trails' grants "
        "included), or the bucket's one notification configuration (every consumer's, and "
        "any other tool's). The log group also needs `deletion_protection_enabled = true`, "
        "which AWS enforces against any tool that calls DeleteLogGroup."
    ),
    satisfy=("Nothing to set: orgtrail-gen writes both on every such resource; " + REPORT_BUG),
)
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


def evidence_replacements(
    previous: ParsedModule, found: dict[str, Replacement]
) -> dict[str, Replacement]:
    """Of ``found`` (``replacements(previous, module)``), those that lose evidence, allowed or not.

    Why public: the review summary flags exactly what OTG040 would refuse, by the same rule,
    from the replacements it computed once for the whole summary.
    """
    return _evidence(previous, found)
