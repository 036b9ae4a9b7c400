"""The CIS AWS Foundations Benchmark CloudWatch controls 4.1-4.15 as metric-filter data.

Why flavours: the sources disagree (aws-facts.md §7.3, §7.4, §10 items 5-7), and no single
string satisfies every reader. Security Hub's CloudWatch.1-14 pass only with their *exact*
strings ("Additional fields or terms cannot be added to the metric filters", Security Hub
User Guide, "Amazon CloudWatch controls",
https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html); prowler
matches with an order-independent regex that wants every listed event name plus, for some
controls, an ``eventSource``; the CIS text itself changed between versions and is defective
in places. So each control carries named flavours and a default; the choice is the user's,
the defaults are justified on each control below.

Flavours never offered:

* 4.1 of CIS v1.4-v3.0, ``{ A || B || ($.sourceIPAddress!="delivery.logs.amazonaws.com") ||
  ($.eventName!="HeadBucket") }``: OR-ing two negations matches almost every event
  (``DEFECTIVE_CIS_V14_UNAUTHORIZED`` is kept only so a test can prove it).
* 4.6 of CIS v4.0/v5.0, ``$.errorMessage = Failed authentication``: an unquoted two-word
  value is not a valid pattern (:mod:`generator.monitoring.filter_pattern` refuses it).
* 4.13 of CIS v3.0+ as printed, ``($.eventSource = ec2.amazonaws.com) && ($.eventName =
  CreateRoute) || ...``: ``&&`` binds tighter than ``||``, so the event source restricts
  only ``CreateRoute``; the ``cis-v3`` flavour parenthesises it as CIS meant.

Every pattern here is parsed by our grammar in the tests and is at most 1024
characters (botocore ``FilterPattern``); each control's name is a valid metric-filter name
(botocore ``FilterName``: 1-512, no ``:`` or ``*``) and metric name (``MetricName``: at most
255, no ``:``, ``*`` or ``$``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple


class CatalogueError(ValueError):
    """An unknown control id or flavour was asked for (a ``ValueError`` for pydantic)."""


class Flavour(NamedTuple):
    """One way of writing a control's filter pattern, and where it comes from."""

    name: str
    pattern: str
    source: str


class Control(NamedTuple):
    """One CIS CloudWatch control and its flavours."""

    id: str
    title: str
    security_hub_id: str | None
    name: str
    flavours: tuple[Flavour, ...]
    default_flavour: str

    def flavour(self, name: str | None = None) -> Flavour:
        """The named flavour, or the default one."""
        wanted = self.default_flavour if name is None else name
        for flavour in self.flavours:
            if flavour.name == wanted:
                return flavour
        known = ", ".join(f.name for f in self.flavours)
        raise CatalogueError(f"CIS {self.id} has no flavour {wanted!r}; choose one of: {known}")


class MetricFilterSpec(NamedTuple):
    """What a metric filter needs: its (filter and metric) name and its pattern."""

    name: str
    pattern: str


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName = {name})" for name in names)


_SH = "Security Hub User Guide, CloudWatch.{} (exact string)"

_ORGANIZATIONS_CIS = (
    "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit",
    "CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit",
    "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
    "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
    "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit",
)  # fmt: skip
_ORGANIZATIONS_PROWLER = ("CancelHandshake", "CreateOrganization", "EnableAllFeatures")
_ROUTE_EVENTS = (
    "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
    "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable",
)  # fmt: skip
_SECURITY_GROUP_EVENTS = (
    "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
    "DeleteSecurityGroup",
)  # fmt: skip


def _organizations(names: tuple[str, ...]) -> str:
    """Compact spacing: the 21-event superset must stay well under 1024 characters."""
    events = "||".join(f"($.eventName={name})" for name in names)
    return f"{{($.eventSource=organizations.amazonaws.com)&&({events})}}"


# The v1.4-v3.0 4.1 transcription (prowler's CIS JSON). Never emitted: see the module doc.
DEFECTIVE_CIS_V14_UNAUTHORIZED = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") ||'
    ' ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)

CONTROLS: tuple[Control, ...] = (
    Control(
        id="4.1",
        title="Ensure unauthorized API calls are monitored",
        security_hub_id="CloudWatch.2",
        name="UnauthorizedAPICalls",
        flavours=(
            Flavour(
                "securityhub",
                '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
                _SH.format(2) + "; CIS v1.2",
            ),
            Flavour(
                "cis-v4",
                '{(($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*"))'
                ' && (($.sourceIPAddress != "delivery.logs.amazonaws.com")'
                ' && ($.eventName != "HeadBucket"))}',
                "CIS v4.0.1/v5.0 intent, explicitly grouped (nozaq secure-baseline)",
            ),
        ),
        # securityhub passes Security Hub CloudWatch.2 (exact string) and prowler (which only
        # wants the two errorCode terms); cis-v4 fails Security Hub. The price is a few
        # alarms for AWS log delivery's own HeadBucket AccessDenied, which cis-v4 drops.
        default_flavour="securityhub",
    ),
    Control(
        id="4.2",
        title="Ensure management console sign-in without MFA is monitored",
        security_hub_id="CloudWatch.3",
        name="ConsoleSigninWithoutMFA",
        flavours=(
            Flavour(
                "securityhub",
                '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes")'
                ' && ($.userIdentity.type = "IAMUser")'
                ' && ($.responseElements.ConsoleLogin = "Success") }',
                _SH.format(3) + "; the SSO-safe variant CIS v1.4+ offers",
            ),
            Flavour(
                "cis-basic",
                '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
                "CIS v1.4-v5.0 first variant",
            ),
        ),
        # securityhub is the SSO-safe variant: federated (IAM Identity Center, SAML) sign-ins
        # record MFAUsed "No" because MFA happened at the identity provider, and failed
        # sign-ins record it too, so cis-basic alarms on every SSO login and every typo.
        default_flavour="securityhub",
    ),
    Control(
        id="4.3",
        title="Ensure usage of the 'root' account is monitored",
        security_hub_id="CloudWatch.1",
        name="RootAccountUsage",
        flavours=(
            Flavour(
                "securityhub",
                '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS'
                ' && $.eventType !="AwsServiceEvent"}',
                _SH.format(1) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.4",
        title="Ensure IAM policy changes are monitored",
        security_hub_id="CloudWatch.4",
        name="IAMPolicyChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) ||"
                " ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) ||"
                " ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) ||"
                " ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) ||"
                " ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) ||"
                " ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) ||"
                " ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) ||"
                " ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
                _SH.format(4) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.5",
        title="Ensure CloudTrail configuration changes are monitored",
        security_hub_id="CloudWatch.5",
        name="CloudTrailConfigChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) ||"
                " ($.eventName=DeleteTrail) || ($.eventName=StartLogging) ||"
                " ($.eventName=StopLogging)}",
                _SH.format(5) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.6",
        title="Ensure AWS Management Console authentication failures are monitored",
        security_hub_id="CloudWatch.6",
        name="ConsoleAuthenticationFailures",
        flavours=(
            Flavour(
                "securityhub",
                '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
                _SH.format(6) + "; CIS v1.4-v3.0 (v4.0/v5.0 lost the quotes: invalid)",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.7",
        title="Ensure disabling or scheduled deletion of customer created CMKs is monitored",
        security_hub_id="CloudWatch.7",
        name="DisableOrDeleteCMK",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) ||"
                " ($.eventName=ScheduleKeyDeletion))}",
                _SH.format(7) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.8",
        title="Ensure S3 bucket policy changes are monitored",
        security_hub_id="CloudWatch.8",
        name="S3BucketPolicyChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) ||"
                " ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) ||"
                " ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) ||"
                " ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) ||"
                " ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
                _SH.format(8) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.9",
        title="Ensure AWS Config configuration changes are monitored",
        security_hub_id="CloudWatch.9",
        name="AWSConfigChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventSource=config.amazonaws.com) &&"
                " (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel)"
                " || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
                _SH.format(9) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.10",
        title="Ensure security group changes are monitored",
        security_hub_id="CloudWatch.10",
        name="SecurityGroupChanges",
        flavours=(
            Flavour(
                "cis-v5",
                "{ " + _any_event(*_SECURITY_GROUP_EVENTS, "ModifySecurityGroupRules") + " }",
                "CIS v5.0 (adds ModifySecurityGroupRules)",
            ),
            Flavour(
                "securityhub",
                "{" + " || ".join(f"($.eventName={name})" for name in _SECURITY_GROUP_EVENTS) + "}",
                _SH.format(10) + "; CIS v1.4-v4.0",
            ),
        ),
        # cis-v5: ModifySecurityGroupRules (the console's "Edit inbound rules" since 2021)
        # changes a rule in place; without it, opening a port to 0.0.0.0/0 that way never
        # alarms. That gap is worth a failed Security Hub CloudWatch.10, which wants its
        # exact six-event string (choose "securityhub" for it); prowler accepts both.
        default_flavour="cis-v5",
    ),
    Control(
        id="4.11",
        title="Ensure Network Access Control List (NACL) changes are monitored",
        security_hub_id="CloudWatch.11",
        name="NACLChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) ||"
                " ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) ||"
                " ($.eventName=ReplaceNetworkAclEntry) ||"
                " ($.eventName=ReplaceNetworkAclAssociation)}",
                _SH.format(11) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.12",
        title="Ensure changes to network gateways are monitored",
        security_hub_id="CloudWatch.12",
        name="NetworkGatewayChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) ||"
                " ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) ||"
                " ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
                _SH.format(12) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.13",
        title="Ensure route table changes are monitored",
        security_hub_id="CloudWatch.13",
        name="RouteTableChanges",
        flavours=(
            Flavour(
                "cis-v3",
                "{ ($.eventSource = ec2.amazonaws.com) && (" + _any_event(*_ROUTE_EVENTS) + ") }",
                "CIS v3.0-v5.0, parenthesised as intended; prowler requires the eventSource",
            ),
            Flavour(
                "securityhub",
                "{" + " || ".join(f"($.eventName={name})" for name in _ROUTE_EVENTS) + "}",
                _SH.format(13) + "; CIS v1.4-v2.0",
            ),
        ),
        # cis-v3: API Gateway v2 also has CreateRoute and DeleteRoute (HTTP API routes), so
        # without the ec2 eventSource every API deployment alarms as a route-table change.
        # CIS v3.0+ and prowler want the eventSource; Security Hub CloudWatch.13 forbids it
        # ("securityhub" flavour). One filter cannot satisfy both (aws-facts.md §10 item 6).
        default_flavour="cis-v3",
    ),
    Control(
        id="4.14",
        title="Ensure VPC changes are monitored",
        security_hub_id="CloudWatch.14",
        name="VPCChanges",
        flavours=(
            Flavour(
                "securityhub",
                "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) ||"
                " ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) ||"
                " ($.eventName=CreateVpcPeeringConnection) ||"
                " ($.eventName=DeleteVpcPeeringConnection) ||"
                " ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) ||"
                " ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) ||"
                " ($.eventName=EnableVpcClassicLink)}",
                _SH.format(14) + "; CIS v1.4-v5.0 differ only in spacing",
            ),
        ),
        default_flavour="securityhub",
    ),
    Control(
        id="4.15",
        title="Ensure AWS Organizations changes are monitored",
        security_hub_id=None,
        name="OrganizationsChanges",
        flavours=(
            Flavour(
                "prowler",
                _organizations(_ORGANIZATIONS_CIS + _ORGANIZATIONS_PROWLER),
                "CIS v1.4-v5.0 list plus CancelHandshake, CreateOrganization and"
                " EnableAllFeatures, which prowler's check requires",
            ),
            Flavour("cis", _organizations(_ORGANIZATIONS_CIS), "CIS v1.4-v5.0 list"),
        ),
        # prowler: a superset of the CIS list passes CIS audits and prowler alike, and no
        # Security Hub control demands an exact string for Organizations.
        default_flavour="prowler",
    ),
)

_BY_ID = {control.id: control for control in CONTROLS}


def controls() -> tuple[Control, ...]:
    """Every control, in benchmark order."""
    return CONTROLS


def control(control_id: str) -> Control:
    """One control by its CIS id ("4.1" ... "4.15")."""
    try:
        return _BY_ID[control_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        raise CatalogueError(f"unknown CIS control {control_id!r}; known: {known}") from None


def resolve(
    ids: Iterable[str] | None = None, flavours: Mapping[str, str] | None = None
) -> list[MetricFilterSpec]:
    """The metric filters for the chosen controls (all by default), in benchmark order.

    ``flavours`` maps a control id to a flavour name; controls not named get their default.
    A flavour for a control that is not selected is an error rather than ignored, because it
    almost always means a typo in the id.
    """
    chosen = list(_BY_ID) if ids is None else list(ids)
    for control_id in chosen:
        control(control_id)
    if len(set(chosen)) != len(chosen):
        raise CatalogueError(f"CIS controls listed more than once: {sorted(chosen)}")
    flavours = dict(flavours or {})
    stray = sorted(set(flavours) - set(chosen))
    if stray:
        raise CatalogueError(f"flavours given for controls that are not selected: {stray}")
    return [
        MetricFilterSpec(c.name, c.flavour(flavours.get(c.id)).pattern)
        for c in CONTROLS
        if c.id in chosen
    ]
