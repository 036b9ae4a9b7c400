"""What a reviewer must look at first: the changes that lose evidence, widen access or go quiet.

Why these: each is a change that looks small in the HCL diff and is not - a key switched, a
retention shortened, a reader in an unknown account, a monitoring control dropped, a benchmark
control the module satisfied and no longer does (judged by the controls report's own
``controls.evaluate`` on both modules: one definition of a verdict, not two). The evidence
guard's own rules decide replacements and retention (``evidence_replacements``,
``retention_kept``), run here with nothing allowed, so that what a flag (``--allow-*``) let
through is flagged too, and named. Grants are judged per policy document and per principal or
action that is NEW there, so a grant that already existed does not come back on every change.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight.policy_reading import all_statements
from generator.core.arns import principal_account
from generator.guards.evidence import (
    STATEFUL,
    Replacement,
    evidence_replacements,
    replacements,
)
from generator.guards.retention import retention_kept
from generator.pipeline import preflight_facts
from generator.review.catalogue import CIS, Control
from generator.review.controls import SATISFIED, Result, evaluate
from generator.review.facts import read as read_facts
from generator.review.owner import owner_of, watched_group
from generator.review.policies import (
    attached_to,
    documents,
    principal_words,
)
from generator.sections.facts import known_accounts
from generator.sections.registry import Config, facts_of

_ORDER = (
    "evidence-replaced",
    "evidence-removed",
    "retention-shortened",
    "encryption-off",
    "key-changed",
    "owner-statements",
    "outside-principal",
    "wildcard",
    "control-lost",
    "monitoring-dropped",
    "no-subscriber",
)


@dataclass(frozen=True)
class Attention:
    """A change a reviewer must look at first, and the flag that let it through, if any."""

    kind: str
    address: str
    text: str
    allowed_by: str | None = None  # e.g. "--allow-replace aws_kms_key.cloudtrail"


def _evidence(
    previous: ParsedModule, replaced: dict[str, Replacement], allowed: frozenset[str]
) -> list[Attention]:
    found = []
    for address, item in evidence_replacements(previous, replaced).items():
        what = "REMOVED" if item.removed else f"REPLACED ({item.reason})"
        kind = "evidence-removed" if item.removed else "evidence-replaced"
        flag = f"--allow-replace {address}" if address in allowed else None
        text = f"{address} is {what}: {STATEFUL[item.type].loss}"
        found.append(Attention(kind, address, text, flag))
    return found


def _retention(
    config: Config, new: ParsedModule, previous: ParsedModule | None, allowed: frozenset[str]
) -> list[Attention]:
    facts = preflight_facts(config, previous)  # nothing allowed: what a flag let through shows
    return [
        Attention(
            "retention-shortened",
            finding.address,
            f"{finding.address}: {finding.problem}",
            f"--allow-shorter-retention {finding.address}" if finding.address in allowed else None,
        )
        for finding in retention_kept(new, facts)
    ]


def _sse(block: Block) -> tuple[str | None, str | None]:
    """(sse_algorithm, kms_master_key_id) of a bucket's default encryption."""
    for rule in nested(block.body, "rule"):
        for default in nested(rule, "apply_server_side_encryption_by_default"):
            key = default.get("kms_master_key_id")
            return literal(default.get("sse_algorithm")), None if key is None else str(key)
    return None, None


def _key_words(value: object) -> str:
    text = str(value)
    return expression(text) or literal(text) or text


def _encryption(previous: ParsedModule, new: ParsedModule) -> list[Attention]:
    """A KMS key no longer named where it was (trail, log group, topic, bucket), or another one.

    Another key: what is stored from the apply on is encrypted with it, what was stored stays
    under the old one, so readers need kms:Decrypt on both (and the old key must stay).
    """
    found = []
    for old in previous.blocks:
        block = new.get(old.address) if old.kind == "resource" else None
        if block is None:
            continue
        pairs = [
            (a, old.body.get(a), block.body.get(a)) for a in ("kms_key_id", "kms_master_key_id")
        ]
        (algorithm, key), (new_algorithm, new_key) = _sse(old), _sse(block)
        if algorithm == "aws:kms" and new_algorithm != "aws:kms":
            text = (
                f"{old.address}: the bucket's default encryption changes from SSE-KMS to "
                f"{new_algorithm or 'none'}: new log files are no longer encrypted with the key"
            )
            found.append(Attention("encryption-off", old.address, text))
        elif algorithm == "aws:kms":
            pairs.append(("kms_master_key_id", key, new_key))
        for argument, before, after in pairs:
            if before is None or before == after:
                continue
            if after is None:
                text = (
                    f"{old.address}: {argument} is no longer set: what it stores from now on is "
                    "not encrypted with a customer-managed key (AWS's default encryption at "
                    "most, which needs no kms:Decrypt grant to read)"
                )
                found.append(Attention("encryption-off", old.address, text))
            else:
                text = (
                    f"{old.address}: {argument} changes from {_key_words(before)} to "
                    f"{_key_words(after)}: what it stores from now on is encrypted with the new "
                    "key, what it stored stays under the old one (keep it, and readers need "
                    "kms:Decrypt on both)"
                )
                found.append(Attention("key-changed", old.address, text))
    return found


def _grants(block: Block | None) -> tuple[set[tuple[str, str]], set[str]]:
    """(principal kind, identifier) pairs and actions that ``Allow`` statements grant."""
    principals: set[tuple[str, str]] = set()
    actions: set[str] = set()
    for statement in all_statements(block) if block else []:
        if statement.effect != "Allow":
            continue
        principals |= {(kind, i) for kind, ids in statement.principals for i in ids}
        actions |= set(statement.actions)
    return principals, actions


def _in_organization(block: Block, identifier: str, org_id: str) -> bool:
    """Whether every Allow statement naming ``identifier`` pins aws:PrincipalOrgID to ``org_id``."""
    naming = [
        s
        for s in all_statements(block)
        if s.effect == "Allow" and any(identifier in ids for _, ids in s.principals)
    ]
    return bool(naming) and all(
        (s.condition("StringEquals", "aws:PrincipalOrgID") or ()) == (org_id,) for s in naming
    )


def _full_wildcard(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _access(config: Config, previous: ParsedModule, new: ParsedModule) -> list[Attention]:
    """New grants to principals outside the config's accounts, and new wildcards.

    One item per principal (the bucket and the key policy usually grant a reader together).
    """
    known = known_accounts(config)
    old_documents = documents(previous)
    outside: dict[tuple[str, str], list[tuple[str, str]]] = {}  # principal: (document, users)
    found = []
    for address, block in sorted(documents(new).items()):
        old_principals, old_actions = _grants(old_documents.get(address))
        principals, actions = _grants(block)
        users = ", ".join(attached_to(new, address)) or address
        for kind, identifier in sorted(principals - old_principals):
            if identifier == "*" or (kind == "AWS" and identifier.endswith(":*")):
                text = f"{users} now allows everyone ({kind} '*'): a wildcard principal"
                found.append(Attention("wildcard", address, text))
                continue
            account = principal_account(identifier) if kind == "AWS" else ""
            if not account or account in known:
                continue
            if not _in_organization(block, identifier, config.organization.id):
                outside.setdefault((kind, identifier), []).append((address, users))
        for action in sorted(a for a in actions - old_actions if _full_wildcard(a)):
            text = f"{users} now allows the wildcard action {action}: every action of the service"
            found.append(Attention("wildcard", address, text))
    for (kind, identifier), where in sorted(outside.items()):
        account = principal_account(identifier)
        users_of = "; ".join(users for _, users in where)
        text = (
            f"{principal_words(kind, identifier)} is granted access by {users_of}: "
            f"account {account} is not one of the config's accounts "
            f"({', '.join(sorted(known))}); check that it belongs to organization "
            f"{config.organization.id} and should have this access"
        )
        found.append(Attention("outside-principal", where[0][0], text))
    return found


def _monitoring_dropped(replaced: dict[str, Replacement]) -> list[Attention]:
    """Metric filters and alarms no longer generated: the controls they implement stop.

    A control is a filter and its alarm under one name: one item for both.
    """
    dropped: dict[str, list[Block]] = {}
    for item in replaced.values():
        if item.removed and item.type in _MONITORING:
            dropped.setdefault(item.old.labels[1], []).append(item.old)
    found = []
    for name, blocks in sorted(dropped.items()):
        described = [literal(b.body.get("alarm_description")) for b in blocks]
        what = next((f" ({d})" for d in described if d), "")
        parts = " and ".join(sorted(b.address for b in blocks))
        text = f"monitoring control {name}{what} is dropped: {parts} destroyed"
        found.append(Attention("monitoring-dropped", blocks[0].address, text))
    return found


_MONITORING = ("aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm")


def _unheard(module: ParsedModule) -> set[str]:
    """Alarms that notify nobody, as the controls report reads them (``review.facts``).

    Only topics of this module count: a topic given by ARN is someone else's, and its
    subscribers are not known here.
    """
    return {alarm.address for alarm in read_facts(module).alarms if alarm.notifies_nobody}


def _no_subscriber(previous: ParsedModule, new: ParsedModule) -> list[Attention]:
    """Alarms that notify nobody now but did before, or are new."""
    now = sorted(_unheard(new) - _unheard(previous))
    if not now:
        return []
    text = (
        f"{len(now)} alarm(s) notify nobody (no alarm_actions, or a topic with no "
        f"subscription): {', '.join(now)}; add monitoring.notifications.topic.subscriptions"
    )
    return [Attention("no-subscriber", now[0], text)]


def _control_words(control: Control, titled: bool) -> str:
    """A CIS control by its v1.4.0 number (the item says so), any other by its id."""
    name = control.numbers[0][1] if control.framework == CIS else control.id
    return f"{name} ({control.title})" if titled else name


def _framework_words(framework: str) -> str:
    return f"{framework} (v1.4.0 numbers)" if framework == CIS else framework


# A benchmark with more controls than this in one item lists their ids only: read_write: none
# silences some 30 controls at once, and 30 titles would bury the one line that matters.
_TITLED = 3


def _controls_lost(config: Config, previous: ParsedModule, new: ParsedModule) -> list[Attention]:
    """Controls satisfied by the previous module and not by the new one, as the report judges.

    Not satisfied, not applicable and manual all count: after the change the report no longer
    vouches for the control, and a manual one (an existing bucket or key the config only names)
    needs someone to check what the module checked before. One item per config key and status
    of the new verdicts: a single cause (``trail.events.management`` set to none) silences the
    trail control and every metric-filter control of every benchmark together, and a reviewer
    reads one line for it, not thirty.
    """
    before = {r.control: r.verdict.status for r in evaluate(read_facts(previous), config)}
    lost: dict[tuple[str, str], list[Result]] = {}
    for result in evaluate(read_facts(new), config):
        if before.get(result.control) == SATISFIED and result.verdict.status != SATISFIED:
            verdict = result.verdict
            lost.setdefault((verdict.key, verdict.status), []).append(result)
    found = []
    for (key, status), results in sorted(lost.items()):
        frameworks: dict[str, list[Control]] = {}
        for result in results:
            frameworks.setdefault(result.control.framework, []).append(result.control)
        named = "; ".join(
            _framework_words(framework)
            + " "
            + ", ".join(_control_words(c, len(of) <= _TITLED) for c in of)
            for framework, of in frameworks.items()
        )
        count = f"{len(results)} controls" if len(results) > 1 else "1 control"
        reasons = list(dict.fromkeys(r.verdict.reason for r in results))
        now = "Now" if len(reasons) == 1 else f"Now ({len(reasons)} reasons; the first)"
        text = (
            f"{count} satisfied before and {status} now, changed by {key or 'the module'}: "
            f"{named}. {now}: {reasons[0]}"
        )
        found.append(Attention("control-lost", key, text))
    return found


def _destination(module: ParsedModule) -> tuple[object, ...]:
    """What the statements printed for an owner name of the trail: its ARN, bucket, key."""
    trails = module.of_type("resource", "aws_cloudtrail")
    body = trails[0].body if trails else {}
    return tuple(body.get(a) for a in ("name", "s3_bucket_name", "s3_key_prefix", "kms_key_id"))


def _owner_statements(
    config: Config, new: ParsedModule, previous: ParsedModule | None
) -> list[Attention]:
    """Beside an owner's trail: the statements its owner must add, when they are new to them.

    New: a first generation, a compared module that did not sit beside an owner's trail, or a
    trail whose name, bucket, prefix or key changed (the statements name them).
    """
    owner = owner_of(config)
    if owner is None:
        return []
    known = previous is not None and watched_group(previous) is not None
    if known and previous is not None and _destination(previous) == _destination(new):
        return []
    facts = facts_of(config)
    bucket = facts.required_bucket_statements
    key = facts.required_key_statements if owner.key_arn else None
    asks, refusals, fails = [], [], []
    for what, document, file in (("bucket " + owner.bucket, bucket, "s3.tf"),
                                 (f"key {owner.key_arn}", key, "kms.tf")):  # fmt: skip
        if document is not None and document.statements:
            sids = ", ".join(s.sid for s in document.statements)
            asks.append(f"to the policy of {what} the statements printed in {file} (Sids {sids})")
    if bucket is not None:
        refusals.append("InsufficientS3BucketPolicyException")
    if key is not None and facts.creates_trail:
        refusals.append("InsufficientEncryptionPolicyException")
    if refusals:
        fails.append(f"CreateTrail fails ({' or '.join(refusals)})")
    if key is not None:
        fails.append("Athena's readers cannot decrypt the logs")
    if not asks:
        return []
    text = (
        f"{owner.manager} owns the trail's bucket and key; before `terraform apply`, its owner "
        f"must add {' and '.join(asks)} (`orgtrail-gen validate` prints them too): this module "
        f"cannot (rule OTG110). Without them {' and '.join(fails)}; `orgtrail-gen verify` "
        "checks they are there"
    )
    return [Attention("owner-statements", "owner_trail", text)]


def attention(
    config: Config,
    new: ParsedModule,
    previous: ParsedModule | None,
    allow_replace: frozenset[str],
    allow_shorter_retention: frozenset[str],
    replaced: dict[str, Replacement] | None = None,
) -> list[Attention]:
    """Every attention item, in a stable order: by kind (most serious first), then address.

    ``replaced``: ``replacements(previous, new)`` when the caller computed it already.
    """
    old = previous if previous is not None else ParsedModule(())
    replaced = replacements(old, new) if replaced is None else replaced
    found = _evidence(old, replaced, allow_replace)
    found += _retention(config, new, previous, allow_shorter_retention)
    found += _encryption(old, new)
    found += _access(config, old, new)
    found += _owner_statements(config, new, previous)
    found += _controls_lost(config, old, new) if previous is not None else []
    found += _monitoring_dropped(replaced)
    found += _no_subscriber(old, new)
    return sorted(found, key=lambda a: (_ORDER.index(a.kind), a.address, a.text))
