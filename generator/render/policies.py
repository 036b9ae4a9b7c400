"""Every IAM, bucket and key policy, built once as Python data.

Why: these policies are what CreateTrail checks, so they are the single source of truth. The
templates only print them (as ``data "aws_iam_policy_document"`` blocks, which checkov can
evaluate and reviewers can read), and the tests lint the very same data with parliament.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from generator.core.arns import Arns
from generator.core.constants import CLOUDTRAIL_PRINCIPAL, CLOUDWATCH_PRINCIPAL, sid_stem
from generator.render.hcl import Ref


class Condition(NamedTuple):
    """One ``condition`` block: test, variable, values."""

    test: str
    variable: str
    values: tuple[str, ...]


class Principals(NamedTuple):
    """One ``principals`` block."""

    type: str
    identifiers: tuple[str, ...]


class Statement(NamedTuple):
    """One policy statement; Sids are stable so that reviews and verify can name them."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[Principals, ...] = ()
    conditions: tuple[Condition, ...] = ()
    effect: str = "Allow"


class PolicyDocument(NamedTuple):
    """A named policy document (the label of its ``aws_iam_policy_document`` data block)."""

    name: str
    statements: tuple[Statement, ...]
    # Statements kept from the config as IAM JSON (bucket.kept_statements): printed as a
    # literal source_policy_documents entry, which the provider puts before ``statements``.
    kept: tuple[dict[str, Any], ...] = ()

    @property
    def json_ref(self) -> Ref:
        """The reference to the JSON of this document's ``aws_iam_policy_document`` block."""
        return Ref(f"data.aws_iam_policy_document.{self.name}.json")

    def to_json(self) -> dict[str, Any]:
        """The IAM JSON this document produces, as AWS will store it."""
        ours = [_statement_json(s) for s in self.statements]
        return {"Version": "2012-10-17", "Statement": [*self.kept, *ours]}

    def kept_document(self) -> dict[str, Any]:
        """The kept statements as one IAM policy, the literal source document."""
        return {"Version": "2012-10-17", "Statement": list(self.kept)}


def _statement_json(statement: Statement) -> dict[str, Any]:
    result: dict[str, Any] = {"Sid": statement.sid, "Effect": statement.effect}
    principals: dict[str, Any] = {}
    for block in statement.principals:
        if block.type == "*":
            principals = {"*": "*"}
            break
        principals.setdefault(block.type, []).extend(block.identifiers)
    if principals:
        result["Principal"] = "*" if "*" in principals else principals
    result["Action"] = list(statement.actions)
    if statement.resources:
        result["Resource"] = list(statement.resources)
    conditions: dict[str, dict[str, list[str]]] = {}
    for condition in statement.conditions:
        conditions.setdefault(condition.test, {})[condition.variable] = list(condition.values)
    if conditions:
        result["Condition"] = conditions
    return result


def _service(principal: str) -> tuple[Principals, ...]:
    return (Principals("Service", (principal,)),)


def _source_arn(arns: Arns) -> Condition:
    return Condition("StringEquals", "aws:SourceArn", (arns.trail,))


def principal_arns(arns: Arns, principals: list[str]) -> tuple[str, ...]:
    """IAM principal ARNs from config entries (an account id means that account's root)."""
    return tuple(sorted({arns.root(p) if p.isdigit() else p for p in principals}))


def bucket_policy(
    arns: Arns, *, readers: tuple[str, ...] = (), kept: tuple[dict[str, Any], ...] = ()
) -> PolicyDocument:
    """The log bucket's policy: aws-facts.md §1.1, a TLS-only deny, then the kept statements.

    Fully determined by the config: the kept statements (IAM JSON) come from
    ``bucket.kept_statements``,
    never from the live policy, so a grant the config stops writing is removed at apply.

    Both write grants are needed: ``AWSLogs/<org-id>/*`` is where an organization trail writes,
    ``AWSLogs/<management>/*`` keeps delivery working if the trail ever becomes a single-account
    trail. Each carries ``aws:SourceArn`` (confused-deputy protection) and the
    ``bucket-owner-full-control`` ACL condition, which CloudTrail sets and an ACL-disabled bucket
    still accepts.
    """
    acl = Condition("StringEquals", "s3:x-amz-acl", ("bucket-owner-full-control",))
    cloudtrail = _service(CLOUDTRAIL_PRINCIPAL)
    stem = f"CloudTrail{sid_stem(arns.trail_name)}"
    return PolicyDocument(
        "cloudtrail_bucket",
        (
            Statement(
                f"{stem}AclCheck",
                ("s3:GetBucketAcl",),
                (arns.bucket,),
                cloudtrail,
                (_source_arn(arns),),
            ),
            Statement(
                f"{stem}WriteManagementAccount",
                ("s3:PutObject",),
                (arns.log_objects(arns.management_account_id),),
                cloudtrail,
                (acl, _source_arn(arns)),
            ),
            Statement(
                f"{stem}WriteOrganization",
                ("s3:PutObject",),
                (arns.log_objects(arns.org_id),),
                cloudtrail,
                (acl, _source_arn(arns)),
            ),
            *(
                (
                    Statement(
                        f"{stem}LogReaders",
                        ("s3:GetObject", "s3:ListBucket"),
                        (arns.bucket, f"{arns.bucket}/*"),
                        (Principals("AWS", readers),),
                    ),
                )
                if readers
                else ()
            ),
            Statement(
                "DenyInsecureTransport",
                ("s3:*",),
                (arns.bucket, f"{arns.bucket}/*"),
                (Principals("*", ("*",)),),
                (Condition("Bool", "aws:SecureTransport", ("false",)),),
                effect="Deny",
            ),
        ),
        kept,
    )


def cloudwatch_trust_policy() -> PolicyDocument:
    """Who may assume the delivery role: CloudTrail (aws-facts.md §3.2)."""
    return PolicyDocument(
        "cloudtrail_cloudwatch_assume",
        (
            Statement(
                "AllowCloudTrailAssumeRole",
                ("sts:AssumeRole",),
                (),
                _service(CLOUDTRAIL_PRINCIPAL),
            ),
        ),
    )


def cloudwatch_delivery_policy(arns: Arns, log_group_name: str) -> PolicyDocument:
    """What the delivery role may do: create streams and put events, both stream families.

    ``<management>_CloudTrail_<home-region>*`` are the management account's own streams;
    ``<org-id>_*`` are the organization's. Without the second, CreateTrail answers
    InvalidCloudWatchLogsLogGroupArnException for an organization trail.
    """
    group = arns.log_group(log_group_name)
    streams = (
        f"{group}:log-stream:{arns.management_account_id}_CloudTrail_{arns.home_region}*",
        f"{group}:log-stream:{arns.org_id}_*",
    )
    return PolicyDocument(
        "cloudtrail_cloudwatch_delivery",
        (
            Statement("AWSCloudTrailCreateLogStream20141101", ("logs:CreateLogStream",), streams),
            Statement("AWSCloudTrailPutLogEvents20141101", ("logs:PutLogEvents",), streams),
        ),
    )


# Key administrators: everything needed to manage the key, nothing that uses it. AWS's default
# key-administrator statement (KMS developer guide, "Default key policy") is the model, with
# kms:Create* narrowed to kms:CreateAlias: Create* also matches kms:CreateGrant, and a grant can
# give its grantee - the administrator itself - kms:Decrypt. No statement of the module needs an
# administrator's grant (CloudTrail, CloudWatch Logs and CloudWatch alarms use the key through
# the key policy, not through grants), so kms:CreateGrant is not granted even with
# kms:GrantIsForAWSResource. No Decrypt, Encrypt, ReEncrypt* or GenerateDataKey* either.
# What remains is kms:PutKeyPolicy (in kms:Put*): an administrator can rewrite the policy to
# grant itself anything. That cannot be taken away without locking the key's owner out; it is
# visible as a PutKeyPolicy event in the trail itself (README, "Key administrators").
KEY_ADMIN_ACTIONS = (
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)


def _key_administration(administrators: tuple[str, ...]) -> Statement:
    """The one administrator statement every key of the module carries: manage, never use.

    "Never use" holds for the actions granted here (no Decrypt, no CreateGrant); an
    administrator can still rewrite the whole policy with kms:PutKeyPolicy - visible in the
    trail, not prevented (see KEY_ADMIN_ACTIONS).

    ``administrators`` are principals of the key's own account only: KMS refuses its
    administrative operations (PutKeyPolicy, ScheduleKeyDeletion, EnableKeyRotation...) to a
    principal of another account whatever the key policy says, so naming one would only look
    like a control (generator.sections.kms.model refuses it).
    """
    return Statement(
        "AllowKeyAdministration", KEY_ADMIN_ACTIONS, ("*",), (Principals("AWS", administrators),)
    )


def key_administration(administrators: tuple[str, ...]) -> Statement:
    """The administrator statement of a key of the module (manage, never use), for sections."""
    return _key_administration(administrators)


def service(principal: str) -> tuple[Principals, ...]:
    """One service principal, as a statement's ``principals``."""
    return _service(principal)


def key_policy(
    arns: Arns,
    *,
    administrators: tuple[str, ...],
    readers: tuple[str, ...],
    log_group_name: str | None,
) -> PolicyDocument:
    """The trail key's policy: aws-facts.md §4.1 (CloudTrail) and §4.2 (CloudWatch Logs).

    CloudTrail may generate data keys only in the context of this organization's trails
    (encryption context) and only for this trail (aws:SourceArn). Readers may decrypt only
    CloudTrail-encrypted data. Administrators (the key's account root, which delegates
    to its IAM policies, and the configured administrators of that account) may manage the key
    but neither use it nor grant its use; they can rewrite the policy (kms:PutKeyPolicy).
    In a key policy, Resource "*" means "this key".
    """
    administration = _key_administration(administrators)
    usage = key_usage_policy(arns, readers=readers, log_group_name=log_group_name)
    return PolicyDocument("cloudtrail_kms", (administration, *usage.statements))


def key_usage_policy(
    arns: Arns, *, readers: tuple[str, ...], log_group_name: str | None
) -> PolicyDocument:
    """The statements that let CloudTrail, CloudWatch Logs and the readers use the key."""
    trail_context = Condition(
        "StringLike",
        "kms:EncryptionContext:aws:cloudtrail:arn",
        (f"arn:{arns.partition}:cloudtrail:*:{arns.management_account_id}:trail/*",),
    )
    cloudtrail = _service(CLOUDTRAIL_PRINCIPAL)
    statements = [
        Statement(
            "AllowCloudTrailEncryptLogs",
            ("kms:GenerateDataKey*",),
            ("*",),
            cloudtrail,
            (trail_context, _source_arn(arns)),
        ),
        Statement(
            "AllowCloudTrailDescribeKey",
            ("kms:DescribeKey",),
            ("*",),
            cloudtrail,
            (_source_arn(arns),),
        ),
        Statement(
            # Needed to create or update a trail whose bucket uses an S3 Bucket Key (CT-UG).
            "AllowCloudTrailDecryptWithBucketKey",
            ("kms:Decrypt",),
            ("*",),
            cloudtrail,
            (_source_arn(arns),),
        ),
        Statement(
            "AllowLogReadersDecrypt",
            ("kms:Decrypt", "kms:ReEncryptFrom"),
            ("*",),
            (Principals("AWS", readers),),
            (Condition("Null", "kms:EncryptionContext:aws:cloudtrail:arn", ("false",)),),
        ),
    ]
    if log_group_name is not None:
        statements += _log_group_statements(arns, log_group_name)
    return PolicyDocument("cloudtrail_kms_usage", tuple(statements))


def _log_group_statements(arns: Arns, log_group_name: str) -> list[Statement]:
    """CloudWatch Logs may encrypt and decrypt this log group's events, and nothing else.

    AWS's example also lists kms:Describe* under the encryption-context condition, but
    DescribeKey carries no encryption context, so that grant can never match: it gets its own
    statement. StringEquals on the full ARN is exact, like the documented ArnEquals, and
    matches the key's declared type (String).
    """
    logs = _service(f"logs.{arns.home_region}.{arns.dns_suffix}")
    return [
        Statement(
            "AllowCloudWatchLogsEncryptLogGroup",
            ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"),
            ("*",),
            logs,
            (
                Condition(
                    "StringEquals",
                    "kms:EncryptionContext:aws:logs:arn",
                    (arns.log_group(log_group_name),),
                ),
            ),
        ),
        Statement("AllowCloudWatchLogsDescribeKey", ("kms:DescribeKey",), ("*",), logs),
    ]


def log_group_key_policy(
    arns: Arns, *, administrators: tuple[str, ...], log_group_name: str
) -> PolicyDocument:
    """The policy of the log group's own key, when the trail's key lives in another account.

    With a log-archive account the trail's key sits beside the bucket there, while the log
    group stays in the management account; a key of the group's own account keeps CloudWatch
    Logs' grant within one account.
    """
    administration = _key_administration(administrators)
    return PolicyDocument(
        "cloudwatch_logs_kms",
        (administration, *_log_group_statements(arns, log_group_name)),
    )


def to_json_text(document: PolicyDocument) -> str:
    """A document's statements as indented JSON, to paste into a key policy managed elsewhere."""
    return json.dumps(document.to_json()["Statement"], indent=2)


def _alarms_of_this_account(arns: Arns) -> tuple[Condition, ...]:
    """Confused-deputy conditions: CloudWatch acts only for alarms of this account and region.

    CloudWatch names the alarm as the request's source (its error message reads "Resource:
    arn:...:cloudwatch:<region>:<account>:alarm:<name> is not authorized to perform:
    SNS:Publish"), so aws:SourceArn is the alarm's ARN and aws:SourceAccount its account.
    """
    return (
        Condition("StringEquals", "aws:SourceAccount", (arns.management_account_id,)),
        Condition(
            "ArnLike",
            "aws:SourceArn",
            (
                f"arn:{arns.partition}:cloudwatch:{arns.home_region}:"
                f"{arns.management_account_id}:alarm:*",
            ),
        ),
    )


def alarm_topic_policy(arns: Arns, topic_arn: str) -> PolicyDocument:
    """The alarm topic's policy: CloudWatch may publish, only for this account's alarms.

    AWS's default topic policy also grants the account's own principals topic management
    (conditioned on AWS:SourceOwner); it is left out because a resource policy is not needed
    for principals of the owning account: their IAM policies already decide.
    """
    return PolicyDocument(
        "alarms_topic",
        (
            Statement(
                "AllowCloudWatchAlarmsPublish",
                ("sns:Publish",),
                (topic_arn,),
                _service(CLOUDWATCH_PRINCIPAL),
                _alarms_of_this_account(arns),
            ),
        ),
    )


def alarm_key_policy(arns: Arns, *, administrators: tuple[str, ...]) -> PolicyDocument:
    """The alarm topic key's policy: administrators manage it, CloudWatch alarms use it.

    CloudWatch encrypts each alarm notification itself, so it needs kms:GenerateDataKey* and
    kms:Decrypt on the topic's key (SNS Developer Guide, "Enable compatibility between event
    sources from AWS services and encrypted topics"). Nobody else may use the key: the
    account's principals read notifications at the subscribers, not from the topic.
    """
    return PolicyDocument(
        "alarms_kms",
        (
            _key_administration(administrators),
            Statement(
                "AllowCloudWatchAlarmsUseKey",
                ("kms:Decrypt", "kms:GenerateDataKey*"),
                ("*",),
                _service(CLOUDWATCH_PRINCIPAL),
                _alarms_of_this_account(arns),
            ),
        ),
    )
