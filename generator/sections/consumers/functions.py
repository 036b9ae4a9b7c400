"""A consumer that is a Lambda function (the Datadog Forwarder): invoked by the log-file topic.

Why a delivery of its own: Datadog's Forwarder is a Lambda function and reads no SQS message,
but it reads S3 notifications fanned out through SNS - its ``parse_event_type``
(DataDog/datadog-serverless-functions, aws/logs_monitoring) treats an SNS record whose
``Message`` holds S3 ``Records`` as an S3 event ("it's not uncommon to fan out s3
notifications through SNS") and fetches the object. So such a consumer gets no queue: the
topic's subscription invokes the function directly, with the subscriptions' filter (no
``s3:TestEvent``), and without raw delivery (SNS has none for Lambda).

Who does what, by account (the topic is in the bucket's account):

- the function in the bucket's account: the module adds a statement to the function's policy
  (``aws_lambda_permission``: ``sns.amazonaws.com`` may ``lambda:InvokeFunction`` for this
  topic only, ``source_arn`` and ``source_account``) and the subscription. The function is
  its owner's; the statement is a separate one, which a destroy removes alone.
- the function in another account: this module cannot write that account's function policy,
  and a subscription the topic's owner makes to another account's function stays pending
  until that account confirms it (SNS API Reference, Subscribe). So the topic's policy lets
  that account ``sns:Subscribe``, pinned to ``sns:Protocol`` = lambda and ``sns:Endpoint`` =
  this function, and the module prints the two commands that account runs
  (output ``log_consumer_<name>_setup``), as the AWS Lambda Developer Guide's cross-account
  SNS tutorial does.

The topic's key needs nothing for the function: SNS decrypts a message when it delivers it
(SNS Developer Guide, "Encryption at rest"), and Lambda is handed plain text.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, NamedTuple

from generator.core.arns import Arns, principal_account
from generator.render.policies import Condition, PolicyDocument, Principals, Statement
from generator.sections.base import Output
from generator.sections.consumers.model import Consumer, FunctionRef
from generator.sections.consumers.policies import role_policy

PERMISSION = "aws_lambda_permission"
INVOKE = "lambda:InvokeFunction"
SNS_PRINCIPAL = "sns.amazonaws.com"


class FunctionView(NamedTuple):
    """One function consumer: where its function is, and what the module writes for it."""

    name: str
    label: str
    arn: str  # the subscription's endpoint, qualified if configured so
    function_name: str  # the unqualified ARN (Lambda's FunctionName)
    shown: str  # the function's name, with its qualifier if any, as the comments say it
    qualifier: str | None
    account: str
    same_account: bool
    statement_id: str
    roles: tuple[str, ...]
    note: tuple[str, ...]
    setup: tuple[str, ...]  # the commands the function's account runs; () in the same account
    setup_text: str  # the same, one per line, as the output's value
    role_policy: PolicyDocument | None  # for roles of another account than the bucket's


def statement_id(topic_name: str) -> str:
    """The permission's statement id in the function's policy: names this module's topic.

    Lambda allows 1-100 of ``[A-Za-z0-9_.-]``; a topic name is made of those.
    """
    return f"orgtrail-gen-{topic_name}"[:100]


def subscribe_sid(consumer: Consumer) -> str:
    """The topic policy's Sid that lets a function's account subscribe it (alphanumeric)."""
    words = "".join(part.capitalize() for part in consumer.name.split("-"))
    return f"AllowConsumer{words}Subscribe"


def subscribe_statement(topic_arn: str, partition: str, consumer: Consumer) -> Statement:
    """The function's account may subscribe THIS function, by protocol lambda, and nothing else."""
    function = consumer.function
    assert function is not None
    return Statement(
        subscribe_sid(consumer),
        ("sns:Subscribe",),
        (topic_arn,),
        (Principals("AWS", (f"arn:{partition}:iam::{function.account}:root",)),),
        (
            Condition("StringEquals", "sns:Protocol", ("lambda",)),
            Condition("StringEquals", "sns:Endpoint", (function.arn,)),
        ),
    )


def _setup(
    function: FunctionRef, topic_arn: str, statement: str, filter_policy: dict[str, Any]
) -> tuple[str, ...]:
    """The CLI the function's account runs: the function's permission, then the subscription."""
    region = topic_arn.split(":")[3]
    account = topic_arn.split(":")[4]
    qualifier = f" --qualifier {function.qualifier}" if function.qualifier else ""
    attributes = json.dumps(
        {
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps(filter_policy, separators=(",", ":")),
        },
        separators=(",", ":"),
    )
    return (
        f"# In account {function.account}, region {region}:",
        f"aws lambda add-permission --region {region} --function-name {function.unqualified}"
        f"{qualifier} --statement-id {statement} --action {INVOKE} --principal {SNS_PRINCIPAL}"
        f" --source-arn {topic_arn} --source-account {account}",
        f"aws sns subscribe --region {region} --topic-arn {topic_arn} --protocol lambda"
        f" --notification-endpoint {function.arn} --attributes '{attributes}'",
    )


def function_view(
    arns: Arns,
    consumer: Consumer,
    *,
    label: str,
    topic_arn: str,
    topic_name: str,
    bucket_account: str,
    known: frozenset[str],
    filter_policy: dict[str, Any],
    trail_key: str | None,
) -> FunctionView:
    """What consumers.tf writes and prints for one function consumer."""
    function = consumer.function
    assert function is not None
    same = function.account == bucket_account
    roles = tuple(sorted(set(consumer.roles)))
    statement = statement_id(topic_name)
    setup = () if same else _setup(function, topic_arn, statement, filter_policy)
    return FunctionView(
        name=consumer.name,
        label=label,
        arn=function.arn,
        function_name=function.unqualified,
        shown=function.unqualified.rsplit(":", 1)[1]
        + (f":{function.qualifier}" if function.qualifier else ""),
        qualifier=function.qualifier,
        account=function.account,
        same_account=same,
        statement_id=statement,
        roles=roles,
        note=_note(consumer, function, roles, same, bucket_account, known),
        setup=setup,
        setup_text="".join(f"{line}\n" for line in setup),
        role_policy=role_policy(
            arns, label, queue_arn=None, bucket_account=bucket_account, trail_key=trail_key
        )
        if any(principal_account(r) != bucket_account for r in roles)
        else None,
    )


def function_outputs(consumer: Consumer, bucket_account: str) -> list[Output]:
    """A function consumer's: what it is and reads as, its account's commands, its role policy."""
    found = [
        Output(
            f"log_consumer_{consumer.name}",
            f"local.log_consumer_{consumer.name}",
            f"Consumer {consumer.name}: the function the log-file topic invokes, and the roles "
            "it reads the logs as.",
        )
    ]
    function = consumer.function
    if function is not None and function.account != bucket_account:
        found.append(
            Output(
                f"log_consumer_{consumer.name}_setup",
                f"local.log_consumer_{consumer.name}_setup",
                f"Run in account {function.account}: the function's permission for the topic, "
                "then its subscription (the topic's policy lets that account subscribe it).",
            )
        )
    if any(principal_account(r) != bucket_account for r in consumer.roles):
        found.append(
            Output(
                f"log_consumer_{consumer.name}_role_policy",
                f"data.aws_iam_policy_document.consumer_{consumer.name}_role.json",
                f"Attach to consumer {consumer.name}'s roles in their own account: read and "
                "decrypt the log files.",
            )
        )
    return found


def _note(
    consumer: Consumer,
    function: FunctionRef,
    roles: tuple[str, ...],
    same: bool,
    bucket_account: str,
    known: frozenset[str],
) -> tuple[str, ...]:
    """The comment above a function consumer: whose function it is, what this module adds."""
    text = (
        f"Consumer {consumer.name}: function {function.name} of account {function.account} "
        "is invoked for every new log file and digest (each an SNS record, S3's event in its "
        f"Message); {', '.join(roles)} may read and decrypt every log file. The function is "
        "its owner's (the Datadog Forwarder's stack), not this module's."
    )
    if same:
        text += (
            " The module adds one statement to its policy, for this topic only; a destroy "
            "removes that statement alone."
        )
    else:
        text += (
            f" Account {function.account} is not the topic's ({bucket_account}): the topic's "
            "policy lets it subscribe this function only, and it adds the permission and "
            f"the subscription itself (output log_consumer_{consumer.name}_setup)."
        )
    outside = sorted({principal_account(r) for r in roles} | {function.account})
    unknown = [a for a in outside if a not in known]
    if unknown:
        text += (
            f" Account {', '.join(unknown)} is none of the config's accounts "
            f"({', '.join(sorted(known))})."
        )
    return tuple(textwrap.wrap(text, 96, break_on_hyphens=False))
