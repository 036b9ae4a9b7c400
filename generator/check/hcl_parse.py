"""Re-parse generated Terraform with python-hcl2 and give it one normalised shape.

Why: every run proves its own output parses before anything is written, and the preflight
checks read what was *generated*, not what we meant to generate. python-hcl2 8.x keeps quotes
on strings and labels and marks blocks with ``__is_block__``; this module is the only place
that knows that shape.

python-hcl2 compiles its grammar on first use (about 2 s) and would cache it inside its own
package folder, which is read-only in a system or container install. We build the same grammar
ourselves and cache it in the user's cache folder, so only the first run ever pays.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

from generator.core.cache import read_json, write_json
from generator.core.errors import PreflightError
from generator.core.paths import cache_dir

_UNICODE = {"u": 4, "U": 8}
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_EXPRESSION = re.compile(r"^\$\{(?P<body>.*)\}$", re.S)


@cache
def _parser() -> Any:
    """python-hcl2's grammar and post-lexer, built without position tracking.

    Nothing here reads positions (a syntax error carries its own line and column), and
    skipping them makes parsing about a third faster. The compiled grammar is cached in the
    user's cache folder, so a read-only installation builds it only once.
    """
    from hcl2 import parser as hcl2_parser
    from hcl2.postlexer import PostLexer
    from lark import Lark

    tag = f"hcl2-{version('python-hcl2')}-lark-{version('lark')}-nopos"
    target = cache_dir() / f"{tag}.grammar.bin"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        cache_file: str | bool = str(target)
    except OSError:  # no writable home: build in memory every time rather than fail
        cache_file = False
    return Lark.open(
        "hcl2.lark",
        parser="lalr",
        cache=cache_file,
        rel_to=hcl2_parser.__file__,
        propagate_positions=False,
        postlex=PostLexer(),
    )


_PARSE_CACHE_LIMIT = 2000  # files; past it the older half is dropped
# Part of the parse cache's folder name: raise it whenever _parse_uncached's shape of a result
# changes (its transform or serialization options), so that an entry written by another
# orgtrail-gen build is never read as this one's.
_PARSE_FORMAT = 2


@cache
def _parse_cache_dir() -> Path | None:
    """Where parse results are kept, keyed by the exact text and the parser's versions."""
    tag = f"parsed-hcl2-{version('python-hcl2')}-lark-{version('lark')}-v{_PARSE_FORMAT}"
    folder = cache_dir() / tag
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def parse_text(text: str, file: str) -> dict[str, Any]:
    """Parse one file into python-hcl2's dict shape; a syntax error becomes a PreflightError.

    The parser is deterministic, so the result for a given text (and python-hcl2 and lark
    versions) is kept in the user's cache folder: the same module re-checked - a re-run, a
    ``check`` in CI - costs a file read instead of a parse. Only successful parses are kept.
    """
    folder = _parse_cache_dir()
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if folder is not None:
        cached = read_json(folder / f"{key}.json")
        if isinstance(cached, dict):
            return cached
    data = _parse_uncached(text, file)
    if folder is not None:
        _store(folder, key, data)
    return data


def _store(folder: Path, key: str, data: dict[str, Any]) -> None:
    """Write one parse result atomically; keep the folder bounded. Failures only cost speed."""
    if not write_json(folder / f"{key}.json", data):
        return
    try:
        entries = list(folder.glob("*.json"))
        if len(entries) > _PARSE_CACHE_LIMIT:
            entries.sort(key=lambda path: path.stat().st_mtime)
            for old in entries[: len(entries) // 2]:
                old.unlink(missing_ok=True)
    except OSError:
        return


def _parse_uncached(text: str, file: str) -> dict[str, Any]:
    from hcl2.api import serialize, transform
    from hcl2.utils import SerializationOptions
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        tree = transform(_parser().parse(text + "\n"), discard_comments=True)
        data = serialize(tree, serialization_options=SerializationOptions(with_comments=False))
    except UnexpectedInput as exc:
        raise PreflightError(
            f"{file}:{exc.line}:{exc.column}: generated HCL does not parse - this is a bug in "
            f"orgtrail-gen, please report it with your config ({type(exc).__name__})"
        ) from exc
    except LarkError as exc:
        raise PreflightError(f"{file}: generated HCL does not parse: {exc}") from exc
    return dict(data)


def decode_string(raw: str) -> str:
    """The value of a quoted HCL string as python-hcl2 returns it (quotes and escapes included).

    ``$${`` and ``%%{`` become the literal ``${`` and ``%{`` they stand for.
    """
    if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
        raise ValueError(f"not a quoted string: {raw!r}")
    body, out, i = raw[1:-1], [], 0
    if "\\" not in body and "$${" not in body and "%%{" not in body:
        return body  # nothing to decode: most strings of a module
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            marker = body[i + 1]
            if marker in _SIMPLE:
                out.append(_SIMPLE[marker])
                i += 2
                continue
            if marker in _UNICODE:
                width = _UNICODE[marker]
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
        if body.startswith(("$${", "%%{"), i):
            out.append(body[i] + "{")
            i += 3
            continue
        out.append(char)
        i += 1
    return "".join(out)


def has_interpolation(raw: str) -> bool:
    """Whether a quoted HCL string contains a live ``${...}`` or ``%{...}`` sequence."""
    if "${" not in raw and "%{" not in raw:
        return False
    i = 0
    while i < len(raw) - 1:
        if raw.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if raw.startswith(("${", "%{"), i):
            return True
        i += 2 if raw[i] == "\\" else 1
    return False


def literal(value: Any) -> str | None:
    """A string attribute's literal value, or None if it is an expression or a template."""
    if isinstance(value, str) and value.startswith('"') and not has_interpolation(value):
        return decode_string(value)
    return None


def template_source(value: Any) -> str | None:
    """The source text between the quotes of a string that may hold interpolations."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return None


def expression(value: Any) -> str | None:
    """A bare expression's text (``aws_s3_bucket.logs.id``), or None for anything else."""
    if isinstance(value, str) and not value.startswith('"'):
        match = _EXPRESSION.match(value)
        return match["body"] if match else value
    return None


def literals(value: Any) -> list[str]:
    """The literal strings of a list attribute (non-literals are skipped)."""
    if not isinstance(value, list):
        return []
    return [text for item in value if (text := literal(item)) is not None]


def nested(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The nested blocks called ``name`` in a block body."""
    items = body.get(name, [])
    return [item for item in items if isinstance(item, dict) and item.get("__is_block__")]


class Block(NamedTuple):
    """One top-level block: its kind, unquoted labels, raw body, and the file it came from."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        """Terraform address: ``aws_x.name``, ``data.aws_x.name``, or ``kind.labels``."""
        if self.kind == "resource":
            return ".".join(self.labels)
        return ".".join((self.kind, *self.labels))


def _unquote(label: str) -> str:
    return label[1:-1] if label.startswith('"') and label.endswith('"') else label


def _blocks_of(kind: str, entries: list[Any], file: str) -> Iterator[Block]:
    for entry in entries:
        if kind in ("resource", "data"):
            for type_label, named in entry.items():
                for name_label, body in named.items():
                    yield Block(kind, (_unquote(type_label), _unquote(name_label)), body, file)
        elif kind in ("provider", "output", "variable", "module"):
            for label, body in entry.items():
                yield Block(kind, (_unquote(label),), body, file)
        else:
            yield Block(kind, (), entry, file)


class ParsedModule(NamedTuple):
    """All blocks of a generated module, across its files."""

    blocks: tuple[Block, ...]

    @classmethod
    def parse(cls, files: dict[str, str]) -> ParsedModule:
        """Parse every file; any syntax error is a PreflightError naming the file and line."""
        blocks: list[Block] = []
        for name, text in files.items():
            for kind, entries in parse_text(text, name).items():
                if isinstance(entries, list):
                    blocks.extend(_blocks_of(kind, entries, name))
        return cls(tuple(blocks))

    def get(self, address: str) -> Block | None:
        """The block at ``address`` (``aws_x.y`` or ``data.aws_x.y``), or None."""
        return next((block for block in self.blocks if block.address == address), None)

    def of_type(self, kind: str, type_label: str) -> list[Block]:
        """Every ``resource``/``data`` block of one type."""
        return [b for b in self.blocks if b.kind == kind and b.labels[:1] == (type_label,)]

    def all(self, kind: str) -> list[Block]:
        """Every block of one kind (``provider``, ``import``, ...)."""
        return [block for block in self.blocks if block.kind == kind]

    def resolve(self, value: Any, attribute: str) -> Block | None:
        """The block an expression like ``data.aws_x.y.json`` points at (by ``attribute``)."""
        text = expression(value)
        if text is None or not text.endswith(f".{attribute}"):
            return None
        return self.get(text.removesuffix(f".{attribute}"))
