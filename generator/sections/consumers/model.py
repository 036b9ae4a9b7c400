"""The ``consumers:`` section: who is told of every new log file, and reads it (a SIEM).

Why a section of its own: Splunk's SQS-based S3 input, Elastic's ``aws-s3`` input and most
other collectors want an S3 event notification of the log bucket delivered to a queue, and a
bucket has exactly ONE notification configuration - two tools that each write their own
overwrite each other. So this module owns that configuration, publishes every new log file to
one topic, and gives each consumer a queue of its own behind it: adding a consumer is one entry
here, never a second notification. A consumer's roles are readers of the logs, with exactly
the grants ``bucket.readers`` get (one definition, :attr:`ModuleFacts.log_readers`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

from pydantic import Field, StrictBool, StrictInt, StrictStr

from generator.config.fields import Issue, Principal, StrictModel, _match, _principal_key
from generator.config.regions import Partition, partition_of
from generator.core.arns import arn_partition, principal_account
from generator.sections.consumers.eventbridge import MAX_WILDCARD_RULES

if TYPE_CHECKING:
    from generator.sections.registry import Config

# SQS's own rule for a standard queue's name (CreateQueue; the provider checks
# ^[0-9A-Za-z_-]{1,80}$ at plan time): each consumer's dead-letter queue is the queue's name
# plus "-dlq", so the queue's own name may have 76 characters at most.
DLQ_SUFFIX = "-dlq"
MAX_QUEUE_NAME = 80 - len(DLQ_SUFFIX)
# SQS keeps a message at most 14 days (MessageRetentionPeriod 1209600): a SIEM that is down
# for less than that misses no log file.
RETENTION_SECONDS = 1_209_600
# EventBridge's rule names (PutRule: 1-64 of [.-_A-Za-z0-9]): a consumer's rule is named after
# its queue, whose characters are a subset.
MAX_RULE_NAME = 64
# Characters of an S3 key that S3's SNS/SQS events URL-encode (application/x-www-form-urlencoded
# keeps only A-Z a-z 0-9 and "-_.*", S3 also "/"): whether its EventBridge events encode them
# too is not documented, so a wildcard pattern over a prefix holding one might match nothing.
_UNENCODED_KEY = re.compile(r"[A-Za-z0-9/._-]*")

ConsumerName = Annotated[
    StrictStr,
    _match(
        r"[a-z][a-z0-9-]{0,29}",
        "1-30 characters: a lowercase letter, then lowercase letters, digits and '-' (it names "
        "the consumer's queue and its Terraform blocks)",
    ),
]
# A Lambda function's ARN (Lambda's own pattern, AddPermission and Subscribe): a name of 1-64
# letters, digits, '-' and '_', optionally qualified by a published version (digits) or an alias
# (1-128 of the same characters, not all digits). $LATEST is refused: it is the unqualified
# function, and a permission on it is not one on the function.
FunctionArn = Annotated[
    StrictStr,
    _match(
        r"arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}"
        r"(?::(?:\d{1,10}|(?!\d+$)[A-Za-z0-9_-]{1,128}))?",
        "a Lambda function ARN, arn:<partition>:lambda:<region>:<account>:function:<name>, "
        "optionally :<version> or :<alias> (not :$LATEST: leave the qualifier out)",
    ),
]
QueueName = Annotated[
    StrictStr,
    _match(
        rf"[0-9A-Za-z_-]{{1,{MAX_QUEUE_NAME}}}",
        f"SQS refuses it: 1-{MAX_QUEUE_NAME} characters from A-Z a-z 0-9 _ - (SQS allows 80, "
        f"and the dead-letter queue adds {DLQ_SUFFIX!r})",
    ),
]


class Consumer(StrictModel):
    """One consumer of the log files: its queue, and the roles that read from it."""

    name: ConsumerName = Field(
        description="Unique among the consumers; names the queue (<trail>-<name>) and the "
        "Terraform blocks (e.g. splunk, elastic)."
    )
    roles: Annotated[list[Principal], Field(min_length=1)] = Field(
        description="The IAM roles (or users) that receive the queue's messages and read the "
        "log files they name: each becomes a reader of the logs (the bucket policy and the "
        "trail key's policy grant it as they grant bucket.readers) and may receive from and "
        "decrypt this queue only. A role of another account also needs the identity policy "
        "the module prints (output log_consumer_<name>_role_policy)."
    )
    lambda_function_arn: FunctionArn | None = Field(
        default=None,
        description="Deliver to this Lambda function instead of a queue (the Datadog "
        "Forwarder: it reads no SQS): the log-file topic invokes it for every new log file and "
        "digest, each invocation an SNS record whose Message is S3's event notification. No "
        "queue and no dead-letter queue are made; roles are the function's execution roles, "
        "readers of the logs. The function must be in the trail's home region; in the bucket's "
        "account the module adds the function's permission and the subscription, in another "
        "account it lets that account subscribe and prints what it runs (output "
        "log_consumer_<name>_setup). feed: topic only.",
    )
    queue_name: QueueName | None = Field(
        default=None,
        description=f"The queue's name (default: <trail name>-<name>); its dead-letter queue "
        f"is this plus {DLQ_SUFFIX}. A new name REPLACES the queue, and messages not yet "
        "received go with it.",
    )
    raw_message_delivery: StrictBool = Field(
        default=True,
        description="true: each message is S3's event notification itself, as S3 would put "
        "it on a queue directly (what Splunk's SQS-based S3 input, Elastic's aws-s3 input and "
        "most collectors read); false: wrapped in SNS's JSON envelope. feed: topic only.",
    )
    max_receive_count: Annotated[StrictInt, Field(ge=1, le=1000)] = Field(
        default=5,
        description="After this many receives without a delete, SQS moves the message to the "
        "dead-letter queue (kept 14 days; `orgtrail-gen verify` fails while it holds any).",
    )
    feed: Literal["topic", "eventbridge"] = Field(
        default="topic",
        description="How the queue is told of new files. topic: through the log-file topic, "
        "each message an S3 event notification (Records[].s3.object.key) - digests included, "
        "as S3's and SNS's filters cannot tell them apart. eventbridge: S3 sends the bucket's "
        "events to EventBridge and a rule of this consumer matches the key with a wildcard, "
        "so digests are left out unless asked for; each message is an EventBridge event "
        "(detail.object.key), which not every collector reads (docs: consumers).",
    )
    digests: StrictBool | None = Field(
        default=None,
        description="Whether the queue is also told of digest files (CloudTrail-Digest/). "
        "feed: topic always delivers them (false is refused); feed: eventbridge leaves them "
        "out unless true.",
    )

    @property
    def function(self) -> FunctionRef | None:
        """The function this consumer's deliveries invoke, if it is not fed through a queue."""
        return FunctionRef.of(self.lambda_function_arn) if self.lambda_function_arn else None

    def queue(self, trail_name: str) -> str:
        """The queue's name: configured, else ``<trail>-<name>`` cut to SQS's limit."""
        return self.queue_name or default_queue_name(trail_name, self.name)

    @property
    def wants_digests(self) -> bool:
        """Whether digests reach the queue: always through the topic, if asked through a rule."""
        if self.feed == "topic":
            return True
        return bool(self.digests)

    def rule(self, trail_name: str) -> str:
        """The EventBridge rule's name: the queue's (unique in the account and region too)."""
        return self.queue(trail_name)


class FunctionRef(NamedTuple):
    """A consumer's function ARN in parts: where it is, its name, its qualifier."""

    arn: str
    partition: str
    region: str
    account: str
    name: str
    qualifier: str | None

    @classmethod
    def of(cls, arn: str) -> FunctionRef:
        """Split a validated function ARN."""
        parts = arn.split(":")
        return cls(
            arn, parts[1], parts[3], parts[4], parts[6], parts[7] if len(parts) > 7 else None
        )

    @property
    def unqualified(self) -> str:
        """The function's ARN without version or alias (Lambda's ``FunctionName``)."""
        return ":".join(self.arn.split(":")[:7])


def default_queue_name(trail_name: str, name: str) -> str:
    """``<trail>-<consumer>``: a trail name's '.' is not allowed in a queue name."""
    stem = trail_name.replace(".", "-")[: MAX_QUEUE_NAME - len(name) - 1]
    return f"{stem}-{name}"


def cross_field_issues(config: Config) -> list[Issue]:
    """Names and queues unique, roles that are roles of the trail's partition, no key admin.

    A whole account is refused as a role: a consumer's role gets decrypt rights on the trail's
    key, and its identity policy is printed for it. A consumer's role may not administer the
    keys (separation of duties, as for ``bucket.readers``). An existing bucket (``bucket.create:
    false``) is refused: the module would replace its notification configuration, which other
    tools may own.
    """
    issues: list[Issue] = []
    if not config.consumers:
        return issues
    if not config.bucket.create:
        issues.append(
            (
                ("consumers",),
                "applies only to a bucket created here: the module owns the bucket's ONE "
                "notification configuration, and an existing bucket's would be replaced, "
                "with whatever other tools put there",
            )
        )
    by_rule = [i for i, c in enumerate(config.consumers) if c.feed == "eventbridge"]
    if len(by_rule) > MAX_WILDCARD_RULES:
        issues.append(
            (
                ("consumers", by_rule[MAX_WILDCARD_RULES], "feed"),
                f"{len(by_rule)} consumers with feed: eventbridge: each has a rule with "
                f"wildcards, and EventBridge allows {MAX_WILDCARD_RULES} such rules per event "
                "bus (a quota that cannot be raised; other rules of the account count too). "
                "Feed the others by the topic",
            )
        )
    partition = partition_of(config.trail.home_region)
    administrators = {_principal_key(p) for p in config.kms.administrators}
    names: dict[str, int] = {}
    queues: dict[str, int] = {}
    functions: dict[str, int] = {}
    for i, consumer in enumerate(config.consumers):
        repeated = consumer.name in names
        if repeated:
            issues.append(
                (
                    ("consumers", i, "name"),
                    f"{consumer.name} is also consumers[{names[consumer.name]}]: each consumer "
                    "needs a name of its own (it names the queue and the Terraform blocks)",
                )
            )
        names.setdefault(consumer.name, i)
        if consumer.lambda_function_arn is not None:
            issues += _function_issues(config, i, consumer, functions)
            issues += _role_issues(consumer, i, partition, administrators)
            continue
        queue = consumer.queue(config.trail.name)
        if queue in queues and not repeated:
            issues.append(
                (
                    ("consumers", i, "queue_name" if consumer.queue_name else "name"),
                    f"queue {queue} is also consumers[{queues[queue]}]'s: SQS queue names are "
                    "unique in an account and region",
                )
            )
        queues.setdefault(queue, i)
        issues += _feed_issues(config, i, consumer, queue)
        issues += _role_issues(consumer, i, partition, administrators)
    return issues


def _role_issues(
    consumer: Consumer, i: int, partition: Partition | None, administrators: set[str]
) -> list[Issue]:
    """A consumer's roles: roles (not accounts) of the trail's partition, no key administrator."""
    issues: list[Issue] = []
    for j, role in enumerate(consumer.roles):
        where: tuple[str | int, ...] = ("consumers", i, "roles", j)
        if role.isdigit() or role.endswith(":root"):
            issues.append(
                (
                    where,
                    f"{role} is a whole account: name the IAM roles (or users) that read "
                    "the queue and the logs",
                )
            )
            continue
        if partition and arn_partition(role) != partition.name:
            issues.append((where, f"not in the trail's partition {partition.name}"))
        if _principal_key(role) in administrators:
            issues.append(
                (
                    where,
                    f"{role} is also in kms.administrators: key administrators get no "
                    "decrypt permission (separation of duties); a consumer decrypts every "
                    "log file. List a different principal for each",
                )
            )
    return issues


def _function_issues(
    config: Config, i: int, consumer: Consumer, functions: dict[str, int]
) -> list[Issue]:
    """What a function consumer cannot have: a queue's settings, EventBridge, another region.

    SNS itself delivers to a function of another region (SNS Developer Guide, "Sending Amazon
    SNS messages to an Amazon SQS queue or AWS Lambda function in a different Region"), but
    not into an opt-in region, and from one only with a regional principal; and this module
    adds the function's permission with the bucket's provider, in the topic's region, where
    Lambda's AddPermission finds only functions of that region. So the function must be in the
    trail's home region, beside the topic (and the bucket it reads).
    """
    function = consumer.function
    assert function is not None
    where = ("consumers", i, "lambda_function_arn")
    issues: list[Issue] = _feed_issues(config, i, consumer, "") if consumer.feed == "topic" else []
    if function.arn in functions:
        issues.append(
            (
                where,
                f"function {function.arn} is also consumers[{functions[function.arn]}]'s: SNS "
                "keeps one subscription per topic and endpoint, and each consumer's "
                "subscription would be the other's",
            )
        )
    functions.setdefault(function.arn, i)
    partition = partition_of(config.trail.home_region)
    if partition and function.partition != partition.name:
        issues.append((where, f"not in the trail's partition {partition.name}"))
    home = config.trail.home_region
    if function.region != home:
        issues.append(
            (
                where,
                f"the function is in {function.region}, the log-file topic in {home} (the "
                "trail's home region, beside the bucket): the module adds the function's "
                f"permission in {home}, where Lambda finds no function of {function.region}, "
                "and SNS's cross-Region delivery to Lambda has exceptions (none into an opt-in "
                f"Region). Deploy the function (the Datadog Forwarder's stack) in {home}",
            )
        )
    if consumer.feed == "eventbridge":
        issues.append(
            (
                ("consumers", i, "feed"),
                "a function consumer is fed by the log-file topic only: an EventBridge rule "
                "would invoke it with an EventBridge event, which the Datadog Forwarder "
                "forwards as a log itself instead of reading the object it names; remove "
                "feed: eventbridge (digests arrive as with the topic: the Forwarder's "
                "EXCLUDE_AT_MATCH drops them, docs: consumers)",
            )
        )
    for name, why in (
        (
            "raw_message_delivery",
            "SNS refuses raw message delivery for a Lambda subscription (only SQS, HTTP/S and "
            "Firehose endpoints have it): the function receives SNS's record, S3's event in "
            "its Message, which is what the Datadog Forwarder reads. Remove it",
        ),
        ("queue_name", "a function consumer has no queue. Remove it"),
        ("max_receive_count", "a function consumer has no queue or dead-letter queue. Remove it"),
    ):
        if name in consumer.model_fields_set:
            issues.append((("consumers", i, name), why))
    return issues


def _feed_issues(config: Config, i: int, consumer: Consumer, queue: str) -> list[Issue]:
    """What a consumer's feed cannot do: leave digests out of a topic, or name a long rule."""
    if consumer.feed == "topic":
        if consumer.digests is False:
            return [
                (
                    ("consumers", i, "digests"),
                    "feed: topic cannot leave digests out: a digest's key differs from a log "
                    "file's only after the account id (AWSLogs/<org-id>/<account>/"
                    "CloudTrail-Digest/), and S3's filter (one prefix, one suffix) and SNS's "
                    "(no wildcard) cannot match past it. Use feed: eventbridge, whose rule "
                    "matches the key with a wildcard, or drop digests: false",
                )
            ]
        return []
    issues: list[Issue] = []
    if "raw_message_delivery" in consumer.model_fields_set:
        issues.append(
            (
                ("consumers", i, "raw_message_delivery"),
                "applies to feed: topic only (it drops SNS's envelope); with feed: eventbridge "
                "each message is the EventBridge event itself: remove it",
            )
        )
    if len(queue) > MAX_RULE_NAME:
        issues.append(
            (
                ("consumers", i, "queue_name" if consumer.queue_name else "name"),
                f"feed: eventbridge names the consumer's EventBridge rule after its queue, "
                f"{queue} ({len(queue)} characters), and EventBridge allows {MAX_RULE_NAME}: "
                f"set queue_name to {MAX_RULE_NAME} characters or fewer",
            )
        )
    prefix = config.trail.s3_key_prefix or ""
    if not _UNENCODED_KEY.fullmatch(prefix):
        issues.append(
            (
                ("consumers", i, "feed"),
                f"trail.s3_key_prefix {prefix!r} has characters S3 URL-encodes in its event "
                "notifications; S3 does not document whether its EventBridge events encode "
                "them, so the rule's key pattern might match no log file. Use feed: topic, or "
                "a prefix of A-Z a-z 0-9 / . _ - only",
            )
        )
    return issues


def consumer_accounts(config: Config) -> frozenset[str]:
    """The accounts the consumers' roles belong to."""
    return frozenset(principal_account(r) for c in config.consumers for r in c.roles)
