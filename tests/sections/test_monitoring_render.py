"""The rendered monitoring layer, read back from the generated HCL as a reviewer would.

Patterns are taken from the re-parsed Terraform (not from the catalogue) and run through the
evaluator against member-account CloudTrail records: what fires is what AWS would count.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cis_deviations import EXTRA, MISSING
from support.cloudtrail_events import CIS_EVENTS, MEMBER, SPECIAL_EVENTS, load
from support.cloudwatch_names import is_valid_filter_name, is_valid_metric_name
from support.filter_matching import matches
from support.terraform import load_diagnostics

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, literals, nested
from generator.check.preflight.policy_reading import statements
from generator.core.constants import CLOUDWATCH_PRINCIPAL
from generator.core.paths import config_label
from generator.monitoring import cis, insights
from generator.monitoring.filter_pattern import MAX_PATTERN_LENGTH, parse
from generator.pipeline import check_module, render_module, templates
from generator.render.engine import environment, header
from generator.render.hcl import Ref
from generator.sections.monitoring import MonitoringView
from generator.sections.registry import Config, facts_of, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "example.yaml"
PROD = ROOT / "configs" / "prod.yaml"
EVENTS = load()
OWN: dict[str, set[str]] = {cid: set(stems) for cid, stems in SPECIAL_EVENTS.items()}
for _cid, (_service, _names) in CIS_EVENTS.items():
    OWN.setdefault(_cid, set()).update(f"{_service}-{n}" for n in _names)
BY_NAME = {control.name: control for control in cis.controls()}


def render(path: Path) -> tuple[Config, dict[str, str], ParsedModule]:
    config = load_config(path)
    files = render_module(config, config_label(path))
    return config, files, ParsedModule.parse(files)


def variant(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["monitoring"] = copy.deepcopy(change)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def filters(module: ParsedModule) -> dict[str, Block]:
    return {literal(b.body["name"]) or "": b for b in module.of_type("resource", "aws_cloudwatch_log_metric_filter")}  # fmt: skip


def alarms(module: ParsedModule) -> dict[str, Block]:
    return {
        literal(b.body["metric_name"]) or "": b
        for b in module.of_type("resource", "aws_cloudwatch_metric_alarm")
    }


def transformation(block: Block) -> dict[str, Any]:
    (body,) = nested(block.body, "metric_transformation")
    return body


# ---------------------------------------------------------------- CIS filters, proven


@pytest.mark.parametrize("config", [EXAMPLE, PROD], ids=lambda p: p.name)
def test_every_cis_filter_has_the_catalogue_pattern_and_fires_on_its_events(config: Path) -> None:
    loaded, _, module = render(config)
    assert loaded.monitoring is not None
    rendered = {name: b for name, b in filters(module).items() if name in BY_NAME}
    assert sorted(c.id for c in map(BY_NAME.__getitem__, rendered)) == sorted(
        c.id for c in cis.controls()
    )
    for name, block in rendered.items():
        control = BY_NAME[name]
        chosen = loaded.monitoring.flavours.get(control.id, control.default_flavour)
        pattern = literal(block.body["pattern"])
        assert pattern == control.flavour(chosen).pattern, name
        fired = {stem for stem, record in EVENTS.items() if matches(parse(pattern), record)}
        key = (control.id, chosen)
        assert fired == (OWN[control.id] - MISSING.get(key, set())) | EXTRA.get(key, set())


def test_the_default_security_group_filter_has_modify_security_group_rules() -> None:
    _, _, module = render(EXAMPLE)
    pattern = parse(literal(filters(module)["SecurityGroupChanges"].body["pattern"]) or "")
    assert matches(pattern, EVENTS["ec2-ModifySecurityGroupRules"])
    assert EVENTS["ec2-ModifySecurityGroupRules"]["recipientAccountId"] == MEMBER


def test_the_prod_custom_filter_fires_on_log_group_tampering_only() -> None:
    _, _, module = render(PROD)
    pattern = parse(literal(filters(module)["LogGroupTampering"].body["pattern"]) or "")
    base = EVENTS["cloudtrail-DeleteTrail"]
    for name in ("DeleteLogGroup", "PutRetentionPolicy", "DeleteMetricFilter",
                 "DeleteSubscriptionFilter", "DisassociateKmsKey"):  # fmt: skip
        assert matches(pattern, {**base, "eventSource": "logs.amazonaws.com", "eventName": name})
    assert not matches(pattern, {**base, "eventSource": "logs.amazonaws.com", "eventName": "X"})
    assert not any(matches(pattern, record) for record in EVENTS.values())


# ---------------------------------------------------------------- filters and alarms agree


@pytest.mark.parametrize("config", [EXAMPLE, PROD], ids=lambda p: p.name)
def test_each_filter_sits_on_the_trail_log_group_with_one_alarm_that_notifies(
    config: Path,
) -> None:
    loaded, _, module = render(config)
    assert loaded.monitoring is not None
    settings = loaded.monitoring.alarms
    by_metric = alarms(module)
    assert set(by_metric) == set(filters(module))
    for name, block in filters(module).items():
        assert (
            expression(block.body["log_group_name"]) == "aws_cloudwatch_log_group.cloudtrail.name"
        )
        metric = transformation(block)
        assert (literal(metric["name"]), literal(metric["namespace"])) == (name, settings.namespace)
        assert literal(metric["value"]) == "1"
        alarm = by_metric[name].body
        assert literal(alarm["namespace"]) == settings.namespace
        assert literal(alarm["alarm_name"]) == f"{loaded.trail.name}-{name}"
        assert literal(alarm["statistic"]) == "Sum"
        assert literal(alarm["treat_missing_data"]) == settings.treat_missing_data
        # Security Hub CloudWatch.15 and .17: an action, and actions enabled
        assert alarm["actions_enabled"] is True
        assert [expression(a) for a in alarm["alarm_actions"]] == ["aws_sns_topic.alarms.arn"]
        assert ("ok_actions" in alarm) == settings.ok_actions


def test_alarm_settings_and_custom_overrides_reach_the_alarms() -> None:
    _, _, module = render(PROD)
    cis_alarm = alarms(module)["RootAccountUsage"].body
    assert (cis_alarm["period"], cis_alarm["threshold"], cis_alarm["evaluation_periods"]) == (
        300,
        1,
        1,
    )
    custom = alarms(module)["LogGroupTampering"].body
    assert custom["period"] == 60
    assert literal(custom["comparison_operator"]) == "GreaterThanOrEqualToThreshold"


def test_names_and_patterns_fit_cloudwatch_limits(tmp_path: Path) -> None:
    """The longest trail name and the longest custom name still give a valid alarm name."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["trail"]["name"] = "t" * 128
    data["monitoring"]["custom_filters"] = [{"name": "C" * 100, "pattern": "{ $.eventName = X }"}]
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config, files, module = render(path)
    assert check_module(config, files)[1] == []
    for name, block in filters(module).items():
        assert is_valid_filter_name(name) and is_valid_metric_name(name)
        assert len(literal(block.body["pattern"]) or "") <= MAX_PATTERN_LENGTH
    names = [literal(b.body["alarm_name"]) or "" for b in alarms(module).values()]
    assert max(map(len, names)) == 128 + 1 + 100 <= 255


# ---------------------------------------------------------------- selection and topics


def test_selected_controls_and_flavours_only(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        {"cis_controls": ["4.13", "4.3"], "flavours": {"4.13": "securityhub"},
         "saved_queries": False},
    )  # fmt: skip
    _, files, module = render(path)
    assert sorted(filters(module)) == ["RootAccountUsage", "RouteTableChanges"]
    route = literal(filters(module)["RouteTableChanges"].body["pattern"])
    assert route == cis.control("4.13").flavour("securityhub").pattern
    assert "queries.tf" not in files


def test_no_filters_means_no_alarms_and_no_topic(tmp_path: Path) -> None:
    _, files, _ = render(variant(tmp_path, {"cis_controls": "none"}))
    assert {"monitoring.tf", "notifications.tf"}.isdisjoint(files) and "queries.tf" in files
    _, files, _ = render(variant(tmp_path, {"cis_controls": "none", "saved_queries": False}))
    assert {"monitoring.tf", "notifications.tf", "queries.tf"}.isdisjoint(files)


def test_an_existing_topic_is_notified_and_nothing_is_created(tmp_path: Path) -> None:
    arn = "arn:aws:sns:us-east-1:111111111111:security-alarms"
    config, files, module = render(
        variant(tmp_path, {"notifications": {"existing_topic_arn": arn}})
    )
    assert "notifications.tf" not in files
    assert not module.of_type("resource", "aws_sns_topic")
    assert len(module.of_type("resource", "aws_kms_key")) == 1  # the trail's key only
    for alarm in alarms(module).values():
        assert literals(alarm.body["alarm_actions"]) == [arn]
    assert arn in files["monitoring.tf"] and check_module(config, files)[1] == []
    assert module.get("output.alarm_topic_arn") is None


def test_subscriptions_are_rendered_as_configured() -> None:
    _, files, module = render(PROD)
    subscriptions = module.of_type("resource", "aws_sns_topic_subscription")
    assert [(literal(s.body["protocol"]), literal(s.body["endpoint"])) for s in subscriptions] == [
        ("email", "security-oncall@acme.example"),
        ("sqs", "arn:aws:sqs:eu-central-1:123456789012:security-alarms"),
    ]
    assert all(expression(s.body["topic_arn"]) == "aws_sns_topic.alarms.arn" for s in subscriptions)
    # addressed by endpoint, not by position: reordering the list changes nothing in AWS
    assert [s.address for s in subscriptions] == [
        "aws_sns_topic_subscription.email_security_oncall_acme_example",
        "aws_sns_topic_subscription.sqs_arn_aws_sqs_eu_central_1_123456789012_security_alarms",
    ]
    assert "PendingConfirmation" in files["notifications.tf"]
    output = module.get("output.alarm_topic_arn")
    assert output is not None and expression(output.body["value"]) == "aws_sns_topic.alarms.arn"


# ---------------------------------------------------------------- the topic and its key


@pytest.mark.parametrize("config", [EXAMPLE, PROD], ids=lambda p: p.name)
def test_topic_is_encrypted_with_its_own_key_that_only_cloudwatch_uses(config: Path) -> None:
    loaded, _, module = render(config)
    account, region = loaded.organization.management_account_id, loaded.trail.home_region
    topic = module.get("aws_sns_topic.alarms")
    assert topic is not None
    assert expression(topic.body["kms_master_key_id"]) == "aws_kms_key.alarms.arn"
    key = module.get("aws_kms_key.alarms")
    assert key is not None and key.body["enable_key_rotation"] is True
    assert key.body["lifecycle"][0]["prevent_destroy"] is True
    alarm_arns = (f"arn:aws:cloudwatch:{region}:{account}:alarm:*",)
    for document, actions in (
        ("data.aws_iam_policy_document.alarms_kms", ("kms:Decrypt", "kms:GenerateDataKey*")),
        ("data.aws_iam_policy_document.alarms_topic", ("sns:Publish",)),
    ):
        block = module.get(document)
        assert block is not None
        users = [s for s in statements(block) if s.has_principal("Service", CLOUDWATCH_PRINCIPAL)]
        (statement,) = users
        assert statement.actions == actions
        assert statement.condition("StringEquals", "aws:SourceAccount") == (account,)
        assert statement.condition("ArnLike", "aws:SourceArn") == alarm_arns
    key_policy = module.get("data.aws_iam_policy_document.alarms_kms")
    assert key_policy is not None
    for statement in statements(key_policy):
        if any(kind == "AWS" for kind, _ in statement.principals):
            assert not any(re.match(r"kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt)", a)
                           for a in statement.actions), statement  # fmt: skip


def test_no_alarm_topic_grant_on_the_trail_key() -> None:
    """Separation of duties: the trail's key policy is the same with or without monitoring."""
    _, files, _ = render(EXAMPLE)
    assert CLOUDWATCH_PRINCIPAL not in files["kms.tf"]


# ---------------------------------------------------------------- saved queries


def test_saved_queries_search_the_trail_log_group() -> None:
    _, _, module = render(EXAMPLE)
    blocks = module.of_type("resource", "aws_cloudwatch_query_definition")
    assert [(literal(b.body["name"]), literal(b.body["query_string"])) for b in blocks] == [
        (q.name, q.query) for q in insights.queries()
    ]
    for block in blocks:
        assert [expression(v) for v in block.body["log_group_names"]] == [
            "aws_cloudwatch_log_group.cloudtrail.name"
        ]


# ---------------------------------------------------------------- the docs' walkthrough


def _docs_pattern() -> str:
    page = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough-pattern -->\n```\n(?P<pattern>\{.*?\})\n```", page, re.S)
    assert match, "docs/monitoring.md's walkthrough pattern block is missing"
    return match["pattern"]


def test_the_docs_security_group_pattern_fires_on_a_member_accounts_events() -> None:
    pattern = parse(_docs_pattern())
    fired = {stem for stem, record in EVENTS.items() if matches(pattern, record)}
    assert fired == OWN["4.10"]
    assert {EVENTS[stem]["recipientAccountId"] for stem in fired} == {MEMBER}


def test_the_docs_security_group_pattern_is_a_valid_custom_filter(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        {"cis_controls": ["4.3"],
         "custom_filters": [{"name": "WalkthroughSecurityGroups", "pattern": _docs_pattern()}]},
    )  # fmt: skip
    config, files, module = render(path)
    assert literal(filters(module)["WalkthroughSecurityGroups"].body["pattern"]) == _docs_pattern()
    assert check_module(config, files)[1] == []


def test_the_docs_event_excerpt_is_the_fixture_and_is_counted() -> None:
    page = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
    start = page.index("<!-- walkthrough-pattern -->")
    block = re.search(r"```json\n(.*?)\n```", page[start:], re.S)
    assert block, "docs/monitoring.md's event excerpt is missing"
    excerpt = yaml.safe_load(block[1])
    fixture = EVENTS["ec2-CreateSecurityGroup"]
    for key, value in excerpt.items():
        if isinstance(value, dict):
            assert value.items() <= fixture[key].items(), key
        else:
            assert fixture[key] == value, key
    assert matches(parse(_docs_pattern()), excerpt)


def test_template_sequences_in_a_custom_pattern_reach_aws_unchanged(tmp_path: Path) -> None:
    """A quoted value may hold ${ or %{: Terraform must send it literally, not interpolate."""
    pattern = '{ ($.requestParameters.name = "${var}%{x}") || ($.eventName = "a-b") }'
    path = variant(tmp_path, {"custom_filters": [{"name": "Odd", "pattern": pattern}]})
    config, files, module = render(path)
    assert literal(filters(module)["Odd"].body["pattern"]) == pattern
    assert "$${var}%%{x}" in files["monitoring.tf"]  # Terraform's own escapes, never a live ${
    assert check_module(config, files)[1] == []


_QUOTED_TEXT = st.text(
    st.characters(blacklist_characters='"\\\r\n', blacklist_categories=("Cs",)), max_size=40
)


@settings(  # each example renders and re-parses a module: 7 locally, 30 in CI
    max_examples=settings.default.max_examples * 15 // 100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=_QUOTED_TEXT)
def test_any_accepted_custom_pattern_reaches_the_hcl_unchanged(tmp_path: Path, value: str) -> None:
    """Whatever a quoted value holds ($, %, {, unicode, controls), AWS gets the pattern as typed."""
    pattern = f'{{ $.requestParameters.name = "{value}" }}'
    path = variant(tmp_path, {"cis_controls": "none", "saved_queries": False,
                              "custom_filters": [{"name": "Any", "pattern": pattern}]})  # fmt: skip
    config, files, module = render(path)
    assert literal(filters(module)["Any"].body["pattern"]) == pattern
    assert check_module(config, files)[1] == []
    if "*" not in value:  # a * is a wildcard, not a character to match
        assert matches(parse(pattern), {"requestParameters": {"name": value}})


def test_warnings_name_what_terraform_cannot_do(tmp_path: Path) -> None:
    from generator.pipeline import build

    assert any("PendingConfirmation" in w for w in build(EXAMPLE).warnings)
    no_subscriber = build(variant(tmp_path, {})).warnings
    assert any("no subscriptions" in w for w in no_subscriber)
    arn = "arn:aws:sns:us-east-1:111111111111:security-alarms"
    existing = build(variant(tmp_path, {"notifications": {"existing_topic_arn": arn}})).warnings
    assert any(arn in w and "kms:GenerateDataKey*" in w for w in existing)
    assert not any("no subscriptions" in w for w in existing)


def test_https_confirmation_and_short_retention_are_warned(tmp_path: Path) -> None:
    from generator.pipeline import build

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["cloudwatch_logs"]["retention_in_days"] = 90
    hook = {"protocol": "https", "endpoint": "https://hooks.example.com/alarms"}
    data["monitoring"]["notifications"]["topic"]["subscriptions"] = [hook]
    path = tmp_path / "hook.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    module = build(path)
    assert any("SubscribeURL" in w and hook["endpoint"] in w for w in module.warnings)
    assert any("CloudWatch.16" in w for w in module.warnings)
    assert "SubscribeURL" in module.files["notifications.tf"]


def test_the_annotated_monitoring_block_is_a_valid_config(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(monitoring:.*?)```", page, re.S)
    assert block, "docs/config.md's annotated monitoring block is missing"
    path = variant(tmp_path, yaml.safe_load(block[1])["monitoring"])
    config, files, _ = render(path)
    assert config.monitoring is not None and config.monitoring.custom_filters
    assert check_module(config, files)[1] == []


def test_two_alarm_actions_render_as_a_list_terraform_loads(tmp_path: Path) -> None:
    # No config gives two actions yet; the template must not depend on that: once printed
    # as `[a.arn"arn:..."]`, which neither Terraform nor the re-parse can read.
    config = load_config(PROD)
    views, _ = templates(facts_of(config))
    existing = "arn:aws:sns:eu-west-1:111111111111:security-alarms"
    actions = (Ref("aws_sns_topic.alarms.arn"), existing)
    monitoring = views["monitoring"]
    assert isinstance(monitoring, MonitoringView)
    context = {**views, "header": header("prod.yaml")}
    context["monitoring"] = monitoring._replace(alarm_actions=actions, ok_actions=actions)
    files = render_module(config, config_label(PROD))
    files["monitoring.tf"] = environment().get_template("monitoring.tf.j2").render(context)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    assert load_diagnostics(tmp_path) == []
    for alarm in alarms(ParsedModule.parse(files)).values():
        for key in ("alarm_actions", "ok_actions"):
            items = alarm.body[key]
            assert [expression(items[0]), literal(items[1])] == [
                "aws_sns_topic.alarms.arn",
                existing,
            ]
