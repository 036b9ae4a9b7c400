"""prowler 5.46.0's policy reading, for the checks that judge a bucket, key or topic policy.

Why mirrored here (written anew from reading that code, not copied):
``s3_bucket_cross_account_access``, ``s3_bucket_policy_public_write_access``,
``s3_bucket_secure_transport_policy``, ``kms_key_not_publicly_accessible`` and
``sns_topics_not_publicly_accessible`` decide on the policy JSON AWS returns, through
``is_policy_public`` and its helpers (``prowler/providers/aws/services/iam/lib/policy.py`` in
the prowler 5.46.0 wheel). Their tests are substring tests (``"*" in principal``, an account id
*in* an ARN, a condition value compared with ``==``), so the report must read the policy in
the same shape and with the same quirks, not by IAM's semantics. Only what these checks pass
is mirrored: no trusted IPs and no cross-service confused-deputy test (none of them asks).

The generated policies come from ``data "aws_iam_policy_document"`` blocks, which the AWS
provider renders with a single value as a string and several as a list (Action, Resource,
each principal type, each condition value); :func:`policy_json` builds that JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import ip_address, ip_network
from typing import Any

from generator.check.preflight.policy_reading import ParsedStatement

Json = dict[str, Any]

_KEYS = ["aws:sourceaccount", "aws:sourceowner", "aws:sourcearn", "aws:principalaccount",
         "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths",
         "aws:resourceaccount", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceorgid",
         "aws:sourceorgpaths", "aws:userid", "aws:username", "aws:calledvia",
         "aws:calledviafirst", "aws:calledvialast", "kms:calleraccount", "kms:viaservice",
         "s3:resourceaccount", "lambda:eventsourcetoken"]  # fmt: skip
# is_condition_block_restrictive's valid_condition_options
_RESTRICTIVE = {
    "StringEquals": _KEYS,
    "StringLike": _KEYS,
    "ArnLike": ["aws:sourcearn", "aws:principalarn"],
    "ArnEquals": ["aws:sourcearn", "aws:principalarn"],
}


def _one_or_many(values: Iterable[str]) -> str | list[str]:
    items = list(values)
    return items[0] if len(items) == 1 else items


def policy_json(statements: Iterable[ParsedStatement]) -> Json:
    """The policy as aws_iam_policy_document renders it, and as GetBucketPolicy returns it."""
    rendered = []
    for s in statements:
        entry: Json = {"Sid": s.sid, "Effect": s.effect}
        if any(kind == "*" for kind, _ in s.principals):
            entry["Principal"] = "*"
        elif s.principals:
            entry["Principal"] = {kind: _one_or_many(ids) for kind, ids in s.principals}
        entry["Action"] = _one_or_many(s.actions)
        entry["Resource"] = _one_or_many(s.resources)
        conditions: dict[str, Json] = {}
        for test, variable, values in s.conditions:
            conditions.setdefault(test, {})[variable] = _one_or_many(values)
        if conditions:
            entry["Condition"] = conditions
        rendered.append(entry)
    return {"Version": "2012-10-17", "Statement": rendered}


def has_public_principal(statement: Json) -> bool:
    """iam/lib/policy.py has_public_principal: ``*`` or ``arn:aws:iam::*:root``, by ``in``."""
    principal = statement.get("Principal", "")
    if "*" in principal or "arn:aws:iam::*:root" in principal:
        return True
    if not isinstance(principal, dict):
        return False
    aws = principal.get("AWS", "")
    canonical = principal.get("CanonicalUser", "")
    return (
        "*" in aws
        or "arn:aws:iam::*:root" in aws
        or "*" in canonical
        or "arn:aws:iam::*:root" in canonical
    )


def _arn_restricts(value: str, source_account: str) -> bool | None:
    """One aws:SourceArn value: False if too wide or another account's, None if fine."""
    if value == "*" or value.count("*") >= 3 or value.endswith((":::*", ":*")):
        return False
    parts = value.split(":")
    if source_account and len(parts) > 4:
        if parts[4] == "*":
            return False
        if parts[4] and (source_account not in value if parts[4].isdigit()
                         else parts[4] != source_account):  # fmt: skip
            return False
    return None


def has_restrictive_source_arn_condition(statement: Json, source_account: str = "") -> bool:
    """iam/lib/policy.py has_restrictive_source_arn_condition (the first SourceArn key)."""
    for pairs in statement.get("Condition", {}).values():
        for key, value in pairs.items():
            if key.lower() == "aws:sourcearn":
                values = value if isinstance(value, list) else [value]
                return all(_arn_restricts(v, source_account) is None for v in values)
    return False


def is_condition_block_restrictive(
    condition: Json, source_account: str = "", is_cross_account_allowed: bool = False
) -> bool:
    """iam/lib/policy.py is_condition_block_restrictive: the account (or VPC) is pinned."""
    valid = False
    for operator, keys in _RESTRICTIVE.items():
        if operator not in condition:
            continue
        pairs = {k.lower(): v for k, v in condition[operator].items()}
        for key in (k for k in keys if k in pairs):
            value = pairs[key]
            if isinstance(value, list):
                restrictive = True
                if not is_cross_account_allowed:
                    for item in value:
                        if key in ("aws:sourcevpc", "aws:sourcevpce"):
                            continue
                        if key == "aws:sourcearn":
                            restrictive = has_restrictive_source_arn_condition(
                                {"Condition": {operator: {key: value}}}, source_account
                            )
                            if not restrictive:
                                break
                        elif source_account not in item:
                            restrictive = False
                            break
                valid = valid or restrictive
            elif isinstance(value, str):
                if key in ("aws:sourcevpc", "aws:sourcevpce") or is_cross_account_allowed:
                    valid = True
                elif key == "aws:sourcearn":
                    valid = has_restrictive_source_arn_condition(
                        {"Condition": {operator: {key: value}}}, source_account
                    )
                elif source_account in value:
                    valid = True
    return valid


def is_condition_block_restrictive_organization(condition: Json) -> bool:
    """iam/lib/policy.py: aws:PrincipalOrgID pinned (StringEquals/StringLike, no ``*``)."""
    valid = False
    for operator in ("StringEquals", "StringLike"):
        pairs = {k.lower(): v for k, v in condition.get(operator, {}).items()}
        value = pairs.get("aws:principalorgid")
        if isinstance(value, list):
            valid = "*" not in value
        elif isinstance(value, str):
            valid = valid or "*" not in value
    return valid


_SNS_ENDPOINT = re.compile(r".+@[^*]+|^https:\/\/[^*]+|^arn:aws:sns:[^*]+")


def is_condition_block_restrictive_sns_endpoint(condition: Json) -> bool:
    """iam/lib/policy.py: sns:Endpoint pinned to an address, an https URL or a topic ARN."""
    valid = False
    for operator in ("StringEquals", "StringLike"):
        pairs = {k.lower(): v for k, v in condition.get(operator, {}).items()}
        value = pairs.get("sns:endpoint")
        if isinstance(value, str) and _SNS_ENDPOINT.fullmatch(value):
            valid = True
    return valid


def _is_private_source(condition: Json) -> bool:
    """iam/lib/policy.py is_condition_restricting_from_private_ip: aws:SourceIp all private."""
    pairs = {k.lower(): v for k, v in condition.get("IpAddress", {}).items()}
    ips = pairs.get("aws:sourceip")
    if not ips:
        return False
    try:
        for ip in ips if isinstance(ips, list) else [ips]:
            if ip in ("*", "0.0.0.0/0"):
                return False
            network = ip_network(ip, strict=False) if "/" in ip else ip_address(ip)
            if not network.is_private:
                return False
    except ValueError:
        return False
    return True


def _outsider(principal: Json, trusted: set[str]) -> bool:
    """An AWS principal that no trusted account id is a substring of (prowler's test)."""
    aws = principal.get("AWS")
    if isinstance(aws, str):
        return not any(account in aws for account in trusted)
    if isinstance(aws, list):
        return not all(any(account in item for account in trusted) for item in aws)
    return False


def _names_action(statement: Json, actions: list[str]) -> bool:
    action = statement.get("Action")
    if not action:
        return False
    if isinstance(action, list):
        return "*" in action or any(a in actions for a in action)
    return action == "*" or action in actions


def is_policy_public(
    policy: Json,
    source_account: str = "",
    is_cross_account_allowed: bool = True,
    not_allowed_actions: list[str] | None = None,
    trusted_account_ids: Iterable[str] = (),
) -> bool:
    """iam/lib/policy.py is_policy_public, without trusted IPs and the confused-deputy test.

    An Allow statement is public when its principal is ``*`` (or, with
    ``is_cross_account_allowed=False``, names an account that neither ``source_account`` nor
    a trusted id is a substring of), it names one of ``not_allowed_actions`` (when given), and
    no condition pins the account, the organization or a private source IP.
    """
    trusted = set(trusted_account_ids) | ({source_account} if source_account else set())
    public = False
    for statement in policy.get("Statement", []) if policy else []:
        if statement.get("Effect") != "Allow":
            continue
        exposed = has_public_principal(statement)
        principal = statement.get("Principal", "")
        if not exposed and isinstance(principal, dict) and source_account:
            exposed = not is_cross_account_allowed and _outsider(principal, trusted)
        if exposed and (not not_allowed_actions or _names_action(statement, not_allowed_actions)):
            condition = statement.get("Condition", {})
            public = not condition or not (
                is_condition_block_restrictive(condition, source_account, is_cross_account_allowed)
                or is_condition_block_restrictive_organization(condition)
                or _is_private_source(condition)
            )
            if public:
                break
    return public


def outside_accounts(policy: Json, source_account: str) -> list[str]:
    """The 12-digit accounts of the AWS principals of Allow statements outside ``source_account``.

    What ``trusted_account_ids`` must list for ``s3_bucket_cross_account_access`` to pass.
    """
    found: set[str] = set()
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        aws = principal.get("AWS", [])
        for item in [aws] if isinstance(aws, str) else aws:
            account = item.split(":")[4] if item.startswith("arn:") else item
            if account.isdigit() and account != source_account:
                found.add(account)
    return sorted(found)
