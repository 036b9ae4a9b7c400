"""Issue 13's end-to-end proof: the console walkthrough taken over by discover, generate, plan.

The readers of the original walkthrough built their organization trail in the CloudTrail
console, so ``discover`` -> generate -> ``terraform plan`` is the path a first user takes. Here
that situation is made on a moto server as the console makes it (the harness's console seeding:
a bucket with the console's UUID-Sid statements spelt ``AWS:SourceArn``, public access block,
BucketOwnerEnforced and SSE-S3; a log group with no retention; the delivery role with its inline
policy; a running organization trail), plus one statement someone added outside Terraform.
Then the real ``orgtrail-gen discover`` writes a config, the real pipeline renders the module,
and real Terraform plans it (and applies it, then plans again). What the user relies on:

* nothing is destroyed or replaced; every ``import`` block is an import in the plan;
* the log group keeps never-expire retention (a cut to 365 days would delete every older event);
* the console's grants are in the planned bucket policy as the console wrote them, and the
  out-of-band statement is not (discover reported it as drift).

Skipped, with the reason, without ``terraform`` or a provider mirror (generator/rehearse/tools.py).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from support.terraform_suite import tools_or_skip

from generator.cli import main
from generator.pipeline import build
from generator.rehearse.adapt import provider_schema
from generator.rehearse.emulator import Emulator
from generator.rehearse.hcl_spans import TfFile
from generator.rehearse.plan import Plan
from generator.rehearse.rehearsal import versions_line
from generator.rehearse.seed import Seeded, live_bucket_policy
from generator.rehearse.tools import TerraformRunError, Tools
from generator.rehearse.workspace import Workspace
from generator.sections.registry import Config, load_config

pytestmark = pytest.mark.terraform

# The walkthrough's console-made setup (what the console makes is seeded from its adopt section).
WALKTHROUGH = ROOT / "configs" / "adopt-console.yaml"
OUT_OF_BAND = {  # added by hand in the console, never reviewed: must not survive adoption
    "Sid": "PartnerReadsLogs",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::aws-cloudtrail-logs-444455556666-0f1e2d3c/*",
}
DELIVERED_REGIONS = ("us-east-2", "us-east-1", "eu-west-1")


@dataclass
class Adoption:
    """What the walkthrough's adoption showed, step by step."""

    walkthrough: Config
    console_statements: list[dict[str, Any]]
    discover_exit: int
    discover_err: str
    config_path: Path
    config: Config
    module: Path
    adapted: list[str]
    removed_imports: list[str]
    first: Plan
    applied: bool
    second: Plan | None
    seconds: dict[str, float]
    error: str | None
    live_policy: dict[str, Any] | None  # the bucket's policy after the apply
    live_group: dict[str, Any] | None  # the log group after the apply (DescribeLogGroups)
    apply_output: str  # terraform apply's stdout ("" without an apply)
    emulator_versions: dict[str, str]  # the moto and botocore of the emulator


@pytest.fixture(scope="module")
def adoption(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Adoption]:
    """Seed, discover, generate, plan, apply and plan again, once for every test here."""
    tools = tools_or_skip()
    work = tmp_path_factory.mktemp("adoption")
    walkthrough = load_config(WALKTHROUGH)
    started = time.monotonic()
    emulator = Emulator(WALKTHROUGH, work / "moto.log")
    with emulator as seeded:
        seeded_at = time.monotonic()
        console = _add_out_of_band_statement(seeded, walkthrough)
        _deliver_logs(seeded, walkthrough)
        with pytest.MonkeyPatch.context() as env:
            _point_at(env, seeded, walkthrough.trail.home_region, work)
            config_path = work / "configs" / "walkthrough.yaml"
            capture = _Capture()
            with capture:
                code = main(["discover", "-o", str(config_path)])
        discovered_at = time.monotonic()
        module = work / "output" / "walkthrough"
        assert code == 0, capture.err
        built = build(config_path)
        module.mkdir(parents=True)
        for name, content in built.files.items():
            (module / name).write_text(content, encoding="utf-8")
        schema = provider_schema(tools, work)
        workspace = Workspace(
            tools,
            schema,
            work / "terraform",
            seeded.environment(walkthrough.trail.home_region),
            seeded.url,
        )
        adaptation = workspace.load(module)
        first, second, applied, error = _run(workspace)
        live_policy, live_group = _live(seeded, walkthrough) if applied else (None, None)
    result = Adoption(
        walkthrough=walkthrough,
        console_statements=console,
        discover_exit=code,
        discover_err=capture.err,
        config_path=config_path,
        config=built.config,
        module=module,
        adapted=adaptation.changes,
        removed_imports=adaptation.removed_imports,
        first=first,
        applied=applied,
        second=second,
        seconds={
            "seed": seeded_at - started,
            "discover": discovered_at - seeded_at,
            **workspace.seconds,
            "wall": time.monotonic() - started,
        },
        error=error,
        live_policy=live_policy,
        live_group=live_group,
        emulator_versions=emulator.versions,
        apply_output=next(
            (entry for entry in workspace.log if entry.startswith("$ terraform apply ")), ""
        ),
    )
    _report(request, result, tools)
    yield result


def _run(workspace: Workspace) -> tuple[Plan, Plan | None, bool, str | None]:
    """init, validate, plan; then apply and a second plan, recording (not raising) their failure."""
    workspace.init()
    workspace.validate()
    first = workspace.plan()
    try:
        workspace.apply(first)
    except TerraformRunError as exc:
        return first, None, False, f"apply: {exc}"
    try:
        second = workspace.plan(step="second plan", show_unchanged=False)
    except TerraformRunError as exc:
        return first, None, True, f"second plan: {exc}"
    return first, second, True, None


def _add_out_of_band_statement(seeded: Seeded, walkthrough: Config) -> list[dict[str, Any]]:
    """Append OUT_OF_BAND to the console's bucket policy; return the console's statements."""
    adopt = walkthrough.adopt
    assert adopt is not None and adopt.bucket is not None and adopt.trail is not None
    s3 = seeded.client("s3", walkthrough.trail.home_region)
    live = json.loads(s3.get_bucket_policy(Bucket=adopt.bucket.name)["Policy"])
    # The console's statements as the shipped walkthrough keeps them (UUID Sids, AWS:SourceArn).
    expected = live_bucket_policy(walkthrough)
    assert live == expected, "the emulator no longer seeds the console's policy"
    assert all("-" in statement["Sid"] for statement in expected["Statement"])
    live["Statement"].append(OUT_OF_BAND)
    s3.put_bucket_policy(Bucket=adopt.bucket.name, Policy=json.dumps(live))
    return list(expected["Statement"])


def _deliver_logs(seeded: Seeded, walkthrough: Config) -> None:
    """A running trail has delivered: one object per region, where discover reads regions from."""
    adopt = walkthrough.adopt
    assert adopt is not None and adopt.bucket is not None
    s3 = seeded.client("s3", walkthrough.trail.home_region)
    org, account = walkthrough.organization.id, walkthrough.organization.management_account_id
    for region in DELIVERED_REGIONS:
        s3.put_object(
            Bucket=adopt.bucket.name,
            Key=f"AWSLogs/{org}/{account}/CloudTrail/{region}/2026/11/30/{account}_CloudTrail_{region}_x.json.gz",
            Body=b"{}",
        )


def _live(seeded: Seeded, walkthrough: Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the emulator holds after the apply: the bucket's policy and the log group."""
    adopt = walkthrough.adopt
    assert adopt is not None and adopt.bucket is not None and adopt.log_group is not None
    home = walkthrough.trail.home_region
    policy = seeded.client("s3", home).get_bucket_policy(Bucket=adopt.bucket.name)["Policy"]
    groups = seeded.client("logs", home).describe_log_groups(
        logGroupNamePrefix=adopt.log_group.name
    )["logGroups"]
    return json.loads(policy), next(g for g in groups if g["logGroupName"] == adopt.log_group.name)


def _point_at(env: pytest.MonkeyPatch, seeded: Seeded, region: str, work: Path) -> None:
    """This process's boto3 (discover's) reaches only the emulator, as its Terraform user."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE"):
        env.delenv(name, raising=False)
    for name, value in seeded.environment(region).items():
        env.setenv(name, value)
    env.setenv("AWS_CONFIG_FILE", str(work / "no-aws-config"))
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(work / "no-aws-credentials"))


class _Capture:
    """stderr of the discover run (its drift report), also passed through to the real stderr."""

    def __init__(self) -> None:
        self.err = ""

    def __enter__(self) -> None:
        import io

        self._saved, self._buffer = sys.stderr, io.StringIO()
        sys.stderr = self._buffer

    def __exit__(self, *_: object) -> None:
        sys.stderr = self._saved
        self.err = self._buffer.getvalue()


def _report(request: pytest.FixtureRequest, result: Adoption, tools: Tools) -> None:
    """The figures for the issue's closing note, on the terminal even under output capture."""
    timing = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in result.seconds.items())
    second = result.second.summary.counts() if result.second else "none"
    lines = [
        f"adoption end to end: {versions_line(tools, [result.emulator_versions])}",
        f"  first plan: {result.first.summary.counts()}",
        f"    imported: {', '.join(result.first.summary.imports)}",
        f"    updated in place: {', '.join(result.first.summary.updates)}",
        f"    created: {', '.join(result.first.summary.creates)}",
        *(
            f"    terraform: {line.strip()}"
            for line in result.first.output.splitlines()
            if line.startswith(("Warning:", "╷\n│ Warning:"))
        ),
        f"  applied: {result.applied}; second plan exit "
        f"{result.second.exit_code if result.second else None} ({second})",
        f"  {timing}",
        *(f"  adapted: {change}" for change in result.adapted),
        *([f"  FAILED {result.error}"] if result.error else []),
    ]
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print("\n".join(lines), file=sys.stderr)
        return
    with capture.global_and_fixture_disabled():
        for line in lines:
            reporter.write_line(line)


# --- the tests ---------------------------------------------------------------------------------


def test_discover_reports_the_out_of_band_statement_as_drift(adoption: Adoption) -> None:
    assert adoption.discover_exit == 0
    assert f"bucket policy drift: statement {OUT_OF_BAND['Sid']}:" in adoption.discover_err
    assert OUT_OF_BAND["Sid"] not in [s.sid for s in adoption.config.bucket.kept_statements]


def test_the_plan_imports_updates_and_creates_only(adoption: Adoption) -> None:
    plan = adoption.first.summary
    assert plan.deletes == ()
    assert plan.replaces == ()
    declared = _import_targets(adoption.module / "imports.tf")
    # the harness removes only the imports of what the mirror's older provider lacks (printed)
    expected = declared - set(adoption.removed_imports)
    assert {
        "aws_cloudtrail.org",
        "aws_s3_bucket.logs",
        "aws_s3_bucket_policy.logs",
        "aws_cloudwatch_log_group.cloudtrail",
        "aws_iam_role.cloudtrail_cloudwatch",
    } <= expected, "discover did not adopt the console's objects"
    assert sorted(plan.imports) == sorted(expected)
    assert not expected & set(plan.creates), "an adopted object would be created anew"
    assert expected <= set(plan.updates) | set(plan.unchanged)


def test_the_log_group_keeps_never_expire_retention(adoption: Adoption) -> None:
    adopt = adoption.walkthrough.adopt
    assert adopt is not None and adopt.log_group is not None
    assert adopt.log_group.retention_in_days is None  # the console's default, seeded so
    assert adoption.config.cloudwatch_logs is not None
    assert adoption.config.cloudwatch_logs.retention_in_days == 0  # discover wrote today's
    change = _planned(adoption.first, "aws_cloudwatch_log_group.cloudtrail")["change"]
    assert change["importing"] is not None
    assert change["before"].get("retention_in_days") in (0, None)
    assert change["after"].get("retention_in_days") in (0, None)  # not 365: nothing deleted
    if adoption.live_group is not None:  # and after the apply, still no retention
        assert "retentionInDays" not in adoption.live_group


def test_the_planned_bucket_policy_keeps_the_console_grants_and_drops_the_rest(
    adoption: Adoption,
) -> None:
    planned = _planned(adoption.first, "aws_s3_bucket_policy.logs")["change"]["after"]["policy"]
    assert isinstance(planned, str), "the planned policy is unknown at plan time"
    statements = json.loads(planned)["Statement"]
    for console in adoption.console_statements:  # as the console wrote them: Sid, AWS:SourceArn
        assert console in statements, f"the console's {console['Sid']} is not kept as written"
        assert "AWS:SourceArn" in console["Condition"]["StringEquals"]
    assert OUT_OF_BAND["Sid"] not in [s.get("Sid") for s in statements]
    assert "999988887777" not in planned


def test_the_apply_removes_the_out_of_band_statement_and_keeps_the_console_grants(
    adoption: Adoption,
) -> None:
    assert adoption.live_policy is not None, adoption.error
    statements = adoption.live_policy["Statement"]
    for console in adoption.console_statements:
        assert console in statements
    assert OUT_OF_BAND not in statements
    assert OUT_OF_BAND["Sid"] not in [s.get("Sid") for s in statements]


def test_the_bucket_turns_to_sse_kms_only_after_the_trail_names_the_key(
    adoption: Adoption,
) -> None:
    """Issue 13.5, in the real apply's order: while the trail writes without a key, an SSE-KMS
    default would have each of its files refused by the key policy."""
    assert adoption.applied, adoption.error
    lines = adoption.apply_output.splitlines()
    trail_done = _line(lines, "aws_cloudtrail.org: Modifications complete")
    encryption_begins = _line(
        lines, "aws_s3_bucket_server_side_encryption_configuration.logs: Modifying..."
    )
    shown = lines[
        max(0, min(trail_done, encryption_begins) - 3) : max(trail_done, encryption_begins) + 3
    ]
    assert trail_done < encryption_begins, "\n".join(shown)


def test_after_apply_a_second_plan_finds_nothing_to_change(adoption: Adoption) -> None:
    assert adoption.error is None, adoption.error
    assert adoption.second is not None and adoption.second.exit_code == 0


def _import_targets(path: Path) -> set[str]:
    """The ``to`` address of every ``import`` block of ``imports.tf``."""
    tf = TfFile(path.name, path.read_text(encoding="utf-8"))
    return {
        child.text(tf.text).split("=", 1)[1].strip()
        for item in tf.items
        if item.name == "import"
        for child in tf.children(item)
        if child.name == "to"
    }


def _line(lines: list[str], start: str) -> int:
    """The index of the first line that starts with ``start``."""
    found = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert found, f"terraform apply did not print {start!r}"
    return found[0]


def _planned(plan: Plan, address: str) -> dict[str, Any]:
    for change in plan.raw.get("resource_changes", []):
        if change["address"] == address:
            return dict(change)
    raise AssertionError(f"{address} is not in the plan")
