"""Fitting a copy of a module to the provider the mirror holds, and saying what changed.

Why: the mirror may hold an older hashicorp/aws than the module asks for (5.100 on the machines
the project runs on, 6.x generated). The copy gets that provider's version constraint, and loses
exactly the resource types, arguments and blocks that provider does not know - read from its own
``terraform providers schema -json`` (:func:`provider_schema`), never from a hand-kept list -
plus what pointed at them (``depends_on`` entries, ``import`` blocks, outputs). Only what the
provider the module is generated for knows is stripped (:func:`upstream_knows`, from the schema
subset shipped beside this module): a misspelt argument stays, so ``validate`` fails on it as it
would for a user. Each change is one line of :attr:`Adaptation.changes`, which the report prints.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from generator.rehearse.hcl_spans import AdaptError, Item, TfFile
from generator.rehearse.tools import PROVIDER, Tools, base_environment, terraform

# The hashicorp/aws schema the modules are generated for (a subset of 6.66.0's), shipped as
# package data; tests/support/regen_provider_schema_subset.py writes it.
SUBSET_FILE = "aws-provider-schema-subset.json"
SUBSET_PATH = Path(__file__).with_name(SUBSET_FILE)
UPSTREAM = f"hashicorp/aws 6.66.0 (generator/rehearse/{SUBSET_FILE})"

# Terraform's own arguments and blocks, which no provider schema lists.
_META = {
    "resource": frozenset(
        {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
    ),
    "data": frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"}),
    "provider": frozenset({"alias", "version"}),
}

__all__ = ["AdaptError", "Adaptation", "BlockSchema", "ProviderSchema", "adapt_module"]


@cache
def load_subset() -> dict[str, Any]:
    """The shipped schema subset, read once: ``{type: {attributes, required, blocks}}``."""
    text = resources.files(__package__).joinpath(SUBSET_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# --- the provider's schema ---------------------------------------------------------------------


@dataclass(frozen=True)
class BlockSchema:
    """The names one block of the provider schema knows: arguments and nested block types."""

    attributes: frozenset[str]
    blocks: Mapping[str, BlockSchema]

    @classmethod
    def of(cls, block: Mapping[str, Any]) -> BlockSchema:
        """The names of one ``block`` of ``terraform providers schema -json``, recursively."""
        return cls(
            frozenset(block.get("attributes", {})),
            {
                name: cls.of(nested["block"])
                for name, nested in block.get("block_types", {}).items()
            },
        )


@dataclass(frozen=True)
class ProviderSchema:
    """What the mirror's provider knows, from ``terraform providers schema -json``."""

    version: str
    provider: BlockSchema
    resources: Mapping[str, BlockSchema]
    data_sources: Mapping[str, BlockSchema]

    def of(self, kind: str, type_name: str = "") -> BlockSchema | None:
        """The schema of a ``resource``, ``data`` or ``provider`` block; None if unknown."""
        if kind == "provider":
            return self.provider
        return (self.resources if kind == "resource" else self.data_sources).get(type_name)


_SCHEMAS: dict[tuple[Path, str], ProviderSchema] = {}
_SCHEMA_LOCK = threading.Lock()


def provider_schema(tools: Tools, workdir: Path) -> ProviderSchema:
    """The mirror provider's schema, read once per process (``providers schema -json``: ≈10 s).

    Only for a mirror: a provider from the registry is the newest the module's constraint
    admits, which knows everything the module uses, so nothing is adapted and no schema read.
    """
    if tools.mirror is None or tools.provider_version is None:
        raise ValueError("the provider schema is read from a mirror; without one, nothing adapts")
    with _SCHEMA_LOCK:
        key = (tools.mirror, tools.provider_version)
        if key not in _SCHEMAS:
            folder = workdir / "provider-schema"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "main.tf").write_text(
                "terraform {\n  required_providers {\n    aws = {\n"
                f'      source  = "hashicorp/aws"\n      version = "{tools.provider_version}"\n'
                "    }\n  }\n}\n",
                encoding="utf-8",
            )
            env = base_environment(tools, folder)
            terraform(tools, folder, env, "init", "-input=false", "-backend=false")
            raw = json.loads(terraform(tools, folder, env, "providers", "schema", "-json").stdout)
            aws = raw["provider_schemas"][PROVIDER]
            _SCHEMAS[key] = ProviderSchema(
                tools.provider_version,
                BlockSchema.of(aws["provider"]["block"]),
                {name: BlockSchema.of(s["block"]) for name, s in aws["resource_schemas"].items()},
                {
                    name: BlockSchema.of(s["block"])
                    for name, s in aws["data_source_schemas"].items()
                },
            )
        return _SCHEMAS[key]


# --- adapting a module to the mirror's provider ------------------------------------------------


@dataclass
class Adaptation:
    """What was changed in the copy, and what went.

    ``changes``: one line per change made for an older provider (the report prints each);
    ``emulator``: one line per change that points the copy at the emulator (the override).
    """

    changes: list[str] = field(default_factory=list)
    removed_addresses: set[str] = field(default_factory=set)
    removed_imports: list[str] = field(default_factory=list)
    emulator: list[str] = field(default_factory=list)


def adapt_module(source: Path, destination: Path, schema: ProviderSchema) -> Adaptation:
    """Copy ``source``'s ``*.tf`` into ``destination`` with only what ``schema`` knows.

    Removes resource and data types the provider lacks, and arguments and nested blocks its
    schema does not list; then the ``depends_on`` entries, ``import`` blocks and outputs that
    pointed at a removed resource. Any other reference to something removed is an AdaptError:
    the module would not mean the same thing any more.
    """
    destination.mkdir(parents=True, exist_ok=True)
    adaptation = Adaptation()
    files = {
        path.name: TfFile(path.name, path.read_text(encoding="utf-8"))
        for path in sorted(source.glob("*.tf"))
    }
    cuts: dict[str, list[tuple[int, int, str]]] = {name: [] for name in files}

    # 1. types and names the provider does not know
    removed_attributes: set[str] = set()  # "<address>.<argument>"
    for tf in files.values():
        for item in tf.items:
            if item.kind != "block" or item.name not in ("resource", "data", "provider"):
                continue
            type_name = item.labels[0]
            address = _address(item)
            known = schema.of(item.name, type_name)
            if known is None and not upstream_knows(item.name, type_name, ()):
                adaptation.changes.append(
                    f"{tf.name}: kept {address}: neither hashicorp/aws {schema.version} nor "
                    f"{UPSTREAM} knows type {type_name} (a real error: validate will say so)"
                )
                continue
            if known is None:
                cuts[tf.name].append((item.start, item.end, ""))
                adaptation.removed_addresses.add(address)
                adaptation.changes.append(
                    f"{tf.name}: removed {address}: {item.name} type {type_name} is unknown to "
                    f"hashicorp/aws {schema.version}"
                )
                continue
            for child, path in _unknown_names(tf, item, known, _META[item.name]):
                if not upstream_knows(item.name, type_name, tuple(path.split("."))):
                    adaptation.changes.append(
                        f"{tf.name}: kept {address}: {path}: unknown to hashicorp/aws "
                        f"{schema.version} and to {UPSTREAM} (a real error: validate will say so)"
                    )
                    continue
                cuts[tf.name].append((child.start, child.end, ""))
                if "." not in path:  # a nested one is not addressable on its own
                    removed_attributes.add(f"{address}.{path}")
                adaptation.changes.append(
                    f"{tf.name}: removed {address}: {path} "
                    f"(an {child.kind} hashicorp/aws {schema.version} does not know)"
                )

    # 2. what pointed at a removed resource: depends_on entries, imports, outputs
    gone = adaptation.removed_addresses
    pattern = (
        re.compile(
            r"(?<![\w.-])("
            + "|".join(re.escape(a) for a in sorted(gone | removed_attributes))
            + r")(?![\w-])"
        )
        if gone or removed_attributes
        else None
    )
    for tf in files.values():
        for item in tf.items:
            if pattern is None or any(
                item.start >= s and item.end <= e for s, e, _ in cuts[tf.name]
            ):
                continue
            if not pattern.search(tf.refs, item.start, item.end):
                continue
            if item.name == "import":
                cuts[tf.name].append((item.start, item.end, ""))
                target = _import_target(tf, item)
                adaptation.removed_imports.append(target)
                adaptation.changes.append(
                    f"{tf.name}: removed the import of {target} (removed above)"
                )
            elif item.name == "output":
                cuts[tf.name].append((item.start, item.end, ""))
                adaptation.changes.append(
                    f"{tf.name}: removed output {item.labels[0]}: it reads something removed above"
                )
            else:
                _strip_depends_on(tf, item, pattern, cuts[tf.name], adaptation)

    # 3. the version constraint
    for tf in files.values():
        for item in tf.items:
            if item.name == "terraform" and item.kind == "block":
                for child in tf.children(item):
                    if child.name == "required_providers" and child.kind == "block":
                        _pin_version(tf, child, schema.version, cuts[tf.name], adaptation)

    for name, tf in files.items():
        (destination / name).write_text(_apply_cuts(tf.text, cuts[name]), encoding="utf-8")
    return adaptation


def upstream_knows(kind: str, type_name: str, path: tuple[str, ...]) -> bool:
    """Whether the provider the module is generated for knows this type or nested name.

    Only what that provider knows and the mirror's lacks is stripped: a misspelt argument is
    unknown to both and must stay, so that ``validate`` fails on it as it would for a user.
    """
    key = {"resource": type_name, "data": f"data.{type_name}", "provider": "provider.aws"}[kind]
    block: Mapping[str, Any] | None = load_subset().get(key)
    if block is None:
        return False
    *parents, last = path or ("",)
    for name in parents:
        block = block["blocks"].get(name)
        if block is None:
            return False
    return not path or last in block["attributes"] or last in block["blocks"]


def _address(item: Item) -> str:
    if item.name == "data":
        return f"data.{item.labels[0]}.{item.labels[1]}"
    if item.name == "provider":
        return f"provider.{item.labels[0]}"
    return f"{item.labels[0]}.{item.labels[1]}"


def _unknown_names(
    tf: TfFile, block: Item, schema: BlockSchema, meta: frozenset[str], prefix: str = ""
) -> list[tuple[Item, str]]:
    """The children of ``block`` that ``schema`` does not know, recursively, with their path."""
    unknown: list[tuple[Item, str]] = []
    for child in tf.children(block):
        path = f"{prefix}{child.name}"
        if child.name in meta:
            continue
        if child.kind == "attribute":
            if child.name not in schema.attributes:
                unknown.append((child, path))
            continue
        name = child.labels[0] if child.name == "dynamic" else child.name
        nested = schema.blocks.get(name)
        if nested is None:
            unknown.append((child, f"{prefix}{name}"))
            continue
        if child.name == "dynamic":
            for content in tf.children(child):
                if content.name == "content" and content.kind == "block":
                    unknown += _unknown_names(tf, content, nested, frozenset(), f"{prefix}{name}.")
        else:
            unknown += _unknown_names(tf, child, nested, frozenset(), f"{path}.")
    return unknown


def _import_target(tf: TfFile, item: Item) -> str:
    match = re.search(r"^\s*to\s*=\s*(\S+)", tf.text[item.start : item.end], re.M)
    if not match:
        raise AdaptError(f"{tf.name}: an import block without 'to'")
    return match.group(1)


def _strip_depends_on(
    tf: TfFile,
    item: Item,
    pattern: re.Pattern[str],
    cuts: list[tuple[int, int, str]],
    adaptation: Adaptation,
) -> None:
    """Drop the entries of ``item``'s ``depends_on`` that ``pattern`` names; refuse other uses."""
    for child in tf.children(item) if item.kind == "block" else []:
        if not pattern.search(tf.refs, child.start, child.end):
            continue
        if child.kind == "attribute" and child.name == "depends_on":
            text = child.text(tf.text)
            entries = re.findall(r"[\w.\-\[\]\"]+(?=\s*,|\s*\])", text.split("=", 1)[1])
            kept = [e for e in entries if not pattern.fullmatch(e)]
            dropped = [e for e in entries if pattern.fullmatch(e)]
            indent = text[: len(text) - len(text.lstrip())]
            if kept:
                inner = "".join(f"{indent}  {entry},\n" for entry in kept)
                replacement = f"{indent}depends_on = [\n{inner}{indent}]\n"
            else:
                replacement = ""
            cuts.append((child.start, child.end, replacement))
            adaptation.changes.append(
                f"{tf.name}: {_address(item)}: removed {', '.join(dropped)} from depends_on "
                "(removed above)"
            )
            continue
        raise AdaptError(
            f"{tf.name}: {_address(item)}.{child.name} refers to something the mirror's provider "
            f"lacks ({pattern.search(tf.refs, child.start, child.end)}); the harness only strips "
            "depends_on entries, imports and outputs"
        )


def _pin_version(
    tf: TfFile,
    required: Item,
    version: str,
    cuts: list[tuple[int, int, str]],
    adaptation: Adaptation,
) -> None:
    for entry in tf.children(required):
        text = entry.text(tf.text)
        if entry.name != "aws" or "hashicorp/aws" not in text:
            continue
        match = re.search(r'version\s*=\s*"([^"]*)"', text)
        if match is None or match.group(1) == version:
            return
        new = text[: match.start()] + f'version = "{version}"' + text[match.end() :]
        new = re.sub(r"source(\s*)=", r"source\1=", new)
        cuts.append((entry.start, entry.end, new))
        adaptation.changes.append(
            f'{tf.name}: version constraint of hashicorp/aws "{match.group(1)}" -> "{version}" '
            "(the mirror's provider)"
        )


def _apply_cuts(text: str, cuts: list[tuple[int, int, str]]) -> str:
    # keep only the outermost cut where spans nest (a removed resource's own depends_on)
    chosen: list[tuple[int, int, str]] = []
    for start, end, new in sorted(cuts, key=lambda c: (c[0], -c[1])):
        if chosen and start < chosen[-1][1]:
            continue
        chosen.append((start, end, new))
    for start, end, new in reversed(chosen):
        text = text[:start] + new + text[end:]
    return text
