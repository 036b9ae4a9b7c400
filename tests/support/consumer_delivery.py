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
key as it is.
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
from generator.sections.consumers.model import DLQ_SUFFIX
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


def _clients(endpoint: str, environment: Mapping[str, str], role_arn: str, region: str) -> Any:
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
    return session.client("s3", endpoint_url=endpoint), session.client("sqs", endpoint_url=endpoint)


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
    s3, sqs = _clients(endpoint, environment, config.log_archive.role_arn, region)
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
    }
    for consumer in config.consumers:
        queue = consumer.queue(config.trail.name)
        messages = _drain(sqs, queue)
        received["queues"][consumer.name] = [key for _, key in messages]
        received["shapes"][consumer.name] = sorted({shape for shape, _ in messages})
        dead = _drain(sqs, queue + DLQ_SUFFIX, seconds=1.0)
        received["dead_letter"][consumer.name] = [key for _, key in dead]
    return received
