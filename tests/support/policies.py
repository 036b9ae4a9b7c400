"""IAM policies of a generated module: rendered to JSON, then linted with parliament.

``policy_documents`` turns each ``data "aws_iam_policy_document"`` block into the JSON the AWS
provider would produce. It is written from the provider's documented behaviour, not from the
generator's code, so the two can disagree and a test can notice:

* Version defaults to 2012-10-17; ``policy_id`` becomes Id; statements keep their order.
* Effect defaults to Allow; Sid is left out when empty and must be alphanumeric and unique.
* actions, not_actions, resources, not_resources and principal identifiers are sets: duplicates
  go, one element is written as a plain string, several as a list sorted in reverse order.
* ``principals { type, identifiers }`` blocks become ``{type: identifiers}``; blocks of one type
  are joined (in source order here; the provider uses its set order); a lone ``type = "*"``
  with identifiers ``["*"]`` becomes ``"*"``.
* ``condition { test, variable, values }`` blocks merge into ``{test: {variable: values}}``;
  values keep their order, and a single value is written as a plain string.
* ``&{…}`` becomes ``${…}`` (IAM policy variables) in resources, identifiers and values.

References are expected to be rare, since the generator writes literal strings. A reference
``TYPE.NAME.ATTRIBUTE`` (bare, or as ``${…}`` inside a string) listed in PLACEHOLDERS is
replaced with a plausible, documented fake value, so parliament still sees a well-formed ARN.
Anything else (variables, locals, function calls, heredocs, ``dynamic`` statements,
``source_policy_documents`` other than literal ``jsonencode({...})`` objects) raises
PolicyConversionError rather than being guessed. A literal ``jsonencode`` source document (the
generator's bucket.kept_statements) is decoded, and its statements come first, as the
provider's merge puts them; a statement block with the same Sid replaces a source statement.

parliament 1.6.4 knows no resource policies: on correct AWS-documented policies it reports
RESOURCE_STAR for every KMS key policy statement (``"*"`` is the only valid Resource there)
and MALFORMED for every trust policy (no Resource), which also stops all its other checks.
``parliament_findings`` reports everything; ``unexpected_findings`` applies FALSE_POSITIVES,
and lints trust policies through ``lintable_trust_policy`` so their actions are still checked.
"""

import json
import re
import warnings
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from .hcl import (
    Body,
    HclError,
    Interpolation,
    body_items,
    is_block_list,
    labelled_blocks,
    parse_tf,
    template_parts,
    tf_files,
)

with warnings.catch_warnings():
    # parliament 1.6.4 opens its data files without closing them at import; the
    # ResourceWarning would fail test runs configured with filterwarnings = error.
    warnings.simplefilter("ignore", ResourceWarning)
    from parliament import analyze_policy_string, enhance_finding
    from parliament.finding import Finding

PLACEHOLDER_ACCOUNT = "111111111111"
PLACEHOLDER_REGION = "us-east-1"
PLACEHOLDER_ORG_ID = "o-a1b2c3d4e5"
_ARN_TAIL = f"{PLACEHOLDER_REGION}:{PLACEHOLDER_ACCOUNT}"

#: Fake values for the references a policy document may plausibly contain, keyed by
#: (resource type, attribute); ``{name}`` is the resource name with ``_`` written as ``-``.
PLACEHOLDERS: Mapping[tuple[str, str], str] = {
    ("data.aws_partition", "partition"): "aws",
    ("data.aws_partition", "dns_suffix"): "amazonaws.com",
    ("data.aws_caller_identity", "account_id"): PLACEHOLDER_ACCOUNT,
    ("data.aws_region", "region"): PLACEHOLDER_REGION,
    ("data.aws_region", "name"): PLACEHOLDER_REGION,
    ("data.aws_organizations_organization", "id"): PLACEHOLDER_ORG_ID,
    ("data.aws_organizations_organization", "master_account_id"): PLACEHOLDER_ACCOUNT,
    ("aws_organizations_organization", "id"): PLACEHOLDER_ORG_ID,
    ("aws_organizations_organization", "master_account_id"): PLACEHOLDER_ACCOUNT,
    ("aws_s3_bucket", "id"): "placeholder-{name}",
    ("aws_s3_bucket", "bucket"): "placeholder-{name}",
    ("aws_s3_bucket", "arn"): "arn:aws:s3:::placeholder-{name}",
    ("aws_cloudtrail", "arn"): f"arn:aws:cloudtrail:{_ARN_TAIL}:trail/placeholder-{{name}}",
    ("aws_cloudwatch_log_group", "arn"): f"arn:aws:logs:{_ARN_TAIL}:log-group:placeholder-{{name}}",
    ("aws_kms_key", "arn"): f"arn:aws:kms:{_ARN_TAIL}:key/00000000-0000-4000-8000-000000000000",
    ("aws_iam_role", "arn"): f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/placeholder-{{name}}",
    ("aws_sns_topic", "arn"): f"arn:aws:sns:{_ARN_TAIL}:placeholder-{{name}}",
}


@dataclass(frozen=True)
class KnownFalsePositive:
    """A parliament finding that is wrong for one kind of policy, and why."""

    issue: str
    detail: str  # regular expression the finding's detail must match in full
    reason: str

    def matches(self, finding: Finding) -> bool:
        """True when ``finding`` is this false positive."""
        return finding.issue == self.issue and bool(re.fullmatch(self.detail, str(finding.detail)))


#: Findings parliament 1.6.4 raises on correct, AWS-documented policies, per policy kind.
#: Only ``unexpected_findings`` applies this list; ``parliament_findings`` never filters.
FALSE_POSITIVES: Mapping[str, tuple[KnownFalsePositive, ...]] = {
    "identity_policy": (),
    "bucket_policy": (
        # parliament applies IAM's identity-policy Sid rule ([0-9A-Za-z]*); S3 accepts more,
        # and the CloudTrail console writes "AWSCloudTrail...20150319-<uuid>" Sids
        # (aws-facts.md 11.5), which bucket.kept_statements keep as they are.
        KnownFalsePositive(
            "INVALID_SID", "None", "S3 bucket policies accept the console's '-<uuid>' Sids"
        ),
    ),
    "kms_key_policy": (
        KnownFalsePositive(
            "RESOURCE_STAR", ".*", 'in a key policy "Resource": "*" means this key; nothing else'
        ),
    ),
    "trust_policy": (
        KnownFalsePositive(
            "RESOURCE_STAR", ".*", 'the "Resource": "*" was added by lintable_trust_policy()'
        ),
    ),
}

_REFERENCE = re.compile(
    r"(?P<type>(?:data\.)?[a-z0-9_]+)\.(?P<name>[A-Za-z_][\w-]*)\.(?P<attr>\w+)"
)
_SID = re.compile(r"[A-Za-z0-9]*")
_DOCUMENT_KEYS = frozenset(
    {"version", "policy_id", "statement", "depends_on", "provider", "source_policy_documents"}
)
_JSONENCODE = re.compile(r"^\$\{jsonencode\((?P<object>\{.*\})\)\}$", re.DOTALL)
_STATEMENT_KEYS = frozenset(
    {
        "sid",
        "effect",
        "actions",
        "not_actions",
        "resources",
        "not_resources",
        "principals",
        "not_principals",
        "condition",
    }
)
_SET_FIELDS = (
    ("actions", "Action", False),
    ("not_actions", "NotAction", False),
    ("resources", "Resource", True),
    ("not_resources", "NotResource", True),
)
_STATEMENT_START = re.compile(r'^( {4}\{| {2}"Statement": \{)$')
_VERSIONS = ("2012-10-17", "2008-10-17")

JsonValue = str | list[str]


class PolicyConversionError(ValueError):
    """A policy document this converter will not guess at, or one Terraform would reject."""


def policy_documents(
    module_dir: Path, placeholders: Mapping[tuple[str, str], str] = PLACEHOLDERS
) -> dict[str, dict]:
    """Render every ``data "aws_iam_policy_document"`` block of the module to its IAM JSON.

    Keys are ``data.aws_iam_policy_document.NAME``. Pass ``placeholders={}`` to demand
    literal strings only: then any reference raises PolicyConversionError.
    """
    documents: dict[str, dict] = {}
    for path in tf_files(module_dir):
        for block in labelled_blocks(parse_tf(path), "data", 2):
            if block.labels[0] != "aws_iam_policy_document":
                continue
            address = f"data.aws_iam_policy_document.{block.labels[1]}"
            converter = _Converter(f"{path.name}: {address}", placeholders)
            documents[address] = converter.document(block.body)
    return documents


class _Converter:
    """Converts one policy document block; remembers where it is for error messages."""

    def __init__(self, where: str, placeholders: Mapping[tuple[str, str], str]) -> None:
        self.where = where
        self.placeholders = placeholders

    def fail(self, field: str, problem: str) -> PolicyConversionError:
        """Build the error for ``field`` of this document."""
        return PolicyConversionError(f"{self.where}: {field}: {problem}")

    def document(self, body: Body) -> dict:
        """Render the whole document."""
        self.refuse_unknown_keys(body, _DOCUMENT_KEYS, "document")
        document: dict[str, Any] = {"Version": self.version(body)}
        if policy_id := self.optional(body, "policy_id"):
            document["Id"] = policy_id
        statements = [
            self.statement(f"statement[{index}]", stmt)
            for index, stmt in enumerate(self.blocks(body, "statement", "document"))
        ]
        self.refuse_duplicate_sids(statements)
        sources = self.source_statements(body)
        ours = {stmt.get("Sid") for stmt in statements}
        statements = [s for s in sources if s.get("Sid") not in ours] + statements
        if statements:
            document["Statement"] = statements
        return document

    def source_statements(self, body: Body) -> list[dict]:
        """Statements of literal ``jsonencode({...})`` source documents, decoded to JSON."""
        result: list[dict] = []
        for index, raw in enumerate(body.get("source_policy_documents", [])):
            match = _JSONENCODE.match(raw) if isinstance(raw, str) else None
            if match is None:
                raise self.fail(f"source_policy_documents[{index}]", "not a literal jsonencode")
            parsed = hcl2.loads(f"x = {match['object']}")["x"]
            result += self.decoded(parsed, f"source_policy_documents[{index}]").get("Statement", [])
        self.refuse_duplicate_sids(result)
        return result

    def decoded(self, value: Any, field: str) -> Any:
        """An HCL object expression of literals as JSON: quoted keys and strings decoded."""
        if isinstance(value, dict):
            return {
                self.decoded(key, field): self.decoded(item, f"{field}.{key}")
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.decoded(item, field) for item in value]
        if isinstance(value, str):
            if not value.startswith('"'):
                return value  # a bare object key
            parts = template_parts(value)
            if any(isinstance(part, Interpolation) for part in parts):
                raise self.fail(field, f"not a literal string: {value!r}")
            return "".join(str(part) for part in parts)
        raise self.fail(field, f"not a literal: {value!r}")

    def version(self, body: Body) -> str:
        """Version defaults to 2012-10-17; Terraform accepts only the two IAM versions."""
        version = self.optional(body, "version") or _VERSIONS[0]
        if version not in _VERSIONS:
            raise self.fail("document.version", f"must be one of {_VERSIONS}, got {version!r}")
        return version

    def blocks(self, body: Body, key: str, field: str) -> list[Body]:
        """Return the nested ``key { }`` blocks of a body; ``key = …`` is refused."""
        value = body.get(key, [])
        if value and not is_block_list(value):
            raise self.fail(f"{field}.{key}", f"must be written as blocks, got {value!r}")
        return value

    def refuse_unknown_keys(self, body: Body, allowed: frozenset[str], field: str) -> None:
        """Refuse keys this converter does not model (``dynamic``, source documents, …)."""
        unknown = sorted(key for key, _ in body_items(body) if key not in allowed)
        if unknown:
            raise self.fail(field, f"not supported by this converter: {', '.join(unknown)}")

    def refuse_duplicate_sids(self, statements: list[dict]) -> None:
        """Terraform rejects two statements with the same non-empty Sid."""
        sids = [stmt["Sid"] for stmt in statements if "Sid" in stmt]
        duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
        if duplicates:
            raise self.fail("statement", f"duplicate Sid {', '.join(duplicates)}")

    def statement(self, field: str, body: Body) -> dict:
        """Render one ``statement`` block."""
        self.refuse_unknown_keys(body, _STATEMENT_KEYS, field)
        statement: dict[str, Any] = {}
        if sid := self.optional(body, "sid", field):
            if not _SID.fullmatch(sid):
                raise self.fail(f"{field}.sid", f"Terraform allows only [A-Za-z0-9], got {sid!r}")
            statement["Sid"] = sid
        statement["Effect"] = self.effect(body, field)
        for key, json_key, policy_variables in _SET_FIELDS:
            if key in body:
                values = self.strings(body[key], f"{field}.{key}", policy_variables)
                statement[json_key] = _set_value(values)
        for key, json_key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if key in body:
                blocks = self.blocks(body, key, field)
                statement[json_key] = self.principals(blocks, f"{field}.{key}")
        if "condition" in body:
            blocks = self.blocks(body, "condition", field)
            statement["Condition"] = self.conditions(blocks, f"{field}.condition")
        return statement

    def effect(self, body: Body, field: str) -> str:
        """Effect defaults to Allow; Terraform accepts only Allow and Deny."""
        effect = self.optional(body, "effect", field) or "Allow"
        if effect not in ("Allow", "Deny"):
            raise self.fail(f"{field}.effect", f"must be Allow or Deny, got {effect!r}")
        return effect

    def principals(self, blocks: list[Body], field: str) -> JsonValue | dict[str, JsonValue]:
        """Merge ``principals`` blocks by type; a lone ``"*"``/``["*"]`` becomes ``"*"``."""
        by_type: dict[str, list[JsonValue]] = {}
        for block in _unique(blocks):
            kind = self.string(block.get("type"), f"{field}.type")
            identifiers = self.strings(block.get("identifiers"), f"{field}.identifiers", True)
            by_type.setdefault(kind, []).append(_set_value(identifiers))
        if list(by_type.items()) == [("*", ["*"])]:
            return "*"
        return {kind: _join(values) for kind, values in by_type.items()}

    def conditions(self, blocks: list[Body], field: str) -> dict[str, dict[str, JsonValue]]:
        """Merge ``condition`` blocks into ``{test: {variable: values}}``."""
        merged: dict[str, dict[str, list[str]]] = {}
        for block in _unique(blocks):
            test = self.string(block.get("test"), f"{field}.test")
            variable = self.string(block.get("variable"), f"{field}.variable")
            values = self.strings(block.get("values"), f"{field}.values", True)
            merged.setdefault(test, {}).setdefault(variable, []).extend(values)
        return {
            test: {variable: _single_or_list(values) for variable, values in variables.items()}
            for test, variables in merged.items()
        }

    def optional(self, body: Body, key: str, field: str = "document") -> str | None:
        """Decode an optional string argument; None when absent."""
        return None if key not in body else self.string(body[key], f"{field}.{key}")

    def strings(self, raw: object, field: str, policy_variables: bool = False) -> list[str]:
        """Decode a list of strings, written as a literal HCL list."""
        if not isinstance(raw, list):
            raise self.fail(field, f"expected a list of strings, got {raw!r}")
        values = [self.string(item, field) for item in raw]
        return [value.replace("&{", "${") for value in values] if policy_variables else values

    def string(self, raw: object, field: str) -> str:
        """Decode one string, replacing each known reference by its placeholder."""
        try:
            parts = template_parts(raw)
        except HclError as exc:
            raise self.fail(field, str(exc)) from exc
        return "".join(self.resolve(part, field) for part in parts)

    def resolve(self, part: str | Interpolation, field: str) -> str:
        """Return text as is, or the placeholder for a reference in PLACEHOLDERS."""
        if isinstance(part, str):
            return part
        match = _REFERENCE.fullmatch(part.expression)
        key = (match["type"], match["attr"]) if match else None
        if key is None or key not in self.placeholders:
            raise self.fail(field, f"cannot resolve ${{{part.expression}}}; see PLACEHOLDERS")
        return self.placeholders[key].format(name=match["name"].replace("_", "-"))


def _unique(blocks: list[Body]) -> list[Body]:
    """Drop repeated identical blocks, as Terraform's set-typed blocks do."""
    unique: list[Body] = []
    for block in blocks:
        if block not in unique:
            unique.append(block)
    return unique


def _set_value(values: list[str]) -> JsonValue:
    """Write a set of strings as the provider does: one as a string, more reverse-sorted."""
    distinct = sorted(set(values), reverse=True)
    return _single_or_list(distinct)


def _single_or_list(values: list[str]) -> JsonValue:
    """Write one value as a plain string, several as a list."""
    return values[0] if len(values) == 1 else values


def _join(values: list[JsonValue]) -> JsonValue:
    """Join the identifiers of several ``principals`` blocks of one type."""
    if len(values) == 1:
        return values[0]
    return [item for value in values for item in ([value] if isinstance(value, str) else value)]


def parliament_findings(policy: dict) -> list[str]:
    """Lint one IAM policy with parliament 1.6.4; return every finding, unfiltered.

    Each reads ``ISSUE [severity] detail — Statement[i] (Sid …)``; the statement part is
    left out for findings about the policy as a whole. Community auditors and
    private auditors are off, so only parliament's built-in checks run.
    """
    return [description for _finding, description in _lint(policy)]


def unexpected_findings(policy: dict, kind: str) -> list[str]:
    """Lint a policy of ``kind`` (a FALSE_POSITIVES key) and drop only its listed findings.

    For ``trust_policy`` the policy is linted as ``lintable_trust_policy(policy)``.
    """
    known = FALSE_POSITIVES[kind]
    if kind == "trust_policy":
        policy = lintable_trust_policy(policy)
    return [
        description
        for finding, description in _lint(policy)
        if not any(false_positive.matches(finding) for false_positive in known)
    ]


def lintable_trust_policy(policy: dict) -> dict:
    """Copy a role trust policy, adding ``"Resource": "*"`` to statements that have none.

    A trust policy has no Resource. parliament 1.6.4 then reports only MALFORMED ("Statement
    contains neither Resource nor NotResource") and stops, so it would not notice even a
    misspelt action; with the Resource added, every other check runs.
    """
    copy = json.loads(json.dumps(policy))
    for statement in _statements(copy):
        if "Resource" not in statement and "NotResource" not in statement:
            statement["Resource"] = "*"
    return copy


def _lint(policy: dict) -> list[tuple[Finding, str]]:
    """Run parliament's built-in auditors; pair each finding with its description."""
    text = json.dumps(policy, indent=2)
    starts = _statement_start_lines(text)
    analyzed = analyze_policy_string(
        text, ignore_private_auditors=True, include_community_auditors=False
    )
    findings = [enhance_finding(finding) for finding in analyzed.findings]
    return [(finding, _describe(finding, policy, starts)) for finding in findings]


def _statements(policy: dict) -> list[dict]:
    """Return the statements, whether Statement is a list or a single object."""
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _statement_start_lines(text: str) -> list[int]:
    """Line numbers where each statement of an ``indent=2`` dump starts.

    A single-object Statement starts on its ``"Statement": {`` line.
    """
    lines = text.splitlines()
    return [number for number, line in enumerate(lines, 1) if _STATEMENT_START.match(line)]


def _describe(finding: Finding, policy: dict, starts: list[int]) -> str:
    """Format a finding with the statement it is in (parliament gives only line numbers).

    Some findings carry no detail; their description (or title) stands in for it.
    """
    detail = finding.detail or finding.description or finding.title
    return f"{finding.issue} [{finding.severity}] {detail}{_where(finding, policy, starts)}"


def _where(finding: Finding, policy: dict, starts: list[int]) -> str:
    """Name the statement a finding's line falls in, or nothing for policy-level findings."""
    line = (finding.location or {}).get("line")
    statements = _statements(policy)
    if line is None or not statements:
        return ""
    index = bisect_right(starts, line) - 1
    if index < 0:
        return ""
    statement = statements[index]
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    return f" — Statement[{index}]" + (f" (Sid {sid})" if sid else "")
