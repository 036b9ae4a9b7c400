"""The cloudwatch_logs section: the central log group and CloudTrail's delivery role.

It owns ``logs.tf``.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.render import policies
from generator.render.hcl import Ref
from generator.sections.addresses import LOG_GROUP, ROLE, ROLE_POLICY, label
from generator.sections.base import CheckovSkip, Output, Section, Skip, skips_for
from generator.sections.facts import ModuleFacts
from generator.sections.logs import model

SKIPS = (
    CheckovSkip(
        "CKV_AWS_158",
        LOG_GROUP,
        lambda f: "kms.enabled: false",
        when=lambda f: f.config.cloudwatch_logs is not None and not f.config.kms.enabled,
        switched_off=True,
    ),
    CheckovSkip(
        "CKV_AWS_338",
        LOG_GROUP,
        lambda f: (
            "cloudwatch_logs.retention_in_days: "
            f"{f.config.cloudwatch_logs.retention_in_days if f.config.cloudwatch_logs else 0}"
        ),
        when=lambda f: (
            f.config.cloudwatch_logs is not None
            and 0 < f.config.cloudwatch_logs.retention_in_days < 365
        ),
        switched_off=True,
    ),
)


class LogsView(NamedTuple):
    """What logs.tf needs: the log group, the delivery role and its two policy documents."""

    files: tuple[str, ...]
    group_label: str
    name: str
    retention_in_days: int
    kms_key: str | None
    role_label: str
    role_id: str
    role_name: str
    role_path: str | None
    role_policy_label: str
    role_policy_name: str
    skips: tuple[Skip, ...]
    trust: policies.PolicyDocument
    delivery: policies.PolicyDocument


def build(facts: ModuleFacts) -> LogsView | None:
    """The log group, the delivery role and its two policy documents."""
    cwl = facts.config.cloudwatch_logs
    if cwl is None:
        return None
    return LogsView(
        files=("logs",),
        group_label=label(LOG_GROUP),
        name=cwl.log_group_name,
        retention_in_days=cwl.retention_in_days,
        kms_key=facts.log_group_key_reference,
        role_label=label(ROLE),
        role_id=Ref(f"{ROLE}.id"),
        role_name=cwl.role_name,
        role_path=None if facts.role_path == "/" else facts.role_path,
        role_policy_label=label(ROLE_POLICY),
        role_policy_name=facts.role_policy_name,
        skips=tuple(skips_for(SKIPS, LOG_GROUP, facts)),
        trust=policies.cloudwatch_trust_policy(),
        delivery=policies.cloudwatch_delivery_policy(facts.arns, cwl.log_group_name),
    )


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The log group's and the delivery role's ARNs."""
    if not facts.has_cloudwatch:
        return ()
    return (
        Output("log_group_arn", f"{LOG_GROUP}.arn", "The central CloudWatch Logs log group."),
        Output(
            "cloudwatch_role_arn",
            f"{ROLE}.arn",
            "Role CloudTrail assumes to deliver to the log group.",
        ),
    )


SECTION = Section(
    name="logs",
    keys=("cloudwatch_logs",),
    templates=("logs",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    skips=SKIPS,
    outputs=outputs,
    resources={
        "aws_cloudwatch_log_group": "management",
        "aws_iam_role": "management",
        "aws_iam_role_policy": "management",
    },
)
