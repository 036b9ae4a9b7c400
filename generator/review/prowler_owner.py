"""prowler's bucket and key checks on the owner's bucket and key (the companion layout).

Why: beside an owner's trail (``owner_trail``) the trail's bucket and key are the owner's
(Control Tower's, a stack's), which this module neither creates nor reads. prowler still judges
them, in the account that holds them, and a report that said "the bucket is not created here"
would leave the reviewer guessing whose it is and what to look at. Each such check is
``manual``, naming the owner, the account and the setting prowler reads there.
"""

from __future__ import annotations

from generator.review.owner import owner_of
from generator.review.verdict import MANUAL, Context, Verdict

# What each bucket check reads of a bucket (prowler 5.46.0's s3_service calls).
_BUCKET = {
    "s3_bucket_acl_prohibited": "ObjectOwnership BucketOwnerEnforced (aws s3api "
    "get-bucket-ownership-controls)",
    "s3_bucket_cross_account_access": "that its policy grants no principal outside its account "
    "without a condition pinning the account or organization (aws s3api get-bucket-policy)",
    "s3_bucket_cross_region_replication": "a replication rule to a bucket in another region "
    "(aws s3api get-bucket-replication)",
    "s3_bucket_default_encryption": "its default encryption (aws s3api get-bucket-encryption)",
    "s3_bucket_event_notifications_enabled": "its event notifications (aws s3api "
    "get-bucket-notification-configuration)",
    "s3_bucket_kms_encryption": "SSEAlgorithm aws:kms (aws s3api get-bucket-encryption)",
    "s3_bucket_level_public_access_block": "IgnorePublicAcls and RestrictPublicBuckets (aws s3api "
    "get-public-access-block, or the account's)",
    "s3_bucket_lifecycle_enabled": "a lifecycle rule with Status Enabled (aws s3api "
    "get-bucket-lifecycle-configuration)",
    "s3_bucket_no_mfa_delete": "MFADelete Enabled (aws s3api get-bucket-versioning)",
    "s3_bucket_object_lock": "its Object Lock configuration (aws s3api "
    "get-object-lock-configuration)",
    "s3_bucket_object_public": "its objects' ACLs (prowler samples them only with "
    "s3_bucket_object_public_enabled: true in its config)",
    "s3_bucket_object_versioning": "versioning Status Enabled (aws s3api get-bucket-versioning)",
    "s3_bucket_policy_public_write_access": "that its policy lets no one outside write (aws s3api "
    "get-bucket-policy)",
    "s3_bucket_public_access": "its public access block and that its policy is not public",
    "s3_bucket_public_list_acl": "its ACL's grants to AllUsers and AuthenticatedUsers (aws s3api "
    "get-bucket-acl)",
    "s3_bucket_public_write_acl": "its ACL's grants to AllUsers and AuthenticatedUsers (aws s3api "
    "get-bucket-acl)",
    "s3_bucket_secure_transport_policy": "a statement of its policy denying requests when "
    "aws:SecureTransport is false (aws s3api get-bucket-policy)",
    "s3_bucket_server_access_logging_enabled": "its server access logging (aws s3api "
    "get-bucket-logging)",
}

# What each key check reads of a customer-managed key (prowler 5.46.0's kms_service calls).
_KEY = {
    "kms_cmk_rotation_enabled": "its automatic rotation (aws kms get-key-rotation-status)",
    "kms_cmk_are_used": "its KeyState: Enabled or PendingDeletion pass, Disabled fails (aws kms "
    "describe-key)",
    "kms_cmk_not_deleted_unintentionally": "that its KeyState is not PendingDeletion (aws kms "
    "describe-key)",
    "kms_cmk_not_multi_region": "that it is a single-Region key (aws kms describe-key: "
    "MultiRegion)",
    "kms_key_not_publicly_accessible": "that its key policy allows '*' nothing without a "
    "condition (aws kms get-key-policy)",
}


def owner_bucket(check: str, ctx: Context, name: str | None) -> Verdict | None:
    """The verdict of ``check`` on the owner's bucket; None for any other bucket or check.

    ``name``: the bucket judged (None: the module has none, and the owner's is meant).
    """
    owner = owner_of(ctx.config)
    if owner is None or check not in _BUCKET or name not in (None, owner.bucket):
        return None
    named = f"{owner.bucket}: " if name is None else ""  # else combine() names it
    return Verdict(MANUAL, f"{named}{owner.manager}'s bucket (account {owner.bucket_account}), "
                   f"not managed here: check {_BUCKET[check]}", "owner_trail")  # fmt: skip


def owner_key(check: str, ctx: Context) -> list[tuple[str, str]]:
    """The owner's key and what to check of it for ``check`` (none outside the layout)."""
    owner = owner_of(ctx.config)
    if owner is None or owner.key_arn is None or check not in _KEY:
        return []
    return [(owner.key_arn, f"{owner.manager}'s key (account {owner.key_account}), not managed "
             f"here: prowler judges it in that account: check {_KEY[check]}")]  # fmt: skip
