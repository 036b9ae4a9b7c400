"""verify's ``bucket statements`` and ``key statements``: another's policy admits what we need.

Why "admits" and not "contains the same JSON": beside an owner's trail (``owner_trail``), or
with ``bucket.existing_policy: keep``, the bucket and key policies are the owner's, who writes
its own statements (Control Tower pins CloudTrail's writes with aws:SourceOrgID, not with this
trail's ARN). What this module needs is ``facts.required_bucket_statements`` and
``facts.required_key_statements`` (printed in s3.tf and kms.tf for the owner to add). Each
statement asked for is turned into the requests it allows - principal, action, resource (for a
log prefix, the keys CloudTrail writes there) and the request's context (this trail's
aws:SourceArn, the management account, the organization, the encryption context) - and the live
policy is evaluated on them as IAM evaluates a resource policy: an Allow that applies, and no
Deny that applies. What verify cannot evaluate offline (a condition key the request's context
does not model, a numeric or set operator, NotPrincipal/NotAction/NotResource, a principal of
the key's own account admitted only through its account root, where its IAM policy decides)
makes the row ``manual``: a note naming what to read, never a pass.

The key policy is read in the key's own account (GetKeyPolicy does not work across accounts):
Control Tower keeps its key in the management account and its bucket in the log-archive account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any, Literal, NamedTuple

from generator.aws.live import NOT_APPLICABLE, Live, Result
from generator.aws.session import Aws
from generator.check.preflight.policy_reading import ParsedStatement, statements_from_json
from generator.core.arns import arn_account, arn_region
from generator.render.policies import PolicyDocument, Statement
from generator.sections.registry import Config, facts_of

Verdict = Literal["yes", "no", "unknown"]
Context = dict[str, str | None]  # lower-case condition keys; None: absent from the request

BUCKET = "bucket statements"
KEY = "key statements"
MANUAL = "manual"
REDISCOVER = "run `orgtrail-gen discover` to read the organization's trails again"
_DAY = "2026/01/31"  # any day: CloudTrail's keys carry one, no statement pins it


def keeper(config: Config) -> str:
    """Who keeps the bucket and key policies, in words."""
    owner = config.owner_trail
    return owner.manager if owner is not None else "the bucket's owner"


# --- does a live policy admit a statement? ------------------------------------------------------


class Request(NamedTuple):
    """One request a required statement allows, as IAM would evaluate it."""

    principal: tuple[str, str]  # ("Service", name) or ("AWS", arn)
    action: str
    resource: str
    context: Context
    shown: str  # the request in words: the statement's own resource, not a sample key


class Judged(NamedTuple):
    """A request's verdict and the live statements that decided it."""

    verdict: Verdict
    words: str


def _condition(test: str, variable: str, values: tuple[str, ...], context: Context) -> Verdict:
    """One condition on the request: IAM's string, ARN, Bool and Null operators, else unknown."""
    operator = test.lower()
    if operator.startswith(("forallvalues:", "foranyvalue:")) or variable.lower() not in context:
        return "unknown"
    if_exists = operator.endswith("ifexists")
    operator = operator.removesuffix("ifexists")
    actual = context[variable.lower()]
    if operator == "null":
        return (
            "yes" if (tuple(v.lower() for v in values) == ("true",)) == (actual is None) else "no"
        )
    if actual is None:
        return "yes" if if_exists else "no"
    negated, base = "not" in operator, operator.replace("not", "")
    if base in ("stringequals", "arnequals"):
        hit = actual in values
    elif base in ("stringequalsignorecase", "bool"):
        hit = actual.lower() in {v.lower() for v in values}
    elif base in ("stringlike", "arnlike"):
        hit = any(fnmatchcase(actual, v) for v in values)
    else:
        return "unknown"
    return "yes" if hit != negated else "no"


def _principal(statement: ParsedStatement, request: Request, home_account: str) -> Verdict:
    """Whether the statement names the request's principal; its account root: see module doc."""
    kind, who = request.principal
    for block, ids in statement.principals:
        if block == "*" or (block == "AWS" and "*" in ids) or (block == kind and who in ids):
            return "yes"
    account = arn_account(who) if kind == "AWS" else None
    roots = {account, f"{who.split(':iam::')[0]}:iam::{account}:root"}
    if account and any(b == "AWS" and roots & set(ids) for b, ids in statement.principals):
        # across accounts the caller's IAM policy must allow it either way: equivalent
        return "yes" if account != home_account else "unknown"
    return "no"


def _applies(statement: ParsedStatement, request: Request, home_account: str) -> Verdict:
    action, resource = request.action.lower(), request.resource
    if not any(fnmatchcase(action, a.lower()) for a in statement.actions):
        return "no"
    if not any(fnmatchcase(resource, r) for r in statement.resources):
        return "no"
    verdicts = [_principal(statement, request, home_account)]
    verdicts += [_condition(t, v, vals, request.context) for t, v, vals in statement.conditions]
    return "no" if "no" in verdicts else ("unknown" if "unknown" in verdicts else "yes")


class LivePolicy(NamedTuple):
    """A live policy's statements, named, and those using Not* elements (never judged)."""

    statements: list[tuple[str, ParsedStatement]]
    odd: list[tuple[str, str]]  # (effect, name)

    @classmethod
    def of(cls, document: Any) -> LivePolicy:
        """The policy as GetBucketPolicy / GetKeyPolicy return it (parsed JSON)."""
        stmts = statements_from_json(document)
        named = [(s.sid or f"#{i + 1}", s) for i, s in enumerate(stmts)]
        raw = document.get("Statement", []) if isinstance(document, dict) else []
        raw = raw if isinstance(raw, list) else [raw]
        odd = [
            (str(entry.get("Effect", "")).lower(), str(entry.get("Sid") or f"#{i + 1}"))
            for i, entry in enumerate(raw)
            if isinstance(entry, dict) and {"NotPrincipal", "NotAction", "NotResource"} & {*entry}
        ]
        return cls(named, odd)

    def judge(self, request: Request, home_account: str) -> Judged:
        """An Allow applies and no Deny may: yes; a Deny applies, or no Allow may: no."""
        verdicts = [
            (s.effect.lower(), name, _applies(s, request, home_account))
            for name, s in self.statements
        ]
        denied = [n for e, n, v in verdicts if e == "deny" and v == "yes"]
        if denied:
            return Judged("no", f"denied by {', '.join(denied)}")
        granted = [n for e, n, v in verdicts if e == "allow" and v == "yes"]
        maybe = [n for e, n, v in verdicts if e == "allow" and v == "unknown"]
        maybe += [n for e, n in self.odd if e == "allow"]
        if not granted and not maybe:
            return Judged("no", "allowed by no statement")
        unsure = [n for e, n, v in verdicts if e == "deny" and v == "unknown"]
        unsure += [n for e, n in self.odd if e == "deny"]
        if granted and not unsure:
            return Judged("yes", f"allowed by {', '.join(granted)}")
        unsure += [] if granted else maybe
        return Judged("unknown", f"statement {', '.join(unsure)} (not evaluated offline)")


def _expected(statement: Statement, file: str) -> str:
    principals = ", ".join(i for p in statement.principals for i in p.identifiers)
    return (
        f"{principals}: {', '.join(statement.actions)} on {', '.join(statement.resources)} "
        f"(statement {statement.sid} of {file})"
    )


def _statement_rows(
    check: str,
    where: str,
    required: PolicyDocument,
    policy: LivePolicy,
    requests: Callable[[Statement], list[Request]],
    home_account: str,
    fixes: tuple[Callable[[Statement], str], str],
) -> list[Result]:
    """One row per required statement: admitted (ok), not (fail), or ``manual`` (a note)."""
    missing_fix, file = fixes
    rows = []
    for statement in required.statements:
        subject, expected = f"{where} {statement.sid}", _expected(statement, file)
        judged = [(r.shown, policy.judge(r, home_account)) for r in requests(statement)]
        refused = [(shown, j) for shown, j in judged if j.verdict == "no"]
        unsure = [(shown, j) for shown, j in judged if j.verdict == "unknown"]
        if refused:
            shown, j = refused[0]
            fix = missing_fix(statement)
            if j.words.startswith("denied"):
                fix = (
                    f"the policy's Deny {j.words.split(' by ', 1)[1]} refuses it: its owner "
                    f"must narrow that Deny so that it admits {shown}"
                )
            rows.append(
                Result(check, subject, "fail", expected, f"missing: {shown} ({j.words})", fix)
            )
        elif unsure:
            shown, j = unsure[0]
            rows.append(
                Result(
                    check,
                    subject,
                    "note",
                    expected,
                    f"{MANUAL}: {shown}: {j.words}",
                    f"verify cannot decide this offline: read {j.words.split(' (')[0]} in the "
                    f"policy of {where} and judge whether it admits {shown}; statement "
                    f"{statement.sid} of {file} is what it must be equivalent to",
                )
            )
        else:
            words = sorted({j.words.removeprefix("allowed by ") for _, j in judged})
            rows.append(Result(check, subject, "ok", expected, f"allowed by {', '.join(words)}"))
    return rows


def _concrete(action: str) -> str:
    """The API action a wildcard action stands for in a required statement (GenerateDataKey*)."""
    return action.rstrip("*")


# --- the owner's bucket policy ------------------------------------------------------------------


def _object_keys(live: Live, resource: str) -> list[str]:
    """The keys CloudTrail writes under a log prefix (a log file and a digest per account)."""
    if not resource.endswith("/*"):
        return [resource]
    arns, base, region = live.arns, resource[:-1], live.home
    accounts = [arns.management_account_id]
    if live.config.log_archive is not None:
        accounts.append(live.config.log_archive.account_id)  # a member account
    by_org = base.endswith(f"/AWSLogs/{arns.org_id}/")
    keys = []
    for account in accounts if by_org else accounts[:1]:
        lead = f"{base}{account}/" if by_org else base
        keys.append(
            f"{lead}CloudTrail/{region}/{_DAY}/{account}_CloudTrail_{region}_20260131T0000Z_"
            "0123456789abcdef.json.gz"
        )
        keys.append(
            f"{lead}CloudTrail-Digest/{region}/{_DAY}/{account}_CloudTrail-Digest_{region}_"
            f"{arns.trail_name}_{arns.home_region}_20260131T000000Z.json.gz"
        )
    return keys


def check_bucket_statements(live: Live) -> list[Result]:
    """The kept bucket policy admits this module's trail as the printed statements would."""
    config, facts = live.config, facts_of(live.config, live.arns)
    bucket, who = config.bucket.name, keeper(config)
    required = facts.required_bucket_statements
    if required is None:
        found = f"{NOT_APPLICABLE}: this module creates no trail, so it needs no statement there"
        return [Result(BUCKET, bucket, "note", "", found)]
    answer, missing = live.bucket_policy_read
    if missing == "NoSuchBucket":
        fix = f"bucket.name names no bucket: {REDISCOVER} and fix bucket.name"
        return [Result(BUCKET, bucket, "fail", f"{who}'s bucket", "no such bucket", fix)]
    try:
        document = json.loads((answer or {})["Policy"])
    except (ValueError, KeyError):
        document = None
    arns = live.arns

    def requests(statement: Statement) -> list[Request]:
        result = []
        for principal in statement.principals:
            for name in principal.identifiers:
                for action in statement.actions:
                    acl = "bucket-owner-full-control" if action == "s3:PutObject" else None
                    context: Context = {
                        "aws:sourcearn": arns.trail,
                        "aws:sourceaccount": arns.management_account_id,
                        "aws:sourceorgid": arns.org_id,
                        "aws:securetransport": "true",
                        "s3:x-amz-acl": acl,
                    }
                    result += [
                        Request((principal.type, name), action, key, context, f"{action} on {r}")
                        for r in statement.resources
                        for key in _object_keys(live, r)
                    ]
        return result

    def to_add(statement: Statement) -> str:
        return (
            f"ask {who} to add statement {statement.sid} from s3.tf to the policy of bucket "
            f"{bucket} (this config's ARNs filled in): without it CreateTrail of "
            f"{config.trail.name} fails with InsufficientS3BucketPolicyException"
        )

    policy = LivePolicy.of(document)
    home = facts.bucket_account
    return _statement_rows(BUCKET, bucket, required, policy, requests, home, (to_add, "s3.tf"))


# --- the owner's key policy ---------------------------------------------------------------------


def key_reader(config: Config) -> Literal["management", "log-archive"] | None:
    """Whose session reads the key's policy: the key's own account's.

    GetKeyPolicy works in the key's account only; Control Tower keeps its key in the management
    account and its bucket in the log-archive account. None: an account verify holds no
    credentials for.
    """
    key = config.kms.key_arn
    account = arn_account(key) if key and config.kms.enabled else None
    if account == config.organization.management_account_id:
        return "management"
    archive = config.log_archive
    return "log-archive" if archive is not None and account == archive.account_id else None


def check_key_statements(live: Live) -> list[Result]:
    """The owner's key policy admits what kms.tf prints: readers' decrypt, CloudTrail's use."""
    config, facts = live.config, facts_of(live.config, live.arns)
    key, who = config.kms.key_arn, keeper(config)
    if key is None or not config.kms.enabled:
        return []  # SSE-S3: no key to admit anyone
    reader = key_reader(config)
    session: Aws | None = None
    if reader is not None:
        session = live.aws if reader == "management" else live.bucket_aws
    if session is None:
        found = (
            f"{MANUAL}: the key is in account {arn_account(key)}, which verify holds no "
            "credentials for"
        )
        fix = f"have the policy of {key} checked against the statements kms.tf prints"
        return [Result(KEY, key, "note", "the statements kms.tf prints", found, fix)]
    response = session.call(
        "kms",
        "get_key_policy",
        region=arn_region(key),
        missing=("NotFoundException",),
        KeyId=key,
        PolicyName="default",
    )
    if response is None:
        fix = f"kms.key_arn names no key: {REDISCOVER} and fix kms.key_arn"
        return [Result(KEY, key, "fail", f"{who}'s key", "no such key", fix)]
    try:
        document = json.loads(response["Policy"])
    except (ValueError, KeyError):
        document = None
    arns, owner = live.arns, config.owner_trail
    trails = [owner.arn] if owner else []
    trails += [arns.trail] if facts.creates_trail else []

    def requests(statement: Statement) -> list[Request]:
        result = []
        for principal in statement.principals:
            for name in principal.identifiers:
                for action in statement.actions:
                    concrete = _concrete(action)
                    for context in _key_contexts(
                        principal.type, name, concrete, arns.trail, trails
                    ):
                        shown = f"{name} {action}"
                        result.append(
                            Request((principal.type, name), concrete, key, context, shown)
                        )
        return result

    def to_add(statement: Statement) -> str:
        effect = (
            f"CreateTrail of {config.trail.name} fails with InsufficientEncryptionPolicyException"
            if any(p.type == "Service" for p in statement.principals)
            else "these readers cannot decrypt the logs (Athena's queries fail)"
        )
        return (
            f"ask {who} to add statement {statement.sid} from kms.tf to the policy of key "
            f"{key}: without it {effect}"
        )

    policy, home = LivePolicy.of(document), str(arn_account(key))
    required = facts.required_key_statements
    return _statement_rows(KEY, key, required, policy, requests, home, (to_add, "kms.tf"))


def _key_contexts(
    kind: str, principal: str, action: str, trail: str, trails: list[str]
) -> list[Context]:
    """The contexts of a KMS request: CloudTrail's for this trail, a reader's per trail's logs."""
    context_key = "kms:encryptioncontext:aws:cloudtrail:arn"
    if kind == "Service":
        # DescribeKey carries no encryption context
        return [
            {
                context_key: None if action == "kms:DescribeKey" else trail,
                "aws:sourcearn": trail,
                "aws:sourceaccount": trail.split(":")[4],
                "aws:securetransport": "true",
            }
        ]
    account = arn_account(principal) or principal
    return [
        {
            context_key: arn,
            "aws:sourcearn": None,
            "aws:sourceaccount": None,
            "aws:principalarn": principal,
            "aws:principalaccount": account,
            "kms:calleraccount": account,
            "aws:securetransport": "true",
        }
        for arn in trails
    ]
