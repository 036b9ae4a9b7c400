"""Check argument and block names in a module against the AWS provider schema.

Terraform's loader (terraform.py) does not know provider schemas and ``terraform validate``
cannot run offline, so a misspelt argument, a missing required one, or ``key { }`` written for
``key = …`` would only fail at plan time. This checker reads the committed subset of the
hashicorp/aws 6.66.0 schema (see regen_provider_schema_subset.py), which ships with the product
as ``generator/rehearse/aws-provider-schema-subset.json`` (``rehearse`` reads it to tell an
argument an older provider lacks from a misspelt one), and walks every ``resource``, ``data``
and ``provider`` block as raw python-hcl2 returns it.
"""

from pathlib import Path
from typing import Any

from generator.rehearse.adapt import SUBSET_PATH, load_subset

from .hcl import (
    Body,
    HclError,
    LabelledBlock,
    body_items,
    is_block_list,
    labelled_blocks,
    parse_tf,
    tf_files,
    unquote,
)

REGENERATE = "python tests/support/regen_provider_schema_subset.py"

# Terraform's own arguments and blocks, which no provider schema lists. ``dynamic`` is handled
# separately: it stands for the block named by its label.
_META = {
    "resource": frozenset(
        {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
    ),
    "data": frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"}),
    "provider": frozenset(),
}
_LABELS = {"resource": 2, "data": 2, "provider": 1}

Schema = dict[str, Any]


def schema_violations(module_dir: Path) -> list[str]:
    """Return every schema violation in the module's ``*.tf`` files; ``[]`` when none.

    Messages read like ``main.tf: resource aws_x.name: unknown argument "foo"``. A file
    python-hcl2 cannot parse is reported as a violation, not skipped.
    """
    problems: list[str] = []
    for path in tf_files(module_dir):
        try:
            doc = parse_tf(path)
        except HclError as exc:
            problems.append(f"cannot parse {exc}")
            continue
        for kind, label_count in _LABELS.items():
            for block in labelled_blocks(doc, kind, label_count):
                problems += _check_top_block(path.name, block)
    return problems


def _check_top_block(file_name: str, block: LabelledBlock) -> list[str]:
    """Check one resource, data or provider block against its type's schema."""
    schema_key, address = _schema_key_and_address(block)
    where = f"{file_name}: {block.kind} {address}"
    schema = load_subset().get(schema_key)
    if schema is None:
        return [
            f"{where}: type {schema_key} not in generator/rehearse/{SUBSET_PATH.name} — add it to "
            f"TYPES and regenerate with {REGENERATE}"
        ]
    return _check_body(block.body, schema, where, _META[block.kind])


def _schema_key_and_address(block: LabelledBlock) -> tuple[str, str]:
    """Map a block to its key in the schema file and its Terraform address."""
    if block.kind == "provider":
        return f"provider.{block.labels[0]}", block.labels[0]
    type_name, name = block.labels
    prefix = "data." if block.kind == "data" else ""
    return f"{prefix}{type_name}", f"{type_name}.{name}"


def _check_body(body: Body, schema: Schema, where: str, meta: frozenset[str]) -> list[str]:
    """Check the names in one block body, then that the required ones are present."""
    problems: list[str] = []
    present: set[str] = set()
    for key, value in body_items(body):
        if key in meta:
            continue
        if key == "dynamic":
            problems += _check_dynamic(value, schema, where, present)
            continue
        present.add(key)
        problems += _check_item(key, value, schema, where)
    return problems + _missing_required(schema, present, where)


def _check_item(key: str, value: object, schema: Schema, where: str) -> list[str]:
    """Check one ``key = value`` or ``key { }`` against the schema, form included."""
    if not is_block_list(value):
        if key in schema["attributes"]:
            return []
        if key in schema["blocks"]:
            return [f'{where}: "{key}" is a block: write {key} {{ … }}, not {key} = …']
        return [f'{where}: unknown argument "{key}"']
    if key in schema["blocks"]:
        return _check_nested(key, value, schema["blocks"][key], where)
    if key in schema["attributes"]:
        return [f'{where}: "{key}" is an argument: write {key} = …, not {key} {{ … }}']
    return [f'{where}: unknown block "{key}"']


def _check_nested(key: str, bodies: list[Body], block_schema: Schema, where: str) -> list[str]:
    """Check each occurrence of a nested block; a ``single`` block may appear only once."""
    problems: list[str] = []
    if block_schema.get("nesting") == "single" and len(bodies) > 1:
        problems.append(f'{where}: block "{key}" may appear only once, found {len(bodies)}')
    for body in bodies:
        problems += _check_body(body, block_schema, f"{where}: {key}", frozenset())
    return problems


def _check_dynamic(value: object, schema: Schema, where: str, present: set[str]) -> list[str]:
    """Check ``dynamic "label" { content { … } }`` as the nested block its label names.

    python-hcl2 returns ``[{'"label"': body}]``: the label dict carries no block marker.
    """
    if not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
        return [f'{where}: "dynamic" must be a block with a label']
    problems: list[str] = []
    for dynamic in value:
        for label, dynamic_body in body_items(dynamic):
            name = unquote(label)
            present.add(name)
            problems += _check_dynamic_content(name, dynamic_body, schema, where)
    return problems


def _check_dynamic_content(name: str, body: Body, schema: Schema, where: str) -> list[str]:
    """Resolve a dynamic block's label and check its ``content`` body against that block."""
    if name not in schema["blocks"]:
        return [f'{where}: dynamic "{name}" names no block of this type']
    content = body.get("content")
    if not is_block_list(content):
        return [f'{where}: dynamic "{name}" has no content block']
    return _check_nested(name, content, schema["blocks"][name], f"{where}: dynamic")


def _missing_required(schema: Schema, present: set[str], where: str) -> list[str]:
    """Name each required argument or block that the body leaves out."""
    return [
        f'{where}: missing required {"block" if name in schema["blocks"] else "argument"} "{name}"'
        for name in schema["required"]
        if name not in present
    ]
