"""`orgtrail-gen cost` beside an owner's trail (configs/control-tower.yaml): worked by hand.

As in test_cost.py, every price is read from the packaged list by its key and every volume is a
named constant; the expected amounts are written out as on paper. The module is built for real,
so the filters, alarms, keys and saved queries priced are the generated ones. What is this
module's is priced: its metric filters and alarms on the owner's log group, its trail's data
events and their files in the owner's bucket. What is the owner's is not: the log group's
ingestion and storage, and the management events (the owner's trail records them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

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


DATA_EVENT = price("cloudtrail.data_events")  # $0.10 per 100,000
CUSTOM_METRIC = price("cloudwatch.metrics.custom")  # $0.30 a metric-month
ALARM = price("cloudwatch.alarms.standard")  # $0.10 an alarm-month
STANDARD = price("s3.storage.STANDARD")  # $0.023 per GB-month
PUT = price("s3.requests.put")  # $0.005 per 1,000
KEY = price("kms.key")  # $1.00 a key-month
KMS_REQUEST = price("kms.requests")  # $0.03 per 10,000
PUBLISH = price("sns.publish")  # $0.50 per 1,000,000
EMAIL = price("sns.delivery.email")  # $2.00 per 100,000
SCANNED = price("athena.scanned")  # $5.00 per TB
GB, TB = PRICES["bytes_per_gb"], PRICES["bytes_per_tb"]

ACCOUNTS = 3  # cost.accounts
REGIONS = 2  # trail.regions: eu-west-1, eu-central-1
MANAGEMENT = 200_000  # management events per account and region: the owner's trail's
S3_EVENTS = 3_000_000  # the data-event trail's S3 writes a month (set in the config)
BYTES = DEFAULTS["bytes_per_event"].value  # 1,500
COMPRESSED = DEFAULTS["compressed_fraction"].value  # 0.1
LOG_FILES = DEFAULTS["log_files"].value  # 8,640 per account and region
DIGESTS = DEFAULTS["digest_files"].value  # 720 per account and region
NOTIFICATIONS = DEFAULTS["alarm_notifications"].value  # 2 per alarm
RUNS = DEFAULTS["athena_runs"].value  # 4 per saved query
HORIZON = DEFAULTS["horizon_days"].value  # 365: the owner's lifecycle is not known
FILTERS = 15  # CIS 4.1-4.15 on Control Tower's log group, one alarm each
GROUP = "aws-controltower/CloudTrailLogs-tfw-qeb"
SELECTOR = "S3 objects, log bucket excluded"


def companion(tmp_path: Path, trail_events: bool = True) -> Estimate:
    """configs/control-tower.yaml with its volumes set (and without trail.events if asked)."""
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "configs" / "control-tower.yaml").read_text(encoding="utf-8")
    )
    data["cost"] = {
        "accounts": ACCOUNTS,
        "volumes": {"management_events": MANAGEMENT, "selectors": {SELECTOR: S3_EVENTS}},
    }
    if not trail_events:
        del data["trail"]["events"]
        del data["cost"]["volumes"]["selectors"]
    path = tmp_path / "control-tower.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    module = build(path, output_root=tmp_path / "empty-output")
    return estimate(read_cost(module.parsed), inputs_of(module.config), str(path), module.stem)


def amounts(found: Estimate) -> dict[str, float]:
    return {f"{line.service}: {line.item}": line.usd for line in found.lines}


def _athena(per_account_region_day: float) -> dict[str, float]:
    """The six saved queries: two named accounts (one for account_activity), two regions."""
    week = 2 * REGIONS * 7 * per_account_region_day
    month = 2 * REGIONS * 30 * per_account_region_day
    one_account = 1 * REGIONS * 30 * per_account_region_day
    scans = {
        "security_group_changes": week,
        "root_activity": week,
        "console_sign_in_without_mfa": week,
        "access_denied_by_principal": week,
        "trail_changes": month,
        "account_activity": one_account,
    }
    return {f"Athena: saved query orgtrail/{q}": b * RUNS / TB * SCANNED for q, b in scans.items()}


def test_the_hand_worked_companion_layout(tmp_path: Path) -> None:
    found = companion(tmp_path)
    files = ACCOUNTS * REGIONS * (LOG_FILES + DIGESTS)  # 56,160 data-event log and digest files
    stored_gb = S3_EVENTS * BYTES * COMPRESSED / GB  # 0.419 GB a month into Control Tower's bucket
    # the Athena table reads Control Tower's prefix: its management events and these data events
    per_day = (S3_EVENTS * BYTES * COMPRESSED / (ACCOUNTS * REGIONS * 30)
               + MANAGEMENT * BYTES * COMPRESSED / 30)  # fmt: skip
    expected = {
        f"CloudTrail: data events: {SELECTOR}": S3_EVENTS * DATA_EVENT,
        "CloudWatch: metric filters (custom metrics)": FILTERS * CUSTOM_METRIC,
        "CloudWatch: alarms": FILTERS * ALARM,
        "S3: storage, STANDARD": stored_gb * HORIZON / 30 * STANDARD,
        "S3: PUT requests (CloudTrail's deliveries)": files * PUT,
        "KMS: customer managed keys": 1 * KEY,  # the alarm topic's; Control Tower's is not ours
        "KMS: requests (CloudTrail's log and digest files)": files * KMS_REQUEST,
        "SNS: publishes (alarm notifications)": FILTERS * NOTIFICATIONS * PUBLISH,
        "SNS: deliveries, email": FILTERS * NOTIFICATIONS * 1 * EMAIL,
        **_athena(per_day),
    }
    got = amounts(found)
    assert set(got) == set(expected)  # no management events, no log ingestion or storage
    for item, amount in expected.items():
        assert got[item] == pytest.approx(amount, rel=1e-9, abs=1e-12), item
    assert found.total == pytest.approx(10.5858, abs=0.0001)  # worked on paper: $10.59


def test_the_owners_log_group_and_management_events_are_said_to_be_the_owners(
    tmp_path: Path,
) -> None:
    found = companion(tmp_path)
    (filters,) = [line for line in found.lines if line.item.startswith("metric filters")]
    assert filters.basis.startswith(
        f"15 metric filters on {GROUP} (AWS Control Tower's log group, fed by its trail)"
    )
    assert (
        f"CloudWatch Logs ingestion and storage of {GROUP}: AWS Control Tower's log group, which "
        "that trail feeds whatever this module does: on its owner's bill, not this module's"
    ) in " ".join(found.not_priced)
    assert (
        "management events: this module's trail records none; AWS Control Tower's trail records "
        "them, on its owner's bill, so this module pays for no copy of them"
    ) in found.notes
    assert any(n.startswith("AWS Control Tower's bucket's lifecycle") for n in found.notes)


def test_without_a_trail_of_its_own_nothing_is_delivered_and_athena_reads_the_owners_events(
    tmp_path: Path,
) -> None:
    found = amounts(companion(tmp_path, trail_events=False))
    per_day = MANAGEMENT * BYTES * COMPRESSED / 30
    expected = {
        "CloudWatch: metric filters (custom metrics)": FILTERS * CUSTOM_METRIC,
        "CloudWatch: alarms": FILTERS * ALARM,
        "KMS: customer managed keys": 1 * KEY,
        "SNS: publishes (alarm notifications)": FILTERS * NOTIFICATIONS * PUBLISH,
        "SNS: deliveries, email": FILTERS * NOTIFICATIONS * 1 * EMAIL,
        **_athena(per_day),
    }
    assert set(found) == set(expected)  # no S3 PUT or KMS request: no file of this module
    for item, amount in expected.items():
        assert found[item] == pytest.approx(amount, rel=1e-9, abs=1e-12), item
