"""The ordered registry of config sections, and the config they make up together.

Why: a section (organization, trail, bucket, ...) owns its model and cross-field rules, its
view, its templates, its preflight rules, its warnings and its checkov skips, in one
sub-package of ``generator.sections``; this file lists the sections once, in output order, and
everything else - the loader, the renderer, the preflight run, the warnings, the JSON Schema -
is found from it. Adding a section is a line in ``SECTIONS`` and a field in ``Config``; a test
fails when a template, rule or resource type is reachable from none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from generator.config import loader
from generator.config.fields import Issue, StrictModel, TagKey, TagValue, _sorted_tags
from generator.config.regions import partition_of
from generator.config.yaml_source import Located
from generator.core.arns import Arns
from generator.sections import (
    adopt,
    athena,
    backend,
    bucket,
    consumers,
    cost,
    kms,
    layouts,
    logs,
    module,
    monitoring,
    organization,
    outputs,
    owner,
    trail,
)
from generator.sections.adopt.model import Adopt
from generator.sections.athena.model import Athena
from generator.sections.backend.model import Backend
from generator.sections.base import Output, Section
from generator.sections.bucket.model import Bucket
from generator.sections.consumers.model import Consumer
from generator.sections.cost.model import Cost
from generator.sections.facts import ModuleFacts
from generator.sections.kms.model import Kms
from generator.sections.layouts.model import DelegatedAdmin, LogArchive
from generator.sections.logs.model import CloudWatchLogs
from generator.sections.monitoring.model import Monitoring
from generator.sections.organization.model import MISSING_HINTS, RETIRED_KEYS, Organization
from generator.sections.owner.model import OwnerTrail
from generator.sections.trail.model import Trail

# The tags of a config that names none: Security Hub CloudTrail.9 fails on an untagged trail,
# and a reader of the console sees which tool owns each resource.
DEFAULT_TAGS = {"ManagedBy": "orgtrail-gen"}


class Config(StrictModel):
    """One organization: the whole input of one generated module."""

    organization: Organization = Field(
        description="The AWS Organization the trail covers (read, never managed)."
    )
    trail: Trail = Field(description="The organization trail: name, home region, what it records.")
    bucket: Bucket = Field(description="The central log bucket, created here or existing.")
    cloudwatch_logs: CloudWatchLogs | None = Field(
        default=None, description="Omit to deliver to S3 only."
    )
    kms: Kms = Field(
        default_factory=Kms,
        description="The key that encrypts logs and digests: created (default), existing or none.",
    )
    tags: Annotated[dict[TagKey, TagValue], AfterValidator(_sorted_tags)] = Field(
        default_factory=lambda: dict(DEFAULT_TAGS),
        description="Default tags for every resource (provider default_tags). Omitted: "
        "ManagedBy = orgtrail-gen, so that the trail is tagged (Security Hub CloudTrail.9); "
        "{} for no tags at all.",
    )
    log_archive: LogArchive | None = Field(
        default=None,
        description="Put the bucket and its key in a separate log-archive account.",
    )
    delegated_admin: DelegatedAdmin | None = Field(
        default=None,
        description="Create the trail from a CloudTrail delegated administrator account.",
    )
    owner_trail: OwnerTrail | None = Field(
        default=None,
        description=(
            "The companion layout: the organization trail is owned elsewhere (Control Tower, "
            "Landing Zone Accelerator, another stack). This module then adds alarms on its log "
            "group, Athena over its bucket and, for trail.events, a trail of data events only, "
            "and manages nothing of the owner's (`orgtrail-gen discover` writes it)."
        ),
    )
    adopt: Adopt | None = Field(
        default=None,
        description=(
            "What already exists in AWS and is taken over with import blocks instead of "
            "created (`orgtrail-gen discover` fills it in)."
        ),
    )
    backend: Backend | None = Field(
        default=None,
        description="Omit to keep state where you configure it (a hand-written backend.tf is "
        "kept) or, without one, in a local terraform.tfstate.",
    )
    monitoring: Monitoring | None = Field(
        default=None,
        description="CIS metric filters and alarms on the log group, notifications, saved queries.",
    )
    athena: Athena | None = Field(
        default=None,
        description="An Athena table over every account's logs, a workgroup, saved queries.",
    )
    consumers: list[Consumer] = Field(
        default_factory=list,
        description="Who is told of every new log file, each through a queue of its own "
        "(Splunk, Elastic, any SQS-based collector): the module owns the bucket's one "
        "notification configuration and fans it out through one topic.",
    )
    cost: Cost | None = Field(
        default=None,
        description="Inputs of the cost estimate (`orgtrail-gen cost`): the organization's "
        "size and event volumes, measured volumes, price overrides. Changes no resource.",
    )


# In output order: each section's files follow those of the sections before it.
SECTIONS: tuple[Section, ...] = (
    module.SECTION,
    organization.SECTION,
    trail.SECTION,
    bucket.SECTION,
    kms.SECTION,
    logs.SECTION,
    layouts.SECTION,
    owner.SECTION,
    monitoring.SECTION,
    athena.SECTION,
    consumers.SECTION,
    outputs.SECTION,
    adopt.SECTION,
    backend.SECTION,
    cost.SECTION,
)


def cross_field_issues(config: Config) -> list[Issue]:
    """Every section's rules that relate several fields, each as (key path, message)."""
    return [issue for section in SECTIONS for issue in section.cross_field_issues(config)]


SCHEMA = loader.Schema(
    model=Config,
    cross_field_issues=cross_field_issues,
    retired_keys=RETIRED_KEYS,
    missing_hints=MISSING_HINTS,
)


def load_config(path: Path) -> Config:
    """Read, locate and validate one config file (see :mod:`generator.config.loader`)."""
    return loader.load(path, SCHEMA)


def arns_of(config: Config) -> Arns:
    """Every ARN of the module, derived from a validated config."""
    part = partition_of(config.trail.home_region)
    if part is None:  # the config model already refused such a region
        raise ValueError(f"unknown region {config.trail.home_region}")
    return Arns(
        partition=part.name,
        dns_suffix=part.dns_suffix,
        home_region=config.trail.home_region,
        management_account_id=config.organization.management_account_id,
        org_id=config.organization.id,
        trail_name=config.trail.name,
        bucket_name=config.bucket.name,
        key_prefix=config.trail.s3_key_prefix,
    )


def facts_of(config: Config, arns: Arns | None = None) -> ModuleFacts:
    """The cross-section decisions of one config (``arns``: a live organization's, for verify)."""
    return ModuleFacts(config, arns or arns_of(config), _outputs, _key_readers, _log_readers)


def _outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    return tuple(output for section in SECTIONS for output in section.outputs(facts))


def _key_readers(facts: ModuleFacts) -> tuple[str, ...]:
    return tuple(reader for section in SECTIONS for reader in section.key_readers(facts))


def _log_readers(facts: ModuleFacts) -> tuple[str, ...]:
    return tuple(reader for section in SECTIONS for reader in section.log_readers(facts))


def views(facts: ModuleFacts) -> dict[str, object | None]:
    """Every section's view by its template context name (None: it renders nothing)."""
    return {section.name: section.view(facts) for section in SECTIONS}


def warnings(facts: ModuleFacts) -> list[str]:
    """What the user should know before applying, though nothing is wrong, section by section."""
    return [warning for section in SECTIONS for warning in section.warnings(facts)]


def placements() -> dict[str, str]:
    """The account each resource type belongs in, from the sections that declare it."""
    return {kind: where for section in SECTIONS for kind, where in section.resources.items()}


def validate(located: Located) -> Config:
    """Validate already-parsed YAML against every section (see :func:`loader.validate`)."""
    return loader.validate(located, SCHEMA)
