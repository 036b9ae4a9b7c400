"""Rules on what the trail records: it never records the data events of its own buckets.

Why a rule on the HCL when the config already refuses it: the loop is the costliest mistake a
selector can make (LZA#1192: ~1.5 billion PutObject events on the log bucket in three years),
and a hand edit of cloudtrail.tf or a template bug would bypass the config. Every delivery of a
log file is an S3 PutObject on the log bucket; a trail that records it delivers that event as a
new file, which is another PutObject, and so on for as long as the trail runs.
"""

from __future__ import annotations

from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, literal, literals, nested
from generator.check.preflight import Facts, Finding, rule
from generator.check.preflight.lookups import bucket_name, organization_trails

_POSITIVE = ("equals", "starts_with", "ends_with")
_NEGATIVE = ("not_equals", "not_starts_with", "not_ends_with")
_S3_OBJECT = "AWS::S3::Object"


def _matches(op: str, value: str, pattern: str) -> bool:
    base = op.removeprefix("not_")
    if base == "equals":
        return value == pattern
    if base == "starts_with":
        return value.startswith(pattern)
    return value.endswith(pattern)


def _condition_admits(selector: dict[str, Any], value: str) -> bool:
    """Whether every operator on ``field`` lets ``value`` through.

    Positive operators: the value must match one of their values; negative ones: none. Each
    operator is a separate condition that must hold (the conservative reading: AWS does not
    document how operators of one field combine, and the generator never mixes them).
    """
    for op in _POSITIVE:
        patterns = literals(selector.get(op))
        if patterns and not any(_matches(op, value, p) for p in patterns):
            return False
    for op in _NEGATIVE:
        if any(_matches(op, value, p) for p in literals(selector.get(op))):
            return False
    return True


def _records(block: dict[str, Any], fields: dict[str, str]) -> bool:
    """Whether an advanced selector records an event with these field values."""
    for selector in nested(block, "field_selector"):
        field = literal(selector.get("field"))
        if field in fields and not _condition_admits(selector, fields[field]):
            return False
    return True


def _own_objects(module: ParsedModule, facts: Facts, trail: Block) -> list[tuple[str, str]]:
    """(bucket, an object ARN the trail itself writes there) for the log and access-log buckets."""
    arns = facts.arns
    name = bucket_name(module, trail.body.get("s3_bucket_name"))
    if name is None:
        return []
    prefix = literal(trail.body.get("s3_key_prefix"))
    key = (
        f"{prefix + '/' if prefix else ''}AWSLogs/{arns.org_id}/{arns.management_account_id}/"
        f"CloudTrail/{arns.home_region}/2026/01/31/"
        f"{arns.management_account_id}_CloudTrail_{arns.home_region}_20260131T0000Z_x.json.gz"
    )
    result = [(name, f"arn:{arns.partition}:s3:::{name}/{key}")]
    for logging in module.of_type("resource", "aws_s3_bucket_logging"):
        if bucket_name(module, logging.body.get("bucket")) != name:
            continue
        target = literal(logging.body.get("target_bucket"))
        target_prefix = literal(logging.body.get("target_prefix")) or ""
        if target:
            result.append((target, f"arn:{arns.partition}:s3:::{target}/{target_prefix}x"))
    return result


def _basic_records(block: dict[str, Any], arn: str, partition: str) -> bool:
    for resource in nested(block, "data_resource"):
        if literal(resource.get("type")) != _S3_OBJECT:
            continue
        for value in literals(resource.get("values")):
            if value in (f"arn:{partition}:s3", f"arn:{partition}:s3:::") or arn.startswith(value):
                return True
    return False


@rule("OTG080", "the trail does not record the data events of its own buckets")
def no_own_bucket_data_events(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A selector that admits the log bucket's (or access-log bucket's) objects loops."""
    findings = []
    for trail in organization_trails(module):
        for bucket, arn in _own_objects(module, facts, trail):
            event = {
                "eventCategory": "Data",
                "resources.type": _S3_OBJECT,
                "resources.ARN": arn,
                "eventName": "PutObject",
                "eventSource": "s3.amazonaws.com",
                "readOnly": "false",
            }
            recorded = [
                literal(block.get("name")) or f"advanced_event_selector {i + 1}"
                for i, block in enumerate(nested(trail.body, "advanced_event_selector"))
                if _records(block, event)
            ]
            recorded += [
                f"event_selector {i + 1}"
                for i, block in enumerate(nested(trail.body, "event_selector"))
                if _basic_records(block, arn, facts.arns.partition)
            ]
            if recorded:
                findings.append(
                    Finding(
                        "OTG080",
                        trail.file,
                        trail.address,
                        f"{', '.join(map(repr, recorded))} records S3 data events of {bucket}, "
                        f"where this trail delivers (e.g. {arn}): every delivery is recorded and "
                        "delivered again, for ever (LZA#1192, ~1.5 billion events in 3 years)",
                        f'field_selector {{ field = "resources.ARN", not_starts_with = '
                        f'["arn:{facts.arns.partition}:s3:::{bucket}/"] }} in that selector '
                        "(trail.events writes it for you), or list the buckets to record",
                    )
                )
    return findings


@rule("OTG081", "a regeneration does not drop every event selector of the trail")
def selectors_not_all_dropped(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Removing every advanced_event_selector makes the provider send an empty list.

    The provider calls PutEventSelectors with AdvancedEventSelectors = [] (trail.go), which
    does not restore CloudTrail's default selector and can leave the trail recording no
    management events; an explicit management selector is the safe way back to the default.
    """
    if facts.previous is None:
        return []
    findings = []
    for trail in organization_trails(module):
        before = facts.previous.get(trail.address)
        if before is None or not nested(before.body, "advanced_event_selector"):
            continue
        if nested(trail.body, "advanced_event_selector") or nested(trail.body, "event_selector"):
            continue
        findings.append(
            Finding(
                "OTG081",
                trail.file,
                trail.address,
                "every advanced_event_selector is removed: the provider sends CloudTrail an "
                "empty selector list, which can leave the trail recording no management events",
                "keep trail.events with `management: {read_write: all}` (an explicit 'Management "
                "events selector') instead of deleting trail.events",
            )
        )
    return findings
