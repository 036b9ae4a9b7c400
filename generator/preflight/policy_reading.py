"""Read ``aws_iam_policy_document`` blocks back into statements the rules can reason about."""

from __future__ import annotations

from dataclasses import dataclass

from generator.hcl_parse import Block, literal, literals, nested


@dataclass(frozen=True)
class ParsedStatement:
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
        """The values of one condition, or None if the statement has no such condition."""
        for t, v, values in self.conditions:
            if t == test and v == variable:
                return values
        return None


def statements(document: Block) -> list[ParsedStatement]:
    """Every statement of a ``data "aws_iam_policy_document"`` block."""
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
