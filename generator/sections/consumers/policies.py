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
- each queue: SNS may send, only from the log-file topic - or, for a consumer fed by
  EventBridge, ``events.amazonaws.com`` only from that consumer's rule (``aws:SourceArn``, as
  the EventBridge User Guide's "Amazon SQS permissions" shows), which may also send what it
  could not deliver to the dead-letter queue; the consumer's roles may receive, delete and
  hide messages of that queue and nothing else.
- EventBridge's use of the key is pinned to the queues it feeds, by SQS's encryption context
  (``kms:EncryptionContext:aws:sqs:arn``), not by ``aws:SourceArn``: EventBridge's requests
  to KMS carry no source keys (the SNS Developer Guide's list of event sources that do
  names CloudWatch, not EventBridge); the rule itself is pinned in each queue's policy.
- each consumer role's identity policy (printed for a role of another account, where the
  resource policies alone do not suffice): read the trail's objects, decrypt them, receive
  (a function consumer's role only reads and decrypts: the topic invokes its function).
- a function consumer of another account: the topic's policy lets that account subscribe
  that function only (``sns:Protocol``, ``sns:Endpoint``; :mod:`.functions`).
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
EVENTS_PRINCIPAL = "events.amazonaws.com"
# SQS's encryption context of a queue's data keys: the queue's ARN.
SQS_CONTEXT = "kms:EncryptionContext:aws:sqs:arn"
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


def topic_policy(
    arns: Arns, topic_arn: str, bucket_account: str, subscribers: tuple[Statement, ...] = ()
) -> PolicyDocument:
    """The log-file topic's policy: S3 publishes, for the log bucket only.

    ``subscribers``: a function consumer's account other than the topic's may subscribe its
    function, pinned by protocol and endpoint (:func:`.functions.subscribe_statement`).
    """
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
            *subscribers,
        ),
    )


def key_policy(
    arns: Arns,
    *,
    administrators: tuple[str, ...],
    bucket_account: str,
    topic_arn: str | None,
    readers: tuple[str, ...],
    eventbridge_queues: tuple[str, ...] = (),
) -> PolicyDocument:
    """The policy of the key that encrypts the topic (if any) and every queue.

    ``topic_arn`` None: no consumer is fed by the topic, so neither S3 nor SNS uses the key.
    ``eventbridge_queues``: the ARNs of the queues (and dead-letter queues) EventBridge sends to.
    """
    usage = ("kms:GenerateDataKey*", "kms:Decrypt")
    statements = [key_administration(administrators)]
    if topic_arn is not None:
        statements += [
            Statement(
                "AllowS3EncryptLogFileEvents",
                usage,
                ("*",),
                service(S3_PRINCIPAL),
                (
                    _equals("aws:SourceAccount", bucket_account),
                    _equals("aws:SourceArn", arns.bucket),
                ),
            ),
            Statement(
                "AllowSnsEncryptConsumerQueues",
                usage,
                ("*",),
                service(SNS_PRINCIPAL),
                (
                    _equals("aws:SourceAccount", bucket_account),
                    _equals("aws:SourceArn", topic_arn),
                ),
            ),
        ]
    if eventbridge_queues:
        statements.append(
            Statement(
                "AllowEventBridgeEncryptConsumerQueues",
                usage,
                ("*",),
                service(EVENTS_PRINCIPAL),
                (Condition("StringEquals", SQS_CONTEXT, eventbridge_queues),),
            )
        )
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
    label: str,
    queue_arn: str,
    source_arn: str,
    roles: tuple[str, ...],
    *,
    eventbridge: bool = False,
) -> PolicyDocument:
    """One consumer queue's policy: the topic (or the consumer's rule) sends, its roles receive."""
    sender = (
        Statement(
            "AllowLogFileRuleSend",
            ("sqs:SendMessage",),
            (queue_arn,),
            service(EVENTS_PRINCIPAL),
            (_equals("aws:SourceArn", source_arn),),
        )
        if eventbridge
        else Statement(
            "AllowLogFileTopicSend",
            ("sqs:SendMessage",),
            (queue_arn,),
            service(SNS_PRINCIPAL),
            (_equals("aws:SourceArn", source_arn),),
        )
    )
    return PolicyDocument(
        f"{label}_queue",
        (
            sender,
            Statement(
                "AllowConsumerReceive",
                RECEIVE_ACTIONS,
                (queue_arn,),
                (Principals("AWS", roles),),
            ),
        ),
    )


def dead_letter_policy(label: str, dlq_arn: str, rule_arn: str) -> PolicyDocument:
    """A rule-fed consumer's dead-letter queue: the rule sends what it could not deliver.

    EventBridge puts an event there after its retry policy gives up (the EventBridge User
    Guide, "Using dead-letter queues to process undelivered events": the queue's policy must
    let ``events.amazonaws.com`` ``sqs:SendMessage`` with ``aws:SourceArn`` = the rule).
    """
    return PolicyDocument(
        f"{label}_dlq_queue",
        (
            Statement(
                "AllowLogFileRuleDeadLetters",
                ("sqs:SendMessage",),
                (dlq_arn,),
                service(EVENTS_PRINCIPAL),
                (_equals("aws:SourceArn", rule_arn),),
            ),
        ),
    )


def role_policy(
    arns: Arns,
    label: str,
    *,
    queue_arn: str | None,
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
    statements = [Statement("ReadLogFiles", ("s3:GetObject",), (arns.log_objects(arns.org_id),))]
    if queue_arn is not None:  # a function consumer has no queue: it is invoked
        statements += [
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
