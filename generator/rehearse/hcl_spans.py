"""Statement spans of Terraform files, for changing a module without re-serialising it.

Why not a parser: the module is ``terraform fmt``-clean generated text, and an adaptation must
leave every byte it does not remove as it was (so that what Terraform runs is what the user
applies, minus what is named). :func:`parse_items` finds the attributes and blocks of a body,
with strings, heredocs and comments masked (:func:`masks`), and :class:`TfFile` holds a file's
top-level statements with their labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class AdaptError(RuntimeError):
    """A module the harness cannot read or adapt without changing what it means."""


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
        """The item's whole lines in ``source``."""
        return source[self.start : self.end]


_HEREDOC_START = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\n")
_ITEM_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LABEL = re.compile(r'"([^"\n]*)"|([A-Za-z_][\w-]*)')


def masks(text: str) -> tuple[str, str]:
    """Two copies of ``text`` of the same length, for structure and for references.

    The first has strings, heredocs and comments blanked (for structure), the second only
    comments (for finding references).
    """
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
    """The attributes and blocks of the body ``code[begin:end]``.

    ``code`` is the structural mask from :func:`masks`.
    """
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
        """The attributes and blocks of a block's body, with their labels."""
        assert item.body is not None
        found = parse_items(self.code, *item.body)
        for child in found:
            child.labels = _labels(self.text, child)
        return found
