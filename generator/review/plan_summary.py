"""The change summary of a plan: what applying it does to what is deployed, in words.

Why the summary's own model and renderers (``summary.ModuleSummary``, ``summary_markdown``):
the reviewer reads one kind of report whether it came from ``check --summary`` (the new module
against the committed one) or from ``review PLAN`` (Terraform's plan against the state), so the
same change reads the same. What only the plan can show is added: what changed outside
Terraform since the last apply (``resource_drift``) that this plan puts back, and - given the
config - what the plan changes that the config's module does not declare.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight.policy_reading import ParsedStatement
from generator.review.attention import Attention
from generator.review.plan import Change, Plan, policy_statements
from generator.review.plan_rules import Finding
from generator.review.policies import describe, statement_json, statement_key
from generator.review.summary import ModuleSummary, PolicyChange, ResourceChange, StatementChange
from generator.review.summary_events import event_changes

# Attention kinds, most serious first: the evidence guard's, then what only a plan shows.
ORDER = (
    "owner-taken",
    "evidence-replaced",
    "evidence-removed",
    "retention-shortened",
    "logging-reduced",
    "grant-removed",
    "monitoring-dropped",
    "changed-outside",
    "not-from-config",
)
_POLICY_TYPES = frozenset(
    {
        "aws_s3_bucket_policy",
        "aws_kms_key",
        "aws_sns_topic_policy",
        "aws_iam_role_policy",
        "aws_iam_policy",
    }
)
_EMPTY: tuple[Any, ...] = (None, "", [], {})


def _same(before: Any, after: Any) -> bool:
    """Equal, counting null, "" and empty collections as one (the provider mixes them)."""
    if before in _EMPTY and after in _EMPTY:
        return True
    if isinstance(before, str) and isinstance(after, str) and before != after:
        old, new = policy_statements({"policy": before}), policy_statements({"policy": after})
        return bool(old) and {statement_key(s) for s in old} == {statement_key(s) for s in new}
    return bool(before == after)


def _changed(change: Change) -> tuple[str, ...]:
    before, after = change.before or {}, change.after or {}
    names = set(before) | set(after)
    return tuple(
        sorted(
            name
            for name in names
            if (name in change.after_unknown and after.get(name) is None and before.get(name))
            or not _same(before.get(name), after.get(name))
        )
    )


def _statement_change(statement: ParsedStatement, key: bool, removed: bool) -> StatementChange:
    text = describe(statement, key_policy=key, removed=removed)
    return StatementChange(statement.sid, statement.effect, text, statement_json(statement))


def _policy_changes(plan: Plan) -> list[PolicyChange]:
    """Per resource whose policy document changes, the statements it gains and loses."""
    found = []
    for change in plan.changes:
        if change.type not in _POLICY_TYPES or "policy" in change.after_unknown:
            continue
        old, new = policy_statements(change.before), policy_statements(change.after)
        old_keys, new_keys = {statement_key(s) for s in old}, {statement_key(s) for s in new}
        key = change.type == "aws_kms_key"
        added = [_statement_change(s, key, False) for s in new if statement_key(s) not in old_keys]
        gone = [_statement_change(s, key, True) for s in old if statement_key(s) not in new_keys]
        if added or gone:
            found.append(PolicyChange(change.address, (), tuple(added), tuple(gone)))
    return found


def _reason(change: Change) -> str:
    parts = []
    for path in change.replace_paths:
        name = str(path[0]) if path else ""
        before, after = (change.before or {}).get(name), (change.after or {}).get(name)
        if isinstance(before, str | int | bool) and isinstance(after, str | int | bool):
            parts.append(f"{name} changes from {before} to {after}")
        else:
            parts.append(f"{'.'.join(map(str, path))} changes")
    return "; ".join(parts) or f"Terraform replaces it ({change.reason or 'no reason given'})"


def _outside(plan: Plan) -> list[Attention]:
    """What changed outside Terraform since the last apply and this plan puts back."""
    planned = {c.address: c for c in plan.changes if c.updated or c.replaced}
    found = []
    for drift in plan.drift:
        change = planned.get(drift.address)
        if change is None:
            continue
        was, live, will = drift.before or {}, drift.after or {}, change.after or {}
        for name in sorted(set(was) | set(live)):
            changed_outside = not _same(was.get(name), live.get(name))
            put_back = name not in change.after_unknown and _same(was.get(name), will.get(name))
            if not (changed_outside and put_back):
                continue
            found.append(Attention("changed-outside", drift.address, _drift_words(name, was, live)))
    return found


def _drift_words(name: str, was: dict[str, Any], live: dict[str, Any]) -> str:
    before, after = was.get(name), live.get(name)
    if name == "policy" and isinstance(before, str) and isinstance(after, str):
        old, new = policy_statements(was), policy_statements(live)
        old_keys, new_keys = {statement_key(s) for s in old}, {statement_key(s) for s in new}
        added = [describe(s) for s in new if statement_key(s) not in old_keys]
        gone = [describe(s, removed=True) for s in old if statement_key(s) not in new_keys]
        words = "; ".join(
            [f"a statement was added: {w}" for w in added]
            + [f"a statement was removed: {w}" for w in gone]
        )
        return f"the policy was changed outside Terraform ({words}); this plan puts it back"
    return (
        f"{name} was changed outside Terraform, from {json.dumps(before)} to "
        f"{json.dumps(after)}; this plan sets it back to {json.dumps(before)}"
    )


def _not_from_config(plan: Plan, module: ParsedModule, config_label: str) -> list[Attention]:
    """Resources the plan changes that the config's module does not declare, and the reverse."""
    declared = {b.address for b in module.blocks if b.kind == "resource"}
    found = [
        Attention(
            "not-from-config",
            change.address,
            f"the plan {'/'.join(change.actions)}s it, but the module {config_label} generates "
            "does not declare it: the plan was made from other code, or the module is stale",
        )
        for change in plan.changes
        if change.actions != ("no-op",) and change.local not in declared
    ]
    planned = {change.local for change in plan.changes}
    found += [
        Attention(
            "not-from-config",
            address,
            f"{config_label}'s module declares it, but the plan does not know it: was the plan "
            "made from the module this config generates?",
        )
        for address in sorted(declared - planned)
    ]
    return found


def attention_of(finding: Finding) -> Attention:
    """A refusal as the summary's attention item (same words, the flag that allowed it)."""
    change = f"{finding.attribute} {finding.before} -> {finding.after}: " if finding.before else ""
    text = f"{finding.rule}: {change}{finding.problem}"
    return Attention(finding.kind, finding.address, text, finding.allowed_by)


def summarize_plan(
    plan: Plan,
    found: Collection[Finding],
    config_label: str | None = None,
    module: ParsedModule | None = None,
) -> ModuleSummary:
    """The plan as the summary's model; ``module``: the config's, to tell what it did not ask."""
    items = [attention_of(f) for f in found] + _outside(plan)
    if module is not None and config_label is not None:
        items += _not_from_config(plan, module, config_label)
    items.sort(key=lambda a: (ORDER.index(a.kind), a.address, a.text))
    changes = plan.changes
    return ModuleSummary(
        config=config_label or plan.label,
        directory=plan.label,
        compared_with=f"the state {plan.label} was planned against",
        attention=tuple(items),
        added=tuple(
            ResourceChange(c.address, imported=c.imported)
            for c in sorted(changes, key=lambda c: c.address)
            if c.created or (c.imported and c.actions == ("no-op",))
        ),
        changed=tuple(
            ResourceChange(c.address, _changed(c))
            for c in sorted(changes, key=lambda c: c.address)
            if c.updated and _changed(c)
        ),
        replaced=tuple(
            ResourceChange(c.address, reason=_reason(c))
            for c in sorted(changes, key=lambda c: c.address)
            if c.replaced
        ),
        removed=tuple(
            ResourceChange(c.address) for c in sorted(changes, key=lambda c: c.address) if c.deleted
        ),
        data_added=(),
        data_changed=(),
        data_removed=(),
        policies=tuple(_policy_changes(plan)),
        blocks=(),
        events=tuple(event_changes(plan.before(), plan.after())),
        basis="plan",
    )
