"""Saved CloudWatch Logs Insights queries for the organization's central log group.

Why: an alarm says *that* something happened; the first question after it is *who, where,
from which account*. These queries answer it for every member account at once, because the
organization trail delivers all of them to one log group. Each returns the same columns -
``recipientAccountId`` (the account the call was made in), ``awsRegion``,
``userIdentity.arn`` (the principal), ``sourceIPAddress`` and ``eventName`` - so results
read the same whichever query ran.

They become ``aws_cloudwatch_query_definition`` resources. Names follow PutQueryDefinition's
rule (botocore ``QueryDefinitionName``: 1-255 characters); a ``/`` puts the query in a
console folder (CloudWatch Logs User Guide, "Saving and re-running CloudWatch Logs Insights
queries"), so all of ours sit under :data:`FOLDER`. Query strings are at most 10000
characters (``QueryDefinitionString``).
"""

from __future__ import annotations

from typing import NamedTuple

FOLDER = "orgtrail"
MAX_NAME_LENGTH = 255  # botocore logs QueryDefinitionName
MAX_QUERY_LENGTH = 10000  # botocore logs QueryDefinitionString

COLUMNS = ("recipientAccountId", "awsRegion", "userIdentity.arn", "sourceIPAddress", "eventName")
_FIELDS = "fields @timestamp, " + ", ".join(COLUMNS)
_BY = ", ".join(COLUMNS)


class InsightsQuery(NamedTuple):
    """One saved query: its name (with folder), what it answers, and the query text."""

    name: str
    description: str
    query: str


def _names(*names: str) -> str:
    return "[" + ", ".join(f'"{name}"' for name in names) + "]"


QUERIES: tuple[InsightsQuery, ...] = (
    InsightsQuery(
        name=f"{FOLDER}/security-group-changes-by-account-and-principal",
        description="Who changed security groups, in which account and region (CIS 4.10).",
        query=(
            f'{_FIELDS}\n| filter eventSource = "ec2.amazonaws.com" and eventName in '
            + _names(
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
                "ModifySecurityGroupRules",
            )
            + f"\n| stats count(*) as changes by {_BY}\n| sort changes desc"
        ),
    ),
    InsightsQuery(
        name=f"{FOLDER}/console-sign-in-without-mfa",
        description="Successful IAM user console sign-ins without MFA (CIS 4.2).",
        query=(
            f'{_FIELDS}\n| filter eventName = "ConsoleLogin"'
            ' and userIdentity.type = "IAMUser"'
            ' and responseElements.ConsoleLogin = "Success"'
            ' and additionalEventData.MFAUsed != "Yes"'
            "\n| sort @timestamp desc"
        ),
    ),
    InsightsQuery(
        name=f"{FOLDER}/root-activity",
        description="Calls made with any account's root user, not by an AWS service (CIS 4.3).",
        query=(
            f'{_FIELDS}\n| filter userIdentity.type = "Root"'
            " and not ispresent(userIdentity.invokedBy)"
            ' and eventType != "AwsServiceEvent"'
            "\n| sort @timestamp desc"
        ),
    ),
    InsightsQuery(
        name=f"{FOLDER}/access-denied-by-principal",
        description="AccessDenied and UnauthorizedOperation errors per principal (CIS 4.1).",
        query=(
            f"{_FIELDS}, errorCode"
            "\n| filter errorCode like /AccessDenied|UnauthorizedOperation/"
            f"\n| stats count(*) as denials by {_BY}, errorCode"
            "\n| sort denials desc"
        ),
    ),
    InsightsQuery(
        name=f"{FOLDER}/trail-changes",
        description=(
            "Changes to CloudTrail trails and event selectors, the organization trail's"
            " included (CIS 4.5)."
        ),
        query=(
            f'{_FIELDS}, requestParameters.name\n| filter eventSource = "cloudtrail.amazonaws.com"'
            " and eventName in "
            + _names(
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging",
                "StopLogging",
                "PutEventSelectors",
                "PutInsightSelectors",
            )
            + "\n| sort @timestamp desc"
        ),
    ),
)


def queries() -> tuple[InsightsQuery, ...]:
    """Every saved query, in a stable order."""
    return QUERIES
