"""Run a parsed CloudWatch Logs JSON filter pattern against a decoded event, as AWS would.

Why here: the product only parses patterns (to refuse what CloudWatch Logs would refuse); the
tests run every emitted pattern against realistic CloudTrail records, so the matching half of
the evaluator lives with them. The semantics it follows (value nodes, wildcards, numbers,
missing properties) are the ones documented, with sources, in
:mod:`generator.monitoring.filter_pattern`.
"""

from collections.abc import Mapping
from typing import Any

from generator.monitoring.filter_pattern import (
    AllOf,
    AnyOf,
    IsCheck,
    Node,
    NotExists,
    Pattern,
    Selector,
    Value,
)


def matches(pattern: Pattern, event: Mapping[str, Any]) -> bool:
    """Whether CloudWatch Logs would count ``event`` (a decoded JSON log event)."""
    return _evaluate(pattern.root, event)


def resolve(selector: Selector, event: Mapping[str, Any]) -> tuple[bool, Any]:
    """``(True, value)`` if the selector's path exists in ``event``, else ``(False, None)``."""
    node: Any = event
    for step in selector.path:
        if isinstance(step, str):
            if not isinstance(node, Mapping) or step not in node:
                return False, None
            node = node[step]
        else:
            if not isinstance(node, list) or step >= len(node):
                return False, None
            node = node[step]
    return True, node


def _evaluate(node: Node, event: Mapping[str, Any]) -> bool:
    if isinstance(node, AnyOf):
        return any(_evaluate(term, event) for term in node.terms)
    if isinstance(node, AllOf):
        return all(_evaluate(term, event) for term in node.terms)
    found, value = resolve(node.selector, event)
    if isinstance(node, NotExists):
        return not found
    if isinstance(node, IsCheck):
        expected = {"NULL": None, "TRUE": True, "FALSE": False}[node.kind]
        return found and value is expected
    if not found or not _is_value_node(value):
        return False  # missing, null, boolean, array or object: neither = nor != matches
    if node.op in ("=", "!="):
        return _equals(node.value, value) == (node.op == "=")
    number = node.value.number
    if isinstance(value, str) or number is None:
        return False
    actual = float(value)
    return {
        "<": actual < number,
        "<=": actual <= number,
        ">": actual > number,
        ">=": actual >= number,
    }[node.op]


def _is_value_node(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _equals(expected: Value, actual: str | float) -> bool:
    number = expected.number
    if number is not None and not isinstance(actual, str):
        return float(actual) == number
    text = actual if isinstance(actual, str) else _number_text(actual)
    return _wildcard_match(expected.text, text)


def _number_text(value: float) -> str:
    return str(int(value)) if isinstance(value, int) else repr(value)


def _wildcard_match(pattern: str, text: str) -> bool:
    leading, trailing = pattern.startswith("*"), pattern.endswith("*") and len(pattern) > 1
    core = pattern[int(leading) : len(pattern) - int(trailing)]
    if leading and trailing:
        return core in text
    if leading:
        return text.endswith(core)
    if trailing:
        return text.startswith(core)
    return text == pattern
