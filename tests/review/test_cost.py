"""`orgtrail-gen cost`: the monthly estimate, checked against arithmetic worked out by hand.

Every price is read from the packaged price list by its key and every volume is a named
constant (set in the config, or the stated default read from DEFAULTS by its key); the expected
amounts are written out as a person would compute them on paper, never by calling the code
under test. The module is built for real (load, render, re-parse, preflight), so the quantities
the estimate reads - alarms, filters, keys, selectors, the lifecycle, saved queries - are the
generated ones.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from support.docs_blocks import assert_block_shows

from generator.cli import main
from generator.pipeline import build
from generator.review.cost import Estimate, estimate
from generator.review.cost_facts import read_cost
from generator.review.cost_inputs import inputs_of
from generator.sections.cost.model import DEFAULTS

PRICES = json.loads((ROOT / "generator" / "config" / "prices.json").read_text(encoding="utf-8"))


def price(key: str) -> float:
    """USD for one unit (one event, GB, request) of the packaged price ``key``."""
    row = PRICES["prices"][key]
    return float(row["usd"]) / int(row["per"])


def default(key: str) -> float:
    return DEFAULTS[key].value


# Every price the hand-worked example uses, by its key in the packaged list (per one unit).
FIRST_COPY = price("cloudtrail.management_events.first_copy")  # free
PAID_COPY = price("cloudtrail.management_events.copy")  # $2.00 per 100,000
DATA_EVENT = price("cloudtrail.data_events")  # $0.10 per 100,000
INSIGHTS = price("cloudtrail.insights.management")  # $0.35 per 100,000 analysed
INGESTION = price("cloudwatch.logs.ingestion")  # $0.50 per GB
LOG_STORAGE = price("cloudwatch.logs.storage")  # $0.03 per GB-month
CUSTOM_METRIC = price("cloudwatch.metrics.custom")  # $0.30 a metric-month
ALARM = price("cloudwatch.alarms.standard")  # $0.10 an alarm-month
STANDARD = price("s3.storage.STANDARD")  # $0.023 per GB-month
PUT = price("s3.requests.put")  # $0.005 per 1,000
KEY = price("kms.key")  # $1.00 a key-month
KMS_REQUEST = price("kms.requests")  # $0.03 per 10,000
PUBLISH = price("sns.publish")  # $0.50 per 1,000,000
EMAIL = price("sns.delivery.email")  # $2.00 per 100,000
SCANNED = price("athena.scanned")  # $5.00 per TB

GB = PRICES["bytes_per_gb"]  # 2**30
TB = PRICES["bytes_per_tb"]  # 2**40
assert (GB, TB) == (2**30, 2**40)

# The hand-worked organization: every volume named.
ACCOUNTS = 3
REGIONS = 2  # us-east-1, eu-west-1
MANAGEMENT = 250_000  # management events per account and region a month (set in the config)
BUCKET_EVENTS = 2_000_000  # data events a month of the one bucket recorded (set in the config)
WRITE_SHARE = default("write_share")  # 0.1
BYTES = default("bytes_per_event")  # 1,500
COMPRESSED = default("compressed_fraction")  # 0.1
LOG_FILES = default("log_files")  # 8,640 per account and region
DIGESTS = default("digest_files")  # 720 per account and region
BUCKET_KEY = default("bucket_key_request_share")  # 0.01
NOTIFICATIONS = default("alarm_notifications")  # 2 per alarm
RUNS = default("athena_runs")  # 4 per saved query
HORIZON = default("horizon_days")  # 365: nothing expires the example's logs
RETENTION = 365  # cloudwatch_logs.retention_in_days' default
ALARMS = 15  # CIS 4.1-4.15, one metric filter and one alarm each


def small_org(tmp_path: Path, cost: dict[str, Any] | None = None, **changes: Any) -> Path:
    """configs/example.yaml with 3 accounts, one bucket's data events, Insights and Athena."""
    data = yaml.safe_load((ROOT / "configs" / "example.yaml").read_text(encoding="utf-8"))
    data["trail"]["events"] = {
        "data": [
            {
                "name": "Uploads bucket",
                "resource_type": "AWS::S3::Object",
                "resources": ["arn:aws:s3:::acme-uploads/"],
            }
        ],
        "insights": ["ApiCallRateInsight", "ApiErrorRateInsight"],
    }
    data["athena"] = {
        "start_date": "2026/01/01",
        "accounts": ["111111111111", "222222222222", "333333333333"],
        "results": {"bucket": "example-athena-results"},
    }
    data["cost"] = cost or {
        "accounts": ACCOUNTS,
        "volumes": {
            "management_events": MANAGEMENT,
            "selectors": {"Uploads bucket": BUCKET_EVENTS},
        },
    }
    data.update(changes)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def priced(path: Path, tmp_path: Path) -> Estimate:
    module = build(path, output_root=tmp_path / "empty-output")
    return estimate(read_cost(module.parsed), inputs_of(module.config), str(path), module.stem)


def amounts(found: Estimate) -> dict[str, float]:
    return {f"{line.service}: {line.item}": line.usd for line in found.lines}


def test_the_hand_worked_example(tmp_path: Path) -> None:
    found = amounts(priced(small_org(tmp_path), tmp_path))

    management = ACCOUNTS * REGIONS * MANAGEMENT  # 1,500,000 events, the first copy: free
    writes = ACCOUNTS * REGIONS * MANAGEMENT * WRITE_SHARE  # 150,000
    events = management + BUCKET_EVENTS  # 3,500,000 recorded a month
    ingested_gb = events * BYTES / GB  # 4.889 GB
    stored_gb = events * BYTES * COMPRESSED / GB  # 0.489 GB written to S3 a month
    files = ACCOUNTS * REGIONS * (LOG_FILES + DIGESTS)  # 56,160 log and digest files
    per_account_region_day = events * BYTES * COMPRESSED / (ACCOUNTS * REGIONS * 30)
    week = 3 * 2 * 7 * per_account_region_day  # 3 accounts listed, 2 regions, 7 days: 122.5 MB
    month = 3 * 2 * 30 * per_account_region_day  # a 30-day window: 525 MB
    one_account = 1 * 2 * 30 * per_account_region_day  # account_activity names one account

    expected = {
        "CloudTrail: management events (first copy)": management * FIRST_COPY,
        "CloudTrail: data events: Uploads bucket": BUCKET_EVENTS * DATA_EVENT,
        "CloudTrail: Insights on management events": (writes + management) * INSIGHTS,
        "CloudWatch: Logs ingestion": ingested_gb * INGESTION,
        "CloudWatch: Logs storage": ingested_gb * COMPRESSED * RETENTION / 30 * LOG_STORAGE,
        "CloudWatch: metric filters (custom metrics)": ALARMS * CUSTOM_METRIC,
        "CloudWatch: alarms": ALARMS * ALARM,
        "S3: storage, STANDARD": stored_gb * HORIZON / 30 * STANDARD,
        "S3: PUT requests (CloudTrail's deliveries)": files * PUT,
        "KMS: customer managed keys": 2 * KEY,  # the trail's key and the alarm topic's
        "KMS: requests (CloudTrail's log and digest files)": files * BUCKET_KEY * KMS_REQUEST,
        "SNS: publishes (alarm notifications)": ALARMS * NOTIFICATIONS * PUBLISH,
        "SNS: deliveries, email": ALARMS * NOTIFICATIONS * 1 * EMAIL,
        # the saved queries' bounds: accounts x regions x days of their windows
        "Athena: saved query orgtrail/security_group_changes": week * RUNS / TB * SCANNED,
        "Athena: saved query orgtrail/root_activity": week * RUNS / TB * SCANNED,
        "Athena: saved query orgtrail/console_sign_in_without_mfa": week * RUNS / TB * SCANNED,
        "Athena: saved query orgtrail/access_denied_by_principal": week * RUNS / TB * SCANNED,
        "Athena: saved query orgtrail/trail_changes": month * RUNS / TB * SCANNED,
        "Athena: saved query orgtrail/account_activity": one_account * RUNS / TB * SCANNED,
    }
    assert set(found) == set(expected)
    for item, amount in expected.items():
        assert found[item] == pytest.approx(amount, rel=1e-9, abs=1e-12), item
    assert sum(found.values()) == pytest.approx(sum(expected.values()), rel=1e-9)
    assert sum(found.values()) == pytest.approx(18.8398, abs=0.0001)  # worked on paper: $18.84


def test_the_hand_worked_prices_are_the_packaged_ones() -> None:
    """The amounts the example was worked with on paper: a changed price fails here first."""
    assert price("cloudtrail.management_events.first_copy") == 0.0
    assert price("cloudtrail.management_events.copy") == 2.00 / 100_000
    assert price("cloudtrail.data_events") == 0.10 / 100_000
    assert price("cloudtrail.insights.management") == 0.35 / 100_000
    assert price("cloudwatch.logs.ingestion") == 0.50
    assert price("cloudwatch.logs.storage") == 0.03
    assert price("cloudwatch.metrics.custom") == 0.30
    assert price("cloudwatch.alarms.standard") == 0.10
    assert price("s3.storage.STANDARD") == 0.023
    assert price("s3.requests.put") == 0.005 / 1_000
    assert price("kms.key") == 1.00
    assert price("kms.requests") == 0.03 / 10_000
    assert price("sns.publish") == 0.50 / 1_000_000
    assert price("sns.delivery.email") == 2.00 / 100_000
    assert price("athena.scanned") == 5.00


def test_every_price_has_its_unit_amount_date_source_and_confidence() -> None:
    assert (PRICES["format"], PRICES["version"], PRICES["region"]) == (
        "orgtrail-gen-prices", 1, "us-east-1"
    )  # fmt: skip
    for key, row in PRICES["prices"].items():
        assert set(row) == {"usd", "per", "unit", "read_on", "source", "confidence", "note"}, key
        assert row["source"].startswith("https://aws.amazon.com/"), key
        assert row["confidence"] in PRICES["confidence"], key
        assert row["note"] and row["unit"] and row["read_on"], key


def test_a_second_copy_of_management_events_is_paid(tmp_path: Path) -> None:
    cost = {
        "accounts": ACCOUNTS,
        "management_event_copies_before": 1,  # Control Tower's trail records them first
        "volumes": {"management_events": MANAGEMENT},
    }
    found = priced(small_org(tmp_path, cost), tmp_path)
    (line,) = [line for line in found.lines if line.item.startswith("management events")]
    assert line.item == "management events (paid copy)"
    assert line.usd == pytest.approx(ACCOUNTS * REGIONS * MANAGEMENT * PAID_COPY)  # $30
    assert "every one is paid" in line.basis


def test_a_trail_without_management_events_prices_none(tmp_path: Path) -> None:
    """A companion layout: another trail records management events, this one data only."""
    path = small_org(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["trail"]["events"]["management"] = {"read_write": "none"}
    data["trail"]["events"]["insights"] = []
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    found = amounts(priced(path, tmp_path))
    assert not [item for item in found if "management events" in item]
    ingested_gb = BUCKET_EVENTS * BYTES / GB  # the bucket's data events alone
    assert found["CloudWatch: Logs ingestion"] == pytest.approx(ingested_gb * INGESTION)


def test_volumes_and_prices_set_in_the_config_replace_the_defaults(tmp_path: Path) -> None:
    cost = {
        "accounts": 10,
        "volumes": {
            "management_events": 1_000_000,
            "bytes_per_event": 1_000,
            "selectors": {"Uploads bucket": 30_000_000},
            "alarm_notifications": 10,
        },
        "measured": {"on": "2026-12-01", "log_group_incoming_bytes": 500 * GB},
        "prices": {"cloudwatch.logs.ingestion": 0.57},  # e.g. another region's rate
    }
    found = priced(small_org(tmp_path, cost), tmp_path)
    by_item = amounts(found)
    assert by_item["CloudTrail: data events: Uploads bucket"] == pytest.approx(
        30_000_000 * DATA_EVENT
    )
    assert by_item["CloudTrail: Insights on management events"] == pytest.approx(
        (10 * REGIONS * 1_000_000 * WRITE_SHARE + 10 * REGIONS * 1_000_000) * INSIGHTS
    )
    # measured IncomingBytes replaces events x bytes, at the replaced price
    assert by_item["CloudWatch: Logs ingestion"] == pytest.approx(500 * 0.57)
    assert by_item["SNS: deliveries, email"] == pytest.approx(ALARMS * 10 * EMAIL)
    stored_gb = (10 * REGIONS * 1_000_000 + 30_000_000) * 1_000 * COMPRESSED / GB
    assert by_item["S3: storage, STANDARD"] == pytest.approx(stored_gb * HORIZON / 30 * STANDARD)
    sources = {v.key: v.source for v in found.volumes}
    assert sources["bytes_per_event"] == "cost.volumes.bytes_per_event in the config"
    assert sources["compressed_fraction"].startswith("default: assumption")
    ingestion = next(line for line in found.lines if line.item == "Logs ingestion")
    assert ingestion.price.confidence == "config"
    assert "measured on 2026-12-01" in ingestion.basis
    assert any("replaced by cost.prices: cloudwatch.logs.ingestion" in n for n in found.notes)


def test_the_lifecycle_prices_each_stage_and_keeps_small_files_out_of_glacier_ir(
    tmp_path: Path,
) -> None:
    """configs/prod.yaml: 90 days to GLACIER_IR (skipped: files under 128 KB), 365 to DEEP_ARCHIVE."""
    found = priced(ROOT / "configs" / "prod.yaml", tmp_path)
    items = [line.item for line in found.lines if line.service == "S3"]
    assert "storage, GLACIER_IR" not in items
    assert "storage, STANDARD" in items and "storage, DEEP_ARCHIVE" in items
    assert "lifecycle transitions to DEEP_ARCHIVE" in items
    standard = next(line for line in found.lines if line.item == "storage, STANDARD")
    assert "365/30 months" in standard.basis  # stays in Standard until Deep Archive
    assert any("no transition to GLACIER_IR" in note for note in found.notes)


def test_cli_table_markdown_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = small_org(tmp_path)
    assert main(["cost", str(path)]) == 0
    table = capsys.readouterr().out
    assert table.startswith("small (")
    assert "Total: $18.84 a month" in table and "Not priced:" in table
    assert main(["cost", str(path), "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| Service | Item | Quantity | Unit price | Monthly | Assumption |" in markdown
    assert "| **Total** | | | | **$18.84** | |" in markdown
    assert main(["cost", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["format"], document["version"]) == ("orgtrail-gen-cost", 1)
    (module,) = document["modules"]
    assert set(module) == {
        "config", "module", "monthly_usd", "by_service", "accounts", "regions", "lines",
        "volumes", "prices", "not_priced", "notes",
    }  # fmt: skip
    assert module["monthly_usd"] == pytest.approx(18.8398, abs=0.0001)
    assert set(module["lines"][0]) == {
        "service", "item", "quantity", "unit", "price_key", "unit_price_usd", "per",
        "monthly_usd", "basis",
    }  # fmt: skip
    assert {p["key"] for p in module["prices"]} >= {"cloudtrail.data_events", "kms.key"}


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ({"prices": {"cloudwatch.logs.ingest": 0.5}}, "did you mean 'cloudwatch.logs.ingestion'?"),
        ({"volumes": {"write_share": 2}}, "cost.volumes.write_share"),
        ({"accounts": 0}, "cost.accounts"),
    ],
)
def test_bad_cost_inputs_are_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cost: dict[str, Any], message: str
) -> None:
    assert main(["cost", str(small_org(tmp_path, cost))]) == 2
    err = capsys.readouterr().err
    assert message in err and "small.yaml:" in err


def test_a_volume_for_a_selector_the_trail_lacks_is_a_warning_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Removing a selector from trail.events must not block generation over a cost input."""
    config = small_org(tmp_path, {"volumes": {"selectors": {"Downloads": 5}}})
    assert main([str(config), "--output-dir", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "cost.volumes.selectors names 'Downloads'" in err
    assert "the trail's: Uploads bucket" in err and "the cost estimate ignores it" in err


def test_cli_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", str(tmp_path / "missing.yaml")]) == 2
    assert main(["cost", str(small_org(tmp_path)), "--json", "--markdown"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_check_summary_shows_what_data_events_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["configs/example.yaml"]) == 0
    capsys.readouterr()
    main(["check", "configs/example.yaml", "--summary", "json"])
    (module,) = json.loads(capsys.readouterr().out)["modules"]
    assert module["cost"] is None  # nothing changed, so neither did the estimate

    path = tmp_path / "configs" / "example.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["trail"]["events"] = {
        "data": [{"resource_type": "AWS::S3::Object", "resources": ["arn:aws:s3:::acme-uploads/"]}]
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    main(["check", "configs/example.yaml", "--summary", "json"])
    (module,) = json.loads(capsys.readouterr().out)["modules"]
    cost = module["cost"]
    per_resource = default("data_events_per_resource")  # 500,000 events of the one bucket
    data_events = per_resource * DATA_EVENT  # $0.50
    lines = {line["item"]: line for line in cost["lines"]}
    assert lines["data events: AWS::S3::Object data events"] == {
        "service": "CloudTrail",
        "item": "data events: AWS::S3::Object data events",
        "before_usd": None,
        "after_usd": pytest.approx(data_events),
    }
    ingested = per_resource * BYTES / GB * INGESTION  # and CloudWatch Logs ingests them
    assert lines["Logs ingestion"]["after_usd"] - lines["Logs ingestion"]["before_usd"] == (
        pytest.approx(ingested, abs=1e-4)
    )
    assert cost["change_usd"] == pytest.approx(cost["after_usd"] - cost["before_usd"], abs=0.011)
    assert cost["change_usd"] > data_events
    assert "this config's cost inputs" in cost["note"]

    main(["check", "configs/example.yaml", "--summary", "markdown"])
    markdown = capsys.readouterr().out
    assert f"was ${cost['before_usd']:,.2f}: +${cost['change_usd']:,.2f} a month" in markdown
    assert "- CloudTrail, data events: AWS::S3::Object data events: - → $0.50" in markdown


def test_the_docs_example_is_what_the_tool_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    assert main(["cost", "configs/example.yaml"]) == 0
    assert_block_shows(
        "cost.md",
        "cost-example",
        capsys.readouterr().out,
        "run `orgtrail-gen cost configs/example.yaml`",
    )


def test_the_docs_list_every_price_and_default() -> None:
    page = (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    for key, row in PRICES["prices"].items():
        assert f"| `{key}` | " in page, key
        assert f" | {row['confidence']} | <{row['source']}> |" in page, key
    for key, value in DEFAULTS.items():
        assert f"| `{key}` | {value.value:,}".removesuffix(".0") + " | " in page, key
    assert f"read on {PRICES['read_on']}" in page
