"""Every policy of a generated module, read back as statements, and each statement in words.

Why read the HCL (and not the config): the summary compares the module in the output folder -
written by an earlier run, maybe an earlier orgtrail-gen - with the new one, so both sides must
come from the same place: the generated text. Statements are read by the preflight rules'
reader (``policy_reading.all_statements``), which decodes the ``jsonencode`` source documents
(``bucket.kept_statements``) too, so that both arrive in one shape.
"""

from __future__ import annotations

import re
from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, expression
from generator.check.preflight.policy_reading import ParsedStatement
from generator.core.arns import parse_arn

POLICY_DOCUMENT = "aws_iam_policy_document"


def documents(module: ParsedModule) -> dict[str, Block]:
    """The module's policy documents by address."""
    return {block.address: block for block in module.of_type("data", POLICY_DOCUMENT)}


def attached_to(module: ParsedModule, address: str) -> list[str]:
    """The resource arguments that use a policy document: ``aws_kms_key.x.policy``."""
    found = []
    for block in module.blocks:
        if block.kind != "resource":
            continue
        for argument, value in block.body.items():
            if expression(value) == f"{address}.json":
                found.append(f"{block.address}.{argument}")
    return found


def statement_key(statement: ParsedStatement) -> tuple[Any, ...]:
    """What makes two statements the same grant: order of lists and blocks does not count."""
    return (
        statement.sid,
        statement.effect,
        tuple(sorted(statement.actions)),
        tuple(sorted(statement.resources)),
        tuple(sorted((kind, tuple(sorted(ids))) for kind, ids in statement.principals)),
        tuple(sorted((t, v, tuple(sorted(values))) for t, v, values in statement.conditions)),
    )


def statement_json(statement: ParsedStatement) -> dict[str, Any]:
    """A statement in IAM JSON's words, for machines (the JSON summary)."""
    shown: dict[str, Any] = {"Sid": statement.sid, "Effect": statement.effect}
    shown["Principal"] = {kind: list(ids) for kind, ids in statement.principals}
    shown["Action"] = list(statement.actions)
    shown["Resource"] = list(statement.resources)
    conditions: dict[str, dict[str, list[str]]] = {}
    for test, variable, values in statement.conditions:
        conditions.setdefault(test, {})[variable] = list(values)
    if conditions:
        shown["Condition"] = conditions
    return shown


# --- in words ---------------------------------------------------------------------------------


def principal_words(kind: str, identifier: str) -> str:
    """``role/Auditors in 111111111111``, ``account 111111111111``, ``cloudtrail.amazonaws.com``.

    Any ARN with an account reads so: an IAM role or user, an STS assumed-role session.
    """
    if identifier == "*":
        return "everyone (*)"
    if kind != "AWS":
        return identifier
    if identifier.isdigit():
        return f"account {identifier}"
    parts = parse_arn(identifier)
    if parts is None or not parts.account:
        return identifier
    if parts.resource == "root":
        return f"account {parts.account}"
    return f"{parts.resource} in {parts.account}"


# What the actions the generator writes do, so that a reviewer reads a verb; any other action
# is named as it is. Exact names follow in brackets either way.
_VERBS = {
    "s3:GetObject": "read",
    "s3:ListBucket": "list",
    "s3:PutObject": "write",
    "s3:GetBucketAcl": "read the ACL of",
    "kms:Decrypt": "decrypt with",
    "kms:ReEncryptFrom": "re-encrypt from",
    "kms:DescribeKey": "describe",
    "kms:GenerateDataKey*": "generate data keys with",
    "sns:Publish": "publish to",
}


def _actions_words(actions: tuple[str, ...]) -> str:
    names = ", ".join(actions)
    if actions and all(action in _VERBS for action in actions):
        verbs = [_VERBS[action] for action in actions]
        joined = verbs[0] if len(verbs) == 1 else ", ".join(verbs[:-1]) + " and " + verbs[-1]
        return f"{joined} ({names})"
    return f"use {names}" if actions else "do nothing"


def _resource_words(resource: str, key_policy: bool) -> str:
    if resource == "*":
        return "this key" if key_policy else "every resource (*)"
    s3 = re.match(r"^arn:[a-z-]+:s3:::(?P<path>.+)$", resource)
    return s3["path"] if s3 else resource


_OPERATORS = {
    "stringequals": "is",
    "arnequals": "is",
    "bool": "is",
    "numericequals": "is",
    "stringequalsignorecase": "is",
    "stringlike": "matches",
    "arnlike": "matches",
    "stringnotequals": "is not",
    "arnnotequals": "is not",
    "stringnotlike": "does not match",
    "arnnotlike": "does not match",
}


def _condition_words(test: str, variable: str, values: tuple[str, ...]) -> str:
    if test.lower() == "null":
        present = values == ("false",)
        return f"{variable} is {'present' if present else 'absent'}"
    verb = _OPERATORS.get(test.lower(), test)
    shown = values[0] if len(values) == 1 else "one of " + ", ".join(values)
    return f"{variable} {verb} {shown}"


def describe(statement: ParsedStatement, *, key_policy: bool = False, removed: bool = False) -> str:
    """One statement in plain words: who may (or may not) do what, on what, and when.

    ``key_policy``: ``Resource "*"`` in a key policy means the key itself. ``removed``: the
    words of a statement the change takes away ("no longer allows ...").
    """
    who = [principal_words(kind, i) for kind, ids in statement.principals for i in ids]
    whom = ", ".join(who) if who else "its role"  # an identity policy: the role holds it
    what = ", ".join(_resource_words(r, key_policy) for r in statement.resources)
    if statement.effect == "Deny":
        verb = "no longer denies" if removed else "denies"
        text = f"{verb} {whom} {', '.join(statement.actions)}" + (f" on {what}" if what else "")
    else:
        verb = "no longer allows" if removed else "allows"
        actions = _actions_words(statement.actions)
        on = " on" if actions.startswith("use ") else ""
        text = f"{verb} {whom} to {actions}" + (f"{on} {what}" if what else "")
    conditions = [_condition_words(t, v, values) for t, v, values in statement.conditions]
    if conditions:
        text += ", if " + " and ".join(conditions)
    return text
