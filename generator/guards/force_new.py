"""What forces a replacement, per resource type the generator emits: read in the provider.

Why its own module: the evidence guard, the review's summary and the plan reader all ask "does
this change of this argument replace the resource?", and the answer is the provider's schema
(``ForceNew``), not ours. One table, read in the provider's source, so the three agree.
"""

from __future__ import annotations

from generator.check.preflight.lookups import BUCKET_SETTING_TYPES

# ForceNew (or RequiresReplace) arguments of every resource type the generator emits, read in
# hashicorp/terraform-provider-aws internal/service/...: cloudtrail/trail.go,
# organization_delegated_admin_account.go; s3/bucket.go and each bucket_*.go (``bucket``);
# logs/group.go, metric_filter.go (query_definition.go has none: its name changes in place);
# cloudwatch/metric_alarm.go; kms/key.go, alias.go; sns/topic.go, topic_policy.go,
# topic_subscription.go; iam/role.go, role_policy.go, policy.go;
# organizations/aws_service_access.go; glue/catalog_database.go, catalog_table.go;
# athena/workgroup.go, named_query.go (every argument of a named query is ForceNew: no update);
# s3/bucket_notification.go (``bucket`` only: the rest is put again in place);
# sqs/queue.go (``name``, ``name_prefix``, ``fifo_queue``) and queue_policy.go (``queue_url``).
FORCE_NEW: dict[str, tuple[str, ...]] = {
    "aws_cloudtrail": ("name",),
    "aws_cloudtrail_organization_delegated_admin_account": ("account_id",),
    "aws_s3_bucket": ("bucket", "object_lock_enabled"),
    **{setting: ("bucket",) for setting in BUCKET_SETTING_TYPES},
    "aws_s3_bucket_notification": ("bucket",),
    "aws_cloudwatch_log_group": ("name", "log_group_class"),
    "aws_cloudwatch_log_metric_filter": ("name", "log_group_name"),
    "aws_cloudwatch_metric_alarm": ("alarm_name",),
    "aws_kms_key": ("customer_master_key_spec", "key_usage", "multi_region"),
    "aws_kms_alias": ("name",),
    "aws_sns_topic": ("name", "fifo_topic"),
    "aws_sns_topic_policy": ("arn",),
    "aws_sns_topic_subscription": ("topic_arn", "protocol", "endpoint"),
    "aws_iam_role": ("name", "path"),
    "aws_iam_role_policy": ("name", "role"),
    "aws_organizations_aws_service_access": ("service_principal",),
    "aws_glue_catalog_database": ("name", "catalog_id", "target_database"),
    "aws_glue_catalog_table": ("name", "database_name", "catalog_id", "partition_index"),
    "aws_athena_workgroup": ("name",),
    "aws_athena_named_query": ("name", "database", "query", "workgroup", "description"),
    "aws_iam_policy": ("name", "name_prefix", "path", "description"),
    "aws_sqs_queue": ("name", "name_prefix", "fifo_queue"),
    "aws_sqs_queue_policy": ("queue_url",),
}
