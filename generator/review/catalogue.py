"""The controls the report judges: identity, title, what each checks. Data only, no verdicts.

Why data: the verdict of every control is computed from the module (:mod:`controls`); what a
control *is* - its id, title, the rule behind it and the config key that usually changes it -
is transcribed once here from its source, so that a test can prove every entry is evaluated.

Sources:

* CIS AWS Foundations Benchmark, logging and monitoring sections, as transcribed by prowler
  (``prowler/compliance/aws/cis_{1.4,1.5,2.0,3.0,4.0,5.0,6.0,7.0}_aws.json``, commit 3e000fa).
  v1.4.0-v2.0.0 number logging 3.1-3.11, v3.0.0-v5.0.0 3.1-3.9 (CloudWatch Logs
  integration and "bucket not public" were dropped), v6.0.0/v7.0.0 4.1-4.9 (v7.0 adds 4.10);
  monitoring is 4.1-4.15 in v1.4.0, 4.1-4.16 in v1.5.0-v5.0.0 (v1.5.0 adds 4.16, Security Hub
  enabled) and 5.1-5.16 in v6.0.0/v7.0.0.
* Security Hub CSPM control reference, CloudTrail, CloudWatch, SNS and SQS controls (titles
  and AWS Config rules); CloudWatch.1-14 are CIS v1.2 3.1-3.14 (v1.4 4.1-4.14) and demand the
  exact filter string (:mod:`generator.monitoring.cis`, flavour ``securityhub``).
* prowler's checks (``prowler/providers/aws/services/{cloudtrail,cloudwatch}``, 3e000fa): the
  metric-filter checks' requirements are copied from each check's ``pattern`` argument; the
  event-selector checks (management events, Bedrock, S3 data events) are mirrored from prowler
  5.46.0 in :mod:`generator.review.prowler`; the checks of the module's bucket, keys, topics,
  queues, log group, workgroup and table (every check of s3, kms, sns, sqs, athena, glue in
  the prowler 5.46.0 wheel, listed in :mod:`generator.review.catalogue_resources`) in
  :mod:`generator.review.prowler_resources` and ``prowler_services``.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.review.catalogue_resources import RESOURCES

CIS = "CIS AWS Foundations Benchmark"
SECURITY_HUB = "AWS Security Hub CSPM"
PROWLER = "prowler"

V14_20, V30_50, V60_70 = "v1.4.0-v2.0.0", "v3.0.0-v5.0.0", "v6.0.0-v7.0.0"
V14_50 = "v1.4.0-v5.0.0"
V15_50 = "v1.5.0-v5.0.0"  # CIS 4.16 (Security Hub enabled): cis_1.4_aws.json stops at 4.15

# Judged in the account a scanner runs in: the trail's log group, filters and alarms live in
# the management account only (prowler#2438, nozaq/terraform-aws-secure-baseline#307).
MEMBER_ACCOUNTS = "metric-filter"


@dataclass(frozen=True)
class Control:
    """One control: who defines it, its id(s), title, rule, and how the report judges it.

    ``check`` names the evaluator in :mod:`generator.review.controls`; ``argument`` is its
    parameter (a CIS id, a prowler pattern). ``key`` is the config key that usually changes the
    verdict (an evaluator may name a more precise one).
    """

    framework: str
    id: str
    title: str
    rule: str
    check: str
    key: str = ""
    argument: str = ""
    numbers: tuple[tuple[str, str], ...] = ()  # CIS: (versions, number)
    scope: str = ""  # MEMBER_ACCOUNTS: judged per account, fails in member accounts


def _cis(
    topic: str,
    numbers: tuple[tuple[str, str], ...],
    title: str,
    check: str,
    key: str = "",
    argument: str = "",
    scope: str = "",
) -> Control:
    rule = "; ".join(f"{number} in {versions}" for versions, number in numbers)
    return Control(CIS, topic, title, rule, check, key, argument, numbers, scope)


_MONITORING = (
    ("4.1", "Ensure unauthorized API calls are monitored"),
    ("4.2", "Ensure management console sign-in without MFA is monitored"),
    ("4.3", "Ensure usage of the 'root' account is monitored"),
    ("4.4", "Ensure IAM policy changes are monitored"),
    ("4.5", "Ensure CloudTrail configuration changes are monitored"),
    ("4.6", "Ensure AWS Management Console authentication failures are monitored"),
    ("4.7", "Ensure disabling or scheduled deletion of customer created CMKs is monitored"),
    ("4.8", "Ensure S3 bucket policy changes are monitored"),
    ("4.9", "Ensure AWS Config configuration changes are monitored"),
    ("4.10", "Ensure security group changes are monitored"),
    ("4.11", "Ensure Network Access Control List (NACL) changes are monitored"),
    ("4.12", "Ensure changes to network gateways are monitored"),
    ("4.13", "Ensure route table changes are monitored"),
    ("4.14", "Ensure VPC changes are monitored"),
    ("4.15", "Ensure AWS Organizations changes are monitored"),
)

CIS_CONTROLS: tuple[Control, ...] = (
    _cis("logging-multi-region", ((V14_20, "3.1"), (V30_50, "3.1"), (V60_70, "4.1")),
         "Ensure CloudTrail is enabled in all regions", "management_events",
         "trail.is_multi_region"),
    _cis("logging-validation", ((V14_20, "3.2"), (V30_50, "3.2"), (V60_70, "4.2")),
         "Ensure CloudTrail log file validation is enabled", "validation",
         "trail.enable_log_file_validation"),
    _cis("logging-bucket-not-public", ((V14_20, "3.3"),),
         "Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible",
         "bucket_not_public", "bucket.create"),
    _cis("logging-cloudwatch", ((V14_20, "3.4"),),
         "Ensure CloudTrail trails are integrated with CloudWatch Logs", "cloudwatch_logs",
         "cloudwatch_logs"),
    _cis("logging-config", ((V14_20, "3.5"), (V30_50, "3.3"), (V60_70, "4.3")),
         "Ensure AWS Config is enabled in all regions", "outside",
         argument="AWS Config recorders are not part of an organization trail module"),
    _cis("logging-access-logging", ((V14_20, "3.6"), (V30_50, "3.4"), (V60_70, "4.4")),
         "Ensure that server access logging is enabled on the CloudTrail S3 bucket",
         "access_logging", "bucket.access_logging"),
    _cis("logging-kms", ((V14_20, "3.7"), (V30_50, "3.5"), (V60_70, "4.5")),
         "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", "kms", "kms.enabled"),
    _cis("logging-key-rotation", ((V14_20, "3.8"), (V30_50, "3.6"), (V60_70, "4.6")),
         "Ensure rotation for customer-created symmetric CMKs is enabled", "key_rotation",
         "kms.key_arn"),
    _cis("logging-flow-logs", ((V14_20, "3.9"), (V30_50, "3.7"), (V60_70, "4.7")),
         "Ensure VPC flow logging is enabled in all VPCs", "outside",
         argument="VPC flow logs are per VPC, not part of an organization trail module"),
    _cis("logging-s3-write-events", ((V14_20, "3.10"), (V30_50, "3.8"), (V60_70, "4.8")),
         "Ensure that object-level logging for write events is enabled for S3 buckets",
         "s3_data_events", argument="write"),
    _cis("logging-s3-read-events", ((V14_20, "3.11"), (V30_50, "3.9"), (V60_70, "4.9")),
         "Ensure that object-level logging for read events is enabled for S3 buckets",
         "s3_data_events", argument="read"),
    _cis("logging-web-front-ends", (("v7.0.0", "4.10"),),
         "Ensure all AWS-managed web front-end services have access logging enabled",
         "outside", argument="CloudFront, load balancer and API Gateway logs are per resource"),
    *(
        _cis(f"monitoring-{cis_id}", ((V14_50, cis_id), (V60_70, "5" + cis_id[1:])), title,
             "cis_filter", "monitoring.cis_controls", cis_id, MEMBER_ACCOUNTS)
        for cis_id, title in _MONITORING
    ),
    _cis("monitoring-security-hub", ((V15_50, "4.16"), (V60_70, "5.16")),
         "Ensure AWS Security Hub is enabled", "outside",
         argument="Security Hub is enabled per account and region, not by this module"),
)  # fmt: skip


def _sh(control_id: str, title: str, rule: str, check: str, key: str = "", argument: str = "",
        scope: str = "") -> Control:  # fmt: skip
    return Control(SECURITY_HUB, control_id, title, rule, check, key, argument, scope=scope)


_SH_CLOUDWATCH = (
    (1, "4.3", 'A log metric filter and alarm should exist for usage of the "root" user'),
    (2, "4.1", "Ensure a log metric filter and alarm exist for unauthorized API calls"),
    (3, "4.2", "Ensure a log metric filter and alarm exist for Management Console sign-in "
               "without MFA"),
    (4, "4.4", "Ensure a log metric filter and alarm exist for IAM policy changes"),
    (5, "4.5", "Ensure a log metric filter and alarm exist for CloudTrail configuration changes"),
    (6, "4.6", "Ensure a log metric filter and alarm exist for AWS Management Console "
               "authentication failures"),
    (7, "4.7", "Ensure a log metric filter and alarm exist for disabling or scheduled deletion "
               "of customer created CMKs"),
    (8, "4.8", "Ensure a log metric filter and alarm exist for S3 bucket policy changes"),
    (9, "4.9", "Ensure a log metric filter and alarm exist for AWS Config configuration changes"),
    (10, "4.10", "Ensure a log metric filter and alarm exist for security group changes"),
    (11, "4.11", "Ensure a log metric filter and alarm exist for changes to Network Access "
                 "Control Lists (NACL)"),
    (12, "4.12", "Ensure a log metric filter and alarm exist for changes to network gateways"),
    (13, "4.13", "Ensure a log metric filter and alarm exist for route table changes"),
    (14, "4.14", "Ensure a log metric filter and alarm exist for VPC changes"),
)  # fmt: skip

SECURITY_HUB_CONTROLS: tuple[Control, ...] = (
    _sh("CloudTrail.1", "CloudTrail should be enabled and configured with at least one "
        "multi-Region trail that includes read and write management events",
        "multi-region-cloudtrail-enabled", "management_events", "trail.is_multi_region"),
    _sh("CloudTrail.2", "CloudTrail should have encryption at-rest enabled",
        "cloud-trail-encryption-enabled", "kms", "kms.enabled"),
    _sh("CloudTrail.3", "At least one CloudTrail trail should be enabled", "cloudtrail-enabled",
        "logging", "trail"),
    _sh("CloudTrail.4", "CloudTrail log file validation should be enabled",
        "cloud-trail-log-file-validation-enabled", "validation",
        "trail.enable_log_file_validation"),
    _sh("CloudTrail.5", "CloudTrail trails should be integrated with Amazon CloudWatch Logs",
        "cloud-trail-cloud-watch-logs-enabled", "cloudwatch_logs", "cloudwatch_logs"),
    _sh("CloudTrail.6",
        "Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible",
        "custom Security Hub rule", "bucket_not_public", "bucket.create"),
    _sh("CloudTrail.7", "Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket",
        "custom Security Hub rule", "access_logging", "bucket.access_logging"),
    _sh("CloudTrail.9", "CloudTrail trails should be tagged",
        "tagged-cloudtrail-trail (any non-aws: tag unless requiredTagKeys is set)", "tagged",
        "tags"),
    _sh("CloudTrail.10", "CloudTrail Lake event data stores should be encrypted with customer "
        "managed AWS KMS keys", "event-data-store-cmk-encryption-enabled", "outside",
        argument="the module creates no CloudTrail Lake event data store"),
    *(
        _sh(f"CloudWatch.{number}", title, f"exact pattern of CIS v1.4.0 {cis_id}, an alarm, "
            "a subscribed topic, on a multi-Region trail logging all management events",
            "cloudwatch",
            "monitoring.cis_controls", cis_id, MEMBER_ACCOUNTS)
        for number, cis_id, title in _SH_CLOUDWATCH
    ),
    _sh("CloudWatch.15", "CloudWatch alarms should have specified actions configured",
        "cloudwatch-alarm-action-check (alarmActionRequired: true)", "alarm_actions",
        "monitoring.notifications"),
    _sh("CloudWatch.16", "CloudWatch log groups should be retained for a specified time period",
        "cw-loggroup-retention-period-check (default at least 365 days, never expire passes)",
        "retention", "cloudwatch_logs.retention_in_days", "365"),
    _sh("CloudWatch.17", "CloudWatch alarm actions should be activated",
        "cloudwatch-alarm-action-enabled-check", "alarm_actions_enabled",
        "monitoring.notifications"),
    # The module's topics (alarms, log files) and the consumers' queues. Evaluated as prowler's
    # checks of the same property where the rule is the same (a KmsMasterKeyId; SSE-SQS or
    # SSE-KMS). https://docs.aws.amazon.com/securityhub/latest/userguide/sns-controls.html
    # (SNS.1: AWS's China-region copy says it left the FSBP standard in April 2024 and stays
    # in NIST SP 800-53 Rev. 5) and .../userguide/sqs-controls.html (SQS.1, SQS.3).
    _sh("SNS.1", "SNS topics should be encrypted at-rest using AWS KMS", "sns-encrypted-kms",
        "sns_topics_kms_encryption_at_rest_enabled", "monitoring.notifications"),
    _sh("SNS.4", "SNS topic access policies should not allow public access",
        "sns-topic-no-public-access (only fixed values may be granted)",
        "sns_topic_no_public_access", "monitoring.notifications"),
    _sh("SQS.1", "Amazon SQS queues should be encrypted at rest",
        "sqs-queue-encrypted (custom Security Hub rule): SSE-SQS or SSE-KMS",
        "sqs_queues_server_side_encryption_enabled", "consumers"),
    _sh("SQS.3", "SQS queue access policies should not allow public access",
        "sqs-queue-no-public-access (only fixed values may be granted)",
        "sqs_queue_no_public_access", "consumers"),
)  # fmt: skip


def _events(*names: str) -> str:
    return " ".join(names)


# prowler's metric-filter checks: "[source=<eventSource>] <eventName>..." or "regex:<regex>",
# exactly the pattern each check passes to check_cloudwatch_log_metric_filter.
_PROWLER_FILTERS = (
    ("unauthorized_api_calls", "4.1",
     r"regex:\$\.errorCode\s*=\s*.?\*UnauthorizedOperation.+\$\.errorCode\s*=\s*.?AccessDenied\*.?"),
    ("sign_in_without_mfa", "4.2", "ConsoleLogin additionalEventData.MFAUsed!=Yes"),
    ("root_usage", "4.3",
     r"regex:\$\.userIdentity\.type\s*=\s*.?Root.+\$\.userIdentity\.invokedBy NOT EXISTS.+"
     r"\$\.eventType\s*!=\s*.?AwsServiceEvent.?"),
    ("policy_changes", "4.4", _events(
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
        "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion",
        "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy",
        "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy")),
    ("and_alarm_for_cloudtrail_configuration_changes_enabled", "4.5",
     _events("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")),
    ("authentication_failures", "4.6", "ConsoleLogin errorMessage=Failed authentication"),
    ("disable_or_scheduled_deletion_of_kms_cmk", "4.7",
     "source=kms.amazonaws.com DisableKey ScheduleKeyDeletion"),
    ("for_s3_bucket_policy_changes", "4.8", "source=s3.amazonaws.com " + _events(
        "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
        "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors",
        "DeleteBucketLifecycle", "DeleteBucketReplication")),
    ("and_alarm_for_aws_config_configuration_changes_enabled", "4.9",
     "source=config.amazonaws.com " + _events(
         "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
         "PutConfigurationRecorder")),
    ("security_group_changes", "4.10", _events(
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
        "DeleteSecurityGroup")),
    ("aws_organizations_changes", "4.15", "source=organizations.amazonaws.com " + _events(
        "AcceptHandshake", "AttachPolicy", "CancelHandshake", "CreateAccount",
        "CreateOrganization", "CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake",
        "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "EnableAllFeatures",
        "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "DetachPolicy",
        "DisablePolicyType", "MoveAccount", "RemoveAccountFromOrganization",
        "UpdateOrganizationalUnit", "UpdatePolicy")),
)  # fmt: skip

_PROWLER_ALARMS = (
    ("changes_to_network_acls_alarm_configured", "4.11", _events(
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")),
    ("changes_to_network_gateways_alarm_configured", "4.12", _events(
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
        "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway")),
    ("changes_to_network_route_tables_alarm_configured", "4.13",
     "source=ec2.amazonaws.com " + _events(
         "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
         "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable")),
    ("changes_to_vpcs_alarm_configured", "4.14", _events(
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink",
        "EnableVpcClassicLink")),
)  # fmt: skip


def _prowler(check: str, title: str, evaluator: str, key: str = "", argument: str = "",
             scope: str = "") -> Control:  # fmt: skip
    return Control(PROWLER, check, title, f"prowler check {check}", evaluator, key, argument,
                   scope=scope)  # fmt: skip


PROWLER_CONTROLS: tuple[Control, ...] = (
    _prowler("cloudtrail_multi_region_enabled", "Region has at least one CloudTrail trail logging",
             "multi_region", "trail.is_multi_region"),
    _prowler("cloudtrail_multi_region_enabled_logging_management_events",
             "CloudTrail trail logs management events for read and write operations",
             "prowler_management_events", "trail.is_multi_region"),
    _prowler("cloudtrail_kms_encryption_enabled",
             "CloudTrail trail logs are encrypted at rest with a KMS key", "kms", "kms.enabled"),
    _prowler("cloudtrail_log_file_validation_enabled",
             "CloudTrail trail has log file validation enabled", "validation",
             "trail.enable_log_file_validation"),
    _prowler("cloudtrail_cloudwatch_logging_enabled",
             "CloudTrail trail has delivered logs to CloudWatch Logs in the last 24 hours",
             "cloudwatch_logs", "cloudwatch_logs"),
    _prowler("cloudtrail_logs_s3_bucket_is_not_publicly_accessible",
             "CloudTrail trail S3 bucket is not publicly accessible", "bucket_not_public",
             "bucket.create"),
    _prowler("cloudtrail_logs_s3_bucket_access_logging_enabled",
             "CloudTrail trail destination S3 bucket has access logging enabled",
             "access_logging", "bucket.access_logging"),
    _prowler("cloudtrail_bucket_requires_mfa_delete",
             "CloudTrail trail S3 bucket has MFA delete enabled", "mfa_delete"),
    _prowler("cloudtrail_insights_exist", "CloudTrail trail has Insights enabled", "insights"),
    _prowler("cloudtrail_s3_dataevents_read_enabled",
             "CloudTrail trail records S3 object-level read events for all S3 buckets",
             "prowler_s3_data_events", argument="read"),
    _prowler("cloudtrail_s3_dataevents_write_enabled",
             "CloudTrail trail records all S3 object-level API operations for all buckets",
             "prowler_s3_data_events", argument="write"),
    _prowler("cloudtrail_bedrock_logging_enabled",
             "CloudTrail logs Amazon Bedrock API calls for security auditing",
             "prowler_bedrock", "trail.is_multi_region"),
    *(
        _prowler(f"cloudtrail_threat_detection_{name}", title, "events")
        for name, title in (
            ("enumeration", "CloudTrail logs show no potential enumeration activity"),
            ("llm_jacking", "No potential LLM jacking activity detected in CloudTrail"),
            ("privilege_escalation",
             "No potential privilege escalation activity detected in CloudTrail"),
        )
    ),
    *(
        _prowler(f"cloudwatch_log_metric_filter_{name}", f"metric filter and alarm for CIS "
                 f"{cis_id}", "prowler_filter", "monitoring.cis_controls",
                 f"{cis_id}|{requirement}", MEMBER_ACCOUNTS)
        for name, cis_id, requirement in _PROWLER_FILTERS
    ),
    *(
        _prowler(f"cloudwatch_{name}", f"metric filter and alarm for CIS {cis_id}",
                 "prowler_filter", "monitoring.cis_controls", f"{cis_id}|{requirement}",
                 MEMBER_ACCOUNTS)
        for name, cis_id, requirement in _PROWLER_ALARMS
    ),
    _prowler("cloudwatch_alarm_actions_alarm_state_configured",
             "CloudWatch metric alarm has actions configured for the ALARM state",
             "alarm_actions", "monitoring.notifications"),
    _prowler("cloudwatch_alarm_actions_enabled", "CloudWatch metric alarm has actions enabled",
             "alarm_actions_enabled", "monitoring.notifications"),
    _prowler("cloudwatch_log_group_kms_encryption_enabled",
             "CloudWatch log group is encrypted with an AWS KMS key", "log_group_kms",
             "kms.enabled"),
    _prowler("cloudwatch_log_group_retention_policy_specific_days_enabled",
             "CloudWatch log group has a retention policy of at least the configured minimum "
             "days or never expires", "retention", "cloudwatch_logs.retention_in_days", "365"),
    _prowler("cloudwatch_log_group_not_publicly_accessible",
             "CloudWatch Log Group is not publicly accessible", "log_group_private",
             "cloudwatch_logs"),
    _prowler("cloudwatch_cross_account_sharing_disabled",
             "CloudWatch does not allow cross-account sharing", "outside",
             argument="CloudWatch cross-account observability is an account setting"),
    _prowler("cloudwatch_log_group_no_secrets_in_logs",
             "CloudWatch log group contains no secrets in its log events", "events"),
)  # fmt: skip


def _resource(check: str, severity: str, title: str, key: str) -> Control:
    """One resource check: evaluated by the function named after it, or not applicable."""
    rule = f"prowler check {check} (severity {severity})"
    kind, _, text = key.partition(":")
    if kind == "outside":
        return Control(PROWLER, check, title, rule, "outside", argument=text)
    if kind == "enclave":
        return Control(PROWLER, check, title, rule, "kms_enclave", text)
    return Control(PROWLER, check, title, rule, check, key)


PROWLER_RESOURCE_CONTROLS: tuple[Control, ...] = tuple(_resource(*entry) for entry in RESOURCES)


def controls() -> tuple[Control, ...]:
    """Every control the report judges, CIS first, then Security Hub, then prowler."""
    return CIS_CONTROLS + SECURITY_HUB_CONTROLS + PROWLER_CONTROLS + PROWLER_RESOURCE_CONTROLS
