"""Reading Terraform's own plan: what ``terraform show -json plan.tfplan`` writes.

Why read it: ``check`` and the evidence guard compare the new module with the module in the
output folder, which is what orgtrail-gen wrote, not what is deployed. The plan is Terraform's
answer against the real state: drift, out-of-band changes, what a replacement really does to
the live resource. Its JSON is a documented, versioned format (``format_version`` "1.x", see
https://developer.hashicorp.com/terraform/internals/json-format); a major version we do not
know is refused rather than half-read.

Each resource's ``before`` and ``after`` values become blocks in the shape python-hcl2 gives
the generated HCL (strings quoted, nested blocks marked ``__is_block__``), so that the review
layer's readers - the event selectors in words, the retention look-ups - read a plan with the
same code they read a module with: one definition of each, not two.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.check.hcl_parse import Block, ParsedModule
from generator.check.preflight.policy_reading import ParsedStatement, statements_from_json
from generator.core.errors import UserError
from generator.render.hcl import hcl_string
from generator.sections.addresses import BUCKET, LOG_GROUP, TRAIL

FORMAT_MAJOR = 1
# Addresses only an orgtrail-gen module uses: a plan with none of them is another module's.
OUR_ADDRESSES = frozenset({TRAIL, BUCKET, LOG_GROUP})
_HOW = "make one with `terraform plan -out=plan.tfplan && terraform show -json plan.tfplan`"


class PlanError(UserError):
    """The file is not a plan we can read: exit 2, one line saying what to do."""


@dataclass(frozen=True)
class Change:
    """One resource's planned change, as the plan's ``resource_changes`` entry gives it."""

    address: str  # with its module path, if any: module.trail.aws_cloudtrail.org
    local: str  # within its module: aws_cloudtrail.org
    type: str
    actions: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    after_unknown: dict[str, Any]
    replace_paths: tuple[tuple[Any, ...], ...]
    reason: str | None
    imported_id: str | None = None  # the id an import block of this plan brings in

    @property
    def replaced(self) -> bool:
        """Destroyed and created again (either order)."""
        return "delete" in self.actions and "create" in self.actions

    @property
    def deleted(self) -> bool:
        """Destroyed, nothing created in its place."""
        return self.actions == ("delete",)

    @property
    def created(self) -> bool:
        """Created, nothing destroyed."""
        return self.actions == ("create",)

    @property
    def updated(self) -> bool:
        """Changed in place."""
        return self.actions == ("update",)

    @property
    def imported(self) -> bool:
        """Brought under management by an ``import`` block of this plan."""
        return self.imported_id is not None


@dataclass(frozen=True)
class Plan:
    """The parts of a plan the review reads."""

    label: str
    format_version: str
    terraform_version: str
    changes: tuple[Change, ...]
    drift: tuple[Change, ...]  # resource_drift: what changed outside Terraform since the state

    def before(self) -> ParsedModule:
        """What is deployed, as the plan read it: every resource's ``before``."""
        return ParsedModule(tuple(block_of(c, c.before) for c in self.changes if c.before))

    def after(self) -> ParsedModule:
        """What is deployed once the plan is applied: every resource's ``after``."""
        return ParsedModule(tuple(block_of(c, c.after) for c in self.changes if c.after))


def hcl_shaped(value: Any) -> Any:
    """A state value in python-hcl2's shape: strings quoted, lists of objects as blocks.

    Nulls and empty lists are left out: the state holds every argument, the HCL only those
    set, and the provider reads an unset list back as [] (a selector's unused operators).
    """
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return [{**hcl_shaped(item), "__is_block__": True} for item in value]
        return [hcl_shaped(item) for item in value]
    if isinstance(value, dict):
        return {key: hcl_shaped(item) for key, item in value.items() if item not in (None, [])}
    return value


def policy_statements(values: dict[str, Any] | None) -> list[ParsedStatement]:
    """The statements of a resource's ``policy`` attribute (JSON text, as the state holds it).

    [] when the attribute is absent, unknown or not a policy document.
    """
    text = (values or {}).get("policy")
    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return []
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return []
    if not isinstance(document, dict) or "Statement" not in document:
        return []
    return statements_from_json(document)


def block_of(change: Change, values: dict[str, Any] | None) -> Block:
    """``values`` (the change's before or after) as a block of the generated module's shape."""
    type_name, _, name = change.local.partition(".")
    return Block("resource", (type_name, name), hcl_shaped(values or {}), change.address)


def _major(version: object) -> int | None:
    if not isinstance(version, str):
        return None
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _change(entry: dict[str, Any], label: str) -> Change | None:
    """One ``resource_changes`` entry; None for a data source (its read changes nothing)."""
    if entry.get("mode") != "managed":
        return None
    change = entry.get("change")
    address, type_name = entry.get("address"), entry.get("type")
    if (
        not isinstance(change, dict)
        or not isinstance(address, str)
        or not isinstance(type_name, str)
    ):
        raise PlanError(f"{label}: a resource change without address, type or change: {_HOW}")
    actions = change.get("actions")
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise PlanError(f"{label}: {address}: no list of actions: {_HOW}")
    module = entry.get("module_address")
    local = address.removeprefix(f"{module}.") if isinstance(module, str) else address
    importing = change.get("importing")
    before, after = change.get("before"), change.get("after")
    return Change(
        address=address,
        local=local.split("[", 1)[0] if "[" in local else local,
        type=type_name,
        actions=tuple(actions),
        before=before if isinstance(before, dict) else None,
        after=after if isinstance(after, dict) else None,
        after_unknown=change.get("after_unknown") or {},
        replace_paths=tuple(
            tuple(path) for path in change.get("replace_paths") or [] if isinstance(path, list)
        ),
        reason=entry.get("action_reason"),
        imported_id=str(importing.get("id", "")) if isinstance(importing, dict) else None,
    )


def parse(text: str, label: str) -> Plan:
    """A plan from its JSON text; every way it can be something else is one clear PlanError."""
    if not text.strip():
        raise PlanError(f"{label}: empty file, not a Terraform plan: {_HOW}")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip())
        what = "ends before the JSON does (truncated?)" if at_end else "is not JSON"
        raise PlanError(
            f"{label}:{exc.lineno}:{exc.colno}: {what}: {exc.msg}. Expected what "
            f"`terraform show -json plan.tfplan` writes: {_HOW}"
        ) from None
    if not isinstance(raw, dict) or "format_version" not in raw:
        raise PlanError(f"{label}: JSON, but not a Terraform plan (no format_version): {_HOW}")
    major = _major(raw["format_version"])
    if major != FORMAT_MAJOR:
        raise PlanError(
            f"{label}: plan format_version {raw['format_version']!r}: orgtrail-gen reads "
            f"format {FORMAT_MAJOR}.x (Terraform 0.12 and later, OpenTofu). Use a Terraform "
            "whose `show -json` writes it, or an orgtrail-gen that knows this format"
        )
    if "resource_changes" not in raw and "planned_values" not in raw:
        what = "a state" if "values" in raw else "not a plan"
        raise PlanError(
            f"{label}: {what} (no resource_changes): `terraform show -json` was given no plan "
            f"file; {_HOW}"
        )
    changes = [_change(entry, label) for entry in raw.get("resource_changes") or []]
    drift = [_change(entry, label) for entry in raw.get("resource_drift") or []]
    plan = Plan(
        label=label,
        format_version=str(raw["format_version"]),
        terraform_version=str(raw.get("terraform_version", "unknown")),
        changes=tuple(c for c in changes if c is not None),
        drift=tuple(c for c in drift if c is not None),
    )
    if not any(c.local in OUR_ADDRESSES for c in plan.changes):
        raise PlanError(
            f"{label}: this plan holds no orgtrail-gen resources (none of "
            f"{', '.join(sorted(OUR_ADDRESSES))}): review reads the plan of a module "
            "orgtrail-gen generated"
        )
    return plan


def read(path: str) -> Plan:
    """The plan at ``path``, or on standard input for ``-``."""
    if path == "-":
        return parse(sys.stdin.read(), "<stdin>")
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        raise PlanError(
            f"{path}: a binary plan file (plan.tfplan), not its JSON: run "
            f"`terraform show -json {path} > plan.json` and review plan.json"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"{path}: not UTF-8 text, not a Terraform plan: {_HOW}") from None
    return parse(text, path)
