"""The change summary: what applying the regenerated module changes, compared with the old one.

Why: a one-line config change is often hundreds of lines of HCL across several files, and the
reviewer's questions - what does it grant, remove or put at risk - are answered nowhere in that
diff. The comparison is the evidence guard's (``evidence.replacements``: ForceNew arguments and
what refers to a replaced resource), against the same module (the one in the output folder,
or a base the caller names), so the summary and the guard never disagree about a replacement.

The model is plain data: ``to_json`` gives it to machines (shape below), and
``summary_markdown`` renders it for a pull-request comment or a job summary. Every list is
sorted, so the same change always reads the same.

JSON shape (``version`` 1)::

    {"format": "orgtrail-gen-summary", "version": 1, "modules": [{
        "config": "configs/x.yaml", "directory": "output/x",
        "compared_with": "output/x" | null,        # null: first generation, nothing to compare
        "basis": "module" | "plan",                # plan: `orgtrail-gen review PLAN` read it
        "first_generation": bool, "unchanged": bool,
        "attention": [{"kind": str, "address": str, "text": str, "allowed_by": str | null}],
        "warnings": [str],                         # the generator's warnings for the config
        "resources": {"added": [{"address", "imported": bool}],   # imported: an import block
                      "changed": [{"address", "arguments": [str]}],
                      "replaced": [{"address", "reason"}], "removed": [{"address"}]},
        "data_sources": {"added": [str], "changed": [str], "removed": [str]},
        "policies": [{"address", "attached_to": [str],
                      "added": [{"sid", "effect", "text", "statement": {IAM JSON}}],
                      "removed": [...same...]}],
        "blocks": [{"kind": "import" | "moved" | "removed", "change": "added" | "removed",
                    "text": str}],
        "events": [{"address": str,                  # a trail whose selectors record otherwise
                    "recorded": [str],               # in words, recorded now and not before
                    "no_longer_recorded": [str]}],
        "cost": null | {                             # null: the monthly estimate is unchanged
            "before_usd": float | null,              # null: first generation
            "after_usd": float, "change_usd": float,
            "lines": [{"service", "item",            # estimate lines whose amount moved
                       "before_usd": float | null, "after_usd": float | null}],
            "note": str},                            # both priced with this config's volumes
        "consumers": [{"queue": str, "principal": str,   # who is handed the logs: in words
                       "change": "added" | "removed", "text": str}],
        "companion": [str]}]}                        # beside an owner's trail: in sentences

``attention`` kinds: ``evidence-replaced``, ``evidence-removed``, ``retention-shortened``,
``encryption-off``, ``key-changed``, ``owner-statements``, ``outside-principal``,
``wildcard``, ``control-lost``, ``monitoring-dropped``, ``no-subscriber``; a plan's summary
(``review``, ``plan_summary``) also has ``logging-reduced``, ``grant-removed``,
``changed-outside`` and ``not-from-config``.
A ``control-lost`` item's ``address`` is the config key that changed the controls it names
(the controls report's key), not a resource address.
``warnings`` are what ``generate`` prints to standard error (``check`` only counts them): in
the summary, CI's posted comment holds them too. They describe the config, not the change, so
they do not make a module ``unchanged: false``.
``cost`` is the monthly estimate of ``orgtrail-gen cost`` for the compared module and the new
one (:mod:`generator.review.cost_change`), both with the current config's volumes: the
compared module's config is not known.
``companion`` is empty outside the companion layout (``owner_trail``); in it, the layout in words
(whose trail the module sits beside, what its own trail records) and what a change that adds,
drops or moves ``owner_trail`` does (:mod:`generator.review.summary_companion`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight.policy_reading import ParsedStatement, all_statements
from generator.guards.evidence import replacements
from generator.review.attention import Attention, attention
from generator.review.cost_change import CostChange, cost_change
from generator.review.policies import (
    attached_to,
    describe,
    documents,
    statement_json,
    statement_key,
)
from generator.review.summary_companion import companion
from generator.review.summary_consumers import ConsumerChange, consumer_changes
from generator.review.summary_events import EventChange, event_changes
from generator.sections.organization import MIGRATIONS
from generator.sections.registry import Config

FORMAT = "orgtrail-gen-summary"
VERSION = 1


@dataclass(frozen=True)
class ResourceChange:
    """One resource added, changed in place (which arguments), replaced (why) or removed."""

    address: str
    arguments: tuple[str, ...] = ()
    reason: str = ""
    imported: bool = False  # added, but the target of an import block: adopted, not created


@dataclass(frozen=True)
class StatementChange:
    """A policy statement the change adds or removes, in words and as IAM JSON."""

    sid: str
    effect: str
    text: str
    statement: dict[str, Any]


@dataclass(frozen=True)
class PolicyChange:
    """The statements one policy document gains and loses."""

    address: str
    attached_to: tuple[str, ...]
    added: tuple[StatementChange, ...]
    removed: tuple[StatementChange, ...]


@dataclass(frozen=True)
class BlockChange:
    """An ``import``, ``moved`` or ``removed`` block that appears or goes."""

    kind: str
    change: str
    text: str


@dataclass(frozen=True)
class ModuleSummary:
    """What applying one config's regenerated module over the compared one changes."""

    config: str
    directory: str
    compared_with: str | None
    attention: tuple[Attention, ...]
    added: tuple[ResourceChange, ...]
    changed: tuple[ResourceChange, ...]
    replaced: tuple[ResourceChange, ...]
    removed: tuple[ResourceChange, ...]
    data_added: tuple[str, ...]
    data_changed: tuple[str, ...]
    data_removed: tuple[str, ...]
    policies: tuple[PolicyChange, ...]
    blocks: tuple[BlockChange, ...]
    events: tuple[EventChange, ...] = ()
    warnings: tuple[str, ...] = ()  # the generator's, for the config: not a change
    basis: str = "module"  # "module": two modules compared; "plan": Terraform's plan read
    cost: CostChange | None = None  # the monthly estimate, when the change moves it
    consumers: tuple[ConsumerChange, ...] = ()  # log consumers told of files now, or no longer
    companion: tuple[str, ...] = ()  # beside an owner's trail: the layout and its change, in words

    @property
    def first_generation(self) -> bool:
        """No module to compare with: everything is created."""
        return self.compared_with is None

    @property
    def unchanged(self) -> bool:
        """Applying the new module over the compared one changes nothing."""
        lists = (self.added, self.changed, self.replaced, self.removed, self.data_added)
        more = (self.data_changed, self.data_removed, self.policies, self.blocks, self.events)
        return not any(lists + more) and not self.consumers and not self.attention


_REFERENCE = re.compile(r"\b((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[A-Za-z_]")


# Meta-arguments: Terraform plans no change to the resource when only these differ.
_META = frozenset({"__is_block__", "depends_on", "lifecycle", "provider"})


def _arguments(block: Block) -> dict[str, Any]:
    return {k: v for k, v in block.body.items() if k not in _META}


def _statement_keys(block: Block | None) -> set[tuple[Any, ...]]:
    return {statement_key(s) for s in all_statements(block)} if block else set()


def _data_changed(old: ParsedModule, new: ParsedModule) -> set[str]:
    """Data blocks in both modules whose content differs (a policy by its statements)."""
    found = set()
    for block in new.blocks:
        if block.kind != "data":
            continue
        before = old.get(block.address)
        if before is None:
            continue
        if block.labels[0] == "aws_iam_policy_document":
            if _statement_keys(before) != _statement_keys(block):
                found.add(block.address)
        elif _arguments(before) != _arguments(block):
            found.add(block.address)
    return found


def _changed_arguments(old: Block, new: Block, moved: set[str]) -> tuple[str, ...]:
    """Arguments that differ, or name a changed data source or a replaced resource.

    A replaced resource's id or ARN is new: Terraform changes the argument in place.
    """
    before, after = _arguments(old), _arguments(new)
    names = []
    for name in sorted(set(before) | set(after)):
        refers = set(_REFERENCE.findall(str(after.get(name)))) & moved
        if before.get(name) != after.get(name) or refers:
            names.append(name)
    return tuple(names)


def _blocks(module: ParsedModule) -> set[tuple[str, str]]:
    """Every import, moved and removed block as (kind, words).

    A migration's ``removed`` block says why it is there: on a first generation it is listed
    among what is added, and a reviewer would otherwise read it as a change to the organization.
    """
    found = set()
    for block in module.all("import"):
        to, raw_id = expression(block.body.get("to")), block.body.get("id")
        found.add(("import", f"import {literal(raw_id) or raw_id} into {to}"))
    for block in module.all("moved"):
        origin, to = expression(block.body.get("from")), expression(block.body.get("to"))
        found.add(("moved", f"{origin} moved to {to}"))
    for block in module.all("removed"):
        kept = any(item.get("destroy") is False for item in nested(block.body, "lifecycle"))
        fate = "forgotten by Terraform, kept in AWS" if kept else "destroyed"
        origin = expression(block.body.get("from")) or ""
        why = f": {MIGRATIONS[origin]}" if origin in MIGRATIONS else ""
        found.add(("removed", f"{origin} {fate}{why}"))
    return found


def _statement_change(
    statement: ParsedStatement, key_policy: bool, removed: bool
) -> StatementChange:
    text = describe(statement, key_policy=key_policy, removed=removed)
    return StatementChange(statement.sid, statement.effect, text, statement_json(statement))


def _policy_changes(old: ParsedModule, new: ParsedModule) -> list[PolicyChange]:
    """Statements added and removed, per policy document, matched by their whole content."""
    before, after = documents(old), documents(new)
    changes = []
    for address in sorted(set(before) | set(after)):
        old_list = all_statements(before[address]) if address in before else []
        new_list = all_statements(after[address]) if address in after else []
        old_keys = {statement_key(s) for s in old_list}
        new_keys = {statement_key(s) for s in new_list}
        users = attached_to(new if address in after else old, address)
        key_policy = any(user.startswith("aws_kms_key.") for user in users)
        added = [
            _statement_change(s, key_policy, False)
            for s in new_list
            if statement_key(s) not in old_keys
        ]
        gone = [
            _statement_change(s, key_policy, True)
            for s in old_list
            if statement_key(s) not in new_keys
        ]
        if added or gone:
            changes.append(PolicyChange(address, tuple(users), tuple(added), tuple(gone)))
    return changes


def summarize(
    config: Config,
    config_label: str,
    directory: str,
    new: ParsedModule,
    previous: ParsedModule | None,
    compared_with: str | None,
    allow_replace: Collection[str] = (),
    allow_shorter_retention: Collection[str] = (),
    warnings: Collection[str] = (),
) -> ModuleSummary:
    """Compare ``new`` with ``previous`` (None: a first generation, compared with nothing).

    ``warnings``: the generator's warnings for the config (``Module.warnings``), carried as is.
    """
    old = previous if previous is not None else ParsedModule(())
    found = replacements(old, new)
    resources = [b for b in new.blocks if b.kind == "resource"]
    imports = {expression(b.body.get("to")) for b in new.all("import")}
    added = [
        ResourceChange(b.address, imported=b.address in imports)
        for b in resources
        if old.get(b.address) is None
    ]
    replaced = [
        ResourceChange(a, reason=item.reason) for a, item in found.items() if not item.removed
    ]
    removed = [ResourceChange(a) for a, item in found.items() if item.removed]
    data_changed = _data_changed(old, new)
    moved = {a for a, item in found.items() if not item.removed} | data_changed
    changed = []
    for block in resources:
        before = old.get(block.address)
        if before is None or block.address in found:
            continue
        arguments = _changed_arguments(before, block, moved)
        if arguments:
            changed.append(ResourceChange(block.address, arguments))
    new_data = {b.address for b in new.blocks if b.kind == "data"}
    old_data = {b.address for b in old.blocks if b.kind == "data"}
    old_blocks, new_blocks = _blocks(old), _blocks(new)
    blocks = [BlockChange(k, "added", t) for k, t in sorted(new_blocks - old_blocks)]
    blocks += [BlockChange(k, "removed", t) for k, t in sorted(old_blocks - new_blocks)]
    flagged = attention(
        config, new, previous, frozenset(allow_replace), frozenset(allow_shorter_retention), found
    )
    return ModuleSummary(
        config=config_label,
        directory=directory,
        compared_with=compared_with if previous is not None else None,
        attention=tuple(flagged),
        added=tuple(sorted(added, key=lambda c: c.address)),
        changed=tuple(sorted(changed, key=lambda c: c.address)),
        replaced=tuple(sorted(replaced, key=lambda c: c.address)),
        removed=tuple(sorted(removed, key=lambda c: c.address)),
        data_added=tuple(sorted(new_data - old_data)),
        data_changed=tuple(sorted(data_changed)),
        data_removed=tuple(sorted(old_data - new_data)),
        policies=tuple(_policy_changes(old, new)),
        blocks=tuple(blocks),
        events=tuple(event_changes(old, new)),
        warnings=tuple(warnings),
        cost=cost_change(config, new, previous),
        consumers=tuple(consumer_changes(old, new)),
        companion=tuple(companion(config, new, previous)),
    )


def _statements_json(items: tuple[StatementChange, ...]) -> list[dict[str, Any]]:
    return [
        {"sid": c.sid, "effect": c.effect, "text": c.text, "statement": c.statement} for c in items
    ]


def module_json(summary: ModuleSummary) -> dict[str, Any]:
    """One module's summary in the documented JSON shape (see the module docstring)."""
    return {
        "config": summary.config,
        "directory": summary.directory,
        "compared_with": summary.compared_with,
        "basis": summary.basis,
        "first_generation": summary.first_generation,
        "unchanged": summary.unchanged,
        "attention": [
            {"kind": a.kind, "address": a.address, "text": a.text, "allowed_by": a.allowed_by}
            for a in summary.attention
        ],
        "warnings": list(summary.warnings),
        "resources": {
            "added": [{"address": c.address, "imported": c.imported} for c in summary.added],
            "changed": [
                {"address": c.address, "arguments": list(c.arguments)} for c in summary.changed
            ],
            "replaced": [{"address": c.address, "reason": c.reason} for c in summary.replaced],
            "removed": [{"address": c.address} for c in summary.removed],
        },
        "data_sources": {
            "added": list(summary.data_added),
            "changed": list(summary.data_changed),
            "removed": list(summary.data_removed),
        },
        "policies": [
            {
                "address": p.address,
                "attached_to": list(p.attached_to),
                "added": _statements_json(p.added),
                "removed": _statements_json(p.removed),
            }
            for p in summary.policies
        ],
        "blocks": [{"kind": b.kind, "change": b.change, "text": b.text} for b in summary.blocks],
        "events": [
            {
                "address": e.address,
                "recorded": list(e.recorded),
                "no_longer_recorded": list(e.no_longer_recorded),
            }
            for e in summary.events
        ],
        "cost": _cost_json(summary.cost),
        "consumers": [
            {"queue": c.queue, "principal": c.principal, "change": c.change, "text": c.text}
            for c in summary.consumers
        ],
        "companion": list(summary.companion),
    }


def _cost_json(change: CostChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "before_usd": None if change.before is None else round(change.before, 2),
        "after_usd": round(change.after, 2),
        "change_usd": round(change.change, 2),
        "lines": [
            {
                "service": line.service,
                "item": line.item,
                "before_usd": None if line.before is None else round(line.before, 4),
                "after_usd": None if line.after is None else round(line.after, 4),
            }
            for line in change.lines
        ],
        "note": change.note,
    }


def to_json(summaries: list[ModuleSummary]) -> dict[str, Any]:
    """Every module's summary, for machines."""
    return {"format": FORMAT, "version": VERSION, "modules": [module_json(s) for s in summaries]}
