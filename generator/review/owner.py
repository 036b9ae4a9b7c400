"""Beside an owner's trail (``owner_trail``): whose trail, bucket, key and log group, in words.

Why one place: the controls report, the cost estimate and the change summary all name the
owner's things, and a reviewer must read them named alike in all three. They are read from the
config, because none of them is in the module (rule OTG110 refuses any resource on them); for
a module whose config is not known (the one ``check --summary`` compares with) the only trace
in its HCL is the log group its metric filters and saved queries name literally
(:func:`watched_group`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.check.hcl_parse import ParsedModule, literal, literals
from generator.core.arns import parse_arn
from generator.sections.monitoring.rules import trail_log_group

if TYPE_CHECKING:
    from generator.sections.registry import Config

VERIFY = "`orgtrail-gen verify` checks it"


@dataclass(frozen=True)
class Owner:
    """The owner's trail and what belongs to it, and this module's own trail, if any."""

    manager: str  # "AWS Control Tower"
    trail_arn: str
    log_group: str | None  # None: the config names no log group of the owner's trail
    log_group_account: str | None
    bucket: str
    bucket_account: str
    key_arn: str | None  # None: SSE-S3 (kms.enabled: false)
    key_account: str | None
    own_trail: str | None  # this module's trail of data events (None: it creates no trail)

    @property
    def trail_words(self) -> str:
        """``AWS Control Tower's trail arn:...``."""
        return f"{self.manager}'s trail {self.trail_arn}"

    @property
    def bucket_words(self) -> str:
        """The bucket, its owner and its account."""
        return (f"{self.bucket}: {self.manager}'s bucket (account {self.bucket_account}), not "
                "managed here")  # fmt: skip

    @property
    def key_words(self) -> str:
        """The key, its owner and its account."""
        return (f"{self.key_arn}: {self.manager}'s key (account {self.key_account}), not "
                "managed here")  # fmt: skip

    @property
    def group_words(self) -> str:
        """The log group, its owner and its account."""
        return (f"{self.log_group}: {self.manager}'s log group (account "
                f"{self.log_group_account}), which its trail feeds, not managed here")  # fmt: skip

    @property
    def own_words(self) -> str:
        """What this module's trail is, or that there is none."""
        if self.own_trail is None:
            return "this module creates no trail (no trail.events)"
        return f"this module's trail {self.own_trail} records data events only"


def owner_of(config: Config) -> Owner | None:
    """The owner's things named by the config; None outside the companion layout."""
    owner = config.owner_trail
    if owner is None:
        return None
    archive = config.log_archive
    group = parse_arn(owner.log_group_arn) if owner.log_group_arn else None
    key = config.kms.key_arn if config.kms.enabled else None
    key_arn = parse_arn(key) if key else None
    return Owner(
        manager=owner.manager,
        trail_arn=owner.arn,
        log_group=owner.log_group_name,
        log_group_account=group.account if group else None,
        bucket=config.bucket.name,
        bucket_account=archive.account_id if archive else config.organization.management_account_id,
        key_arn=key,
        key_account=key_arn.account if key_arn else None,
        own_trail=config.trail.name if config.trail.events is not None else None,
    )


def watched_group(module: ParsedModule) -> str | None:
    """The log group the metric filters (or saved queries) watch when the module creates none.

    Beside an owner's trail they name the owner's group literally; any other module names its
    own group by reference, or has none. None when the module creates the group its trail
    delivers to, or names no group it does not create.
    """
    if trail_log_group(module) is not None:
        return None
    groups = module.of_type("resource", "aws_cloudwatch_log_group")
    created = {literal(b.body.get("name")) for b in groups}
    named = [literal(b.body.get("log_group_name"))
             for b in module.of_type("resource", "aws_cloudwatch_log_metric_filter")]  # fmt: skip
    for block in module.of_type("resource", "aws_cloudwatch_query_definition"):
        named += literals(block.body.get("log_group_names"))
    return next((name for name in named if name and name not in created), None)
