"""The monitoring section of the config: every option, its defaults, and located errors.

Each refused value must produce exactly one issue, on the key the user has to change; the
custom pattern's syntax error also names the column inside the pattern.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError, ConfigIssue
from generator.monitoring import cis
from generator.sections.registry import Config, validate

BASE: dict[str, Any] = {
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account_id": "111111111111",
        "cloudtrail_trusted_access": "enable",
    },
    "trail": {"name": "org-trail", "home_region": "us-east-1"},
    "bucket": {"name": "example-org-cloudtrail-logs"},
    "cloudwatch_logs": {"log_group_name": "/aws/cloudtrail/org"},
    "monitoring": {},
}
QUEUE = "arn:aws:sqs:eu-west-1:111111111111:security-alarms"
FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:page-oncall"


def monitoring(**section: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["monitoring"] = section
    return data


def subscribed(protocol: str, endpoint: str) -> dict[str, Any]:
    subscription = {"protocol": protocol, "endpoint": endpoint}
    return monitoring(notifications={"topic": {"subscriptions": [subscription]}})


def check(data: dict[str, Any]) -> Config:
    return validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))


def issues_of(data: dict[str, Any] | str) -> list[ConfigIssue]:
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ConfigError) as raised:
        validate(load_yaml(text, "t.yaml"))
    return raised.value.issues


def refused(data: dict[str, Any], path: str, *phrases: str) -> ConfigIssue:
    (issue,) = issues_of(data)
    assert issue.path == path, issue
    for phrase in phrases:
        assert phrase in issue.message, issue
    return issue


# ---------------------------------------------------------------- defaults


def test_empty_section_means_every_control_with_the_common_alarm_settings() -> None:
    section = check(BASE).monitoring
    assert section is not None
    assert section.control_ids == [f"4.{n}" for n in range(1, 16)]
    alarms = section.alarms
    # aws-facts §7.5: one event in five minutes alarms; a quiet period is not a breach
    assert (alarms.namespace, alarms.period, alarms.threshold, alarms.evaluation_periods) == (
        "CISBenchmark",
        300,
        1,
        1,
    )
    assert alarms.treat_missing_data == "notBreaching" and alarms.ok_actions is False
    assert section.notifications.topic is None and section.notifications.existing_topic_arn is None
    assert section.saved_queries is True and section.custom_filters == []


def test_monitoring_stays_off_without_the_section() -> None:
    data = copy.deepcopy(BASE)
    del data["monitoring"]
    assert check(data).monitoring is None


# ---------------------------------------------------------------- CIS selection and flavours


@pytest.mark.parametrize(
    ("selection", "ids"),
    [("all", [f"4.{n}" for n in range(1, 16)]), ("none", []), (["4.15", "4.1"], ["4.15", "4.1"])],
)
def test_cis_selection(selection: Any, ids: list[str]) -> None:
    section = check(monitoring(cis_controls=selection)).monitoring
    assert section is not None and section.control_ids == ids


def test_unknown_and_repeated_controls_are_refused_where_listed() -> None:
    refused(monitoring(cis_controls=["4.1", "4.16"]), "monitoring.cis_controls[1]", "'4.16'")
    refused(monitoring(cis_controls=["4.3", "4.3"]), "monitoring.cis_controls[1]", "twice")
    refused(monitoring(cis_controls="some"), "monitoring.cis_controls")


def test_every_catalogue_flavour_can_be_chosen() -> None:
    for control in cis.controls():
        for flavour in control.flavours:
            section = check(monitoring(flavours={control.id: flavour.name})).monitoring
            assert section is not None and section.flavours == {control.id: flavour.name}


@pytest.mark.parametrize(
    ("section", "key", "phrase"),
    [
        ({"flavours": {"4.10": "cis-v1.4"}}, "4.10", "choose one of: cis-v5, securityhub"),
        ({"flavours": {"4.99": "securityhub"}}, "4.99", "unknown CIS control"),
        (
            {"cis_controls": ["4.1"], "flavours": {"4.13": "securityhub"}},
            "4.13",
            "not selected",
        ),
    ],
)
def test_bad_flavours_are_refused_on_their_control(
    section: dict[str, Any], key: str, phrase: str
) -> None:
    refused(monitoring(**section), f"monitoring.flavours.{key}", phrase)


# ---------------------------------------------------------------- custom filters

CUSTOM_YAML = """\
organization: {id: o-a1b2c3d4e5, management_account_id: "111111111111",
               cloudtrail_trusted_access: enable}
trail: {name: org-trail, home_region: us-east-1}
bucket: {name: example-org-cloudtrail-logs}
cloudwatch_logs: {log_group_name: /aws/cloudtrail/org}
monitoring:
  custom_filters:
    - name: VpcCreated
      pattern: '{ $.eventName = Create Vpc }'
"""


def test_a_bad_custom_pattern_is_located_in_the_file_and_in_the_pattern() -> None:
    (issue,) = issues_of(CUSTOM_YAML)
    assert (issue.file, issue.line, issue.column) == ("t.yaml", 9, 16)
    assert issue.path == "monitoring.custom_filters[0].pattern"
    # "Vpc" starts at column 24 of the pattern: AWS would refuse the unquoted two words
    assert issue.message.startswith("column 24: ")
    assert "double quotes" in issue.message


def test_a_valid_custom_filter_keeps_every_option() -> None:
    pattern = "{ ($.eventSource = guardduty.amazonaws.com) && ($.eventName = DeleteDetector) }"
    custom = {
        "name": "GuardDuty.Detector-Deleted_1",
        "pattern": pattern,
        "threshold": 2,
        "period": 60,
        "evaluation_periods": 3,
        "comparison": "GreaterThanThreshold",
    }
    section = check(monitoring(custom_filters=[custom])).monitoring
    assert section is not None
    assert section.custom_filters[0].model_dump() == custom


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.eventName = CreateVpc",  # unclosed
        "CreateVpc",  # not a JSON pattern
        "{ $.eventName IS NOT NULL }",  # not supported by CloudWatch
        "{" + " || ".join(["($.eventName = CreateVpc)"] * 40) + "}",  # > 1024
    ],
)
def test_invalid_custom_patterns_are_refused(pattern: str) -> None:
    issue = refused(
        monitoring(custom_filters=[{"name": "X", "pattern": pattern}]),
        "monitoring.custom_filters[0].pattern",
    )
    assert issue.message.startswith("column ")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("A", True),
        ("a" * 100, True),
        ("Log.Group-Tampering_2", True),
        ("a" * 101, False),  # keeps <trail>-<name> within the 255 of an alarm name
        ("", False),
        ("1stFilter", False),
        ("has:colon", False),  # FilterName, MetricName
        ("star*", False),
        ("dollar$", False),  # MetricName
        ("with space", False),
        ("caf\u00e9", False),
    ],
)
def test_custom_filter_names(name: str, ok: bool) -> None:
    data = monitoring(custom_filters=[{"name": name, "pattern": "{ $.eventName = X }"}])
    if ok:
        assert check(data).monitoring is not None
    else:
        refused(data, "monitoring.custom_filters[0].name")


@pytest.mark.parametrize("name", ["RootAccountUsage", "root-account-usage", "ROOT.ACCOUNT_USAGE"])
def test_a_custom_name_may_not_take_a_selected_cis_metric(name: str) -> None:
    custom = [{"name": name, "pattern": "{ $.eventName = X }"}]
    refused(monitoring(custom_filters=custom), "monitoring.custom_filters[0].name", "CIS 4.3")
    assert check(monitoring(cis_controls=["4.1"], custom_filters=custom)).monitoring is not None


def test_two_custom_filters_may_not_share_a_name() -> None:
    custom = [{"name": n, "pattern": "{ $.eventName = X }"} for n in ("Same-Name", "same_name")]
    refused(monitoring(custom_filters=custom), "monitoring.custom_filters[1].name", "custom")


# ---------------------------------------------------------------- alarm settings


@pytest.mark.parametrize(("period", "ok"), [(10, True), (20, True), (30, True), (60, True),
                                            (86400, True), (0, False), (45, False),
                                            (90, False), (-60, False)])  # fmt: skip
def test_alarm_periods_follow_cloudwatch(period: int, ok: bool) -> None:
    for data, path in (
        (monitoring(alarms={"period": period}), "monitoring.alarms.period"),
        (
            monitoring(custom_filters=[{"name": "X", "pattern": "{$.a = 1}", "period": period}]),
            "monitoring.custom_filters[0].period",
        ),
    ):
        if ok:
            assert check(data).monitoring is not None
        else:
            refused(data, path, "10, 20, 30 or a multiple of 60")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("namespace", "Org:Trail"),
        ("namespace", "Cost$"),
        ("namespace", "n" * 256),
        ("namespace", ""),
        # it is also printed in a comment of monitoring.tf: a newline would start HCL there
        ("namespace", 'CIS\nresource "aws_s3_bucket" "evil" {}'),
        ("namespace", "CIS\tBenchmark"),
        ("namespace", "Sécurité"),  # CloudWatch namespaces are ASCII
        ("threshold", -1),
        ("threshold", 1.5),
        ("evaluation_periods", 0),
        ("treat_missing_data", "NotBreaching"),
        ("ok_actions", "yes"),
    ],
)
def test_bad_alarm_settings_are_refused(key: str, value: Any) -> None:
    refused(monitoring(alarms={key: value}), f"monitoring.alarms.{key}")


def test_alarm_settings_can_all_be_overridden() -> None:
    settings = {
        "namespace": "Org/Trail",
        "period": 60,
        "threshold": 3,
        "evaluation_periods": 2,
        "treat_missing_data": "ignore",
        "ok_actions": True,
    }
    section = check(monitoring(alarms=settings)).monitoring
    assert section is not None and section.alarms.model_dump() == settings


# ---------------------------------------------------------------- notifications


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("email", "security-alerts@example.com"),
        ("email", "first.last+alarms@sub.example.co.uk"),
        ("https", "https://hooks.example.com/alarms?team=sec"),
        ("https", "https://10.0.0.1:8443/hook"),
        ("sqs", QUEUE),
        ("sqs", "arn:aws:sqs:us-east-1:222222222222:alarms.fifo"),
        ("lambda", FUNCTION),
        ("lambda", f"{FUNCTION}:live"),
    ],
)
def test_valid_subscriptions(protocol: str, endpoint: str) -> None:
    section = check(subscribed(protocol, endpoint)).monitoring
    assert section is not None and section.notifications.topic is not None
    assert section.notifications.topic.subscriptions[0].endpoint == endpoint


@pytest.mark.parametrize(
    ("protocol", "endpoint", "phrase"),
    [
        ("email", "security-alerts", "email address"),
        ("email", "a@b", "email address"),
        ("email", "two words@example.com", "email address"),
        ("https", "http://hooks.example.com/alarms", "https:// URL"),
        ("https", "https://hooks.example.com/a b", "https:// URL"),
        ("sqs", FUNCTION, "SQS queue ARN"),
        ("sqs", "arn:aws-cn:sqs:cn-north-1:111111111111:alarms", "partition aws"),
        ("lambda", QUEUE, "Lambda function ARN"),
        ("lambda", "arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:f", "partition"),
    ],
)
def test_invalid_subscriptions_are_refused_on_their_endpoint(
    protocol: str, endpoint: str, phrase: str
) -> None:
    path = "monitoring.notifications.topic.subscriptions[0].endpoint"
    refused(subscribed(protocol, endpoint), path, phrase)


def test_unsupported_protocol_and_repeated_subscription() -> None:
    refused(
        subscribed("sms", "+15555550100"),
        "monitoring.notifications.topic.subscriptions[0].protocol",
    )
    twice = {"protocol": "email", "endpoint": "a@example.com"}
    data = monitoring(notifications={"topic": {"subscriptions": [twice, twice]}})
    refused(data, "monitoring.notifications.topic.subscriptions[1].endpoint", "twice")
    alike = [
        {"protocol": "email", "endpoint": "sec.alerts@example.com"},
        {"protocol": "email", "endpoint": "sec-alerts@example.com"},
    ]
    data = monitoring(notifications={"topic": {"subscriptions": alike}})
    refused(
        data,
        "monitoring.notifications.topic.subscriptions[1].endpoint",
        "aws_sns_topic_subscription.email_sec_alerts_example_com",
    )


@pytest.mark.parametrize(
    ("name", "ok"), [("alarms", True), ("a" * 256, True), ("a" * 257, False), ("a.b", False)]
)
def test_topic_names(name: str, ok: bool) -> None:
    data = monitoring(notifications={"topic": {"name": name}})
    if ok:
        assert check(data).monitoring is not None
    else:
        refused(data, "monitoring.notifications.topic.name")


@pytest.mark.parametrize(
    ("arn", "phrase"),
    [
        ("arn:aws:sns:us-east-1:111111111111:alarms", None),
        ("arn:aws:sns:us-east-1:999999999999:shared-alarms", None),  # another account is fine
        ("arn:aws:sns:eu-west-1:111111111111:alarms", "its own region"),
        ("arn:aws-cn:sns:us-east-1:111111111111:alarms", "partition aws"),
        ("arn:aws:sqs:us-east-1:111111111111:alarms", "not an SNS topic ARN"),
        ("alarms", "not an SNS topic ARN"),
    ],
)
def test_existing_topic_arn(arn: str, phrase: str | None) -> None:
    data = monitoring(notifications={"existing_topic_arn": arn})
    if phrase is None:
        section = check(data).monitoring
        assert section is not None and section.notifications.existing_topic_arn == arn
    else:
        refused(data, "monitoring.notifications.existing_topic_arn", phrase)


def test_topic_and_existing_topic_exclude_each_other() -> None:
    arn = "arn:aws:sns:us-east-1:111111111111:alarms"
    data = monitoring(notifications={"topic": {}, "existing_topic_arn": arn})
    refused(data, "monitoring.notifications.existing_topic_arn", "not both")


# ---------------------------------------------------------------- the log group is required

NO_LOG_GROUP_YAML = """\
organization: {id: o-a1b2c3d4e5, management_account_id: "111111111111",
               cloudtrail_trusted_access: enable}
trail: {name: org-trail, home_region: us-east-1}
bucket: {name: example-org-cloudtrail-logs}
monitoring:
  cis_controls: all
"""


def test_monitoring_without_cloudwatch_logs_is_a_located_error() -> None:
    (issue,) = issues_of(NO_LOG_GROUP_YAML)
    assert (issue.line, issue.path) == (6, "monitoring")
    assert "needs the cloudwatch_logs section" in issue.message


def test_monitoring_errors_come_together_with_the_others() -> None:
    data = monitoring(cis_controls=["4.99"], alarms={"period": 45})
    data["trail"]["is_multi_region"] = True
    data["trail"]["include_global_service_events"] = False
    paths = {issue.path for issue in issues_of(data)}
    assert paths == {
        "trail.include_global_service_events",
        "monitoring.cis_controls[0]",
        "monitoring.alarms.period",
    }
