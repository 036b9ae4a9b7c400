"""The cloudwatch_logs section: the central log group and CloudTrail's delivery role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, StrictInt

from generator.config.fields import IamRoleName, Issue, LogGroupName, StrictModel
from generator.core.constants import RETENTION_DAYS

if TYPE_CHECKING:
    from generator.sections.registry import Config


class CloudWatchLogs(StrictModel):
    """The central log group CloudTrail also delivers to, and its delivery role."""

    log_group_name: LogGroupName = Field(description="The log group CloudTrail delivers to.")
    retention_in_days: StrictInt = Field(
        default=365,
        description="Allowed CloudWatch values.",
        json_schema_extra={"enum": list(RETENTION_DAYS)},
    )
    role_name: IamRoleName = Field(
        default="CloudTrailCloudWatchLogsDelivery",
        description="IAM role CloudTrail assumes to write to the log group.",
    )


def cross_field_issues(config: Config) -> list[Issue]:
    """The log group's retention must be one CloudWatch Logs accepts."""
    issues: list[Issue] = []
    cwl = config.cloudwatch_logs
    if cwl is not None and cwl.retention_in_days not in RETENTION_DAYS:
        issues.append(
            (
                ("cloudwatch_logs", "retention_in_days"),
                f"{cwl.retention_in_days} is not allowed; use one of "
                + ", ".join(map(str, RETENTION_DAYS)),
            )
        )
    return issues
