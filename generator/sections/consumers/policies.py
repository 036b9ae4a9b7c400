"""The policies of the log-file fan-out, built once as Python data like every other policy.

Who may do what, and why each grant is pinned:

- the topic: S3 may publish, only for the log bucket (``aws:SourceArn``) of its owner
  (``aws:SourceAccount``) - S3 User Guide, "Granting permissions to publish event notification
  messages to a destination". PutBucketNotificationConfiguration checks this grant and refuses
  the whole configuration without it ("Unable to validate the following destination
  configurations").
- the key of topic and queues: S3 and SNS encrypt with it (SNS Developer Guide, "Enable
  compatibility between event sources from AWS services and encrypted topics"; SQS Developer
  Guide, key policy for SNS publishing to an encrypted queue): each only for its own source;
  the consumers' roles may only decrypt, and only through SQS (``kms:ViaService``).
- each queue: SNS may send, only from the log-file topic; the consumer's roles may receive,
  delete and hide messages of that queue and nothing else.
- each consumer role's identity policy (printed for a role of another account, where the
  resource policies alone do not suffice): read the trail's objects, decrypt them, receive.
"""

from __future__ import annotations

from generator.core.arns import Arns
from generator.render.hcl import Ref
from generator.render.policies import (
    Condition,
    PolicyDocument,
    Principals,
    Statement,
    key_administration,
    service,
)

S3_PRINCIPAL = "s3.amazonaws.com"
SNS_PRINCIPAL = "sns.amazonaws.com"
# What a consumer does with its queue: receive, delete what it processed, extend the time it
# holds a message, read the queue's attributes (both Splunk's and Elastic's inputs do), and
# find the queue by name. No SendMessage, no purge, no policy change.
RECEIVE_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
# S3's encryption context of a CloudTrail file: the readers' decrypt is conditioned on it in
# the trail key's policy (generator.render.policies.key_usage_policy), so the printed identity
# policy asks for no more.
CLOUDTRAIL_CONTEXT = "kms:EncryptionContext:aws:cloudtrail:arn"


def _equals(variable: str, value: str) -> Condition:
    return Condition("StringEquals", variable, (value,))


def topic_policy(arns: Arns, topic_arn: str, bucket_account: str) -> PolicyDocument:
    """The log-file topic's policy: S3 publishes, for the log bucket only."""
    return PolicyDocument(
        "log_files_topic",
        (
            Statement(
                "AllowS3PublishLogFileEvents",
                ("sns:Publish",),
                (topic_arn,),
                service(S3_PRINCIPAL),
                (
                    _equals("aws:SourceAccount", bucket_account),
                    _equals("aws:SourceArn", arns.bucket),
                ),
            ),
        ),
    )


def key_policy(
    arns: Arns,
    *,
    administrators: tuple[str, ...],
    bucket_account: str,
    topic_arn: str,
    readers: tuple[str, ...],
) -> PolicyDocument:
    """The policy of the key that encrypts the topic and every queue."""
    usage = ("kms:GenerateDataKey*", "kms:Decrypt")
    statements = [
        key_administration(administrators),
        Statement(
            "AllowS3EncryptLogFileEvents",
            usage,
            ("*",),
            service(S3_PRINCIPAL),
            (_equals("aws:SourceAccount", bucket_account), _equals("aws:SourceArn", arns.bucket)),
        ),
        Statement(
            "AllowSnsEncryptConsumerQueues",
            usage,
            ("*",),
            service(SNS_PRINCIPAL),
            (_equals("aws:SourceAccount", bucket_account), _equals("aws:SourceArn", topic_arn)),
        ),
    ]
    if readers:
        statements.append(
            Statement(
                "AllowConsumersDecryptTheirQueues",
                ("kms:Decrypt",),
                ("*",),
                (Principals("AWS", readers),),
                (_equals("kms:ViaService", sqs_service(arns)),),
            )
        )
    return PolicyDocument("log_consumers_kms", tuple(statements))


def sqs_service(arns: Arns) -> str:
    """SQS's endpoint in the home region, as ``kms:ViaService`` names it."""
    return f"sqs.{arns.home_region}.{arns.dns_suffix}"


def queue_policy(
    label: str, queue_arn: str, topic_arn: str, roles: tuple[str, ...]
) -> PolicyDocument:
    """One consumer queue's policy: the topic sends, the consumer's roles receive."""
    return PolicyDocument(
        f"{label}_queue",
        (
            Statement(
                "AllowLogFileTopicSend",
                ("sqs:SendMessage",),
                (queue_arn,),
                service(SNS_PRINCIPAL),
                (_equals("aws:SourceArn", topic_arn),),
            ),
            Statement(
                "AllowConsumerReceive",
                RECEIVE_ACTIONS,
                (queue_arn,),
                (Principals("AWS", roles),),
            ),
        ),
    )


def role_policy(
    arns: Arns,
    label: str,
    *,
    queue_arn: str,
    bucket_account: str,
    trail_key: str | None,
) -> PolicyDocument:
    """What a consumer's role must allow itself when it lives in another account.

    Cross-account, IAM grants only what both the resource policy and the caller's own
    identity policy allow: this is the identity side, with exactly what the resource policies
    grant the role (the trail's objects rather than the whole bucket). The keys this module
    creates get their ARNs only at apply, so decrypt names the keys of the bucket's account
    and region (``key/*``) under the same conditions the key policies set (CloudTrail's
    encryption context; through SQS): the key policies decide which keys, and only this
    module's two name the role. An existing trail key (``kms.key_arn``) is named as it is.
    """
    keys = f"arn:{arns.partition}:kms:{arns.home_region}:{bucket_account}:key/*"
    statements = [
        Statement("ReadLogFiles", ("s3:GetObject",), (arns.log_objects(arns.org_id),)),
        Statement("ReceiveLogFileEvents", RECEIVE_ACTIONS, (queue_arn,)),
        Statement(
            "DecryptLogFileEvents",
            ("kms:Decrypt",),
            (keys,),
            conditions=(_equals("kms:ViaService", sqs_service(arns)),),
        ),
    ]
    if trail_key is not None:
        statements.append(
            Statement(
                "DecryptLogFiles",
                ("kms:Decrypt",),
                (keys if isinstance(trail_key, Ref) else trail_key,),
                conditions=(Condition("Null", CLOUDTRAIL_CONTEXT, ("false",)),),
            )
        )
    return PolicyDocument(f"{label}_role", tuple(statements))
