"""The owner_trail section: the companion layout beside an organization trail owned elsewhere.

Beside Control Tower's (or another team's) organization trail a config may neither take over
what the owner has (its trail, bucket policy, log group, trusted access) nor sit apart from it
(another account, region or partition): each such config is refused where the user must
change it, and nothing is written. A config that keeps to the layout generates a module that
declares nothing of the owner's and prints, for the owner, exactly the statements this
module's trail and readers need.

Every bad config below is configs/control-tower.yaml with one text edit, and the expected
place is found in the edited text itself, so the test reads the file as the user sees it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from support.docs_blocks import marked_block

from generator.check.hcl_parse import ParsedModule, literal, literals, nested
from generator.cli import main
from generator.core.errors import EXIT_BAD_INPUT
from generator.pipeline import Module, build
from generator.sections.registry import facts_of

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "control-tower.yaml"
TEXT = CONFIG.read_text(encoding="utf-8")
MGMT = "210987654321"
OTHER = "123456789012"
TRAIL_ARN = f"arn:aws:cloudtrail:eu-west-1:{MGMT}:trail/aws-controltower-BaselineCloudTrail"
GROUP_ARN = f"arn:aws:logs:eu-west-1:{MGMT}:log-group:aws-controltower/CloudTrailLogs-tfw-qeb:*"
BUCKET = "aws-controltower-logs-987654321098-eu-west-1"
KEY_ARN = f"arn:aws:kms:eu-west-1:{MGMT}:key/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
# An issue line as the CLI prints it: file:line:column: path: message
ISSUE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<path>[\w.\[\]]+): (?P<msg>.*)$"
)


class Bad(NamedTuple):
    """One edit of the shipped config that the companion layout refuses."""

    id: str
    edits: tuple[tuple[str, str], ...]  # (old, new): each old occurs exactly once
    path: str  # the key the issue names
    after: str  # the issue is placed right after this text (once in the edited file)
    words: tuple[str, ...]  # what the rule says, in its own words
    also: tuple[str, ...] = ()  # paths of other rules' issues the same edit breaks


def _group(account: str = MGMT, region: str = "eu-west-1") -> str:
    return GROUP_ARN.replace(f"eu-west-1:{MGMT}", f"{region}:{account}")


_MONITORING = "\nmonitoring:\n"
_KEPT = (
    "  existing_policy: keep\n"
    "  kept_statements:\n"
    "    - Sid: AWSCloudTrailAclCheck\n"
    "      Effect: Allow\n"
    "      Principal: {Service: cloudtrail.amazonaws.com}\n"
    "      Action: s3:GetBucketAcl\n"
    f"      Resource: arn:aws:s3:::{BUCKET}\n"
    f"      Condition: {{StringEquals: {{aws:SourceArn: {TRAIL_ARN}}}}}\n"
)

BAD = [
    Bad(
        "trail_of_another_account",
        (
            (f"arn: {TRAIL_ARN}", f"arn: {TRAIL_ARN.replace(MGMT, OTHER)}"),
            (GROUP_ARN, _group(account=OTHER)),
        ),
        "owner_trail.arn",
        "  arn: ",
        ("trail of account 123456789012", "not an organization trail", f"({MGMT})"),
    ),
    Bad(
        "trail_in_another_region_than_home_region",
        (
            (f"arn: {TRAIL_ARN}", f"arn: {TRAIL_ARN.replace('eu-west-1', 'eu-central-1')}"),
            (GROUP_ARN, _group(region="eu-central-1")),
        ),
        "trail.home_region",
        "  home_region: ",
        ("owner's trail is in eu-central-1", "set trail.home_region: eu-central-1"),
    ),
    Bad(
        "trail_in_another_partition",
        ((f"arn: {TRAIL_ARN}", f"arn: {TRAIL_ARN.replace('arn:aws:', 'arn:aws-us-gov:')}"),),
        "owner_trail.arn",
        "  arn: ",
        ("partition aws",),
    ),
    Bad(
        "trail_name_is_the_owners",
        (("name: org-data-events", "name: aws-controltower-BaselineCloudTrail"),),
        "trail.name",
        "trail:\n  name: ",
        ("is the owner's trail (AWS Control Tower)", "choose another name"),
    ),
    Bad(
        "log_group_of_another_account",
        ((GROUP_ARN, _group(account="987654321098")),),
        "owner_trail.log_group_arn",
        "  log_group_arn: ",
        ("in account 987654321098, eu-west-1", f"({MGMT}, eu-west-1)"),
    ),
    Bad(
        "log_group_in_another_region",
        ((GROUP_ARN, _group(region="us-east-1")),),
        "owner_trail.log_group_arn",
        "  log_group_arn: ",
        (f"in account {MGMT}, us-east-1", "own account and home region"),
    ),
    *(
        Bad(
            f"trusted_access_{value}",
            (
                (
                    "cloudtrail_trusted_access: already_enabled",
                    f"cloudtrail_trusted_access: {value}",
                ),
            ),
            "organization.cloudtrail_trusted_access",
            "cloudtrail_trusted_access: ",
            ("must be already_enabled beside AWS Control Tower's trail", "disable it on destroy"),
        )
        for value in ("enable", "adopt")
    ),
    Bad(
        "bucket_created",
        (("  create: false\n  existing_policy: keep\n", "  create: true\n"),),
        "bucket.create",
        "  create: ",
        ("the bucket of AWS Control Tower's trail", "create: false and existing_policy: keep"),
    ),
    Bad(
        "bucket_policy_replaced",
        (("existing_policy: keep", "existing_policy: replace"),),
        "bucket.existing_policy",
        "existing_policy: ",
        ("the bucket of AWS Control Tower's trail", "existing_policy: keep"),
    ),
    Bad(
        "bucket_policy_merged",
        (("existing_policy: keep", "existing_policy: merge"),),
        "bucket.existing_policy",
        "existing_policy: ",
        ("the bucket of AWS Control Tower's trail", "existing_policy: keep"),
        also=("bucket.existing_policy",),  # merge without kept_statements: the bucket's rule
    ),
    Bad(
        "kept_statements_beside_keep",
        (("  existing_policy: keep\n", _KEPT),),
        "bucket.kept_statements[0]",
        "kept_statements:\n    - ",
        ("existing_policy is keep, which writes no policy", "remove these"),
    ),
    Bad(
        "own_log_group",
        (
            (
                _MONITORING,
                f"\ncloudwatch_logs:\n  log_group_name: /aws/cloudtrail/org\n{_MONITORING}",
            ),
        ),
        "cloudwatch_logs",
        "cloudwatch_logs:\n  ",
        ("already delivers to a log group", "owner_trail.log_group_arn", "remove cloudwatch_logs"),
    ),
    Bad(
        "adopt",
        ((_MONITORING, f"\nadopt:\n  key:\n    arn: {KEY_ARN}\n{_MONITORING}"),),
        "adopt",
        "adopt:\n  ",
        ("nothing of theirs is ever imported", "Remove adopt"),
        also=("adopt.key",),  # adopting the key kms.key_arn only uses: the adopt section's rule
    ),
    Bad(
        "monitoring_without_the_owners_log_group",
        ((f"  log_group_arn: {GROUP_ARN}\n", ""),),
        "monitoring",
        "monitoring:\n  ",
        ("log group of AWS Control Tower's trail", "set owner_trail.log_group_arn"),
    ),
    *(
        Bad(
            f"management_events_{value}",
            (("read_write: none ", f"read_write: {value} "),),
            "trail.events.management.read_write",
            "management:\n      read_write: ",
            ("must be none beside AWS Control Tower's trail", "second copy of every event"),
        )
        for value in ("all", "read", "write")
    ),
]


def _edited(edits: tuple[tuple[str, str], ...]) -> str:
    text = TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _after(text: str, before: str) -> tuple[int, int]:
    """(line, column), counted from 1, of the character right after the one ``before``."""
    assert text.count(before) == 1, before
    offset = text.index(before) + len(before)
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def test_the_shipped_config_is_valid_so_each_edit_below_breaks_one_rule() -> None:
    module = build(CONFIG)
    assert module.config.owner_trail is not None
    assert module.config.owner_trail.arn == TRAIL_ARN


@pytest.mark.parametrize("case", BAD, ids=lambda case: case.id)
def test_a_config_that_takes_over_or_sits_apart_from_the_owners_trail_is_refused_where_it_says(
    case: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _edited(case.edits)
    config = tmp_path / "ct.yaml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(config), "--output-dir", str(out)]) == EXIT_BAD_INPUT
    assert not out.exists() or list(out.iterdir()) == [], "nothing is written"
    printed = [ISSUE.match(line) for line in capsys.readouterr().err.splitlines()]
    issues = [match for match in printed if match is not None]
    assert sorted(m["path"] for m in issues) == sorted([case.path, *case.also]), issues
    line, column = _after(text, case.after)
    ours = [
        m for m in issues if m["path"] == case.path and all(word in m["msg"] for word in case.words)
    ]
    assert len(ours) == 1, issues
    assert (ours[0]["file"], int(ours[0]["line"]), int(ours[0]["column"])) == (
        str(config),
        line,
        column,
    )


# --- a config that keeps to the layout ---------------------------------------------------------


def _without_events(tmp_path: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load(TEXT)
    del data["trail"]["events"]
    path = tmp_path / "control-tower.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped() -> Module:
    return build(CONFIG)


def _types(parsed: ParsedModule, kind: str = "resource") -> set[str]:
    return {block.labels[0] for block in parsed.all(kind)}


def test_nothing_of_the_owners_is_declared(shipped: Module) -> None:
    """No bucket policy, no log group, no delivery role: they are Control Tower's or unneeded."""
    types = _types(shipped.parsed)
    assert "aws_s3_bucket_policy" not in types
    assert "aws_cloudwatch_log_group" not in types
    assert "aws_iam_role" not in types
    assert not [t for t in types if t.startswith("aws_s3_bucket")], types
    assert "aws_organizations_aws_service_access" not in types
    assert shipped.parsed.all("import") == []


def test_the_modules_own_trail_records_data_events_only(shipped: Module) -> None:
    (trail,) = shipped.parsed.of_type("resource", "aws_cloudtrail")
    assert literal(trail.body["name"]) == "org-data-events"
    assert literal(trail.body["s3_bucket_name"]) == BUCKET
    assert "cloud_watch_logs_group_arn" not in trail.body
    assert nested(trail.body, "event_selector") == []
    selectors = nested(trail.body, "advanced_event_selector")
    assert selectors
    for selector in selectors:
        categories = [
            literals(field.get("equals"))
            for field in nested(selector, "field_selector")
            if literal(field["field"]) == "eventCategory"
        ]
        assert categories == [["Data"]], "no selector records management events"


def test_without_trail_events_the_module_creates_no_trail(tmp_path: Path) -> None:
    module = build(_without_events(tmp_path))
    assert module.parsed.of_type("resource", "aws_cloudtrail") == []
    assert "cloudtrail.tf" not in module.files
    outputs = {block.labels[0] for block in module.parsed.all("output")}
    assert "trail_arn" not in outputs and "trail_home_region" not in outputs
    assert "athena_workgroup" in outputs, "what the module adds beside the owner's trail stays"


def _printed_statements(text: str) -> list[Any]:
    """The JSON array printed in a file's comments, read back as JSON."""
    lines = [line.removeprefix("# ") for line in text.splitlines() if line.startswith("#")]
    start = lines.index("[")
    end = lines.index("]", start)
    statements: list[Any] = json.loads("\n".join(lines[start : end + 1]))
    return statements


@pytest.mark.parametrize("with_trail", [True, False], ids=["data_event_trail", "no_trail"])
def test_the_printed_statements_are_exactly_what_the_owner_must_add(
    tmp_path: Path, with_trail: bool
) -> None:
    module = build(CONFIG if with_trail else _without_events(tmp_path))
    facts = facts_of(module.config)
    key = facts.required_key_statements.to_json()["Statement"]
    assert _printed_statements(module.files["kms.tf"]) == key
    bucket = facts.required_bucket_statements
    if with_trail:
        assert bucket is not None
        assert _printed_statements(module.files["s3.tf"]) == bucket.to_json()["Statement"]
        sids = {s["Sid"] for s in key}
        assert {"AllowCloudTrailEncryptLogs", "AllowLogReadersDecrypt"} <= sids
    else:
        assert bucket is None, "no trail of this module writes to the owner's bucket"
        assert "[" not in [line.removeprefix("# ") for line in module.files["s3.tf"].splitlines()]
        assert [s["Sid"] for s in key] == ["AllowLogReadersDecrypt"]


def test_filters_and_saved_queries_watch_the_owners_log_group_by_its_literal_name(
    shipped: Module,
) -> None:
    group = GROUP_ARN.split(":log-group:", 1)[1].removesuffix(":*")
    filters = shipped.parsed.of_type("resource", "aws_cloudwatch_log_metric_filter")
    queries = shipped.parsed.of_type("resource", "aws_cloudwatch_query_definition")
    assert filters and queries
    for block in filters:
        assert literal(block.body["log_group_name"]) == group, block.address
    for block in queries:
        assert literals(block.body["log_group_names"]) == [group], block.address


def test_the_statement_docs_layouts_shows_is_one_the_module_prints(shipped: Module) -> None:
    """docs/layouts.md shows the owner one statement to add: it must be one printed today."""
    shown = json.loads(marked_block("layouts.md", "control-tower-acl-statement"))
    printed = _printed_statements(shipped.files["s3.tf"])
    assert shown in printed, (
        "docs/layouts.md shows a statement output/control-tower/s3.tf no longer prints: paste "
        "the first statement of its comments"
    )
