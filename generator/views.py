"""Per-template views: all decisions about what to emit, made in Python.

Why: templates should only loop and look up. Every conditional that depends on the config
(which resources exist, which depend on which, what a policy says) is decided here, where it
can be unit-tested and type-checked, and handed to the template as plain data.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from generator import policies
from generator.arns import Arns
from generator.config import CLOUDTRAIL_PRINCIPAL, Config
from generator.hcl import Ref
from generator.monitoring.names import monitoring_label, subscription_label

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
EXISTING_BUCKET_POLICY = "data.aws_s3_bucket_policy.existing"
KEY = "aws_kms_key.cloudtrail"
KEY_ALIAS = "aws_kms_alias.cloudtrail"
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
        names.append("outputs")
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
            "monitoring": self.monitoring(),
        }

    def providers(self) -> dict[str, Any]:
        """The provider: pinned to the home region and, as a guard, the management account."""
        return {
            "region": self.arns.home_region,
            "account_ids": [self.arns.management_account_id],
            "tags": self.config.tags,
        }

    @property
    def enables_trusted_access(self) -> bool:
        """Whether this module enables CloudTrail's trusted access (else it only asserts it)."""
        return self.config.organization.cloudtrail_trusted_access == "enable"

    def organization(self) -> dict[str, Any]:
        """The organization, read and asserted; CloudTrail's trusted access enabled or asserted.

        Each assertion is a postcondition on the data source, so ``terraform plan`` stops before
        anything changes when the credentials reach another organization or the organization is
        not in all-features mode. Asserting the trusted-access list needs the full data source
        (it also lists every account); the identity checks alone need only DescribeOrganization.
        """
        org = self.config.organization
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
            "trusted_access_label": _label(TRUSTED_ACCESS),
            "principal": CLOUDTRAIL_PRINCIPAL,
            "legacy": LEGACY_ORGANIZATION,
        }

    def trail(self) -> dict[str, Any]:
        """The trail and everything CreateTrail validates before it (its depends_on)."""
        trail = self.config.trail
        depends_on = [BUCKET_POLICY, ORGANIZATION]
        if self.enables_trusted_access:
            depends_on.append(TRUSTED_ACCESS)
        if self.has_cloudwatch:
            depends_on.append(ROLE_POLICY)
        if self.has_created_key:
            depends_on.append(KEY)
        return {
            "label": _label(TRAIL),
            "name": trail.name,
            "bucket": Ref(f"{BUCKET}.id") if self.config.bucket.create else self.config.bucket.name,
            "s3_key_prefix": trail.s3_key_prefix,
            "is_multi_region": trail.is_multi_region,
            "include_global_service_events": trail.include_global_service_events,
            "enable_log_file_validation": trail.enable_log_file_validation,
            "log_group": LOG_GROUP if self.has_cloudwatch else None,
            "role": ROLE if self.has_cloudwatch else None,
            "depends_on": sorted(depends_on),
            "arn": self.arns.trail,
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
        merge = not bucket.create and bucket.existing_policy == "merge"
        source = (f"{EXISTING_BUCKET_POLICY}.policy",) if merge else ()
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
            "create": bucket.create,
            "name": bucket.name,
            "policy_label": _label(BUCKET_POLICY),
            "policy": policies.bucket_policy(self.arns, readers=readers, source_documents=source),
            "existing_policy": bucket.existing_policy,
            "existing_label": _label(EXISTING_BUCKET_POLICY),
        }

    def logs(self) -> dict[str, Any] | None:
        """The log group, the delivery role and its two policy documents."""
        cwl = self.config.cloudwatch_logs
        if cwl is None:
            return None
        return {
            "group_label": _label(LOG_GROUP),
            "name": cwl.log_group_name,
            "retention_in_days": cwl.retention_in_days,
            "kms_key": self.key_reference,
            "role_label": _label(ROLE),
            "role_name": cwl.role_name,
            "role_policy_label": _label(ROLE_POLICY),
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
        root = self.arns.root(self.arns.management_account_id)
        readers = tuple(
            sorted({root, *policies.principal_arns(self.arns, self.config.bucket.readers)})
        )
        return policies.key_usage_policy(
            self.arns, readers=readers, log_group_name=cwl.log_group_name if cwl else None
        )

    def kms(self) -> dict[str, Any] | None:
        """The trail's key: rotation, alias, prevent_destroy, and its policy.

        With an existing key, only the statements its policy must hold (as a comment).
        """
        kms = self.config.kms
        if not kms.enabled:
            return None
        if kms.key_arn is not None:
            return {
                "existing": kms.key_arn,
                "required": policies.to_json_text(self.required_key_statements()).splitlines(),
            }
        cwl = self.config.cloudwatch_logs
        root = self.arns.root(self.arns.management_account_id)
        administrators = tuple(
            sorted({root, *policies.principal_arns(self.arns, kms.administrators)})
        )
        readers = tuple(
            sorted({root, *policies.principal_arns(self.arns, self.config.bucket.readers)})
        )
        alias = kms.alias or "alias/" + self.config.trail.name.replace(".", "-")
        return {
            "existing": None,
            "label": _label(KEY),
            "alias_label": _label(KEY_ALIAS),
            "alias": alias,
            "description": f"CloudTrail organization trail {self.config.trail.name}: log files, "
            "digest files and the CloudWatch Logs log group",
            "deletion_window_in_days": kms.deletion_window_in_days,
            "policy": policies.key_policy(
                self.arns,
                administrators=administrators,
                readers=readers,
                log_group_name=cwl.log_group_name if cwl else None,
            ),
            "policy_skips": list(SKIP_KEY_POLICY_STAR),
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
        return result

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
            item["comment"] = textwrap.wrap(item["comment"], 96)
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
        topic_arn = (
            existing
            or f"arn:{self.arns.partition}:sns:{self.arns.home_region}:"
            f"{self.arns.management_account_id}:{self.alarm_topic_name}"
        )
        action = existing or Ref(f"{ALARM_TOPIC}.arn")
        topic = monitoring.notifications.topic
        filters = self.metric_filters()
        root = self.arns.root(self.arns.management_account_id)
        administrators = tuple(
            sorted({root, *policies.principal_arns(self.arns, self.config.kms.administrators)})
        )
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
