"""The EventBridge half of the consumers' preflight rules (OTG101-OTG103 call these).

What AWS checks, and what fails silently after it, for a queue fed by a rule:

- PutRule refuses a pattern that is not valid (``InvalidEventPatternException``): a field
  whose values are not a non-empty array, an operator EventBridge does not know, a wildcard
  with two ``*`` in a row ("Content filtering in Amazon EventBridge event patterns"), and more
  than 30 rules with wildcards on one bus (quota "Rules containing wildcards", not adjustable).
- A rule on S3's events matches nothing until the bucket sends its events to EventBridge
  (``eventbridge = true`` on its notification configuration; S3 User Guide, "Using
  EventBridge"), and a pattern over another prefix matches no log file: both silent.
- EventBridge delivers to an SQS target of the rule's region only, through the queue's policy
  (``events.amazonaws.com`` ``sqs:SendMessage``, ``aws:SourceArn`` = the rule; the EventBridge
  User Guide, "Amazon SQS permissions", which also warns that a role on an SQS target makes
  the delivery to an encrypted queue fail); the queue's key must let EventBridge
  ``kms:GenerateDataKey``/``kms:Decrypt`` for a request that carries SQS's encryption context
  but no ``aws:SourceArn`` (EventBridge's requests to KMS carry none). Otherwise every event
  is retried for up to a day, then put on the target's dead-letter queue - whose policy must
  admit the rule as well - or dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from generator.check.hcl_parse import Block, ParsedModule, literal, nested
from generator.check.preflight import Facts, Finding
from generator.check.preflight.lookups import account_of, bucket_name, region_of
from generator.sections.consumers.eventbridge import MAX_WILDCARD_RULES
from generator.sections.consumers.feeds import (
    Feed,
    decoded_json,
    matches,
    object_created,
    pattern_problem,
    referenced,
    targeted,
)
from generator.sections.consumers.grants import admits, arn_of, key_problems, queue_statements
from generator.sections.consumers.policies import SQS_CONTEXT

EVENTS = ("Service", "events.amazonaws.com")
_DROPPED = "no event reaches the queue (EventBridge retries for a day, then gives up)"


def rule_arn(module: ParsedModule, facts: Facts, rule: Block) -> str:
    """The ARN AWS gives a rule: on the default bus ``rule/<name>``, else ``rule/<bus>/<name>``."""
    region = region_of(module, rule) or facts.arns.home_region
    account = account_of(module, rule) or facts.bucket_account
    name = literal(rule.body.get("name")) or ""
    bus = literal(rule.body.get("event_bus_name"))
    path = f"rule/{bus}/{name}" if bus and bus != "default" else f"rule/{name}"
    return f"arn:{facts.arns.partition}:events:{region}:{account}:{path}"


def deliveries(module: ParsedModule, facts: Facts, feed: Feed, rule_id: str) -> list[Finding]:
    """The queue is the rule's region's and account's; its policy and key admit EventBridge."""
    rule, queue, target = feed.source, feed.queue, feed.block
    findings: list[Finding] = []

    def finding(problem: str, fix: str, block: Block = queue) -> Finding:
        return Finding(rule_id, block.file, block.address, problem, fix)

    arn, queue_arn = rule_arn(module, facts, rule), arn_of(module, facts, queue, "sqs")
    rule_place = (region_of(module, rule), account_of(module, rule))
    queue_place = (region_of(module, queue), account_of(module, queue))
    if rule_place != queue_place:
        findings.append(
            finding(
                f"{rule.address} is in {rule_place[0]} of account {rule_place[1]}, its target "
                f"{queue.address} in {queue_place[0]} of account {queue_place[1]}: EventBridge "
                "delivers to an SQS target of the rule's region only, and this module gives "
                f"the queue no cross-account grant: {_DROPPED}",
                "create the rule with the queue's provider (beside the bucket)",
                rule,
            )
        )
    if "role_arn" in target.body:
        findings.append(
            finding(
                f"{target.address} names a role: EventBridge reaches an SQS target through the "
                "queue's policy, and with a role the delivery to an encrypted queue fails",
                "remove role_arn from the target",
                target,
            )
        )
    context = {"aws:SourceArn": arn, "aws:SourceAccount": rule_place[1] or facts.bucket_account}
    if not admits(queue_statements(module, queue, queue_arn), EVENTS, "sqs:SendMessage", context):
        findings.append(
            finding(
                f"the queue's policy does not let events.amazonaws.com sqs:SendMessage to "
                f"{queue_arn} from {arn}: {_DROPPED}",
                "allow events.amazonaws.com sqs:SendMessage on the queue with aws:SourceArn = "
                "the rule's ARN",
            )
        )
    findings += _key_findings(module, queue, queue_arn, finding)
    return findings


def _key_findings(
    module: ParsedModule,
    queue: Block,
    queue_arn: str,
    finding: Callable[[str, str, Block], Finding],
) -> list[Finding]:
    """The queue's key admits EventBridge with SQS's encryption context and no source keys."""
    missing, managed = key_problems(module, queue, EVENTS, {SQS_CONTEXT: queue_arn})
    found: list[Finding] = []
    if managed:
        found.append(
            finding(
                f"{queue.address} is encrypted with the AWS-managed key {managed}, whose policy "
                f"cannot admit events.amazonaws.com: {_DROPPED}",
                "encrypt the queue with a customer-managed key that grants events.amazonaws.com "
                "kms:GenerateDataKey* and kms:Decrypt",
                queue,
            )
        )
    if missing:
        found.append(
            finding(
                f"{queue.address}'s key does not let events.amazonaws.com {', '.join(missing)} "
                f"for a request with {SQS_CONTEXT} = {queue_arn} and no aws:SourceArn or "
                f"aws:SourceAccount (EventBridge's KMS requests carry neither): {_DROPPED}",
                "grant events.amazonaws.com kms:GenerateDataKey* and kms:Decrypt in the key "
                f"policy, pinned with {SQS_CONTEXT} to the queues the rules feed",
                queue,
            )
        )
    return found


def dead_letters(module: ParsedModule, facts: Facts, feed: Feed, rule_id: str) -> list[Finding]:
    """The target retries, then puts what it could not deliver on a dead-letter queue it may use."""
    target, rule = feed.block, feed.source
    found: list[Finding] = []

    def finding(problem: str, fix: str, block: Block = target) -> Finding:
        return Finding(rule_id, block.file, block.address, problem, fix)

    configs = nested(target.body, "dead_letter_config")
    dlq = referenced(module, configs[0].get("arn"), "aws_sqs_queue") if configs else None
    if dlq is None:
        found.append(
            finding(
                "no dead_letter_config to a queue of the module: an event EventBridge could not "
                "deliver is dropped when its retries end, and nothing says so",
                "dead_letter_config { arn = <the consumer's dead-letter queue>.arn }",
            )
        )
    if not nested(target.body, "retry_policy"):
        found.append(
            finding(
                "no retry_policy: EventBridge's default gives up well before a day, while a "
                "queue's policy or key is being fixed",
                "retry_policy { maximum_event_age_in_seconds = 86400, "
                "maximum_retry_attempts = 185 }",
            )
        )
    if dlq is None:
        return found
    arn, dlq_arn = rule_arn(module, facts, rule), arn_of(module, facts, dlq, "sqs")
    context = {"aws:SourceArn": arn, "aws:SourceAccount": account_of(module, rule) or ""}
    if not admits(queue_statements(module, dlq, dlq_arn), EVENTS, "sqs:SendMessage", context):
        found.append(
            finding(
                f"{dlq.address}'s policy does not let events.amazonaws.com sqs:SendMessage from "
                f"{arn}: an event EventBridge could not deliver is dropped, not kept",
                "an aws_sqs_queue_policy on the dead-letter queue allowing events.amazonaws.com "
                "sqs:SendMessage with aws:SourceArn = the rule's ARN",
                dlq,
            )
        )
    found += _key_findings(module, dlq, dlq_arn, finding)
    return found


def _sample_keys(facts: Facts) -> tuple[str, list[str]]:
    """A log file the trail writes, and objects it never writes (or digests, Insights)."""
    arns = facts.arns
    account, region = arns.management_account_id, arns.home_region
    base = f"{arns.log_prefix(arns.org_id)}{account}"
    stamp = f"{account}_CloudTrail_{region}_20261201T0000Z_a1b2c3d4e5f6g7h8"
    log = f"{base}/CloudTrail/{region}/2026/12/01/{stamp}.json.gz"
    others = [
        f"{arns.log_prefix(account)}CloudTrail/{region}/2026/12/01/{stamp}.json.gz",
        f"{base}/CloudTrail/{region}/2026/12/01/{stamp}.json",
        f"{base}/CloudTrail-Insight/{region}/2026/12/01/{stamp}.json.gz",
    ]
    return log, others


def patterns(module: ParsedModule, facts: Facts, rule_id: str) -> list[Finding]:
    """Each consumer rule's pattern is valid, fires at all, and matches the trail's log files."""
    findings: list[Finding] = []
    enabled = {
        bucket_name(module, n.body.get("bucket")) or facts.arns.bucket_name
        for n in module.of_type("resource", "aws_s3_bucket_notification")
        if n.body.get("eventbridge") is True
    }
    log, others = _sample_keys(facts)
    bucket = facts.arns.bucket_name
    seen: set[str] = set()
    wildcards = 0
    for feed in targeted(module):
        rule = feed.source
        if rule.address in seen:
            continue
        seen.add(rule.address)

        def finding(problem: str, fix: str, block: Block = rule) -> Finding:
            return Finding(rule_id, block.file, block.address, problem, fix)

        pattern = decoded_json(rule.body.get("event_pattern"), rule.file)
        problem = pattern_problem(pattern)
        if problem is not None:
            findings.append(
                finding(
                    f"PutRule refuses the event pattern (InvalidEventPatternException): {problem}",
                    "an event pattern of source aws.s3, detail-type Object Created, the "
                    "bucket's name and wildcards on detail.object.key",
                )
            )
            continue
        if "wildcard" in json.dumps(pattern):
            wildcards += 1
            if wildcards > MAX_WILDCARD_RULES:
                findings.append(
                    finding(
                        f"more than {MAX_WILDCARD_RULES} rules with wildcards on one event bus: "
                        "PutRule refuses it (quota Rules containing wildcards, not adjustable)",
                        f"at most {MAX_WILDCARD_RULES} consumers with feed: eventbridge",
                    )
                )
        region, account = facts.arns.home_region, facts.bucket_account
        if bucket not in enabled:
            findings.append(
                finding(
                    f"no notification configuration of bucket {bucket} has eventbridge = true: "
                    "S3 sends none of its events to EventBridge, and the rule never fires",
                    "eventbridge = true in the bucket's aws_s3_bucket_notification",
                )
            )
        if not matches(pattern, object_created(bucket, log, account, region)):
            findings.append(
                finding(
                    f"the pattern matches no log file of the trail (such as {log} in {bucket}): "
                    "the consumer is told of nothing",
                    "match detail.object.key with a wildcard under "
                    f"{facts.arns.log_prefix(facts.arns.org_id)}",
                )
            )
        created = object_created(bucket, log, account, region)
        deleted = {**created, "detail-type": "Object Deleted"}
        wrong = [k for k in others if matches(pattern, object_created(bucket, k, account, region))]
        if wrong or matches(pattern, deleted):
            findings.append(
                finding(
                    "the pattern also matches what is no log file of the trail "
                    f"({', '.join(wrong) or 'an Object Deleted event'}): the consumer fails on "
                    "each, and each message ends in the dead-letter queue",
                    'detail-type ["Object Created"] and a key wildcard ending '
                    "/CloudTrail/*.json.gz",
                )
            )
    return findings
