"""Field errors and cross-field errors of one config come in one run (docs/workflow.md: "all at once").

Before, a field error (pydantic) stopped validation before any cross-field rule ran: a retention
of 45 days showed only once an uppercase bucket name was fixed.
"""

from __future__ import annotations

import pytest

from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError
from generator.sections.registry import Config, validate

BASE = """\
organization:
  id: {org_id}
  management_account_id: "111111111111"
  cloudtrail_trusted_access: enable
trail:
  name: org-trail
  home_region: us-east-1
bucket:
  name: {bucket}
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
  retention_in_days: {retention}
{extra}"""


def messages(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(text, "c.yaml"))
    return [f"{i.line}:{i.path}: {i.message}" for i in caught.value.issues]


def test_uppercase_bucket_and_bad_retention_in_one_run() -> None:
    found = messages(BASE.format(org_id="o-a1b2c3d4e5", bucket="My-Bucket", retention=45, extra=""))
    assert [m.split(": ")[0] for m in found] == [
        "9:bucket.name",
        "12:cloudwatch_logs.retention_in_days",
    ]
    assert "45 is not allowed" in found[1]


def test_organization_error_and_bad_email_endpoint_in_one_run() -> None:
    monitoring = (
        "monitoring:\n  notifications:\n    topic:\n"
        "      subscriptions: [{protocol: email, endpoint: not-an-address}]\n"
    )
    found = messages(
        BASE.format(org_id="o-BAD", bucket="good-bucket-name", retention=365, extra=monitoring)
    )
    paths = [m.split(": ")[0] for m in found]
    assert paths[0] == "2:organization.id"
    assert paths[1].endswith("monitoring.notifications.topic.subscriptions[0].endpoint")


def test_a_cross_field_rule_on_a_bad_field_is_not_reported_twice() -> None:
    # bucket.name fails as a field (uppercase) and would also fail the cross-field rule on
    # periods: one message for the one key.
    found = messages(
        BASE.format(org_id="o-a1b2c3d4e5", bucket="My.Bucket", retention=365, extra="")
    )
    assert [m.split(": ")[0] for m in found] == ["9:bucket.name"]


def test_misspelt_region_gets_did_you_mean() -> None:
    text = BASE.format(org_id="o-a1b2c3d4e5", bucket="good-bucket-name", retention=365, extra="")
    found = messages(text.replace("home_region: us-east-1", "home_region: eu-wset-1"))
    (message,) = found
    assert message.startswith("7:trail.home_region: 'eu-wset-1' is not a region where")
    assert "did you mean 'eu-west-1'" in message


def test_schema_catches_what_validate_catches_in_account_ids_and_retention() -> None:
    import json

    import jsonschema
    import yaml

    from generator.config.schema import config_schema

    validator = jsonschema.Draft202012Validator(json.loads(config_schema(Config)))
    good = BASE.format(org_id="o-a1b2c3d4e5", bucket="good-bucket-name", retention=365, extra="")
    assert not list(validator.iter_errors(yaml.safe_load(good)))
    for bad, key in (
        (good.replace('"111111111111"', '"11111111111x"'), "management_account_id"),
        (good.replace("o-a1b2c3d4e5", "o-BAD"), "id"),
        (good.replace("retention_in_days: 365", "retention_in_days: 45"), "retention_in_days"),
    ):
        best = jsonschema.exceptions.best_match(validator.iter_errors(yaml.safe_load(bad)))
        assert best is not None and best.path[-1] == key
        with pytest.raises(ConfigError):  # and validate agrees
            validate(load_yaml(bad, "c.yaml"))
