"""A consumer fed by EventBridge: its rule's pattern, its ARN, its target's retries.

Why EventBridge at all, beside the topic: a digest's key differs from a log file's only after
the account id (``AWSLogs/<org-id>/<account>/CloudTrail-Digest/...``), and neither S3's filter
(one prefix, one suffix) nor SNS's (no wildcard) can match past it. An EventBridge rule can:
its ``wildcard`` operator ("Content filtering in Amazon EventBridge event patterns", matching
with wildcards) matches ``<prefix>AWSLogs/<org-id>/*/CloudTrail/*.json.gz``, so a consumer
fed by a rule is told of log files only, and of digests when it asks. S3 sends the bucket's
events to the account's default bus once ``eventbridge = true`` is set on the bucket's one
notification configuration (S3 User Guide, "Using EventBridge"); the rule matches source
``aws.s3``, detail-type ``Object Created``, the bucket's name and the key.

The key in S3's EventBridge events is ``detail.object.key`` (S3 User Guide, "EventBridge event
message structure"). S3 URL-encodes keys in its SNS/SQS notifications; the EventBridge page
says no such thing, so the config refuses a key prefix with characters that encoding would
change (``model._feed_issues``): a CloudTrail key is otherwise made of characters that no
encoding touches (letters, digits, ``/ _ - .``).
"""

from __future__ import annotations

from typing import Any

from generator.core.arns import Arns

RULE = "aws_cloudwatch_event_rule"
TARGET = "aws_cloudwatch_event_target"
SOURCE = "aws.s3"
DETAIL_TYPE = "Object Created"
SUFFIX = ".json.gz"
# The target's id in its rule (PutTargets: 1-64 of [.-_A-Za-z0-9]); verify finds it by this.
TARGET_ID = "orgtrail-gen-log-files"
# EventBridge retries a failed delivery for at most 24 hours and 185 times (PutTargets
# RetryPolicy maxima): the longest a queue that refuses (a key or policy being fixed) can be
# waited for; then the event goes to the dead-letter queue.
MAX_EVENT_AGE_SECONDS = 86_400
MAX_RETRY_ATTEMPTS = 185
# EventBridge refuses PutRule beyond this many rules with wildcards on one bus (quota "Rules
# containing wildcards", 30 per event bus, not adjustable): the config and the preflight count.
MAX_WILDCARD_RULES = 30


def escape_wildcard(text: str) -> str:
    r"""``text`` as a literal in a wildcard pattern: ``\`` and ``*`` escaped with ``\``."""
    return text.replace("\\", "\\\\").replace("*", "\\*")


def key_patterns(arns: Arns, digests: bool) -> tuple[str, ...]:
    """The wildcard patterns of the keys a rule matches: log files, digests if asked."""
    base = escape_wildcard(arns.log_prefix(arns.org_id))
    found = [f"{base}*/CloudTrail/*{SUFFIX}"]
    if digests:
        found.append(f"{base}*/CloudTrail-Digest/*{SUFFIX}")
    return tuple(found)


def event_pattern(arns: Arns, digests: bool) -> dict[str, Any]:
    """The rule's event pattern: S3's Object Created events of the log bucket's trail files."""
    return {
        "source": [SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {
            "bucket": {"name": [arns.bucket_name]},
            "object": {"key": [{"wildcard": p} for p in key_patterns(arns, digests)]},
        },
    }


def rule_arn(arns: Arns, account: str, rule_name: str) -> str:
    """A rule's ARN on the account's default bus (no bus name in it), spelled out.

    The queue policies name it; a reference to the rule's ``arn`` would be a cycle (the
    notification waits for the policies, the target for the queue).
    """
    return f"arn:{arns.partition}:events:{arns.home_region}:{account}:rule/{rule_name}"
