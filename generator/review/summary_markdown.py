"""The change summary as Markdown: a pull-request comment or a CI job summary.

Why this layout: the reviewer reads top-down and stops early, so each config starts with what
needs attention, then counts, then the grants in words; addresses are code so that they can be
searched in the diff. Every list comes sorted from the model: the same change, the same text.
"""

from __future__ import annotations

from typing import Any

from generator.guards.evidence import COSTS, STATEFUL
from generator.review.policies import principal_words
from generator.review.summary import ModuleSummary, PolicyChange, ResourceChange, StatementChange

TITLE = "## orgtrail-gen: what this change does"
# A marker a CI step can find to update its own earlier comment instead of adding another.
MARKER = "<!-- orgtrail-gen-summary -->"


def _code(text: str) -> str:
    return f"`{text}`"


def _plain(text: str) -> str:
    """Free text with the characters Markdown would take for markup escaped.

    Why: ARNs and actions are full of ``*`` (``arn:aws:cloudtrail:*:1:trail/*``), which GitHub
    would otherwise render as italics and swallow; ``<`` would open an HTML tag. An ``_``
    inside a word is never emphasis in GitHub's Markdown, so names stay readable as typed.
    """
    for char in "\\*<`":
        text = text.replace(char, "\\" + char)
    return text


def _by_type(label: str, items: tuple[ResourceChange, ...]) -> list[str]:
    """``create 16 x aws_x: a, b, ...``: a list of names, one line per resource type."""
    names: dict[str, list[str]] = {}
    for item in items:
        type_name, name = item.address.split(".", 1)
        names.setdefault(type_name, []).append(name)
    lines = []
    for type_name, of_type in sorted(names.items()):
        if len(of_type) == 1:
            lines.append(f"- {label} {_code(f'{type_name}.{of_type[0]}')}")
        else:
            lines.append(f"- {label} {len(of_type)} x {_code(type_name)}: {', '.join(of_type)}")
    return lines


def _cost(address: str) -> str:
    """What replacing a resource of this type costs, as the evidence guard words it."""
    type_name = address.split(".", 1)[0]
    cost = STATEFUL[type_name].loss if type_name in STATEFUL else COSTS.get(type_name)
    return f" - {_plain(cost)}" if cost else ""


def _resource_lines(summary: ModuleSummary) -> list[str]:
    lines = [
        f"- **replace** {_code(c.address)}: {_plain(c.reason)}{_cost(c.address)}"
        for c in summary.replaced
    ]
    lines += _by_type("**destroy**", summary.removed)
    updates: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # same type, same arguments
    for change in summary.changed:
        type_name, name = change.address.split(".", 1)
        updates.setdefault((type_name, change.arguments), []).append(name)
    for (type_name, arguments), names in sorted(updates.items()):
        what = ", ".join(arguments)
        if len(names) == 1:
            lines.append(f"- update in place {_code(f'{type_name}.{names[0]}')} ({what})")
        else:
            lines.append(
                f"- update in place {len(names)} x {_code(type_name)} ({what}): {', '.join(names)}"
            )
    lines += _by_type("import", tuple(c for c in summary.added if c.imported))
    return lines + _by_type("create", tuple(c for c in summary.added if not c.imported))


def _counts(summary: ModuleSummary) -> str:
    imported = sum(1 for c in summary.added if c.imported)
    parts = [
        *([f"{imported} to import"] if imported else []),
        f"{len(summary.added) - imported} to create",
        f"{len(summary.changed)} to update in place",
        f"{len(summary.replaced)} to replace",
        f"{len(summary.removed)} to destroy",
    ]
    return "Resources: " + ", ".join(parts)


def _parts(statement: dict[str, Any]) -> dict[str, set[str]]:
    """A statement's principals, actions, resources and conditions, each as a set of words."""
    principals = statement.get("Principal", {})
    conditions = statement.get("Condition", {})
    return {
        "principals": {principal_words(k, i) for k, ids in principals.items() for i in ids},
        "actions": set(statement.get("Action", [])),
        "resources": set(statement.get("Resource", [])),
        "conditions": {
            f"{test} {key} {' | '.join(values)}"
            for test, pairs in conditions.items()
            for key, values in pairs.items()
        },
    }


def _delta(before: StatementChange, after: StatementChange) -> str:
    """What one Sid's statement gains and loses: the part a reviewer looks for."""
    old, new = _parts(before.statement), _parts(after.statement)
    changes = [f"effect {before.effect} -> {after.effect}"] if before.effect != after.effect else []
    for name in old:
        gained, lost = sorted(new[name] - old[name]), sorted(old[name] - new[name])
        changes += [f"{name} gain {', '.join(gained)}"] if gained else []
        changes += [f"{name} lose {', '.join(lost)}"] if lost else []
    return "; ".join(changes)


def _policy_lines(policy: PolicyChange) -> list[str]:
    """Removed, then added statements; a Sid in both is one change, its difference first."""
    used = f" (used by {', '.join(map(_code, policy.attached_to))})" if policy.attached_to else ""
    lines = [f"- {_code(policy.address)}{used}:"]
    removed = {item.sid: item for item in policy.removed if item.sid}
    added = {item.sid: item for item in policy.added if item.sid}
    paired = [sid for sid in removed if sid in added]
    for item in policy.removed:
        if item.sid not in paired:
            lines.append(f"  - {_plain(item.text)} (Sid {_code(item.sid or 'none')})")
    for sid in paired:
        delta = _plain(_delta(removed[sid], added[sid]))
        lines.append(f"  - Sid {_code(sid)} changes: {delta}. Now it {_plain(added[sid].text)}")
    for item in policy.added:
        if item.sid not in paired:
            lines.append(f"  - {_plain(item.text)} (Sid {_code(item.sid or 'none')})")
    return lines


def _event_lines(summary: ModuleSummary) -> list[str]:
    """What each trail records now that it did not, and the reverse, in words.

    A selector change that records the same events (a selector renamed or reordered) says so,
    so that "update in place (advanced_event_selector)" is never left unexplained.
    """
    lines = []
    for change in summary.events:
        if change.recorded:
            now = "; ".join(map(_plain, change.recorded))
            lines.append(f"- {_code(change.address)} now records: {now}")
        if change.no_longer_recorded:
            gone = "; ".join(map(_plain, change.no_longer_recorded))
            lines.append(f"- {_code(change.address)} no longer records: {gone}")
    explained = {change.address for change in summary.events}
    for resource in summary.changed:
        if "advanced_event_selector" in resource.arguments and resource.address not in explained:
            lines.append(
                f"- {_code(resource.address)} records the same events as before: only the "
                "selectors' names or order change"
            )
    return lines


def _data_lines(summary: ModuleSummary) -> list[str]:
    lines = [f"- read {_code(a)}" for a in summary.data_added]
    shown = {p.address for p in summary.policies}  # their statements are listed above
    lines += [f"- changed {_code(a)}" for a in summary.data_changed if a not in shown]
    lines += [f"- no longer read {_code(a)}" for a in summary.data_removed]
    return lines


def _dollars(amount: float | None) -> str:
    """USD to the cent; "-" for a line that is not there, "<$0.01" for less than half a cent."""
    if amount is None:
        return "-"
    return "<$0.01" if 0 < abs(amount) < 0.005 else f"${amount:,.2f}"


def _cost_lines(summary: ModuleSummary) -> list[str]:
    """The monthly estimate before and after, when the change moves it, and the lines that did."""
    change = summary.cost
    if change is None:
        return []
    if change.before is None:
        head = f"about {_dollars(change.after)} a month"
    else:
        sign = "+" if change.change >= 0 else "-"
        head = (
            f"about {_dollars(change.after)} a month, was {_dollars(change.before)}: "
            f"{sign}{_dollars(abs(change.change))} a month"
        )
    lines = ["", f"**Estimated cost**: {head}", ""]
    lines += [
        f"- {line.service}, {_plain(line.item)}: {_dollars(line.before)} → {_dollars(line.after)}"
        for line in change.lines
    ]
    return [*lines, *([""] if change.lines else []), f"_{_plain(change.note)}_"]


def module_markdown(summary: ModuleSummary) -> str:
    """One config's section."""
    if summary.basis == "plan":
        of = f" of {_code(summary.config)}" if summary.config != summary.directory else ""
        out = [f"### Terraform's plan {_code(summary.directory)}{of}", ""]
    else:
        out = [f"### {_code(summary.config)} → {_code(summary.directory)}", ""]
    if summary.first_generation:
        out.append(
            f"First generation: there is no earlier module to compare with, so applying "
            f"creates (or imports) everything below ({len(summary.added)} resources)."
        )
    elif summary.unchanged:
        out.append(
            f"No change: the plan {_code(summary.directory)} changes nothing that is deployed."
            if summary.basis == "plan"
            else "No change: the regenerated module is the one in "
            f"{_code(str(summary.compared_with))}."
        )
        return "\n".join(out) + "\n"
    elif summary.basis == "plan":
        out.append(
            f"Read from Terraform's plan {_code(summary.directory)}: compared with what is "
            "deployed (the state it was planned against, refreshed), so changes made outside "
            "Terraform show too."
        )
    else:
        out.append(f"Compared with the module in {_code(str(summary.compared_with))}.")
    out.append("")
    if summary.companion:
        out += ["**Beside another organization trail** (`owner_trail`)", ""]
        out += [f"- {_plain(line)}" for line in summary.companion] + [""]
    if summary.attention:
        out += ["**Needs attention**", ""]
        for item in summary.attention:
            allowed = f" (allowed by `{item.allowed_by}`)" if item.allowed_by else ""
            out.append(f"- **{item.kind}**{allowed}: {_plain(item.text)}")
    else:
        out.append("Nothing needs special attention.")
    if summary.warnings:
        out += ["", "**Warnings** (the generator's, for this config)", ""]
        out += [f"- {_plain(warning)}" for warning in summary.warnings]
    out += _cost_lines(summary)
    out += ["", f"**{_counts(summary)}**", ""]
    out += _resource_lines(summary)
    events = _event_lines(summary)
    if events:
        out += ["", "**What the trail records**", "", *events]
    if summary.consumers:
        out += ["", "**Log consumers** (who is handed every account's logs)", ""]
        out += [f"- {c.change}: {_plain(c.text)}" for c in summary.consumers]
    if summary.policies:
        out += ["", "**Policy statements**", ""]
        for policy in summary.policies:
            out += _policy_lines(policy)
    data = _data_lines(summary)
    if data:
        out += ["", "**Data sources**", "", *data]
    if summary.blocks:
        out += ["", "**import / moved / removed blocks**", ""]
        out += [f"- {b.change}: {_plain(b.text)}" for b in summary.blocks]
    return "\n".join(out) + "\n"


def to_markdown(summaries: list[ModuleSummary]) -> str:
    """Every config's section under one title, with the marker CI uses to update its comment."""
    sections = [module_markdown(s) for s in summaries]
    return "\n".join([MARKER, TITLE, "", *sections])
