"""Run a generated module through the real Terraform CLI against a local AWS emulator.

Every other checker reads the generated HCL; this one runs it: ``init`` (offline, from a provider
filesystem mirror), ``validate``, ``plan -detailed-exitcode``, ``show -json`` of the plan,
``apply`` and a second plan. What it needs is not on PyPI: a ``terraform`` binary
(``ORGTRAIL_TERRAFORM``, else ``PATH``) and a mirror holding ``registry.terraform.io/hashicorp/aws``
(``ORGTRAIL_TF_MIRROR``, else the usual places, see :data:`MIRROR_CANDIDATES`). When either is
missing, :func:`find_tools` says which, and the tests skip with that reason.

The mirror may hold an older provider than the module asks for (5.100 here, 6.x generated). So the
module is run from a copy adapted to that provider: its version constraint, and exactly the
resource types, arguments and blocks that provider does not know - read from its own
``terraform providers schema -json``, never from a hand-kept list - plus what pointed at them
(``depends_on`` entries, ``import`` blocks, outputs). Each change is recorded in
:attr:`Adaptation.changes` and printed by the tests; anything else that fails is a real failure.

Use from a test (what tests/support/terraform_suite.py does for the shipped modules)::

    tools = tools_or_skip()
    with Emulator(config_path, tmp_path / "moto.log") as seeded:      # support/aws_emulator.py
        ws = Workspace(tools, provider_schema(tools, tmp_path), tmp_path / "ws",
                       seeded.environment(home_region), seeded.url)
        ws.load(module_dir); ws.init(); ws.apply(ws.plan())
        ws.load(renamed_module_dir); plan = ws.plan()              # against what was applied
        assert "aws_cloudtrail.org" in plan.summary.replaces

Reading HCL: the module is ``terraform fmt``-clean generated text, and removals must leave every
other byte as it was, so :func:`parse_items` finds statement spans (attributes and blocks, with
strings, heredocs and comments masked) instead of re-serialising a parsed tree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .provider_schema import load_subset

PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
)
# Services the generated modules call, each pointed at the emulator.
EMULATED_SERVICES = (
    "athena",
    "cloudtrail",
    "cloudwatch",
    "glue",
    "iam",
    "kms",
    "logs",
    "organizations",
    "s3",
    "sns",
    "sqs",
    "sts",
)
OVERRIDE_FILE = "zz_emulator_override.tf"
EMULATOR_RETRIES = 2
UPSTREAM = "hashicorp/aws 6.66.0 (tests/data/aws-provider-schema-subset.json)"

# Terraform's own arguments and blocks, which no provider schema lists.
_META = {
    "resource": frozenset(
        {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
    ),
    "data": frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"}),
    "provider": frozenset({"alias", "version"}),
}


class TerraformRunError(RuntimeError):
    """A Terraform command failed; the message holds the command, exit code and output."""


class AdaptError(RuntimeError):
    """The module uses something the mirror's provider lacks in a way the harness cannot strip."""


# --- finding terraform and the mirror ----------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """A terraform binary and a provider mirror holding one hashicorp/aws version."""

    terraform: Path
    mirror: Path
    provider_version: str


def find_tools(environ: Mapping[str, str] = os.environ) -> Tools | str:
    """The tools to run modules with, or a sentence naming what is missing (the skip reason)."""
    missing = []
    terraform = environ.get("ORGTRAIL_TERRAFORM") or shutil.which("terraform")
    if not terraform or not Path(terraform).is_file():
        missing.append(
            f"no terraform binary (ORGTRAIL_TERRAFORM={environ.get('ORGTRAIL_TERRAFORM')!r}, "
            "none on PATH)"
        )
    mirror = _find_mirror(environ)
    if isinstance(mirror, str):
        missing.append(mirror)
    if missing:
        return "; ".join(missing) + ": the real-Terraform tests need both (see README)"
    assert terraform is not None and not isinstance(mirror, str)
    root, version = mirror
    return Tools(Path(terraform), root, version)


_TERRAFORM_VERSIONS: dict[Path, str] = {}


def terraform_version(tools: Tools) -> str:
    """The binary's version (``terraform version -json``), asked once per binary; a sentence
    saying why when it cannot be read (the summary prints it, the runs go on)."""
    if tools.terraform not in _TERRAFORM_VERSIONS:
        version = ""
        for _ in range(3):  # once seen: empty output while other Terraform runs were starting
            try:
                done = subprocess.run(
                    [str(tools.terraform), "version", "-json"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                    env={**os.environ, "CHECKPOINT_DISABLE": "1"},
                )
                version = str(json.loads(done.stdout)["terraform_version"])
                break
            except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError) as exc:
                version = f"unknown ({tools.terraform} version -json: {type(exc).__name__})"
        _TERRAFORM_VERSIONS[tools.terraform] = version
    return _TERRAFORM_VERSIONS[tools.terraform]


def tools_or_skip(environ: Mapping[str, str] = os.environ) -> Tools:
    """:func:`find_tools`, or skip the calling test naming what is missing."""
    import pytest

    tools = find_tools(environ)
    if isinstance(tools, str):
        pytest.skip(tools)
    return tools


def _find_mirror(environ: Mapping[str, str]) -> tuple[Path, str] | str:
    """The mirror root and the newest aws provider version it has for linux_amd64."""
    override = environ.get("ORGTRAIL_TF_MIRROR")
    roots = [Path(override)] if override else [Path(p).expanduser() for p in MIRROR_CANDIDATES]
    for root in roots:
        versions = sorted(
            (
                path.parent.name
                for path in root.glob(f"{PROVIDER}/*/linux_amd64")
                if any(path.glob("terraform-provider-aws*"))
            ),
            key=_version_key,
        )
        if versions:
            return root, versions[-1]
    where = f"ORGTRAIL_TF_MIRROR={override}" if override else ", ".join(MIRROR_CANDIDATES)
    return f"no provider mirror holding {PROVIDER}/<version>/linux_amd64 in {where}"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def cli_config(tools: Tools, folder: Path) -> Path:
    """A CLI config installing hashicorp/aws from the mirror only (offline init)."""
    path = folder / "terraform.rc"
    path.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(tools.mirror))}\n"
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    return path


def base_environment(
    tools: Tools, folder: Path, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The environment every terraform command runs in: offline, no AWS config of the user."""
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith(("AWS_", "TF_")) and key != "CHECKPOINT_DISABLE"
    }
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config(tools, folder)),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


# --- the provider's schema ---------------------------------------------------------------------


@dataclass(frozen=True)
class BlockSchema:
    """The names one block of the provider schema knows: arguments and nested block types."""

    attributes: frozenset[str]
    blocks: Mapping[str, BlockSchema]

    @classmethod
    def of(cls, block: Mapping[str, Any]) -> BlockSchema:
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
        if kind == "provider":
            return self.provider
        return (self.resources if kind == "resource" else self.data_sources).get(type_name)


_SCHEMAS: dict[tuple[Path, str], ProviderSchema] = {}
_SCHEMA_LOCK = threading.Lock()


def provider_schema(tools: Tools, workdir: Path) -> ProviderSchema:
    """The mirror provider's schema, read once per process (``providers schema -json``: ≈10 s)."""
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


# --- reading statement spans -------------------------------------------------------------------


@dataclass
class Item:
    """One attribute or block of a body, with its span (whole lines) in the file's text."""

    kind: str  # "attribute" or "block"
    name: str
    labels: tuple[str, ...]
    start: int  # first character of its first line
    end: int  # after the newline that ends it
    body: tuple[int, int] | None = None  # a block's text between its braces

    def text(self, source: str) -> str:
        return source[self.start : self.end]


_HEREDOC_START = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\n")
_ITEM_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LABEL = re.compile(r'"([^"\n]*)"|([A-Za-z_][\w-]*)')


def masks(text: str) -> tuple[str, str]:
    """Two copies of ``text`` of the same length: one with strings, heredocs and comments blanked
    (for structure), one with only comments blanked (for finding references)."""
    code, refs = list(text), list(text)
    for begin, end, kind in _spans(text):
        for buffer in (code, refs) if kind == "comment" else (code,):
            for j in range(begin, end):
                if buffer[j] != "\n":
                    buffer[j] = " "
    return "".join(code), "".join(refs)


def _spans(text: str) -> list[tuple[int, int, str]]:
    """The comments, heredocs and outermost quoted strings of ``text``, in order."""
    spans: list[tuple[int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            spans.append((i, end, "comment"))
            i = end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            spans.append((i, end, "comment"))
            i = end
            continue
        heredoc = _HEREDOC_START.match(text, i) if c == "<" else None
        if heredoc:
            closing = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t]*$", re.M)
            found = closing.search(text, heredoc.end())
            end = n if found is None else found.end()
            spans.append((i, end, "heredoc"))
            i = end
            continue
        if c == '"':
            end = _string_end(text, i)
            spans.append((i, end, "string"))
            i = end
            continue
        i += 1
    return spans


def _string_end(text: str, start: int) -> int:
    """The index after the closing quote of the string opening at ``start``."""
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            depth, i = 0, i + 2
            while i < n:
                if text[i] == '"':
                    i = _string_end(text, i)
                    continue
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    if depth == 0:
                        break
                    depth -= 1
                i += 1
            i += 1
        elif c == '"':
            return i + 1
        else:
            i += 1
    return n


def parse_items(code: str, begin: int = 0, end: int | None = None) -> list[Item]:
    """The attributes and blocks of the body ``code[begin:end]`` (``code`` is the structural
    mask from :func:`masks`)."""
    end = len(code) if end is None else end
    items: list[Item] = []
    i = begin
    while i < end:
        if code[i].isspace():
            i += 1
            continue
        head = _ITEM_HEAD.match(code, i)
        if not head:
            raise AdaptError(f"cannot read the statement at offset {i}: {code[i : i + 40]!r}")
        line_start = code.rfind("\n", 0, i) + 1
        j, depth, body_open = head.end(), 0, -1
        rest = code[j:end].lstrip(" \t")
        is_block = rest.startswith("{")
        body: tuple[int, int] | None = None
        while j < end:
            c = code[j]
            if c in "{[(":
                if depth == 0 and c == "{" and is_block and body_open < 0:
                    body_open = j
                depth += 1
            elif c in "}])":
                depth -= 1
                if depth == 0 and is_block and body is None and c == "}":
                    body = (body_open + 1, j)
            elif c == "\n" and depth == 0:
                break
            j += 1
        stop = min(j + 1, len(code))
        items.append(
            Item("block" if is_block else "attribute", head.group(0), (), line_start, stop, body)
        )
        i = stop
    return items


def _labels(source: str, item: Item) -> tuple[str, ...]:
    """Labels read from the original text (the structural mask blanks quoted labels)."""
    header = source[item.start : (item.body[0] if item.body else item.end)]
    after_name = header.split(item.name, 1)[1]
    return tuple(
        quoted if quoted is not None else bare
        for quoted, bare in (m.groups() for m in _LABEL.finditer(after_name.split("{", 1)[0]))
    )


@dataclass
class TfFile:
    """One file of the module: its text, both masks and top-level statements."""

    name: str
    text: str
    code: str = ""
    refs: str = ""
    items: list[Item] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.code, self.refs = masks(self.text)
        self.items = parse_items(self.code)
        for item in self.items:
            item.labels = _labels(self.text, item)

    def children(self, item: Item) -> list[Item]:
        assert item.body is not None
        found = parse_items(self.code, *item.body)
        for child in found:
            child.labels = _labels(self.text, child)
        return found


# --- adapting a module to the mirror's provider ------------------------------------------------


@dataclass
class Adaptation:
    """What was changed in the copy, one line each (the tests print them), and what went."""

    changes: list[str] = field(default_factory=list)
    removed_addresses: set[str] = field(default_factory=set)
    removed_imports: list[str] = field(default_factory=list)


def adapt_module(
    source: Path, destination: Path, schema: ProviderSchema, tools: Tools
) -> Adaptation:
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
                        _pin_version(tf, child, tools.provider_version, cuts[tf.name], adaptation)

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


# --- the emulator override, running commands ---------------------------------------------------


def provider_aliases(module: Path) -> list[str | None]:
    """Every ``provider "aws"`` block's alias (None for the default one)."""
    aliases: list[str | None] = []
    for path in sorted(module.glob("*.tf")):
        tf = TfFile(path.name, path.read_text(encoding="utf-8"))
        for item in tf.items:
            if item.name == "provider" and item.labels == ("aws",):
                match = re.search(r'^\s*alias\s*=\s*"([^"]+)"', item.text(tf.text), re.M)
                aliases.append(match.group(1) if match else None)
    return aliases


def write_override(module: Path, endpoint: str, has_backend: bool) -> list[str]:
    """Point every provider block at the emulator; a local backend replaces a remote one.

    Credential and account-id validation stay on: ``allowed_account_ids`` is really checked
    against the emulator's GetCallerIdentity. ``max_retries`` is small, so that a call moto
    does not implement (HTTP 500) fails within seconds instead of retrying for minutes, but not
    1: under load the provider's client now and then loses a response of the local server
    ("use of closed network connection", seen on DescribeAlarms), which one retry absorbs.
    Returns one line per change, for the test output.
    """
    services = "".join(f"    {name:<13} = {json.dumps(endpoint)}\n" for name in EMULATED_SERVICES)
    blocks, changes = [], []
    for alias in provider_aliases(module):
        alias_line = f'  alias = "{alias}"\n' if alias else ""
        blocks.append(
            'provider "aws" {\n'
            f"{alias_line}"
            "  s3_use_path_style       = true\n"
            "  skip_metadata_api_check = true\n"
            "  skip_region_validation  = true\n"
            f"  max_retries             = {EMULATOR_RETRIES}\n"
            f"  endpoints {{\n{services}  }}\n"
            "}\n"
        )
        changes.append(f"{OVERRIDE_FILE}: provider aws{'.' + alias if alias else ''} -> {endpoint}")
    if has_backend:
        blocks.append('terraform {\n  backend "local" {}\n}\n')
        changes.append(f"{OVERRIDE_FILE}: the module's remote backend replaced by a local one")
    (module / OVERRIDE_FILE).write_text("\n".join(blocks), encoding="utf-8")
    return changes


@dataclass(frozen=True)
class Result:
    """A finished terraform command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def terraform(
    tools: Tools,
    cwd: Path,
    env: Mapping[str, str],
    *args: str,
    ok: Iterable[int] = (0,),
    timeout: float = 600,
) -> Result:
    """Run one terraform command; raise TerraformRunError unless its exit code is in ``ok``."""
    command = (str(tools.terraform), *args)
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    result = Result(
        tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started
    )
    if done.returncode not in tuple(ok):
        raise TerraformRunError(
            f"terraform {' '.join(args)} in {cwd} exited {done.returncode}:\n"
            f"{done.stderr}\n{done.stdout[-6000:]}"
        )
    return result


# --- the plan, summarised ----------------------------------------------------------------------


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

    def counts(self) -> str:
        return (
            f"{len(self.creates)} to create, {len(self.updates)} to update in place, "
            f"{len(self.replaces)} to replace, {len(self.deletes)} to destroy, "
            f"{len(self.imports)} to import"
        )


# --- a working folder, one module at a time -----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A saved plan: ``plan -detailed-exitcode`` (0 no changes, 2 changes) and its summary."""

    exit_code: int
    summary: PlanSummary
    raw: Mapping[str, Any]
    output: str


class Workspace:
    """One Terraform working folder against one emulator; its state survives :meth:`load`.

    So a test can apply a module, load another version of it (a rename, say) and plan that
    against what exists: ``ws.load(a); ws.init(); ws.apply(ws.plan()); ws.load(b);
    ws.plan()``. Every command's time is added up in :attr:`seconds`, its output in :attr:`log`.
    """

    def __init__(
        self,
        tools: Tools,
        schema: ProviderSchema,
        folder: Path,
        aws_environment: Mapping[str, str],
        endpoint: str,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.tools, self.schema, self.folder, self.endpoint = tools, schema, folder, endpoint
        folder.mkdir(parents=True, exist_ok=True)
        self.env = {**base_environment(tools, folder, environ), **aws_environment}
        self.seconds: dict[str, float] = {}
        self.log: list[str] = []
        self._plans = 0

    def load(self, module: Path) -> Adaptation:
        """Replace the folder's ``*.tf`` by ``module``'s, adapted; the state stays."""
        for old in self.folder.glob("*.tf"):
            old.unlink()
        started = time.monotonic()
        adaptation = adapt_module(module, self.folder, self.schema, self.tools)
        adaptation.changes += write_override(
            self.folder, self.endpoint, has_backend=_has_backend(self.folder)
        )
        self._count("adapt", time.monotonic() - started)
        return adaptation

    def run(self, step: str, *args: str, ok: Iterable[int] = (0,)) -> Result:
        """One terraform command in the folder, timed under ``step`` and logged."""
        result = terraform(self.tools, self.folder, self.env, *args, ok=ok)
        self._count(step, result.seconds)
        self.log.append(
            f"$ terraform {' '.join(args)}  (exit {result.returncode})\n{result.stdout}"
        )
        return result

    def init(self) -> None:
        self.run("init", "init", "-input=false", "-no-color")

    def validate(self) -> None:
        self.run("validate", "validate", "-no-color")

    def plan(
        self,
        *,
        targets: Iterable[str] = (),
        step: str = "plan",
        ok: Iterable[int] = (0, 2),
        show_unchanged: bool = True,
    ) -> Plan:
        """``plan -detailed-exitcode -out``, then ``show -json`` of that plan.

        ``targets`` become ``-target`` options (name them in the test: they leave the rest of
        the module out). A plan that fails raises TerraformRunError with Terraform's message.
        ``show_unchanged=False`` skips ``show`` when the plan has no changes (exit 0): one
        provider start less; the summary is then empty, as the plan is.
        """
        self._plans += 1
        out = f"plan{self._plans}.tfplan"
        planned = self.run(
            step,
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-out={out}",
            *(f"-target={t}" for t in targets),
            ok=ok,
        )
        if planned.returncode == 0 and not show_unchanged:
            return Plan(0, PlanSummary.of({}), {}, planned.stdout)
        raw = json.loads(self.run("show", "show", "-json", out).stdout)
        return Plan(planned.returncode, PlanSummary.of(raw), raw, planned.stdout)

    def apply(self, plan: Plan) -> None:
        """Apply a saved plan (the last one made: Terraform refuses a stale one)."""
        self.run(
            "apply",
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            f"plan{self._plans}.tfplan",
        )

    def _count(self, step: str, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds


# --- one module, start to finish ---------------------------------------------------------------


@dataclass
class ModuleRun:
    """What running one module showed: the adaptation, the plans, timings, the log."""

    name: str
    changes: list[str] = field(default_factory=list)
    removed_imports: list[str] = field(default_factory=list)
    plan: PlanSummary | None = None
    plan_json: Mapping[str, Any] | None = None  # ``show -json`` of the first plan
    plan_exit: int | None = None
    applied: bool = False
    second_plan_exit: int | None = None
    second_plan: PlanSummary | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    failed_step: str | None = None  # the step that raised ``error``
    error: str | None = None

    def reached(self, step: str) -> None:
        """Fail the calling test unless every step up to ``step`` succeeded."""
        order = ["init", "validate", "plan", "apply", "second plan"]
        if self.failed_step is not None and order.index(self.failed_step) <= order.index(step):
            raise AssertionError(f"{self.name}: {self.failed_step} failed:\n{self.error}")

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def report(self) -> str:
        timing = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in self.seconds.items())
        lines = [f"{self.name}: {self.plan.counts() if self.plan else 'no plan'}"]
        if self.failed_step:
            lines.append(f"  FAILED at {self.failed_step} (see the test)")
        if self.applied:
            lines.append(f"  applied; second plan exit {self.second_plan_exit}")
        lines.append(f"  terraform {self.total_seconds:.1f}s ({timing})")
        lines += [f"  adapted: {change}" for change in self.changes]
        return "\n".join(lines)


def run_module(
    tools: Tools,
    schema: ProviderSchema,
    module: Path,
    workdir: Path,
    aws_environment: Mapping[str, str],
    endpoint: str,
    *,
    apply: bool,
    targets: Iterable[str] = (),
    environ: Mapping[str, str] = os.environ,
) -> ModuleRun:
    """init, validate, plan (saved), show -json; with ``apply``, apply it and plan again.

    A failing command stops the run and is recorded (:attr:`ModuleRun.failed_step`, ``error``):
    that is a real failure of the module, since the adaptation to the mirror's provider has
    already been made and recorded; each test checks the steps it needs with ``reached``.
    """
    run = ModuleRun(module.name)
    workspace = Workspace(tools, schema, workdir / module.name, aws_environment, endpoint, environ)
    run.seconds, run.log = workspace.seconds, workspace.log
    adaptation = workspace.load(module)
    run.changes, run.removed_imports = adaptation.changes, adaptation.removed_imports
    try:
        run.failed_step = "init"
        workspace.init()
        run.failed_step = "validate"
        workspace.validate()
        run.failed_step = "plan"
        first = workspace.plan(targets=targets)
        run.plan, run.plan_json, run.plan_exit = first.summary, first.raw, first.exit_code
        if apply:
            run.failed_step = "apply"
            workspace.apply(first)
            run.applied = True
            run.failed_step = "second plan"
            second = workspace.plan(targets=targets, step="second plan", show_unchanged=False)
            run.second_plan_exit, run.second_plan = second.exit_code, second.summary
        run.failed_step = None
    except TerraformRunError as exc:
        run.error = str(exc)
    return run


def _has_backend(module: Path) -> bool:
    for path in module.glob("*.tf"):
        tf = TfFile(path.name, path.read_text(encoding="utf-8"))
        for item in tf.items:
            if (
                item.name == "terraform"
                and item.kind == "block"
                and any(child.name == "backend" for child in tf.children(item))
            ):
                return True
    return False
