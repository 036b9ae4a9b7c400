"""Preflight rules: each one catches exactly the break it exists for, and nothing fires on a
correct module.

Every break edits the TEXT of one correctly rendered file, as a hand edit or a template bug
would, then re-checks the module with ``check_module`` (see preflight_cases.py).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from preflight_cases import (
    BREAKS,
    BUCKET_DOC,
    CT_BUCKET,
    DEPENDENCIES,
    MGMT,
    ORG_WRITE_SID,
    PARTITIONS,
    ROLE,
    ROLE_POLICY,
    TRAIL,
    VARIANTS,
    Break,
    drop_line,
    drop_statement,
    replace,
    set_attribute,
)

import generator.check.preflight
import generator.pipeline
from generator.check.hcl_parse import ParsedModule
from generator.check.preflight import RULES, Finding
from generator.check.preflight.lookups import references
from generator.check.preflight.policy_reading import statements
from generator.cli import main
from generator.core.errors import EXIT_FAILED, PreflightError
from generator.pipeline import build, check_module, render, render_module
from generator.sections.facts import ModuleFacts
from generator.sections.registry import Config, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "example.yaml"

# Every rule id some passing test below expects to fire; the meta-test compares it with RULES.
DECLARED_RULES = {rule for case in BREAKS for rule, _, _ in case.expected}

Rendered = tuple[Config, dict[str, str]]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Rendered]:
    """Render a config variant once per module: ``rendered("aws_cn")`` -> (config, files)."""
    cache: dict[str, Rendered] = {}

    def get(variant: str) -> Rendered:
        if variant not in cache:
            path = EXAMPLE
            if variant != "example":
                data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
                VARIANTS[variant](data)
                path = tmp_path_factory.mktemp("configs") / f"{variant}.yaml"
                path.write_text(yaml.safe_dump(data), encoding="utf-8")
            config = load_config(path)
            cache[variant] = (config, render_module(config, "configs/example.yaml"))
        return cache[variant]

    return get


def broken(rendered: Callable[[str], Rendered], case: Break) -> tuple[Config, list[Finding]]:
    config, files = rendered(case.variant)
    edited = {**files, case.file: case.edit(files[case.file])}
    assert edited[case.file] != files[case.file]
    previous = ParsedModule.parse(files) if case.against_previous else None
    return config, check_module(config, edited, previous)[1]


def where(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.rule, f.file, f.address) for f in findings)


# --- a correct module is silent ----------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_correct_module_has_no_findings(rendered: Callable[[str], Rendered], variant: str) -> None:
    config, files = rendered(variant)
    assert check_module(config, files)[1] == []


@pytest.mark.parametrize("variant", ["example", *PARTITIONS])
def test_arns_carry_the_home_regions_partition(
    rendered: Callable[[str], Rendered], variant: str
) -> None:
    config, files = rendered(variant)
    partition = PARTITIONS.get(variant, "aws")
    region = config.trail.home_region
    assert {m for text in files.values() for m in re.findall(r"\barn:([\w-]+):", text)} == {
        partition
    }
    document = ParsedModule.parse(files).get(BUCKET_DOC)
    assert document is not None
    for statement in statements(document):
        for resource in statement.resources:
            assert resource.startswith(f"arn:{partition}:s3:::example-org-cloudtrail-logs")
        for _test, variable, values in statement.conditions:
            if variable == "aws:SourceArn":
                assert values == (f"arn:{partition}:cloudtrail:{region}:{MGMT}:trail/org-trail",)


# --- each break fires exactly its rule ---------------------------------------------------------


@pytest.mark.parametrize("case", BREAKS, ids=lambda case: case.id)
def test_break_fires_exactly_its_rule(rendered: Callable[[str], Rendered], case: Break) -> None:
    _, findings = broken(rendered, case)
    # Several rules only when case.why explains it.
    assert where(findings) == sorted(case.expected), case.why
    for finding in findings:
        if finding.rule in case.described:
            for phrase in case.problem:
                assert phrase in finding.problem, finding
            assert case.fix in finding.fix, finding


# Dependencies the template renders that OTG015 does not demand yet, so a hand edit dropping
# them passes preflight: the delegated administrator must be registered before it can call
# CreateTrail for the organization. Found by the test below; the rule is to be extended.
OTG015_GAPS = {
    ("delegated_admin", "aws_cloudtrail_organization_delegated_admin_account.trail_creator"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_dependency_the_trail_is_rendered_with_is_one_otg015_demands(
    rendered: Callable[[str], Rendered], variant: str
) -> None:
    """Read from each variant's rendered trail, not from a table of this file.

    Dropping any one entry of its depends_on fires OTG015 naming that entry, so the template
    adds no dependency the rule does not know and the rule demands none the template lacks in
    some variant; DEPENDENCIES's breaks then check the exception each one explains.
    """
    config, files = rendered(variant)
    trail = ParsedModule.parse(files).get(TRAIL)
    assert trail is not None
    dependencies = references(trail.body["depends_on"])
    assert dependencies, "the trail waits for what CreateTrail validates"
    for address in dependencies:
        edited = {**files, "cloudtrail.tf": drop_line(f"    {address},")(files["cloudtrail.tf"])}
        findings = check_module(config, edited)[1]
        if (variant, address) in OTG015_GAPS:
            assert findings == [], f"OTG015 now demands {address}: remove it from OTG015_GAPS"
            continue
        assert [(f.rule, f.address) for f in findings] == [("OTG015", TRAIL)], address
        assert f"depends_on lacks {address}:" in findings[0].problem
    known = set(DEPENDENCIES) | {gap for v, gap in OTG015_GAPS if v == variant}
    assert set(dependencies) <= known, "a dependency without its exception's break"


def test_bare_log_group_reference_is_only_a_missing_wildcard(
    rendered: Callable[[str], Rendered],
) -> None:
    case = Break(
        "bare_log_group_reference",
        "cloudtrail.tf",
        replace(
            '"${aws_cloudwatch_log_group.cloudtrail.arn}:*"',
            "aws_cloudwatch_log_group.cloudtrail.arn",
            count=1,
        ),
        (("OTG012", "cloudtrail.tf", TRAIL),),
        ("InvalidCloudWatchLogsLogGroupArnException",),
        ':*"',
    )
    assert where(broken(rendered, case)[1]) == sorted(case.expected)


def test_missing_role_policy_dependency_names_the_cloudwatch_exception(
    rendered: Callable[[str], Rendered],
) -> None:
    case = Break(
        "depends_on_without_role_policy",
        "cloudtrail.tf",
        drop_line(f"    {ROLE_POLICY},"),
        (("OTG015", "cloudtrail.tf", TRAIL),),
        ("InvalidCloudWatchLogs",),
        "depends_on",
    )
    (finding,) = broken(rendered, case)[1]
    assert "InvalidCloudWatchLogs" in finding.problem


def test_denied_org_grant_is_not_called_a_prefix_mismatch(
    rendered: Callable[[str], Rendered],
) -> None:
    def flip_org_write_to_deny(text: str) -> str:
        begin = text.index(f'"{ORG_WRITE_SID}"')
        return text[:begin] + text[begin:].replace('"Allow"', '"Deny"', 1)

    case = Break(
        "org_write_grant_denied",
        "s3.tf",
        flip_org_write_to_deny,
        (("OTG001", "s3.tf", BUCKET_DOC),),
        ("InsufficientS3BucketPolicyException",),
        "allow s3:PutObject",
    )
    (finding,) = broken(rendered, case)[1]
    assert finding.rule == "OTG001"
    assert "prefix differs" not in finding.problem


def test_delivery_role_finding_names_the_role(rendered: Callable[[str], Rendered]) -> None:
    """The role, not the trail, is what the user must fix when a stream grant is missing."""
    case = next(c for c in BREAKS if c.id == "delivery_role_without_org_stream_grant")
    actions = sorted(f.problem.split(" on ")[0].split()[-1] for f in broken(rendered, case)[1])
    assert actions == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert case.expected[0][2] == ROLE


def test_a_kept_policy_excuses_only_the_bucket_it_belongs_to(
    rendered: Callable[[str], Rendered],
) -> None:
    """Beside Control Tower's trail its owner keeps the policy of ITS bucket. A trail edited to
    deliver to another bucket has no policy there at all: CreateTrail fails with
    InsufficientS3BucketPolicyException, and OTG007 must say so as it does without keep.
    (OTG080 and OTG082 fire here only because the selectors and Athena name the bucket.)
    """
    case = Break(
        "data_event_trail_into_another_bucket",
        "cloudtrail.tf",
        set_attribute("s3_bucket_name", f'"{CT_BUCKET}"', '"some-other-bucket"'),
        (("OTG007", "cloudtrail.tf", TRAIL),),
        ("InsufficientS3BucketPolicyException", "some-other-bucket"),
        "attach the CloudTrail bucket policy",
        variant="control_tower",
    )
    findings = [f for f in broken(rendered, case)[1] if f.rule == "OTG007"]
    assert where(findings) == list(case.expected)
    for phrase in case.problem:
        assert phrase in findings[0].problem


# --- the pipeline refuses to write a broken module ---------------------------------------------


def _render_without_org_grant(
    facts: ModuleFacts, source: str, command: str | None = None
) -> dict[str, str]:
    files = render(facts, source, command)
    return {**files, "s3.tf": drop_statement(ORG_WRITE_SID)(files["s3.tf"])}


def test_build_raises_on_a_broken_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.pipeline, "render", _render_without_org_grant)
    with pytest.raises(PreflightError) as raised:
        build(EXAMPLE)
    assert raised.value.exit_code == EXIT_FAILED == 1
    message = str(raised.value)
    assert "1 preflight check(s) failed; nothing was written" in message
    assert f"OTG001 s3.tf: {BUCKET_DOC}" in message


def test_cli_writes_nothing_for_a_broken_rendering(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(generator.pipeline, "render", _render_without_org_grant)
    assert main([str(EXAMPLE), "--output-dir", str(tmp_path)]) == EXIT_FAILED
    assert list(tmp_path.iterdir()) == []
    assert "OTG001" in capsys.readouterr().err


# --- a new rule without a test fails the suite -------------------------------------------------


def test_every_rule_has_a_break_test(rendered: Callable[[str], Rendered]) -> None:
    for info in pkgutil.iter_modules(generator.check.preflight.__path__):
        importlib.import_module(f"generator.check.preflight.{info.name}")
    check_module(*rendered("example"))  # run_rules imports the modules it registers from
    assert sorted(set(RULES) - DECLARED_RULES) == [], "rules without a break test"
    assert sorted(DECLARED_RULES - set(RULES)) == [], "tests expect rules that do not exist"
