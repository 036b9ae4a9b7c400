"""Read policies back into statements the rules can reason about: generated HCL or live JSON."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from generator.check.hcl_parse import Block, literal, literals, nested, parse_text


class ParsedStatement(NamedTuple):
    """A statement as generated: every string decoded, every block flattened."""

    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[tuple[str, tuple[str, ...]], ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]

    def has_principal(self, kind: str, identifier: str) -> bool:
        """Whether ``principals { type = kind }`` lists ``identifier``."""
        return any(t == kind and identifier in ids for t, ids in self.principals)

    def condition(self, test: str, variable: str) -> tuple[str, ...] | None:
        """The values of one condition, or None if the statement has no such condition.

        Operators and keys compare case-insensitively, as IAM evaluates them: the CloudTrail
        console writes ``AWS:SourceArn``, which is the same key as ``aws:SourceArn``.
        """
        for t, v, values in self.conditions:
            if t.lower() == test.lower() and v.lower() == variable.lower():
                return values
        return None


def statements(document: Block) -> list[ParsedStatement]:
    """The ``statement`` blocks of a ``data "aws_iam_policy_document"`` block.

    Only the blocks: a rule that must see every statement the policy will hold (the
    ``jsonencode`` source documents of ``bucket.kept_statements`` too) reads ``all_statements``.
    """
    result = []
    for body in nested(document.body, "statement"):
        result.append(
            ParsedStatement(
                sid=literal(body.get("sid")) or "",
                effect=literal(body.get("effect")) or "Allow",
                actions=tuple(literals(body.get("actions"))),
                resources=tuple(literals(body.get("resources"))),
                principals=tuple(
                    (literal(p.get("type")) or "", tuple(literals(p.get("identifiers"))))
                    for p in nested(body, "principals")
                ),
                conditions=tuple(
                    (
                        literal(c.get("test")) or "",
                        literal(c.get("variable")) or "",
                        tuple(literals(c.get("values"))),
                    )
                    for c in nested(body, "condition")
                ),
            )
        )
    return result


def _strings(value: Any) -> tuple[str, ...]:
    """IAM JSON allows a string or a list of strings wherever a list is meant."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _json_principals(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value == "*":
        return (("*", ("*",)),)
    if not isinstance(value, dict):
        return ()
    return tuple((kind, _strings(ids)) for kind, ids in value.items())


def statements_from_json(document: Any) -> list[ParsedStatement]:
    """Every statement of an IAM policy as AWS stores it (``GetBucketPolicy``, ``GetKeyPolicy``).

    Why: ``verify`` runs the very rules the generator runs on its own HCL on the live policy,
    so both sources must arrive in one shape. ``NotAction``, ``NotResource`` and
    ``NotPrincipal`` are not read: a statement using them grants nothing here, so it can never
    make a policy look sufficient when it is not.
    """
    if not isinstance(document, dict):
        return []
    raw = document.get("Statement", [])
    result = []
    for entry in raw if isinstance(raw, list) else [raw]:
        if not isinstance(entry, dict):
            continue
        conditions = entry.get("Condition")
        result.append(
            ParsedStatement(
                sid=str(entry.get("Sid", "")),
                effect=str(entry.get("Effect", "")),
                actions=_strings(entry.get("Action")),
                resources=_strings(entry.get("Resource")),
                principals=_json_principals(entry.get("Principal")),
                conditions=tuple(
                    (test, variable, _strings(values))
                    for test, pairs in (conditions.items() if isinstance(conditions, dict) else ())
                    if isinstance(pairs, dict)
                    for variable, values in pairs.items()
                ),
            )
        )
    return result


_JSONENCODE = re.compile(r"^\$\{jsonencode\((?P<body>.*)\)\}$", re.S)


def _plain(value: Any) -> Any:
    """python-hcl2's object shape as JSON: keys and strings unquoted, escapes decoded."""
    if isinstance(value, dict):
        return {str(literal(k) or k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        text = literal(value)
        return text if text is not None else value
    return value


def source_statements(document: Block) -> list[ParsedStatement]:
    """The statements of ``source_policy_documents = [jsonencode({...})]``, read as IAM JSON.

    Why: ``bucket.kept_statements`` are rendered so (JSON keeps the console's Sids), and
    a source document that is not a literal ``jsonencode`` is not read (the generator writes
    none).
    """
    found: list[ParsedStatement] = []
    for item in document.body.get("source_policy_documents") or []:
        match = _JSONENCODE.match(item) if isinstance(item, str) else None
        if match is None:
            continue
        parsed = parse_text(f"document = {match['body']}\n", document.file)
        found += statements_from_json(_plain(parsed.get("document")))
    return found


def all_statements(document: Block) -> list[ParsedStatement]:
    """Every statement a ``data "aws_iam_policy_document"`` puts in its policy.

    Source documents come first, as Terraform merges them, then the ``statement`` blocks.
    """
    return source_statements(document) + statements(document)
