"""prowler verdicts are prowler's: a table read from prowler 5.46.0's own check code.

Each row edits a copy of configs/prod.yaml, builds the module (load, render, re-parse,
preflight) and asserts the report's status for one prowler check against what that check's
code (``prowler/providers/aws/services/cloudtrail/<check>/<check>.py`` in the prowler 5.46.0
wheel) returns for the trail the module creates. A generated module has advanced event
selectors only, or none: GetEventSelectors then returns CloudTrail's default classic selector
(ReadWriteType All, IncludeManagementEvents true, no DataResources).

Where prowler passes a trail CIS does not, the CIS row stays not satisfied and says prowler
passes it (and the prowler row says what CIS asks for).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from generator.pipeline import build
from generator.review.controls import NOT_SATISFIED, SATISFIED, Verdict, evaluate
from generator.review.facts import read

Edit = Callable[[dict[str, Any]], None]
PASS, FAIL = SATISFIED, NOT_SATISFIED

MGMT = "cloudtrail_multi_region_enabled_logging_management_events"
BEDROCK = "cloudtrail_bedrock_logging_enabled"
S3_READ = "cloudtrail_s3_dataevents_read_enabled"
S3_WRITE = "cloudtrail_s3_dataevents_write_enabled"

# where each verdict comes from, in prowler 5.46.0
MGMT_SRC = (
    f"{MGMT}.py: execute(), advanced branch (Name == 'Management events selector', no readOnly)"
)
MGMT_DEFAULT = f"{MGMT}.py: execute(), classic branch (ReadWriteType All, IncludeManagementEvents)"
BEDROCK_MGMT = f"{BEDROCK}.py: _logs_advanced_management_events (readOnly 'false' ok, eventSource)"
BEDROCK_DATA = f"{BEDROCK}.py: _logs_advanced_bedrock_data_events (BEDROCK_RESOURCE_TYPES)"
BEDROCK_DEFAULT = f"{BEDROCK}.py: _logs_classic_management_events"
S3_SRC = "cloudtrail_s3_dataevents_{read,write}_enabled.py: execute(), advanced branch (resources.type Equals[0] AWS::S3::Object)"
S3_DEFAULT = (
    "cloudtrail_s3_dataevents_{read,write}_enabled.py: execute(), classic branch (no DataResources)"
)


def _management(**values: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["trail"]["events"]["management"].update(values)
        if values.get("read_write") in ("read", "none"):
            data["trail"]["events"]["insights"] = []  # Insights analyse write events

    return edit


def _s3(**values: Any) -> Edit:
    """Change prod's S3-object data selector (trail.events.data[0])."""

    def edit(data: dict[str, Any]) -> None:
        data["trail"]["events"]["data"][0].update(values)

    return edit


def _no_events(data: dict[str, Any]) -> None:
    del data["trail"]["events"]


def _no_s3(data: dict[str, Any]) -> None:
    data["trail"]["events"]["data"] = data["trail"]["events"]["data"][1:]


def _single_region(data: dict[str, Any]) -> None:
    data["trail"]["is_multi_region"] = False
    data["trail"]["include_global_service_events"] = False
    data["trail"]["regions"] = [data["trail"]["home_region"]]


def _bedrock_data_only(data: dict[str, Any]) -> None:
    data["trail"]["events"]["management"]["read_write"] = "none"
    data["trail"]["events"]["insights"] = []
    data["trail"]["events"]["data"].append({"resource_type": "AWS::Bedrock::Model"})


def _unchanged(data: dict[str, Any]) -> None:
    pass


KMS = {"exclude_sources": ["kms.amazonaws.com"]}
ONE_BUCKET = {"resources": ["arn:aws:s3:::acme-payments-data/"]}
PUT_ONLY = {"field_selectors": [{"field": "eventName", "equals": ["PutObject"]}]}

# (row id, edit of prod.yaml, prowler check, prowler 5.46.0 verdict, where prowler decides it)
# "stricter before": rows issue 25 item 2 found we reported not satisfied where prowler PASSes.
TABLE: list[tuple[str, Edit, str, str, str]] = [
    ("prod", _unchanged, MGMT, PASS, MGMT_SRC),
    ("prod", _unchanged, BEDROCK, PASS, BEDROCK_MGMT),
    ("prod", _unchanged, S3_READ, PASS, S3_SRC),
    ("prod", _unchanged, S3_WRITE, PASS, S3_SRC),
    ("exclude-kms", _management(**KMS), MGMT, PASS, MGMT_SRC),  # stricter before
    ("exclude-kms", _management(**KMS), BEDROCK, PASS, BEDROCK_MGMT),  # stricter before
    ("management-write", _management(read_write="write"), MGMT, FAIL, MGMT_SRC),
    ("management-write", _management(read_write="write"), BEDROCK, PASS, BEDROCK_MGMT),  # before
    ("management-read", _management(read_write="read"), MGMT, FAIL, MGMT_SRC),
    ("management-read", _management(read_write="read"), BEDROCK, FAIL, BEDROCK_MGMT),
    ("management-none", _management(read_write="none"), MGMT, FAIL, MGMT_SRC),
    ("management-none", _management(read_write="none"), BEDROCK, FAIL, BEDROCK_MGMT),
    ("bedrock-data-only", _bedrock_data_only, BEDROCK, PASS, BEDROCK_DATA),  # stricter before
    ("single-region", _single_region, MGMT, FAIL, f"{MGMT}.py: execute(), other regions"),
    ("single-region", _single_region, BEDROCK, PASS, BEDROCK_MGMT),  # stricter before
    ("no-events", _no_events, MGMT, PASS, MGMT_DEFAULT),
    ("no-events", _no_events, BEDROCK, PASS, BEDROCK_DEFAULT),
    ("no-events", _no_events, S3_READ, FAIL, S3_DEFAULT),
    ("no-events", _no_events, S3_WRITE, FAIL, S3_DEFAULT),
    ("no-s3-selector", _no_s3, S3_READ, FAIL, S3_SRC),
    ("no-s3-selector", _no_s3, S3_WRITE, FAIL, S3_SRC),
    ("s3-write-only", _s3(read_write="write"), S3_READ, PASS, S3_SRC),  # stricter before
    ("s3-write-only", _s3(read_write="write"), S3_WRITE, PASS, S3_SRC),
    ("s3-read-only", _s3(read_write="read"), S3_READ, PASS, S3_SRC),
    ("s3-read-only", _s3(read_write="read"), S3_WRITE, PASS, S3_SRC),  # stricter before
    ("s3-one-bucket", _s3(**ONE_BUCKET), S3_READ, PASS, S3_SRC),  # stricter before
    ("s3-one-bucket", _s3(**ONE_BUCKET), S3_WRITE, PASS, S3_SRC),  # stricter before
    ("s3-event-name", _s3(**PUT_ONLY), S3_READ, PASS, S3_SRC),  # stricter before
    ("s3-event-name", _s3(**PUT_ONLY), S3_WRITE, PASS, S3_SRC),  # stricter before
]


def _verdicts(tmp_path: Path, edit: Edit) -> dict[str, Verdict]:
    data = yaml.safe_load((ROOT / "configs" / "prod.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    module = build(path, output_root=tmp_path / "empty-output")
    return {
        f"{r.control.framework}:{r.control.id}": r.verdict
        for r in evaluate(read(module.parsed), module.config)
    }


@pytest.mark.parametrize(
    ("edit", "check", "expected", "source"),
    [pytest.param(*row[1:], id=f"{row[0]}-{row[2]}") for row in TABLE],
)
def test_prowler_verdict_is_prowler_5_46_0s(
    tmp_path: Path, edit: Edit, check: str, expected: str, source: str
) -> None:
    verdict = _verdicts(tmp_path, edit)[f"prowler:{check}"]
    assert verdict.status == expected, f"{source}: {verdict.reason}"


def test_where_prowler_passes_and_cis_does_not_the_report_says_both(tmp_path: Path) -> None:
    (tmp_path / "kms").mkdir()
    kms = _verdicts(tmp_path / "kms", _management(**KMS))
    for control in ("CIS AWS Foundations Benchmark:logging-multi-region",
                    "AWS Security Hub CSPM:CloudTrail.1"):  # fmt: skip
        assert kms[control].status == NOT_SATISFIED
        assert "kms.amazonaws.com" in kms[control].reason
        assert f"{MGMT} passes it" in kms[control].reason
    assert "CIS 3.1" in kms[f"prowler:{MGMT}"].reason
    (tmp_path / "bucket").mkdir()
    one = _verdicts(tmp_path / "bucket", _s3(**ONE_BUCKET))
    for kind in ("write", "read"):
        cis = one[f"CIS AWS Foundations Benchmark:logging-s3-{kind}-events"]
        assert cis.status == NOT_SATISFIED
        assert "recorded for 1 bucket; CIS asks for every bucket" in cis.reason
        assert f"cloudtrail_s3_dataevents_{kind}_enabled passes it" in cis.reason
        assert (
            "CIS is not satisfied" in one[f"prowler:cloudtrail_s3_dataevents_{kind}_enabled"].reason
        )
