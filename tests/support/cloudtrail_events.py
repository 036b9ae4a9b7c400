"""Realistic CloudTrail records for the monitoring tests, and the builder that writes them.

Every record is shaped like what an organization trail delivers to CloudWatch Logs: one JSON
object per event, from a MEMBER account (recipientAccountId differs from the management
account). The CIS event lists below are transcribed from the CIS text a second time, on
purpose independently of generator/monitoring/cis.py, so a typo in one is caught by the other.

Regenerate the JSON files after editing this module:

    python tests/support/cloudtrail_events.py
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "data" / "cloudtrail-events"
MANAGEMENT = "111111111111"
MEMBER = "222222222222"
_SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"

# control -> (service, event names) as listed by CIS (v5.0 for 4.10, prowler's superset for 4.15)
CIS_EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "4.4": ("iam", ("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
                    "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
                    "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",
                    "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                    "AttachGroupPolicy", "DetachGroupPolicy")),
    "4.5": ("cloudtrail", ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging",
                           "StopLogging")),
    "4.7": ("kms", ("DisableKey", "ScheduleKeyDeletion")),
    "4.8": ("s3", ("PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
                   "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors",
                   "DeleteBucketLifecycle", "DeleteBucketReplication")),
    "4.9": ("config", ("StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
                       "PutConfigurationRecorder")),
    "4.10": ("ec2", ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                     "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
                     "CreateSecurityGroup", "DeleteSecurityGroup", "ModifySecurityGroupRules")),
    "4.11": ("ec2", ("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
                     "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry",
                     "ReplaceNetworkAclAssociation")),
    "4.12": ("ec2", ("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
                     "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway")),
    "4.13": ("ec2", ("CreateRoute", "CreateRouteTable", "ReplaceRoute",
                     "ReplaceRouteTableAssociation", "DeleteRouteTable", "DeleteRoute",
                     "DisassociateRouteTable")),
    "4.14": ("ec2", ("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
                     "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
                     "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
                     "DisableVpcClassicLink", "EnableVpcClassicLink")),
    # Organizations calls from a member account: a delegated administrator for policies, or
    # the member itself (AcceptHandshake, LeaveOrganization).
    "4.15": ("organizations", ("AcceptHandshake", "AttachPolicy", "CreateAccount",
                               "CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake",
                               "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy",
                               "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
                               "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
                               "RemoveAccountFromOrganization", "UpdatePolicy",
                               "UpdateOrganizationalUnit", "CancelHandshake",
                               "CreateOrganization", "EnableAllFeatures")),
}  # fmt: skip

# Fixtures named by hand (not from CIS_EVENTS): control -> fixture names it is about.
SPECIAL_EVENTS: dict[str, tuple[str, ...]] = {
    "4.1": ("iam-ListRoles-AccessDenied", "ec2-RunInstances-UnauthorizedOperation"),
    "4.2": ("signin-ConsoleLogin-iam-user-without-mfa",),
    "4.3": ("signin-ConsoleLogin-root",),
    "4.6": ("signin-ConsoleLogin-failed",),
}

_GLOBAL = {"iam", "organizations", "signin"}
_REQUEST: dict[str, dict[str, Any]] = {
    "iam": {"roleName": "app-deployer", "policyArn": f"arn:aws:iam::{MEMBER}:policy/app-deploy"},
    "cloudtrail": {"name": "team-trail"},
    "kms": {"keyId": "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
    "s3": {"bucketName": "team-artifacts-222222222222", "Host": "team-artifacts-222222222222.s3.eu-west-1.amazonaws.com"},
    "config": {"configurationRecorderName": "default"},
    "ec2": {"groupId": "sg-0a1b2c3d4e5f67890", "vpcId": "vpc-0123456789abcdef0"},
    "organizations": {"policyId": "p-examplepolicyid111", "targetId": "ou-ab12-cd34ef56"},
    "apigateway": {"apiId": "a1b2c3d4e5", "routeKey": "GET /items"},
}  # fmt: skip


def _sso_identity(account: str = MEMBER) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLEID1234:alice@example.com",
        "arn": f"arn:aws:sts::{account}:assumed-role/{_SSO_ROLE}/alice@example.com",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLEKEY123456",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID1234",
                "arn": f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{_SSO_ROLE}",
                "accountId": account,
                "userName": _SSO_ROLE,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2025-03-14T09:02:11Z", "mfaAuthenticated": "false"},
        },
    }


def _iam_user(account: str = MEMBER) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEUSERID1234",
        "arn": f"arn:aws:iam::{account}:user/bob",
        "accountId": account,
        "userName": "bob",
    }


def _root(account: str = MEMBER) -> dict[str, Any]:
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": "",
    }


def event(
    service: str,
    name: str,
    *,
    identity: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    error: tuple[str, str] | None = None,
    event_type: str = "AwsApiCall",
    source_ip: str = "203.0.113.24",
    user_agent: str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023",
    read_only: bool = False,
    key: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One CloudTrail record with the fields and field order real records have."""
    seed = f"{service}/{name}/{key}"
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity if identity is not None else _sso_identity(),
        "eventTime": "2025-03-14T09:15:27Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1" if service in _GLOBAL else "eu-west-1",
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error:
        record["errorCode"], record["errorMessage"] = error
    record["requestParameters"] = request if request is not None else _REQUEST.get(service)
    record["responseElements"] = response
    record.update(extra)
    record["requestID"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "request/" + seed))
    record["eventID"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "event/" + seed))
    record["readOnly"] = read_only
    record["eventType"] = event_type
    record["managementEvent"] = True
    record["recipientAccountId"] = MEMBER
    record["eventCategory"] = "Management"
    if event_type == "AwsApiCall":
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{service}.{record['awsRegion']}.amazonaws.com",
        }
    return record


def _console_login(
    identity: dict[str, Any], *, success: bool, mfa: bool, key: str, **extra: Any
) -> dict[str, Any]:
    return event(
        "signin",
        "ConsoleLogin",
        identity=identity,
        request=None,
        response={"ConsoleLogin": "Success" if success else "Failure"},
        error=None if success else ("", "Failed authentication"),
        event_type="AwsConsoleSignIn",
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
        additionalEventData={
            "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa else "No",
        },
        key=key,
        **extra,
    )


def build() -> dict[str, dict[str, Any]]:
    """Every fixture by file stem."""
    records: dict[str, dict[str, Any]] = {}
    for service, names in CIS_EVENTS.values():
        for name in names:
            records[f"{service}-{name}"] = event(service, name, response={"return": True})
    failed = _console_login(_iam_user(), success=False, mfa=False, key="failed")
    del failed["errorCode"]  # a failed sign-in carries errorMessage only
    failed["userIdentity"].pop("arn")  # and no ARN for the user it could not authenticate
    records.update(
        {
            "iam-ListRoles-AccessDenied": event(
                "iam",
                "ListRoles",
                request=None,
                error=(
                    "AccessDenied",
                    f"User: arn:aws:sts::{MEMBER}:assumed-role/{_SSO_ROLE}/alice@example.com is"
                    " not authorized to perform: iam:ListRoles on resource:"
                    f" arn:aws:iam::{MEMBER}:role/ because no identity-based policy allows the"
                    " iam:ListRoles action",
                ),
                read_only=True,
            ),
            "ec2-RunInstances-UnauthorizedOperation": event(
                "ec2",
                "RunInstances",
                request={
                    "instanceType": "m7i.large",
                    "instancesSet": {
                        "items": [
                            {"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}
                        ]
                    },
                },
                error=(
                    "Client.UnauthorizedOperation",
                    "You are not authorized to perform this operation. User: arn:aws:sts::"
                    f"{MEMBER}:assumed-role/{_SSO_ROLE}/alice@example.com is not authorized to"
                    " perform: ec2:RunInstances. Encoded authorization failure message: ...",
                ),
            ),
            "signin-ConsoleLogin-iam-user-without-mfa": _console_login(
                _iam_user(), success=True, mfa=False, key="no-mfa"
            ),
            "signin-ConsoleLogin-root": _console_login(_root(), success=True, mfa=True, key="root"),
            "signin-ConsoleLogin-failed": failed,
            # Ordinary events that no CIS filter should count.
            "ec2-DescribeInstances": event(
                "ec2",
                "DescribeInstances",
                request={"instancesSet": {}, "filterSet": {}},
                read_only=True,
            ),
            "signin-ConsoleLogin-iam-user-with-mfa": _console_login(
                _iam_user(), success=True, mfa=True, key="with-mfa"
            ),
            "signin-ConsoleLogin-sso-federated": _console_login(
                _sso_identity(), success=True, mfa=False, key="sso"
            ),
            "support-DescribeTrustedAdvisorChecks-root-service-invoked": event(
                "support",
                "DescribeTrustedAdvisorChecks",
                identity={**_root(), "invokedBy": "support.amazonaws.com"},
                request={"language": "en"},
                event_type="AwsServiceEvent",
                source_ip="support.amazonaws.com",
                user_agent="support.amazonaws.com",
                read_only=True,
            ),
            "s3-HeadBucket-delivery-AccessDenied": event(
                "s3",
                "HeadBucket",
                identity={"type": "AWSService", "invokedBy": "delivery.logs.amazonaws.com"},
                error=("AccessDenied", "Access Denied"),
                source_ip="delivery.logs.amazonaws.com",
                user_agent="delivery.logs.amazonaws.com",
                read_only=True,
                key="delivery",
            ),
            "apigateway-CreateRoute": event(
                "apigateway",
                "CreateRoute",
                response={"routeId": "r1a2b3c", "routeKey": "GET /items"},
            ),
        }
    )
    return records


def load() -> dict[str, dict[str, Any]]:
    """The committed fixtures by file stem."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS_DIR.glob("*.json"))}


def write() -> None:
    """(Re)write every fixture file; remove files the builder no longer makes."""
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    records = build()
    for path in EVENTS_DIR.glob("*.json"):
        if path.stem not in records:
            path.unlink()
    for stem, record in records.items():
        (EVENTS_DIR / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    write()
