"""``verify``: compare the deployed organization trail with its config, one small check each.

Why a list of checks over one shared, lazily read :class:`Live` state: each check reads only
what it needs (the organization, the trail, the policies, the delivery listings) and every
API response is fetched once, however many checks use it. A new concern (monitoring) is one
more function in :data:`CHECKS`. A check never swallows an API error: an :class:`AwsError`
propagates and the command exits 3, because "could not read" must never read as "compliant".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from generator.aws.accounts import check_cloudwatch_delivery, check_s3_delivery
from generator.aws.kept_statements import unproduced
from generator.aws.live import NOT_DEPLOYED, Live, Options, Result, Status, age_of, hours_ago
from generator.aws.monitoring import check_monitoring
from generator.aws.progress import Progress
from generator.aws.session import Aws
from generator.aws.verify_consumers import check_consumers
from generator.aws.verify_duplicates import check_duplicate_trails
from generator.aws.verify_events import check_trail_events
from generator.aws.verify_owner import layout_checks
from generator.check.preflight.policy_reading import statements_from_json
from generator.core.arns import arn_region
from generator.core.constants import CLOUDTRAIL_PRINCIPAL
from generator.render import policies
from generator.sections.bucket.rules import BucketPolicyTarget, bucket_policy_problems
from generator.sections.kms.rules import log_group_key_problems, trail_key_problems
from generator.sections.registry import Config, facts_of

__all__ = ["CHECKS", "Options", "Result", "verify"]

Check = Callable[[Live], list[Result]]


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _compare(check: str, subject: str, expected: object, found: object, fix: str) -> Result:
    ok = expected == found
    status: Status = "ok" if ok else "fail"
    return Result(check, subject, status, _show(expected), _show(found), "" if ok else fix)


TARGET = "credentials"  # subject of the row that stops verify on the wrong target


def _whose(live: Live) -> str:
    """Which credentials verify ran with, as the user chose them: the profile, else the chain."""
    profile = live.aws.profile
    source = (
        f"profile '{profile}'"
        if profile
        else "botocore's default chain (no --profile or AWS_PROFILE: environment variables, "
        "the default profile or an instance role)"
    )
    arn = f" as {live.caller_arn}" if live.caller_arn else ""
    return f"the credentials from {source} are account {live.caller_account}'s{arn}"


def _no_organization(live: Live) -> str:
    """The fix when the caller's account is in no organization: which of two mistakes it is.

    Why two: a standalone account is never the management account of the config's
    organization, so either the credentials are another account's (the usual case: the
    wrong profile) or the account really is the config's and its organization is gone or
    not created yet. "Use the right credentials" alone names neither account.
    """
    config = live.config.organization
    management, caller = config.management_account_id, live.caller_account
    if caller == management:
        return (
            f"account {management} is the config's management account, but it is in no "
            f"organization: organization {config.id} was deleted, or never created. Create "
            "the organization (all features) in AWS Organizations from this account and put "
            "its id in organization.id"
        )
    return (
        f"{_whose(live)}, a standalone account (in no organization); the config expects the "
        f"management account {management} of organization {config.id}. These are the wrong "
        f"credentials: run verify with credentials of account {management} (--profile). If "
        f"{caller} is meant to be the management account, create its organization first and "
        "fix organization.id and organization.management_account_id"
    )


def check_organization(live: Live) -> list[Result]:
    """The credentials are the config's management account's, in its all-features organization.

    Why first, and why one row: with another organization's (or another account's)
    credentials every later check would compare a foreign state with the config and tell the
    user to `terraform apply` forty times. verify stops after this row instead (see
    :func:`verify`).
    """
    config = live.config.organization
    org, caller = live.organization, live.caller_account
    management = config.management_account_id
    expected = f"account {management}, management account of {config.id}"
    use = f"run verify with credentials of account {management} (--profile)"
    stop: tuple[str, str] | None = None
    if not org:
        stop = (f"account {caller}, in no organization", _no_organization(live))
    elif org.get("Id") != config.id:
        stop = (
            f"account {caller} of organization {org.get('Id')} "
            f"(management account {org.get('MasterAccountId')})",
            f"these credentials reach another organization: {use}, or fix organization.id "
            "if the config is the wrong one",
        )
    elif org.get("MasterAccountId") != management:
        stop = (
            f"organization {config.id} has management account {org.get('MasterAccountId')}",
            "fix organization.management_account_id in the config",
        )
    elif caller != management:
        stop = (
            f"account {caller}, a member of {config.id}",
            "verify reads the trail, the accounts and the streams as the management account: "
            + use,
        )
    if stop is not None:
        return [Result("organization", TARGET, "fail", expected, *stop)]
    return [
        Result("organization", TARGET, "ok", expected, f"account {caller}"),
        _compare("organization", "id", config.id, org.get("Id"), ""),
        _compare(
            "organization",
            "feature set",
            "ALL",
            org.get("FeatureSet"),
            "enable all features in AWS Organizations: an organization trail needs them",
        ),
    ]


def check_trusted_access(live: Live) -> list[Result]:
    """CloudTrail's trusted access is on (the config either asserted it or enabled it)."""
    enabled = CLOUDTRAIL_PRINCIPAL in live.trusted_services
    declared = live.config.organization.cloudtrail_trusted_access
    return [
        Result(
            "trusted access",
            CLOUDTRAIL_PRINCIPAL,
            "ok" if enabled else "fail",
            f"enabled (config: {declared})",
            "enabled" if enabled else "not enabled",
            ""
            if enabled
            else (
                "apply the module (config 'enable' creates aws_organizations_aws_service_access), "
                "or `aws organizations enable-aws-service-access --service-principal "
                f"{CLOUDTRAIL_PRINCIPAL}`; without it the organization trail covers no member"
            ),
        )
    ]


def check_trail(live: Live) -> list[Result]:
    """The trail exists in its home region with the settings the config asks for."""
    config, trail = live.config, live.trail
    name = config.trail.name
    if trail is None:
        return [
            Result(
                "trail",
                name,
                "fail",
                f"{live.arns.trail}",
                NOT_DEPLOYED,
                f"run `terraform apply` in output/<config>/ (home region {live.home})",
            )
        ]
    fix = "run `terraform apply`: the trail differs from the generated module"
    wanted: list[tuple[str, object, object]] = [
        ("organization trail", True, trail.get("IsOrganizationTrail")),
        ("multi-region", config.trail.is_multi_region, trail.get("IsMultiRegionTrail")),
        (
            "global service events",
            config.trail.include_global_service_events,
            trail.get("IncludeGlobalServiceEvents"),
        ),
        (
            "log file validation",
            config.trail.enable_log_file_validation,
            trail.get("LogFileValidationEnabled"),
        ),
        ("bucket", config.bucket.name, trail.get("S3BucketName")),
        ("key prefix", config.trail.s3_key_prefix, trail.get("S3KeyPrefix")),
    ]
    if config.cloudwatch_logs:
        group = f"{live.arns.log_group(config.cloudwatch_logs.log_group_name)}:*"
        wanted.append(("log group", group, trail.get("CloudWatchLogsLogGroupArn")))
    if config.kms.key_arn:
        wanted.append(("KMS key", config.kms.key_arn, trail.get("KmsKeyId")))
    elif config.kms.enabled:
        found = "a KMS key" if trail.get("KmsKeyId") else "none (SSE-S3)"
        wanted.append(("KMS key", "a KMS key", found))
    return [_compare("trail", f"{name} {label}", e, f, fix) for label, e, f in wanted]


def check_trail_status(live: Live) -> list[Result]:
    """The trail is logging, its last deliveries failed neither to S3 nor to CloudWatch Logs."""
    if live.trail is None:
        return []
    status, name = live.trail_status, live.config.trail.name
    results = [
        Result(
            "trail status",
            f"{name} logging",
            "ok" if status.get("IsLogging") else "fail",
            "logging",
            "logging" if status.get("IsLogging") else "stopped",
            ""
            if status.get("IsLogging")
            else f"aws cloudtrail start-logging --name {live.arns.trail}",
        )
    ]
    destinations = [("S3", "LatestDeliveryError", "LatestDeliveryTime")]
    if live.config.cloudwatch_logs:
        destinations.append(
            (
                "CloudWatch Logs",
                "LatestCloudWatchLogsDeliveryError",
                "LatestCloudWatchLogsDeliveryTime",
            )
        )
    limit = timedelta(hours=live.options.delivery_age_hours)
    for where, error_key, time_key in destinations:
        error = status.get(error_key)
        results.append(
            Result(
                "trail status",
                f"{name} {where} delivery error",
                "fail" if error else "ok",
                "none",
                str(error) if error else "none",
                f"the {where} destination refuses CloudTrail ({error}): check the bucket/key "
                "policy or delivery role; verify's policy checks below say which"
                if error
                else "",
            )
        )
        if where == "CloudWatch Logs" and time_key not in status and error_key not in status:
            results.append(_no_cloudwatch_status(name))
            continue
        age = age_of(status.get(time_key), live.options.now)
        recent = age is not None and age <= limit
        results.append(
            Result(
                "trail status",
                f"{name} last {where} delivery",
                "ok" if recent else "fail",
                f"within {live.options.delivery_age_hours:g} h",
                hours_ago(age) if age is not None else "never",
                ""
                if recent
                else "a logging trail delivers every few minutes: look at the delivery error and "
                "the policies",
            )
        )
    return results


def _no_cloudwatch_status(name: str) -> Result:
    """GetTrailStatus without CloudWatch Logs fields: a note, the streams judge delivery."""
    return Result(
        "trail status",
        f"{name} last CloudWatch Logs delivery",
        "note",
        "LatestCloudWatchLogsDeliveryTime in GetTrailStatus",
        "not reported (AWS omits it before the first delivery; emulators such as moto always "
        "do): the CloudWatch delivery rows judge each account's streams instead",
    )


def check_bucket_policy(live: Live) -> list[Result]:
    """The live bucket policy passes the generator's own bucket rules (OTG001-006).

    In every layout the policy must name the MANAGEMENT account's trail ARN and
    ``AWSLogs/<management>/`` (:class:`Arns` builds both from the config), also when the bucket
    is in a log-archive account or a delegated administrator created the trail.
    """
    bucket = live.config.bucket.name
    response, missing = live.bucket_policy_read
    if response is None:
        no_bucket = missing == "NoSuchBucket"
        created = live.config.bucket.create
        return [
            Result(
                "bucket policy",
                bucket,
                "fail",
                f"bucket {bucket} with a policy admitting the trail",
                (NOT_DEPLOYED if created else "no such bucket") if no_bucket else "no policy",
                "run `terraform apply` (s3.tf)"
                if created or not no_bucket
                else "fix bucket.name: create: false expects an existing bucket",
            )
        ]
    response = response or {}
    try:
        document = json.loads(response["Policy"])
    except (ValueError, KeyError):
        document = None
    arns = live.arns
    target = BucketPolicyTarget(
        partition=arns.partition,
        org_id=arns.org_id,
        management_account_id=arns.management_account_id,
        bucket=bucket,
        prefix=live.config.trail.s3_key_prefix,
        trail_arn=arns.trail,
    )
    problems = bucket_policy_problems(statements_from_json(document), target)
    if not problems:
        return [
            Result("bucket policy", bucket, "ok", "admits the trail (OTG001-006)", "as expected")
        ]
    kept = {s.sid: i for i, s in enumerate(live.config.bucket.kept_statements)}
    return [
        Result(
            "bucket policy",
            f"{bucket} {p.rule}" + (f" statement {p.statement}" if p.statement else ""),
            "fail",
            p.fix,
            p.problem,
            # `terraform apply` writes a kept statement back as the config has it.
            f"edit bucket.kept_statements[{kept[p.statement]}] in the config, then run "
            "`terraform apply`"
            if p.statement in kept
            else "run `terraform apply`: s3.tf writes the policy the preflight rules accept",
        )
        for p in problems
    ]


def check_bucket_policy_drift(live: Live) -> list[Result]:
    """Every statement of the live bucket policy is one the config produces.

    The generated policy is this module's statements plus bucket.kept_statements, nothing read
    back; a live statement outside it (added by hand, or left by an earlier config) is drift,
    which the next `terraform apply` removes.
    """
    response = live.bucket_policy_response
    if response is None:
        return []  # check_bucket_policy reports the missing policy
    try:
        document = json.loads(response["Policy"])
    except (ValueError, KeyError):
        document = None
    bucket = live.config.bucket
    readers = facts_of(live.config, live.arns).log_readers  # bucket.readers and consumers
    expected = policies.bucket_policy(
        live.arns, readers=readers, kept=tuple(s.iam_json() for s in bucket.kept_statements)
    ).to_json()
    extra = unproduced(document, expected)
    return [
        Result(
            "bucket policy drift",
            bucket.name,
            "fail" if extra else "ok",
            "only statements the config produces",
            f"not in the config: {', '.join(extra)}" if extra else "as expected",
            "`terraform apply` removes them; to keep one, add it to bucket.kept_statements "
            "(`orgtrail-gen discover` copies CloudTrail grants)"
            if extra
            else "",
        )
    ]


def check_key_policy(live: Live) -> list[Result]:
    """An existing key's live policy admits this trail (OTG031) and the log group (OTG032)."""
    key_arn = live.config.kms.key_arn
    if not (live.config.kms.enabled and key_arn):
        return []
    response = live.bucket_aws.call(  # the trail's key lives with the bucket
        "kms",
        "get_key_policy",
        region=arn_region(key_arn),
        missing=("NotFoundException",),
        KeyId=key_arn,
        PolicyName="default",
    )
    if response is None:
        return [
            Result(
                "key policy",
                key_arn,
                "fail",
                "an existing key",
                "no such key",
                "fix kms.key_arn in the config",
            )
        ]
    try:
        stmts = statements_from_json(json.loads(response["Policy"]))
    except (ValueError, KeyError):
        stmts = []
    arns = live.arns
    problems = [
        ("OTG031", *p)
        for p in trail_key_problems(
            stmts,
            trail_arn=arns.trail,
            partition=arns.partition,
            management_account_id=arns.management_account_id,
            bucket_key=live.bucket_uses_bucket_key,
        )
    ]
    if live.config.cloudwatch_logs:
        problems += [
            ("OTG032", *p)
            for p in log_group_key_problems(
                stmts,
                group_arn=arns.log_group(live.config.cloudwatch_logs.log_group_name),
                service=f"logs.{arns.home_region}.{arns.dns_suffix}",
            )
        ]
    if not problems:
        return [Result("key policy", key_arn, "ok", "admits the trail", "as expected")]
    return [
        Result(
            "key policy",
            f"{key_arn} {rule}",
            "fail",
            fix,
            problem,
            "the key is not managed here: add the statement to its key policy",
        )
        for rule, problem, fix in problems
    ]


CHECKS: tuple[tuple[str, Check], ...] = (
    ("organization", check_organization),
    ("trusted access", check_trusted_access),
    ("trail", check_trail),
    ("trail status", check_trail_status),
    ("trail events", check_trail_events),
    ("duplicate trails", check_duplicate_trails),
    ("bucket policy", check_bucket_policy),
    ("bucket policy drift", check_bucket_policy_drift),
    ("key policy", check_key_policy),
    ("S3 delivery", check_s3_delivery),
    ("CloudWatch delivery", check_cloudwatch_delivery),
    ("monitoring", check_monitoring),
    ("consumers", check_consumers),
)


def verify(aws: Aws, config: Config, options: Options, progress: Progress) -> list[Result]:
    """Run every check in order; AWS errors propagate (exit 3), findings are returned."""
    live = Live(aws, config, options, progress)
    results: list[Result] = []
    try:
        for _name, check in layout_checks(live, CHECKS):  # the companion layout's, if any
            found = check(live)
            results += found
            if any(r.subject == TARGET and r.status == "fail" for r in found):
                results.append(
                    Result(
                        "organization",
                        "other checks",
                        "note",
                        found=f"skipped: {len(CHECKS) - 1} checks would compare another "
                        "target's state with this config",
                    )
                )
                break
        return results
    finally:
        progress.done()
