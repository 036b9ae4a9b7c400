"""prowler's checks of the module's own resources: a table read from prowler 5.46.0's code.

Each row edits a copy of a shipped config, builds the module (load, render, re-parse,
preflight) and asserts the report's status for one prowler check against what that check's
code returns for the resources the module creates - the bucket, keys, topic, log group,
workgroup, table, the consumers' topic and queues. The comment (``source``) of each row names the file of the prowler 5.46.0
wheel (``prowler/providers/aws/services/<service>/<check>/<check>.py``) and the branch that
decides. ``manual`` where prowler's finding depends on what the module does not hold: an
account-level setting, or live data.

The five failures the issue names on prod (prowler 5.46.0 against prod applied on moto):
cloudtrail_bucket_requires_mfa_delete, s3_bucket_no_mfa_delete,
s3_bucket_cross_region_replication, s3_bucket_event_notifications_enabled and
s3_bucket_cross_account_access.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from generator.check.hcl_parse import ParsedModule
from generator.pipeline import build
from generator.review.controls import (
    MANUAL,
    NOT_APPLICABLE,
    NOT_SATISFIED,
    SATISFIED,
    Verdict,
    evaluate,
)
from generator.review.facts import read
from generator.review.prowler_policy import is_policy_public

Edit = Callable[[dict[str, Any]], None]
PASS, FAIL, NA = SATISFIED, NOT_SATISFIED, NOT_APPLICABLE
S3 = "s3/{0}/{0}.py"
KMS = "kms/{0}/{0}.py"
SNS = "sns/{0}/{0}.py"
SQS = "sqs/{0}/{0}.py"
ATHENA = "athena/{0}/{0}.py"
GLUE = "glue/{0}/{0}.py"


def _unchanged(data: dict[str, Any]) -> None:
    pass


def _set(*path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value

    return edit


def _drop(*path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


def _existing_bucket(data: dict[str, Any]) -> None:
    data["bucket"] = {"name": data["bucket"]["name"], "create": False}


def _existing_topic(data: dict[str, Any]) -> None:
    data["monitoring"]["notifications"] = {
        "existing_topic_arn": "arn:aws:sns:us-east-1:111111111111:security-alerts"
    }


# (row id, shipped config, edit, prowler check, prowler 5.46.0's verdict, where it decides)
TABLE: list[tuple[str, str, Edit, str, str, str]] = [
    # --- the bucket: s3_client.buckets (s3_service.py), one finding per bucket
    ("prod", "prod", _unchanged, "s3_bucket_acl_prohibited", PASS,
     S3 + ": 'BucketOwnerEnforced' in bucket.ownership (GetBucketOwnershipControls)"),
    ("prod", "prod", _unchanged, "s3_bucket_cross_account_access", FAIL,
     S3 + ": is_policy_public(cross-account not allowed): bucket.readers 210987654321, "
     "345678901234 are not the audited account nor in trusted_account_ids (default [])"),
    ("example", "example", _unchanged, "s3_bucket_cross_account_access", PASS,
     S3 + ": only cloudtrail.amazonaws.com (Service principals are never cross-account)"),
    ("no-readers", "prod", _set("bucket", "readers", value=[]),
     "s3_bucket_cross_account_access", PASS, S3 + ": no AWS principal outside the account"),
    ("own-reader", "prod", _set("bucket", "readers",
                                value=["arn:aws:iam::123456789012:role/Audit"]),
     "s3_bucket_cross_account_access", PASS, S3 + ": the audited account is in the principal"),
    ("prod", "prod", _unchanged, "s3_bucket_cross_region_replication", FAIL,
     S3 + ": versioning on, no replication_rules (ReplicationConfigurationNotFoundError)"),
    ("prod", "prod", _unchanged, "s3_bucket_default_encryption", PASS,
     S3 + ": bucket.encryption (SSEAlgorithm aws:kms)"),
    ("kms-off", "example", _set("kms", "enabled", value=False),
     "s3_bucket_default_encryption", PASS, S3 + ": SSEAlgorithm AES256 is truthy"),
    ("prod", "prod", _unchanged, "s3_bucket_event_notifications_enabled", FAIL,
     S3 + ": bucket.notification_config empty (no aws_s3_bucket_notification)"),
    ("prod", "prod", _unchanged, "s3_bucket_kms_encryption", PASS,
     S3 + ": bucket.encryption == 'aws:kms'"),
    ("kms-off", "example", _set("kms", "enabled", value=False),
     "s3_bucket_kms_encryption", FAIL, S3 + ": AES256 is not aws:kms / aws:kms:dsse"),
    ("prod", "prod", _unchanged, "s3_bucket_level_public_access_block", PASS,
     S3 + ": ignore_public_acls and restrict_public_buckets at bucket level"),
    ("prod", "prod", _unchanged, "s3_bucket_lifecycle_enabled", PASS,
     S3 + ": a LifeCycleRule with status Enabled"),
    ("example", "example", _unchanged, "s3_bucket_lifecycle_enabled", PASS,
     S3 + ": the default rule (abort incomplete uploads) is Enabled"),
    ("prod", "prod", _unchanged, "s3_bucket_no_mfa_delete", FAIL,
     S3 + ": bucket.mfa_delete False (GetBucketVersioning has no MFADelete Enabled)"),
    ("prod", "prod", _unchanged, "s3_bucket_object_lock", PASS,
     S3 + ": GetObjectLockConfiguration answers (object_lock_enabled = true)"),
    ("example", "example", _unchanged, "s3_bucket_object_lock", FAIL,
     S3 + ": ObjectLockConfigurationNotFoundError"),
    ("prod", "prod", _unchanged, "s3_bucket_object_public", PASS,
     S3 + ": opt-in (s3_bucket_object_public_enabled); objects of a BucketOwnerEnforced "
     "bucket carry no AllUsers/AuthenticatedUsers grant"),
    ("prod", "prod", _unchanged, "s3_bucket_object_versioning", PASS,
     S3 + ": bucket.versioning (Status Enabled)"),
    ("unversioned", "example", _set("bucket", "versioning", value=False),
     "s3_bucket_object_versioning", FAIL, S3 + ": bucket.versioning False"),
    ("unversioned", "example", _set("bucket", "versioning", value=False),
     "s3_bucket_cross_region_replication", FAIL, S3 + ": no enabled rule on an unversioned bucket"),
    ("prod", "prod", _unchanged, "s3_bucket_policy_public_write_access", PASS,
     S3 + ": bucket.public_access_block.restrict_public_buckets"),
    ("prod", "prod", _unchanged, "s3_bucket_public_access", PASS,
     S3 + ": bucket-level ignore_public_acls and restrict_public_buckets"),
    ("prod", "prod", _unchanged, "s3_bucket_public_list_acl", PASS, S3 + ": as public_access"),
    ("prod", "prod", _unchanged, "s3_bucket_public_write_acl", PASS, S3 + ": as public_access"),
    ("prod", "prod", _unchanged, "s3_bucket_secure_transport_policy", PASS,
     S3 + ": Deny, Condition, Action 's3:*', Bool aws:SecureTransport == 'false'"),
    ("prod", "prod", _unchanged, "s3_bucket_server_access_logging_enabled", PASS,
     S3 + ": GetBucketLogging LoggingEnabled"),
    ("example", "example", _unchanged, "s3_bucket_server_access_logging_enabled", FAIL,
     S3 + ": no LoggingEnabled"),
    ("prod", "prod", _unchanged, "s3_bucket_shadow_resource_vulnerability", NA,
     S3 + ": no finding for a bucket not named like predictable_patterns"),
    ("existing-bucket", "example", _existing_bucket, "s3_bucket_no_mfa_delete", MANUAL,
     "a bucket not created here: its versioning is not in the module"),
    ("existing-bucket", "example", _existing_bucket, "s3_bucket_secure_transport_policy", PASS,
     S3 + ": the module writes the whole policy (aws_s3_bucket_policy replaces it)"),
    ("existing-bucket", "example", _existing_bucket, "s3_bucket_cross_account_access", PASS,
     S3 + ": the module writes the whole policy"),
    # --- the trail's bucket, through cloudtrail_client
    ("prod", "prod", _unchanged, "cloudtrail_bucket_requires_mfa_delete", FAIL,
     "cloudtrail/cloudtrail_bucket_requires_mfa_delete/...py: the trail's bucket in the "
     "account, bucket.mfa_delete False"),
    ("prod", "prod", _unchanged, "cloudtrail_cloudwatch_logging_enabled", MANUAL,
     "cloudtrail/cloudtrail_cloudwatch_logging_enabled/...py: latest_cloudwatch_delivery_time "
     "within 24 h (GetTrailStatus): live data"),
    ("prod", "prod", _unchanged, "cloudwatch_log_group_not_publicly_accessible", MANUAL,
     "cloudwatch/cloudwatch_log_group_not_publicly_accessible/...py: the account's "
     "DescribeResourcePolicies, not the module's"),
    # --- keys: kms_client.keys (kms_service.py), customer-managed, Enabled
    ("prod", "prod", _unchanged, "kms_cmk_rotation_enabled", PASS,
     KMS + ": SYMMETRIC_DEFAULT, GetKeyRotationStatus true"),
    ("prod", "prod", _unchanged, "kms_cmk_are_used", PASS, KMS + ": state Enabled"),
    ("prod", "prod", _unchanged, "kms_cmk_not_deleted_unintentionally", PASS,
     KMS + ": state is not PendingDeletion"),
    ("prod", "prod", _unchanged, "kms_cmk_not_multi_region", PASS, KMS + ": MultiRegion false"),
    ("prod", "prod", _unchanged, "kms_key_not_publicly_accessible", PASS,
     KMS + ": is_policy_public(not_allowed_actions=[]): no '*' principal"),
    ("kms-off", "delegated-admin", _set("kms", "enabled", value=False),
     "kms_cmk_rotation_enabled", NA, KMS + ": no customer-managed key, no finding"),
    ("prod", "prod", _unchanged, "kms_key_enclave_attestation_not_enforced", NA,
     KMS + ": is_enclave_key false (kms/lib/enclave.py): skipped"),
    ("enclave-alias", "prod", _set("kms", "alias", value="alias/enclave-logs"),
     "kms_key_enclave_attestation_not_enforced", MANUAL,
     KMS + ": is_enclave_key: alias contains 'enclave'"),
    # Both read CloudTrail events, not keys: MANUAL on a synthetic account resource (seen so
    # in a real prowler 5.46.0 run against prod and example applied on moto).
    ("prod", "prod", _unchanged, "kms_key_enclave_attestation_unknown_image", MANUAL,
     KMS + ": no enclave_golden_pcr_values in audit_config: MANUAL"),
    ("prod", "prod", _unchanged, "kms_key_enclave_debug_attestation_detected", MANUAL,
     KMS + ": no KMS-from-enclave attestation event in 2160 h: MANUAL"),
    # --- the topic: sns_client.topics (sns_service.py)
    ("prod", "prod", _unchanged, "sns_topics_kms_encryption_at_rest_enabled", PASS,
     SNS + ": KmsMasterKeyId set"),
    ("prod", "prod", _unchanged, "sns_topics_not_publicly_accessible", PASS,
     SNS + ": Service principal cloudwatch.amazonaws.com: has_public_principal false"),
    ("prod", "prod", _unchanged, "sns_subscription_not_using_http_endpoints", PASS,
     SNS + ": sqs (email PendingConfirmation is skipped)"),
    ("existing-topic", "example", _existing_topic, "sns_topics_kms_encryption_at_rest_enabled",
     MANUAL, "a topic not created here"),
    ("no-monitoring", "delegated-admin", _unchanged, "sns_topics_not_publicly_accessible", NA,
     "no topic, no finding"),
    # log-archive's consumers: the log-file topic (aws_sns_topic.log_files), its key
    # (aws_kms_key.log_consumers), a queue and a dead-letter queue per consumer
    ("log-archive", "log-archive", _unchanged, "sns_topics_kms_encryption_at_rest_enabled", PASS,
     SNS + ": the log-file topic's KmsMasterKeyId (aws_kms_key.log_consumers)"),
    ("log-archive", "log-archive", _unchanged, "sns_topics_not_publicly_accessible", PASS,
     SNS + ": Service principal s3.amazonaws.com: has_public_principal false"),
    ("log-archive", "log-archive", _unchanged, "sns_subscription_not_using_http_endpoints", PASS,
     SNS + ": protocol sqs, confirmed when created (not PendingConfirmation)"),
    ("log-archive", "log-archive", _unchanged, "kms_key_not_publicly_accessible", PASS,
     KMS + ": is_policy_public(not_allowed_actions=[]): services by aws:SourceArn, roles by ARN "
     "(one of another account: cross-account is allowed here)"),
    ("log-archive", "log-archive", _unchanged, "kms_cmk_rotation_enabled", PASS,
     KMS + ": the consumers' key too, SYMMETRIC_DEFAULT, rotating"),
    ("log-archive", "log-archive", _unchanged, "s3_bucket_event_notifications_enabled", PASS,
     S3 + ": notification_config holds the topic configuration (aws_s3_bucket_notification)"),
    # --- the queues: sqs_client.queues (sqs_service.py: ListQueues, GetQueueAttributes All)
    ("log-archive", "log-archive", _unchanged, "sqs_queues_server_side_encryption_enabled", PASS,
     SQS + ": queue.kms_key_id = KmsMasterKeyId on every queue and dead-letter queue"),
    ("log-archive", "log-archive", _unchanged, "sqs_queues_not_publicly_accessible", PASS,
     SQS + ": no '*' in Principal, its AWS or CanonicalUser (sns.amazonaws.com, a role ARN of "
     "555566667777: the check has no cross-account test); the dead-letter queues have no Policy"),
    ("no-consumers", "log-archive", _drop("consumers"),
     "sqs_queues_server_side_encryption_enabled", NA, SQS + ": no queue, no finding"),
    ("no-consumers", "log-archive", _drop("consumers"), "sqs_queues_not_publicly_accessible", NA,
     SQS + ": no queue, no finding"),
    ("example", "example", _unchanged, "sqs_queues_not_publicly_accessible", NA,
     SQS + ": no queue, no finding"),
    # --- the log group
    ("prod", "prod", _unchanged, "cloudwatch_log_group_agentcore_data_protection_policy_enabled",
     NA, "cloudwatch/cloudwatch_log_group_agentcore_.../...py: name outside the prefixes"),
    ("agentcore-name", "example",
     _set("cloudwatch_logs", "log_group_name", value="/aws/bedrock-agentcore/org-trail"),
     "cloudwatch_log_group_agentcore_data_protection_policy_enabled", MANUAL,
     "in scope; PASS only with an ACTIVATED account-level data protection policy"),
    # --- the workgroup: athena_client.workgroups (athena_service.py)
    ("prod", "prod", _unchanged, "athena_workgroup_encryption", PASS,
     ATHENA + ": EncryptionOption SSE_KMS"),
    ("prod", "prod", _unchanged, "athena_workgroup_enforce_configuration", PASS,
     ATHENA + ": EnforceWorkGroupConfiguration true"),
    ("prod", "prod", _unchanged, "athena_workgroup_logging_enabled", PASS,
     ATHENA + ": PublishCloudWatchMetricsEnabled true"),
    ("example", "example", _unchanged, "athena_workgroup_encryption", NA, "no workgroup"),
    # --- the table: glue_client.data_catalogs (glue_service.py), judged once it holds tables
    ("prod", "prod", _unchanged, "glue_data_catalogs_metadata_encryption_enabled", MANUAL,
     GLUE + ": the region's GetDataCatalogEncryptionSettings, an account setting"),
    ("prod", "prod", _unchanged, "glue_data_catalogs_connection_passwords_encryption_enabled",
     MANUAL, GLUE + ": the region's catalog settings"),
    ("prod", "prod", _unchanged, "glue_data_catalogs_not_publicly_accessible", MANUAL,
     GLUE + ": the region's catalog resource policy"),
    ("example", "example", _unchanged, "glue_data_catalogs_metadata_encryption_enabled", NA,
     GLUE + ": data_catalog.tables False: no finding"),
    ("prod", "prod", _unchanged, "glue_etl_jobs_logging_enabled", NA, "no Glue job"),
]  # fmt: skip


def _verdicts(tmp_path: Path, name: str, edit: Edit) -> dict[str, Verdict]:
    data = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    module = build(path, output_root=tmp_path / "empty-output")
    return {
        r.control.id: r.verdict
        for r in evaluate(read(module.parsed), module.config)
        if r.control.framework == "prowler"
    }


@pytest.mark.parametrize(
    ("config", "edit", "check", "expected", "source"),
    [pytest.param(*row[1:], id=f"{row[0]}-{row[3]}") for row in TABLE],
)
def test_prowler_resource_verdict_is_prowler_5_46_0s(
    tmp_path: Path, config: str, edit: Edit, check: str, expected: str, source: str
) -> None:
    verdict = _verdicts(tmp_path, config, edit)[check]
    assert verdict.status == expected, f"{source}: {verdict.reason}"


def test_prod_fails_the_five_checks_the_issue_names_and_says_what_to_do(tmp_path: Path) -> None:
    result = _verdicts(tmp_path, "prod", _unchanged)
    failing = {check for check, verdict in result.items() if verdict.status == NOT_SATISFIED}
    assert failing == {
        "cloudtrail_bucket_requires_mfa_delete",
        "s3_bucket_no_mfa_delete",
        "s3_bucket_cross_region_replication",
        "s3_bucket_event_notifications_enabled",
        "s3_bucket_cross_account_access",
    }
    cross = result["s3_bucket_cross_account_access"]
    assert cross.key == "bucket.readers"
    assert "CloudTrailAcmeOrgTrailLogReaders" in cross.reason
    assert 'trusted_account_ids: ["210987654321", "345678901234"]' in cross.reason
    assert "--config-file" in cross.reason
    mfa = result["s3_bucket_no_mfa_delete"].reason
    assert "root user" in mfa and "not Terraform" in mfa
    assert "root user" in result["cloudtrail_bucket_requires_mfa_delete"].reason
    live = result["cloudtrail_cloudwatch_logging_enabled"].reason
    assert "LatestCloudWatchLogsDeliveryTime" in live and "once applied" not in live


def test_cross_account_passes_with_the_trusted_accounts_the_report_names(tmp_path: Path) -> None:
    """s3_bucket_cross_account_access with prowler's trusted_account_ids: the ids the report
    prints make prod's bucket policy pass prowler's own test (is_policy_public)."""
    module = build(ROOT / "configs" / "prod.yaml", output_root=tmp_path / "empty")
    (bucket,) = read(module.parsed).resources.buckets
    assert bucket.policy
    args = {"source_account": "123456789012", "is_cross_account_allowed": False}
    assert is_policy_public(bucket.policy, **args)
    trusted = ["210987654321", "345678901234"]
    assert not is_policy_public(bucket.policy, **args, trusted_account_ids=trusted)
    assert is_policy_public(bucket.policy, **args, trusted_account_ids=trusted[:1])


def test_a_bucket_in_another_account_names_the_account_prowler_must_scan(tmp_path: Path) -> None:
    result = _verdicts(tmp_path, "log-archive", _unchanged)
    assert "aws_s3_bucket.logs (account 444455556666)" in result["s3_bucket_no_mfa_delete"].reason


STATEMENT = {"Effect": "Allow", "Action": "s3:GetObject",
             "Principal": {"AWS": "arn:aws:iam::999999999999:role/Reader"}}  # fmt: skip
ORG = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
SOURCE = {"StringEquals": {"aws:SourceAccount": "123456789012"}}


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        pytest.param(STATEMENT, True, id="other-account"),
        pytest.param({**STATEMENT, "Condition": ORG}, False, id="pinned-to-organization"),
        pytest.param({**STATEMENT, "Condition": SOURCE}, False, id="pinned-to-account"),
        pytest.param(
            {**STATEMENT, "Principal": {"Service": "cloudtrail.amazonaws.com"}}, False, id="service"
        ),
        pytest.param({**STATEMENT, "Effect": "Deny", "Principal": "*"}, False, id="deny"),
    ],
)
def test_cross_account_reading_is_prowlers(statement: dict[str, Any], public: bool) -> None:
    """iam/lib/policy.py is_policy_public(is_cross_account_allowed=False): the conditions it
    tolerates (is_condition_block_restrictive, ..._organization). The port agreed with the
    5.46.0 functions on 120,000 random statements when it was written."""
    policy = {"Statement": [statement]}
    assert is_policy_public(policy, "123456789012", is_cross_account_allowed=False) is public


def _consumer_verdicts(tmp_path: Path, edit: Callable[[str], str]) -> dict[str, Verdict]:
    """log-archive's verdicts (prowler's and Security Hub's) once consumers.tf is hand-edited.

    The config cannot produce an unencrypted or public queue, so the rendered module is
    edited: the report judges the module that will be applied, whatever wrote it.
    """
    module = build(ROOT / "configs" / "log-archive.yaml", output_root=tmp_path / "empty")
    text = module.files["consumers.tf"]
    files = {**module.files, "consumers.tf": edit(text)}
    assert files["consumers.tf"] != text
    parsed = ParsedModule.parse(files)
    return {r.control.id: r.verdict for r in evaluate(read(parsed), module.config)}


_SPLUNK_KEY = (
    '  name                       = "org-trail-splunk"\n'
    "  kms_master_key_id          = aws_kms_key.log_consumers.arn\n"
)


@pytest.mark.parametrize(
    ("argument", "expected", "reason"),
    [
        pytest.param("  sqs_managed_sse_enabled = false\n", FAIL,
                     "sqs_managed_sse_enabled = false and no kms_master_key_id", id="sse-off"),
        pytest.param("", PASS, "no encryption argument: SSE-SQS by default", id="no-argument"),
        pytest.param("  sqs_managed_sse_enabled = true\n", PASS,
                     "sqs_managed_sse_enabled = true (SSE-SQS)", id="sse-sqs"),
    ],
)  # fmt: skip
def test_a_queue_without_a_key_is_judged_as_sqs_stores_it(
    tmp_path: Path, argument: str, expected: str, reason: str
) -> None:
    """sqs_service.py: kms_key_id is KmsMasterKeyId, or "SqsManagedSseEnabled" when that
    attribute is "true" - which SQS makes it for a queue created over HTTPS with SigV4 and no
    encryption argument (SSE-SQS by default since October 2022). Security Hub SQS.1 (SSE-SQS
    or SSE-KMS) agrees."""
    assert _SPLUNK_KEY in (ROOT / "output" / "log-archive" / "consumers.tf").read_text("utf-8")
    replacement = '  name                       = "org-trail-splunk"\n' + argument
    result = _consumer_verdicts(tmp_path, lambda text: text.replace(_SPLUNK_KEY, replacement))
    for check in ("sqs_queues_server_side_encryption_enabled", "SQS.1"):
        verdict = result[check]
        assert verdict.status == expected, verdict.reason
        assert f"aws_sqs_queue.consumer_splunk (account 444455556666): {reason}" in verdict.reason
        assert verdict.key == "consumers"
    # the other queues are still judged, on their key
    assert "consumer_elastic (account 444455556666): kms_master_key_id" in result["SQS.1"].reason


_SNS_SERVICE = '      type        = "Service"\n      identifiers = ["sns.amazonaws.com"]\n'
_ANYONE = '      type        = "*"\n      identifiers = ["*"]\n'
_SOURCE_ARN = (
    "\n\n    condition {\n"
    '      test     = "StringEquals"\n'
    '      variable = "aws:SourceArn"\n'
    '      values   = ["arn:aws:sns:eu-west-1:444455556666:org-trail-log-files"]\n'
    "    }"
)


def _swap(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def _splunk_topic_statement(replace: Callable[[str], str]) -> Callable[[str], str]:
    """An edit of consumer splunk's queue policy: its first statement (the topic's send)."""
    name = 'data "aws_iam_policy_document" "consumer_splunk_queue" {\n'

    def edit(text: str) -> str:
        head, found, tail = text.partition(name)
        statement, rest = tail.split("\n  }\n", 1)
        return head + found + replace(statement) + "\n  }\n" + rest

    return edit


@pytest.mark.parametrize(
    ("replace", "prowler", "security_hub"),
    [
        # prowler: is_condition_block_restrictive(condition, audited account,
        # is_cross_account_allowed=True) - a StringEquals aws:SourceArn string is restrictive;
        # AWS Config's reasoning over conditions is not published: manual
        pytest.param(lambda s: _swap(s, _SNS_SERVICE, _ANYONE), PASS, MANUAL,
                     id="anyone-by-source-arn"),
        pytest.param(lambda s: _swap(_swap(s, _SNS_SERVICE, _ANYONE), _SOURCE_ARN, ""),
                     FAIL, FAIL, id="anyone"),
    ],
)  # fmt: skip
def test_a_public_queue_policy_is_judged_by_prowler_and_security_hub(
    tmp_path: Path, replace: Callable[[str], str], prowler: str, security_hub: str
) -> None:
    """sqs_queues_not_publicly_accessible.py: an Allow statement whose Principal holds '*' is
    public unless its Condition is restrictive; Security Hub SQS.3: fixed values only."""
    result = _consumer_verdicts(tmp_path, _splunk_topic_statement(replace))
    assert result["sqs_queues_not_publicly_accessible"].status == prowler
    assert result["SQS.3"].status == security_hub
    for check in ("sqs_queues_not_publicly_accessible", "SQS.3"):
        if result[check].status != PASS:
            assert "consumer_splunk (account 444455556666): AllowLogFileTopicSend" in (
                result[check].reason
            )


_S3_SERVICE = '      type        = "Service"\n      identifiers = ["s3.amazonaws.com"]\n'
_TOPIC_CONDITIONS = (
    "\n\n    condition {\n"
    '      test     = "StringEquals"\n'
    '      variable = "aws:SourceAccount"\n'
    '      values   = ["444455556666"]\n'
    "    }\n\n    condition {\n"
    '      test     = "StringEquals"\n'
    '      variable = "aws:SourceArn"\n'
    '      values   = ["arn:aws:s3:::acme-log-archive-cloudtrail-eu-west-1"]\n'
    "    }"
)


def _log_file_topic_statement(replace: Callable[[str], str]) -> Callable[[str], str]:
    """An edit of the log-file topic's policy document: its one statement (S3's publish)."""
    name = 'data "aws_iam_policy_document" "log_files_topic" {\n'

    def edit(text: str) -> str:
        head, found, tail = text.partition(name)
        statement, rest = tail.split("\n  }\n", 1)
        return head + found + replace(statement) + "\n  }\n" + rest

    return edit


@pytest.mark.parametrize(
    ("replace", "security_hub"),
    [
        pytest.param(lambda s: s, PASS, id="s3-by-source"),
        pytest.param(lambda s: _swap(s, _S3_SERVICE, _ANYONE), MANUAL, id="anyone-by-source"),
        pytest.param(lambda s: _swap(_swap(s, _S3_SERVICE, _ANYONE), _TOPIC_CONDITIONS, ""),
                     FAIL, id="anyone"),
    ],
)  # fmt: skip
def test_a_public_topic_policy_is_judged_as_aws_config_judges_it(
    tmp_path: Path, replace: Callable[[str], str], security_hub: str
) -> None:
    """Security Hub SNS.4 (AWS Config sns-topic-no-public-access): "an SNS policy must grant
    access only to fixed values" - a '*' principal fails without a condition; under one, how the
    rule weighs it is not published: manual."""
    edit = _log_file_topic_statement(replace)
    result = _consumer_verdicts(tmp_path, lambda text: edit(text) + "\n# edited\n")
    verdict = result["SNS.4"]
    assert verdict.status == security_hub, verdict.reason
    assert "aws_sns_topic.log_files (account 444455556666)" in verdict.reason
    assert verdict.key == "consumers"
