"""A saved plan, summarised by action, and judged as ``rehearse`` and the tests judge it.

Why judged here: what a first plan of a shipped or user's module may do is one rule, whoever
asks. Nothing is destroyed or replaced; an adopting module imports every ``import`` block of its
``imports.tf`` (except those the adaptation removed with their target) and changes what it
imports in place only - never creates it anew (:func:`plan_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.rehearse.hcl_spans import TfFile


@dataclass(frozen=True)
class PlanSummary:
    """The resource changes of a saved plan (``terraform show -json``), by action, per address."""

    creates: tuple[str, ...]
    updates: tuple[str, ...]
    deletes: tuple[str, ...]
    replaces: tuple[str, ...]
    imports: tuple[str, ...]
    unchanged: tuple[str, ...]

    @classmethod
    def of(cls, plan: Mapping[str, Any]) -> PlanSummary:
        """The summary of ``terraform show -json`` of a saved plan (managed resources only)."""
        by: dict[str, list[str]] = {
            k: [] for k in ("create", "update", "delete", "replace", "no-op")
        }
        imports: list[str] = []
        for change in plan.get("resource_changes", []):
            if change.get("mode") != "managed":
                continue
            address = change["address"]
            actions = change["change"]["actions"]
            if change["change"].get("importing") is not None:
                imports.append(address)
            if sorted(actions) == ["create", "delete"]:
                by["replace"].append(address)
            elif actions == ["read"]:
                continue
            else:
                by[actions[0]].append(address)
        return cls(
            tuple(by["create"]),
            tuple(by["update"]),
            tuple(by["delete"]),
            tuple(by["replace"]),
            tuple(imports),
            tuple(by["no-op"]),
        )

    @staticmethod
    def after(plan: Mapping[str, Any], address: str) -> Mapping[str, Any]:
        """The planned values of one resource (``change.after``) in ``show -json`` output."""
        for change in plan.get("resource_changes", []):
            if change["address"] == address:
                return dict(change["change"]["after"] or {})
        raise KeyError(f"{address} is not in the plan")

    @classmethod
    def from_record(cls, record: Mapping[str, Iterable[str]]) -> PlanSummary:
        """The summary :func:`dataclasses.asdict` wrote (a rehearsal's JSON record)."""
        return cls(**{name: tuple(addresses) for name, addresses in record.items()})

    def counts(self) -> str:
        """Every action's count in words (the tests' and the adoption story's figures)."""
        return (
            f"{len(self.creates)} to create, {len(self.updates)} to update in place, "
            f"{len(self.replaces)} to replace, {len(self.deletes)} to destroy, "
            f"{len(self.imports)} to import"
        )


@dataclass(frozen=True)
class Plan:
    """A saved plan: ``plan -detailed-exitcode`` (0 no changes, 2 changes) and its summary."""

    exit_code: int
    summary: PlanSummary
    raw: Mapping[str, Any]
    output: str

    @property
    def changes(self) -> bool:
        """Whether Terraform would change anything (exit 2 of ``-detailed-exitcode``)."""
        return self.exit_code == 2


def brief(summary: PlanSummary) -> str:
    """The counts as the report's table shows them: ``53 add, 0 change, 0 replace, 0 destroy``."""
    counts = (
        f"{len(summary.creates)} add, {len(summary.updates)} change, "
        f"{len(summary.replaces)} replace, {len(summary.deletes)} destroy"
    )
    return f"{len(summary.imports)} import, {counts}" if summary.imports else counts


def import_targets(module: Path) -> set[str]:
    """The ``to`` address of every ``import`` block in the module's ``imports.tf``."""
    path = module / "imports.tf"
    if not path.is_file():
        return set()
    tf = TfFile(path.name, path.read_text(encoding="utf-8"))
    targets = set()
    for item in tf.items:
        if item.name == "import":
            for child in tf.children(item):
                if child.name == "to":
                    targets.add(child.text(tf.text).split("=", 1)[1].strip())
    return targets


def plan_problems(
    summary: PlanSummary, module: Path, *, adopting: bool, removed_imports: Iterable[str] = ()
) -> list[str]:
    """What is wrong with a module's first plan, one sentence each; ``[]`` when nothing is.

    ``module``: the module as the user has it (its ``imports.tf`` is read); ``adopting``: its
    config adopts what exists; ``removed_imports``: the imports the adaptation to an older
    provider removed with their target (they cannot be in the plan).
    """
    problems = [
        f"the plan destroys {', '.join(summary.deletes)}" if summary.deletes else "",
        f"the plan replaces {', '.join(summary.replaces)}" if summary.replaces else "",
    ]
    if adopting:
        expected = import_targets(module) - set(removed_imports)
        missing = sorted(expected - set(summary.imports))
        unexpected = sorted(set(summary.imports) - expected)
        created = sorted(expected & set(summary.creates))
        touched = set(summary.updates) | set(summary.unchanged)
        otherwise = sorted((expected & set(summary.imports)) - touched - set(created))
        problems += [
            "" if expected else "the config adopts, but imports.tf declares no import",
            f"not imported: {', '.join(missing)}" if missing else "",
            f"imported but not declared: {', '.join(unexpected)}" if unexpected else "",
            f"an adopted object would be created anew: {', '.join(created)}" if created else "",
            f"an adopted object is changed other than in place: {', '.join(otherwise)}"
            if otherwise
            else "",
        ]
    return [problem for problem in problems if problem]
