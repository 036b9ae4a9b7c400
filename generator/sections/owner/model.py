"""The owner_trail section: an organization trail this module sits beside and never manages.

Why a section of its own: Control Tower, Landing Zone Accelerator or another team's stack often
already owns the organization trail, its bucket, key and log group. A second trail recording
management events would be a paid copy of every event; what such an organization lacks is what
this tool adds on top - CIS alarms on the owner's log group, Athena over the owner's bucket, a
trail of data events only. The owner's resources are named here, and every section reads them
through :class:`generator.sections.facts.ModuleFacts` (``facts.owner``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from generator.config.fields import Issue, LogGroupArn, StrictModel, TrailArn
from generator.config.regions import partition_of
from generator.core.arns import parse_arn

if TYPE_CHECKING:
    from generator.sections.registry import Config

# Who manages the owner's trail, in words; discover recognises the first three by their naming
# (aws-controltower-, AWSAccelerator-) or by the aws:cloudformation:stack-name tag.
MANAGERS = {
    "control-tower": "AWS Control Tower",
    "lza": "Landing Zone Accelerator",
    "cloudformation": "a CloudFormation stack",
    "other": "another team",
}


class OwnerTrail(StrictModel):
    """The organization trail someone else owns: read and verified, never managed here."""

    managed_by: Literal["control-tower", "lza", "cloudformation", "other"] = Field(
        description=(
            "Who owns it: control-tower, lza (Landing Zone Accelerator), cloudformation (a "
            "stack) or other. Words only: nothing of theirs is managed whichever it is."
        )
    )
    arn: TrailArn = Field(
        description=(
            "The owner's organization trail (its TrailARN: home region and management account). "
            "Its bucket is bucket.name (create: false, existing_policy: keep), its key prefix "
            "trail.s3_key_prefix and its key kms.key_arn (kms.enabled: false for SSE-S3)."
        )
    )
    log_group_arn: LogGroupArn | None = Field(
        default=None,
        description=(
            "The log group the owner's trail delivers to (its CloudWatchLogsLogGroupArn, as "
            "`orgtrail-gen discover` reads it: Control Tower 4.0 gives it a random suffix). The "
            "CIS metric filters and alarms go on it. Omit when the trail delivers to S3 only."
        ),
    )

    @property
    def manager(self) -> str:
        """Who owns the trail, in words."""
        return MANAGERS[self.managed_by]

    @property
    def trail_name(self) -> str:
        """The owner's trail name, from its ARN."""
        return self.arn.rsplit("/", 1)[1]

    @property
    def log_group_name(self) -> str | None:
        """The owner's log group name, from its ARN (without the ``:*``)."""
        if self.log_group_arn is None:
            return None
        return self.log_group_arn.removesuffix(":*").split(":log-group:", 1)[1]


def cross_field_issues(config: Config) -> list[Issue]:
    """What the companion layout may not do: take over, or sit apart from, the owner's trail."""
    owner = config.owner_trail
    if owner is None:
        return []
    issues: list[Issue] = []
    trail_arn = parse_arn(owner.arn)
    management = config.organization.management_account_id
    home = config.trail.home_region
    partition = partition_of(home)
    if trail_arn is not None and trail_arn.account != management:
        issues.append(
            (
                ("owner_trail", "arn"),
                f"is a trail of account {trail_arn.account}, so it is not an organization trail "
                f"of this organization: an organization trail's ARN carries the management "
                f"account's id ({management}), even when a delegated administrator created it. "
                "Name the organization trail (`orgtrail-gen discover` lists them)",
            )
        )
    if trail_arn is not None and trail_arn.region != home:
        issues.append(
            (
                ("trail", "home_region"),
                f"the owner's trail is in {trail_arn.region}: its log group, and so the metric "
                f"filters and this module's data-event trail, belong there; set "
                f"trail.home_region: {trail_arn.region}",
            )
        )
    if trail_arn is not None and partition and trail_arn.partition != partition.name:
        issues.append((("owner_trail", "arn"), f"not in the trail's partition {partition.name}"))
    if owner.trail_name == config.trail.name:
        issues.append(
            (
                ("trail", "name"),
                f"is the owner's trail ({owner.manager}): trail.name names this module's own "
                "trail of data events; choose another name",
            )
        )
    group = parse_arn(owner.log_group_arn) if owner.log_group_arn else None
    if group is not None and partition and group.partition != partition.name:
        issues.append(
            (("owner_trail", "log_group_arn"), f"not in the trail's partition {partition.name}")
        )
    elsewhere = group is not None and trail_arn is not None and group[2:4] != trail_arn[2:4]
    if elsewhere and group is not None and trail_arn is not None:
        issues.append(
            (
                ("owner_trail", "log_group_arn"),
                f"is in account {group.account}, {group.region}; the owner's trail delivers "
                f"only to a log group of its own account and home region "
                f"({trail_arn.account}, {trail_arn.region}). Copy CloudWatchLogsLogGroupArn "
                "from `aws cloudtrail describe-trails` (or run `orgtrail-gen discover`)",
            )
        )
    issues.extend(_sections_issues(config, owner))
    return issues


def _sections_issues(config: Config, owner: OwnerTrail) -> list[Issue]:
    """The other sections in the companion layout: nothing of the owner's is created or taken."""
    issues: list[Issue] = []
    who = owner.manager
    if config.organization.cloudtrail_trusted_access != "already_enabled":
        issues.append(
            (
                ("organization", "cloudtrail_trusted_access"),
                f"must be already_enabled beside {who}'s trail: its organization trail depends "
                "on CloudTrail's trusted access, and a module that enabled or adopted it would "
                "disable it on destroy, turning that trail into a single-account trail",
            )
        )
    bucket = config.bucket
    if bucket.create or bucket.existing_policy != "keep":
        issues.append(
            (
                ("bucket", "existing_policy" if not bucket.create else "create"),
                f"bucket.name is the bucket of {who}'s trail: set create: false and "
                "existing_policy: keep, so that its bucket and policy stay theirs (the "
                "statements this module needs are printed for them to add)",
            )
        )
    if config.cloudwatch_logs is not None:
        issues.append(
            (
                ("cloudwatch_logs",),
                f"{who}'s trail already delivers to a log group: name it in "
                "owner_trail.log_group_arn and remove cloudwatch_logs (this module's own trail "
                "records data events only, which belong in S3)",
            )
        )
    if config.adopt is not None:
        issues.append(
            (
                ("adopt",),
                f"adoption takes over existing resources; beside {who}'s trail nothing of "
                "theirs is ever imported. Remove adopt",
            )
        )
    if config.monitoring is not None and owner.log_group_arn is None:
        issues.append(
            (
                ("monitoring",),
                f"the metric filters and alarms go on the log group of {who}'s trail: set "
                "owner_trail.log_group_arn, or remove monitoring if it delivers to S3 only",
            )
        )
    events = config.trail.events
    if events is not None and events.management.read_write != "none":
        issues.append(
            (
                ("trail", "events", "management", "read_write"),
                f"must be none beside {who}'s trail, which records the management events: "
                "a second trail recording them pays for a second copy of every event "
                "(`orgtrail-gen cost` prices it). This module's trail records data and "
                "network activity events only",
            )
        )
    return issues
