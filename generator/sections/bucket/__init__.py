"""The bucket section: the central log bucket, its hardening and its policy.

It owns ``s3.tf``: the bucket and its split settings (public access block, ownership, versioning,
encryption, lifecycle, Object Lock, access logging) and the bucket policy.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, NamedTuple

from generator.render import policies
from generator.render.hcl import Ref
from generator.sections.addresses import BUCKET, BUCKET_POLICY, BUCKET_SETTINGS, TRAIL, label
from generator.sections.base import CheckovSkip, Output, Section, Skip, skips_for
from generator.sections.bucket import model, rules
from generator.sections.bucket.model import AccessLogging, ObjectLock, Transition
from generator.sections.facts import ModuleFacts

if TYPE_CHECKING:
    from generator.sections.registry import Config

SKIPS = (
    CheckovSkip(
        "CKV_AWS_144",
        BUCKET,
        lambda f: (
            "Cross-region replication is a separate DR decision; the bucket is versioned "
            "and locked against deletion"
        ),
        when=lambda f: f.config.bucket.create,
    ),
    CheckovSkip(
        "CKV2_AWS_62",
        BUCKET,
        lambda f: (
            "Nothing consumes object events from the log archive; alerting runs on the log group"
        ),
        # with consumers the notification exists; an existing bucket is not declared here
        when=lambda f: f.config.bucket.create and not f.config.consumers,
    ),
    CheckovSkip(
        "CKV_AWS_18",
        BUCKET,
        lambda f: (
            "server access logging is not configured: it needs another bucket as target "
            "(set bucket.access_logging)"
        ),
        when=lambda f: f.config.bucket.create and f.config.bucket.access_logging is None,
    ),
    CheckovSkip(
        "CKV_AWS_21",
        BUCKET,
        lambda f: "bucket.versioning: false",
        when=lambda f: f.config.bucket.create and not f.config.bucket.versioning,
        switched_off=True,
    ),
    CheckovSkip(
        "CKV_AWS_145",
        BUCKET,
        lambda f: "kms.enabled: false",
        when=lambda f: f.config.bucket.create and not f.config.kms.enabled,
        switched_off=True,
    ),
)

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


class LifecycleView(NamedTuple):
    """The lifecycle rule of the log files, and what its transitions mean for them."""

    notes: tuple[str, ...]
    transitions: tuple[Transition, ...]
    expiration_days: int | None
    noncurrent_version_expiration_days: int | None
    abort_days: int


class BucketView(NamedTuple):
    """What s3.tf needs."""

    files: tuple[str, ...]
    readers: tuple[str, ...]
    versioning: bool
    kms_key: str | None
    object_lock: ObjectLock | None
    access_logging: AccessLogging | None
    lifecycle: LifecycleView
    skips: tuple[Skip, ...]
    label: str
    id: str
    versioning_address: str
    public_access_block_address: str
    provider: str | None
    create: bool
    name: str
    policy_label: str
    policy: policies.PolicyDocument | None  # None: existing_policy keep, the owner writes it
    encryption_after_trail: bool
    account: str
    region: str
    trail_address: str
    existing_policy: str
    kept: int
    guard_policy: bool
    owner: str | None
    required: tuple[str, ...]


def build(facts: ModuleFacts) -> BucketView:
    """The bucket (when created) and its policy document."""
    config = facts.config
    bucket = config.bucket
    adopted = config.adopt is not None and config.adopt.bucket is not None
    readers = facts.log_readers  # bucket.readers and the consumers' roles: one definition
    life = bucket.lifecycle
    return BucketView(
        files=("s3",),
        readers=readers,
        versioning=bucket.versioning,
        kms_key=facts.key_reference,
        object_lock=bucket.object_lock,
        access_logging=bucket.access_logging,
        lifecycle=LifecycleView(
            notes=tuple(
                line
                for note in lifecycle_notes(config)
                for line in textwrap.wrap(note, 96, subsequent_indent="  ")
            ),
            transitions=tuple(life.transitions),
            expiration_days=life.expiration_days,
            noncurrent_version_expiration_days=life.noncurrent_version_expiration_days,
            abort_days=life.abort_incomplete_multipart_upload_days,
        ),
        skips=tuple(skips_for(SKIPS, BUCKET, facts)),
        label=label(BUCKET),
        id=Ref(f"{BUCKET}.id"),
        versioning_address=Ref(BUCKET_SETTINGS["versioning"]),
        public_access_block_address=Ref(BUCKET_SETTINGS["public_access_block"]),
        provider=facts.bucket_provider,
        create=bucket.create,
        name=bucket.name,
        policy_label=label(BUCKET_POLICY),
        policy=policies.bucket_policy(
            facts.arns, readers=readers, kept=tuple(s.iam_json() for s in bucket.kept_statements)
        )
        if facts.writes_bucket_policy
        else None,
        encryption_after_trail=facts.encryption_waits_for_trail,
        account=facts.bucket_account,
        region=facts.arns.home_region,
        trail_address=TRAIL,
        existing_policy=bucket.existing_policy,
        kept=len(bucket.kept_statements),
        # An adopted bucket's policy carries other trails' grants: a destroy of it alone
        # (the resource removed from the code) would cut their delivery.
        guard_policy=adopted and bucket.create,
        owner=facts.owner.manager if facts.owner else None,
        required=tuple(_required_text(facts).splitlines()),
    )


def _required_text(facts: ModuleFacts) -> str:
    """The statements a kept policy must hold for this module's trail, as IAM JSON ('' if none)."""
    required = facts.required_bucket_statements
    return policies.to_json_text(required) if required is not None else ""


def warnings(facts: ModuleFacts) -> list[str]:
    """What an existing bucket's policy loses at apply, and what transitions do to the logs."""
    bucket = facts.config.bucket
    result = []
    if not bucket.create and bucket.existing_policy == "replace":
        result.append(
            f"bucket {bucket.name} exists and its policy will be REPLACED by "
            "aws_s3_bucket_policy: statements not generated here are removed at apply (copy "
            "the ones to keep into bucket.kept_statements - `orgtrail-gen discover` does - "
            "and set bucket.existing_policy: merge)"
        )
    if not bucket.create and bucket.existing_policy == "merge":
        sids = ", ".join(s.sid for s in bucket.kept_statements)
        result.append(
            f"bucket {bucket.name} exists and its policy will be REPLACED by this module's "
            f"statements plus bucket.kept_statements ({sids}); any other statement it has "
            "today is removed at apply (`orgtrail-gen discover` or `verify` lists them)"
        )
    required = _required_text(facts)
    if required:
        owner = f"{facts.owner.manager}'s" if facts.owner else "its owner's"
        result.append(
            f"bucket {bucket.name} keeps {owner} policy (existing_policy: keep). Before "
            "`terraform apply`, that policy must contain these statements (also in s3.tf), or "
            "CreateTrail fails with InsufficientS3BucketPolicyException:\n" + required
        )
    return result + lifecycle_notes(facts.config)


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The bucket's ARN, when this module creates it."""
    if not facts.config.bucket.create:
        return ()
    return (Output("bucket_arn", f"{BUCKET}.arn", "The central log bucket."),)


SECTION = Section(
    name="bucket",
    keys=("bucket",),
    templates=("s3",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
    outputs=outputs,
    rules=rules,
    skips=SKIPS,
    resources={
        "aws_s3_bucket": "bucket",
        **{address.split(".")[0]: "bucket" for address in BUCKET_SETTINGS.values()},
    },
)
