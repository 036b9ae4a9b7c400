"""verify checks what the trail records (issue 25 item 5): the live trail's event selectors and
Insights against trail.events, compared by what they record, each difference in words.

The trail is made as the generated module makes it: ``deploy`` creates it, then the module's
own ``advanced_event_selector`` and ``insight_selector`` blocks, read back from the rendered
cloudtrail.tf, are put on it. Then the live trail is changed the way a person would.

moto 5.2.6 differs from CloudTrail here, and these tests say where they stand in for AWS:

* GetEventSelectors of a trail without selectors answers with no selector at all, and GetTrail's
  ``HasCustomEventSelectors`` is always false; CloudTrail answers with its default basic
  selector (every management event, read and write). :func:`fake_default_event_selectors`
  gives verify CloudTrail's answer; without it, verify reads moto's (no custom selectors, so
  the default) - both are tested.
* GetInsightSelectors of a trail without Insights answers with no selector; CloudTrail answers
  InsightNotEnabledException (:func:`fake_insights_not_enabled`). Both are tested.
* PutInsightSelectors adds to the trail's Insights instead of replacing them (an empty list
  turns nothing off), so "Insights turned off" is a trail whose Insights were never put.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    aws_env,
    client,
    deploy,
    error_response,
    fake_cloudwatch_delivery_status,
    moto_url,
    on_clients,
    seed_organization,
)

from generator.aws.verify_events import (
    describe,
    differences,
    live_selectors,
    recorded,
)
from generator.check.hcl_parse import literal, literals, nested
from generator.check.preflight.lookups import SELECTOR_OPERATORS
from generator.cli import main
from generator.pipeline import build
from generator.sections.registry import load_config

BUCKET = "live-org-cloudtrail-logs"
EVENTS = """  events:
    management:
      read_write: all
    data:
      - resource_type: AWS::S3::Object
        exclude_resources: ["arn:aws:s3:::scratch-bucket/"]
    network_activity:
      - event_source: ec2.amazonaws.com
    insights: [ApiCallRateInsight]
"""
S3_WORDS = (
    "AWS::S3::Object data events (read and write) of every bucket except "
    f"bucket {BUCKET}, bucket scratch-bucket"
)
API = {op: "".join(part.title() for part in op.split("_")) for op in SELECTOR_OPERATORS}
DEFAULT_BASIC = {"ReadWriteType": "All", "IncludeManagementEvents": True}


def write_config(tmp_path: Path, org: Org, events: str = EVENTS, home: str = "us-east-1") -> Path:
    path = tmp_path / "events.yaml"
    path.write_text(
        f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: {home}
  regions: [{home}]
{events}bucket:
  name: {BUCKET}
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
""",
        encoding="utf-8",
    )
    return path


def module_selectors(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The advanced selectors and Insights selectors of the rendered cloudtrail.tf, as the API
    takes them (what the provider sends to PutEventSelectors / PutInsightSelectors)."""
    (trail,) = build(path).parsed.of_type("resource", "aws_cloudtrail")
    advanced = [
        {
            "Name": literal(selector["name"]),
            "FieldSelectors": [
                {
                    "Field": literal(condition["field"]),
                    **{API[op]: literals(condition[op]) for op in API if op in condition},
                }
                for condition in nested(selector, "field_selector")
            ],
        }
        for selector in nested(trail.body, "advanced_event_selector")
    ]
    insights = [
        {"InsightType": literal(block["insight_type"])}
        for block in nested(trail.body, "insight_selector")
    ]
    return advanced, insights


@pytest.fixture
def org(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Org:  # noqa: F811
    seeded = seed_organization(aws_env, members=1)
    fake_cloudwatch_delivery_status(monkeypatch)
    return seeded


def apply(org: Org, path: Path, *, insights: bool = True) -> tuple[Any, list[dict[str, Any]]]:
    """`terraform apply` of the module: the trail, then its selectors (and its Insights)."""
    config = load_config(path)
    deploy(org, config)
    advanced, insight_selectors = module_selectors(path)
    cloudtrail = client(org.url, "cloudtrail", config.trail.home_region)
    arn = f"arn:aws:cloudtrail:{config.trail.home_region}:{org.management}:trail/org-trail"
    if advanced:
        cloudtrail.put_event_selectors(TrailName=arn, AdvancedEventSelectors=advanced)
    if insights and insight_selectors:
        cloudtrail.put_insight_selectors(TrailName=arn, InsightSelectors=insight_selectors)
    return cloudtrail, advanced


def trail_arn(org: Org) -> str:
    return f"arn:aws:cloudtrail:us-east-1:{org.management}:trail/org-trail"


def verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["verify", str(path), "--new-account-hours", "0", "--json"])
    return code, json.loads(capsys.readouterr().out)


def event_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in document["results"] if r["check"] == "trail events"]


def failures(document: dict[str, Any]) -> list[str]:
    return [r["found"] for r in event_rows(document) if r["status"] == "fail"]


def fake_default_event_selectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto gap: GetEventSelectors of a trail without selectors answers with none; CloudTrail
    answers with its default basic selector (every management event, read and write)."""

    def default(parsed: dict[str, Any], **_: Any) -> None:
        if not parsed.get("EventSelectors") and not parsed.get("AdvancedEventSelectors"):
            parsed.pop("AdvancedEventSelectors", None)
            parsed["EventSelectors"] = [{**DEFAULT_BASIC, "DataResources": []}]

    def register(service: str, created: Any) -> None:
        if service == "cloudtrail":
            created.meta.events.register("after-call.cloudtrail.GetEventSelectors", default)

    on_clients(monkeypatch, register)


def fake_insights_not_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto gap: GetInsightSelectors of a trail without Insights answers with no selector;
    CloudTrail refuses the call with InsightNotEnabledException."""

    def refuse(**_: Any) -> Any:
        return error_response(400, "InsightNotEnabledException", "Trail has no Insights")

    def register(service: str, created: Any) -> None:
        if service == "cloudtrail":
            created.meta.events.register("before-send.cloudtrail.GetInsightSelectors", refuse)

    on_clients(monkeypatch, register)


# --- (a) selectors changed to write-only management events, data events removed ---------------


def test_write_only_management_and_no_data_events_are_each_reported(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org)
    cloudtrail, advanced = apply(org, path)
    management, _s3, network = advanced
    write_only = {
        "Name": management["Name"],
        "FieldSelectors": [
            *management["FieldSelectors"],
            {"Field": "readOnly", "Equals": ["false"]},
        ],
    }
    cloudtrail.put_event_selectors(
        TrailName=trail_arn(org), AdvancedEventSelectors=[write_only, network]
    )

    code, document = verify(path, capsys)

    assert code == 1
    assert failures(document) == [
        "no longer recorded: read management events",
        f"no longer recorded: {S3_WORDS}",
    ]
    assert document["layers"]["trail"] == "2 failed"
    row = event_rows(document)[0]
    assert row["subject"] == "org-trail event selectors"
    assert row["expected"] == "recorded, as trail.events asks"
    assert row["fix"].startswith("run `terraform apply` to restore the selectors the module")
    assert "change trail.events in the config" in row["fix"]

    main(["verify", str(path), "--new-account-hours", "0"])  # the table says the same
    table = capsys.readouterr().out
    assert re.search(
        rf"FAIL +trail events +org-trail event selectors +no longer recorded: {re.escape(S3_WORDS)}\n",
        table,
    )
    assert "trail         2 failed" in table


# --- (b) the same selectors in another order, under other names: no difference ----------------


def test_selectors_in_another_order_and_with_other_names_are_no_difference(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org)
    cloudtrail, advanced = apply(org, path)
    shuffled = [
        {
            "Name": f"renamed {i}",
            "FieldSelectors": [
                {k: list(reversed(v)) if isinstance(v, list) else v for k, v in c.items()}
                for c in reversed(selector["FieldSelectors"])
            ],
        }
        for i, selector in enumerate(reversed(advanced))
    ]
    assert shuffled != advanced
    cloudtrail.put_event_selectors(TrailName=trail_arn(org), AdvancedEventSelectors=shuffled)

    code, document = verify(path, capsys)

    assert code == 0
    assert [(r["subject"], r["status"], r["found"]) for r in event_rows(document)] == [
        (
            "org-trail event selectors",
            "ok",
            f"every management event, read and write; {S3_WORDS}; "
            "network activity events of ec2.amazonaws.com",
        ),
        ("org-trail Insights", "ok", "CloudTrail Insights events (ApiCallRateInsight)"),
    ]


# --- (c) an extra data-event selector: recorded, not asked for, and it costs ------------------


def test_an_extra_data_event_selector_is_recorded_not_asked_for_and_costs_money(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org)
    cloudtrail, advanced = apply(org, path)
    lambdas = {
        "Name": "someone's Lambda selector",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
        ],
    }
    cloudtrail.put_event_selectors(
        TrailName=trail_arn(org), AdvancedEventSelectors=[*advanced, lambdas]
    )

    code, document = verify(path, capsys)

    assert code == 1
    (row,) = [r for r in event_rows(document) if r["status"] == "fail"]
    assert row["found"] == (
        "recorded, not asked for: AWS::Lambda::Function data events (read and write) of every "
        "resource"
    )
    assert row["expected"] == "only what trail.events asks for"
    assert row["fix"].startswith("it costs money: CloudTrail bills every data and network")
    assert "Run `terraform apply` to restore the selectors" in row["fix"]


# --- (d) Insights turned off while the config asks for them -----------------------------------


@pytest.mark.parametrize("answer", ["moto", "InsightNotEnabledException"])
def test_insights_turned_off_are_no_longer_recorded(
    org: Org,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
) -> None:
    path = write_config(tmp_path, org)
    apply(org, path, insights=False)  # moto cannot turn Insights off once on: never put them
    if answer == "InsightNotEnabledException":
        fake_insights_not_enabled(monkeypatch)

    code, document = verify(path, capsys)

    assert code == 1
    (row,) = [r for r in event_rows(document) if r["status"] == "fail"]
    assert row["subject"] == "org-trail Insights"
    assert row["found"] == "no longer recorded: CloudTrail Insights events (ApiCallRateInsight)"
    assert "terraform apply" in row["fix"] and "trail.events.insights" in row["fix"]


# --- (e) basic event selectors that record what the config asks for ---------------------------

BASIC_EVENTS = """  events:
    management:
      read_write: write
      exclude_sources: [kms.amazonaws.com]
    data:
      - resource_type: AWS::S3::Object
        read_write: write
        resources: ["arn:aws:s3:::uploads-bucket/", "arn:aws:s3:::reports-bucket/monthly/"]
"""


def test_basic_selectors_equivalent_to_the_config_are_no_difference(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org, BASIC_EVENTS)
    deploy(org, load_config(path))
    client(org.url, "cloudtrail").put_event_selectors(
        TrailName=trail_arn(org),
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                "DataResources": [
                    {
                        "Type": "AWS::S3::Object",
                        "Values": [
                            "arn:aws:s3:::reports-bucket/monthly/",
                            "arn:aws:s3:::uploads-bucket/",
                        ],
                    }
                ],
            }
        ],
    )

    code, document = verify(path, capsys)

    assert code == 0
    assert next((r["status"], r["found"]) for r in event_rows(document)) == (
        "ok",
        "write management events except those of kms.amazonaws.com; AWS::S3::Object data "
        "events (write only) of arn:aws:s3:::reports-bucket/monthly/*, bucket uploads-bucket",
    )


@pytest.mark.parametrize("answer", ["CloudTrail's default basic selector", "moto's empty answer"])
def test_a_trail_without_selectors_records_what_a_config_without_events_asks(
    org: Org,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
) -> None:
    path = write_config(tmp_path, org, events="")
    apply(org, path)
    if answer.startswith("CloudTrail"):
        fake_default_event_selectors(monkeypatch)

    code, document = verify(path, capsys)

    assert code == 0
    assert [
        (r["subject"], r["status"], r["expected"], r["found"]) for r in event_rows(document)
    ] == [
        (
            "org-trail event selectors",
            "ok",
            "CloudTrail's default (trail.events is omitted)",
            "every management event, read and write",
        ),
        ("org-trail Insights", "ok", "none (trail.events is omitted)", "none"),
    ]


def test_a_config_without_events_and_changed_selectors_gets_the_cli_to_restore_the_default(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The module writes no selector then: `terraform apply` is not what restores the default."""
    path = write_config(tmp_path, org, events="")
    apply(org, path)
    client(org.url, "cloudtrail").put_event_selectors(
        TrailName=trail_arn(org),
        EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
    )

    code, document = verify(path, capsys)

    assert code == 1
    (row,) = [r for r in event_rows(document) if r["status"] == "fail"]
    assert row["found"] == "no longer recorded: write management events"
    assert row["expected"] == "recorded: CloudTrail's default (trail.events is omitted)"
    assert (
        "aws cloudtrail put-event-selectors --region us-east-1 --trail-name "
        f"{trail_arn(org)} --event-selectors "
        '\'[{"ReadWriteType": "All", "IncludeManagementEvents": true}]\''
    ) in row["fix"]


# --- where and how verify asks ----------------------------------------------------------------


def test_the_selectors_are_read_in_the_home_region_by_the_trails_arn(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org, home="eu-west-1")
    apply(org, path)
    asked: list[tuple[str, str, Any]] = []

    def register(service: str, created: Any) -> None:
        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            asked.append((model.name, created.meta.region_name, params.get("TrailName")))

        created.meta.events.register("before-parameter-build.cloudtrail", record)

    on_clients(monkeypatch, register)

    code, document = verify(path, capsys)

    arn = f"arn:aws:cloudtrail:eu-west-1:{org.management}:trail/org-trail"
    assert ("GetEventSelectors", "eu-west-1", arn) in asked
    assert ("GetInsightSelectors", "eu-west-1", arn) in asked
    assert code == 0, failures(document)
    assert document["calls"]["cloudtrail:GetEventSelectors"] == 1


# --- the comparison itself, on CloudTrail's answers -------------------------------------------


def compare(expected: list[dict[str, Any]], answer: dict[str, Any], custom: bool = True) -> Any:
    lost, extra = differences(recorded(expected), recorded(live_selectors(answer, custom)))
    return [d.words for d in lost], [d.words for d in extra]


MANAGEMENT = {"eventCategory": {"equals": ["Management"]}}


def test_an_emptied_selector_list_records_nothing() -> None:
    """Neither list, and GetTrail says the trail has custom selectors: nothing is recorded."""
    assert compare([MANAGEMENT], {"EventSelectors": [], "AdvancedEventSelectors": []}) == (
        ["every management event, read and write"],
        [],
    )
    assert describe(recorded(live_selectors({}, True))) == ["nothing"]
    assert live_selectors({}, False) == [MANAGEMENT]  # no custom selectors: CloudTrail's default


def test_a_basic_selector_for_every_bucket_records_the_log_bucket_the_config_excludes() -> None:
    expected = [
        MANAGEMENT,
        {
            "eventCategory": {"equals": ["Data"]},
            "resources.type": {"equals": ["AWS::S3::Object"]},
            "resources.ARN": {"not_starts_with": [f"arn:aws:s3:::{BUCKET}/"]},
        },
    ]
    basic = {
        **DEFAULT_BASIC,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
    }
    assert compare(expected, {"EventSelectors": [basic]}) == (
        [f"AWS::S3::Object data events (read and write) of every bucket except bucket {BUCKET}"],
        ["AWS::S3::Object data events (read and write) of every bucket"],
    )


def test_management_kinds_and_excluded_sources_are_compared_apart() -> None:
    expected = [{**MANAGEMENT, "eventSource": {"not_equals": ["kms.amazonaws.com"]}}]
    answer = {
        "AdvancedEventSelectors": [
            {
                "Name": "reads",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["true"]},
                    {"Field": "eventSource", "NotEquals": ["rdsdata.amazonaws.com"]},
                ],
            }
        ]
    }
    assert compare(expected, answer) == (
        [
            "write management events except those of kms.amazonaws.com",
            "read management events of rdsdata.amazonaws.com (now excluded)",
        ],
        ["read management events of kms.amazonaws.com (no longer excluded)"],
    )


def test_read_and_write_selectors_of_one_type_record_what_one_all_selector_records() -> None:
    data = {
        "eventCategory": {"equals": ["Data"]},
        "resources.type": {"equals": ["AWS::S3::Object"]},
    }
    answer = {
        "AdvancedEventSelectors": [
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "readOnly", "Equals": [value]},
                ]
            }
            for value in ("true", "false")
        ]
    }
    assert compare([data], answer) == ([], [])
    assert compare([data], {"AdvancedEventSelectors": answer["AdvancedEventSelectors"][:1]}) == (
        ["AWS::S3::Object data events (write only) of every bucket"],
        [],
    )


def test_a_source_no_longer_excluded_from_every_kind_is_one_difference() -> None:
    expected = [{**MANAGEMENT, "eventSource": {"not_equals": ["kms.amazonaws.com"]}}]
    answer = {"EventSelectors": [DEFAULT_BASIC]}
    assert compare(expected, answer) == (
        [],
        ["every management event, read and write of kms.amazonaws.com (no longer excluded)"],
    )


def test_insights_on_data_events_are_recorded_not_asked_for(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The module cannot declare them (provider 6.66 has no event_categories): the CLI can."""
    path = write_config(tmp_path, org)
    cloudtrail, _advanced = apply(org, path, insights=False)
    cloudtrail.put_insight_selectors(
        TrailName=trail_arn(org),
        InsightSelectors=[
            {"InsightType": "ApiCallRateInsight", "EventCategories": ["Management", "Data"]}
        ],
    )

    code, document = verify(path, capsys)

    assert code == 1
    (row,) = [r for r in event_rows(document) if r["status"] == "fail"]
    assert row["found"] == (
        "recorded, not asked for: CloudTrail Insights events (ApiCallRateInsight) on data events"
    )
    assert row["fix"].startswith("it costs money: CloudTrail bills Insights per event analysed")
    assert (
        "aws cloudtrail put-insight-selectors --region us-east-1 --trail-name "
        f'{trail_arn(org)} --insight-selectors \'[{{"InsightType": "ApiCallRateInsight"}}]\''
    ) in row["fix"]
