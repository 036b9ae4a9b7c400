"""The adopt section: what already exists in AWS, imported instead of created.

It owns ``imports.tf``: one import block per adopted resource, and as comments the in-place
changes the plan will make to each (``changes``), which the CLI also prints as warnings.
"""

from __future__ import annotations

import textwrap
from typing import NamedTuple

from generator.core.constants import CLOUDTRAIL_PRINCIPAL
from generator.sections.addresses import (
    BUCKET,
    BUCKET_SETTINGS,
    KEY,
    KEY_ALIAS,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    TRAIL,
    TRUSTED_ACCESS,
)
from generator.sections.adopt import model, rules
from generator.sections.adopt.changes import adoption_warnings
from generator.sections.base import Section
from generator.sections.facts import ModuleFacts


class ImportBlock(NamedTuple):
    """One ``import`` block: the address it fills, the id it reads, the provider it runs with."""

    to: str
    id: str
    provider: str


class ImportsView(NamedTuple):
    """What imports.tf needs."""

    files: tuple[str, ...]
    blocks: tuple[ImportBlock, ...]
    notes: tuple[str, ...]
    trusted_access: str


def _provider_of(facts: ModuleFacts, address: str) -> str:
    """The provider alias an import must name: the one its target resource runs with."""
    if address == TRAIL:
        return facts.trail_provider or ""
    if address.startswith("aws_s3_bucket") or address in (KEY, KEY_ALIAS):
        return facts.bucket_provider or ""
    return ""


def import_targets(facts: ModuleFacts) -> list[tuple[str, str]]:
    """(address, import id) per adopted resource.

    The ids follow each resource type's import format in hashicorp/aws (its docs' "Import"
    sections and importers): the trail by ARN (its resource id since provider PR #30758), a
    bucket and each of its settings by bucket name, a log group and a role by name, a role
    policy as ``role:policy``, a key by key id (not ARN), an alias by ``alias/...``, and
    trusted access by its service principal. Rule OTG060 checks each id's format again on
    the rendered file.
    """
    config, adopt = facts.config, facts.config.adopt
    result: list[tuple[str, str]] = []
    if config.organization.cloudtrail_trusted_access == "adopt":
        result.append((TRUSTED_ACCESS, CLOUDTRAIL_PRINCIPAL))
    if adopt is None:
        return result
    if adopt.trail is not None:
        result.append((TRAIL, adopt.trail.arn))
    if facts.adopted_bucket_settings:
        result.append((BUCKET, config.bucket.name))
        result += [
            (BUCKET_SETTINGS[name], config.bucket.name) for name in facts.adopted_bucket_settings
        ]
    elif adopt.bucket is not None and config.bucket.create:
        result.append((BUCKET, config.bucket.name))
    cwl = config.cloudwatch_logs
    if adopt.log_group is not None and cwl is not None:
        result.append((LOG_GROUP, cwl.log_group_name))
    if adopt.role is not None and cwl is not None:
        result.append((ROLE, cwl.role_name))
        if adopt.role.inline_policy:
            result.append((ROLE_POLICY, f"{cwl.role_name}:{facts.role_policy_name}"))
    if adopt.key is not None and facts.has_created_key:
        result.append((KEY, adopt.key.arn.rsplit("/", 1)[1]))
        if adopt.key.alias is not None:
            result.append((KEY_ALIAS, adopt.key.alias))
    return result


def build(facts: ModuleFacts) -> ImportsView | None:
    """The import blocks, and as comment lines the in-place changes of what they import.

    The reviewer of the pull request reads the same ``old -> new`` list the CLI prints,
    next to the import blocks it belongs to.
    """
    blocks = tuple(
        ImportBlock(to=address, id=import_id, provider=_provider_of(facts, address))
        for address, import_id in import_targets(facts)
    )
    if not blocks:
        return None
    lines: list[str] = []
    for warning in facts.once(adoption_warnings):
        for line in warning.splitlines():
            indent = " " * (len(line) - len(line.lstrip()))
            lines += textwrap.wrap(
                line, 96, subsequent_indent=indent + "  ", break_on_hyphens=False
            )
    return ImportsView(
        files=("imports",),
        blocks=blocks,
        notes=tuple(lines),
        trusted_access=facts.config.organization.cloudtrail_trusted_access,
    )


SECTION = Section(
    name="imports",
    keys=("adopt",),
    templates=("imports",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=lambda facts: facts.once(adoption_warnings),
    rules=rules,
)
