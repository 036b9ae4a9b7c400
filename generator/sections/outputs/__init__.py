"""The outputs of the module: what other stacks and ``orgtrail-gen verify`` read.

It owns ``outputs.tf`` and no config key: each output exists when the section that creates
its resource renders it.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.sections.addresses import ALARM_TOPIC, BUCKET, KEY, LOG_GROUP, ROLE, TRAIL
from generator.sections.base import Section
from generator.sections.facts import ModuleFacts


@dataclass(frozen=True)
class Output:
    """One ``output`` block."""

    name: str
    value: str
    description: str


@dataclass(frozen=True)
class OutputsView:
    """What outputs.tf needs."""

    files: tuple[str, ...]
    outputs: tuple[Output, ...]


def build(facts: ModuleFacts) -> OutputsView:
    """The trail's ARN and region always; the bucket, key, log group, role, topic if created."""
    result = [
        Output("trail_arn", f"{TRAIL}.arn", "The trail's ARN."),
        Output("trail_home_region", f"{TRAIL}.home_region", "Region the trail is managed from."),
    ]
    if facts.config.bucket.create:
        result.append(Output("bucket_arn", f"{BUCKET}.arn", "The central log bucket."))
    if facts.has_created_key:
        result.append(
            Output(
                "kms_key_arn",
                f"{KEY}.arn",
                "Key that encrypts log files, digests and the log group.",
            )
        )
    if facts.has_cloudwatch:
        result += [
            Output("log_group_arn", f"{LOG_GROUP}.arn", "The central CloudWatch Logs log group."),
            Output(
                "cloudwatch_role_arn",
                f"{ROLE}.arn",
                "Role CloudTrail assumes to deliver to the log group.",
            ),
        ]
    if facts.creates_alarm_topic:
        result.append(
            Output(
                "alarm_topic_arn",
                f"{ALARM_TOPIC}.arn",
                "SNS topic the CIS alarms notify (subscribe more here).",
            )
        )
    return OutputsView(files=("outputs",), outputs=tuple(result))


SECTION = Section(name="outputs", keys=(), templates=("outputs",), view=build)
