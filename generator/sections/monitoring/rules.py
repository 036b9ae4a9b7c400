"""Rules on the monitoring layer: metric filters, their alarms, and the topic alarms notify.

Why: every mistake here is silent. A filter without an alarm counts events nobody sees; an
alarm on a metric no filter produces stays OK forever; an alarm without an action, or one
whose topic CloudWatch may not use, changes state in the console and tells no one. AWS
accepts all of these at apply, so only a check of the generated code can catch them.
"""

from __future__ import annotations

from functools import cache

from generator.check.hcl_parse import (
    Block,
    ParsedModule,
    expression,
    literal,
    nested,
    template_source,
)
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import organization_trails, region_of
from generator.check.preflight.policy_reading import statements
from generator.core.constants import CLOUDWATCH_PRINCIPAL
from generator.sections.kms.rules import _allows, _conditions_admit

_FILTER = "aws_cloudwatch_log_metric_filter"
_ALARM = "aws_cloudwatch_metric_alarm"
_AWS_MANAGED_SNS_KEY = "alias/aws/sns"


def metric_of_filter(block: Block) -> tuple[str | None, str | None]:
    """(namespace, metric name) a filter writes, from its metric_transformation block."""
    transformations = nested(block.body, "metric_transformation")
    if len(transformations) != 1:
        return None, None
    body = transformations[0]
    return literal(body.get("namespace")), literal(body.get("name"))


def metric_of_alarm(block: Block) -> tuple[str | None, str | None]:
    """(namespace, metric name) an alarm watches."""
    return literal(block.body.get("namespace")), literal(block.body.get("metric_name"))


def _produced_metrics(module: ParsedModule) -> set[tuple[str | None, str | None]]:
    return {metric_of_filter(block) for block in module.of_type("resource", _FILTER)}


@rule(
    "OTG050",
    "every metric filter has an alarm on its metric",
    protects=(
        "A metric filter no alarm watches only counts matching events and tells nobody; CIS "
        "4.x and Security Hub CloudWatch.1-14 want an alarm on each filter's metric."
    ),
    satisfy=(
        "Nothing to set: every filter orgtrail-gen writes (the CIS catalogue's and "
        "`monitoring.custom_filters`) comes with its alarm; " + REPORT_BUG
    ),
)
def filter_has_alarm(module: ParsedModule, facts: Facts) -> list[Finding]:
    """A filter nobody alarms on only counts; CIS and Security Hub want filter AND alarm."""
    watched = {metric_of_alarm(block) for block in module.of_type("resource", _ALARM)}
    findings = []
    for block in module.of_type("resource", _FILTER):
        namespace, name = metric_of_filter(block)
        if (namespace, name) not in watched:
            findings.append(
                Finding(
                    "OTG050",
                    block.file,
                    block.address,
                    f"no alarm watches its metric {namespace}/{name}: matching events are "
                    "counted and nobody is told (CIS 4.x and Security Hub CloudWatch.1-14 need "
                    "an alarm on the filter's metric)",
                    f'an aws_cloudwatch_metric_alarm with namespace = "{namespace}" and '
                    f'metric_name = "{name}"',
                )
            )
    return findings


@rule(
    "OTG051",
    "every alarm notifies someone",
    protects=(
        "An alarm without an enabled action changes state in the console and notifies no one "
        "(Security Hub CloudWatch.15 and CloudWatch.17 fail)."
    ),
    satisfy=(
        "Nothing to set: every alarm notifies the topic of `monitoring.notifications` "
        "(`topic` or `existing_topic_arn`); " + REPORT_BUG
    ),
)
def alarm_has_action(module: ParsedModule, facts: Facts) -> list[Finding]:
    """An alarm without an enabled action changes state in the console and tells no one."""
    findings = []
    for block in module.of_type("resource", _ALARM):
        actions = block.body.get("alarm_actions")
        enabled = block.body.get("actions_enabled", True)
        if not isinstance(actions, list) or not actions or enabled is not True:
            findings.append(
                Finding(
                    "OTG051",
                    block.file,
                    block.address,
                    "the alarm has no enabled alarm action: it fires silently (Security Hub "
                    "CloudWatch.15 and CloudWatch.17 fail)",
                    "alarm_actions = [<the alarm topic's ARN>] and actions_enabled = true",
                )
            )
    return findings


@rule(
    "OTG052",
    "every alarm watches a metric a filter of this module produces",
    protects=(
        "An alarm whose namespace and metric name are not exactly a filter's never receives "
        "data and never fires."
    ),
    satisfy=(
        "Nothing to set: filter, metric and alarm share one name, in the namespace "
        "`monitoring.alarms.namespace`; " + REPORT_BUG
    ),
)
def alarm_metric_exists(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Namespace and metric name must be the filter's exactly, or the alarm never sees data."""
    produced = _produced_metrics(module)
    findings = []
    for block in module.of_type("resource", _ALARM):
        namespace, name = metric_of_alarm(block)
        if (namespace, name) not in produced:
            known = ", ".join(sorted(f"{n}/{m}" for n, m in produced if n and m)) or "none"
            findings.append(
                Finding(
                    "OTG052",
                    block.file,
                    block.address,
                    f"the alarm watches {namespace}/{name}, which no metric filter of this module "
                    f"writes: it never receives data and never fires (filters write: {known})",
                    "the same namespace and metric name as the metric filter's "
                    "metric_transformation",
                )
            )
    return findings


def trail_log_group(module: ParsedModule) -> Block | None:
    """The log group the organization trail delivers to, from ``cloud_watch_logs_group_arn``."""
    for trail in organization_trails(module):
        value = trail.body.get("cloud_watch_logs_group_arn")
        source = template_source(value)
        if source is None and (bare := expression(value)) is not None:
            source = "${" + bare + "}"
        if source and source.startswith("${") and "}" in source:
            reference = source[2 : source.index("}")]
            if reference.endswith(".arn"):
                return module.get(reference.removesuffix(".arn"))
    return None


def is_group(value: object, group: Block) -> bool:
    """Whether a log group name argument names ``group`` (by reference or literally)."""
    if expression(value) == f"{group.address}.name":
        return True
    name = literal(value)
    return name is not None and name == literal(group.body.get("name"))


@rule(
    "OTG053",
    "metric filters and saved queries read the trail's log group",
    protects=(
        "A metric filter or saved query on another log group than the one the organization "
        "trail delivers to sees none of the organization's events: the filter never fires, "
        "the query finds nothing."
    ),
    satisfy=(
        "Nothing to set: filters and saved queries name the group of "
        "`cloudwatch_logs.log_group_name`, or beside an owner's trail the group of "
        "`owner_trail.log_group_arn`; " + REPORT_BUG
    ),
)
def on_trail_log_group(module: ParsedModule, facts: Facts) -> list[Finding]:
    """On another group a filter sees none of the organization's events and never fires.

    Beside an owner's trail (``owner_trail``) the trail's group is the owner's, named literally.
    """
    owned = facts.owned_elsewhere
    group = trail_log_group(module)
    expected = f"{group.address}.name" if group else "the trail's aws_cloudwatch_log_group"

    def on_group(value: object) -> bool:
        if owned is not None:
            return owned.log_group_name is not None and literal(value) == owned.log_group_name
        return group is not None and is_group(value, group)

    if owned is not None:
        expected = f'"{owned.log_group_name}" (owner_trail.log_group_arn)'
    findings = []
    for block in module.of_type("resource", _FILTER):
        if not on_group(block.body.get("log_group_name")):
            findings.append(
                Finding(
                    "OTG053",
                    block.file,
                    block.address,
                    "the filter is not on the log group the organization trail delivers to: it "
                    "sees none of the organization's events and never fires",
                    f"log_group_name = {expected}",
                )
            )
    for block in module.of_type("resource", "aws_cloudwatch_query_definition"):
        names = block.body.get("log_group_names")
        if not (isinstance(names, list) and names and all(on_group(n) for n in names)):
            findings.append(
                Finding(
                    "OTG053",
                    block.file,
                    block.address,
                    "the saved query does not search the organization trail's log group",
                    f"log_group_names = [{expected}]",
                )
            )
    return findings


@cache
def _catalogue_patterns() -> frozenset[str]:
    """Every pattern the CIS catalogue ships: parsed and tested against events in the tests.

    Re-parsing them here would build the filter grammar on every run for nothing.
    """
    from generator.monitoring import cis

    return frozenset(f.pattern for c in cis.controls() for f in c.flavours)


@rule(
    "OTG054",
    "every filter pattern is valid and at most 1024 characters",
    protects=(
        "PutMetricFilter refuses a pattern that does not parse or is longer than 1024 "
        "characters (`InvalidParameterException`), and the apply fails at that filter."
    ),
    satisfy=(
        "Correct `monitoring.custom_filters[].pattern`: a JSON filter pattern `{ ... }` of "
        "at most 1024 characters (CloudWatch Logs 'Filter pattern syntax'). The config "
        "parses each pattern with the same grammar first, so " + REPORT_BUG
    ),
)
def pattern_valid(module: ParsedModule, facts: Facts) -> list[Finding]:
    """PutMetricFilter refuses an invalid or longer pattern (InvalidParameterException)."""
    findings = []
    for block in module.of_type("resource", _FILTER):
        pattern = literal(block.body.get("pattern"))
        if pattern is not None and pattern in _catalogue_patterns():
            continue
        problem = "the pattern is not a literal string, so it cannot be checked"
        if pattern is not None:
            from generator.monitoring.filter_pattern import FilterPatternError, parse

            try:
                parse(pattern)
                continue
            except FilterPatternError as exc:
                problem = f"the pattern is refused at column {exc.column}: {exc.message}"
        findings.append(
            Finding(
                "OTG054",
                block.file,
                block.address,
                f"{problem}; PutMetricFilter fails with InvalidParameterException",
                "a JSON filter pattern { ... } of at most 1024 characters (see CloudWatch Logs "
                '"Filter pattern syntax")',
            )
        )
    return findings


def topic_of(module: ParsedModule, value: object) -> Block | None:
    """The SNS topic block an alarm action or policy names (by reference), if this module has it."""
    reference = expression(value)
    if reference and reference.startswith("aws_sns_topic.") and reference.endswith(".arn"):
        return module.get(reference.removesuffix(".arn"))
    return None


@rule(
    "OTG055",
    "CloudWatch may publish to the alarm topic and use its key",
    protects=(
        "Unless the topic policy lets `cloudwatch.amazonaws.com` `sns:Publish` and the "
        "topic's key lets it `kms:Decrypt` and `kms:GenerateDataKey*`, every notification is "
        "dropped and only the alarm history says so; a topic encrypted with the AWS-managed "
        "`alias/aws/sns` key can never admit CloudWatch."
    ),
    satisfy=(
        "Nothing to set for the topic this module creates "
        "(`monitoring.notifications.topic`); "
        + REPORT_BUG
        + " A topic named by `monitoring.notifications.existing_topic_arn` is not in the "
        "module and not checked here: its policy and key must grant CloudWatch the same."
    ),
)
def topic_admits_cloudwatch(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Without both grants every notification is dropped; only the alarm history says so."""
    arns = facts.arns
    findings = []
    checked: set[str] = set()
    for alarm in module.of_type("resource", _ALARM):
        region = region_of(module, alarm)
        name = literal(alarm.body.get("alarm_name")) or "*"
        context = {
            "aws:SourceAccount": arns.management_account_id,
            "aws:SourceArn": f"arn:{arns.partition}:cloudwatch:{region}:"
            f"{arns.management_account_id}:alarm:{name}",
        }
        actions = alarm.body.get("alarm_actions")
        for action in actions if isinstance(actions, list) else []:
            topic = topic_of(module, action)
            if topic is None or topic.address in checked:
                continue
            checked.add(topic.address)
            findings += _topic_problems(module, topic, context)
    return findings


def _topic_problems(module: ParsedModule, topic: Block, context: dict[str, str]) -> list[Finding]:
    def finding(problem: str, fix: str) -> Finding:
        return Finding("OTG055", topic.file, topic.address, problem, fix)

    def admits(document: Block | None, action: str) -> bool:
        return document is not None and any(
            _allows(s, ("Service", CLOUDWATCH_PRINCIPAL), action) and _conditions_admit(s, context)
            for s in statements(document)
        )

    result = []
    policies = [
        module.resolve(p.body.get("policy"), "json")
        for p in module.of_type("resource", "aws_sns_topic_policy")
        if expression(p.body.get("arn")) == f"{topic.address}.arn"
    ]
    if not any(admits(document, "sns:Publish") for document in policies):
        result.append(
            finding(
                f"the topic policy does not let {CLOUDWATCH_PRINCIPAL} sns:Publish for the "
                f"alarm {context['aws:SourceArn']}: every notification is dropped",
                f"allow {CLOUDWATCH_PRINCIPAL} sns:Publish with aws:SourceAccount and an "
                "aws:SourceArn that matches the alarms",
            )
        )
    key_value = topic.body.get("kms_master_key_id")
    if literal(key_value) == _AWS_MANAGED_SNS_KEY:
        result.append(
            finding(
                "the topic is encrypted with the AWS-managed key alias/aws/sns, whose policy "
                f"cannot admit {CLOUDWATCH_PRINCIPAL}: every notification fails with KMS "
                "AccessDeniedException",
                "encrypt the topic with a customer-managed key that grants "
                f"{CLOUDWATCH_PRINCIPAL} kms:Decrypt and kms:GenerateDataKey*",
            )
        )
    reference = expression(key_value)
    if reference and reference.startswith("aws_kms_key.") and reference.endswith(".arn"):
        key = module.get(reference.removesuffix(".arn"))
        document = module.resolve(key.body.get("policy"), "json") if key else None
        missing = [
            action
            for action in ("kms:Decrypt", "kms:GenerateDataKey")
            if not admits(document, action)
        ]
        if missing:
            result.append(
                finding(
                    f"the topic's key does not let {CLOUDWATCH_PRINCIPAL} {', '.join(missing)} "
                    "for this account's alarms: every notification fails with KMS "
                    "AccessDeniedException",
                    f"grant {CLOUDWATCH_PRINCIPAL} kms:Decrypt and kms:GenerateDataKey* in the "
                    "key policy",
                )
            )
    return result
