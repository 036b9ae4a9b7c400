"""What AWS checks of the log-file fan-out at apply, and what fails silently after it.

Why: ``PutBucketNotificationConfiguration`` validates each destination - S3 test-publishes to
the topic, so a topic policy without S3's grant, or a topic key S3 may not use, refuses the
whole configuration ("Unable to validate the following destination configurations"). What
S3 cannot see fails later and silently: SNS drops every delivery to a queue whose policy or
key does not admit it, and a queue without a dead-letter queue loses a file that its
consumer could not read. A filter prefix that is not the trail's announces nothing. For a
consumer fed by EventBridge, PutRule refuses an invalid pattern and PutTargets a target it
cannot use, and the rest fails as silently: a rule without ``eventbridge = true`` on the
bucket's notification never fires, a queue whose policy or key does not admit EventBridge
drops every event (to the dead-letter queue, after a day of retries). Each rule reads the
generated HCL, as AWS will see it (:mod:`.feeds`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, literals, nested
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import account_of, bucket_name, region_of
from generator.sections.consumers.feeds import feeds as all_feeds
from generator.sections.consumers.feeds import referenced as _referenced
from generator.sections.consumers.feeds import subscribed, targeted
from generator.sections.consumers.grants import admits as _admits
from generator.sections.consumers.grants import arn_of as _arn
from generator.sections.consumers.grants import document as _document
from generator.sections.consumers.grants import key_problems as _key_problems
from generator.sections.consumers.grants import queue_statements
from generator.sections.consumers.rules_eventbridge import dead_letters, deliveries, patterns
from generator.sections.consumers.rules_lambda import deliveries as function_deliveries
from generator.sections.consumers.rules_lambda import subscribe_grants
from generator.sections.kms.rules import _allows

S3 = ("Service", "s3.amazonaws.com")
SNS = ("Service", "sns.amazonaws.com")
EVENTS = ("Service", "events.amazonaws.com")
_NOTIFICATION = "aws_s3_bucket_notification"


def _topics(module: ParsedModule, notification: Block) -> list[tuple[dict[str, Any], Block]]:
    """The notification's topic configurations with the module's topic each names."""
    found = []
    for item in nested(notification.body, "topic"):
        topic = _referenced(module, item.get("topic_arn"), "aws_sns_topic")
        if topic is not None:
            found.append((item, topic))
    return found


@rule(
    "OTG100",
    "S3 may publish the log bucket's events to the topic and use its key",
    protects=(
        "PutBucketNotificationConfiguration test-publishes to every destination: unless the "
        "topic policy lets `s3.amazonaws.com` `sns:Publish` for the log bucket "
        "(`aws:SourceArn`) of its account (`aws:SourceAccount`), and the topic's key lets "
        "S3 `kms:GenerateDataKey*` and `kms:Decrypt`, S3 refuses the whole notification "
        'configuration ("Unable to validate the following destination configurations"); a '
        "topic encrypted with the AWS-managed `alias/aws/sns` key can never admit S3. The "
        "notification must also wait for the topic's policy (`depends_on`)."
    ),
    satisfy="Nothing to set: the topic and its policies follow `consumers`; " + REPORT_BUG,
)
def topic_admits_s3(module: ParsedModule, facts: Facts) -> list[Finding]:
    """The topic policy and key admit S3 for this bucket; the notification waits for both."""
    findings = []
    for notification in module.of_type("resource", _NOTIFICATION):
        name = bucket_name(module, notification.body.get("bucket")) or facts.arns.bucket_name
        context = {
            "aws:SourceArn": f"arn:{facts.arns.partition}:s3:::{name}",
            "aws:SourceAccount": account_of(module, notification) or facts.bucket_account,
        }
        waits = set(_references(notification.body.get("depends_on")))
        for _, topic in _topics(module, notification):

            def finding(problem: str, fix: str, topic: Block = topic) -> Finding:
                return Finding("OTG100", topic.file, topic.address, problem, fix)

            policies = [
                p
                for p in module.of_type("resource", "aws_sns_topic_policy")
                if expression(p.body.get("arn")) == f"{topic.address}.arn"
            ]
            arn = _arn(module, facts, topic, "sns")
            if not any(
                _admits(
                    [s for s in _document(module, p.body.get("policy")) if arn in s.resources],
                    S3,
                    "sns:Publish",
                    context,
                )
                for p in policies
            ):
                findings.append(
                    finding(
                        f"the topic policy does not let s3.amazonaws.com sns:Publish to {arn} "
                        f"for {context['aws:SourceArn']} of account "
                        f"{context['aws:SourceAccount']}: PutBucketNotificationConfiguration "
                        "fails (Unable to validate the following destination configurations)",
                        "allow s3.amazonaws.com sns:Publish on the topic with aws:SourceArn = "
                        "the bucket's ARN and aws:SourceAccount = its account",
                    )
                )
            elif not any(p.address in waits for p in policies):
                findings.append(
                    finding(
                        f"{notification.address} does not depend on the topic's policy: "
                        "Terraform may put the notification first, and S3 refuses it",
                        f"depends_on = [{policies[0].address}] in {notification.address}",
                    )
                )
            missing, managed = _key_problems(module, topic, S3, context)
            if managed:
                findings.append(
                    finding(
                        f"the topic is encrypted with the AWS-managed key {managed}, whose "
                        "policy cannot admit s3.amazonaws.com: S3 refuses the notification",
                        "encrypt the topic with a customer-managed key that grants "
                        "s3.amazonaws.com kms:GenerateDataKey* and kms:Decrypt",
                    )
                )
            if missing:
                findings.append(
                    finding(
                        f"the topic's key does not let s3.amazonaws.com {', '.join(missing)} "
                        f"for {context['aws:SourceArn']}: S3 refuses the notification",
                        "grant s3.amazonaws.com kms:GenerateDataKey* and kms:Decrypt in the "
                        "key policy, with aws:SourceArn and aws:SourceAccount of the bucket",
                    )
                )
    return findings


def _references(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text for item in value if (text := expression(item)) is not None]


def subscribed_queues(module: ParsedModule) -> list[tuple[Block, Block, Block]]:
    """(subscription, its topic, its queue) for every SQS subscription of a module topic."""
    return [(f.block, f.source, f.queue) for f in subscribed(module)]


@rule(
    "OTG101",
    "each consumer's queue admits its feed's deliveries",
    protects=(
        "SNS delivers to a queue only when the queue's policy lets `sns.amazonaws.com` "
        "`sqs:SendMessage` from that topic (`aws:SourceArn`) and, for an encrypted queue, "
        "its key lets SNS `kms:GenerateDataKey*` and `kms:Decrypt`. Otherwise every delivery "
        "is dropped: the subscription exists, the consumer's queue stays empty, and nothing "
        "fails but SNS's delivery metrics. A queue fed by an EventBridge rule (`feed: "
        "eventbridge`) must be in the rule's region, with no role on the target, its policy "
        "must let `events.amazonaws.com` `sqs:SendMessage` from that rule (`aws:SourceArn`), "
        "and its key must let EventBridge `kms:GenerateDataKey*` and `kms:Decrypt` for SQS's "
        "encryption context alone - EventBridge's KMS requests carry no `aws:SourceArn` - or "
        "every event is retried for a day and then given up. A function consumer's "
        "subscription (protocol `lambda`) must name a function ARN of the topic's account "
        "(another account's stays pending confirmation), without raw delivery (SNS refuses "
        "it for Lambda), and an `aws_lambda_permission` must let `sns.amazonaws.com` "
        "`lambda:InvokeFunction` with `source_arn` = this topic - without it every "
        "invocation is refused silently, without `source_arn` any topic may invoke the "
        "function. A topic policy that lets another account `sns:Subscribe` must pin "
        "`sns:Protocol` = lambda and `sns:Endpoint` = its function, or that account may "
        "subscribe anything of its own to every log file's announcement."
    ),
    satisfy="Nothing to set: each queue's policy follows `consumers`; " + REPORT_BUG,
)
def queue_admits_topic(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Each consumer queue's policy and key admit its feed: SNS from its topic, or its rule."""
    findings = function_deliveries(module, facts, "OTG101") + subscribe_grants(module, "OTG101")
    for feed in targeted(module):
        findings += deliveries(module, facts, feed, "OTG101")
    for _, topic, queue in subscribed_queues(module):
        topic_arn, queue_arn = _arn(module, facts, topic, "sns"), _arn(module, facts, queue, "sqs")
        context = {
            "aws:SourceArn": topic_arn,
            "aws:SourceAccount": account_of(module, topic) or facts.bucket_account,
        }

        def finding(problem: str, fix: str, queue: Block = queue) -> Finding:
            return Finding("OTG101", queue.file, queue.address, problem, fix)

        found = queue_statements(module, queue, queue_arn)
        if not _admits(found, SNS, "sqs:SendMessage", context):
            findings.append(
                finding(
                    f"the queue's policy does not let sns.amazonaws.com sqs:SendMessage to "
                    f"{queue_arn} from {topic_arn}: SNS drops every delivery",
                    "allow sns.amazonaws.com sqs:SendMessage on the queue with aws:SourceArn "
                    "= the topic's ARN",
                )
            )
        missing, managed = _key_problems(module, queue, SNS, context)
        if managed:
            findings.append(
                finding(
                    f"the queue is encrypted with the AWS-managed key {managed}, whose policy "
                    "cannot admit sns.amazonaws.com: SNS drops every delivery",
                    "encrypt the queue with a customer-managed key that grants "
                    "sns.amazonaws.com kms:GenerateDataKey* and kms:Decrypt",
                )
            )
        if missing:
            findings.append(
                finding(
                    f"the queue's key does not let sns.amazonaws.com {', '.join(missing)} for "
                    f"{topic_arn}: SNS drops every delivery",
                    "grant sns.amazonaws.com kms:GenerateDataKey* and kms:Decrypt in the key "
                    "policy, with aws:SourceArn = the topic's ARN",
                )
            )
    return findings


@rule(
    "OTG102",
    "the bucket's one notification configuration announces the trail's files",
    protects=(
        "A bucket has exactly one notification configuration: a second "
        "`aws_s3_bucket_notification` of the same bucket overwrites the first at every apply "
        "(a perpetual diff); destroying it empties the configuration, other tools' "
        "notifications included (OTG041 demands `prevent_destroy`). Its filter must be the "
        "trail's own prefix, `[s3_key_prefix/]AWSLogs/<org-id>/`, and `.json.gz`, for "
        "`s3:ObjectCreated:*`: with another prefix no log file is ever announced. A "
        "consumer's EventBridge rule fires only while the notification has `eventbridge = "
        "true`; PutRule refuses an invalid pattern (a wildcard with two `*` in a row, more "
        "than 30 rules with wildcards on a bus), and a pattern must match the trail's log "
        "files (`Object Created`, the bucket, the key under the trail's prefix) and nothing "
        "the trail does not write."
    ),
    satisfy="Nothing to set: the filter follows `trail.s3_key_prefix`; " + REPORT_BUG,
)
def one_notification(module: ParsedModule, facts: Facts) -> list[Finding]:
    """One notification per bucket, filtered on the trail's own prefix and suffix; rules fire."""
    findings = patterns(module, facts, "OTG102")
    seen: dict[str, Block] = {}
    prefix = facts.arns.log_prefix(facts.arns.org_id)
    for notification in module.of_type("resource", _NOTIFICATION):

        def finding(problem: str, fix: str, block: Block = notification) -> Finding:
            return Finding("OTG102", block.file, block.address, problem, fix)

        name = bucket_name(module, notification.body.get("bucket")) or "?"
        if name in seen:
            findings.append(
                finding(
                    f"{seen[name].address} also writes bucket {name}'s notification "
                    "configuration: each apply overwrites the other's (a perpetual diff)",
                    "one aws_s3_bucket_notification per bucket; add a consumer to consumers:",
                )
            )
        seen.setdefault(name, notification)
        for item, topic in _topics(module, notification):
            events = literals(item.get("events"))
            shown = literal(item.get("filter_prefix"))
            if shown != prefix or literal(item.get("filter_suffix")) != ".json.gz":
                findings.append(
                    finding(
                        f"the configuration for {topic.address} filters on prefix {shown!r} "
                        f"and suffix {literal(item.get('filter_suffix'))!r}, but the trail "
                        f"writes under {prefix!r}, files ending .json.gz: no log file (or "
                        "more than the trail's) is announced",
                        f'filter_prefix = "{prefix}" and filter_suffix = ".json.gz"',
                    )
                )
            if events != ["s3:ObjectCreated:*"]:
                findings.append(
                    finding(
                        f"the configuration for {topic.address} announces {events}: "
                        "CloudTrail creates objects with PutObject (and multipart uploads)",
                        'events = ["s3:ObjectCreated:*"]',
                    )
                )
    return findings


@rule(
    "OTG103",
    "each consumer's queue keeps what it cannot deliver, encrypted",
    protects=(
        "Without a redrive policy to a dead-letter queue, a message that its consumer keeps "
        "failing on is retried until SQS's retention ends and then deleted: the log file is "
        "never ingested and nothing says so. Without a customer-managed key the queue's "
        "messages (which name every log file) are not under the key policy's control. Both "
        "queues keep messages 14 days, the longest SQS allows. A rule's target retries for "
        "a day and then puts the event on its dead-letter queue, which must admit the rule: "
        "without one the event is dropped."
    ),
    satisfy="Nothing to set: every queue follows `consumers`; " + REPORT_BUG,
)
def queue_has_dlq(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Redrive to a dead-letter queue of the module; both queues encrypted with a module key."""
    findings = []
    for feed in targeted(module):
        findings += dead_letters(module, facts, feed, "OTG103")
    for queue in _unique(f.queue for f in all_feeds(module)):

        def finding(problem: str, fix: str, block: Block = queue) -> Finding:
            return Finding("OTG103", block.file, block.address, problem, fix)

        dlq = next(
            (
                module.get(".".join(target.split(".")[:2]))
                for target in _jsonencoded_references(queue.body.get("redrive_policy"))
                if target.startswith("aws_sqs_queue.")
            ),
            None,
        )
        if dlq is None:
            findings.append(
                finding(
                    "no redrive_policy to a dead-letter queue: a message its consumer keeps "
                    "failing on is deleted when its retention ends, and the file is never read",
                    "redrive_policy = jsonencode({ deadLetterTargetArn = <dlq>.arn, "
                    "maxReceiveCount = 5 })",
                )
            )
        for block in (queue, dlq):
            if block is None:
                continue
            if _referenced(module, block.body.get("kms_master_key_id"), "aws_kms_key") is None:
                findings.append(
                    finding(
                        f"{block.address} is not encrypted with a customer-managed key of "
                        "the module: its messages name every log file",
                        "kms_master_key_id = the consumers' key ARN",
                        block,
                    )
                )
            if block.body.get("message_retention_seconds") != 1_209_600:
                findings.append(
                    finding(
                        f"{block.address} keeps messages less than 14 days: a consumer down "
                        "longer loses files",
                        "message_retention_seconds = 1209600",
                        block,
                    )
                )
    return findings


def _unique(blocks: Iterable[Block]) -> list[Block]:
    """Each block once, in first-seen order (a queue may be fed twice)."""
    seen: dict[str, Block] = {}
    for block in blocks:
        seen.setdefault(block.address, block)
    return list(seen.values())


def _jsonencoded_references(value: object) -> list[str]:
    """The references inside a ``jsonencode({...})`` argument (python-hcl2 keeps its text)."""
    return re.findall(r"\b(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[A-Za-z_]+", str(value or ""))


@rule(
    "OTG104",
    "whoever receives a consumer queue's messages can read what they announce",
    protects=(
        "A consumer is a reader of the logs: each principal the queue's policy lets "
        "`sqs:ReceiveMessage` must also be allowed `s3:GetObject` on the trail's objects by "
        "the bucket policy, `kms:Decrypt` by the trail's key, and `kms:Decrypt` through SQS "
        "by the queue's key. Otherwise it receives every announcement and fails on every "
        "file: each message ends in the dead-letter queue and the SIEM ingests nothing."
    ),
    satisfy="Nothing to set: a consumer's `roles` are readers of the logs; " + REPORT_BUG,
)
def receivers_read(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Every receiver is a reader: bucket policy, trail key, queue key."""
    findings = []
    arns = facts.arns
    objects = f"{arns.bucket}/{arns.log_prefix(arns.org_id)}x.json.gz"
    bucket_statements = [
        s
        for p in module.of_type("resource", "aws_s3_bucket_policy")
        for s in _document(module, p.body.get("policy"))
    ]
    trails = module.of_type("resource", "aws_cloudtrail")
    trail_key = (
        _referenced(module, trails[0].body.get("kms_key_id"), "aws_kms_key") if trails else None
    )
    trail_key_statements = _document(module, trail_key.body.get("policy")) if trail_key else []
    context = {"kms:EncryptionContext:aws:cloudtrail:arn": arns.trail}
    for queue in _unique(f.queue for f in all_feeds(module)):
        queue_arn = _arn(module, facts, queue, "sqs")
        receivers = {
            identifier
            for p in module.of_type("resource", "aws_sqs_queue_policy")
            if expression(p.body.get("queue_url")) == f"{queue.address}.id"
            for s in _document(module, p.body.get("policy"))
            if s.effect == "Allow" and "sqs:ReceiveMessage" in s.actions
            for kind, ids in s.principals
            if kind == "AWS"
            for identifier in ids
        }
        queue_key = _referenced(module, queue.body.get("kms_master_key_id"), "aws_kms_key")
        key_statements = _document(module, queue_key.body.get("policy")) if queue_key else []
        region = region_of(module, queue) or arns.home_region
        via = {"kms:ViaService": f"sqs.{region}.{arns.dns_suffix}"}
        for principal in sorted(receivers):
            who = ("AWS", principal)
            gaps = []
            if bucket_statements and not any(
                _allows(s, who, "s3:GetObject") and _covers(s.resources, objects)
                for s in bucket_statements
            ):
                gaps.append("s3:GetObject on the trail's objects (bucket policy)")
            if trail_key is not None and not _admits(
                trail_key_statements, who, "kms:Decrypt", context
            ):
                gaps.append("kms:Decrypt of the log files (the trail key's policy)")
            if queue_key is not None and not _admits(key_statements, who, "kms:Decrypt", via):
                gaps.append(f"kms:Decrypt through SQS of {queue_arn} (the queue key's policy)")
            if gaps:
                findings.append(
                    Finding(
                        "OTG104",
                        queue.file,
                        queue.address,
                        f"{principal} receives this queue's messages but lacks "
                        f"{'; '.join(gaps)}: every file it is told of fails, and each message "
                        "ends in the dead-letter queue",
                        "list it as a reader: the bucket's reader statement and the keys' "
                        "decrypt statements name every consumer role",
                    )
                )
    return findings


def _covers(resources: tuple[str, ...], target: str) -> bool:
    return any(fnmatchcase(target, pattern) for pattern in resources)
