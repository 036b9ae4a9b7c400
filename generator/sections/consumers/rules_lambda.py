"""The function half of the consumers' preflight rules (OTG101 calls these).

What SNS and Lambda check, and what fails silently after them, for a consumer that is a Lambda
function (the Datadog Forwarder):

- Subscribe with protocol ``lambda`` refuses an endpoint that is not a function ARN, and
  raw message delivery (SNS has it for SQS, HTTP/S and Firehose endpoints only; SNS Developer
  Guide, "Amazon SNS raw message delivery"). A function of another account than the topic's
  subscribed by the topic's owner stays pending until that account confirms it (SNS API
  Reference, Subscribe): this module subscribes functions of its own account only.
- SNS invokes the function only if the function's policy lets ``sns.amazonaws.com``
  ``lambda:InvokeFunction`` (Lambda Developer Guide, "Using Lambda with Amazon SNS"): without
  that statement the subscription is confirmed and every invocation is refused, silently. A
  statement without ``source_arn`` lets ANY topic, of any account, invoke the function.
- A topic policy that lets another account ``sns:Subscribe`` must pin what it may subscribe
  (``sns:Protocol`` and ``sns:Endpoint``): unpinned, that account can subscribe a queue or an
  HTTP endpoint of its own and be told of every log file of the organization.
"""

from __future__ import annotations

import re

from generator.check.hcl_parse import Block, ParsedModule, expression, literal
from generator.check.preflight import Facts, Finding
from generator.check.preflight.lookups import account_of
from generator.sections.consumers.feeds import referenced
from generator.sections.consumers.grants import arn_of, document

FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9_$-]{1,128}))?"
)
_REFUSED = "SNS invokes nothing: every delivery is refused, and the subscription looks fine"


def function_subscriptions(module: ParsedModule) -> list[tuple[Block, Block]]:
    """(subscription, its topic) for every ``lambda`` subscription of a module topic."""
    found = []
    for subscription in module.of_type("resource", "aws_sns_topic_subscription"):
        if literal(subscription.body.get("protocol")) != "lambda":
            continue
        topic = referenced(module, subscription.body.get("topic_arn"), "aws_sns_topic")
        if topic is not None:
            found.append((subscription, topic))
    return found


def _names(match: re.Match[str]) -> set[str]:
    """What ``function_name`` may say for this function: its name, or its ARN."""
    unqualified = match[0].split(":function:")[0] + f":function:{match['name']}"
    return {match["name"], unqualified}


def _permissions(module: ParsedModule, match: re.Match[str]) -> list[Block]:
    """The module's ``aws_lambda_permission`` blocks on this function (and its qualifier)."""
    found = []
    for permission in module.of_type("resource", "aws_lambda_permission"):
        name = literal(permission.body.get("function_name")) or ""
        qualifier = literal(permission.body.get("qualifier"))
        inline = FUNCTION_ARN.fullmatch(name)
        if inline is not None:  # a qualified ARN as function_name carries its qualifier
            qualifier = qualifier or inline["qualifier"]
            name = f"{name.split(':function:')[0]}:function:{inline['name']}"
        if name in _names(match) and qualifier == match["qualifier"]:
            found.append(permission)
    return found


def deliveries(module: ParsedModule, facts: Facts, rule_id: str) -> list[Finding]:
    """Each function subscription: a function ARN, no raw delivery, a permission for the topic.

    The function must be of the topic's account (another account's subscription stays
    pending), and a permission must let this topic, and only it, invoke the function.
    """
    findings: list[Finding] = []
    for subscription, topic in function_subscriptions(module):

        def finding(problem: str, fix: str, block: Block = subscription) -> Finding:
            return Finding(rule_id, block.file, block.address, problem, fix)

        endpoint = literal(subscription.body.get("endpoint")) or ""
        match = FUNCTION_ARN.fullmatch(endpoint)
        if match is None:
            findings.append(
                finding(
                    f"endpoint {endpoint or subscription.body.get('endpoint')!r} is not a "
                    "Lambda function ARN: SNS refuses the subscription (InvalidParameter)",
                    "endpoint = arn:<partition>:lambda:<region>:<account>:function:<name>",
                )
            )
            continue
        if subscription.body.get("raw_message_delivery") is True:
            findings.append(
                finding(
                    "raw_message_delivery = true on a lambda subscription: SNS refuses it "
                    "(raw delivery is for SQS, HTTP/S and Firehose endpoints only)",
                    "remove raw_message_delivery",
                )
            )
        topic_arn = arn_of(module, facts, topic, "sns")
        topic_account = account_of(module, topic) or facts.bucket_account
        if match["account"] != topic_account:
            findings.append(
                finding(
                    f"the function is in account {match['account']}, the topic in "
                    f"{topic_account}: a subscription the topic's owner makes to another "
                    "account's function stays pending until that account confirms it",
                    "let that account subscribe (topic policy: sns:Subscribe pinned to "
                    "sns:Protocol lambda and sns:Endpoint) and print its commands",
                )
            )
            continue
        findings += _permission_findings(module, subscription, topic, match, topic_arn, rule_id)
    return findings


def _permission_findings(
    module: ParsedModule,
    subscription: Block,
    topic: Block,
    match: re.Match[str],
    topic_arn: str,
    rule_id: str,
) -> list[Finding]:
    """The function's permission for SNS: it exists, and it names this topic."""
    findings = []
    sns = [
        p
        for p in _permissions(module, match)
        if literal(p.body.get("principal")) == "sns.amazonaws.com"
        and literal(p.body.get("action")) in ("lambda:InvokeFunction", "lambda:*")
    ]
    for permission in sns:
        source = permission.body.get("source_arn")
        if expression(source) != f"{topic.address}.arn" and literal(source) != topic_arn:
            shown = expression(source) or literal(source)
            findings.append(
                Finding(
                    rule_id,
                    permission.file,
                    permission.address,
                    f"the permission lets sns.amazonaws.com invoke {match[0]} from "
                    f"{shown or 'any topic of any account (no source_arn)'}, not only from "
                    f"{topic_arn}",
                    f"source_arn = {topic.address}.arn",
                )
            )
    if not sns:
        findings.append(
            Finding(
                rule_id,
                subscription.file,
                subscription.address,
                f"no aws_lambda_permission of the module lets sns.amazonaws.com "
                f"lambda:InvokeFunction {match[0]} for {topic_arn}: {_REFUSED}",
                "an aws_lambda_permission with principal sns.amazonaws.com and source_arn = "
                f"{topic.address}.arn",
            )
        )
    return findings


def subscribe_grants(module: ParsedModule, rule_id: str) -> list[Finding]:
    """Every topic policy's ``sns:Subscribe`` grant to an account pins protocol and endpoint."""
    findings = []
    for policy in module.of_type("resource", "aws_sns_topic_policy"):
        block = module.resolve(policy.body.get("policy"), "json")
        for statement in document(module, policy.body.get("policy")):
            if statement.effect != "Allow" or not any(
                a.lower() in ("sns:subscribe", "sns:*", "*") for a in statement.actions
            ):
                continue
            if not any(kind == "AWS" for kind, _ in statement.principals):
                continue
            protocol = statement.condition("StringEquals", "sns:Protocol")
            endpoint = statement.condition("StringEquals", "sns:Endpoint")
            if (
                protocol == ("lambda",)
                and endpoint
                and all(FUNCTION_ARN.fullmatch(e) for e in endpoint)
            ):
                continue
            where = block.address if block is not None else policy.address
            findings.append(
                Finding(
                    rule_id,
                    (block or policy).file,
                    f"{where} statement {statement.sid or '?'}",
                    "the topic policy lets "
                    + ", ".join(i for kind, ids in statement.principals for i in ids)
                    + " sns:Subscribe without pinning sns:Protocol to lambda and sns:Endpoint "
                    "to its function: it may subscribe a queue or an endpoint of its own and be "
                    "told of every log file of the organization",
                    'condition StringEquals sns:Protocol = "lambda" and sns:Endpoint = the '
                    "function's ARN",
                )
            )
    return findings
