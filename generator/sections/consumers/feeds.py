r"""How a consumer's queue is fed, read back from the generated HCL: a subscription or a rule.

Why a module of its own: the preflight rules (OTG101-OTG104), the summary and the tests all ask
the same questions of a module - which queues does the log-file topic or an EventBridge rule
feed, and what does a rule's event pattern match - and each must answer them as AWS will, from
the HCL. EventBridge's matching is written out here from its documentation ("Event pattern
syntax", "Content filtering in Amazon EventBridge event patterns"): every field of the pattern
must be in the event, a field's array matches when one of its values does, ``wildcard`` treats
``*`` as any run of characters (``\*`` and ``\\`` are the literal characters) and refuses
two ``*`` in a row; an operator this reader does not know matches nothing, so a check never
claims a pattern matches what it cannot evaluate.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, parse_text
from generator.sections.consumers.eventbridge import RULE, TARGET

_JSONENCODE = re.compile(r"^\$\{jsonencode\((?P<body>.*)\)\}$", re.S)
_OPERATORS = ("prefix", "suffix", "wildcard", "anything-but", "exists", "equals-ignore-case")


class Feed(NamedTuple):
    """One way to a consumer's queue: the subscription or target, its topic or rule, the queue."""

    block: Block  # aws_sns_topic_subscription or aws_cloudwatch_event_target
    source: Block  # aws_sns_topic or aws_cloudwatch_event_rule
    queue: Block

    @property
    def by_rule(self) -> bool:
        """Whether EventBridge feeds the queue (else the topic)."""
        return self.block.labels[0] == TARGET


def referenced(module: ParsedModule, value: object, kind: str) -> Block | None:
    """The block of ``kind`` an ``<kind>.<name>.<attribute>`` reference names, if any."""
    reference = expression(value) or ""
    if reference.startswith(f"{kind}."):
        return module.get(".".join(reference.split(".")[:2]))
    return None


def subscribed(module: ParsedModule) -> list[Feed]:
    """Every SQS subscription of a module topic to a module queue."""
    found = []
    for subscription in module.of_type("resource", "aws_sns_topic_subscription"):
        if literal(subscription.body.get("protocol")) != "sqs":
            continue
        topic = referenced(module, subscription.body.get("topic_arn"), "aws_sns_topic")
        queue = referenced(module, subscription.body.get("endpoint"), "aws_sqs_queue")
        if topic is not None and queue is not None:
            found.append(Feed(subscription, topic, queue))
    return found


def targeted(module: ParsedModule) -> list[Feed]:
    """Every EventBridge target of a module rule that is a module queue."""
    found = []
    for target in module.of_type("resource", TARGET):
        rule = referenced(module, target.body.get("rule"), RULE)
        queue = referenced(module, target.body.get("arn"), "aws_sqs_queue")
        if rule is not None and queue is not None:
            found.append(Feed(target, rule, queue))
    return found


def feeds(module: ParsedModule) -> list[Feed]:
    """Every consumer queue's way in: subscriptions, then rule targets."""
    return subscribed(module) + targeted(module)


def decoded_json(value: object, file: str) -> Any:
    """An argument holding JSON - ``jsonencode({...})`` or a JSON string - as Python data.

    None when it is neither (a reference, or text that is not JSON: PutRule would refuse it).
    """
    if isinstance(value, str):
        match = _JSONENCODE.match(value)
        if match is not None:
            return _plain(parse_text(f"document = {match['body']}\n", file).get("document"))
    text = literal(value)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _plain(value: Any) -> Any:
    """python-hcl2's object shape as JSON: keys and strings unquoted, escapes decoded."""
    if isinstance(value, dict):
        return {str(literal(k) or k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        text = literal(value)
        return text if text is not None else value
    return value


def pattern_problem(pattern: Any) -> str | None:
    """Why PutRule would refuse this event pattern (InvalidEventPatternException), or None."""
    if not isinstance(pattern, dict) or not pattern:
        return "it is not a JSON object with at least one field"
    for name, value in pattern.items():
        if isinstance(value, dict):
            if (problem := pattern_problem(value)) is not None:
                return f"{name}: {problem}"
            continue
        if not isinstance(value, list) or not value:
            return f"{name}: a field's values must be a non-empty array"
        for item in value:
            if isinstance(item, dict):
                if len(item) != 1 or next(iter(item)) not in _OPERATORS:
                    return f"{name}: {json.dumps(item)} is not an operator EventBridge knows"
                wildcard = item.get("wildcard")
                if "wildcard" in item and not isinstance(wildcard, str):
                    return f"{name}: a wildcard must be a string"
                if isinstance(wildcard, str) and re.search(r"(?<!\\)\*\*", wildcard):
                    return f"{name}: {wildcard!r} has two wildcard characters in a row"
    return None


def wildcard_match(pattern: str, text: str) -> bool:
    r"""EventBridge's ``wildcard``: ``*`` is any run of characters, ``\*`` and ``\\`` literal."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern[i] == "\\" and pattern[i + 1 : i + 2] in ("*", "\\"):
            regex += re.escape(pattern[i + 1])
            i += 2
        elif pattern[i] == "*":
            regex += ".*"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, text, re.S) is not None


def _value_matches(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return bool(rule == value)
    ((operator, operand),) = rule.items() if len(rule) == 1 else ((None, None),)
    if operator == "exists":
        return (value is not None) == bool(operand)
    if not isinstance(value, str):
        return False
    if operator == "prefix":
        return isinstance(operand, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(operand, str) and value.endswith(operand)
    if operator == "wildcard":
        return isinstance(operand, str) and wildcard_match(operand, value)
    if operator == "equals-ignore-case":
        return isinstance(operand, str) and value.lower() == operand.lower()
    if operator == "anything-but":
        operands = operand if isinstance(operand, list) else [operand]
        return all(isinstance(o, str) and value != o for o in operands)
    return False


def matches(pattern: Any, event: Any) -> bool:
    """Whether an event matches a pattern, as EventBridge documents matching."""
    if not isinstance(pattern, dict) or not isinstance(event, dict):
        return False
    for name, rule in pattern.items():
        value = event.get(name)
        if isinstance(rule, dict):
            if not matches(rule, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not isinstance(rule, list) or not any(
            _value_matches(r, v) for r in rule for v in values
        ):
            return False
    return True


def object_created(bucket: str, key: str, account: str, region: str) -> dict[str, Any]:
    """An S3 Object Created event on the default bus, as a consumer's rule is matched against.

    Its shape: S3 User Guide, "EventBridge event message structure".
    """
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 1024},
            "reason": "PutObject",
        },
    }


def announces(module: ParsedModule, feed: Feed, bucket: str) -> bool:
    """Whether S3 tells this feed of the bucket's new objects at all.

    A topic: a notification of the module publishes to it. A rule: a notification sends the
    bucket's events to EventBridge and the rule's pattern can match an event of the bucket.
    """
    notifications = module.of_type("resource", "aws_s3_bucket_notification")
    if not feed.by_rule:
        return any(
            isinstance(item, dict)
            and referenced(module, item.get("topic_arn"), "aws_sns_topic") == feed.source
            for n in notifications
            for item in n.body.get("topic", [])
        )
    if not any(n.body.get("eventbridge") is True for n in notifications):
        return False
    pattern = decoded_json(feed.source.body.get("event_pattern"), feed.source.file)
    return matches(_without_key(pattern), object_created(bucket, "x", "000000000000", "any"))


def _without_key(pattern: Any) -> Any:
    """The pattern without its ``detail.object.key`` field: which bucket events it listens to."""
    if not isinstance(pattern, dict):
        return pattern
    detail = pattern.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("object"), dict):
        return pattern
    rest = {k: v for k, v in detail["object"].items() if k != "key"}
    return {**pattern, "detail": {**detail, "object": rest} if rest else _drop(detail, "object")}


def _drop(mapping: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != name}
