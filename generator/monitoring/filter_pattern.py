"""CloudWatch Logs JSON filter patterns: a grammar and a parser.

Why: a metric filter that never fires looks exactly like a quiet organization. CIS has
published patterns that match almost every event (v1.4-3.0 4.1), patterns that are not valid
syntax (v4.0/v5.0 4.6), and patterns whose grouping silently differs from what their authors
meant (v3.0+ 4.13). So every pattern orgtrail-gen emits is parsed with this grammar and run
against realistic CloudTrail records in the tests, before AWS ever sees it.

Only the JSON form (``{ ... }``) is supported: it is the only form that makes sense for
CloudTrail records. What AWS documents, and what this module and the tests' evaluator
(``tests/support/filter_matching.py``) do
(CloudWatch Logs User Guide, "Filter pattern syntax for metric filters, subscription filters,
filter log events, and Live Tail", section "Match terms in JSON log events",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html; the
2022 text is in github.com/awsdocs/amazon-cloudwatch-logs-user-guide,
doc_source/FilterAndPatternSyntax.md):

* **Precedence**: "Compound expressions support the use of parentheses ("()") and the
  following standard order of operations: () > && > ||". So ``&&`` binds tighter than
  ``||``; it is *not* left to right. AWS's own example proves it:
  ``{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" &&
  $.actions[2] = "nonmatch" }`` matches its sample event, which it could not do left to right.
* **Selectors** start with ``$.``; property names are letters, digits, ``-`` and ``_``;
  ``[N]`` indexes an array and must follow a property (``$.coordinates[0][1]`` is AWS's
  example). ``[*]`` is not documented and is refused.
* **Value nodes**: "If a property selector points to an array or object, the metric filter
  won't match" - for ``=`` and ``!=`` alike. We treat ``null`` and booleans the same way
  (they have ``IS NULL`` / ``IS TRUE`` / ``IS FALSE``), and a missing property too:
  ``$.x != "a"`` does **not** match an event without ``x``. AWS does not say so in one
  sentence, but its example ``{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }``
  "increments the metric whenever a JSON log event contains the properties eventType and
  sourceIPAddress", and the console's pattern test confirms it (DataBiosphere/azul#5884:
  ``$.userIdentity.invokedBy != "cloudfront.amazonaws.com"`` does not match a record
  without ``invokedBy``). Use ``NOT EXISTS`` to match absence.
* **Strings** are case sensitive and exact. They may be unquoted when they consist of
  letters, digits and ``_`` (AWS's rule); AWS's own examples also leave ``.``, ``-``, ``+``
  and ``*`` unquoted (``123.123.*``, ``kms.amazonaws.com``), so we accept those too and
  nothing else: an unquoted value ends at whitespace, which is why the CIS v4.0/v5.0 4.6
  pattern ``$.errorMessage = Failed authentication`` is a syntax error here.
* **Wildcards**: ``*`` "matches any text at, before, or after a search term": a leading
  ``*`` (suffix match), a trailing ``*`` (prefix match), both (substring), or ``*`` alone
  (any string or number). AWS's 2020 text adds that ``Ev*ent`` "will only match the actual
  string Ev*ent", so a ``*`` inside a value is a literal character. Quoted values take
  wildcards too (Security Hub's ``"*UnauthorizedOperation"``).
* **Numbers**: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` with an optional sign, a
  decimal point and an exponent (``10e-3``). ``<``-style operators need a number on both
  sides. ``=``/``!=`` with an unquoted number compare numerically against a JSON number and
  textually against a JSON string (AWS's example "the recipientAccountId is 123456789012"
  compares a CloudTrail string field with an unquoted number).
* ``IS NULL``, ``IS TRUE``, ``IS FALSE`` and ``NOT EXISTS`` are supported; "The variables
  IS NOT and EXISTS currently aren't supported", so they are syntax errors.
* **Length**: botocore's ``FilterPattern`` shape allows at most 1024 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeAlias

MAX_PATTERN_LENGTH = 1024  # botocore logs model, shape FilterPattern

_GRAMMAR = r"""
?start: "{" or_expr "}"
?or_expr: and_expr ("||" and_expr)*
?and_expr: _atom ("&&" _atom)*
_atom: "(" or_expr ")"
     | comparison
     | is_check
     | not_exists
comparison: SELECTOR OP (STRING | VALUE)
is_check: SELECTOR "IS" IS_KIND
not_exists: SELECTOR "NOT" "EXISTS"

OP: "!=" | "<=" | ">=" | "=" | "<" | ">"
IS_KIND: "NULL" | "TRUE" | "FALSE"
SELECTOR: /\$(\.[A-Za-z0-9_-]+(\[[0-9]+\])*)+/
STRING: /"[^"\\\r\n]*"/
VALUE: /[A-Za-z0-9_.*+-]+/

%import common.WS
%ignore WS
"""

# What the user is told instead of Lark's terminal names.
_DESCRIBE = {
    "SELECTOR": "a selector such as $.eventName",
    "STRING": "a quoted value",
    "VALUE": "an unquoted value",
    "OP": "an operator (=, !=, <, <=, >, >=)",
    "IS_KIND": "NULL, TRUE or FALSE",
    "$END": "the end of the pattern",
}

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UNQUOTED_CHAR = re.compile(r"[A-Za-z0-9_.*+-]")
_SEGMENT = re.compile(r"\.([A-Za-z0-9_-]+)|\[([0-9]+)\]")

Operator: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]
IsKind: TypeAlias = Literal["NULL", "TRUE", "FALSE"]


class FilterPatternError(ValueError):
    """A pattern CloudWatch Logs would refuse (or that we cannot vouch for).

    A ``ValueError`` so that a pydantic validator can raise it as is and the config loader
    reports it against the key that holds the pattern.
    """

    def __init__(self, column: int, message: str) -> None:
        self.column = column
        self.message = message
        super().__init__(f"column {column}: {message}")


@dataclass(frozen=True)
class Selector:
    """A property path such as ``$.userIdentity.sessionContext.attributes`` or ``$.a[0].b``."""

    text: str
    path: tuple[str | int, ...]


@dataclass(frozen=True)
class Value:
    """The right-hand side of a comparison, as written."""

    text: str
    quoted: bool

    @property
    def number(self) -> float | None:
        """The numeric value of an unquoted number, else None (a quoted "400" is a string)."""
        if self.quoted or not _NUMBER.fullmatch(self.text):
            return None
        return float(self.text)


@dataclass(frozen=True)
class Comparison:
    """``selector OP value``."""

    selector: Selector
    op: Operator
    value: Value


@dataclass(frozen=True)
class IsCheck:
    """``selector IS NULL|TRUE|FALSE``."""

    selector: Selector
    kind: IsKind


@dataclass(frozen=True)
class NotExists:
    """``selector NOT EXISTS``."""

    selector: Selector


@dataclass(frozen=True)
class AllOf:
    """``a && b && ...``."""

    terms: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """``a || b || ...``."""

    terms: tuple[Node, ...]


Node: TypeAlias = Comparison | IsCheck | NotExists | AllOf | AnyOf


@dataclass(frozen=True)
class Pattern:
    """A parsed JSON filter pattern; :func:`parse` is the only way to build one."""

    text: str
    root: Node

    def fields(self) -> set[str]:
        """The selectors the pattern reads, as written (``{"$.eventName", ...}``)."""
        found: set[str] = set()
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, AllOf | AnyOf):
                stack.extend(node.terms)
            else:
                found.add(node.selector.text)
        return found


def parse(pattern: str) -> Pattern:
    """Parse a JSON filter pattern, or raise :class:`FilterPatternError` with its column.

    Columns are 1-based character offsets into ``pattern``.
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    if len(pattern) > MAX_PATTERN_LENGTH:
        raise FilterPatternError(
            MAX_PATTERN_LENGTH + 1,
            f"the pattern is {len(pattern)} characters long; CloudWatch Logs accepts at most"
            f" {MAX_PATTERN_LENGTH}",
        )
    try:
        tree = _parser().parse(pattern)
    except UnexpectedToken as exc:
        raise _token_error(pattern, exc) from None
    except UnexpectedCharacters as exc:
        raise _character_error(pattern, exc) from None
    except UnexpectedInput:  # pragma: no cover - LALR raises only the two above
        raise FilterPatternError(len(pattern) + 1, "unexpected end of the pattern") from None
    return Pattern(text=pattern, root=_build(tree))


@cache
def _parser() -> Any:
    """The LALR parser, built on first use and only when a pattern must be parsed.

    Building it costs about 20 ms, loading Lark's analysis from the cache folder about 1 ms
    (Lark keys the file by a hash of grammar, options and versions, so it never goes stale);
    a config with custom filters pays that on every run, so the analysis is kept.
    """
    from lark import Lark

    from generator.core.paths import cache_dir

    target = cache_dir() / "filter-pattern.lark"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        cache_file: str | bool = str(target)
    except OSError:  # no writable cache folder: build in memory every time rather than fail
        cache_file = False
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", cache=cache_file)


def _build(tree: Any) -> Node:
    """Turn Lark's tree into the frozen AST, checking what the grammar cannot express."""
    kind = tree.data
    if kind in ("or_expr", "and_expr"):
        terms = tuple(_build(child) for child in tree.children)
        return AnyOf(terms) if kind == "or_expr" else AllOf(terms)
    selector = _selector(tree.children[0])
    if kind == "is_check":
        return IsCheck(selector, tree.children[1].value)
    if kind == "not_exists":
        return NotExists(selector)
    op_token, value_token = tree.children[1], tree.children[2]
    quoted = value_token.type == "STRING"
    value = Value(value_token.value[1:-1] if quoted else value_token.value, quoted)
    if op_token.value in ("<", "<=", ">", ">=") and value.number is None:
        raise FilterPatternError(
            value_token.start_pos + 1,
            f"expected a number after {op_token.value!r}, found {value_token.value!r}:"
            " '<', '<=', '>' and '>=' compare numbers only",
        )
    return Comparison(selector, op_token.value, value)


def _selector(token: Any) -> Selector:
    steps: list[str | int] = []
    for match in _SEGMENT.finditer(token.value, 1):
        name, index = match.groups()
        steps.append(name if name is not None else int(index))
    return Selector(token.value, tuple(steps))


def _describe(names: set[str]) -> str:
    terminals = {t.name: t for t in _parser().terminals}
    words = set()
    for name in names:
        if name in _DESCRIBE:
            words.add(_DESCRIBE[name])
        elif name in terminals and terminals[name].pattern.type == "str":
            words.add(repr(terminals[name].pattern.value))
        else:  # pragma: no cover - every terminal is covered above
            words.add(name)
    ordered = sorted(words)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _token_error(pattern: str, exc: Any) -> FilterPatternError:
    token = exc.token
    expected = set(exc.accepts or exc.expected)
    if token.type == "$END":
        return FilterPatternError(
            len(pattern) + 1, f"expected {_describe(expected)}, found the end of the pattern"
        )
    message = f"expected {_describe(expected)}, found {token.value!r}"
    before = pattern[: token.start_pos].rstrip()
    if not before:
        message += " (only JSON filter patterns, { ... }, are supported)"
    elif token.value in ("NOT", "EXISTS"):
        message += " (CloudWatch Logs supports NOT EXISTS, but not IS NOT or EXISTS)"
    elif token.type == "VALUE" and "$END" not in expected and _UNQUOTED_CHAR.match(before[-1]):
        message += " (a value that contains spaces must be in double quotes)"
    return FilterPatternError(token.start_pos + 1, message)


def _character_error(pattern: str, exc: Any) -> FilterPatternError:
    allowed = set(exc.allowed or ())
    found = pattern[exc.pos_in_stream]
    message = f"expected {_describe(allowed)}, found {found!r}" if allowed else f"found {found!r}"
    if found == '"':
        message += " (a quoted value must be closed and cannot contain '\\' or a line break)"
    elif found == "%":
        message += " (regular expressions, %...%, are not supported here)"
    elif found == "[":
        message += " (an array index is [N] with a number; [*] is not supported)"
    elif found == "$":
        message += " (a selector is $. followed by names of A-Z a-z 0-9 _ - and [N] indexes)"
    elif allowed & {"VALUE", "STRING"} or (
        exc.pos_in_stream > 0 and _UNQUOTED_CHAR.match(pattern[exc.pos_in_stream - 1])
    ):
        message += " (unquoted values may contain only A-Z a-z 0-9 _ . - + *; quote anything else)"
    return FilterPatternError(exc.pos_in_stream + 1, message)
