"""trail.events: what the organization trail records, as the scanners and CloudTrail expect it.

Each test is a promise to a user: the management selector is the one prowler recognises, S3 data
events never include the trail's own buckets, a selector CloudTrail would refuse at apply is a
located error at validate, and choosing exclusions is announced as a finding of the scanners.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from generator.check.hcl_parse import ParsedModule, literal, literals, nested
from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError, ConfigIssue
from generator.pipeline import check_module, render_module
from generator.sections.registry import Config, validate

LOG_BUCKET = "example-org-cloudtrail-logs"
ACCESS_LOGS = "example-s3-access-logs"
BASE: dict[str, Any] = {
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account_id": "111111111111",
        "cloudtrail_trusted_access": "enable",
    },
    "trail": {"name": "org-trail", "home_region": "us-east-1"},
    "bucket": {
        "name": LOG_BUCKET,
        "access_logging": {"target_bucket": ACCESS_LOGS, "target_prefix": "trail/"},
    },
}


def config_with(events: dict[str, Any], **trail: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["trail"].update(trail, events=events)
    return data


def load(data: dict[str, Any]) -> Config:
    return validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))


def issues_of(data: dict[str, Any]) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        load(data)
    return caught.value.issues


def refused(events: dict[str, Any], path: str, *words: str) -> ConfigIssue:
    """The one issue of these events: on ``path``, located in the file, with ``words``."""
    issues = issues_of(config_with(events))
    assert [issue.path for issue in issues] == [path], issues
    assert issues[0].line > 1, "located on the key, not at the top of the file"
    for word in words:
        assert word in issues[0].message, issues[0].message
    return issues[0]


def trail_body(events: dict[str, Any]) -> dict[str, Any]:
    config = load(config_with(events))
    files = render_module(config, "t.yaml")
    assert check_module(config, files)[1] == [], "the rendered module passes every rule"
    trail = ParsedModule.parse(files).get("aws_cloudtrail.org")
    assert trail is not None
    return trail.body


def selectors(body: dict[str, Any]) -> dict[str, dict[str, dict[str, list[str]]]]:
    """name -> field -> operator -> values, as CloudTrail will receive them."""
    result = {}
    for block in nested(body, "advanced_event_selector"):
        fields = {}
        for selector in nested(block, "field_selector"):
            fields[str(literal(selector["field"]))] = {
                op: literals(values)
                for op, values in selector.items()
                if op != "field" and not op.startswith("__")
            }
        result[str(literal(block["name"]))] = fields
    return result


# --- management events: what prowler and AWS Config look for -------------------------------


def test_management_selector_has_prowlers_name_and_no_read_only_when_all_are_recorded() -> None:
    recorded = selectors(trail_body({"management": {"read_write": "all"}}))
    assert recorded == {"Management events selector": {"eventCategory": {"equals": ["Management"]}}}


def test_write_only_management_events_carry_read_only_false() -> None:
    recorded = selectors(trail_body({"management": {"read_write": "write"}}))
    assert recorded["Management events selector"]["readOnly"] == {"equals": ["false"]}


def test_excluded_sources_are_not_equals_conditions_and_warned_about() -> None:
    events = {"management": {"exclude_sources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}}
    recorded = selectors(trail_body(events))
    assert recorded["Management events selector"]["eventSource"] == {
        "not_equals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]
    }
    from generator.sections.trail.events import event_warnings

    (warning,) = event_warnings(load(config_with(events)))
    assert "cloudtrail-security-trail-enabled" in warning
    assert "cloudtrail_security_trail_enabled" in warning


def test_only_kms_and_rds_data_can_be_excluded() -> None:
    refused(
        {"management": {"exclude_sources": ["s3.amazonaws.com"]}},
        "trail.events.management.exclude_sources[0]",
    )


def test_no_management_events_and_nothing_else_records_nothing() -> None:
    refused({"management": {"read_write": "none"}}, "trail.events.management.read_write", "nothing")


# --- data events: never the trail's own buckets ---------------------------------------------


def test_s3_objects_of_every_bucket_exclude_the_log_and_access_log_buckets() -> None:
    recorded = selectors(trail_body({"data": [{"resource_type": "AWS::S3::Object"}]}))
    s3 = recorded["AWS::S3::Object data events"]
    assert s3["eventCategory"] == {"equals": ["Data"]}
    assert s3["resources.type"] == {"equals": ["AWS::S3::Object"]}
    assert s3["resources.ARN"] == {
        "not_starts_with": [f"arn:aws:s3:::{LOG_BUCKET}/", f"arn:aws:s3:::{ACCESS_LOGS}/"]
    }
    text = render_module(
        load(config_with({"data": [{"resource_type": "AWS::S3::Object"}]})), "t.yaml"
    )["cloudtrail.tf"]
    assert (
        "  # event, delivered there again, for ever. Excluded:\n"
        f"  #   arn:aws:s3:::{LOG_BUCKET}/\n"
        f"  #   arn:aws:s3:::{ACCESS_LOGS}/\n"
    ) in text


def test_listed_buckets_are_recorded_by_prefix() -> None:
    events = {
        "data": [
            {
                "resource_type": "AWS::S3::Object",
                "name": "Workload buckets",
                "read_write": "write",
                "resources": ["arn:aws:s3:::acme-data/", "arn:aws:s3:::acme-uploads/in/"],
            }
        ]
    }
    s3 = selectors(trail_body(events))["Workload buckets"]
    assert s3["resources.ARN"] == {
        "starts_with": ["arn:aws:s3:::acme-data/", "arn:aws:s3:::acme-uploads/in/"]
    }
    assert s3["readOnly"] == {"equals": ["false"]}
    # no selector excludes the own buckets, so the comment claims no exclusion
    text = render_module(load(config_with(events)), "t.yaml")["cloudtrail.tf"]
    assert "never include the trail's own buckets" not in text
    assert "Excluded:" not in text
    assert f"arn:aws:s3:::{LOG_BUCKET}/" not in text


@pytest.mark.parametrize(
    "prefix",
    [f"arn:aws:s3:::{LOG_BUCKET}/", "arn:aws:s3:::example-org-", f"arn:aws:s3:::{ACCESS_LOGS}/x"],
)
def test_a_listed_prefix_that_covers_an_own_bucket_is_refused(prefix: str) -> None:
    refused(
        {"data": [{"resource_type": "AWS::S3::Object", "resources": [prefix]}]},
        "trail.events.data[0].resources[0]",
        "for ever",
    )


def test_own_buckets_stay_excluded_next_to_the_users_exclusions() -> None:
    events = {
        "data": [
            {"resource_type": "AWS::S3::Object", "exclude_resources": ["arn:aws:s3:::noisy-cache/"]}
        ]
    }
    s3 = selectors(trail_body(events))["AWS::S3::Object data events"]
    assert s3["resources.ARN"] == {
        "not_starts_with": [
            f"arn:aws:s3:::{LOG_BUCKET}/",
            f"arn:aws:s3:::{ACCESS_LOGS}/",
            "arn:aws:s3:::noisy-cache/",
        ]
    }


def test_lambda_invocations_and_network_activity_render_one_selector_each() -> None:
    events = {
        "data": [{"resource_type": "AWS::Lambda::Function"}],
        "network_activity": [{"event_source": "ec2.amazonaws.com"}],
    }
    recorded = selectors(trail_body(events))
    assert recorded["AWS::Lambda::Function data events"] == {
        "eventCategory": {"equals": ["Data"]},
        "resources.type": {"equals": ["AWS::Lambda::Function"]},
    }
    assert recorded["ec2.amazonaws.com network activity events"] == {
        "eventCategory": {"equals": ["NetworkActivity"]},
        "eventSource": {"equals": ["ec2.amazonaws.com"]},
    }


# --- validated as CloudTrail validates them --------------------------------------------------


def _data(**item: Any) -> dict[str, Any]:
    return {"data": [{"resource_type": "AWS::DynamoDB::Table", **item}]}


@pytest.mark.parametrize(
    ("events", "path", "words"),
    [
        (  # field names per category
            _data(field_selectors=[{"field": "resources.type", "equals": ["x"]}]),
            "trail.events.data[0].field_selectors[0].field",
            ("resource_type",),
        ),
        (
            {
                "network_activity": [
                    {
                        "event_source": "kms.amazonaws.com",
                        "field_selectors": [{"field": "resources.ARN", "equals": ["x"]}],
                    }
                ]
            },
            "trail.events.network_activity[0].field_selectors[0].field",
            ("network activity", "eventName"),
        ),
        (  # operators per field
            _data(field_selectors=[{"field": "readOnly", "starts_with": ["t"]}]),
            "trail.events.data[0].field_selectors[0].starts_with",
            ("only 'equals'",),
        ),
        (
            _data(field_selectors=[{"field": "readOnly", "equals": ["yes"]}]),
            "trail.events.data[0].field_selectors[0].equals",
            ("'true' or 'false'",),
        ),
        (  # one field once per selector
            _data(read_write="read", field_selectors=[{"field": "readOnly", "equals": ["true"]}]),
            "trail.events.data[0].field_selectors[0].field",
            ("already a condition",),
        ),
        (
            {
                "data": [
                    {
                        "resource_type": "AWS::S3::Object",
                        "field_selectors": [{"field": "resources.ARN", "ends_with": [".pdf"]}],
                    }
                ]
            },
            "trail.events.data[0].field_selectors[0].field",
            ("exclusion of the log buckets",),
        ),
        (
            _data(
                field_selectors=[
                    {"field": "eventName", "equals": ["GetItem"]},
                    {"field": "eventName", "equals": ["PutItem"]},
                ]
            ),
            "trail.events.data[0].field_selectors[1].field",
            ("one entry",),
        ),
        (  # no wildcards
            _data(field_selectors=[{"field": "eventName", "equals": ["Get*"]}]),
            "trail.events.data[0].field_selectors[0].equals",
            ("no wildcards",),
        ),
        (
            _data(resources=["arn:aws-cn:dynamodb:cn-north-1:111111111111:table/t"]),
            "trail.events.data[0].resources[0]",
            ("arn:aws:",),
        ),
        (
            {"data": [{"resource_type": "AWS::S3::object"}]},
            "trail.events.data[0].resource_type",
            ("AWS::S3::Object",),
        ),
        (
            {"network_activity": [{"event_source": "ec2.amazonaws.com"}] * 2},
            "trail.events.network_activity[1].event_source",
            ("twice",),
        ),
        (  # Insights need the management events they analyse
            {"management": {"read_write": "read"}, "insights": ["ApiCallRateInsight"]},
            "trail.events.insights[0]",
            ("write management events",),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_cloudtrail_refusals_are_located_errors(
    events: dict[str, Any], path: str, words: tuple[str, ...]
) -> None:
    refused(events, path, *words)


def test_network_activity_needs_an_event_source() -> None:
    issues = issues_of(config_with({"network_activity": [{"name": "VPC endpoints"}]}))
    assert [i.path for i in issues] == ["trail.events.network_activity[0].event_source"]


def test_more_than_500_condition_values_is_refused() -> None:
    names = [f"Event{i}" for i in range(497)]
    events = _data(field_selectors=[{"field": "eventName", "equals": names}])
    # 497 + Data + the table type + Management = 500: accepted; one more is refused.
    load(config_with(events))
    events["data"][0]["field_selectors"][0]["equals"].append("Event497")
    refused(events, "trail.events", "501", "500")


def test_insights_render_one_block_each() -> None:
    body = trail_body({"insights": ["ApiCallRateInsight", "ApiErrorRateInsight"]})
    assert sorted(str(literal(b["insight_type"])) for b in nested(body, "insight_selector")) == [
        "ApiCallRateInsight",
        "ApiErrorRateInsight",
    ]


def test_without_events_the_trail_has_no_selector_at_all() -> None:
    config = load(copy.deepcopy(BASE))
    text = render_module(config, "t.yaml")["cloudtrail.tf"]
    assert "advanced_event_selector" not in text and "insight_selector" not in text


def test_the_docs_data_events_only_config_is_valid_and_records_no_management_event() -> None:
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "trail-events.md"
    text = page.read_text(encoding="utf-8")
    section = text[text.index("**Next to another organization trail.**") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n", 8)]
    events = yaml.safe_load(block)["trail"]["events"]
    recorded = selectors(trail_body(events))
    assert "Management events selector" not in recorded
    assert list(recorded) == ["AWS::S3::Object data events"]
