"""prowler 5.46.0's checks of the module's buckets, and the per-resource machinery they share.

:mod:`prowler_services` judges the keys, topic, log group, workgroup and table with it.

Why: prowler judges the module's own resources, not only the trail - ``s3_bucket_*`` every
bucket, ``kms_*`` every customer-managed key, ``sns_*`` every topic, ``athena_workgroup_*``
every workgroup, ``glue_data_catalogs_*`` the Data Catalog holding the table. Each evaluator
mirrors one check (``prowler/providers/aws/services/<service>/<check>/<check>.py`` in the
prowler 5.46.0 wheel) on what its service client will read back from the applied module
(:mod:`resource_facts`), resource by resource; the worst finding is the row's status, and the
reason names each resource. What depends on account-level settings or on live data (the
Data Catalog's encryption, a deleted key) is ``manual`` with what to look at; a check that
judges nothing this module creates is ``not applicable``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from generator.review.catalogue import Control
from generator.review.prowler_owner import owner_bucket
from generator.review.prowler_policy import Json, is_policy_public, outside_accounts
from generator.review.resource_facts import Bucket, ResourceFacts
from generator.review.verdict import (
    MANUAL,
    NOT_APPLICABLE,
    NOT_SATISFIED,
    SATISFIED,
    Context,
    Verdict,
    registry,
)

EVALUATORS, evaluator = registry()
_ORDER = (NOT_SATISFIED, MANUAL, SATISFIED, NOT_APPLICABLE)
_WRITE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:*", "s3:Put*", "s3:Delete*"]
_ENFORCED = "BucketOwnerEnforced"
# s3_bucket_shadow_resource_vulnerability.predictable_patterns
_SHADOW = ("aws-glue-assets-{account}-{region}", "sagemaker-{region}-{account}",
           "aws-emr-studio-{account}-{region}", "aws-codestar-{region}-{account}")  # fmt: skip


def combine(found: Sequence[tuple[str, Verdict]], empty: Verdict) -> Verdict:
    """One row from per-resource verdicts: the worst status; each reason with its resources."""
    if not found:
        return empty
    status = min((v.status for _, v in found), key=_ORDER.index)
    grouped: dict[str, list[str]] = {}
    for address, verdict in found:
        grouped.setdefault(verdict.reason, []).append(address)
    reason = "; ".join(f"{', '.join(where)}: {text}" for text, where in grouped.items())
    key = next((v.key for _, v in found if v.status == status and v.key), "")
    return Verdict(status, reason, key)


def resources_of(ctx: Context) -> ResourceFacts:
    """The module's resources that prowler's resource checks judge."""
    return ctx.facts.resources


def account_in(ctx: Context, account: str | None) -> str:
    """The account a resource lives in (prowler's audited_account when it judges it)."""
    return account or ctx.facts.trail_account or ctx.config.organization.management_account_id


def where(ctx: Context, address: str, account: str | None) -> str:
    """The resource, and its account when prowler must scan another one than the trail's."""
    if account and ctx.facts.trail_account and account != ctx.facts.trail_account:
        return f"{address} (account {account})"
    return address


# --- S3: every bucket of the scanned account ------------------------------------------------

BucketCheck = Callable[[Bucket, Context], Verdict]


def _bucket_check(name: str, needs_bucket: bool = True) -> Callable[[BucketCheck], BucketCheck]:
    """Register a per-bucket check; a bucket not created here is manual when ``needs_bucket``."""

    def register(function: BucketCheck) -> BucketCheck:
        def judge(control: Control, ctx: Context) -> Verdict:
            found = []
            buckets = resources_of(ctx).buckets
            if not buckets and (owners := owner_bucket(name, ctx, None)):
                return owners  # beside an owner's trail, without a trail of this module
            for bucket in buckets:
                owners = None if bucket.created else owner_bucket(name, ctx, bucket.name)
                if owners is not None:
                    verdict = owners
                elif needs_bucket and not bucket.created:
                    verdict = Verdict(MANUAL, "the bucket is not created here (bucket.create: "
                                      "false): check it in its account")  # fmt: skip
                else:
                    verdict = function(bucket, ctx)
                found.append((where(ctx, bucket.address, bucket.account), verdict))
            return combine(found, Verdict(NOT_APPLICABLE, "the module has no bucket", "bucket"))

        EVALUATORS[name] = judge
        return function

    return register


def _blocked(bucket: Bucket) -> bool:
    """Bucket-level IgnorePublicAcls and RestrictPublicBuckets (what prowler's checks read)."""
    block = bucket.public_access_block
    return block is not None and block[1] and block[3]


@_bucket_check("s3_bucket_acl_prohibited")
def _acl_prohibited(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.ownership and _ENFORCED in bucket.ownership:
        return Verdict(SATISFIED, "object ownership BucketOwnerEnforced: ACLs are disabled")
    return Verdict(NOT_SATISFIED, "no BucketOwnerEnforced ownership control: ACLs are enabled")


@_bucket_check("s3_bucket_cross_account_access", needs_bucket=False)
def _cross_account(bucket: Bucket, ctx: Context) -> Verdict:
    """is_policy_public(cross-account not allowed, trusted_account_ids from prowler's config)."""
    policy, account = bucket.policy, account_in(ctx, bucket.account)
    if policy is None:
        return Verdict(MANUAL, "the module writes no policy on this bucket: check its policy")
    if not policy:
        return Verdict(SATISFIED, "the bucket has no policy")
    if not is_policy_public(policy, account, is_cross_account_allowed=False):
        return Verdict(SATISFIED, f"its policy grants no AWS principal outside {account} "
                       "(AWS services by aws:SourceArn)")  # fmt: skip
    culprits = [s for s in policy["Statement"] if is_policy_public(
        {"Statement": [s]}, account, is_cross_account_allowed=False)]  # fmt: skip
    sids = ", ".join(str(s.get("Sid", "")) for s in culprits)
    kept = {s.sid for s in ctx.config.bucket.kept_statements}
    key = "bucket.kept_statements" if any(s.get("Sid") in kept for s in culprits) else ""
    others = outside_accounts({"Statement": culprits}, account)
    if others and not is_policy_public(policy, account, is_cross_account_allowed=False,
                                       trusted_account_ids=others):  # fmt: skip
        listed = ", ".join(f'"{a}"' for a in others)
        return Verdict(NOT_SATISFIED, f"{sids} grants accounts {', '.join(others)}; prowler "
                       "passes it once they are trusted: put trusted_account_ids: "
                       f"[{listed}] under aws: in a prowler config file and run prowler with "
                       "--config-file", key or "bucket.readers")  # fmt: skip
    return Verdict(NOT_SATISFIED, f"{sids} grants access outside {account} with no condition "
                   "pinning the account or organization", key or "bucket.readers")  # fmt: skip


@_bucket_check("s3_bucket_cross_region_replication")
def _replication(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.versioning and bucket.replication:
        return Verdict(MANUAL, "an enabled replication rule: prowler passes it if the "
                       "destination bucket is scanned and in another region")  # fmt: skip
    return Verdict(NOT_SATISFIED, "no replication configuration (the module writes none): "
                   "copying the logs to a bucket in another region is a disaster-recovery "
                   "decision taken outside this module")  # fmt: skip


@_bucket_check("s3_bucket_default_encryption")
def _default_encryption(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.encryption:
        return Verdict(SATISFIED, f"default encryption {bucket.encryption}")
    return Verdict(MANUAL, "no server-side encryption configuration in the module: S3's "
                   "default (SSE-S3) applies; check GetBucketEncryption")  # fmt: skip


@_bucket_check("s3_bucket_event_notifications_enabled")
def _notifications(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.notifications:
        return Verdict(SATISFIED, "an event notification configuration")
    return Verdict(
        NOT_SATISFIED,
        "no event notifications (the module writes none): nothing "
        "consumes object events of the log archive; alerting runs on the log group",
    )


@_bucket_check("s3_bucket_kms_encryption")
def _kms_encryption(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.encryption in ("aws:kms", "aws:kms:dsse"):
        return Verdict(SATISFIED, f"default encryption {bucket.encryption}")
    return Verdict(NOT_SATISFIED, f"default encryption is {bucket.encryption or 'S3-managed'}, "
                   "not aws:kms")  # fmt: skip


@_bucket_check("s3_bucket_level_public_access_block")
def _level_block(bucket: Bucket, ctx: Context) -> Verdict:
    if _blocked(bucket):
        return Verdict(SATISFIED, "its public access block has IgnorePublicAcls and "
                       "RestrictPublicBuckets")  # fmt: skip
    return Verdict(MANUAL, "its public access block lacks IgnorePublicAcls or "
                   "RestrictPublicBuckets: prowler passes it only if the account-level block "
                   "has both (aws s3control get-public-access-block)")  # fmt: skip


@_bucket_check("s3_bucket_lifecycle_enabled")
def _lifecycle(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.lifecycle:
        return Verdict(SATISFIED, "a lifecycle rule with status Enabled")
    return Verdict(NOT_SATISFIED, "no enabled lifecycle rule")


@_bucket_check("s3_bucket_no_mfa_delete")
def _no_mfa_delete(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.mfa_delete:
        return Verdict(SATISFIED, "versioning has MFADelete Enabled")
    return Verdict(NOT_SATISFIED, "MFA delete is off (GetBucketVersioning has no MFADelete "
                   "Enabled). Only the bucket owner's root user, with its MFA device, can turn "
                   "it on (put-bucket-versioning with --mfa, through the API or CLI), not "
                   "Terraform with ordinary credentials, and S3 then refuses the bucket's "
                   "lifecycle rules; bucket.object_lock protects the versions instead: mute "
                   "this finding or enable it as root (orgtrail-gen docs, Security posture: "
                   "MFA delete)")  # fmt: skip


@_bucket_check("s3_bucket_object_lock")
def _object_lock(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.object_lock:
        return Verdict(SATISFIED, "Object Lock is enabled on the bucket")
    return Verdict(NOT_SATISFIED, "no Object Lock (bucket.object_lock, on a new bucket only)")


@_bucket_check("s3_bucket_object_public")
def _object_public(bucket: Bucket, ctx: Context) -> Verdict:
    off = "prowler runs it only with s3_bucket_object_public_enabled: true in its config"
    if bucket.ownership and _ENFORCED in bucket.ownership:
        return Verdict(SATISFIED, f"{off}; BucketOwnerEnforced disables object ACLs, so no "
                       "sampled object can grant AllUsers or AuthenticatedUsers")  # fmt: skip
    return Verdict(MANUAL, f"{off}; object ACLs are enabled: it samples the objects' ACLs")


@_bucket_check("s3_bucket_object_versioning")
def _versioning(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.versioning:
        return Verdict(SATISFIED, "versioning is Enabled")
    return Verdict(NOT_SATISFIED, "versioning is off")


@_bucket_check("s3_bucket_policy_public_write_access", needs_bucket=False)
def _public_write_policy(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.policy is None:
        return Verdict(MANUAL, "the module writes no policy on this bucket: check its policy")
    if not bucket.policy:
        return Verdict(SATISFIED, "the bucket has no policy")
    block = bucket.public_access_block
    if block is not None and block[3]:
        return Verdict(SATISFIED, "RestrictPublicBuckets is on: prowler passes without reading "
                       "the policy")  # fmt: skip
    account = account_in(ctx, bucket.account)
    if is_policy_public(bucket.policy, account, not_allowed_actions=_WRITE_ACTIONS):
        return Verdict(NOT_SATISFIED, "its policy lets anyone write", "bucket.kept_statements")
    return Verdict(SATISFIED, "its policy lets no one outside write")


def _acl_public(bucket: Bucket, what: str) -> Verdict | None:
    if _blocked(bucket):
        return Verdict(SATISFIED, "its public access block ignores public ACLs and restricts "
                       f"public buckets: {what}")  # fmt: skip
    if bucket.ownership and _ENFORCED in bucket.ownership:
        return None
    return Verdict(MANUAL, "ACLs are enabled and the public access block is incomplete: check "
                   "the bucket ACL's grants to AllUsers and AuthenticatedUsers")  # fmt: skip


@_bucket_check("s3_bucket_public_access")
def _public_access(bucket: Bucket, ctx: Context) -> Verdict:
    verdict = _acl_public(bucket, "not public")
    if verdict is not None:
        return verdict
    if bucket.policy and is_policy_public(bucket.policy, account_in(ctx, bucket.account)):
        return Verdict(NOT_SATISFIED, "its policy is public", "bucket.kept_statements")
    return Verdict(SATISFIED, "ACLs are disabled (BucketOwnerEnforced) and its policy is not "
                   "public")  # fmt: skip


@_bucket_check("s3_bucket_public_list_acl")
def _public_list(bucket: Bucket, ctx: Context) -> Verdict:
    return _acl_public(bucket, "not listable") or Verdict(
        SATISFIED, "ACLs are disabled (BucketOwnerEnforced): no ACL grants READ to anyone"
    )


@_bucket_check("s3_bucket_public_write_acl")
def _public_write(bucket: Bucket, ctx: Context) -> Verdict:
    return _acl_public(bucket, "not writable") or Verdict(
        SATISFIED, "ACLs are disabled (BucketOwnerEnforced): no ACL grants WRITE to anyone"
    )


def _denies_http(statement: Json) -> bool:
    """s3_bucket_secure_transport_policy: Deny, an s3 write action, Bool SecureTransport false."""
    actions = statement.get("Action", "")
    condition = statement.get("Condition")
    return (
        statement.get("Effect") == "Deny"
        and isinstance(condition, dict)
        and any(a in actions for a in ("s3:PutObject", "*", "s3:*"))
        and condition.get("Bool", {}).get("aws:SecureTransport") == "false"
    )


@_bucket_check("s3_bucket_secure_transport_policy", needs_bucket=False)
def _secure_transport(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.policy is None:
        return Verdict(MANUAL, "the module writes no policy on this bucket: check its policy")
    if any(_denies_http(s) for s in bucket.policy.get("Statement", [])):
        return Verdict(SATISFIED, "its policy denies s3:* when aws:SecureTransport is false")
    return Verdict(NOT_SATISFIED, "no statement denies requests over HTTP")


@_bucket_check("s3_bucket_server_access_logging_enabled")
def _access_logging(bucket: Bucket, ctx: Context) -> Verdict:
    if bucket.logging:
        return Verdict(SATISFIED, "server access logging is on")
    return Verdict(NOT_SATISFIED, "no server access logging")


@_bucket_check("s3_bucket_shadow_resource_vulnerability", needs_bucket=False)
def _shadow(bucket: Bucket, ctx: Context) -> Verdict:
    account, region = account_in(ctx, bucket.account), bucket.region or ""
    for pattern in _SHADOW:
        if re.match(pattern.format(account=account, region=region), bucket.name):
            return Verdict(SATISFIED, "named like an AWS service's predictable bucket, and "
                           "owned by its own account")  # fmt: skip
    return Verdict(NOT_APPLICABLE, "reports only buckets named like aws-glue-assets-<account>-"
                   "<region>, sagemaker-<region>-<account>, aws-emr-studio-<account>-<region> "
                   "or aws-codestar-<region>-<account>; this one is not")  # fmt: skip
