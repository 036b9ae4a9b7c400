"""What several sections' views decide together, computed once per module.

Why: the trail names the key the kms section creates; the bucket's encryption waits for an
adopted trail; the outputs list what the other sections created. Each such decision is made
here, once, from the config, and every view reads it - so two views can never disagree, and a
view never has to import another section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from generator.core.arns import Arns, principal_account
from generator.render import policies
from generator.render.hcl import Ref
from generator.sections.addresses import (
    DELEGATED_ADMIN_PROVIDER,
    KEY,
    LOG_ARCHIVE_PROVIDER,
    LOG_GROUP,
    LOGS_KEY,
    ROLE_POLICY_NAME,
)

if TYPE_CHECKING:
    from generator.sections.base import Output
    from generator.sections.owner.model import OwnerTrail
    from generator.sections.registry import Config

T = TypeVar("T")


def known_accounts(config: Config) -> frozenset[str]:
    """The accounts the config names: management, log archive, delegated administrator.

    Athena's default account partitions and the review's outside-principal check both mean
    exactly these.
    """
    accounts = {config.organization.management_account_id}
    for section in (config.log_archive, config.delegated_admin):
        if section is not None:
            accounts.add(section.account_id)
    return frozenset(accounts)


@dataclass(frozen=True)
class ModuleFacts:
    """One config, its ARNs, and the decisions that span sections."""

    config: Config
    arns: Arns
    # What every section adds to the module-wide lists, in registry order: the registry knows
    # the sections, this does not (see Section.outputs, .key_readers and .log_readers).
    outputs_of: Callable[[ModuleFacts], tuple[Output, ...]] = lambda facts: ()
    key_readers_of: Callable[[ModuleFacts], tuple[str, ...]] = lambda facts: ()
    log_readers_of: Callable[[ModuleFacts], tuple[str, ...]] = lambda facts: ()
    _computed: dict[Callable[..., Any], Any] = field(
        default_factory=dict, repr=False, compare=False
    )

    def once(self, compute: Callable[[ModuleFacts], T]) -> T:
        """``compute(self)``, computed on the first call only.

        For a section's own derivation that both its view and its warnings read, such as the
        adoption warnings: facts.py names no section, so it cannot hold them as a property.
        """
        if compute not in self._computed:
            self._computed[compute] = compute(self)
        result: T = self._computed[compute]
        return result

    @cached_property
    def outputs(self) -> tuple[Output, ...]:
        """The outputs every section declares for this config."""
        return self.outputs_of(self)

    @cached_property
    def has_created_key(self) -> bool:
        """Whether this module creates the trail's KMS key (rather than using an existing one)."""
        return self.config.kms.enabled and self.config.kms.key_arn is None

    @cached_property
    def key_reference(self) -> str | None:
        """How templates name the trail key's ARN: a reference, a literal ARN, or None (no KMS)."""
        kms = self.config.kms
        if not kms.enabled:
            return None
        return Ref(f"{KEY}.arn") if kms.key_arn is None else kms.key_arn

    @cached_property
    def bucket_provider(self) -> str | None:
        """The provider of the bucket and its key: the log-archive account's, or the default."""
        return LOG_ARCHIVE_PROVIDER if self.config.log_archive else None

    @cached_property
    def bucket_account(self) -> str:
        """The account that owns the bucket (and the trail's key)."""
        archive = self.config.log_archive
        return archive.account_id if archive else self.arns.management_account_id

    @cached_property
    def trail_provider(self) -> str | None:
        """The provider that creates the trail: a delegated administrator's, or the default."""
        return DELEGATED_ADMIN_PROVIDER if self.config.delegated_admin else None

    @cached_property
    def has_cloudwatch(self) -> bool:
        """Whether this module's trail also delivers to CloudWatch Logs (its own log group)."""
        return self.config.cloudwatch_logs is not None

    @cached_property
    def owner(self) -> OwnerTrail | None:
        """The organization trail someone else owns (``owner_trail``): the companion layout."""
        return self.config.owner_trail

    @cached_property
    def creates_trail(self) -> bool:
        """Whether this module creates a trail.

        Beside an owner's trail it creates one only for the data and network activity events
        the config asks for (``trail.events``, management events none); without any, the
        owner's trail records everything this module monitors.
        """
        return self.owner is None or self.config.trail.events is not None

    @cached_property
    def writes_bucket_policy(self) -> bool:
        """Whether this module writes the bucket's policy (not ``existing_policy: keep``)."""
        bucket = self.config.bucket
        return bucket.create or bucket.existing_policy != "keep"

    @cached_property
    def monitored_log_group(self) -> str | None:
        """The log group the metric filters watch: this module's (a reference) or the owner's.

        The owner's is its real name, as ``owner_trail.log_group_arn`` gives it (Control Tower
        4.0 suffixes it): never a name this module guesses.
        """
        if self.owner is not None:
            return self.owner.log_group_name
        return Ref(f"{LOG_GROUP}.name") if self.has_cloudwatch else None

    @cached_property
    def has_log_group_key(self) -> bool:
        """Whether the log group gets a key of its own account (the trail's is elsewhere)."""
        config = self.config
        return config.log_archive is not None and self.has_cloudwatch and config.kms.enabled

    @cached_property
    def log_group_key_reference(self) -> str | None:
        """How the log group names its key's ARN."""
        return Ref(f"{LOGS_KEY}.arn") if self.has_log_group_key else self.key_reference

    @cached_property
    def enables_trusted_access(self) -> bool:
        """Whether this module enables CloudTrail's trusted access (else it only asserts it)."""
        return self.config.organization.cloudtrail_trusted_access in ("enable", "adopt")

    @cached_property
    def log_readers(self) -> tuple[str, ...]:
        """Who may read every log file: ``bucket.readers`` and the sections' readers.

        ONE definition of a reader (what ``bucket.readers`` means): the bucket policy lets
        each read the bucket's objects and the trail key's policy lets each decrypt them. A
        section whose principals must read the logs the same way (the consumers' roles)
        declares them (``Section.log_readers``) instead of writing grants of its own, so the
        review, verify and the outside-principal check see one reader statement, not two.
        """
        readers = policies.principal_arns(self.arns, self.config.bucket.readers)
        return tuple(sorted({*readers, *self.log_readers_of(self)}))

    @cached_property
    def key_readers(self) -> tuple[str, ...]:
        """Who may decrypt the logs: the bucket's account, the log readers, the key readers.

        The account root stands for the account's IAM policies, which decide within it. Key
        readers (Athena's) decrypt without a bucket-policy grant: they are in the bucket's
        account, where IAM alone lets them read.
        """
        root = self.arns.root(self.bucket_account)
        return tuple(sorted({root, *self.log_readers, *self.key_readers_of(self)}))

    def administrators(self, account_id: str) -> tuple[str, ...]:
        """Who administers a key of ``account_id``: its root and kms.administrators of it.

        An administrator of another account could call none of KMS's administrative
        operations on the key (they do not work across accounts), so it is left off.
        """
        named = policies.principal_arns(
            self.arns,
            [p for p in self.config.kms.administrators if principal_account(p) == account_id],
        )
        return tuple(sorted({self.arns.root(account_id), *named}))

    @cached_property
    def trail_key_encrypts_log_group(self) -> bool:
        """Whether the log group is encrypted with the trail's key (no key of its own)."""
        return self.has_cloudwatch and not self.has_log_group_key

    @cached_property
    def required_key_statements(self) -> policies.PolicyDocument:
        """What the trail's key policy must grant, whoever manages the key.

        For an existing key (``kms.key_arn``) this module cannot change the policy, so these
        statements - with this config's ARNs - are printed for its owner to add.
        """
        cwl = self.config.cloudwatch_logs
        document = policies.key_usage_policy(
            self.arns,
            readers=self.key_readers,
            log_group_name=cwl.log_group_name
            if cwl and self.trail_key_encrypts_log_group
            else None,
        )
        if self.creates_trail:
            return document
        # Beside an owner's trail without a trail of this module: only the readers' decrypt.
        readers = tuple(s for s in document.statements if s.sid == "AllowLogReadersDecrypt")
        return document._replace(statements=readers)

    @cached_property
    def required_bucket_statements(self) -> policies.PolicyDocument | None:
        """What a kept bucket policy (``existing_policy: keep``) must grant this module's trail.

        None when this module writes the policy itself, or creates no trail. The TLS-only deny
        is the owner's to decide and is not asked for.
        """
        if self.writes_bucket_policy or not self.creates_trail:
            return None
        document = policies.bucket_policy(self.arns)
        grants = tuple(s for s in document.statements if s.effect == "Allow")
        return document._replace(statements=grants)

    @cached_property
    def managed_bucket_settings(self) -> frozenset[str]:
        """The bucket settings s3.tf manages for a created bucket (keys of BUCKET_SETTINGS)."""
        bucket = self.config.bucket
        managed = {"public_access_block", "ownership_controls", "versioning", "encryption"}
        managed |= {"lifecycle", "policy"}
        if bucket.object_lock is not None:
            managed.add("object_lock")
        if bucket.access_logging is not None:
            managed.add("logging")
        return frozenset(managed)

    @cached_property
    def adopted_bucket_settings(self) -> tuple[str, ...]:
        """Adopted bucket settings this module manages (names of BUCKET_SETTINGS).

        A setting the bucket has but the config does not generate (e.g. server access logging
        without ``bucket.access_logging``) is left as it is, so it is not imported.
        """
        adopt = self.config.adopt
        if adopt is None or adopt.bucket is None or not self.config.bucket.create:
            return ()
        return tuple(
            name for name in adopt.bucket.configurations if name in self.managed_bucket_settings
        )

    @cached_property
    def encryption_waits_for_trail(self) -> bool:
        """Whether an adopted bucket may turn to SSE-KMS only after the adopted trail's update.

        Until UpdateTrail gives the adopted trail the key, CloudTrail writes each file without
        naming one. Once the bucket's default encryption is SSE-KMS, S3 encrypts such a file
        with the key on CloudTrail's behalf, under S3's encryption context (aws:s3:arn) - and
        the key policy admits CloudTrail only under its own (aws:cloudtrail:arn), so the write
        is refused and the file is lost. With the encryption change depending on the trail,
        the trail names the key first and no delivery fails. A new bucket or a new trail has
        no such window (nothing writes before the trail is created with its key), so the
        greenfield order stays as it is.
        """
        adopt = self.config.adopt
        imports_trail_and_bucket = (
            adopt is not None
            and adopt.trail is not None
            and adopt.bucket is not None
            and self.config.bucket.create
        )
        return imports_trail_and_bucket and self.key_reference is not None

    @cached_property
    def role_path(self) -> str:
        """The delivery role's IAM path: an adopted role keeps its own (path is ForceNew)."""
        adopt = self.config.adopt
        return adopt.role.path if adopt is not None and adopt.role is not None else "/"

    @cached_property
    def role_policy_name(self) -> str:
        """The delivery role's inline policy: an adopted one keeps its name (it is ForceNew)."""
        adopt = self.config.adopt
        if adopt is not None and adopt.role is not None and adopt.role.inline_policy:
            return adopt.role.inline_policy
        return ROLE_POLICY_NAME

    @cached_property
    def alarm_topic_name(self) -> str:
        """The created alarm topic's name: configured, else ``<trail>-alarms``."""
        monitoring = self.config.monitoring
        topic = monitoring.notifications.topic if monitoring else None
        if topic is not None and topic.name:
            return topic.name
        return self.config.trail.name.replace(".", "-") + "-alarms"

    @cached_property
    def alarm_topic_arn(self) -> str:
        """The topic every alarm notifies: the existing one, else the created one's ARN."""
        monitoring = self.config.monitoring
        existing = monitoring.notifications.existing_topic_arn if monitoring else None
        return existing or (
            f"arn:{self.arns.partition}:sns:{self.arns.home_region}:"
            f"{self.arns.management_account_id}:{self.alarm_topic_name}"
        )

    @cached_property
    def has_alarms(self) -> bool:
        """Whether the monitoring section renders metric filters with alarms."""
        monitoring = self.config.monitoring
        return (
            monitoring is not None
            and self.monitored_log_group is not None
            and bool(monitoring.control_ids or monitoring.custom_filters)
        )

    @cached_property
    def creates_alarm_topic(self) -> bool:
        """Whether this module creates the alarm topic (alarms, and no existing topic named)."""
        monitoring = self.config.monitoring
        return (
            self.has_alarms
            and monitoring is not None
            and monitoring.notifications.existing_topic_arn is None
        )
