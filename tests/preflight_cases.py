"""Config variants and one-invariant breaks of the rendered example, for test_preflight.py.

A break is a text edit of ONE generated file - the way a hand edit or a template bug would
change it - plus the exact findings the preflight rules must report for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Edit = Callable[[str], str]

# Names in configs/example.yaml and the addresses of generator/sections/addresses.py, spelled out on purpose:
# a test that imported them would not notice when they drift.
ORG_ID = "o-a1b2c3d4e5"
MGMT = "111111111111"
MEMBER = "222222222222"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{MGMT}:log-group:/aws/cloudtrail/org"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org-trail"
TRAIL = "aws_cloudtrail.org"
ORGANIZATION = "data.aws_organizations_organization.this"
TRUSTED_ACCESS = "aws_organizations_aws_service_access.cloudtrail"
LEGACY_ORGANIZATION = "aws_organizations_organization.this"
BUCKET_POLICY = "aws_s3_bucket_policy.logs"
BUCKET_DOC = "data.aws_iam_policy_document.cloudtrail_bucket"
ROLE = "aws_iam_role.cloudtrail_cloudwatch"
ROLE_POLICY = "aws_iam_role_policy.cloudtrail_cloudwatch"
KMS_KEY = "aws_kms_key.cloudtrail"
KEY_DOC = "data.aws_iam_policy_document.cloudtrail_kms"
LOG_GROUP = "aws_cloudwatch_log_group.cloudtrail"
LIFECYCLE = "aws_s3_bucket_lifecycle_configuration.logs"
OBJECT_LOCK = "aws_s3_bucket_object_lock_configuration.logs"
# Our Sids name the trail; the console's (AWSCloudTrailAclCheck20150319, ...) must never appear.
ACL_SID = "CloudTrailOrgTrailAclCheck"
MGMT_WRITE_SID = "CloudTrailOrgTrailWriteManagementAccount"
ORG_WRITE_SID = "CloudTrailOrgTrailWriteOrganization"
CONSOLE_ACL_SID = "AWSCloudTrailAclCheck20150319"
TLS_SID = "DenyInsecureTransport"
CLOUDTRAIL_SIDS = (ACL_SID, MGMT_WRITE_SID, ORG_WRITE_SID)
PREFIX = "cloudtrail/org"
# The "adopted" variant takes over what the console made (imports.tf).
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{MGMT}:key/{KEY_ID}"
DELIVERY_ROLE = "CloudTrailCloudWatchLogsDelivery"
CONSOLE_ROLE_POLICY = "oneClick_CloudTrail_CloudWatchLogs_Role_1700000000000"
ALARM_TOPIC = "aws_sns_topic.alarms"
ROOT_FILTER = "aws_cloudwatch_log_metric_filter.root_account_usage"
ROOT_ALARM = "aws_cloudwatch_metric_alarm.root_account_usage"
ALARMS_OF_THE_ACCOUNT = f"arn:aws:cloudwatch:us-east-1:{MGMT}:alarm:*"
EXISTING_TOPIC = f"arn:aws:sns:us-east-1:{MGMT}:security-alarms"
CUSTOM_PATTERN = "{($.eventSource = logs.amazonaws.com) && ($.eventName = DeleteLogGroup)}"

# --- config variants: a function of the example's YAML data -----------------------------------


def _prefix(data: dict[str, Any]) -> None:
    data["trail"]["s3_key_prefix"] = PREFIX


def _no_cloudwatch(data: dict[str, Any]) -> None:
    del data["cloudwatch_logs"], data["monitoring"]  # monitoring needs the log group


# Another trail's grant as today's console writes it (aws-facts.md 11.5): kept in the policy.
OTHER_TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/console-trail"
CONSOLE_KEPT = {
    "Sid": "AWSCloudTrailWrite20150319-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": f"arn:aws:s3:::example-org-cloudtrail-logs/AWSLogs/{MGMT}/*",
    "Condition": {
        "StringEquals": {
            "s3:x-amz-acl": "bucket-owner-full-control",
            "AWS:SourceArn": OTHER_TRAIL_ARN,
        }
    },
}


def _existing(policy: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["bucket"].update(create=False, existing_policy=policy)
        if policy == "merge":
            data["bucket"]["kept_statements"] = [CONSOLE_KEPT]

    return change


def _home(region: str, other: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["trail"].update(home_region=region, regions=[region, other])

    return change


ARCHIVE = "444455556666"
ADMIN = "123412341234"


def _log_archive(data: dict[str, Any]) -> None:
    data["log_archive"] = {
        "account_id": ARCHIVE,
        "role_arn": f"arn:aws:iam::{ARCHIVE}:role/OrgTrailLogArchiveDeployer",
    }


def _log_archive_existing_key(data: dict[str, Any]) -> None:
    _log_archive(data)
    data["kms"] = {
        "key_arn": f"arn:aws:kms:us-east-1:{ARCHIVE}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }


def _delegated_admin(data: dict[str, Any]) -> None:
    del data["cloudwatch_logs"]
    data.pop("monitoring", None)  # monitoring needs the log group
    data["delegated_admin"] = {
        "account_id": ADMIN,
        "role_arn": f"arn:aws:iam::{ADMIN}:role/OrgTrailAdministrator",
    }


def _already_enabled(data: dict[str, Any]) -> None:
    data["organization"]["cloudtrail_trusted_access"] = "already_enabled"


def _adopted(data: dict[str, Any]) -> None:
    data["organization"]["cloudtrail_trusted_access"] = "adopt"
    data["cloudwatch_logs"]["retention_in_days"] = 0  # the console's log group never expires
    data["adopt"] = {
        "trail": {
            "arn": TRAIL_ARN,
            "s3_bucket_name": "example-org-cloudtrail-logs",
            "is_organization_trail": True,
            "is_multi_region": True,
            "include_global_service_events": True,
            "enable_log_file_validation": False,
        },
        "bucket": {
            "name": "example-org-cloudtrail-logs",
            "configurations": ["public_access_block", "ownership_controls", "encryption", "policy"],
        },
        "log_group": {"name": "/aws/cloudtrail/org"},
        "role": {"name": DELIVERY_ROLE, "inline_policy": CONSOLE_ROLE_POLICY},
        "key": {"arn": KEY_ARN, "alias": "alias/org-trail"},
    }


def _object_lock(data: dict[str, Any]) -> None:
    data["bucket"]["object_lock"] = {"mode": "COMPLIANCE", "days": 365}


def _existing_topic(data: dict[str, Any]) -> None:
    data["monitoring"]["notifications"] = {"existing_topic_arn": EXISTING_TOPIC}


def _custom_monitoring(data: dict[str, Any]) -> None:
    data["monitoring"].update(
        cis_controls=["4.3", "4.10"],
        flavours={"4.10": "securityhub"},
        custom_filters=[{"name": "LogGroupTampering", "pattern": CUSTOM_PATTERN, "period": 60}],
        alarms={"namespace": "Org/Trail", "ok_actions": True},
    )


def _queries_only(data: dict[str, Any]) -> None:
    data["monitoring"].update(cis_controls="none")


LOG_BUCKET_OBJECTS = "arn:aws:s3:::example-org-cloudtrail-logs/"


def _events(data: dict[str, Any]) -> None:
    data["trail"]["events"] = {
        "data": [
            {"resource_type": "AWS::S3::Object"},
            {"resource_type": "AWS::S3::Object", "resources": ["arn:aws:s3:::workload-data/"]},
        ]
    }


ATHENA_RESULTS = "example-athena-results"
ANALYST = f"arn:aws:iam::{MGMT}:role/SecurityAnalyst"


def _athena(data: dict[str, Any]) -> None:
    data["athena"] = {
        "start_date": "2026/01/01",
        "results": {"bucket": ATHENA_RESULTS},
        "readers": [ANALYST],
    }


def _athena_enum_prefix(data: dict[str, Any]) -> None:
    _athena(data)
    _prefix(data)
    data["athena"]["accounts"] = [MGMT, MEMBER]


def _athena_log_archive(data: dict[str, Any]) -> None:
    _log_archive(data)
    _athena(data)
    data["athena"]["readers"] = [f"arn:aws:iam::{ARCHIVE}:role/SecurityAnalyst"]


SIEM = "999988887777"  # an account the config does not know: a SIEM's
SPLUNK_ROLE = f"arn:aws:iam::{MGMT}:role/SplunkSqsReader"
ELASTIC_ROLE = f"arn:aws:iam::{SIEM}:role/ElasticAgent"
TOPIC = "aws_sns_topic.log_files"
NOTIFICATION = "aws_s3_bucket_notification.logs"
SPLUNK_QUEUE = "aws_sqs_queue.consumer_splunk"
ELASTIC_QUEUE = "aws_sqs_queue.consumer_elastic"


def _consumers(data: dict[str, Any]) -> None:
    data["consumers"] = [
        {"name": "splunk", "roles": [SPLUNK_ROLE]},
        {"name": "elastic", "roles": [ELASTIC_ROLE], "raw_message_delivery": False},
    ]


def _consumers_log_archive(data: dict[str, Any]) -> None:
    _log_archive(data)
    _consumers(data)
    _prefix(data)


# The companion layout: configs/control-tower.yaml, whose organization trail, bucket, key and
# log group are Control Tower's (owner_trail). Its names, spelled out as above.
CONTROL_TOWER = Path(__file__).resolve().parents[1] / "configs" / "control-tower.yaml"
CT_TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:210987654321:trail/aws-controltower-BaselineCloudTrail"
CT_BUCKET = "aws-controltower-logs-987654321098-eu-west-1"
CT_KEY_ID = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
CT_KEY_ARN = f"arn:aws:kms:eu-west-1:210987654321:key/{CT_KEY_ID}"
CT_GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"  # landing zone 4.0 suffixes it
CT_GROUP_BEFORE_4_0 = "aws-controltower/CloudTrailLogs"
CT_OWNS = "which AWS Control Tower's organization trail owns"


def _control_tower(data: dict[str, Any]) -> None:
    data.clear()
    data.update(yaml.safe_load(CONTROL_TOWER.read_text(encoding="utf-8")))


VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "example": lambda data: None,
    "trusted_access_already_enabled": _already_enabled,
    "log_archive": _log_archive,
    "log_archive_existing_key": _log_archive_existing_key,
    "delegated_admin": _delegated_admin,
    "s3_key_prefix": _prefix,
    "no_cloudwatch_logs": _no_cloudwatch,
    "existing_bucket_replace": _existing("replace"),
    "existing_bucket_merge": _existing("merge"),
    "aws_cn": _home("cn-north-1", "cn-northwest-1"),
    "aws_us_gov": _home("us-gov-west-1", "us-gov-east-1"),
    "adopted": _adopted,
    "object_lock": _object_lock,
    "monitoring_existing_topic": _existing_topic,
    "monitoring_custom": _custom_monitoring,
    "monitoring_queries_only": _queries_only,
    "events": _events,
    "athena": _athena,
    "athena_enum_prefix": _athena_enum_prefix,
    "athena_log_archive": _athena_log_archive,
    "consumers": _consumers,
    "consumers_log_archive": _consumers_log_archive,
    "control_tower": _control_tower,
}
PARTITIONS = {"aws_cn": "aws-cn", "aws_us_gov": "aws-us-gov"}

# --- edits -------------------------------------------------------------------------------------


def replace(old: str, new: str, count: int | None = None) -> Edit:
    """Replace ``old`` (which must occur, ``count`` times if given) by ``new``."""

    def edit(text: str) -> str:
        found = text.count(old)
        assert found and (count is None or found == count), f"{old!r} occurs {found} times"
        return text.replace(old, new)

    return edit


def set_attribute(name: str, old: str, new: str) -> Edit:
    """Change the one ``name = old`` (whatever its alignment) to ``name = new``."""
    pattern = re.compile(rf"\b{re.escape(name)}\s*=\s*{re.escape(old)}")

    def edit(text: str) -> str:
        assert len(pattern.findall(text)) == 1, f"{name} = {old} must occur exactly once"
        return pattern.sub(lambda _: f"{name} = {new}", text)

    return edit


def replace_first(old: str, new: str) -> Edit:
    """Replace only the first occurrence of ``old``."""

    def edit(text: str) -> str:
        assert old in text, f"{old!r} not found"
        return text.replace(old, new, 1)

    return edit


def _block_span(text: str, start: int) -> tuple[int, int]:
    """(start of line, end incl. newline) of the block whose header line holds ``start``."""
    begin = text.rfind("\n", 0, start) + 1
    depth, i = 0, text.index("{", start)
    while True:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            break
        i += 1
    end = text.find("\n", i)
    return begin, len(text) if end < 0 else end + 1


def _header_before(text: str, position: int, header: str) -> int:
    start = text.rfind(header, 0, position)
    assert start >= 0, f"no {header!r} before offset {position}"
    return start


def _statement_span(text: str, sid: str) -> tuple[int, int]:
    match = re.search(rf'\bsid\s*=\s*"{re.escape(sid)}"', text)
    assert match, f"no statement with sid {sid}"
    return _block_span(text, _header_before(text, match.start(), "statement {"))


def drop_statement(sid: str) -> Edit:
    """Remove the policy statement with this Sid."""

    def edit(text: str) -> str:
        begin, end = _statement_span(text, sid)
        return text[:begin] + text[end:]

    return edit


def drop_condition(sid: str, variable: str) -> Edit:
    """Remove one ``condition`` block from the statement with this Sid."""

    def edit(text: str) -> str:
        first, last = _statement_span(text, sid)
        match = re.compile(rf'\bvariable\s*=\s*"{re.escape(variable)}"').search(text, first, last)
        assert match, f"statement {sid} has no condition on {variable}"
        begin, end = _block_span(text, _header_before(text, match.start(), "condition {"))
        return text[:begin] + text[end:]

    return edit


def drop_block(header: str) -> Edit:
    """Remove the top-level or nested block that starts with ``header`` (e.g. ``import {``)."""

    def edit(text: str) -> str:
        assert text.count(header) == 1, f"{header!r} must occur exactly once"
        begin, end = _block_span(text, text.index(header))
        return text[:begin] + text[end:]

    return edit


def drop_list_item(item: str, count: int) -> Edit:
    """Remove the quoted string ``item`` from every list it is in (inline or one per line)."""
    quoted = re.escape(f'"{item}"')

    def edit(text: str) -> str:
        result, found = re.subn(rf",\s*{quoted}|{quoted}\s*,?\s*", "", text)
        assert found == count, f"{item!r} is in {found} lists"
        return result

    return edit


def add_depends_on(header: str, address: str) -> Edit:
    """Make the block that starts with ``header`` depend on ``address`` too."""

    def edit(text: str) -> str:
        assert text.count(header) == 1, f"{header!r} must occur exactly once"
        begin, end = _block_span(text, text.index(header))
        block = text[begin:end]
        if "depends_on = [" in block:
            block = block.replace("depends_on = [", f"depends_on = [{address}, ", 1)
        else:
            block = block.replace("{\n", f"{{\n  depends_on = [{address}]\n", 1)
        return text[:begin] + block + text[end:]

    return edit


def in_block(header: str, edit: Edit) -> Edit:
    """Apply ``edit`` only inside the block that starts with ``header``."""

    def inner(text: str) -> str:
        assert text.count(header) == 1, f"{header!r} must occur exactly once"
        begin, end = _block_span(text, text.index(header))
        return text[:begin] + edit(text[begin:end]) + text[end:]

    return inner


def drop_line(fragment: str) -> Edit:
    """Remove the one line that contains ``fragment``."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        hits = [line for line in lines if fragment in line]
        assert len(hits) == 1, f"{fragment!r} is on {len(hits)} lines"
        return "".join(line for line in lines if fragment not in line)

    return edit


def append(block: str) -> Edit:
    """Add ``block`` (a whole HCL block) at the end of the file, as a hand edit would."""

    def edit(text: str) -> str:
        return f"{text}\n{block}"

    return edit


# --- breaks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """One invariant broken in one file, and exactly what the rules must say about it."""

    id: str
    file: str
    edit: Edit
    expected: tuple[tuple[str, str, str], ...]  # (rule, file, address), with repeats
    problem: tuple[str, ...]  # every finding's problem contains each of these
    fix: str  # every finding's fix contains this
    variant: str = "example"
    why: str = ""  # why more than one rule fires, when it does
    message_rules: tuple[str, ...] = ()  # whose messages `problem`/`fix` describe; default: all
    against_previous: bool = False  # the unedited render is the module already in output/

    @property
    def described(self) -> set[str]:
        """The rules whose findings must carry ``problem`` and ``fix``."""
        return set(self.message_rules or (rule for rule, _, _ in self.expected))


def _doc(rule: str) -> tuple[str, str, str]:
    return (rule, "s3.tf", BUCKET_DOC)


def _statement(rule: str, sid: str) -> tuple[str, str, str]:
    return (rule, "s3.tf", f"{BUCKET_DOC} statement {sid}")


def _key_doc(rule: str) -> tuple[str, str, str]:
    return (rule, "kms.tf", KEY_DOC)


def _trail(rule: str, file: str = "cloudtrail.tf") -> tuple[str, str, str]:
    return (rule, file, TRAIL)


INSUFFICIENT = "InsufficientS3BucketPolicyException"
_PREFIX_HINT = "its key prefix differs from the trail's"

BUCKET_BREAKS = [
    Break(
        "two_statements_share_a_sid",
        "s3.tf",
        replace(f'"{ACL_SID}"', f'"{ORG_WRITE_SID}"', count=1),
        (("OTG008", "s3.tf", f"{BUCKET_DOC} statement {ORG_WRITE_SID}"),),
        (ORG_WRITE_SID, "duplicate Sid"),
        "Sid of its own",
        variant="existing_bucket_merge",
    ),
    Break(
        # a kept statement (a jsonencode source document) named like one of ours
        "a_kept_statement_shares_a_sid_with_ours",
        "s3.tf",
        replace(f'"{CONSOLE_KEPT["Sid"]}"', f'"{ACL_SID}"', count=1),
        (("OTG008", "s3.tf", f"{BUCKET_DOC} statement {ACL_SID}"),),
        (ACL_SID, "duplicate Sid"),
        "Sid of its own",
        variant="existing_bucket_merge",
    ),
    Break(
        "org_id_write_grant_removed",
        "s3.tf",
        drop_statement(ORG_WRITE_SID),
        (_doc("OTG001"),),
        (INSUFFICIENT, f"AWSLogs/{ORG_ID}/*"),
        "allow s3:PutObject",
    ),
    Break(
        "management_write_grant_removed",
        "s3.tf",
        drop_statement(MGMT_WRITE_SID),
        (_doc("OTG002"),),
        (INSUFFICIENT, f"AWSLogs/{MGMT}/*"),
        "allow s3:PutObject",
    ),
    Break(
        "trail_prefix_differs_from_policy",
        "cloudtrail.tf",
        set_attribute("s3_key_prefix", f'"{PREFIX}"', '"cloudtrail/other"'),
        (_doc("OTG001"), _doc("OTG002")),
        (INSUFFICIENT, _PREFIX_HINT, "cloudtrail/other/AWSLogs/"),
        "s3_key_prefix must match",
        variant="s3_key_prefix",
        why="one prefix feeds both write grants: both are for the wrong key",
    ),
    Break(
        "trail_prefix_dropped_policy_keeps_it",
        "cloudtrail.tf",
        drop_line("s3_key_prefix"),
        (_doc("OTG001"), _doc("OTG002")),
        (INSUFFICIENT, _PREFIX_HINT),
        "s3_key_prefix must match",
        variant="s3_key_prefix",
        why="one prefix feeds both write grants: both are for the wrong key",
    ),
    Break(
        "trail_prefix_added_policy_lacks_it",
        "cloudtrail.tf",
        set_attribute("name", '"org-trail"', '"org-trail"\n  s3_key_prefix = "logs"'),
        (_doc("OTG001"), _doc("OTG002")),
        (INSUFFICIENT, _PREFIX_HINT, "logs/AWSLogs/"),
        "s3_key_prefix must match",
        why="one prefix feeds both write grants: both are for the wrong key",
    ),
    *[
        Break(
            f"source_arn_names_{name}",
            "s3.tf",
            replace(TRAIL_ARN, wrong, count=3),
            tuple(_statement("OTG003", sid) for sid in CLOUDTRAIL_SIDS),
            (INSUFFICIENT, wrong, f"not the trail's ARN {TRAIL_ARN}"),
            f'"aws:SourceArn" = ["{TRAIL_ARN}"]',
            why="all three CloudTrail statements carry the same SourceArn",
        )
        for name, wrong in [
            ("another_trail", f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/other-trail"),
            ("another_region", f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/org-trail"),
            ("member_account", f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/org-trail"),
        ]
    ],
    Break(
        "trail_renamed_policy_not",
        "cloudtrail.tf",
        set_attribute("name", '"org-trail"', '"renamed-trail"'),
        (
            *(_statement("OTG003", sid) for sid in CLOUDTRAIL_SIDS),
            _key_doc("OTG031"),
            _key_doc("OTG031"),
            _key_doc("OTG031"),
        ),
        (f"{TRAIL_ARN[:-9]}renamed-trail",),
        "trail/renamed-trail",
        why="the bucket policy (3 statements) and the key policy (GenerateDataKey, DescribeKey, "
        "and Decrypt for the S3 Bucket Key) all pin the old trail ARN",
    ),
    Break(
        "cloudtrail_statement_without_source_arn",
        "s3.tf",
        drop_condition(ACL_SID, "aws:SourceArn"),
        (_statement("OTG003", ACL_SID),),
        ("without an aws:SourceArn condition", "confused deputy"),
        '"aws:SourceArn"',
        why="a broader Allow: CreateTrail succeeds, but any trail of any account may use it",
    ),
    Break(
        "get_bucket_acl_missing",
        "s3.tf",
        drop_statement(ACL_SID),
        (_doc("OTG004"),),
        (INSUFFICIENT, "s3:GetBucketAcl"),
        ACL_SID,
    ),
    # Not something CreateTrail refuses (it is a narrowing AWS documents), hence no exception.
    Break(
        "acl_condition_missing",
        "s3.tf",
        drop_condition(ORG_WRITE_SID, "s3:x-amz-acl"),
        (_statement("OTG005", ORG_WRITE_SID),),
        ("bucket-owner-full-control", "organization-trail policy"),
        '"s3:x-amz-acl" = ["bucket-owner-full-control"]',
    ),
    Break(
        "tls_deny_missing",
        "s3.tf",
        drop_statement(TLS_SID),
        (_doc("OTG006"),),
        ("aws:SecureTransport = false", "plain HTTP"),
        "DenyInsecureTransport",
    ),
    Break(
        "source_arn_from_trail_attribute",
        "s3.tf",
        replace_first(f'["{TRAIL_ARN}"]', f"[{TRAIL}.arn]"),
        (_doc("OTG007"), _statement("OTG003", ACL_SID)),
        ("dependency cycle",),
        "spell the trail ARN out",
        why="OTG003 reads only literal ARNs, so the reference is not the trail's ARN to it either",
        message_rules=("OTG007",),
    ),
    Break(
        "bucket_policy_depends_on_trail",
        "s3.tf",
        add_depends_on('resource "aws_s3_bucket_policy" "logs" {', TRAIL),
        (("OTG007", "s3.tf", BUCKET_POLICY),),
        ("dependency cycle",),
        "spell the trail ARN out",
    ),
    Break(
        "no_bucket_policy",
        "s3.tf",
        drop_block('resource "aws_s3_bucket_policy" "logs" {'),
        (_trail("OTG007"),),
        (INSUFFICIENT, "no aws_s3_bucket_policy", "example-org-cloudtrail-logs"),
        "attach the CloudTrail bucket policy",
    ),
    Break(
        "existing_bucket_policy_on_another_bucket",
        "s3.tf",
        replace(
            'bucket = "example-org-cloudtrail-logs"\n  policy',
            'bucket = "some-other-bucket"\n  policy',
            count=1,
        ),
        (_trail("OTG007"),),
        (INSUFFICIENT, "no aws_s3_bucket_policy"),
        "attach the CloudTrail bucket policy",
        variant="existing_bucket_replace",
    ),
]

# Every depends_on entry of the example's trail, and what CreateTrail answers without it.
DEPENDENCIES = {
    BUCKET_POLICY: INSUFFICIENT,
    KMS_KEY: "InsufficientEncryptionPolicyException",
    ORGANIZATION: "CloudTrailAccessNotEnabledException",
    TRUSTED_ACCESS: "CloudTrailAccessNotEnabledException",
    ROLE_POLICY: "CreateTrail may run before",  # see the xfail test for its exception
}

TRAIL_BREAKS = [
    Break(
        "not_an_organization_trail",
        "cloudtrail.tf",
        set_attribute("is_organization_trail", "true", "false"),
        (_trail("OTG010"),),
        ("only the management account would be logged",),
        "is_organization_trail = true",
    ),
    Break(
        "multi_region_without_global_events",
        "cloudtrail.tf",
        set_attribute("include_global_service_events", "true", "false"),
        (_trail("OTG011"),),
        ("InvalidParameterCombinationException",),
        "include_global_service_events = true",
    ),
    Break(
        "log_group_arn_without_wildcard",
        "cloudtrail.tf",
        replace('.arn}:*"', '.arn}"', count=1),
        (_trail("OTG012"),),
        ("InvalidCloudWatchLogsLogGroupArnException", "':*'"),
        ':*"',
    ),
    Break(
        "delivery_role_without_org_stream_grant",
        "logs.tf",
        drop_list_item(f"{LOG_GROUP_ARN}:log-stream:{ORG_ID}_*", count=2),
        (("OTG013", "logs.tf", ROLE), ("OTG013", "logs.tf", ROLE)),
        ("InvalidCloudWatchLogsLogGroupArnException", f"log-stream:{ORG_ID}_*"),
        f"log-stream:{ORG_ID}_*",
        why="one finding per action: logs:CreateLogStream and logs:PutLogEvents",
    ),
    Break(
        "delivery_role_trusts_another_principal",
        "logs.tf",
        replace(
            'identifiers = ["cloudtrail.amazonaws.com"]', 'identifiers = ["ec2.amazonaws.com"]'
        ),
        (_trail("OTG014"),),
        ("InvalidCloudWatchLogsRoleArnException",),
        "sts:AssumeRole",
    ),
    *[
        Break(
            f"depends_on_without_{address.split('.')[-2]}",
            "cloudtrail.tf",
            drop_line(f"    {address},"),
            (_trail("OTG015"),),
            (f"depends_on lacks {address}:", exception, "the first apply fails"),
            address,
        )
        for address, exception in DEPENDENCIES.items()
    ],
]

_LEGACY_BLOCK = """
resource "aws_organizations_organization" "this" {
  feature_set                   = "ALL"
  aws_service_access_principals = ["cloudtrail.amazonaws.com"]
}
"""

ORGANIZATION_BREAKS = [
    Break(
        "trusted_access_neither_enabled_nor_asserted",
        "organizations.tf",
        drop_block('resource "aws_organizations_aws_service_access"'),
        (("OTG020", "organizations.tf", "aws_organizations_aws_service_access"),),
        ("CloudTrailAccessNotEnabledException",),
        "cloudtrail_trusted_access",
    ),
    Break(
        "trusted_access_assertion_names_another_service",
        "organizations.tf",
        replace(
            'contains(self.aws_service_access_principals, "cloudtrail.amazonaws.com")',
            'contains(self.aws_service_access_principals, "config.amazonaws.com")',
        ),
        (("OTG020", "organizations.tf", "aws_organizations_aws_service_access"),),
        ("CloudTrailAccessNotEnabledException",),
        "contains(self.aws_service_access_principals",
        variant="trusted_access_already_enabled",
    ),
    Break(
        "organization_managed",
        "organizations.tf",
        lambda text: text + _LEGACY_BLOCK,
        (("OTG021", "organizations.tf", LEGACY_ORGANIZATION),),
        ("disabled at apply", "deletes the organization"),
        "destroy = false",
    ),
    Break(
        "organization_not_forgotten",
        "organizations.tf",
        drop_block("removed {"),
        (("OTG021", "organizations.tf", "removed"),),
        ("DeleteOrganization", "0.1"),
        "destroy = false",
    ),
    Break(
        "organization_forgotten_with_destroy",
        "organizations.tf",
        set_attribute("destroy", "false", "true"),
        (("OTG021", "organizations.tf", f"removed {LEGACY_ORGANIZATION}"),),
        ("DELETE the organization",),
        "destroy = false",
    ),
    Break(
        "organization_not_read",
        "organizations.tf",
        drop_block('data "aws_organizations_organization"'),
        (("OTG022", "organizations.tf", "data.aws_organizations_organization"),),
        ("another organization",),
        f'self.id == "{ORG_ID}"',
    ),
    Break(
        "organization_asserted_with_another_id",
        "organizations.tf",
        replace(f'self.id == "{ORG_ID}"', 'self.id == "o-zzzzzzzzzz"'),
        (("OTG022", "organizations.tf", ORGANIZATION),),
        (f'self.id == "{ORG_ID}"',),
        f'self.id == "{ORG_ID}"',
    ),
    Break(
        "organization_feature_set_not_asserted",
        "organizations.tf",
        replace('self.feature_set == "ALL"', 'self.feature_set != ""'),
        (("OTG022", "organizations.tf", ORGANIZATION),),
        ('self.feature_set == "ALL"',),
        'self.feature_set == "ALL"',
    ),
]

_ENCRYPTION = "InsufficientEncryptionPolicyException"

KMS_BREAKS = [
    Break(
        "trail_key_in_another_region",
        "cloudtrail.tf",
        set_attribute(
            "kms_key_id",
            f"{KMS_KEY}.arn",
            f'"arn:aws:kms:eu-west-1:{MGMT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
        ),
        (_trail("OTG030"),),
        ("KmsKeyNotFoundException", "eu-west-1", "us-east-1"),
        "us-east-1",
    ),
    Break(
        "key_policy_without_encrypt_for_cloudtrail",
        "kms.tf",
        drop_statement("AllowCloudTrailEncryptLogs"),
        (_key_doc("OTG031"),),
        (_ENCRYPTION, "kms:GenerateDataKey", TRAIL_ARN),
        "kms:GenerateDataKey",
    ),
    Break(
        "key_policy_without_describe_key",
        "kms.tf",
        drop_statement("AllowCloudTrailDescribeKey"),
        (_key_doc("OTG031"),),
        (_ENCRYPTION, "kms:DescribeKey"),
        "kms:DescribeKey",
    ),
    Break(
        "key_policy_source_arn_names_another_trail",
        "kms.tf",
        replace(TRAIL_ARN, f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/other-trail", count=3),
        (_key_doc("OTG031"), _key_doc("OTG031"), _key_doc("OTG031")),
        (_ENCRYPTION, TRAIL_ARN),
        f"aws:SourceArn {TRAIL_ARN}",
        why="one finding per action CloudTrail needs: GenerateDataKey, DescribeKey, and Decrypt "
        "because the bucket uses an S3 Bucket Key",
    ),
    Break(
        "key_policy_without_decrypt_for_the_bucket_key",
        "kms.tf",
        drop_statement("AllowCloudTrailDecryptWithBucketKey"),
        (_key_doc("OTG031"),),
        (_ENCRYPTION, "kms:Decrypt", "S3 Bucket Key"),
        "kms:Decrypt",
        why="CT-UG: with an S3 Bucket Key, CreateTrail and UpdateTrail need kms:Decrypt",
    ),
    Break(
        "key_policy_without_cloudwatch_logs",
        "kms.tf",
        drop_statement("AllowCloudWatchLogsEncryptLogGroup"),
        (("OTG032", "logs.tf", LOG_GROUP),),
        ("AccessDeniedException", "logs.us-east-1.amazonaws.com", LOG_GROUP_ARN),
        f"kms:EncryptionContext:aws:logs:arn = {LOG_GROUP_ARN}",
    ),
]

GUARD_BREAKS = [
    Break(
        "log_group_without_deletion_protection",
        "logs.tf",
        set_attribute("deletion_protection_enabled", "true", "false"),
        (("OTG041", "logs.tf", LOG_GROUP),),
        ("any caller delete",),
        "deletion_protection_enabled = true",
    ),
    Break(
        "log_group_without_prevent_destroy",
        "logs.tf",
        drop_block("lifecycle {"),
        (("OTG041", "logs.tf", LOG_GROUP),),
        ("every event in the log group",),
        "prevent_destroy = true",
    ),
    Break(
        "key_without_prevent_destroy",
        "kms.tf",
        drop_block("lifecycle {"),
        (("OTG041", "kms.tf", KMS_KEY),),
        ("the key every log file is encrypted with",),
        "prevent_destroy = true",
    ),
    Break(
        "existing_bucket_policy_without_prevent_destroy",
        "s3.tf",
        in_block('resource "aws_s3_bucket_policy"', drop_block("lifecycle {")),
        (("OTG041", "s3.tf", BUCKET_POLICY),),
        ("the bucket's whole policy",),
        "prevent_destroy = true",
        variant="existing_bucket_replace",
    ),
    Break(
        "adopted_bucket_policy_without_prevent_destroy",
        "s3.tf",
        in_block('resource "aws_s3_bucket_policy"', drop_block("lifecycle {")),
        (("OTG041", "s3.tf", BUCKET_POLICY),),
        ("the bucket's whole policy",),
        "prevent_destroy = true",
        variant="adopted",
        why="an adopted bucket is imported, not created here: its policy carries other grants",
    ),
]

# A regeneration compared with the module already in the output folder (OTG040): the edit is
# what the new config renders, the unedited text what is on disk.
EVIDENCE_BREAKS = [
    Break(
        "key_replaced_by_a_multi_region_key",
        "kms.tf",
        replace(
            "enable_key_rotation     = true\n",
            "enable_key_rotation     = true\n  multi_region = true\n",
        ),
        (("OTG040", "kms.tf", KMS_KEY),),
        ("multi_region changes from (not set) to True", "REPLACING", "unreadable"),
        f"--allow-replace {KMS_KEY}",
        against_previous=True,
    ),
    Break(
        "bucket_replaced_for_object_lock",
        "s3.tf",
        replace("force_destroy = false\n", "force_destroy = false\n  object_lock_enabled = true\n"),
        (("OTG040", "s3.tf", "aws_s3_bucket.logs"),),
        ("object_lock_enabled changes", "every log file"),
        "--allow-replace aws_s3_bucket.logs",
        against_previous=True,
    ),
    Break(
        "log_group_moved_to_infrequent_access",
        "logs.tf",
        replace(
            "deletion_protection_enabled = true\n",
            'deletion_protection_enabled = true\n  log_group_class = "INFREQUENT_ACCESS"\n',
        ),
        (("OTG040", "logs.tf", LOG_GROUP),),
        ("log_group_class changes", "every event stored"),
        f"--allow-replace {LOG_GROUP}",
        against_previous=True,
    ),
    # OTG042: what exists keeps its retention. 0 (or unset) means never expire.
    Break(
        "log_group_retention_shortened",
        "logs.tf",
        set_attribute("retention_in_days", "365", "30"),
        (("OTG042", "logs.tf", LOG_GROUP),),
        ("from 365 days to 30 days", "PutRetentionPolicy", "older than 30 days", "if this module"),
        f"--allow-shorter-retention {LOG_GROUP}",
        against_previous=True,
    ),
    Break(
        "adopted_log_group_given_a_retention",
        "logs.tf",
        set_attribute("retention_in_days", "0", "365"),
        (("OTG042", "logs.tf", LOG_GROUP),),
        ("from never expire to 365 days", "adopt.log_group.retention_in_days", "older than 365"),
        "set adopt.log_group.retention_in_days to 365",
        variant="adopted",
        why="one finding although the output folder and adopt: both say never expire",
        against_previous=True,
    ),
    Break(
        "lifecycle_expiration_introduced",
        "s3.tf",
        replace(
            "      days_after_initiation = 7\n    }\n",
            "      days_after_initiation = 7\n    }\n\n    expiration {\n      days = 90\n    }\n",
        ),
        (("OTG042", "s3.tf", LIFECYCLE),),
        ("expiration changes from never expire to 90 days", "older than 90 days"),
        f"--allow-shorter-retention {LIFECYCLE}",
        against_previous=True,
    ),
    Break(
        "noncurrent_version_expiration_introduced",
        "s3.tf",
        replace(
            "      days_after_initiation = 7\n    }\n",
            "      days_after_initiation = 7\n    }\n\n"
            "    noncurrent_version_expiration {\n      noncurrent_days = 30\n    }\n",
        ),
        (("OTG042", "s3.tf", LIFECYCLE),),
        ("noncurrent_version_expiration changes from never expire to 30 days", "permanently"),
        "keep bucket.lifecycle.noncurrent_version_expiration_days unset",
        against_previous=True,
    ),
    Break(
        "object_lock_retention_shortened",
        "s3.tf",
        set_attribute("days", "365", "30"),
        (("OTG042", "s3.tf", OBJECT_LOCK),),
        ("from COMPLIANCE 365 days to COMPLIANCE 30 days", "after 30 days", "retain-until"),
        f"--allow-shorter-retention {OBJECT_LOCK}",
        variant="object_lock",
        against_previous=True,
    ),
    Break(
        "object_lock_weakened_to_governance",
        "s3.tf",
        replace('mode = "COMPLIANCE"', 'mode = "GOVERNANCE"'),
        (("OTG042", "s3.tf", OBJECT_LOCK),),
        ("to GOVERNANCE 365 days", "s3:BypassGovernanceRetention"),
        "keep bucket.object_lock: {mode: COMPLIANCE, days: 365}",
        variant="object_lock",
        against_previous=True,
    ),
]

LAYOUT_BREAKS = [
    Break(
        "bucket_policy_on_the_management_provider",
        "s3.tf",
        in_block('resource "aws_s3_bucket_policy"', drop_line("provider = aws.log_archive")),
        (("OTG070", "s3.tf", BUCKET_POLICY),),
        ("account 111111111111", f"log-archive account {ARCHIVE}"),
        f'allowed_account_ids = ["{ARCHIVE}"]',
        variant="log_archive",
    ),
    Break(
        "trail_on_the_management_provider",
        "cloudtrail.tf",
        drop_line("provider = aws.delegated_admin"),
        (("OTG070", "cloudtrail.tf", TRAIL),),
        (f"delegated administrator account {ADMIN}",),
        f'allowed_account_ids = ["{ADMIN}"]',
        variant="delegated_admin",
    ),
    Break(
        "log_archive_role_in_another_account",
        "providers.tf",
        replace(f"arn:aws:iam::{ARCHIVE}:role/", "arn:aws:iam::999999999999:role/"),
        (("OTG070", "providers.tf", "provider aws.log_archive"),),
        ("assume a role in that account",),
        "assume_role",
        variant="log_archive",
    ),
    Break(
        "trail_key_outside_the_bucket_account",
        "cloudtrail.tf",
        replace(f"arn:aws:kms:us-east-1:{ARCHIVE}:", f"arn:aws:kms:us-east-1:{MGMT}:"),
        (_trail("OTG071"),),
        (f"account {MGMT}", f"the bucket in {ARCHIVE}"),
        f"use a key of account {ARCHIVE}",
        variant="log_archive_existing_key",
    ),
    Break(
        "source_arn_names_the_delegated_administrator",
        "s3.tf",
        replace(TRAIL_ARN, f"arn:aws:cloudtrail:us-east-1:{ADMIN}:trail/org-trail", count=3),
        tuple(
            (rule, "s3.tf", f"{BUCKET_DOC} statement {sid}")
            for rule in ("OTG003", "OTG072")
            for sid in (ACL_SID, MGMT_WRITE_SID, ORG_WRITE_SID)
        ),
        (f"administrator {ADMIN} as its owner",),
        f"management account {MGMT}",
        variant="delegated_admin",
        why="OTG003 sees a SourceArn that is not the trail's; OTG072 says which mistake it is",
        message_rules=("OTG072",),
    ),
]


def _import(rule: str, target: str) -> tuple[str, str, str]:
    return (rule, "imports.tf", f"import {target}")


# Import blocks of the "adopted" variant: an id in the wrong format, a target the module lacks,
# an id naming another object than the config (which the plan would import, then replace).
IMPORT_BREAKS = [
    Break(
        "key_imported_by_arn",
        "imports.tf",
        replace(f'id = "{KEY_ID}"', f'id = "{KEY_ARN}"', count=1),
        (_import("OTG060", KMS_KEY),),
        (KEY_ARN, "aws_kms_key's import format"),
        "the key id",
        variant="adopted",
    ),
    Break(
        "trail_imported_by_name",
        "imports.tf",
        replace(f'id = "{TRAIL_ARN}"', 'id = "org-trail"', count=1),
        (_import("OTG060", TRAIL), _import("OTG062", TRAIL)),
        ("org-trail",),
        TRAIL_ARN,
        variant="adopted",
        why="a name is neither in the ARN format nor this trail's ARN",
    ),
    Break(
        "role_policy_imported_without_its_role",
        "imports.tf",
        replace(f'id = "{DELIVERY_ROLE}:{CONSOLE_ROLE_POLICY}"', f'id = "{CONSOLE_ROLE_POLICY}"'),
        (_import("OTG060", ROLE_POLICY), _import("OTG062", ROLE_POLICY)),
        (CONSOLE_ROLE_POLICY,),
        f"{DELIVERY_ROLE}:{CONSOLE_ROLE_POLICY}",
        variant="adopted",
        why="without '<role>:' the id has neither the format nor the configured role",
    ),
    Break(
        "import_into_a_resource_the_module_lacks",
        "imports.tf",
        replace(f"to = {LOG_GROUP}", "to = aws_cloudwatch_log_group.central", count=1),
        (_import("OTG061", "aws_cloudwatch_log_group.central"),),
        ("Configuration for import target does not exist",),
        "remove the import block",
        variant="adopted",
    ),
    Break(
        "another_log_group_imported",
        "imports.tf",
        replace('id = "/aws/cloudtrail/org"', 'id = "/aws/cloudtrail/old"', count=1),
        (_import("OTG062", LOG_GROUP),),
        ("/aws/cloudtrail/old", "REPLACE"),
        "id = '/aws/cloudtrail/org'",
        variant="adopted",
    ),
    Break(
        "member_accounts_trail_imported",
        "imports.tf",
        replace(f'id = "{TRAIL_ARN}"', f'id = "{TRAIL_ARN.replace(MGMT, MEMBER)}"', count=1),
        (_import("OTG062", TRAIL),),
        (MEMBER, "REPLACE"),
        TRAIL_ARN,
        variant="adopted",
    ),
    Break(
        "adopted_bucket_turns_to_sse_kms_before_the_trail_uses_the_key",
        "s3.tf",
        replace(f"  depends_on = [{TRAIL}]\n", "", count=1),
        (("OTG063", "s3.tf", "aws_s3_bucket_server_side_encryption_configuration.logs"),),
        ("encryption context", "deliveries fail"),
        f"depends_on = [{TRAIL}]",
        variant="adopted",
    ),
]

_ROOT_ALARM_BLOCK = f'resource "aws_cloudwatch_metric_alarm" "{ROOT_ALARM.split(".")[1]}"'
_ROOT_FILTER_BLOCK = f'resource "aws_cloudwatch_log_metric_filter" "{ROOT_FILTER.split(".")[1]}"'
_SILENT = "every notification"


def _monitoring(rule: str, address: str, file: str = "monitoring.tf") -> tuple[str, str, str]:
    return (rule, file, address)


MONITORING_BREAKS = [
    Break(
        "filter_without_alarm",
        "monitoring.tf",
        drop_block(_ROOT_ALARM_BLOCK),
        (_monitoring("OTG050", ROOT_FILTER),),
        ("no alarm watches its metric CISBenchmark/RootAccountUsage",),
        'metric_name = "RootAccountUsage"',
    ),
    Break(
        "alarm_without_action",
        "monitoring.tf",
        in_block(_ROOT_ALARM_BLOCK, set_attribute("alarm_actions", f"[{ALARM_TOPIC}.arn]", "[]")),
        (_monitoring("OTG051", ROOT_ALARM),),
        ("CloudWatch.15", "CloudWatch.17"),
        "alarm_actions",
    ),
    Break(
        "alarm_actions_disabled",
        "monitoring.tf",
        in_block(_ROOT_ALARM_BLOCK, set_attribute("actions_enabled", "true", "false")),
        (_monitoring("OTG051", ROOT_ALARM),),
        ("fires silently",),
        "actions_enabled = true",
    ),
    Break(
        "alarm_on_another_metric_name",
        "monitoring.tf",
        in_block(
            _ROOT_ALARM_BLOCK,
            set_attribute("metric_name", '"RootAccountUsage"', '"RootAccountUse"'),
        ),
        (_monitoring("OTG050", ROOT_FILTER), _monitoring("OTG052", ROOT_ALARM)),
        ("CISBenchmark/RootAccountUse",),
        "metric",
        why="the filter loses its alarm (OTG050) and the alarm watches nothing (OTG052)",
        message_rules=("OTG052",),
    ),
    Break(
        "alarm_in_another_namespace",
        "monitoring.tf",
        in_block(_ROOT_ALARM_BLOCK, set_attribute("namespace", '"CISBenchmark"', '"CIS"')),
        (_monitoring("OTG050", ROOT_FILTER), _monitoring("OTG052", ROOT_ALARM)),
        ("CIS/RootAccountUsage", "never fires"),
        "namespace",
        why="the filter loses its alarm (OTG050) and the alarm watches nothing (OTG052)",
        message_rules=("OTG052",),
    ),
    Break(
        "filter_on_another_log_group",
        "monitoring.tf",
        in_block(
            _ROOT_FILTER_BLOCK,
            set_attribute("log_group_name", f"{LOG_GROUP}.name", '"/aws/other-group"'),
        ),
        (_monitoring("OTG053", ROOT_FILTER),),
        ("never fires",),
        f"log_group_name = {LOG_GROUP}.name",
    ),
    Break(
        "saved_query_on_another_log_group",
        "queries.tf",
        in_block(
            'resource "aws_cloudwatch_query_definition" "root_activity"',
            replace(f"[{LOG_GROUP}.name]", '["/aws/other-group"]'),
        ),
        (
            _monitoring(
                "OTG053", "aws_cloudwatch_query_definition.root_activity", file="queries.tf"
            ),
        ),
        ("does not search",),
        f"log_group_names = [{LOG_GROUP}.name]",
    ),
    Break(
        "filter_pattern_invalid",
        "monitoring.tf",
        in_block(
            _ROOT_FILTER_BLOCK,
            lambda text: re.sub(
                r'pattern\s*=\s*".*"', 'pattern = "{ $.userIdentity.type = Root }}"', text
            ),
        ),
        (_monitoring("OTG054", ROOT_FILTER),),
        ("column 31", "InvalidParameterException"),
        "1024 characters",
    ),
    Break(
        "filter_pattern_too_long",
        "monitoring.tf",
        in_block(
            _ROOT_FILTER_BLOCK,
            lambda text: re.sub(
                r'pattern\s*=\s*".*"',
                'pattern = "{' + " || ".join(["($.eventName = CreateVpc)"] * 40) + '}"',
                text,
            ),
        ),
        (_monitoring("OTG054", ROOT_FILTER),),
        ("at most 1024",),
        "1024 characters",
    ),
    Break(
        "topic_policy_without_cloudwatch",
        "notifications.tf",
        drop_statement("AllowCloudWatchAlarmsPublish"),
        (_monitoring("OTG055", ALARM_TOPIC, file="notifications.tf"),),
        ("sns:Publish", _SILENT),
        "cloudwatch.amazonaws.com sns:Publish",
    ),
    Break(
        "topic_key_without_cloudwatch",
        "notifications.tf",
        drop_statement("AllowCloudWatchAlarmsUseKey"),
        (_monitoring("OTG055", ALARM_TOPIC, file="notifications.tf"),),
        ("kms:Decrypt, kms:GenerateDataKey", "AccessDeniedException"),
        "kms:GenerateDataKey*",
    ),
    Break(
        "topic_with_aws_managed_key",
        "notifications.tf",
        set_attribute("kms_master_key_id", "aws_kms_key.alarms.arn", '"alias/aws/sns"'),
        (_monitoring("OTG055", ALARM_TOPIC, file="notifications.tf"),),
        ("alias/aws/sns", "AccessDeniedException"),
        "customer-managed key",
    ),
    Break(
        "topic_grants_for_alarms_of_another_region",
        "notifications.tf",
        replace(ALARMS_OF_THE_ACCOUNT, f"arn:aws:cloudwatch:eu-west-1:{MGMT}:alarm:*", count=2),
        (
            _monitoring("OTG055", ALARM_TOPIC, file="notifications.tf"),
            _monitoring("OTG055", ALARM_TOPIC, file="notifications.tf"),
        ),
        (_SILENT,),
        "cloudwatch.amazonaws.com",
        why="one finding for the topic policy, one for the key policy",
    ),
]

_EVERY_SELECTOR = re.compile(r"\n  advanced_event_selector \{.*?\n  \}\n", re.S)


def _drop_every_selector(text: str) -> str:
    result, found = _EVERY_SELECTOR.subn("\n", text)
    assert found == 3, f"{found} selectors"
    return result


EVENT_BREAKS = [
    Break(
        "all_buckets_selector_no_longer_excludes_the_log_bucket",
        "cloudtrail.tf",
        replace(f'not_starts_with = ["{LOG_BUCKET_OBJECTS}"]', 'not_starts_with = ["x"]'),
        (_trail("OTG080"),),
        ("AWS::S3::Object data events", "records S3 data events of example-org-cloudtrail-logs"),
        f'not_starts_with = ["{LOG_BUCKET_OBJECTS}"]',
        variant="events",
    ),
    Break(
        "listed_buckets_selector_lists_the_log_bucket",
        "cloudtrail.tf",
        replace('"arn:aws:s3:::workload-data/"', '"arn:aws:s3:::example-org-"'),
        (_trail("OTG080"),),
        ("example-org-cloudtrail-logs/AWSLogs/o-a1b2c3d4e5/", "for ever"),
        "list the buckets to record",
        variant="events",
    ),
    Break(
        "basic_selector_records_every_bucket",
        "cloudtrail.tf",
        replace(
            "  enable_logging                = true\n",
            "  enable_logging                = true\n  event_selector {\n    data_resource {\n"
            '      type = "AWS::S3::Object"\n      values = ["arn:aws:s3"]\n    }\n  }\n',
        ),
        (_trail("OTG080"),),
        ("'event_selector 1' records S3 data events",),
        "not_starts_with",
    ),
    Break(
        "regeneration_drops_every_selector",
        "cloudtrail.tf",
        _drop_every_selector,
        (_trail("OTG081"),),
        ("empty selector list",),
        "management: {read_write: all}",
        variant="events",
        against_previous=True,
    ),
]

# The Athena table's template as rendered: hcl_string writes each "${account}" as Terraform's own
# escape, "$${account}".
TABLE = "aws_glue_catalog_table.cloudtrail"
_ROW_LOSS = "zero rows"


def _table(rule: str = "OTG082") -> tuple[str, str, str]:
    return (rule, "athena.tf", TABLE)


ATHENA_BREAKS = [
    Break(
        "athena_enum_with_a_space",
        "athena.tf",
        replace(f'"{MGMT},{MEMBER}"', f'"{MGMT}, {MEMBER}"', count=1),
        (_table(),),
        ("projection.account.values", f"' {MEMBER}'", "white space", _ROW_LOSS),
        "without spaces",
        variant="athena_enum_prefix",
    ),
    Break(
        "athena_template_with_a_double_slash",
        "athena.tf",
        replace("/CloudTrail/$${region}", "/CloudTrail//$${region}", count=1),
        (_table(),),
        ("'//'", _ROW_LOSS),
        "doubled '/'",
        variant="athena",
    ),
    Break(
        "athena_template_missing_a_slash",
        "athena.tf",
        replace("$${region}/$${day}", "$${region}$${day}", count=1),
        (_table(),),
        (
            "the template resolves to s3://example-org-cloudtrail-logs/AWSLogs/o-a1b2c3d4e5/"
            f"{MGMT}/CloudTrail/us-east-12026/01/01",
            f"writes it in s3://example-org-cloudtrail-logs/AWSLogs/o-a1b2c3d4e5/{MGMT}/"
            "CloudTrail/us-east-1/2026/01/01",
            _ROW_LOSS,
        ),
        "/CloudTrail/${region}/${day}",
        variant="athena",
    ),
    Break(
        "athena_template_without_the_key_prefix",
        "athena.tf",
        replace(
            f"s3://example-org-cloudtrail-logs/{PREFIX}/AWSLogs/{ORG_ID}/$${{account}}",
            f"s3://example-org-cloudtrail-logs/AWSLogs/{ORG_ID}/$${{account}}",
            count=1,
        ),
        (_table(),),
        (f"trail writes it in s3://example-org-cloudtrail-logs/{PREFIX}/AWSLogs/", _ROW_LOSS),
        f"s3://example-org-cloudtrail-logs/{PREFIX}/AWSLogs/{ORG_ID}/",
        variant="athena_enum_prefix",
    ),
    Break(
        "athena_template_without_the_cloudtrail_segment",
        "athena.tf",
        replace("$${account}/CloudTrail/", "$${account}/", count=1),
        (_table(),),
        ("'/CloudTrail/'", "CloudTrail-Digest/"),
        "/CloudTrail/${region}/${day}",
        variant="athena",
    ),
    Break(
        "athena_enum_without_a_trail_region",
        "athena.tf",
        replace(",eu-west-1,", ",", count=1),
        (_table(),),
        ("no value for 'eu-west-1'", "/CloudTrail/eu-west-1/", _ROW_LOSS),
        "add eu-west-1 to projection.region.values",
        variant="athena",
    ),
    Break(
        "athena_table_on_the_management_provider",
        "athena.tf",
        in_block('resource "aws_glue_catalog_table"', drop_line("provider = aws.log_archive")),
        (_table("OTG070"),),
        (f"log-archive account {ARCHIVE}",),
        f'allowed_account_ids = ["{ARCHIVE}"]',
        variant="athena_log_archive",
    ),
    Break(
        "athena_workgroup_renamed",
        "athena.tf",
        replace('"org-trail-investigations"', '"org-trail-renamed"', count=1),
        (("OTG083", "athena.tf", "aws_athena_workgroup.cloudtrail"),),
        (
            "changes from org-trail-investigations to org-trail-renamed",
            "refuses DeleteWorkGroup",
            "query history",
            "stops halfway",
        ),
        "`workgroup: org-trail-investigations`",
        variant="athena",
        against_previous=True,
    ),
]


def _consumer(rule: str, address: str) -> tuple[str, str, str]:
    return (rule, "consumers.tf", address)


_REDRIVE = re.compile(r"\n  redrive_policy = jsonencode\(\{.*?\n  \}\)", re.S)


def _drop_redrive(text: str) -> str:
    result, found = _REDRIVE.subn("", text)
    assert found == 1, f"{found} redrive policies"
    return result


_SECOND_NOTIFICATION = """
resource "aws_s3_bucket_notification" "another_tool" {
  bucket      = aws_s3_bucket.logs.id
  eventbridge = true

  lifecycle {
    prevent_destroy = true
  }
}
"""
_REFUSED = "Unable to validate the following destination configurations"
_DROPPED = "SNS drops every delivery"

CONSUMER_BREAKS = [
    Break(
        "topic_policy_without_s3",
        "consumers.tf",
        drop_statement("AllowS3PublishLogFileEvents"),
        (_consumer("OTG100", TOPIC),),
        ("s3.amazonaws.com sns:Publish", "arn:aws:s3:::example-org-cloudtrail-logs", _REFUSED),
        "aws:SourceArn = the bucket's ARN",
        variant="consumers",
    ),
    Break(
        "topic_key_without_s3",
        "consumers.tf",
        drop_statement("AllowS3EncryptLogFileEvents"),
        (_consumer("OTG100", TOPIC),),
        ("s3.amazonaws.com kms:GenerateDataKey, kms:Decrypt", "S3 refuses the notification"),
        "kms:GenerateDataKey* and kms:Decrypt",
        variant="consumers",
    ),
    Break(
        "log_file_topic_with_aws_managed_key",
        "consumers.tf",
        in_block(
            'resource "aws_sns_topic" "log_files"',
            set_attribute("kms_master_key_id", "aws_kms_key.log_consumers.arn", '"alias/aws/sns"'),
        ),
        (_consumer("OTG100", TOPIC),),
        ("alias/aws/sns",),
        "customer-managed key",
        variant="consumers",
    ),
    Break(
        "notification_before_the_topic_policy",
        "consumers.tf",
        drop_line("    aws_sns_topic_policy.log_files,"),
        (_consumer("OTG100", TOPIC),),
        ("does not depend on the topic's policy", "S3 refuses it"),
        "depends_on = [aws_sns_topic_policy.log_files]",
        variant="consumers",
    ),
    Break(
        "queue_policy_without_the_topic",
        "consumers.tf",
        in_block(
            'data "aws_iam_policy_document" "consumer_splunk_queue"',
            drop_statement("AllowLogFileTopicSend"),
        ),
        (_consumer("OTG101", SPLUNK_QUEUE),),
        (
            "sns.amazonaws.com sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111111111111:org-trail-splunk",
            _DROPPED,
        ),
        "aws:SourceArn = the topic's ARN",
        variant="consumers",
    ),
    Break(
        "queue_policy_for_another_topic",
        "consumers.tf",
        in_block(
            'data "aws_iam_policy_document" "consumer_elastic_queue"',
            replace(":org-trail-log-files", ":some-other-topic", count=1),
        ),
        (_consumer("OTG101", ELASTIC_QUEUE),),
        ("from arn:aws:sns:us-east-1:111111111111:org-trail-log-files", _DROPPED),
        "sqs:SendMessage",
        variant="consumers",
    ),
    Break(
        "queue_key_without_sns",
        "consumers.tf",
        drop_statement("AllowSnsEncryptConsumerQueues"),
        (_consumer("OTG101", ELASTIC_QUEUE), _consumer("OTG101", SPLUNK_QUEUE)),
        ("sns.amazonaws.com kms:GenerateDataKey, kms:Decrypt", _DROPPED),
        "kms:GenerateDataKey* and kms:Decrypt",
        variant="consumers",
        why="one key encrypts every consumer's queue",
    ),
    Break(
        "notification_filter_without_the_key_prefix",
        "consumers.tf",
        replace(f'"{PREFIX}/AWSLogs/{ORG_ID}/"', f'"AWSLogs/{ORG_ID}/"', count=1),
        (_consumer("OTG102", NOTIFICATION),),
        (f"prefix 'AWSLogs/{ORG_ID}/'", f"writes under '{PREFIX}/AWSLogs/{ORG_ID}/'"),
        f'filter_prefix = "{PREFIX}/AWSLogs/{ORG_ID}/"',
        variant="consumers_log_archive",
    ),
    Break(
        "a_second_notification_of_the_bucket",
        "consumers.tf",
        lambda text: text + _SECOND_NOTIFICATION,
        (_consumer("OTG102", "aws_s3_bucket_notification.another_tool"),),
        ("also writes bucket example-org-cloudtrail-logs's notification", "perpetual diff"),
        "add a consumer to consumers:",
        variant="consumers",
    ),
    Break(
        "notification_without_prevent_destroy",
        "consumers.tf",
        in_block('resource "aws_s3_bucket_notification" "logs"', drop_block("lifecycle {")),
        (_consumer("OTG041", NOTIFICATION),),
        ("the bucket's whole notification configuration",),
        "prevent_destroy = true",
        variant="consumers",
    ),
    Break(
        "queue_without_a_dead_letter_queue",
        "consumers.tf",
        in_block('resource "aws_sqs_queue" "consumer_splunk" {', _drop_redrive),
        (_consumer("OTG103", SPLUNK_QUEUE),),
        ("no redrive_policy", "never read"),
        "deadLetterTargetArn",
        variant="consumers",
    ),
    Break(
        "dead_letter_queue_keeps_four_days",
        "consumers.tf",
        in_block(
            'resource "aws_sqs_queue" "consumer_elastic_dlq"',
            set_attribute("message_retention_seconds", "1209600", "345600"),
        ),
        (_consumer("OTG103", f"{ELASTIC_QUEUE}_dlq"),),
        ("aws_sqs_queue.consumer_elastic_dlq keeps messages less than 14 days",),
        "message_retention_seconds = 1209600",
        variant="consumers",
    ),
    Break(
        "consumer_missing_from_the_bucket_readers",
        "s3.tf",
        drop_list_item(ELASTIC_ROLE, 1),
        (_consumer("OTG104", ELASTIC_QUEUE),),
        (ELASTIC_ROLE, "s3:GetObject on the trail's objects", "dead-letter queue"),
        "list it as a reader",
        variant="consumers",
    ),
    Break(
        "consumer_missing_from_the_trail_key_readers",
        "kms.tf",
        drop_list_item(SPLUNK_ROLE, 1),
        (_consumer("OTG104", SPLUNK_QUEUE),),
        (SPLUNK_ROLE, "kms:Decrypt of the log files"),
        "list it as a reader",
        variant="consumers",
    ),
    Break(
        "consumer_topic_on_the_management_provider",
        "consumers.tf",
        in_block('resource "aws_sns_topic" "log_files"', drop_line("provider = aws.log_archive")),
        (
            _consumer("OTG070", TOPIC),
            _consumer("OTG100", TOPIC),
            _consumer("OTG101", ELASTIC_QUEUE),
            _consumer("OTG101", ELASTIC_QUEUE),
            _consumer("OTG101", SPLUNK_QUEUE),
            _consumer("OTG101", SPLUNK_QUEUE),
        ),
        (f"log-archive account {ARCHIVE}",),
        f'allowed_account_ids = ["{ARCHIVE}"]',
        variant="consumers_log_archive",
        why="a topic created in the management account has another ARN: the topic policy, "
        "the queues' policies and their key, all pinned to the log-archive topic, admit it "
        "nowhere (one finding for each queue's policy and one for its key)",
        message_rules=("OTG070",),
    ),
]

_CT_ROOT_FILTER = 'resource "aws_cloudwatch_log_metric_filter" "root_account_usage"'
_TAKES_OVER = "remove the resource"

# Beside Control Tower's trail (owner_trail): any resource or import on what it owns is refused.
OWNER_BREAKS = [
    Break(
        "versioning_of_the_owners_bucket",
        "s3.tf",
        append(
            'resource "aws_s3_bucket_versioning" "control_tower" {\n'
            "  provider = aws.log_archive\n"
            f'  bucket   = "{CT_BUCKET}"\n\n'
            "  versioning_configuration {\n"
            '    status = "Enabled"\n'
            "  }\n"
            "}\n"
        ),
        (("OTG110", "s3.tf", "aws_s3_bucket_versioning.control_tower"),),
        (f"the bucket {CT_BUCKET}", CT_OWNS),
        _TAKES_OVER,
        variant="control_tower",
    ),
    Break(
        "import_of_the_owners_trail",
        "cloudtrail.tf",
        append(f'import {{\n  to = {TRAIL}\n  id = "{CT_TRAIL_ARN}"\n}}\n'),
        (("OTG062", "cloudtrail.tf", f"import {TRAIL}"), ("OTG110", "cloudtrail.tf", "import")),
        (f"the trail {CT_TRAIL_ARN} (import into {TRAIL})", CT_OWNS),
        "remove the import block",
        variant="control_tower",
        why="the owner's trail is not the trail this module creates (org-data-events): "
        "imported, Terraform would rename it in place or replace it",
        message_rules=("OTG110",),
    ),
    Break(
        "log_group_of_the_owners_trail",
        "monitoring.tf",
        append(
            'resource "aws_cloudwatch_log_group" "control_tower" {\n'
            f'  name                        = "{CT_GROUP}"\n'
            "  retention_in_days           = 365\n"
            "  deletion_protection_enabled = true\n\n"
            "  lifecycle {\n"
            "    prevent_destroy = true\n"
            "  }\n"
            "}\n"
        ),
        (("OTG110", "monitoring.tf", "aws_cloudwatch_log_group.control_tower"),),
        (f"the log group {CT_GROUP}", CT_OWNS),
        _TAKES_OVER,
        variant="control_tower",
    ),
    *(
        Break(
            f"alias_on_the_owners_key_by_{form}",
            "kms.tf",
            append(
                'resource "aws_kms_alias" "control_tower" {\n'
                '  name          = "alias/control-tower-trail"\n'
                f'  target_key_id = "{key}"\n'
                "}\n"
            ),
            (("OTG110", "kms.tf", "aws_kms_alias.control_tower"),),
            (f"the key {key}", CT_OWNS),
            _TAKES_OVER,
            variant="control_tower",
        )
        for form, key in (("arn", CT_KEY_ARN), ("id", CT_KEY_ID))
    ),
    Break(
        "trusted_access_the_owners_trail_depends_on",
        "organizations.tf",
        append(
            'resource "aws_organizations_aws_service_access" "cloudtrail" {\n'
            '  service_principal = "cloudtrail.amazonaws.com"\n'
            "}\n"
        ),
        (
            ("OTG015", "cloudtrail.tf", TRAIL),
            ("OTG110", "organizations.tf", TRUSTED_ACCESS),
        ),
        ("CloudTrail's trusted access", "AWS Control Tower's organization trail depends"),
        _TAKES_OVER,
        variant="control_tower",
        why="a trusted access this module manages is one its data-event trail must wait for",
        message_rules=("OTG110",),
    ),
    Break(
        # the name before landing zone 4.0, without the suffix: no event reaches the filter
        "filter_on_the_owners_group_name_guessed",
        "monitoring.tf",
        in_block(
            _CT_ROOT_FILTER,
            set_attribute("log_group_name", f'"{CT_GROUP}"', f'"{CT_GROUP_BEFORE_4_0}"'),
        ),
        (_monitoring("OTG053", ROOT_FILTER),),
        ("never fires",),
        f'log_group_name = "{CT_GROUP}" (owner_trail.log_group_arn)',
        variant="control_tower",
    ),
    Break(
        "saved_query_on_the_owners_group_name_guessed",
        "queries.tf",
        in_block(
            'resource "aws_cloudwatch_query_definition" "root_activity"',
            replace(f'["{CT_GROUP}"]', f'["{CT_GROUP_BEFORE_4_0}"]'),
        ),
        (
            _monitoring(
                "OTG053", "aws_cloudwatch_query_definition.root_activity", file="queries.tf"
            ),
        ),
        ("does not search",),
        f'log_group_names = ["{CT_GROUP}" (owner_trail.log_group_arn)]',
        variant="control_tower",
    ),
]

BREAKS = (
    BUCKET_BREAKS
    + TRAIL_BREAKS
    + ORGANIZATION_BREAKS
    + KMS_BREAKS
    + EVIDENCE_BREAKS
    + GUARD_BREAKS
    + LAYOUT_BREAKS
    + IMPORT_BREAKS
    + MONITORING_BREAKS
    + EVENT_BREAKS
    + ATHENA_BREAKS
    + CONSUMER_BREAKS
    + OWNER_BREAKS
)

# --- consumers fed by EventBridge (feed: eventbridge) ------------------------------------------

ELASTIC_RULE = "aws_cloudwatch_event_rule.consumer_elastic"
ELASTIC_TARGET = "aws_cloudwatch_event_target.consumer_elastic"
ELASTIC_DLQ = f"{ELASTIC_QUEUE}_dlq"
ELASTIC_RULE_ARN = f"arn:aws:events:us-east-1:{MGMT}:rule/org-trail-elastic"
_LOG_WILDCARD = f'"AWSLogs/{ORG_ID}/*/CloudTrail/*.json.gz"'


def _fed_by_rule(consumer: dict[str, Any]) -> None:
    """Elastic on EventBridge (raw_message_delivery is a topic's setting, refused there)."""
    consumer.pop("raw_message_delivery", None)
    consumer["feed"] = "eventbridge"


def _consumers_eventbridge(data: dict[str, Any]) -> None:
    _consumers(data)
    _fed_by_rule(data["consumers"][1])


def _consumers_eventbridge_log_archive(data: dict[str, Any]) -> None:
    _consumers_log_archive(data)
    _fed_by_rule(data["consumers"][1])


VARIANTS["consumers_eventbridge"] = _consumers_eventbridge
VARIANTS["consumers_eventbridge_log_archive"] = _consumers_eventbridge_log_archive

EVENTBRIDGE_BREAKS = [
    Break(
        "consumer_rule_without_eventbridge_on_the_bucket",
        "consumers.tf",
        drop_line("  eventbridge = true"),
        (_consumer("OTG102", ELASTIC_RULE),),
        ("eventbridge = true", "the rule never fires"),
        "eventbridge = true in the bucket's aws_s3_bucket_notification",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_rule_with_two_wildcards_in_a_row",
        "consumers.tf",
        replace(_LOG_WILDCARD, f'"AWSLogs/{ORG_ID}/**/CloudTrail/*.json.gz"', count=1),
        (_consumer("OTG102", ELASTIC_RULE),),
        ("PutRule refuses the event pattern", "two wildcard characters in a row"),
        "wildcards on detail.object.key",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_rule_on_another_prefix",
        "consumers.tf",
        replace(_LOG_WILDCARD, f'"cloudtrail/AWSLogs/{ORG_ID}/*/CloudTrail/*.json.gz"', count=1),
        (_consumer("OTG102", ELASTIC_RULE),),
        ("matches no log file of the trail", "told of nothing"),
        f"wildcard under AWSLogs/{ORG_ID}/",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_rule_on_every_s3_event",
        "consumers.tf",
        drop_line('detail-type = ["Object Created"]'),
        (_consumer("OTG102", ELASTIC_RULE),),
        ("an Object Deleted event", "dead-letter queue"),
        'detail-type ["Object Created"]',
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_queue_policy_without_the_rule",
        "consumers.tf",
        drop_statement("AllowLogFileRuleSend"),
        (_consumer("OTG101", ELASTIC_QUEUE),),
        (
            "events.amazonaws.com sqs:SendMessage",
            f"from {ELASTIC_RULE_ARN}",
            "no event reaches the queue",
        ),
        "aws:SourceArn = the rule's ARN",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_queue_key_pinned_to_a_source_arn",
        "consumers.tf",
        replace(
            'variable = "kms:EncryptionContext:aws:sqs:arn"', 'variable = "aws:SourceArn"', count=1
        ),
        (_consumer("OTG101", ELASTIC_QUEUE), _consumer("OTG103", ELASTIC_DLQ)),
        ("events.amazonaws.com kms:GenerateDataKey, kms:Decrypt", "carry neither"),
        "pinned with kms:EncryptionContext:aws:sqs:arn",
        variant="consumers_eventbridge",
        why="one key statement admits EventBridge to the queue and to its dead-letter queue",
    ),
    Break(
        "consumer_rule_target_with_a_role",
        "consumers.tf",
        set_attribute(
            "target_id",
            '"orgtrail-gen-log-files"',
            f'"orgtrail-gen-log-files"\n  role_arn = "arn:aws:iam::{MGMT}:role/EventsToSqs"',
        ),
        (_consumer("OTG101", ELASTIC_TARGET),),
        ("names a role", "encrypted queue fails"),
        "remove role_arn",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_rule_target_without_a_dead_letter_queue",
        "consumers.tf",
        in_block(
            'resource "aws_cloudwatch_event_target" "consumer_elastic"',
            drop_block("dead_letter_config {"),
        ),
        (_consumer("OTG103", ELASTIC_TARGET),),
        ("no dead_letter_config", "dropped"),
        "dead_letter_config",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_rule_target_without_a_retry_policy",
        "consumers.tf",
        in_block(
            'resource "aws_cloudwatch_event_target" "consumer_elastic"',
            drop_block("retry_policy {"),
        ),
        (_consumer("OTG103", ELASTIC_TARGET),),
        ("no retry_policy",),
        "maximum_event_age_in_seconds = 86400",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_dead_letter_queue_without_the_rule",
        "consumers.tf",
        drop_statement("AllowLogFileRuleDeadLetters"),
        (_consumer("OTG103", ELASTIC_DLQ),),
        (f"from {ELASTIC_RULE_ARN}", "dropped, not kept"),
        "aws:SourceArn = the rule's ARN",
        variant="consumers_eventbridge",
    ),
    Break(
        "consumer_rule_on_the_management_provider",
        "consumers.tf",
        in_block(
            'resource "aws_cloudwatch_event_rule" "consumer_elastic"',
            drop_line("provider = aws.log_archive"),
        ),
        (
            _consumer("OTG070", ELASTIC_RULE),
            _consumer("OTG101", ELASTIC_QUEUE),
            _consumer("OTG101", ELASTIC_RULE),
            _consumer("OTG103", ELASTIC_DLQ),
        ),
        (f"log-archive account {ARCHIVE}",),
        f'allowed_account_ids = ["{ARCHIVE}"]',
        variant="consumers_eventbridge_log_archive",
        why="a rule created in the management account is not in its queue's account, and has "
        "another ARN: the queue's and the dead-letter queue's policies, pinned to the "
        "log-archive rule, admit it nowhere",
        message_rules=("OTG070",),
    ),
]

BREAKS = BREAKS + EVENTBRIDGE_BREAKS


# --- a consumer that is a Lambda function (the Datadog Forwarder) -----------------------------
FORWARDER = f"arn:aws:lambda:us-east-1:{MGMT}:function:DatadogForwarder"
SIEM_FORWARDER = f"arn:aws:lambda:us-east-1:{SIEM}:function:DatadogForwarder"
DATADOG_SUBSCRIPTION = "aws_sns_topic_subscription.consumer_datadog"
DATADOG_PERMISSION = "aws_lambda_permission.consumer_datadog"
TOPIC_DOC = "data.aws_iam_policy_document.log_files_topic"


def _consumers_lambda(data: dict[str, Any]) -> None:
    _consumers(data)
    data["consumers"].append(
        {
            "name": "datadog",
            "roles": [f"arn:aws:iam::{MGMT}:role/DatadogForwarderRole"],
            "lambda_function_arn": FORWARDER,
        }
    )


def _consumers_lambda_elsewhere(data: dict[str, Any]) -> None:
    _consumers(data)
    data["consumers"].append(
        {
            "name": "datadog",
            "roles": [f"arn:aws:iam::{SIEM}:role/DatadogForwarderRole"],
            "lambda_function_arn": SIEM_FORWARDER,
        }
    )


VARIANTS["consumers_lambda"] = _consumers_lambda
VARIANTS["consumers_lambda_elsewhere"] = _consumers_lambda_elsewhere
_NOT_INVOKED = "SNS invokes nothing"

LAMBDA_BREAKS = [
    Break(
        "function_permission_for_another_principal",
        "consumers.tf",
        in_block(
            'resource "aws_lambda_permission" "consumer_datadog"',
            replace('"sns.amazonaws.com"', '"s3.amazonaws.com"', count=1),
        ),
        (_consumer("OTG101", DATADOG_SUBSCRIPTION),),
        ("no aws_lambda_permission", f"lambda:InvokeFunction {FORWARDER}", _NOT_INVOKED),
        "principal sns.amazonaws.com and source_arn = aws_sns_topic.log_files.arn",
        variant="consumers_lambda",
    ),
    Break(
        "function_permission_without_the_topic",
        "consumers.tf",
        in_block(
            'resource "aws_lambda_permission" "consumer_datadog"',
            drop_line("source_arn"),
        ),
        (_consumer("OTG101", DATADOG_PERMISSION),),
        ("any topic of any account (no source_arn)",),
        "source_arn = aws_sns_topic.log_files.arn",
        variant="consumers_lambda",
    ),
    Break(
        "function_subscription_to_a_queue_arn",
        "consumers.tf",
        in_block(
            'resource "aws_sns_topic_subscription" "consumer_datadog"',
            replace(f'"{FORWARDER}"', f'"arn:aws:sqs:us-east-1:{MGMT}:q"', count=1),
        ),
        (_consumer("OTG101", DATADOG_SUBSCRIPTION),),
        ("is not a Lambda function ARN", "SNS refuses the subscription"),
        "function:<name>",
        variant="consumers_lambda",
    ),
    Break(
        "function_subscription_with_raw_delivery",
        "consumers.tf",
        in_block(
            'resource "aws_sns_topic_subscription" "consumer_datadog"',
            replace(
                'protocol            = "lambda"',
                'protocol = "lambda"\n  raw_message_delivery = true',
                count=1,
            ),
        ),
        (_consumer("OTG101", DATADOG_SUBSCRIPTION),),
        ("raw_message_delivery = true on a lambda subscription", "SNS refuses it"),
        "remove raw_message_delivery",
        variant="consumers_lambda",
    ),
    Break(
        "function_subscribe_grant_without_its_endpoint",
        "consumers.tf",
        drop_condition("AllowConsumerDatadogSubscribe", "sns:Endpoint"),
        (_consumer("OTG101", f"{TOPIC_DOC} statement AllowConsumerDatadogSubscribe"),),
        (f"arn:aws:iam::{SIEM}:root sns:Subscribe without pinning", "every log file"),
        "sns:Endpoint = the function's ARN",
        variant="consumers_lambda_elsewhere",
    ),
]

BREAKS = BREAKS + LAMBDA_BREAKS
