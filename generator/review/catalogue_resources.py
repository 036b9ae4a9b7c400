"""prowler's checks of the module's own resources: which ones, their titles. Data only.

Why a module of its own: :mod:`catalogue` holds every framework's controls and had reached
the size cap; this table - every check of the services whose resources the module creates, as
listed in the prowler 5.46.0 wheel - is the part that grows with the module. It imports
nothing of the review package, so that :mod:`catalogue` can build its controls from it.
"""

from __future__ import annotations


def _outside(what: str) -> str:
    return f"judges {what}, which this module does not create"


def _glue(check: str) -> str:
    kinds = {"glue_development": "development endpoints", "glue_etl": "ETL jobs",
             "glue_ml": "ML transforms"}  # fmt: skip
    return "Glue " + next((v for k, v in kinds.items() if check.startswith(k)), "connections")


# prowler's checks of the buckets, keys, topics, queues, log group, workgroup and table (every
# check of s3, kms, sns, sqs, athena, glue and the log group's in the 5.46.0 wheel,
# prowler/providers/aws/services/<service>/<check>/): (check, Severity, CheckTitle of its
# .metadata.json, then the config key that changes it, "outside:<why not applicable>" or
# "enclave:<key>"). Each is evaluated by the function registered under its name in
# generator.review.prowler_resources or prowler_services.
RESOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("s3_bucket_acl_prohibited", "medium", "S3 bucket has bucket ACLs disabled", ""),
    ("s3_bucket_cross_account_access", "high",
     "S3 bucket policy does not allow cross-account access", "bucket.readers"),
    ("s3_bucket_cross_region_replication", "low",
     "S3 bucket has cross-region replication configured to a bucket in a different region", ""),
    ("s3_bucket_default_encryption", "medium",
     "[DEPRECATED] S3 bucket has default server-side encryption (SSE) enabled", "kms.enabled"),
    ("s3_bucket_event_notifications_enabled", "low",
     "S3 bucket has event notifications enabled", ""),
    ("s3_bucket_kms_encryption", "medium", "S3 bucket has server-side encryption with AWS KMS",
     "kms.enabled"),
    ("s3_bucket_level_public_access_block", "high", "S3 bucket has Block Public Access with "
     "IgnorePublicAcls and RestrictPublicBuckets enabled at bucket or account level",
     "bucket.create"),
    ("s3_bucket_lifecycle_enabled", "low", "S3 bucket has a lifecycle configuration enabled",
     "bucket.lifecycle"),
    ("s3_bucket_no_mfa_delete", "medium", "S3 bucket has MFA Delete enabled", ""),
    ("s3_bucket_object_lock", "low", "S3 bucket has Object Lock enabled", "bucket.object_lock"),
    ("s3_bucket_object_public", "low", "Spot-check S3 bucket objects for public ACLs", ""),
    ("s3_bucket_object_versioning", "medium", "S3 bucket has object versioning enabled",
     "bucket.versioning"),
    ("s3_bucket_policy_public_write_access", "critical",
     "S3 bucket policy does not allow public write access", "bucket.kept_statements"),
    ("s3_bucket_public_access", "critical",
     "S3 bucket is not publicly accessible to Everyone or Authenticated Users", "bucket.create"),
    ("s3_bucket_public_list_acl", "critical",
     "S3 bucket is not publicly listable by Everyone or any authenticated AWS user",
     "bucket.create"),
    ("s3_bucket_public_write_acl", "critical",
     "S3 bucket ACL does not grant write access to Everyone or any AWS customer",
     "bucket.create"),
    ("s3_bucket_secure_transport_policy", "medium",
     "S3 bucket policy denies requests over insecure transport", "bucket.kept_statements"),
    ("s3_bucket_server_access_logging_enabled", "medium",
     "S3 bucket has server access logging enabled", "bucket.access_logging"),
    ("s3_bucket_shadow_resource_vulnerability", "high",
     "S3 bucket is not a known shadow resource owned by another account", "bucket.name"),
    ("s3_account_level_public_access_blocks", "high", "S3 account-level Block Public Access "
     "ignores public ACLs and restricts public buckets",
     "outside:the account's S3 Block Public Access (s3control), an account setting"),
    ("s3_access_point_public_access_block", "critical",
     "S3 access point has all Block Public Access settings enabled",
     "outside:" + _outside("S3 access points")),
    ("s3_multi_region_access_point_public_access_block", "high",
     "S3 Multi-Region Access Point has all Block Public Access settings enabled",
     "outside:" + _outside("S3 Multi-Region Access Points")),
    ("kms_cmk_rotation_enabled", "high",
     "KMS customer-managed symmetric CMK has automatic rotation enabled", "kms"),
    ("kms_cmk_are_used", "low", "KMS customer managed key is enabled or scheduled for deletion",
     "kms"),
    ("kms_cmk_not_deleted_unintentionally", "critical",
     "AWS KMS customer managed key is not scheduled for deletion", "kms"),
    ("kms_cmk_not_multi_region", "medium", "AWS KMS customer managed key is single-Region", "kms"),
    ("kms_key_not_publicly_accessible", "critical",
     "Cloud KMS key does not grant access to allUsers or allAuthenticatedUsers", "kms"),
    *((check, severity, title, "enclave:kms.alias") for check, severity, title in (
        ("kms_key_enclave_attestation_bypassable_path", "high",
         "KMS enclave key has no authorization path that bypasses attestation"),
        ("kms_key_enclave_attestation_no_deployment_binding", "informational",
         "KMS enclave key attestation binds a specific deployment context"),
        ("kms_key_enclave_attestation_not_enforced", "high",
         "KMS enclave key requires kms:RecipientAttestation conditions on sensitive actions"),
        ("kms_key_enclave_attestation_pcr_mismatch", "medium",
         "KMS enclave key attestation PCRs match customer-supplied golden values"),
    )),
    # These two read CloudTrail's events, not the keys: one account-level finding each.
    ("kms_key_enclave_attestation_unknown_image", "medium",
     "No enclave with an unknown image identity has called this KMS key", "kms"),
    ("kms_key_enclave_debug_attestation_detected", "high",
     "No Nitro Enclave debug-mode attestation observed against this KMS key", "kms"),
    ("sns_topics_kms_encryption_at_rest_enabled", "high", "SNS topic is encrypted at rest with "
     "KMS", "monitoring.notifications"),
    ("sns_topics_not_publicly_accessible", "high", "SNS topic is not publicly accessible",
     "monitoring.notifications"),
    ("sns_subscription_not_using_http_endpoints", "high", "SNS subscription uses an HTTPS "
     "endpoint", "monitoring.notifications.topic.subscriptions"),
    # The consumers' queues and dead-letter queues (sqs_service.py: GetQueueAttributes All).
    ("sqs_queues_server_side_encryption_enabled", "medium",
     "SQS queue has server-side encryption enabled", "consumers"),
    ("sqs_queues_not_publicly_accessible", "critical",
     "SQS queue policy does not allow public access", "consumers"),
    ("cloudwatch_log_group_agentcore_data_protection_policy_enabled", "medium", "Bedrock "
     "AgentCore log groups have a CloudWatch Logs data protection policy activated",
     "cloudwatch_logs.log_group_name"),
    ("athena_workgroup_encryption", "medium",
     "Athena workgroup encrypts query results in S3 with server-side encryption", "athena"),
    ("athena_workgroup_enforce_configuration", "medium", "Athena workgroup enforces workgroup "
     "configuration and cannot be overridden by client-side settings", "athena"),
    ("athena_workgroup_logging_enabled", "medium",
     "Amazon Athena workgroup has CloudWatch logging enabled", "athena"),
    ("glue_data_catalogs_metadata_encryption_enabled", "medium",
     "Glue Data Catalog metadata is encrypted with KMS", "athena"),
    ("glue_data_catalogs_connection_passwords_encryption_enabled", "high",
     "Glue data catalog connection password is encrypted with a KMS key", "athena"),
    ("glue_data_catalogs_not_publicly_accessible", "high",
     "Glue Data Catalog is not publicly accessible via its resource policy", "athena"),
    *((check, severity, title, "outside:" + _outside(_glue(check))) for check, severity, title in (
        ("glue_catalog_connection_no_secrets", "high",
         "Glue Data Catalog connection has no secrets in connection properties"),
        ("glue_database_connections_ssl_enabled", "high", "Glue connection has SSL enabled"),
        ("glue_development_endpoints_cloudwatch_logs_encryption_enabled", "medium",
         "Glue development endpoint has CloudWatch Logs encryption enabled"),
        ("glue_development_endpoints_job_bookmark_encryption_enabled", "medium",
         "Glue development endpoint has Job Bookmark encryption enabled"),
        ("glue_development_endpoints_s3_encryption_enabled", "medium",
         "Glue development endpoint has S3 encryption enabled"),
        ("glue_etl_jobs_amazon_s3_encryption_enabled", "high",
         "Glue job has S3 encryption enabled"),
        ("glue_etl_jobs_cloudwatch_logs_encryption_enabled", "medium",
         "Glue ETL job has CloudWatch Logs encryption enabled"),
        ("glue_etl_jobs_job_bookmark_encryption_enabled", "medium",
         "Glue ETL job has Job bookmark encryption enabled"),
        ("glue_etl_jobs_logging_enabled", "medium",
         "Glue ETL job has continuous CloudWatch logging enabled"),
        ("glue_etl_jobs_no_secrets_in_arguments", "critical",
         "Glue ETL job has no secrets in default arguments"),
        ("glue_ml_transform_encrypted_at_rest", "medium", "Glue ML Transform is encrypted at rest"),
    )),
)  # fmt: skip
