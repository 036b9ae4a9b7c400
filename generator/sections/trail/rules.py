"""Rules on the trail: what CreateTrail validates, its wiring, and what it records (selectors)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from generator.check.hcl_parse import (
    Block,
    ParsedModule,
    expression,
    literal,
    literals,
    nested,
    template_source,
)
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import (
    bucket_name,
    bucket_policies,
    field_selectors,
    organization_trails,
    references,
    region_of,
)
from generator.check.preflight.policy_reading import statements
from generator.core.constants import CLOUDTRAIL_PRINCIPAL
from generator.sections.organization.rules import trusted_access_sources
from generator.sections.trail.events import S3_OBJECT_TYPES

_ANSWERS = {
    "aws_s3_bucket_policy": "InsufficientS3BucketPolicyException",
    "aws_kms_key": "InsufficientEncryptionPolicyException",
    "aws_kms_key_policy": "InsufficientEncryptionPolicyException",
    "aws_iam_role_policy": "InvalidCloudWatchLogsRoleArnException",
    "aws_organizations_aws_service_access": "CloudTrailAccessNotEnabledException",
    "aws_organizations_organization": "CloudTrailAccessNotEnabledException",
}


def _answer(address: str) -> str | None:
    parts = address.split(".")
    return _ANSWERS.get(parts[1] if parts[0] == "data" else parts[0])


def _finding(rule_id: str, trail: Block, problem: str, fix: str) -> Finding:
    return Finding(rule_id, trail.file, trail.address, problem, fix)


@rule(
    "OTG010",
    "the trail is an organization trail",
    protects=(
        "Without `is_organization_trail = true` the trail logs the management account only: "
        "no member account's activity is recorded, and nothing fails to say so."
    ),
    satisfy="Nothing to set: orgtrail-gen writes only organization trails; " + REPORT_BUG,
)
def organization_trail(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Without is_organization_trail only the management account is logged."""
    return [
        _finding(
            "OTG010",
            trail,
            "is_organization_trail is not true: only the management account would be logged",
            "is_organization_trail = true",
        )
        for trail in organization_trails(module)
        if trail.body.get("is_organization_trail") is not True
    ]


@rule(
    "OTG011",
    "a multi-region trail includes global service events",
    protects=(
        "AWS refuses a multi-region trail without global service events: CreateTrail fails "
        "with `InvalidParameterCombinationException`."
    ),
    satisfy=(
        "Keep `trail.include_global_service_events: true` while `trail.is_multi_region` is "
        "true. The config refuses the combination first, so " + REPORT_BUG
    ),
)
def multi_region_global_events(module: ParsedModule, facts: Facts) -> list[Finding]:
    """AWS refuses a multi-region trail without global service events."""
    return [
        _finding(
            "OTG011",
            trail,
            "is_multi_region_trail = true with include_global_service_events = false: CreateTrail "
            "fails with InvalidParameterCombinationException",
            "include_global_service_events = true (set trail.include_global_service_events)",
        )
        for trail in organization_trails(module)
        if trail.body.get("is_multi_region_trail") is True
        and trail.body.get("include_global_service_events") is False
    ]


def _log_group(module: ParsedModule, trail: Block) -> tuple[str | None, Block | None]:
    value = trail.body.get("cloud_watch_logs_group_arn")
    source = template_source(value)
    if source is None:
        bare = expression(value)
        if bare is None:
            return None, None
        source = "${" + bare + "}"
    group = None
    if source.startswith("${") and "}" in source:
        reference = source[2 : source.index("}")]
        if reference.endswith(".arn"):
            group = module.get(reference.removesuffix(".arn"))
    return source, group


@rule(
    "OTG012",
    "the CloudWatch Logs group ARN ends in ':*'",
    protects=(
        "CloudTrail wants the log-stream wildcard after the log group's ARN "
        "(`...:log-group:<name>:*`); without it CreateTrail fails with "
        "`InvalidCloudWatchLogsLogGroupArnException`."
    ),
    satisfy="Nothing to set: orgtrail-gen always writes the ARN with `:*`; " + REPORT_BUG,
)
def log_group_wildcard(module: ParsedModule, facts: Facts) -> list[Finding]:
    """CloudTrail wants the log-stream wildcard after the group ARN."""
    findings = []
    for trail in organization_trails(module):
        if "cloud_watch_logs_group_arn" not in trail.body:
            continue
        source, _ = _log_group(module, trail)
        if source is None or not source.endswith(":*"):
            findings.append(
                _finding(
                    "OTG012",
                    trail,
                    "cloud_watch_logs_group_arn lacks the ':*' suffix: CreateTrail fails with "
                    "InvalidCloudWatchLogsLogGroupArnException",
                    'cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.<name>.arn}:*"',
                )
            )
    return findings


def _role_documents(module: ParsedModule, trail: Block) -> tuple[Block | None, list[Block]]:
    """(the role, the policy documents attached to it inline) for the trail's delivery role."""
    reference = expression(trail.body.get("cloud_watch_logs_role_arn"))
    role = module.get(reference.removesuffix(".arn")) if reference else None
    if role is None:
        return None, []
    documents = []
    for policy in module.of_type("resource", "aws_iam_role_policy"):
        target = expression(policy.body.get("role"))
        if target in (f"{role.address}.id", f"{role.address}.name"):
            document = module.resolve(policy.body.get("policy"), "json")
            if document is not None:
                documents.append(document)
    return role, documents


@rule(
    "OTG013",
    "the delivery role may write the organization's and the account's streams",
    protects=(
        "An organization trail writes to log streams named `<org-id>_*`, and the management "
        "account's to `<management account>_CloudTrail_<region>*`: a delivery role without "
        "`logs:CreateLogStream` and `logs:PutLogEvents` on both (or a wider grant) makes "
        "CreateTrail fail with `InvalidCloudWatchLogsLogGroupArnException`."
    ),
    satisfy=(
        "Nothing to set: the role's policy is written from `organization.id`, "
        "`organization.management_account_id`, `trail.home_region` and "
        "`cloudwatch_logs.log_group_name`; " + REPORT_BUG
    ),
)
def delivery_role_streams(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Organization streams are named <org-id>_*; without that grant CreateTrail fails."""
    findings = []
    arns = facts.arns
    for trail in organization_trails(module):
        if "cloud_watch_logs_group_arn" not in trail.body:
            continue
        _, group = _log_group(module, trail)
        role, documents = _role_documents(module, trail)
        region = region_of(module, trail)
        group_name = template_source(group.body.get("name")) if group else None
        if role is None or group_name is None or region is None:
            findings.append(
                _finding(
                    "OTG013",
                    trail,
                    "the CloudWatch Logs role or log group cannot be found in the module",
                    "reference an aws_iam_role and an aws_cloudwatch_log_group of this module",
                )
            )
            continue
        base = (
            f"arn:{arns.partition}:logs:{region}:{arns.management_account_id}:log-group:"
            f"{group_name}:log-stream:"
        )
        needed = [
            f"{base}{arns.org_id}_*",
            f"{base}{arns.management_account_id}_CloudTrail_{region}*",
        ]
        granted = [
            (action, resource)
            for document in documents
            for s in statements(document)
            if s.effect == "Allow"
            for action in s.actions
            for resource in s.resources
        ]
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            for resource in needed:
                # A wider grant (log-stream:*) is accepted by AWS too: match as IAM would.
                if not any(fnmatchcase(action, a) and fnmatchcase(resource, r) for a, r in granted):
                    findings.append(
                        Finding(
                            "OTG013",
                            role.file,
                            role.address,
                            f"the delivery role lacks {action} on {resource}: CreateTrail fails "
                            "with InvalidCloudWatchLogsLogGroupArnException",
                            f"grant {action} on {resource}",
                        )
                    )
    return findings


@rule(
    "OTG014",
    "CloudTrail may assume the delivery role",
    protects=(
        "A delivery role whose trust policy does not let `cloudtrail.amazonaws.com` "
        "`sts:AssumeRole` is refused: CreateTrail fails with "
        "`InvalidCloudWatchLogsRoleArnException`, and no event reaches CloudWatch Logs."
    ),
    satisfy="Nothing to set: the role is always written with that trust policy; " + REPORT_BUG,
)
def delivery_role_trust(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A role CloudTrail cannot assume is refused at CreateTrail."""
    findings = []
    for trail in organization_trails(module):
        if "cloud_watch_logs_role_arn" not in trail.body:
            continue
        role, _ = _role_documents(module, trail)
        trust = module.resolve(role.body.get("assume_role_policy"), "json") if role else None
        if trust is None or not any(
            s.effect == "Allow"
            and "sts:AssumeRole" in s.actions
            and s.has_principal("Service", CLOUDTRAIL_PRINCIPAL)
            for s in statements(trust)
        ):
            findings.append(
                _finding(
                    "OTG014",
                    trail,
                    f"the delivery role does not trust {CLOUDTRAIL_PRINCIPAL}: CreateTrail fails "
                    "with InvalidCloudWatchLogsRoleArnException",
                    f"allow sts:AssumeRole to the service principal {CLOUDTRAIL_PRINCIPAL}",
                )
            )
    return findings


@rule(
    "OTG015",
    "the trail depends on everything CreateTrail validates",
    protects=(
        "Terraform creates what the trail does not depend on in parallel with it. Without "
        "`depends_on` on the bucket policy, the delivery role's policy, the key and its "
        "policy, the organization data source and trusted access, the first apply's "
        "CreateTrail can run before them and fail (`InsufficientS3BucketPolicyException`, "
        "`InsufficientEncryptionPolicyException`, `InvalidCloudWatchLogsRoleArnException`, "
        "`CloudTrailAccessNotEnabledException`); the second apply passes."
    ),
    satisfy="Nothing to set: orgtrail-gen writes the trail's `depends_on`; " + REPORT_BUG,
)
def creation_order(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Without depends_on the first apply races the policies and fails; the second passes."""
    findings = []
    for trail in organization_trails(module):
        wanted = trusted_access_sources(module)
        wanted += [
            block.address for block in module.of_type("data", "aws_organizations_organization")
        ]
        name = bucket_name(module, trail.body.get("s3_bucket_name"))
        wanted += [policy.address for policy, _ in bucket_policies(module, name or "")]
        role, _ = _role_documents(module, trail)
        if role is not None:
            wanted += [
                p.address
                for p in module.of_type("resource", "aws_iam_role_policy")
                if expression(p.body.get("role")) in (f"{role.address}.id", f"{role.address}.name")
            ]
        kms = expression(trail.body.get("kms_key_id"))
        if kms and kms.startswith("aws_kms_key."):
            key = kms.removesuffix(".arn")
            wanted += [key]
            wanted += [
                p.address
                for p in module.of_type("resource", "aws_kms_key_policy")
                if expression(p.body.get("key_id")) in (f"{key}.id", f"{key}.key_id")
            ]
        present = set(references(trail.body.get("depends_on")))
        # The organization data source can be wanted twice: read, and asserting trusted access.
        missing = [address for address in dict.fromkeys(wanted) if address not in present]
        if missing:
            answers = sorted({answer for a in missing if (answer := _answer(a))})
            findings.append(
                _finding(
                    "OTG015",
                    trail,
                    f"depends_on lacks {', '.join(missing)}: CreateTrail may run before they exist "
                    f"and the first apply fails ({', '.join(answers)})",
                    f"depends_on = [{', '.join(sorted(present | set(missing)))}]",
                )
            )
    return findings


# --- trail.events: what the trail records ----------------------------------------------------

_POSITIVE = ("equals", "starts_with", "ends_with")


def _matches(op: str, value: str, pattern: str) -> bool:
    base = op.removeprefix("not_")
    if base == "equals":
        return value == pattern
    if base == "starts_with":
        return value.startswith(pattern)
    return value.endswith(pattern)


def _condition_admits(operators: dict[str, list[str]], value: str) -> bool:
    """Whether every operator on a field lets ``value`` through.

    Positive operators: the value must match one of their values; negative ones: none. Each
    operator is a separate condition that must hold (the conservative reading: AWS does not
    document how operators of one field combine, and the generator never mixes them).
    """
    for op, patterns in operators.items():
        matched = any(_matches(op, value, p) for p in patterns)
        if op in _POSITIVE and patterns and not matched:
            return False
        if op not in _POSITIVE and matched:
            return False
    return True


def _records(block: dict[str, Any], fields: dict[str, str]) -> bool:
    """Whether an advanced selector records an event with these field values."""
    return all(
        _condition_admits(operators, fields[field])
        for field, operators in field_selectors(block).items()
        if field in fields
    )


def log_file_key(prefix: str | None, org_id: str, account: str, region: str, day: str) -> str:
    """The key of one log file the organization trail writes (aws-facts.md 2); ``day`` YYYY/MM/DD.

    The file name is CloudTrail's
    ``<account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<16 characters>.json.gz``.
    """
    lead = f"{prefix}/" if prefix else ""
    stamp = day.replace("/", "")
    return (
        f"{lead}AWSLogs/{org_id}/{account}/CloudTrail/{region}/{day}/"
        f"{account}_CloudTrail_{region}_{stamp}T0105Z_Mu0KsOhtH1ar15ZZ.json.gz"
    )


def _own_objects(module: ParsedModule, facts: Facts, trail: Block) -> list[tuple[str, str]]:
    """(bucket, an object ARN the trail itself writes there) for the log and access-log buckets."""
    arns = facts.arns
    name = bucket_name(module, trail.body.get("s3_bucket_name"))
    if name is None:
        return []
    prefix = literal(trail.body.get("s3_key_prefix"))
    key = log_file_key(
        prefix, arns.org_id, arns.management_account_id, arns.home_region, "2026/01/31"
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
        if literal(resource.get("type")) not in S3_OBJECT_TYPES:
            continue
        for value in literals(resource.get("values")):
            if value in (f"arn:{partition}:s3", f"arn:{partition}:s3:::") or arn.startswith(value):
                return True
    return False


@rule(
    "OTG080",
    "the trail does not record the data events of its own buckets",
    protects=(
        "A data-event selector that records the objects of the log bucket (or of its "
        "access-log bucket) records every delivery, which is delivered and recorded again, "
        "for ever (LZA#1192: about 1.5 billion events in 3 years)."
    ),
    satisfy=(
        "In `trail.events.data[]`, list the buckets to record by their full name and a '/' "
        "(`resources`), or leave `resources` out to record every bucket: orgtrail-gen then "
        "excludes the log buckets itself. The config refuses a selector that covers a log "
        "bucket first, so " + REPORT_BUG
    ),
)
def no_own_bucket_data_events(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A selector that admits the log bucket's (or access-log bucket's) objects loops."""
    findings = []
    for trail in organization_trails(module):
        for bucket, arn in _own_objects(module, facts, trail):
            event = {
                "eventCategory": "Data",
                "resources.type": S3_OBJECT_TYPES[0],
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


@rule(
    "OTG081",
    "a regeneration does not drop every event selector of the trail",
    protects=(
        "Removing every `advanced_event_selector` makes the provider call PutEventSelectors "
        "with `AdvancedEventSelectors = []` (trail.go), which does not restore CloudTrail's "
        "default selector and can leave the trail recording no management events."
    ),
    satisfy=(
        "Keep `trail.events` with `management: {read_write: all}` (an explicit "
        "management-events selector) instead of deleting `trail.events`."
    ),
)
def selectors_not_all_dropped(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Against the previous output: a trail that had advanced event selectors keeps a selector."""
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
