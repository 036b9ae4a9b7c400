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
both sides of the change: a consumer moved from the topic to EventBridge is a change.
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


def consumers(module: ParsedModule) -> dict[tuple[str, str], str]:
    """{(queue address, principal): what it gains, in words} for every consumer queue."""
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
            reads = any(_allows(bucket, principal, "s3:GetObject", b) for b in buckets)
            decrypts = key is None or any(
                s.effect == "Allow"
                and s.has_principal("AWS", principal)
                and any(fnmatchcase("kms:Decrypt", a) for a in s.actions)
                for s in key_statements
            )
            gains = f"is told of {_told(feed)} (queue {name})"
            if reads and decrypts:
                gains += ", may read every log file and decrypt it"
            elif reads:
                gains += " and may read every log file, but not decrypt it"
            else:
                gains += ", but may not read the log files"
            found[(queue.address, principal)] = gains
    return found


def consumer_changes(old: ParsedModule, new: ParsedModule) -> list[ConsumerChange]:
    """Consumers (queue, principal) new or changed in ``new``, and those gone from ``old``."""
    before, after = consumers(old), consumers(new)
    changes = [
        ConsumerChange(queue, who, "added", f"{principal_words('AWS', who)} {gains}")
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
