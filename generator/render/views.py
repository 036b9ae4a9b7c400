"""Per-template views: all decisions about what to emit, made in Python.

Why: templates should only loop and look up. Every conditional that depends on the config
(which resources exist, which depend on which, what a policy says) is decided here, where it
can be unit-tested and type-checked, and handed to the template as plain data.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from generator.config.model import (
    CLOUDTRAIL_PRINCIPAL,
    Config,
    default_key_alias,
    principal_account,
)
from generator.monitoring.names import monitoring_label, subscription_label
from generator.render import athena_view, policies
from generator.render.arns import Arns
from generator.render.hcl import Ref

# Terraform addresses, named once: templates, depends_on lists and preflight checks use these.
ORGANIZATION = "data.aws_organizations_organization.this"
TRUSTED_ACCESS = "aws_organizations_aws_service_access.cloudtrail"
# What orgtrail-gen 0.1 managed; its output carries a `removed` block for it (see organization()).
LEGACY_ORGANIZATION = "aws_organizations_organization.this"
TRAIL = "aws_cloudtrail.org"
BUCKET = "aws_s3_bucket.logs"
BUCKET_POLICY = "aws_s3_bucket_policy.logs"
LOG_GROUP = "aws_cloudwatch_log_group.cloudtrail"
ROLE = "aws_iam_role.cloudtrail_cloudwatch"
ROLE_POLICY = "aws_iam_role_policy.cloudtrail_cloudwatch"
KEY = "aws_kms_key.cloudtrail"
KEY_ALIAS = "aws_kms_alias.cloudtrail"
LOGS_KEY = "aws_kms_key.cloudwatch_logs"
LOGS_KEY_ALIAS = "aws_kms_alias.cloudwatch_logs"
DELEGATED_ADMIN = "aws_cloudtrail_organization_delegated_admin_account.trail_creator"
# Provider aliases of the layouts (the default provider is the management account).
LOG_ARCHIVE_PROVIDER = "aws.log_archive"
DELEGATED_ADMIN_PROVIDER = "aws.delegated_admin"
# The bucket's split resources, each labelled like the bucket; keyed by the name
# adopt.bucket.configurations gives each setting.
BUCKET_SETTINGS = {
    "public_access_block": "aws_s3_bucket_public_access_block.logs",
    "ownership_controls": "aws_s3_bucket_ownership_controls.logs",
    "versioning": "aws_s3_bucket_versioning.logs",
    "encryption": "aws_s3_bucket_server_side_encryption_configuration.logs",
    "lifecycle": "aws_s3_bucket_lifecycle_configuration.logs",
    "object_lock": "aws_s3_bucket_object_lock_configuration.logs",
    "logging": "aws_s3_bucket_logging.logs",
    "policy": BUCKET_POLICY,
}
# The delivery role's inline policy, unless an adopted one keeps its own name.
ROLE_POLICY_NAME = "cloudtrail-cloudwatch-delivery"
ALARM_TOPIC = "aws_sns_topic.alarms"
ALARM_TOPIC_POLICY = "aws_sns_topic_policy.alarms"
ALARM_KEY = "aws_kms_key.alarms"
ALARM_KEY_ALIAS = "aws_kms_alias.alarms"

# checkov checks that do not fit an organization's log archive, each with the reason a
# reviewer reads next to it. tests/test_terraform_checkers.py lists the same ids, so that
# none appears silently.
SKIP_REPLICATION = (
    "CKV_AWS_144",
    "Cross-region replication is a separate DR decision; the bucket is versioned and locked "
    "against deletion",
)
SKIP_NOTIFICATIONS = (
    "CKV2_AWS_62",
    "Nothing consumes object events from the log archive; alerting runs on the log group",
)
SKIP_TRAIL_SNS = (
    "CKV_AWS_252",
    "Per-file delivery notifications are noise at organization scale; alarms use the log group",
)
SKIP_KEY_POLICY_STAR = (
    ("CKV_AWS_109", "In a key policy, Resource * means this key only; admin is the account root"),
    ("CKV_AWS_111", "In a key policy, Resource * means this key only; writes need SourceArn"),
    ("CKV_AWS_356", "In a key policy, Resource * means this key only"),
)
SKIP_ALARM_KEY_POLICY_STAR = (
    ("CKV_AWS_109", "In a key policy, Resource * means this key only; admin is the account root"),
    ("CKV_AWS_111", "In a key policy, Resource * means this key only; use needs the alarm's ARN"),
    ("CKV_AWS_356", "In a key policy, Resource * means this key only"),
)


def _off(check: str, setting: str) -> tuple[str, str]:
    """A checkov skip for a protection the config switches off, naming the key that does it."""
    return (check, f"switched off in the config ({setting})")


def _unset(check: str, reason: str) -> tuple[str, str]:
    """A checkov skip for an optional feature the config does not ask for, and what enables it."""
    return (check, reason)


# Storage classes that refuse objects under 128 KB even with varies_by_storage_class, and those
# whose objects must be restored before anyone can read them (S3 User Guide, lifecycle
# transition constraints).
_SMALL_OBJECTS_STAY = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR")
_NEEDS_RESTORE = ("GLACIER", "DEEP_ARCHIVE")


def lifecycle_notes(config: Config) -> list[str]:
    """What the configured transitions do to CloudTrail's files, said before anyone applies.

    Most log and digest files are smaller than 128 KB, which some classes never accept; and a
    digest file moved to an archive class must be restored before ``aws cloudtrail
    validate-logs`` can read it. Digest files cannot get a rule of their own: they sit under
    each account's folder (``AWSLogs/<org-id>/<account>/CloudTrail-Digest/``), and a lifecycle
    filter matches key prefixes only.
    """
    notes = []
    for transition in config.bucket.lifecycle.transitions:
        day, kind = transition.days, transition.storage_class
        if kind in _SMALL_OBJECTS_STAY:
            notes.append(
                f"day {day}, {kind}: objects under 128 KB - most CloudTrail log and digest "
                f"files - stay in STANDARD; S3 never moves them to {kind}, which would bill "
                "each as 128 KB."
            )
        if kind in _NEEDS_RESTORE:
            notes.append(
                f"day {day}, {kind}: log AND digest files older than {day} days must be "
                "restored before they can be read or checked with `aws cloudtrail "
                "validate-logs`; a lifecycle rule cannot keep digest files out."
            )
    return notes


def monitoring_notes(config: Config) -> list[str]:
    """What the monitoring section leaves to people, said before anyone applies.

    Terraform cannot confirm an email subscription, and it cannot change an existing topic's
    policy: until someone acts, alarms fire and reach nobody.
    """
    monitoring = config.monitoring
    if monitoring is None:
        return []
    notes = []
    topic = monitoring.notifications.topic
    subscriptions = topic.subscriptions if topic else []
    emails = [s.endpoint for s in subscriptions if s.protocol == "email"]
    if emails:
        notes.append(
            f"email subscriptions ({', '.join(emails)}) stay PendingConfirmation until each "
            "recipient follows the link AWS sends after apply; until then they receive no alarm"
        )
    hooks = [s.endpoint for s in subscriptions if s.protocol == "https"]
    if hooks:
        notes.append(
            f"https subscriptions ({', '.join(hooks)}) stay PendingConfirmation until the "
            "endpoint visits the SubscribeURL of the confirmation message SNS posts to it"
        )
    alarmed = monitoring.control_ids or monitoring.custom_filters
    created = monitoring.notifications.existing_topic_arn is None
    if alarmed and created and not (topic and topic.subscriptions):
        notes.append(
            "the alarm topic has no subscriptions: alarms fire and reach nobody until someone "
            "subscribes (monitoring.notifications.topic.subscriptions, or the alarm_topic_arn "
            "output); Security Hub and CIS want at least one confirmed subscriber"
        )
    logs = config.cloudwatch_logs
    if alarmed and logs and 0 < logs.retention_in_days < 365:
        notes.append(
            f"cloudwatch_logs.retention_in_days is {logs.retention_in_days}: Security Hub "
            "CloudWatch.16 wants the log group kept for at least 365 days"
        )
    existing = monitoring.notifications.existing_topic_arn
    if existing:
        notes.append(
            f"alarms notify {existing}, which is not managed here: its policy must allow "
            "cloudwatch.amazonaws.com sns:Publish and, if it is encrypted, its customer-managed "
            "key must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*"
        )
    return notes


def _label(address: str) -> str:
    return address.rsplit(".", 1)[1]


@dataclass(frozen=True)
class ModuleView:
    """Everything the templates of one module need."""

    config: Config
    arns: Arns

    @property
    def has_created_key(self) -> bool:
        """Whether this module creates the KMS key (rather than using an existing one)."""
        return self.config.kms.enabled and self.config.kms.key_arn is None

    @property
    def key_reference(self) -> str | None:
        """How templates name the key's ARN: a reference, a literal ARN, or None (no KMS)."""
        kms = self.config.kms
        if not kms.enabled:
            return None
        return Ref(f"{KEY}.arn") if kms.key_arn is None else kms.key_arn

    @property
    def bucket_provider(self) -> str | None:
        """The provider of the bucket and its key: the log-archive account's, or the default."""
        return LOG_ARCHIVE_PROVIDER if self.config.log_archive else None

    @property
    def bucket_account(self) -> str:
        """The account that owns the bucket (and the trail's key)."""
        archive = self.config.log_archive
        return archive.account_id if archive else self.arns.management_account_id

    @property
    def trail_provider(self) -> str | None:
        """The provider that creates the trail: a delegated administrator's, or the default."""
        return DELEGATED_ADMIN_PROVIDER if self.config.delegated_admin else None

    @property
    def has_log_group_key(self) -> bool:
        """Whether the log group gets a key of its own account (the trail's is elsewhere)."""
        return (
            self.config.log_archive is not None and self.has_cloudwatch and self.config.kms.enabled
        )

    @property
    def log_group_key_reference(self) -> str | None:
        """How the log group names its key's ARN."""
        if self.has_log_group_key:
            return Ref(f"{LOGS_KEY}.arn")
        return self.key_reference

    @property
    def has_cloudwatch(self) -> bool:
        """Whether the trail also delivers to CloudWatch Logs."""
        return self.config.cloudwatch_logs is not None

    def files(self) -> list[str]:
        """Which templates this config renders, in output order."""
        names = ["versions", "providers", "organizations", "cloudtrail", "s3"]
        if self.config.kms.enabled:
            names.append("kms")
        if self.has_cloudwatch:
            names.append("logs")
        names += self.monitoring_files()
        if self.config.athena is not None:
            names.append("athena")
        names.append("outputs")
        if self.imports():
            names.append("imports")
        if self.config.backend is not None:
            names.append("backend")
        return names

    def context(self) -> dict[str, Any]:
        """The template context: one small view per concern."""
        return {
            "providers": self.providers(),
            "organization": self.organization(),
            "trail": self.trail(),
            "bucket": self.bucket(),
            "logs": self.logs(),
            "kms": self.kms(),
            "outputs": self.outputs(),
            "imports": {
                "blocks": self.imports(),
                "notes": self.adoption_notes(),
                "trusted_access": self.config.organization.cloudtrail_trusted_access,
            },
            "versions": self.versions(),
            "backend": self.backend(),
            "monitoring": self.monitoring(),
            "athena": athena_view.athena_context(self),
        }

    def providers(self) -> dict[str, Any]:
        """The providers: each pinned to the home region and, as a guard, to its one account.

        The default provider is the management account's credentials; a log-archive account or
        a delegated administrator is reached by assuming the role the config names.
        """
        session = f"orgtrail-gen-{self.config.trail.name}"[:64]
        result = [
            {
                "alias": None,
                "account_ids": [self.arns.management_account_id],
                "role_arn": None,
                "purpose": "the management account: "
                + ", ".join(
                    ["the organization (read)", "trusted access"]
                    + (["the log group and its role"] if self.has_cloudwatch else [])
                    + ([] if self.config.log_archive else ["the bucket and its key"])
                    + ([] if self.config.delegated_admin else ["the trail"])
                ),
            }
        ]
        for alias, section, purpose in (
            (LOG_ARCHIVE_PROVIDER, self.config.log_archive, "the log-archive account: bucket "
             "and its key"),
            (DELEGATED_ADMIN_PROVIDER, self.config.delegated_admin, "the CloudTrail delegated "
             "administrator: the trail (its ARN still carries the management account's id)"),
        ):  # fmt: skip
            if section is not None:
                result.append(
                    {
                        "alias": alias.split(".", 1)[1],
                        "account_ids": [section.account_id],
                        "role_arn": section.role_arn,
                        "session_name": session,
                        "purpose": purpose,
                    }
                )
        return {"region": self.arns.home_region, "tags": self.config.tags, "list": result}

    @property
    def enables_trusted_access(self) -> bool:
        """Whether this module enables CloudTrail's trusted access (else it only asserts it)."""
        return self.config.organization.cloudtrail_trusted_access in ("enable", "adopt")

    def organization(self) -> dict[str, Any]:
        """The organization, read and asserted; CloudTrail's trusted access enabled or asserted.

        Each assertion is a postcondition on the data source, so ``terraform plan`` stops before
        anything changes when the credentials reach another organization or the organization is
        not in all-features mode. Asserting the trusted-access list needs the full data source
        (it also lists every account); the identity checks alone need only DescribeOrganization.
        """
        org = self.config.organization
        admin = self.config.delegated_admin
        assertions = [
            {
                "attribute": "id",
                "equals": org.id,
                "message": f"This module is for organization {org.id} (config: organization.id), "
                "but the credentials reach another one. Use the management account of "
                f"{org.id}, or fix organization.id in the config.",
            },
            {
                "attribute": "master_account_id",
                "equals": org.management_account_id,
                "message": f"The management account of this organization is not "
                f"{org.management_account_id} (config: organization.management_account_id). "
                "Fix the config, then run orgtrail-gen again.",
            },
            {
                "attribute": "feature_set",
                "equals": "ALL",
                "message": "The organization is not in all-features mode: organization trails "
                "need it (OrganizationNotInAllFeaturesModeException). Enable all features in AWS "
                "Organizations first.",
            },
        ]
        if not self.enables_trusted_access:
            assertions.append(
                {
                    "attribute": "aws_service_access_principals",
                    "contains": CLOUDTRAIL_PRINCIPAL,
                    "message": f"Trusted access for {CLOUDTRAIL_PRINCIPAL} is not enabled, but "
                    "the config says organization.cloudtrail_trusted_access: already_enabled. "
                    "Set it to 'enable' so that this module enables it, then run orgtrail-gen "
                    "again.",
                }
            )
        return {
            "label": _label(ORGANIZATION),
            "organization_only": self.enables_trusted_access,
            "assertions": assertions,
            "enable": self.enables_trusted_access,
            "adopted": org.cloudtrail_trusted_access == "adopt",
            "trusted_access_label": _label(TRUSTED_ACCESS),
            "principal": CLOUDTRAIL_PRINCIPAL,
            "legacy": LEGACY_ORGANIZATION,
            "delegated_admin": None
            if admin is None or admin.registered
            else {"label": _label(DELEGATED_ADMIN), "account_id": admin.account_id},
        }

    def trail(self) -> dict[str, Any]:
        """The trail and everything CreateTrail validates before it (its depends_on)."""
        trail = self.config.trail
        depends_on = [BUCKET_POLICY, ORGANIZATION]
        if self.enables_trusted_access:
            depends_on.append(TRUSTED_ACCESS)
        admin = self.config.delegated_admin
        if admin is not None and not admin.registered:
            depends_on.append(DELEGATED_ADMIN)
        if self.has_cloudwatch:
            depends_on.append(ROLE_POLICY)
        if self.has_created_key:
            depends_on.append(KEY)
        return {
            "label": _label(TRAIL),
            "provider": self.trail_provider,
            "name": trail.name,
            "bucket": Ref(f"{BUCKET}.id") if self.config.bucket.create else self.config.bucket.name,
            "s3_key_prefix": trail.s3_key_prefix,
            "is_multi_region": trail.is_multi_region,
            "include_global_service_events": trail.include_global_service_events,
            "enable_log_file_validation": trail.enable_log_file_validation,
            "log_group_arn": Ref(f"{LOG_GROUP}.arn") if self.has_cloudwatch else None,
            "role_arn": Ref(f"{ROLE}.arn") if self.has_cloudwatch else None,
            "depends_on": sorted(depends_on),
            "arn": self.arns.trail,
            "home_region": self.arns.home_region,
            "kms_key": self.key_reference,
            "skips": [SKIP_TRAIL_SNS]
            + (
                []
                if trail.enable_log_file_validation
                else [_off("CKV_AWS_36", "trail.enable_log_file_validation: false")]
            )
            + ([] if self.config.kms.enabled else [_off("CKV_AWS_35", "kms.enabled: false")])
            + (
                []
                if self.has_cloudwatch
                else [
                    _unset(
                        "CKV2_AWS_10",
                        "the config has no cloudwatch_logs section: delivery to S3 only",
                    )
                ]
            )
            + (
                []
                if trail.is_multi_region
                else [
                    _off(
                        "CKV_AWS_67",
                        f"trail.is_multi_region: false - only {trail.home_region} of each "
                        "account is recorded",
                    )
                ]
            ),
            "validation_off": not trail.enable_log_file_validation,
            "expected_regions": trail.expected_regions,
        }

    def bucket(self) -> dict[str, Any]:
        """The bucket (when created) and its policy document."""
        bucket = self.config.bucket
        adopted = self.config.adopt is not None and self.config.adopt.bucket is not None
        readers = policies.principal_arns(self.arns, bucket.readers)
        life = bucket.lifecycle
        return {
            "readers": readers,
            "versioning": bucket.versioning,
            "kms_key": self.key_reference,
            "object_lock": bucket.object_lock.model_dump() if bucket.object_lock else None,
            "access_logging": bucket.access_logging.model_dump() if bucket.access_logging else None,
            "lifecycle": {
                "notes": [
                    line
                    for note in lifecycle_notes(self.config)
                    for line in textwrap.wrap(note, 96, subsequent_indent="  ")
                ],
                "transitions": [t.model_dump() for t in life.transitions],
                "expiration_days": life.expiration_days,
                "noncurrent_version_expiration_days": life.noncurrent_version_expiration_days,
                "abort_days": life.abort_incomplete_multipart_upload_days,
            },
            "skips": [SKIP_REPLICATION, SKIP_NOTIFICATIONS]
            + (
                []
                if bucket.access_logging
                else [
                    _unset(
                        "CKV_AWS_18",
                        "server access logging is not configured: it needs another bucket as "
                        "target (set bucket.access_logging)",
                    )
                ]
            )
            + ([] if bucket.versioning else [_off("CKV_AWS_21", "bucket.versioning: false")])
            + ([] if self.config.kms.enabled else [_off("CKV_AWS_145", "kms.enabled: false")]),
            "label": _label(BUCKET),
            "id": Ref(f"{BUCKET}.id"),
            "versioning_address": Ref(BUCKET_SETTINGS["versioning"]),
            "public_access_block_address": Ref(BUCKET_SETTINGS["public_access_block"]),
            "provider": self.bucket_provider,
            "create": bucket.create,
            "name": bucket.name,
            "policy_label": _label(BUCKET_POLICY),
            "policy": policies.bucket_policy(
                self.arns, readers=readers, kept=tuple(bucket.kept_statements)
            ),
            "encryption_after_trail": self.encryption_waits_for_trail,
            "account": self.bucket_account,
            "region": self.arns.home_region,
            "trail_address": TRAIL,
            "existing_policy": bucket.existing_policy,
            "kept": len(bucket.kept_statements),
            # An adopted bucket's policy carries other trails' grants: a destroy of it alone
            # (the resource removed from the code) would cut their delivery.
            "guard_policy": adopted and bucket.create,
        }

    @property
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
        addresses = {item["to"] for item in self.imports()}
        return TRAIL in addresses and BUCKET in addresses and self.key_reference is not None

    def logs(self) -> dict[str, Any] | None:
        """The log group, the delivery role and its two policy documents."""
        cwl = self.config.cloudwatch_logs
        if cwl is None:
            return None
        return {
            "group_label": _label(LOG_GROUP),
            "name": cwl.log_group_name,
            "retention_in_days": cwl.retention_in_days,
            "kms_key": self.log_group_key_reference,
            "role_label": _label(ROLE),
            "role_id": Ref(f"{ROLE}.id"),
            "role_name": cwl.role_name,
            "role_path": None if self.role_path == "/" else self.role_path,
            "role_policy_label": _label(ROLE_POLICY),
            "role_policy_name": self.role_policy_name,
            "skips": (
                [] if self.config.kms.enabled else [_off("CKV_AWS_158", "kms.enabled: false")]
            )
            + (
                []
                if cwl.retention_in_days == 0 or cwl.retention_in_days >= 365
                else [
                    _off(
                        "CKV_AWS_338", f"cloudwatch_logs.retention_in_days: {cwl.retention_in_days}"
                    )
                ]
            ),
            "trust": policies.cloudwatch_trust_policy(),
            "delivery": policies.cloudwatch_delivery_policy(self.arns, cwl.log_group_name),
        }

    def required_key_statements(self) -> policies.PolicyDocument:
        """What the trail's key policy must grant, whoever manages the key.

        For an existing key (``kms.key_arn``) this module cannot change the policy, so these
        statements - with this config's ARNs - are printed for its owner to add.
        """
        cwl = self.config.cloudwatch_logs
        in_trail_key = cwl is not None and not self.has_log_group_key
        return policies.key_usage_policy(
            self.arns,
            readers=self._key_readers(),
            log_group_name=cwl.log_group_name if cwl and in_trail_key else None,
        )

    def _key_readers(self) -> tuple[str, ...]:
        """Who may decrypt the logs: the bucket's account (its IAM policies decide) and readers."""
        root = self.arns.root(self.bucket_account)
        readers = policies.principal_arns(self.arns, self.config.bucket.readers)
        athena = athena_view.key_readers(self.config, self.arns)
        return tuple(sorted({root, *readers, *athena}))

    def _administrators(self, account_id: str) -> tuple[str, ...]:
        """Who administers a key of ``account_id``: its root and kms.administrators of it.

        An administrator of another account could call none of KMS's administrative
        operations on the key (they do not work across accounts), so it is left off.
        """
        named = policies.principal_arns(
            self.arns,
            [p for p in self.config.kms.administrators if principal_account(p) == account_id],
        )
        return tuple(sorted({self.arns.root(account_id), *named}))

    def kms(self) -> dict[str, Any] | None:
        """The keys this module creates, or the statements an existing key's policy needs.

        The trail's key sits beside the bucket (in the log-archive account if there is one):
        rotation, alias, prevent_destroy, admin-only administrators. With a log-archive account
        the log group, which stays in the management account, gets a key of its own there.
        """
        kms = self.config.kms
        if not kms.enabled:
            return None
        alias = default_key_alias(self.config)
        keys: list[dict[str, Any]] = []
        if self.has_created_key:
            cwl = self.config.cloudwatch_logs
            in_trail_key = cwl is not None and not self.has_log_group_key
            keys.append(
                {
                    "label": _label(KEY),
                    "alias_label": _label(KEY_ALIAS),
                    "alias": alias,
                    "provider": self.bucket_provider,
                    "description": f"CloudTrail organization trail {self.config.trail.name}: "
                    + (
                        "log files, digest files and the CloudWatch Logs log group"
                        if in_trail_key
                        else "log files and digest files"
                    ),
                    "deletion_window_in_days": kms.deletion_window_in_days,
                    "policy": policies.key_policy(
                        self.arns,
                        administrators=self._administrators(self.bucket_account),
                        readers=self._key_readers(),
                        log_group_name=cwl.log_group_name if cwl and in_trail_key else None,
                    ),
                    "policy_skips": list(SKIP_KEY_POLICY_STAR),
                    "comment": "The key that encrypts every log file"
                    + (", digest file and the log group" if in_trail_key else " and digest file")
                    + ". It lives in the bucket's region (CloudTrail refuses a key elsewhere)"
                    + (" and account" if self.config.log_archive else "")
                    + ", rotates yearly and is never destroyed by Terraform: losing it would "
                    "make every log unreadable.",
                }
            )
        cwl = self.config.cloudwatch_logs
        if self.has_log_group_key and cwl is not None:
            keys.append(
                {
                    "label": _label(LOGS_KEY),
                    "alias_label": _label(LOGS_KEY_ALIAS),
                    "alias": f"{alias}-logs",
                    "provider": None,
                    "description": f"CloudTrail organization trail {self.config.trail.name}: "
                    "the CloudWatch Logs log group",
                    "deletion_window_in_days": kms.deletion_window_in_days,
                    "policy": policies.log_group_key_policy(
                        self.arns,
                        administrators=self._administrators(self.arns.management_account_id),
                        log_group_name=cwl.log_group_name,
                    ),
                    "policy_skips": list(SKIP_KEY_POLICY_STAR),
                    "comment": "The log group's key, in the management account beside the log "
                    "group (the trail's key is in the log-archive account). Rotates yearly, never "
                    "destroyed by Terraform.",
                }
            )
        for key in keys:
            key["key_id"] = Ref(f"aws_kms_key.{key['label']}.key_id")
        return {
            "existing": kms.key_arn,
            "required": policies.to_json_text(self.required_key_statements()).splitlines()
            if kms.key_arn
            else [],
            "keys": keys,
        }

    def outputs(self) -> list[dict[str, str]]:
        """Outputs other stacks and ``orgtrail-gen verify`` read."""
        result = [
            {"name": "trail_arn", "value": f"{TRAIL}.arn", "description": "The trail's ARN."},
            {
                "name": "trail_home_region",
                "value": f"{TRAIL}.home_region",
                "description": "Region the trail is managed from.",
            },
        ]
        if self.config.bucket.create:
            result.append(
                {
                    "name": "bucket_arn",
                    "value": f"{BUCKET}.arn",
                    "description": "The central log bucket.",
                }
            )
        if self.has_created_key:
            result.append(
                {
                    "name": "kms_key_arn",
                    "value": f"{KEY}.arn",
                    "description": "Key that encrypts log files, digests and the log group.",
                }
            )
        if self.has_cloudwatch:
            result += [
                {
                    "name": "log_group_arn",
                    "value": f"{LOG_GROUP}.arn",
                    "description": "The central CloudWatch Logs log group.",
                },
                {
                    "name": "cloudwatch_role_arn",
                    "value": f"{ROLE}.arn",
                    "description": "Role CloudTrail assumes to deliver to the log group.",
                },
            ]
        if "notifications" in self.monitoring_files():
            result.append(
                {
                    "name": "alarm_topic_arn",
                    "value": f"{ALARM_TOPIC}.arn",
                    "description": "SNS topic the CIS alarms notify (subscribe more here).",
                }
            )
        return result + athena_view.athena_outputs(self.config)

    @property
    def adopted_bucket_settings(self) -> dict[str, str]:
        """Adopted bucket settings this module manages: {configuration: address}.

        A setting the bucket has but the config does not generate (e.g. server access logging
        without ``bucket.access_logging``) is left as it is, so it is not imported.
        """
        adopt = self.config.adopt
        if adopt is None or adopt.bucket is None or not self.config.bucket.create:
            return {}
        managed = self.managed_bucket_settings
        return {
            name: BUCKET_SETTINGS[name] for name in adopt.bucket.configurations if name in managed
        }

    @property
    def managed_bucket_settings(self) -> set[str]:
        """The bucket settings s3.tf manages for a created bucket (keys of BUCKET_SETTINGS)."""
        bucket = self.config.bucket
        managed = {"public_access_block", "ownership_controls", "versioning", "encryption"}
        managed |= {"lifecycle", "policy"}
        if bucket.object_lock is not None:
            managed.add("object_lock")
        if bucket.access_logging is not None:
            managed.add("logging")
        return managed

    @property
    def role_path(self) -> str:
        """The delivery role's IAM path: an adopted role keeps its own (path is ForceNew)."""
        adopt = self.config.adopt
        return adopt.role.path if adopt is not None and adopt.role is not None else "/"

    @property
    def role_policy_name(self) -> str:
        """The delivery role's inline policy: an adopted one keeps its name (it is ForceNew)."""
        adopt = self.config.adopt
        if adopt is not None and adopt.role is not None and adopt.role.inline_policy:
            return adopt.role.inline_policy
        return ROLE_POLICY_NAME

    def imports(self) -> list[dict[str, str]]:
        """One import block per adopted resource: its address and its import id.

        The ids follow each resource type's import format in hashicorp/aws (its docs' "Import"
        sections and importers): the trail by ARN (its resource id since provider PR #30758), a
        bucket and each of its settings by bucket name, a log group and a role by name, a role
        policy as ``role:policy``, a key by key id (not ARN), an alias by ``alias/...``, and
        trusted access by its service principal. Rule OTG060 checks each id's format again on
        the rendered file.
        """
        config, adopt = self.config, self.config.adopt
        result: list[dict[str, str]] = []
        if config.organization.cloudtrail_trusted_access == "adopt":
            result.append({"to": TRUSTED_ACCESS, "id": CLOUDTRAIL_PRINCIPAL})
        if adopt is None:
            return result
        if adopt.trail is not None:
            result.append({"to": TRAIL, "id": adopt.trail.arn})
        if self.adopted_bucket_settings:
            result.append({"to": BUCKET, "id": config.bucket.name})
            result += [
                {"to": address, "id": config.bucket.name}
                for address in self.adopted_bucket_settings.values()
            ]
        elif adopt.bucket is not None and config.bucket.create:
            result.append({"to": BUCKET, "id": config.bucket.name})
        cwl = config.cloudwatch_logs
        if adopt.log_group is not None and cwl is not None:
            result.append({"to": LOG_GROUP, "id": cwl.log_group_name})
        if adopt.role is not None and cwl is not None:
            result.append({"to": ROLE, "id": cwl.role_name})
            if adopt.role.inline_policy:
                result.append({"to": ROLE_POLICY, "id": f"{cwl.role_name}:{self.role_policy_name}"})
        if adopt.key is not None and self.has_created_key:
            result.append({"to": KEY, "id": adopt.key.arn.rsplit("/", 1)[1]})
            if adopt.key.alias is not None:
                result.append({"to": KEY_ALIAS, "id": adopt.key.alias})
        return [{**item, "provider": self._provider_of(item["to"])} for item in result]

    def _provider_of(self, address: str) -> str:
        """The provider alias an import must name: the one its target resource runs with."""
        if address == TRAIL:
            return self.trail_provider or ""
        if address.startswith("aws_s3_bucket") or address in (KEY, KEY_ALIAS):
            return self.bucket_provider or ""
        return ""

    def adoption_notes(self) -> list[str]:
        """The in-place changes of what is imported, as comment lines for imports.tf.

        The reviewer of the pull request reads the same ``old -> new`` list the CLI prints,
        next to the import blocks it belongs to.
        """
        from generator.render.adoption import adoption_warnings  # adoption builds on this module

        lines = []
        for warning in adoption_warnings(self.config):
            for line in warning.splitlines():
                indent = " " * (len(line) - len(line.lstrip()))
                lines += textwrap.wrap(
                    line, 96, subsequent_indent=indent + "  ", break_on_hyphens=False
                )
        return lines

    def versions(self) -> dict[str, Any]:
        """The Terraform version: 1.10 brought the S3 backend's native locking (use_lockfile)."""
        return {"terraform": ">= 1.10.0" if self.config.backend is not None else ">= 1.7.0"}

    def backend(self) -> dict[str, Any] | None:
        """The S3 backend: state encrypted, locked with a lock file beside it (no DynamoDB)."""
        backend = self.config.backend
        if backend is None:
            return None
        return {
            "bucket": backend.bucket,
            "key": backend.key,
            "region": backend.state_region(self.config.trail.home_region),
            "kms_key_id": backend.kms_key_id,
        }

    # --- monitoring ---------------------------------------------------------------------------

    def monitoring_files(self) -> list[str]:
        """The monitoring templates this config renders: alarms, their topic, saved queries."""
        monitoring = self.config.monitoring
        if monitoring is None or not self.has_cloudwatch:
            return []
        names = []
        if self.metric_filters():
            names.append("monitoring")
            if monitoring.notifications.existing_topic_arn is None:
                names.append("notifications")
        if monitoring.saved_queries:
            names.append("queries")
        return names

    def metric_filters(self) -> list[dict[str, Any]]:
        """Every metric filter with its alarm: the chosen CIS controls, then the custom ones.

        Filter, metric and alarm share one name, so a reader (and OTG050-052) can pair them;
        the alarm name carries the trail's name because alarm names are unique per region.
        """
        from generator.monitoring import cis

        monitoring = self.config.monitoring
        if monitoring is None:
            return []
        alarms = monitoring.alarms
        chosen = set(monitoring.control_ids)
        result: list[dict[str, Any]] = []
        for control in cis.controls():
            if control.id not in chosen:
                continue
            flavour = control.flavour(monitoring.flavours.get(control.id))
            mapped = f", Security Hub {control.security_hub_id}" if control.security_hub_id else ""
            result.append(
                {
                    "name": control.name,
                    "pattern": flavour.pattern,
                    "comment": f"CIS {control.id}{mapped}: {control.title}. "
                    f"Flavour {flavour.name}: {flavour.source}.",
                    "description": f"CIS {control.id}: {control.title}",
                    "threshold": alarms.threshold,
                    "period": alarms.period,
                    "evaluation_periods": alarms.evaluation_periods,
                    "comparison": "GreaterThanOrEqualToThreshold",
                }
            )
        for custom in monitoring.custom_filters:
            result.append(
                {
                    "name": custom.name,
                    "pattern": custom.pattern,
                    "comment": f"Custom filter {custom.name} (monitoring.custom_filters).",
                    "description": f"Custom filter {custom.name}",
                    "threshold": alarms.threshold if custom.threshold is None else custom.threshold,
                    "period": custom.period or alarms.period,
                    "evaluation_periods": custom.evaluation_periods or alarms.evaluation_periods,
                    "comparison": custom.comparison or "GreaterThanOrEqualToThreshold",
                }
            )
        for item in result:
            item["label"] = monitoring_label(item["name"])
            item["alarm_name"] = f"{self.config.trail.name}-{item['name']}"
        return result

    @property
    def alarm_topic_name(self) -> str:
        """The created topic's name: configured, else ``<trail>-alarms``."""
        monitoring = self.config.monitoring
        topic = monitoring.notifications.topic if monitoring else None
        if topic is not None and topic.name:
            return topic.name
        return self.config.trail.name.replace(".", "-") + "-alarms"

    @property
    def alarm_topic_arn(self) -> str:
        """The topic every alarm notifies: the existing one, else the created one's ARN."""
        monitoring = self.config.monitoring
        existing = monitoring.notifications.existing_topic_arn if monitoring else None
        return existing or (
            f"arn:{self.arns.partition}:sns:{self.arns.home_region}:"
            f"{self.arns.management_account_id}:{self.alarm_topic_name}"
        )

    def monitoring(self) -> dict[str, Any] | None:
        """Metric filters and alarms on the trail's log group, the topic, the saved queries.

        The created topic gets a key of its own rather than a grant on the trail's key: who
        may read alarms and who may read every account's logs are different duties.
        """
        from generator.monitoring import insights

        monitoring = self.config.monitoring
        if monitoring is None or not self.has_cloudwatch:
            return None
        existing = monitoring.notifications.existing_topic_arn
        topic_arn = self.alarm_topic_arn
        action = existing or Ref(f"{ALARM_TOPIC}.arn")
        topic = monitoring.notifications.topic
        filters = self.metric_filters()
        administrators = self._administrators(self.arns.management_account_id)
        return {
            "log_group": Ref(f"{LOG_GROUP}.name"),
            "namespace": monitoring.alarms.namespace,
            "treat_missing_data": monitoring.alarms.treat_missing_data,
            "filters": filters,
            "alarm_actions": [action],
            "ok_actions": [action] if monitoring.alarms.ok_actions else [],
            "existing_topic": existing,
            "topic": {
                "label": _label(ALARM_TOPIC),
                "name": self.alarm_topic_name,
                "arn": topic_arn,
                "policy_label": _label(ALARM_TOPIC_POLICY),
                "policy": policies.alarm_topic_policy(self.arns, topic_arn),
                "key_label": _label(ALARM_KEY),
                "key_id": Ref(f"{ALARM_KEY}.key_id"),
                "key_arn": Ref(f"{ALARM_KEY}.arn"),
                "ref": Ref(f"{ALARM_TOPIC}.arn"),
                "alias_label": _label(ALARM_KEY_ALIAS),
                "alias": f"alias/{self.alarm_topic_name}"[:256],  # KMS: at most 256
                "key_description": f"SNS topic {self.alarm_topic_name}: CloudWatch alarms of "
                f"the organization trail {self.config.trail.name}",
                "deletion_window_in_days": self.config.kms.deletion_window_in_days,
                "key_policy": policies.alarm_key_policy(self.arns, administrators=administrators),
                "key_policy_skips": list(SKIP_ALARM_KEY_POLICY_STAR),
                "subscriptions": [
                    {
                        "label": subscription_label(s.protocol, s.endpoint),
                        "protocol": s.protocol,
                        "endpoint": s.endpoint,
                    }
                    for s in (topic.subscriptions if topic else [])
                ],
                "has_email": any(
                    s.protocol == "email" for s in (topic.subscriptions if topic else [])
                ),
            }
            if existing is None and filters
            else None,
            "queries": [
                {
                    "label": q.name.rsplit("/", 1)[1].replace("-", "_"),
                    "name": q.name,
                    "description": q.description,
                    "query": q.query,
                }
                for q in (insights.queries() if monitoring.saved_queries else ())
            ],
        }
