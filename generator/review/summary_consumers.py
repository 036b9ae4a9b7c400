"""Who is handed the logs: each log consumer in words, what it gains or loses with the change.

Why a sentence per consumer and not only the policy statements: a consumer's grant is spread
over five documents - the bucket policy's readers, the trail key's readers, its queue's
policy, the queue key's policy, the topic's subscription - and the reviewer's question is one:
who can now read every account's logs? So each principal that may receive a consumer queue's
messages is said once, with what the module lets it do and how it is told ("role/Splunk in
999988887777 is told of every new log file and digest through the log-file topic (queue
org-trail-splunk), may read every log file and decrypt it"; a queue fed by an EventBridge
rule is told "through EventBridge rule R", of digests only when the rule's pattern matches
them), read from the generated HCL as AWS will evaluate it (the preflight rules' reader), on
both sides of the change: a consumer moved from the topic to EventBridge is a change. A
consumer that is a Lambda function (the Datadog Forwarder) has no queue: it is said as
"function X in account Y is invoked for every new log file and digest through topic Z; role R
may read every log file and decrypt it", the function and its roles read from the consumer's
``local.log_consumer_<name>`` (the one place the module ties a function to the roles it runs
as), the invocation from its subscription - or, for a function of another account, from the
topic policy's pinned ``sns:Subscribe`` grant, since that account subscribes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase

from generator.check.hcl_parse import Block, ParsedModule, expression, literal
from generator.check.preflight.policy_reading import ParsedStatement, statements
from generator.review.policies import principal_words
from generator.sections.consumers import feeds
from generator.sections.consumers.feeds import Feed


@dataclass(frozen=True)
class ConsumerChange:
    """A principal that is told of every log file now and was not before, or no longer is."""

    queue: str  # the address of the consumer's queue
    principal: str
    change: str  # "added" | "removed"
    text: str


def _document(module: ParsedModule, value: object) -> list[ParsedStatement]:
    block = module.resolve(value, "json")
    return statements(block) if block is not None else []


def _allows(found: list[ParsedStatement], principal: str, action: str, resource: str) -> bool:
    return any(
        s.effect == "Allow"
        and s.has_principal("AWS", principal)
        and any(fnmatchcase(action, a) for a in s.actions)
        and any(fnmatchcase(resource, r) for r in s.resources)
        for s in found
    )


def _trail_key(module: ParsedModule) -> Block | None:
    for trail in module.of_type("resource", "aws_cloudtrail"):
        reference = expression(trail.body.get("kms_key_id")) or ""
        if reference.startswith("aws_kms_key."):
            return module.get(".".join(reference.split(".")[:2]))
    return None


def _told(feed: Feed) -> str:
    """How the queue is told of new files, in words: its feed, and whether digests come."""
    name = literal(feed.source.body.get("name")) or feed.source.address
    if not feed.by_rule:
        return f"every new log file and digest through topic {name}"
    pattern = feeds.decoded_json(feed.source.body.get("event_pattern"), feed.source.file)
    detail = pattern.get("detail") if isinstance(pattern, dict) else None
    obj = detail.get("object") if isinstance(detail, dict) else None
    digests = "/CloudTrail-Digest/" in json.dumps(obj.get("key") if isinstance(obj, dict) else None)
    told = "every new log file and digest" if digests else "every new log file (not digests)"
    return f"{told} through EventBridge rule {name}"


def _reads(
    bucket: list[ParsedStatement],
    buckets: list[str],
    key: Block | None,
    key_statements: list[ParsedStatement],
    principal: str,
) -> tuple[bool, bool]:
    """Whether the principal may read the trail's objects, and decrypt them."""
    reads = any(_allows(bucket, principal, "s3:GetObject", b) for b in buckets)
    decrypts = key is None or any(
        s.effect == "Allow"
        and s.has_principal("AWS", principal)
        and any(fnmatchcase("kms:Decrypt", a) for a in s.actions)
        for s in key_statements
    )
    return reads, decrypts


def _functions(module: ParsedModule) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{consumer local's name: (function ARN, roles)} from ``locals { log_consumer_<n> = {} }``."""
    found = {}
    for block in module.all("locals"):
        for name, value in block.body.items():
            if not str(name).startswith("log_consumer_") or not isinstance(value, dict):
                continue
            arn = literal(value.get("function_arn"))
            roles = value.get("roles")
            if arn and isinstance(roles, list):
                found[str(name)] = (arn, tuple(r for v in roles if (r := literal(v))))
    return found


def _invoked(module: ParsedModule, arn: str, notified: set[str]) -> tuple[str, str] | None:
    """(address, how the function is invoked): a subscription, or once its account subscribes."""
    for subscription in module.of_type("resource", "aws_sns_topic_subscription"):
        topic = feeds.referenced(module, subscription.body.get("topic_arn"), "aws_sns_topic")
        if (
            literal(subscription.body.get("protocol")) == "lambda"
            and literal(subscription.body.get("endpoint")) == arn
            and topic is not None
            and topic.address in notified
        ):
            name = literal(topic.body.get("name")) or topic.address
            return subscription.address, f"through topic {name}"
    for policy in module.of_type("resource", "aws_sns_topic_policy"):
        topic = feeds.referenced(module, policy.body.get("arn"), "aws_sns_topic")
        if topic is None or topic.address not in notified:
            continue
        for statement in _document(module, policy.body.get("policy")):
            if "sns:Subscribe" in statement.actions and arn in (
                statement.condition("StringEquals", "sns:Endpoint") or ()
            ):
                name = literal(topic.body.get("name")) or topic.address
                return policy.address, f"through topic {name} once its account subscribes it"
    return None


def consumers(module: ParsedModule) -> dict[tuple[str, str], str]:
    """{(queue or subscription address, principal): what it gains, a sentence} per consumer."""
    bucket = [
        s
        for p in module.of_type("resource", "aws_s3_bucket_policy")
        for s in _document(module, p.body.get("policy"))
    ]
    partition = next(
        (r.split(":")[1] for s in bucket for r in s.resources if r.startswith("arn:")), "aws"
    )
    names = [
        literal(b.body.get("bucket")) or "" for b in module.of_type("resource", "aws_s3_bucket")
    ]
    buckets = [f"arn:{partition}:s3:::{name}/AWSLogs/x.json.gz" for name in names]
    key = _trail_key(module)
    key_statements = _document(module, key.body.get("policy")) if key is not None else []
    found: dict[tuple[str, str], str] = {}
    notified = {
        topic.address
        for n in module.of_type("resource", "aws_s3_bucket_notification")
        for item in n.body.get("topic", [])
        if isinstance(item, dict)
        and (topic := feeds.referenced(module, item.get("topic_arn"), "aws_sns_topic"))
    }
    for arn, roles in _functions(module).values():
        invoked = _invoked(module, arn, notified)
        if invoked is None:
            continue
        parts = arn.split(":")
        text = (
            f"function {parts[6]} in account {parts[4]} is invoked for every new log file and "
            f"digest {invoked[1]}"
        )
        for role in roles:
            reads, decrypts = _reads(bucket, buckets, key, key_statements, role)
            may = (
                "may read every log file and decrypt it"
                if reads and decrypts
                else "may read every log file, but not decrypt it"
                if reads
                else "may not read the log files"
            )
            found[(invoked[0], role)] = f"{text}; {principal_words('AWS', role)} {may}"
    for feed in feeds.feeds(module):
        if not any(feeds.announces(module, feed, bucket) for bucket in names):
            continue
        queue = feed.queue
        name = literal(queue.body.get("name")) or queue.address
        receivers = sorted(
            {
                identifier
                for p in module.of_type("resource", "aws_sqs_queue_policy")
                if expression(p.body.get("queue_url")) == f"{queue.address}.id"
                for s in _document(module, p.body.get("policy"))
                if s.effect == "Allow" and "sqs:ReceiveMessage" in s.actions
                for kind, ids in s.principals
                if kind == "AWS"
                for identifier in ids
            }
        )
        for principal in receivers:
            reads, decrypts = _reads(bucket, buckets, key, key_statements, principal)
            gains = f"is told of {_told(feed)} (queue {name})"
            if reads and decrypts:
                gains += ", may read every log file and decrypt it"
            elif reads:
                gains += " and may read every log file, but not decrypt it"
            else:
                gains += ", but may not read the log files"
            found[(queue.address, principal)] = f"{principal_words('AWS', principal)} {gains}"
    return found


def consumer_changes(old: ParsedModule, new: ParsedModule) -> list[ConsumerChange]:
    """Consumers (queue, principal) new or changed in ``new``, and those gone from ``old``."""
    before, after = consumers(old), consumers(new)
    changes = [
        ConsumerChange(queue, who, "added", gains)
        for (queue, who), gains in sorted(after.items())
        if before.get((queue, who)) != gains
    ]
    changes += [
        ConsumerChange(
            queue,
            who,
            "removed",
            f"{principal_words('AWS', who)} is no longer told of new log files ({queue})",
        )
        for (queue, who) in sorted(before)
        if (queue, who) not in after
    ]
    return changes
