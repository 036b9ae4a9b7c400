"""The YAML pieces discover's writers share: a scalar, a wrapped flow list, a comment.

Why a module of its own: both writers (:mod:`generator.aws.config_yaml` for a trail of this
module's own, :mod:`generator.aws.companion_yaml` beside someone else's) write values read from
AWS into hand-formatted YAML, and must quote and wrap them the same way; neither may import the
other (the first dispatches to the second).
"""

from __future__ import annotations

import json
import re
import textwrap

_PLAIN = re.compile(r"^[A-Za-z/][A-Za-z0-9._/-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def scalar(value: str) -> str:
    """A YAML scalar for ``value``: plain when unambiguous, else a JSON (YAML) quoted string."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


def flow_list(lead: str, items: list[str], width: int = 100) -> list[str]:
    """``lead[a, b, ...]`` wrapped under its opening bracket, so long region lists stay readable."""
    lines, current = [], f"{lead}["
    for i, item in enumerate(items):
        piece = item + ("]" if i == len(items) - 1 else ",")
        if len(current) + len(piece) + 1 > width and not current.endswith("["):
            lines.append(current)
            current = " " * (len(lead) + 1) + piece
        else:
            current += ("" if current.endswith("[") else " ") + piece
    return [*lines, current]


def comment(text: str, indent: str = "  ") -> list[str]:
    """``text`` as comment lines; anything read from AWS is reduced to printable ASCII."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in text)
    return textwrap.wrap(
        clean, 100, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   ",
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
