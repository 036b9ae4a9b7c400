"""Placement: every resource runs in the account its section says it belongs in (OTG070).

Why: with a log-archive account or a CloudTrail delegated administrator, one module drives
several accounts through provider aliases. A resource on the wrong provider is created in the
wrong account - a bucket in the management account that the log-archive account was meant to
own, a trail the delegated administrator cannot manage - and nothing fails until someone looks.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, literals, nested
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import account_of, organization_trails
from generator.core.arns import arn_account

UNPLACED = ("", "no section: declare its type in the resources of the section that renders it")


def _trail_keys(module: ParsedModule) -> set[str]:
    """Addresses of the keys the trail encrypts with (created here)."""
    keys = set()
    for trail in organization_trails(module):
        reference = expression(trail.body.get("kms_key_id")) or ""
        if reference.startswith("aws_kms_key."):
            keys.add(reference.rsplit(".", 1)[0])
    return keys


def placement_of(placements: Mapping[str, str], block: Block) -> str | None:
    """Where a block belongs: by its address, a label prefix (``type.prefix*``), else its type.

    Why addresses too: one resource type can live in two accounts in one module - the alarm
    topic in the management account, the log-file topic beside a log-archive bucket - so the
    section that renders the second places those blocks by address.
    """
    exact = placements.get(block.address)
    if exact is not None:
        return exact
    for pattern, where in placements.items():
        if pattern.endswith("*") and block.address.startswith(pattern[:-1]):
            return where
    return placements.get(block.labels[0])


def _expected(module: ParsedModule, facts: Facts, block: Block) -> tuple[str, str] | None:
    """(account, its role in the layout) a block belongs to; None for one that calls no API.

    A type no section declares is UNPLACED, which fails: a new resource is never silently
    exempt from the layout.
    """
    kind = block.labels[0]
    placement = placement_of(facts.placements, block)
    management = (facts.arns.management_account_id, "the management account")
    bucket = (
        facts.bucket_account,
        "the log-archive account" if facts.log_archive_account else "the management account",
    )
    if placement == "local":
        return None
    if placement == "trail" and facts.delegated_admin_account:
        return facts.delegated_admin_account, "the delegated administrator account"
    if placement in ("management", "trail"):
        return management
    if placement == "bucket":
        return bucket
    if placement == "key":
        key = block.address
        if kind == "aws_kms_alias":
            key = (expression(block.body.get("target_key_id")) or "").rsplit(".", 1)[0]
        return bucket if key in _trail_keys(module) else management
    return UNPLACED


@rule(
    "OTG070",
    "every resource runs in the account it belongs to",
    protects=(
        "With a log-archive account or a delegated administrator one module drives several "
        "accounts: a resource on the wrong provider is created in the wrong account, and a "
        "provider alias not pinned by `allowed_account_ids` to one account of the layout "
        "and a role in it runs wherever its credentials point."
    ),
    satisfy=(
        "Nothing to set: the providers are written from `log_archive.account_id` and "
        "`log_archive.role_arn`, `delegated_admin.account_id` and "
        "`delegated_admin.role_arn`, and each resource's account from the section that "
        "renders it; " + REPORT_BUG
    ),
)
def right_provider(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Compare each resource's provider account with the layout's placement."""
    findings = []
    for block in module.blocks:
        if block.kind not in ("resource", "data"):
            continue
        expected = _expected(module, facts, block)
        if expected is None:
            continue
        account, role = expected
        if expected == UNPLACED:
            findings.append(
                Finding(
                    "OTG070",
                    block.file,
                    block.address,
                    f"{block.labels[0]} belongs to {role}",
                    "add the type to the resources of the section that renders it",
                )
            )
            continue
        actual = account_of(module, block)
        if actual != account:
            provider_name = expression(block.body.get("provider")) or "aws"
            findings.append(
                Finding(
                    "OTG070",
                    block.file,
                    block.address,
                    f"runs with provider {provider_name} (account {actual or 'not pinned'}) but "
                    f"belongs in {role} {account}: it would be created in the wrong account",
                    f'set provider = the alias pinned to allowed_account_ids = ["{account}"]',
                )
            )
    for provider in module.all("provider"):
        alias = literal(provider.body.get("alias"))
        if alias is None:
            continue
        pinned = [
            account
            for account in (facts.log_archive_account, facts.delegated_admin_account)
            if account
        ]
        roles = [
            literal(item.get("role_arn")) or "" for item in nested(provider.body, "assume_role")
        ]
        accounts = literals(provider.body.get("allowed_account_ids"))
        if (
            len(accounts) != 1
            or accounts[0] not in pinned
            or not any(arn_account(role) == accounts[0] for role in roles)
        ):
            findings.append(
                Finding(
                    "OTG070",
                    provider.file,
                    f"provider aws.{alias}",
                    "the provider is not pinned to one account of the layout, or does not "
                    "assume a role in that account",
                    "allowed_account_ids = [ACCOUNT] and assume_role { role_arn = a role in "
                    "ACCOUNT }",
                )
            )
    return findings
