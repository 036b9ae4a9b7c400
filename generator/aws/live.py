"""What ``verify`` reads from AWS, read once on first use and shared by every check.

Why: several checks need the same answers (the trail, the account list); reading each once,
lazily, keeps the call count at what the checks that run actually need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

from generator.aws.progress import Progress
from generator.aws.session import Aws, NotFound
from generator.core.arns import arn_region
from generator.sections.registry import Config, arns_of

Status = Literal["ok", "fail", "note"]


@dataclass(frozen=True)
class Result:
    """One verified fact: what the config expects, what AWS has, and how to fix a failure.

    ``account_id`` and ``account_name`` are set on the rows about one member account, so a
    pipeline reading ``--json`` gets them as fields and a person reading the table the name.
    ``layer`` names the module's layer when it is not the check's own (see
    :data:`generator.aws.report.LAYERS`).
    """

    check: str
    subject: str
    status: Status
    expected: str = ""
    found: str = ""
    fix: str = ""
    account_id: str = ""
    account_name: str = ""
    layer: str = ""


# ``found`` of the one row that says a layer of the module (trail, bucket, log group,
# monitoring) does not exist at all: the report's layer summary reads it.
NOT_DEPLOYED = "not deployed"
# How ``found`` starts on a row about a layer the config leaves to someone else (the owner of
# the organization trail, in the companion layout): a note, never a failure.
NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Options:
    """How strict verify is about time: what counts as recent.

    ``delivery_age_hours`` is the delivery window: the trail's last delivery, and each
    account x region's latest log stream ingestion, must be at most that old. CloudTrail
    delivers within about 5 minutes of activity, but a quiet region of a quiet account can go
    hours without an event, hence a day by default.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    new_account_hours: float = 24.0
    delivery_age_hours: float = 24.0
    workers: int = 8


class Live:
    """The deployed state, read on first use and shared by every check."""

    def __init__(self, aws: Aws, config: Config, options: Options, progress: Progress) -> None:
        self.aws, self.config, self.options, self.progress = aws, config, options, progress
        self.arns = arns_of(config)
        self.home = config.trail.home_region
        self._selectors: dict[str, dict[str, Any]] = {}

    @cached_property
    def bucket_aws(self) -> Aws:
        """The session that reads the bucket and its key: the log-archive account's role, if any.

        Why: in the log-archive layout the bucket and its key belong to that account, whose
        bucket policy need not let the management account list objects or read the policy;
        verify reads them the way Terraform manages them, by assuming a role of that account
        (from the management account's credentials) under a session name of its own, so that
        the log-archive account's CloudTrail shows who looked: ``log_archive.verify_role_arn``,
        a read-only role, when the config names one (so verify never holds the deploy role),
        else the deploy role ``role_arn``.
        """
        archive = self.config.log_archive
        if archive is None:
            return self.aws
        session = f"orgtrail-gen-verify-{self.config.trail.name}"[:64]
        return self.aws.assume(archive.reader_role_arn, session)

    @cached_property
    def bucket_policy_read(self) -> tuple[dict[str, Any] | None, str | None]:
        """GetBucketPolicy of the config's bucket, read once (the policy and the drift checks).

        ``(answer, None)``, or ``(None, code)`` with the code that says what is missing:
        ``NoSuchBucket`` or ``NoSuchBucketPolicy``.
        """
        try:
            answer = self.bucket_aws.call(
                "s3",
                "get_bucket_policy",
                region=self.home,
                missing=("NoSuchBucketPolicy", "NoSuchBucket"),
                raise_missing=True,
                Bucket=self.config.bucket.name,
            )
        except NotFound as absent:
            return None, str(absent.args[0])
        return answer or {}, None

    @cached_property
    def bucket_uses_bucket_key(self) -> bool:
        """Whether the bucket's default encryption uses an S3 Bucket Key (GetBucketEncryption).

        Why: CloudTrail then needs kms:Decrypt on the trail's key to create or update the
        trail (OTG031). A bucket with no encryption configuration, or none yet, uses none.
        """
        answer = self.bucket_aws.call(
            "s3",
            "get_bucket_encryption",
            region=self.home,
            missing=("ServerSideEncryptionConfigurationNotFoundError", "NoSuchBucket"),
            Bucket=self.config.bucket.name,
        )
        rules = ((answer or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
        return any(rule.get("BucketKeyEnabled") is True for rule in rules)

    @property
    def bucket_policy_response(self) -> dict[str, Any] | None:
        """The GetBucketPolicy answer (None: no bucket or no policy)."""
        return self.bucket_policy_read[0]

    @cached_property
    def caller_identity(self) -> dict[str, Any]:
        """STS GetCallerIdentity of the credentials verify runs with (read once)."""
        return dict(self.aws.call("sts", "get_caller_identity") or {})

    @property
    def caller_account(self) -> str:
        """The account whose credentials verify runs with."""
        return str(self.caller_identity.get("Account", ""))

    @property
    def caller_arn(self) -> str:
        """The identity those credentials are (a user, or an assumed role's session)."""
        return str(self.caller_identity.get("Arn", ""))

    @cached_property
    def organization(self) -> dict[str, Any]:
        """DescribeOrganization's organization; empty when the account is in none."""
        response = (
            self.aws.call(
                "organizations",
                "describe_organization",
                missing=("AWSOrganizationsNotInUseException",),
            )
            or {}
        )
        return dict(response.get("Organization", {}))

    @cached_property
    def trusted_services(self) -> set[str]:
        """Service principals with trusted access in the organization."""
        return {
            entry["ServicePrincipal"]
            for page in self.aws.pages("organizations", "list_aws_service_access_for_organization")
            for entry in page.get("EnabledServicePrincipals", [])
        }

    @cached_property
    def trail(self) -> dict[str, Any] | None:
        """The trail, looked up by its ARN in its home region; None when it does not exist.

        The ARN always carries the management account's id, also when a delegated
        administrator created the trail (AWS records the management account as its owner), so
        the management account's credentials find it in every layout.
        """
        response = self.aws.call(
            "cloudtrail",
            "get_trail",
            region=self.home,
            missing=("TrailNotFoundException",),
            Name=self.arns.trail,
        )
        return dict(response["Trail"]) if response else None

    @cached_property
    def trail_status(self) -> dict[str, Any]:
        """GetTrailStatus of the trail (only asked when the trail exists)."""
        return dict(
            self.aws.call("cloudtrail", "get_trail_status", region=self.home, Name=self.arns.trail)
            or {}
        )

    @cached_property
    def event_selectors(self) -> dict[str, Any]:
        """GetEventSelectors of the trail (only asked when it exists), by ARN in its home region.

        ``EventSelectors`` (basic) or ``AdvancedEventSelectors``: AWS returns the kind the
        trail has, and CloudTrail's default basic selector for a trail that has none.
        """
        return dict(
            self.aws.call(
                "cloudtrail", "get_event_selectors", region=self.home, TrailName=self.arns.trail
            )
            or {}
        )

    @cached_property
    def insight_selectors(self) -> list[dict[str, Any]]:
        """GetInsightSelectors' selectors; [] when Insights are off (InsightNotEnabledException)."""
        answer = self.aws.call(
            "cloudtrail",
            "get_insight_selectors",
            region=self.home,
            missing=("InsightNotEnabledException",),
            TrailName=self.arns.trail,
        )
        return list((answer or {}).get("InsightSelectors") or [])

    def selectors_of(self, arn: str, region: str | None) -> dict[str, Any]:
        """GetEventSelectors of any trail by its ARN, read once however many checks ask.

        Why: the duplicate trails and the owner's trail rows both read the owner's selectors.
        """
        if arn not in self._selectors:
            answer = self.aws.call(
                "cloudtrail", "get_event_selectors", region=region, TrailName=arn
            )
            self._selectors[arn] = dict(answer or {})
        return self._selectors[arn]

    @cached_property
    def owner_trail(self) -> dict[str, Any] | None:
        """GetTrail of the owner's organization trail (``owner_trail.arn``); None when gone.

        Only asked in the companion layout, with the management account's credentials: the
        ARN carries that account, which owns every organization trail.
        """
        owner = self.config.owner_trail
        if owner is None:
            return None
        response = self.aws.call(
            "cloudtrail",
            "get_trail",
            region=arn_region(owner.arn),
            missing=("TrailNotFoundException",),
            Name=owner.arn,
        )
        return dict(response["Trail"]) if response else None

    @cached_property
    def owner_trail_status(self) -> dict[str, Any]:
        """GetTrailStatus of the owner's trail (only asked when it exists)."""
        owner = self.config.owner_trail
        if owner is None:
            return {}
        answer = self.aws.call(
            "cloudtrail", "get_trail_status", region=arn_region(owner.arn), Name=owner.arn
        )
        return dict(answer or {})

    @cached_property
    def accounts(self) -> list[dict[str, Any]]:
        """Every account of the organization (20 per page)."""
        result = [
            account
            for page in self.aws.pages("organizations", "list_accounts")
            for account in page.get("Accounts", [])
        ]
        self.progress.add("accounts", len(result))
        return result

    def active_accounts(self) -> list[dict[str, Any]]:
        """Accounts that must deliver: ACTIVE ones (suspended or closing accounts are skipped)."""
        return [a for a in self.accounts if (a.get("State") or a.get("Status")) == "ACTIVE"]

    def joined_recently(self, account: dict[str, Any]) -> timedelta | None:
        """How long ago the account joined, if that is too recent to expect delivery."""
        joined = account.get("JoinedTimestamp")
        if not isinstance(joined, datetime):
            return None
        age = self.options.now - joined
        return age if age < timedelta(hours=self.options.new_account_hours) else None


def age_of(value: object, now: datetime) -> timedelta | None:
    """How long before ``now`` a timestamp AWS returned lies; None when there is none."""
    return now - value if isinstance(value, datetime) else None


def hours_ago(delta: timedelta) -> str:
    """An age for people, in days beyond two; clock skew never shows as negative."""
    hours = max(delta.total_seconds(), 0) / 3600
    return f"{hours / 24:.0f} days ago" if hours >= 48 else f"{hours:.1f} h ago"
