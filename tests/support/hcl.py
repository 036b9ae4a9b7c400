"""Read Terraform files in the shape raw python-hcl2 8.1.4 returns, for the test-side checkers.

python-hcl2 8.x keeps source text: labels and strings keep their quotes and escapes
(``'"aws_cloudtrail"'``), a bare expression comes back as ``'${aws_s3_bucket.x.arn}'``, nested
blocks are lists of dicts marked ``"__is_block__": True``, comments sit under ``__comments__``.
The checkers must know which values were literal strings and which were expressions, so they
use this raw form and decode strings here, once, by Terraform's own rules.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from lark.exceptions import UnexpectedInput

Body = dict[str, Any]

_HEREDOC = re.compile(r'^"<<-?[A-Za-z_][A-Za-z0-9_-]*\n')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_TEMPLATE_TOKEN = re.compile(
    r"(?P<literal>\$\$\{|%%\{)"
    r"|\$\{(?P<interpolation>[^}]*)\}"
    r"|(?P<unsupported>\$\{|%\{)"
    r"|\\(?P<escape>[nrt\"\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"
    r"|(?P<bad_escape>\\.?)"
    r"|(?P<text>[^\\$%]+|[$%])",
    re.DOTALL,
)


class HclError(ValueError):
    """A file or value the checkers cannot read; the message names where and why."""


@dataclass(frozen=True)
class Interpolation:
    """A ``${…}`` expression inside a string, or a bare expression; holds the text inside."""

    expression: str


TemplatePart = str | Interpolation


@dataclass(frozen=True)
class LabelledBlock:
    """A top-level block such as ``resource "aws_s3_bucket" "logs" { … }``, labels unquoted."""

    kind: str
    labels: tuple[str, ...]
    body: Body


def tf_files(module_dir: Path) -> list[Path]:
    """Return the module's ``*.tf`` files, sorted; raise when there are none.

    A checker pointed at an empty or mistyped directory would otherwise pass vacuously.
    """
    files = sorted(module_dir.glob("*.tf"))
    if not files:
        raise FileNotFoundError(f"no *.tf files in {module_dir}")
    return files


def parse_tf(path: Path) -> Body:
    """Parse one file with raw ``hcl2.loads``; a syntax error names the file, line and column."""
    try:
        return hcl2.loads(path.read_text(encoding="utf-8"))
    except UnexpectedInput as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise HclError(f"{path.name}:{exc.line}:{exc.column}: {first_line}") from exc


def body_items(body: Body) -> Iterator[tuple[str, Any]]:
    """Yield a body's arguments and nested blocks, leaving out python-hcl2's ``__…__`` keys."""
    for key, value in body.items():
        if not (key.startswith("__") and key.endswith("__")):
            yield key, value


def is_block_list(value: object) -> bool:
    """Tell a nested block (``key { }``, a list of marked dicts) from an argument value."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("__is_block__") is True for item in value)
    )


def labelled_blocks(doc: Body, kind: str, label_count: int) -> Iterator[LabelledBlock]:
    """Yield every top-level ``kind`` block with its ``label_count`` labels decoded."""
    for entry in doc.get(kind, []):
        yield from _unwrap_labels(kind, entry, (), label_count)


def _unwrap_labels(
    kind: str, node: Body, labels: tuple[str, ...], remaining: int
) -> Iterator[LabelledBlock]:
    """Descend one dict level per label: python-hcl2 nests ``{label: {label: body}}``."""
    if remaining == 0:
        yield LabelledBlock(kind, labels, node)
        return
    for label, inner in body_items(node):
        yield from _unwrap_labels(kind, inner, (*labels, unquote(label)), remaining - 1)


def unquote(label: str) -> str:
    """Decode a block label; labels are quoted strings (or, rarely, bare identifiers)."""
    if not label.startswith('"'):
        return label
    return literal_string(label)


def literal_string(raw: object) -> str:
    """Decode a raw value that must be a plain quoted string, without any interpolation."""
    parts = template_parts(raw)
    if any(isinstance(part, Interpolation) for part in parts):
        raise HclError(f"expected a literal string, got {raw!r}")
    return "".join(str(part) for part in parts)


def template_parts(raw: object) -> list[TemplatePart]:
    """Split a raw python-hcl2 value into decoded text and ``${…}`` interpolations.

    A quoted string is decoded by Terraform's rules (``\\n \\r \\t \\" \\\\ \\uNNNN
    \\UNNNNNNNN``, ``$${`` → ``${``, ``%%{`` → ``%{``); a bare expression (``${…}`` without
    quotes) becomes one Interpolation. Heredocs and ``%{…}`` directives are refused, not guessed.
    """
    if not isinstance(raw, str):
        raise HclError(f"expected a string, got {raw!r}")
    if _HEREDOC.match(raw):
        raise HclError(f"heredoc strings are not supported here: {raw[:40]!r}")
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return _merge_text(_template_tokens(raw[1:-1]))
    if raw.startswith("${") and raw.endswith("}"):
        return [Interpolation(raw[2:-1])]
    raise HclError(f"not a string or expression: {raw!r}")


def _template_tokens(inner: str) -> Iterator[TemplatePart]:
    """Decode the inside of a quoted string token by token."""
    for match in _TEMPLATE_TOKEN.finditer(inner):
        kind = match.lastgroup
        if kind == "literal":
            yield match.group()[1:]
        elif kind == "interpolation":
            yield Interpolation(match.group("interpolation").strip())
        elif kind == "escape":
            yield _decode_escape(match.group("escape"))
        elif kind == "text":
            yield match.group()
        else:
            raise HclError(f"cannot decode {match.group()!r} in {inner!r}")


def _decode_escape(escape: str) -> str:
    """Turn the part after a backslash into its character."""
    if escape[0] in "uU":
        return chr(int(escape[1:], 16))
    return _ESCAPES[escape]


def _merge_text(tokens: Iterator[TemplatePart]) -> list[TemplatePart]:
    """Join adjacent text pieces so ``"a\\tb"`` comes back as one string."""
    parts: list[TemplatePart] = []
    for token in tokens:
        if isinstance(token, str) and parts and isinstance(parts[-1], str):
            parts[-1] += token
        else:
            parts.append(token)
    return parts
