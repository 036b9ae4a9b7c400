"""verify's monitoring check against a moto server: filters, alarms, the topic and who it reaches.

The server is seeded from the rendered monitoring.tf / notifications.tf (``deploy_monitoring``
reads the generated HCL), so these tests compare verify with what the module describes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    aws_env,
    client,
    deploy,
    deploy_monitoring,
    fake_cloudwatch_delivery_status,
    fake_pending_email_subscriptions,
    moto_url,
    seed_organization,
)

from generator.cli import main
from generator.pipeline import build
from generator.sections.registry import load_config

MONITORING = """monitoring:
  notifications:
    topic:
      subscriptions:
        - {protocol: email, endpoint: security@example.com}
        - {protocol: sqs, endpoint: "arn:aws:sqs:us-east-1:123456789012:alarms"}
"""


def _config(tmp_path: Path, org: Org, monitoring: str = MONITORING) -> Path:
    path = tmp_path / "watched.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
bucket:
  name: watched-org-cloudtrail-logs
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
{monitoring}""",
        encoding="utf-8",
    )
    return path


def _verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["verify", str(path), "--new-account-hours", "0", "--json"])
    return code, json.loads(capsys.readouterr().out)


def _monitoring(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in document["results"] if r["check"] == "monitoring"]


@pytest.fixture
def watched(aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Org, Path, str]:
    org = seed_organization(aws_env, members=1)
    path = _config(tmp_path, org)
    deploy(org, load_config(path))
    topic = deploy_monitoring(org, build(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    # moto gap: it confirms every subscription at once; faked at the seam to AWS's behaviour.
    fake_pending_email_subscriptions(monkeypatch)
    return org, path, topic


def test_deployed_monitoring_passes_with_a_bounded_number_of_calls(
    watched: tuple[Org, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _org, path, topic = watched
    code, document = _verify(path, capsys)
    assert code == 0
    rows = {r["subject"]: r for r in _monitoring(document)}
    assert rows["metric filters on /aws/cloudtrail/org"]["found"] == "15 of 15 as generated"
    assert rows["alarms"]["found"] == "15 of 15 as generated"
    assert (rows["alarm topic"]["status"], rows["alarm topic"]["found"]) == ("ok", topic)
    assert topic.endswith(":org-trail-alarms")  # the name the generator gives the topic
    assert rows["topic subscriptions"]["found"] == "1 confirmed, 1 pending"
    # The subscriber who never confirmed receives nothing: a note with the fix, not a failure,
    # while the queue is subscribed.
    pending = rows["subscription email security@example.com"]
    assert pending["status"] == "note"
    assert pending["fix"].startswith("confirm the subscription email")
    calls = document["calls"]
    assert calls["logs:DescribeMetricFilters"] == 1
    assert calls["cloudwatch:DescribeAlarms"] == 1  # 15 names, one batch
    assert calls["sns:ListSubscriptionsByTopic"] == 1


def test_only_a_pending_email_subscription_is_a_failure(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    path = _config(
        tmp_path,
        org,
        "monitoring:\n  cis_controls: ['4.1', '4.3']\n  notifications:\n    topic:\n"
        "      subscriptions: [{protocol: email, endpoint: soc@example.com}]\n",
    )
    deploy(org, load_config(path))
    deploy_monitoring(org, build(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    fake_pending_email_subscriptions(monkeypatch)  # moto gap, as above
    code, document = _verify(path, capsys)
    assert code == 1
    failed = [r for r in document["results"] if r["status"] == "fail"]
    assert [(r["subject"], r["found"]) for r in failed] == [
        ("topic subscriptions", "0 confirmed, 1 pending")
    ]
    assert failed[0]["fix"].startswith("confirm the subscription email")
    notes = [r for r in document["results"] if r["status"] == "note"]
    assert [r["subject"] for r in notes] == ["subscription email soc@example.com"]


def test_drift_in_filters_and_alarms_is_named(
    watched: tuple[Org, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    org, _path, _topic = watched
    path = _path
    logs, cloudwatch = client(org.url, "logs"), client(org.url, "cloudwatch")
    group = "/aws/cloudtrail/org"
    logs.delete_metric_filter(logGroupName=group, filterName="RootAccountUsage")
    logs.put_metric_filter(  # someone "simplified" a pattern in the console
        logGroupName=group,
        filterName="UnauthorizedAPICalls",
        filterPattern='{ $.errorCode = "AccessDenied" }',
        metricTransformations=[
            {
                "metricName": "UnauthorizedAPICalls",
                "metricNamespace": "CISBenchmark",
                "metricValue": "1",
            }
        ],
    )
    cloudwatch.disable_alarm_actions(AlarmNames=["org-trail-ConsoleSigninWithoutMFA"])
    cloudwatch.delete_alarms(AlarmNames=["org-trail-IAMPolicyChanges"])
    code, document = _verify(path, capsys)
    assert code == 1
    failed = {r["subject"]: r for r in document["results"] if r["status"] == "fail"}
    assert set(failed) == {
        "metric filters on /aws/cloudtrail/org",
        "filter RootAccountUsage",
        "filter UnauthorizedAPICalls",
        "alarms",
        "alarm org-trail-ConsoleSigninWithoutMFA",
        "alarm org-trail-IAMPolicyChanges",
    }
    assert failed["filter RootAccountUsage"]["found"] == "missing"
    assert failed["filter UnauthorizedAPICalls"]["found"].startswith("pattern '{ $.errorCode")
    assert failed["alarm org-trail-ConsoleSigninWithoutMFA"]["found"] == "actions disabled"
    assert failed["alarm org-trail-IAMPolicyChanges"]["found"] == "missing"
    assert failed["alarms"]["found"] == "13 of 15 as generated"


def test_existing_topic_that_does_not_exist_is_a_failure(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    topic = f"arn:aws:sns:us-east-1:{org.management}:security-alarms"
    path = _config(
        tmp_path,
        org,
        f"monitoring:\n  cis_controls: ['4.3']\n  notifications:\n    existing_topic_arn: {topic}\n",
    )
    deploy(org, load_config(path))
    deploy_monitoring(org, build(path))  # filters and alarms; the topic is not created
    fake_cloudwatch_delivery_status(monkeypatch)
    code, document = _verify(path, capsys)
    assert code == 1
    failed = [r for r in document["results"] if r["status"] == "fail"]
    assert [(r["subject"], r["expected"], r["found"]) for r in failed] == [
        ("alarm topic", topic, "no such topic")
    ]
    assert "existing_topic_arn" in failed[0]["fix"]


def test_alarms_are_asked_for_in_batches_of_100(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    custom = "".join(
        f"    - {{name: Custom{i:03d}, pattern: '{{ $.eventName = \"Custom{i:03d}\" }}'}}\n"
        for i in range(90)
    )
    path = _config(
        tmp_path,
        org,
        "monitoring:\n  custom_filters:\n" + custom + "  notifications:\n    topic:\n"
        '      subscriptions: [{protocol: sqs, endpoint: "arn:aws:sqs:us-east-1:123456789012:q"}]\n',
    )
    deploy(org, load_config(path))
    deploy_monitoring(org, build(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    code, document = _verify(path, capsys)
    assert code == 0, [r for r in document["results"] if r["status"] == "fail"]
    rows = {r["subject"]: r for r in _monitoring(document)}
    assert rows["alarms"]["found"] == "105 of 105 as generated"
    assert document["calls"]["cloudwatch:DescribeAlarms"] == 2  # 100 names, then 5
    assert document["calls"]["logs:DescribeMetricFilters"] <= 3  # 50 filters per page


def test_no_monitoring_section_makes_no_monitoring_calls(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = seed_organization(aws_env, members=1)
    path = _config(tmp_path, org, monitoring="")
    deploy(org, load_config(path))
    fake_cloudwatch_delivery_status(monkeypatch)
    code, document = _verify(path, capsys)
    assert code == 0
    assert _monitoring(document) == []
    assert not any(name.split(":")[0] in ("cloudwatch", "sns") for name in document["calls"])
    assert "logs:DescribeMetricFilters" not in document["calls"]
