"""What the SIEMs' queues receive once configs/log-archive.yaml's module is applied on moto.

Run in the log-archive module's real-Terraform run (support/terraform_suite.py FOLLOWUPS), after
its apply and empty second plan, against the same moto server: the bucket is written to as
CloudTrail writes it - a log file, a digest file - and as nothing of the trail does - a file
outside the trail's prefix, a file under it with another suffix - through the log-archive role
Terraform assumed. Then every consumer's queue and dead-letter queue is read, each message by
its shape: an S3 event notification (``Records[].s3.object.key``, from the topic) or an
EventBridge event (``detail.object.key``, from a consumer's rule). moto delivers S3 -> SNS ->
SQS itself, filters included, and S3 -> EventBridge -> SQS, wildcard patterns included
(checked: no patch needed but the read-back of the bucket's EventBridge switch,
``moto_patches.s3_notification_eventbridge``); it encodes keys of S3 notifications with
``quote_plus``, so those are decoded before they are compared, and puts an EventBridge event's
key as it is. A consumer that is a Lambda function (the Datadog Forwarder, seeded by
``generator.rehearse.seed_consumers``) is read differently: its subscription on the topic (the
function its endpoint), its function's policy (the module's statement), and how many times SNS
tried to invoke it - moto runs a function only in Docker; without it, each delivery attempt is
one log stream of the function's log group saying so ("error running docker"), which is counted,
not the function's work: no Forwarder ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3

from generator.rehearse.adapt import ProviderSchema
from generator.rehearse.tools import Tools
from generator.sections.consumers.model import DLQ_SUFFIX, FunctionRef
from generator.sections.registry import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "log-archive.yaml"
DAY = "2026/12/07"


def object_keys(prefix: str, org_id: str, account: str, region: str) -> dict[str, str]:
    """The objects put, by what each is: the trail's two kinds, and two it never writes."""
    base = f"{prefix}/AWSLogs/{org_id}/{account}"
    stamp = f"{account}_CloudTrail_{region}_20261207T1205Z"
    return {
        "log file": f"{base}/CloudTrail/{region}/{DAY}/{stamp}_a1b2c3d4e5f6g7h8.json.gz",
        "digest": (
            f"{base}/CloudTrail-Digest/{region}/{DAY}/{account}_CloudTrail-Digest_{region}_"
            f"org-trail_{region}_20261207T1205Z.json.gz"
        ),
        "outside the prefix": f"elsewhere/AWSLogs/{org_id}/{account}/notes.json.gz",
        "another suffix": f"{base}/CloudTrail/{region}/{DAY}/README.txt",
    }


def _session(endpoint: str, environment: Mapping[str, str], role_arn: str, region: str) -> Any:
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="delivery-test")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return session


def _allow_plain_http(s3: Any, bucket: str) -> None:
    """Drop the policy's DenyInsecureTransport: the emulator speaks HTTP, and moto enforces it.

    Done after the second plan, for the puts only: what is proven here is the notification's
    fan-out, not the bucket policy (which every other checker judges).
    """
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    kept = [s for s in policy["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    assert len(kept) == len(policy["Statement"]) - 1, "the policy has no DenyInsecureTransport"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({**policy, "Statement": kept}))


def announced(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(shape, decoded object key) for every object a queue message announces."""
    if body.get("source") == "aws.s3" and "detail" in body:
        return [(f"eventbridge {body.get('detail-type')}", body["detail"]["object"]["key"])]
    return [
        (f"s3 {record.get('eventName')}", unquote_plus(record["s3"]["object"]["key"]))
        for record in body.get("Records", [])
    ]


def _drain(sqs: Any, queue: str, seconds: float = 10.0) -> list[tuple[str, str]]:
    """Every (shape, key) the queue's messages announce, until it stays empty."""
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found: list[tuple[str, str]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = answer.get("Messages", [])
        for message in messages:
            found += announced(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not messages and found:
            break
    return found


def _function(session: Any, endpoint: str, function: FunctionRef) -> dict[str, Any]:
    """The function's subscriptions, its policy's statements, SNS's attempts to invoke it."""
    sns = session.client("sns", endpoint_url=endpoint, region_name=function.region)
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    subscriptions = [
        {
            "topic": s["TopicArn"],
            "protocol": s["Protocol"],
            "endpoint": s["Endpoint"],
            "confirmed": s["SubscriptionArn"] != "PendingConfirmation",
        }
        for topic in topics
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if s["Endpoint"] == function.arn
    ]
    policy = session.client("lambda", endpoint_url=endpoint, region_name=function.region)
    statements = json.loads(policy.get_policy(FunctionName=function.arn)["Policy"])["Statement"]
    logs = session.client("logs", endpoint_url=endpoint, region_name=function.region)
    group = f"/aws/lambda/{function.name}"
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    streams = (
        logs.describe_log_streams(logGroupName=group)["logStreams"]
        if any(g["logGroupName"] == group for g in groups)
        else []
    )
    return {"subscriptions": subscriptions, "policy": statements, "attempts": len(streams)}


def run(
    tools: Tools,
    schema: ProviderSchema,
    workspace: Path,
    environment: Mapping[str, str],
    endpoint: str,
    environ: Mapping[str, str],
) -> dict[str, Any]:
    """Put the four objects; what each consumer's queue and dead-letter queue then hold."""
    config = load_config(CONFIG)
    assert config.log_archive is not None and config.trail.s3_key_prefix is not None
    region = config.trail.home_region
    session = _session(endpoint, environment, config.log_archive.role_arn, region)
    s3, sqs = (
        session.client("s3", endpoint_url=endpoint),
        session.client("sqs", endpoint_url=endpoint),
    )
    keys = object_keys(
        config.trail.s3_key_prefix,
        config.organization.id,
        config.organization.management_account_id,
        region,
    )
    _allow_plain_http(s3, config.bucket.name)
    for key in keys.values():
        s3.put_object(Bucket=config.bucket.name, Key=key, Body=b"{}")
    received: dict[str, Any] = {
        "put": keys,
        "feeds": {c.name: c.feed for c in config.consumers},
        "queues": {},
        "shapes": {},
        "dead_letter": {},
        "functions": {},
    }
    for consumer in config.consumers:
        if consumer.function is not None:
            received["functions"][consumer.name] = _function(session, endpoint, consumer.function)
            continue
        queue = consumer.queue(config.trail.name)
        messages = _drain(sqs, queue)
        received["queues"][consumer.name] = [key for _, key in messages]
        received["shapes"][consumer.name] = sorted({shape for shape, _ in messages})
        dead = _drain(sqs, queue + DLQ_SUFFIX, seconds=1.0)
        received["dead_letter"][consumer.name] = [key for _, key in dead]
    return received
