"""The least-privilege, read-only IAM policies ``discover`` and ``verify`` need, to paste.

Why here, as data: the README documents them, ``--print-policy`` prints them, and a test runs
each command against the test server and compares these actions with the calls the session
seam recorded (:attr:`generator.aws.session.Aws.calls`), so neither can drift from the code.
STS GetCallerIdentity needs no permission (AWS answers it for any valid credentials), so it is
in no policy.

verify's policy is scoped to the config's resources where the action supports it (the trail,
bucket, key, log group, topic, alarms, the consumers' dead-letter queues); Organizations' read
actions and DescribeLogGroups take no resource but ``*``. discover reads what it finds, so its
policy is ``*``.
"""

from __future__ import annotations

import json
from typing import Any

from generator.aws.session import iam_action
from generator.aws.verify_owner_policies import key_reader
from generator.core.arns import Arns
from generator.sections.consumers import queue_arn, topic_arn
from generator.sections.consumers.eventbridge import rule_arn
from generator.sections.consumers.model import DLQ_SUFFIX
from generator.sections.registry import Config, arns_of, facts_of

NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})

# (service, API operation) discover calls, in the order it calls them.
DISCOVER_CALLS = (
    ("sts", "GetCallerIdentity"),
    ("organizations", "DescribeOrganization"),
    ("organizations", "ListAWSServiceAccessForOrganization"),
    ("organizations", "ListDelegatedAdministrators"),
    ("organizations", "ListAccounts"),
    ("ec2", "DescribeRegions"),
    ("cloudtrail", "ListTrails"),
    ("cloudtrail", "GetTrail"),
    ("cloudtrail", "ListTags"),
    ("cloudtrail", "GetEventSelectors"),
    ("s3", "ListBuckets"),
    ("s3", "GetBucketLocation"),
    ("s3", "GetPublicAccessBlock"),
    ("s3", "GetBucketOwnershipControls"),
    ("s3", "GetBucketVersioning"),
    ("s3", "GetBucketEncryption"),
    ("s3", "GetBucketLifecycleConfiguration"),
    ("s3", "GetObjectLockConfiguration"),
    ("s3", "GetBucketLogging"),
    ("s3", "GetBucketPolicy"),
    ("s3", "ListObjectsV2"),
    ("kms", "DescribeKey"),
    ("kms", "ListAliases"),
    ("logs", "DescribeLogGroups"),
    ("iam", "GetRole"),
    ("iam", "ListRolePolicies"),
    ("iam", "ListAttachedRolePolicies"),
    ("cloudwatch", "GetMetricStatistics"),  # cost.measured: IncomingBytes, BucketSizeBytes
)


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": resources if len(resources) > 1 else resources[0],
    }


def discover_policy() -> dict[str, Any]:
    """What discover's credentials (the management account's) need."""
    actions = [iam_action(service, api) for service, api in DISCOVER_CALLS]
    return _document(
        [_statement("OrgtrailGenDiscover", [a for a in actions if a not in NO_PERMISSION], ["*"])]
    )


def _bucket_statements(config: Config, arns: Arns) -> list[dict[str, Any]]:
    read = ["s3:GetBucketPolicy", "s3:ListBucket"]
    consumers = _consumer_statements(config, arns)
    if consumers:
        read.append("s3:GetBucketNotification")
    key = config.kms.key_arn if config.kms.enabled else None
    if config.owner_trail is not None:
        # Beside an owner's trail the key's policy is read in the key's own account, and no
        # Bucket Key question is asked: the statements kms.tf prints are judged as they are.
        here = "log-archive" if config.log_archive is not None else "management"
        own = key_reader(config) == here and key is not None
        if not facts_of(config, arns).creates_trail:  # no trail of ours: no statement to find
            read.remove("s3:GetBucketPolicy")
        return [
            _statement("ReadTrailBucket", read, [arns.bucket]),
            *([_statement("ReadTrailKeyPolicy", ["kms:GetKeyPolicy"], [str(key)])] if own else []),
            *consumers,
        ]
    if key is None:
        return [_statement("ReadTrailBucket", read, [arns.bucket]), *consumers]
    # an existing key: its policy, and whether the bucket uses an S3 Bucket Key (OTG031)
    return [
        _statement("ReadTrailBucket", [*read, "s3:GetEncryptionConfiguration"], [arns.bucket]),
        _statement("ReadTrailKeyPolicy", ["kms:GetKeyPolicy"], [key]),
        *consumers,
    ]


def _consumer_statements(config: Config, arns: Arns) -> list[dict[str, Any]]:
    """The consumers' dead-letter queues: found by name, their message counts read."""
    if not config.consumers:
        return []
    facts = facts_of(config, arns)
    dlqs = [
        queue_arn(facts, consumer.queue(config.trail.name) + DLQ_SUFFIX)
        for consumer in config.consumers
        if consumer.function is None
    ]
    actions = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    statements = [_statement("ReadConsumerDeadLetterQueues", actions, dlqs)] if dlqs else []
    functions = [c.function for c in config.consumers if c.function is not None]
    if functions:  # a function consumer's subscription on the topic, and its permission
        topic = [topic_arn(facts)]
        statements.append(
            _statement("ReadConsumerSubscriptions", ["sns:ListSubscriptionsByTopic"], topic)
        )
        own = [f.arn for f in functions if f.account == facts.bucket_account]
        if own:
            statements.append(_statement("ReadConsumerFunctionPolicies", ["lambda:GetPolicy"], own))
    rules = [
        rule_arn(arns, facts.bucket_account, consumer.queue(config.trail.name))
        for consumer in config.consumers
        if consumer.feed == "eventbridge"
    ]
    if rules:  # each EventBridge consumer's rule and its targets, as generated
        read = ["events:DescribeRule", "events:ListTargetsByRule"]
        statements.append(_statement("ReadConsumerRules", read, rules))
    return statements


def verify_policy(config: Config) -> dict[str, Any]:
    """What verify's credentials (the management account's) need for this config."""
    arns = arns_of(config)
    home, account = arns.home_region, arns.management_account_id
    facts = facts_of(config, arns)
    owner = config.owner_trail
    statements = [
        _statement(
            "ReadOrganization",
            [
                "organizations:DescribeOrganization",
                "organizations:ListAWSServiceAccessForOrganization",
                "organizations:ListAccounts",
            ],
            ["*"],
        )
    ]
    if facts.creates_trail:
        trail = ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus"]
        events = ["cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors"]
        statements.append(_statement("ReadTrail", trail + events, [arns.trail]))
    if owner is not None:  # the owner's trail (its selectors: ReadOtherTrails)
        read_owner = ["cloudtrail:GetTrail", "cloudtrail:GetTrailStatus"]
        statements.append(_statement("ReadOwnerTrail", read_owner, [owner.arn]))
    statements += [
        # every other trail (any account's, any region's) and what it records: the duplicates
        _statement("ListTrails", ["cloudtrail:DescribeTrails"], ["*"]),
        _statement(
            "ReadOtherTrails",
            ["cloudtrail:GetEventSelectors"],
            [f"arn:{arns.partition}:cloudtrail:*:*:trail/*"],
        ),
    ]
    if config.log_archive is not None:
        statements.append(
            _statement(
                "AssumeLogArchiveRole", ["sts:AssumeRole"], [config.log_archive.reader_role_arn]
            )
        )
        if owner is not None and key_reader(config) == "management":
            key = str(config.kms.key_arn)  # Control Tower's: management's, the bucket elsewhere
            statements.append(_statement("ReadTrailKeyPolicy", ["kms:GetKeyPolicy"], [key]))
    else:
        statements += _bucket_statements(config, arns)
    # beside an owner's trail its log group is its own: only the metric filters are read
    group_name = config.cloudwatch_logs.log_group_name if config.cloudwatch_logs else None
    if owner is not None and owner.log_group_name and config.monitoring is not None:
        group = arns.log_group(owner.log_group_name)
        statements.append(
            _statement("ReadTrailLogGroup", ["logs:DescribeMetricFilters"], [f"{group}:*"])
        )
    if group_name is not None:
        group = arns.log_group(group_name)
        statements.append(_statement("ListLogGroups", ["logs:DescribeLogGroups"], ["*"]))
        read = ["logs:DescribeLogStreams"]
        if config.monitoring is not None:
            read.append("logs:DescribeMetricFilters")
        statements.append(_statement("ReadTrailLogGroup", read, [f"{group}:*"]))
    if facts.has_alarms:
        statements.append(
            _statement(
                "ReadAlarms",
                ["cloudwatch:DescribeAlarms"],
                [f"arn:{arns.partition}:cloudwatch:{home}:{account}:alarm:*"],
            )
        )
        statements.append(
            _statement("ReadAlarmTopic", ["sns:ListSubscriptionsByTopic"], [facts.alarm_topic_arn])
        )
    return _document(statements)


def log_archive_role_policy(config: Config) -> dict[str, Any] | None:
    """What the log-archive role verify assumes needs; None without a log-archive account.

    That role is ``log_archive.verify_role_arn`` when the config names one (a read-only role:
    this policy is all it needs), else the deploy role ``role_arn``, which has more.
    """
    if config.log_archive is None:
        return None
    return _document(_bucket_statements(config, arns_of(config)))


def printable(policy: dict[str, Any]) -> str:
    """The policy as IAM's console and ``aws iam create-policy`` take it."""
    return json.dumps(policy, indent=2) + "\n"


def actions_of(policy: dict[str, Any]) -> set[str]:
    """Every action the policy allows (for the test that compares them with the calls made)."""
    found: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found
