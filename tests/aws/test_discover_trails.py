"""`discover` lists every trail with its owner and what it records, and prices duplicates.

Against a moto server, like tests/aws/test_discover.py: an organization with Control Tower's
and LZA's organization trails, a trail a CloudFormation stack made, and a plain one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.moto_server import aws_env, client, moto_url  # noqa: F401  (fixtures)
from test_discover import discover, org_only  # noqa: F401  (fixtures)

from generator.config.prices import price_list
from generator.pipeline import build
from generator.sections.cost.model import DEFAULTS

CT = "aws-controltower-BaselineCloudTrail"
LZA = "AWSAccelerator-Organizations-CloudTrail"
STACK = "workload-audit"


def trail_arn(org: Any, name: str) -> str:
    return f"arn:aws:cloudtrail:us-east-1:{org.management}:trail/{name}"


def landing_zone_trails(org: Any) -> None:
    """CT's trail (every management event), LZA's (management + S3 data events of every
    bucket), a stack's single-account trail (S3 data events of every bucket, no management
    events), and a plain single-account trail (write management events)."""
    s3, cloudtrail = client(org.url, "s3"), client(org.url, "cloudtrail")
    for bucket in ("ct-logs", "lza-logs", "stack-logs", "plain-logs"):
        s3.create_bucket(Bucket=bucket)
    cloudtrail.create_trail(
        Name=CT, S3BucketName="ct-logs", IsOrganizationTrail=True, IsMultiRegionTrail=True
    )
    cloudtrail.create_trail(
        Name=LZA, S3BucketName="lza-logs", IsOrganizationTrail=True, IsMultiRegionTrail=True
    )
    cloudtrail.put_event_selectors(
        TrailName=LZA,
        EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": True},
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            },
        ],
    )
    cloudtrail.create_trail(
        Name="s3-objects",
        S3BucketName="stack-logs",
        IsMultiRegionTrail=True,
        TagsList=[{"Key": "aws:cloudformation:stack-name", "Value": STACK}],
    )
    cloudtrail.put_event_selectors(
        TrailName="s3-objects",
        AdvancedEventSelectors=[
            {
                "Name": "every object",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ],
            }
        ],
    )
    cloudtrail.create_trail(Name="plain", S3BucketName="plain-logs")
    cloudtrail.put_event_selectors(
        TrailName="plain",
        EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
    )


def test_discover_names_every_trail_its_owner_and_what_it_records_and_prices_the_copies(
    org_only: Any,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    landing_zone_trails(org_only)
    code, path = discover(tmp_path)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    # Every trail, its owner and what it records, under "Existing trails".
    listed = {line.split(":")[0].strip("# "): line for line in lines if line.startswith("#   ")}
    assert (
        "organization trail, managed by Control Tower, records every management event"
        in (listed[CT])
    )
    assert "managed by LZA, records every management event, read and write; " in listed[LZA]
    assert "AWS::S3::Object data events (read and write) of every bucket" in listed[LZA]
    assert f"single-account trail, managed by CloudFormation stack {STACK}" in listed["s3-objects"]
    assert "management event" not in listed["s3-objects"].split(", home")[0]
    assert "managed by unknown, records write management events" in listed["plain"]
    # Neither landing zone's trail is adopted: the config is written beside Control Tower's
    # (first of the owners), and LZA's is a paid copy next to it.
    module = build(path)
    config = module.config
    assert config.adopt is None and config.trail.name == "org-data-events"
    assert config.owner_trail is not None and config.owner_trail.arn == trail_arn(org_only, CT)
    assert config.cost is not None and config.cost.management_event_copies_before == 2
    assert config.cost.accounts == len(org_only.accounts)
    # The warnings: at the top of the file and on standard error, each with its price and cost.
    copy = price_list().prices["cloudtrail.management_events.copy"]
    regions = len(config.trail.expected_regions)
    per = DEFAULTS["management_events"].value
    monthly = len(org_only.accounts) * regions * per * copy.each
    warnings = [w for w in printed.err.splitlines() if w.startswith("warning: ")]
    assert len(warnings) == 3, printed.err
    assert "would be a paid second copy" not in printed.err  # this config records none
    start = f"warning: {trail_arn(org_only, LZA)} "
    (said,) = [w for w in warnings if w.startswith(start) and "again, beside" in w]
    assert "(managed by LZA) records the organization's management events again, beside " in said
    assert f"Control Tower's trail {CT}, which the config is written beside" in said
    assert "a paid second copy ($2.00 per 100,000 management events" in said
    assert f"about ${monthly:,.2f} a month for" in said
    assert f"{len(org_only.accounts)} account(s) x {regions} region(s) x 150,000" in said
    (plain,) = [w for w in warnings if trail_arn(org_only, "plain") in w]
    assert f"records management events of account {org_only.management} again" in plain
    assert "x 1 region(s)" in plain  # a single-region trail
    (data,) = [w for w in warnings if "both record data events" in w]
    assert trail_arn(org_only, LZA) in data and trail_arn(org_only, "s3-objects") in data
    assert "AWS::S3::Object" in data and "$0.10 per 100,000" in data
    head = " ".join(line[2:] for line in lines[: lines.index("# Written by `orgtrail-gen "
                                                             "discover` from the live "
                                                             "organization. Review it, then run")])  # fmt: skip
    assert head.startswith(f"WARNING: {trail_arn(org_only, LZA)} (managed by LZA)")
    assert head.count("WARNING: ") == 3
    written = yaml.safe_load(text)["cost"]
    assert written == {"management_event_copies_before": 2, "accounts": len(org_only.accounts)}


def test_no_copy_writes_no_cost_section(org_only: Any, tmp_path: Path) -> None:  # noqa: F811
    """An organization trail recording data events only is no copy of management events."""
    client(org_only.url, "s3").create_bucket(Bucket="data-only")
    cloudtrail = client(org_only.url, "cloudtrail")
    cloudtrail.create_trail(
        Name=LZA, S3BucketName="data-only", IsOrganizationTrail=True, IsMultiRegionTrail=True
    )
    cloudtrail.put_event_selectors(
        TrailName=LZA,
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}],
            }
        ],
    )
    code, path = discover(tmp_path)
    assert code == 0
    text = path.read_text(encoding="utf-8")
    written = yaml.safe_load(text)
    assert "WARNING" not in text and "cost" not in written
    assert "owner_trail" not in written  # recording no management event, it is no owner of them
    assert "managed by LZA, records Lambda function data events" in text or (
        "managed by LZA, records " in text and "management" not in text.split(LZA + ":")[1][:80]
    )
