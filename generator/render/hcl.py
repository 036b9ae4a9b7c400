r"""The one way a value reaches HCL: Jinja filters that quote, escape or refuse.

Why: generated Terraform must mean exactly what the config says, whatever characters a value
holds. Terraform's quoted strings need ``\\``, ``\"``, control characters escaped and the
template sequences ``${`` / ``%{`` doubled; ``json.dumps`` does not double them and emits
``\\b``/``\\f``, which HCL does not know. Every template prints values only through these.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping

_SIMPLE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The one definition of what a quoted string escapes: backslash, quote, the C0 and C1 control
# characters and the two Unicode line separators (the rest of Unicode passes as it is).
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029]')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SIMPLE.get(char) or f"\\u{ord(char):04x}"


# A literal "${" or "%{" is written as Terraform's own escape, "$${" or "%%{" - the form a
# reviewer knows - wherever python-hcl2 8.1.4 reads that escape right, and as "$\u007b" or
# "%\u007b" everywhere else. Its lexer takes "$${" (and "%%{") as ONE token that runs to the next
# "}" ANYWHERE in the file (ESCAPED_INTERPOLATION /\$\$\{[^}]*\}/): `x = "a$${b"` does not
# parse, and with a "}" further down the file it would swallow the closing quote and what
# follows. So the doubled form is used only when, in the escaped text, the "{" is followed by a
# run of plain characters and then a "}" of the same string: no "{" or "}", no quote or
# backslash (so no escape sequence: a quote, a backslash or a control character in the value
# always reaches the text as one), no "$" or "%" (no nested sequence). That is the usual
# "${account}". An unclosed, nested or quoted sequence - any adversarial value - keeps its "{"
# as the escape \u007b, at which Terraform never starts a template sequence and which
# python-hcl2 reads as a plain character. Both forms mean exactly the literal value, to
# Terraform and to the re-parse (``generator.check.hcl_parse.decode_string``).
_TEMPLATE_START = re.compile(r"[$%]\{")
_PLAIN_RUN_TO_BRACE = re.compile(r'[^{}"\\$%]*\}')


def _template_start(match: re.Match[str]) -> str:
    sign = match.group()[0]
    if _PLAIN_RUN_TO_BRACE.match(match.string, match.end()):
        return sign * 2 + "{"
    return sign + "\\u007b"


def hcl_string(value: object) -> str:
    """A quoted HCL string literal whose value is exactly ``value`` (no interpolation)."""
    if not isinstance(value, str):
        raise TypeError(f"hcl_string expects a str, got {type(value).__name__}")
    body = _NEEDS_ESCAPE.sub(_escape, value)
    return '"' + _TEMPLATE_START.sub(_template_start, body) + '"'


def hcl_bool(value: object) -> str:
    """``true``/``false``; refuses anything that is not a real bool."""
    if not isinstance(value, bool):
        raise TypeError(f"hcl_bool expects a bool, got {type(value).__name__}")
    return "true" if value else "false"


def hcl_number(value: object) -> str:
    """An integer literal; refuses bools and floats so that nothing is silently rounded."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"hcl_number expects an int, got {type(value).__name__}")
    return str(value)


def _refuse_non_lists(values: object, name: str) -> None:
    """A bare string, a mapping or a record (a view is a NamedTuple) is no list of values."""
    if isinstance(values, str | bytes | Mapping) or hasattr(values, "_fields"):
        raise TypeError(f"{name} expects a list of values, got {type(values).__name__}")


def hcl_list(values: Iterable[object]) -> str:
    """A one-line list of quoted strings; refuses a bare string, a mapping or a record."""
    _refuse_non_lists(values, "hcl_list")
    return "[" + ", ".join(hcl_string(value) for value in values) + "]"


def hcl_reference(value: object) -> str:
    """A bare reference such as ``aws_s3_bucket.logs.arn``; refuses anything else."""
    if not isinstance(value, str) or not _REFERENCE.fullmatch(value):
        raise ValueError(f"not a Terraform reference: {value!r}")
    return value


class Ref(str):
    """A Terraform reference such as ``aws_kms_key.x.arn``: printed bare, never quoted."""

    __slots__ = ()


def hcl_value(value: object) -> str:
    """A value that is either a reference (:class:`Ref`, printed bare) or a quoted literal."""
    return hcl_reference(value) if isinstance(value, Ref) else hcl_string(value)


def hcl_values(values: Iterable[object]) -> str:
    """A one-line list of :func:`hcl_value` items: references bare, anything else quoted.

    Why: a list that mixes a created resource's reference with an existing ARN (alarm actions)
    must still get its separators; a template loop that prints the items one by one does not.
    """
    _refuse_non_lists(values, "hcl_values")
    return "[" + ", ".join(hcl_value(value) for value in values) + "]"


def hcl_references(values: Iterable[object]) -> str:
    """A one-line list of bare references, e.g. for ``depends_on``."""
    _refuse_non_lists(values, "hcl_references")
    return "[" + ", ".join(hcl_reference(value) for value in values) + "]"


def hcl_identifier(value: object) -> str:
    """A block label or attribute name that Terraform accepts unquoted."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"not a Terraform identifier: {value!r}")
    return value


def hcl_expression(value: object, indent: int = 0) -> str:
    """A JSON-like value (str, list, dict) as an HCL expression laid out over lines.

    Object keys that are identifiers stay bare, others (``AWS:SourceArn``) are quoted; every
    string goes through :func:`hcl_string`. Lists of strings stay on one line. ``indent`` is
    the column the expression's own closing bracket sits at.
    """
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return hcl_list(value)
        items = "".join(f"{inner}{hcl_expression(item, indent + 2)},\n" for item in value)
        return f"[\n{items}{pad}]"
    if isinstance(value, Mapping):
        lines = []
        for key, item in value.items():
            name = key if _IDENTIFIER.fullmatch(key) else hcl_string(key)
            lines.append(f"{inner}{name} = {hcl_expression(item, indent + 2)}\n")
        return "{\n" + "".join(lines) + pad + "}"
    raise TypeError(f"hcl_expression expects str, list or dict, got {type(value).__name__}")


# Cc holds \n, \r, \x00, \x0b, \x0c, \x1c-\x1e and \x85; Zl/Zp are U+2028/U+2029. Together
# they are every character at which Terraform, python-hcl2 or str.splitlines ends a line.
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def hcl_comment(value: object, width: int | None = None) -> str:
    """Text for a ``#`` comment; with ``width``, wrapped into lines that stay comments.

    Why: a comment ends at the end of its line, so a line break inside a value would turn the
    rest of it into code (a newline in a value once broke the re-parse). Control characters are
    refused rather than escaped: every value that reaches a comment is validated config or
    derived from it, so one here is a defect to fix at its source, not text to print. The
    template writes the first ``# ``; wrapped lines after it start with ``# `` too.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"hcl_comment expects a str or int, got {type(value).__name__}")
    text = str(value)
    for char in text:
        if unicodedata.category(char) in _LINE_BREAKING:
            raise ValueError(
                f"{text!r} reaches a # comment but holds the control character U+{ord(char):04X};"
                " remove it where the value comes from (a comment is one line)"
            )
    if width is None:
        return text
    return "\n# ".join(textwrap.wrap(text, width))


def hcl_map_lines(mapping: Mapping[str, str]) -> list[str]:
    """``"key" = "value"`` lines for a map literal, keys sorted for stable output."""
    return [f"{hcl_string(key)} = {hcl_string(mapping[key])}" for key in sorted(mapping)]


FILTERS = {
    "hcl_string": hcl_string,
    "hcl_bool": hcl_bool,
    "hcl_number": hcl_number,
    "hcl_list": hcl_list,
    "hcl_reference": hcl_reference,
    "hcl_references": hcl_references,
    "hcl_value": hcl_value,
    "hcl_values": hcl_values,
    "hcl_identifier": hcl_identifier,
    "hcl_map_lines": hcl_map_lines,
    "hcl_expression": hcl_expression,
    "hcl_comment": hcl_comment,
}
