"""The rehearsal's judgement and report, without Terraform: what it refuses, what it prints.

``orgtrail-gen rehearse`` and the real-Terraform tests share these (generator/rehearse/), so a
plan rule that let a destroy through, or a report that dropped an adaptation or the failing
step's error, would mislead both. The tools' discovery is checked here too: a missing mirror
means the registry for the command (never for the tests), and nothing of the user's AWS or
Terraform settings reaches a terraform command.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.rehearse import emulator
from generator.rehearse import tools as tools_module
from generator.rehearse.plan import PlanSummary, brief, plan_problems
from generator.rehearse.rehearsal import Rehearsal, report
from generator.rehearse.tools import (
    Tools,
    base_environment,
    cli_config,
    find_tools,
    platform_name,
    tool_problems,
)
from generator.rehearse.workspace import ModuleRun, Workspace

IMPORTS = """import {
  to = aws_cloudtrail.org
  id = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"
}

import {
  to = aws_s3_bucket.logs
  id = "logs"
}
"""


def _summary(**actions: tuple[str, ...]) -> PlanSummary:
    empty: tuple[str, ...] = ()
    return PlanSummary(
        actions.get("creates", empty),
        actions.get("updates", empty),
        actions.get("deletes", empty),
        actions.get("replaces", empty),
        actions.get("imports", empty),
        actions.get("unchanged", empty),
    )


@pytest.fixture
def adopting_module(tmp_path: Path) -> Path:
    (tmp_path / "imports.tf").write_text(IMPORTS, encoding="utf-8")
    return tmp_path


def test_a_plan_that_destroys_or_replaces_is_refused_by_address(tmp_path: Path) -> None:
    plan = _summary(
        creates=("aws_sns_topic.a",), deletes=("aws_kms_key.k",), replaces=("aws_cloudtrail.org",)
    )
    assert plan_problems(plan, tmp_path, adopting=False) == [
        "the plan destroys aws_kms_key.k",
        "the plan replaces aws_cloudtrail.org",
    ]
    assert plan_problems(_summary(creates=("aws_sns_topic.a",)), tmp_path, adopting=False) == []


def test_an_adopting_plan_imports_every_block_and_changes_only_in_place(
    adopting_module: Path,
) -> None:
    both = ("aws_cloudtrail.org", "aws_s3_bucket.logs")
    good = _summary(
        imports=both, updates=("aws_cloudtrail.org",), unchanged=("aws_s3_bucket.logs",)
    )
    assert plan_problems(good, adopting_module, adopting=True) == []
    created = _summary(
        imports=("aws_cloudtrail.org",),
        updates=("aws_cloudtrail.org",),
        creates=("aws_s3_bucket.logs",),
    )
    assert plan_problems(created, adopting_module, adopting=True) == [
        "not imported: aws_s3_bucket.logs",
        "an adopted object would be created anew: aws_s3_bucket.logs",
    ]
    replaced = _summary(
        imports=both, updates=("aws_cloudtrail.org",), replaces=("aws_s3_bucket.logs",)
    )
    assert plan_problems(replaced, adopting_module, adopting=True) == [
        "the plan replaces aws_s3_bucket.logs",
        "an adopted object is changed other than in place: aws_s3_bucket.logs",
    ]


def test_an_import_the_adaptation_removed_with_its_target_is_not_expected(
    adopting_module: Path,
) -> None:
    plan = _summary(imports=("aws_cloudtrail.org",), updates=("aws_cloudtrail.org",))
    removed = ["aws_s3_bucket.logs"]
    assert plan_problems(plan, adopting_module, adopting=True, removed_imports=removed) == []


def test_an_adopting_config_whose_module_imports_nothing_is_refused(tmp_path: Path) -> None:
    assert plan_problems(_summary(), tmp_path, adopting=True) == [
        "the config adopts, but imports.tf declares no import"
    ]


# --- the report ---------------------------------------------------------------------------------

TOOLS = Tools(Path("/no/terraform"), Path("/mirror"), "5.100.0")
ADAPTED = [
    'versions.tf: version constraint of hashicorp/aws ">= 6.40.0, < 7.0.0" -> "5.100.0" '
    "(the mirror's provider)",
    "logs.tf: removed aws_cloudwatch_log_group.cloudtrail: deletion_protection_enabled "
    "(an attribute hashicorp/aws 5.100.0 does not know)",
]
VERSIONS = {"moto": "5.2.6", "botocore": "1.44.18"}


def _passed() -> Rehearsal:
    run = ModuleRun(
        "example",
        changes=list(ADAPTED),
        plan=_summary(creates=("aws_s3_bucket.logs", "aws_cloudtrail.org")),
        plan_exit=2,
        applied=True,
        second_plan_exit=0,
        second_plan=_summary(),
        seconds={"init": 1.0, "apply": 60.0},
        provider_version="5.100.0",
    )
    return Rehearsal(
        "example", "configs/example.yaml", "output/example", "/scratch/example", run=run,
        patches=["trail_by_arn: Trails by ARN"], versions=dict(VERSIONS), seconds=81.25,
    )  # fmt: skip


def _failed_at_apply() -> Rehearsal:
    run = ModuleRun(
        "prod",
        plan=_summary(creates=("aws_cloudtrail.org",)),
        plan_exit=2,
        failed_step="apply",
        error="terraform apply -input=false ... exited 1:\nError: creating CloudTrail Trail ...",
        terraform_error="Error: creating CloudTrail Trail (org): InsufficientS3BucketPolicyException",
        provider_version="5.100.0",
    )
    return Rehearsal(
        "prod", "configs/prod.yaml", "output/prod", "/scratch/prod", run=run,
        versions=dict(VERSIONS), seconds=20.0,
    )  # fmt: skip


def test_the_report_is_one_table_with_every_adaptation_then_versions_and_patches() -> None:
    text = report(TOOLS, [_passed()])
    lines = text.splitlines()
    assert lines[0].split() == ["MODULE", "PLAN", "APPLY", "SECOND", "PLAN", "TIME", "ADAPTATIONS"]
    row = lines[1]
    assert re.split(r" {2,}", row) == [
        "example",
        "2 add, 0 change, 0 replace, 0 destroy",
        "applied",
        "no changes",
        "81.2s",
        ADAPTED[0],
    ]
    column = row.index(ADAPTED[0])
    assert lines[2] == " " * column + ADAPTED[1], "each adaptation on a line of its own"
    assert lines[4] == (
        "versions: Terraform unknown (/no/terraform version -json: FileNotFoundError) "
        "(/no/terraform), hashicorp/aws 5.100.0 (mirror /mirror), moto 5.2.6, botocore 1.44.18 "
        "(as the moto servers reported)"
    )
    assert lines[5:7] == ["moto patches applied in each server:", "  trail_by_arn: Trails by ARN"]
    assert lines[-1] == "1 module rehearsed: every step passed"


def test_a_failed_step_shows_terraforms_error_not_a_traceback() -> None:
    text = report(TOOLS, [_passed(), _failed_at_apply()])
    row = next(line for line in text.splitlines() if line.startswith("prod "))
    assert re.split(r" {2,}", row) == [
        "prod",
        "1 add, 0 change, 0 replace, 0 destroy",
        "failed",
        "-",
        "20.0s",
        "none",
    ]
    assert "prod: apply failed:\n  Error: creating CloudTrail Trail (org): Insufficient" in text
    assert "Traceback" not in text and "terraform apply -input=false" not in text
    assert text.splitlines()[-1] == "FAILED: 1 of 2 modules (above)"


def test_a_refused_plan_and_a_perpetual_diff_fail_the_rehearsal() -> None:
    refused = _passed()
    refused.problems = ["the plan destroys aws_kms_key.k"]
    assert not refused.passed
    assert "REFUSED" in report(TOOLS, [refused]).splitlines()[1]
    drifting = _passed()
    assert drifting.run is not None
    drifting.run.second_plan_exit, drifting.run.second_plan = (
        2,
        _summary(updates=("aws_sns_topic.a",)),
    )
    assert not drifting.passed
    failure = drifting.failure()
    assert failure is not None and "the second plan is not empty (0 add, 1 change" in failure


def test_a_module_that_could_not_run_says_why() -> None:
    broken = Rehearsal(
        "log-archive", "configs/log-archive.yaml", "output/log-archive", "/scratch/log-archive",
        error="the moto server for configs/log-archive.yaml did not start (exit 3); moto patch failed: ...",
    )  # fmt: skip
    text = report(TOOLS, [broken])
    assert re.split(r" {2,}", text.splitlines()[1]) == ["log-archive", "not run", "-", "-", "0.0s"]
    assert "log-archive: could not run: the moto server" in text


def test_a_rehearsal_round_trips_through_its_json_record() -> None:
    for rehearsal in (_passed(), _failed_at_apply()):
        again = Rehearsal.from_record(json.loads(json.dumps(rehearsal.record())))
        assert again == rehearsal
    assert (
        brief(_summary(imports=("a",), updates=("a",)))
        == "1 import, 0 add, 1 change, 0 replace, 0 destroy"
    )


# --- tools ----------------------------------------------------------------------------------------


def _mirror(root: Path, version: str = "5.100.0") -> Path:
    folder = root / "registry.terraform.io/hashicorp/aws" / version / platform_name()
    folder.mkdir(parents=True)
    (folder / f"terraform-provider-aws_v{version}_x5").write_text("", encoding="utf-8")
    return root


def test_without_a_mirror_the_command_uses_the_registry_and_the_tests_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tools_module, "MIRROR_CANDIDATES", (str(tmp_path / "no-mirror"),))
    terraform = tmp_path / "terraform"
    terraform.write_text("", encoding="utf-8")
    environ = {"ORGTRAIL_TERRAFORM": str(terraform), "PATH": ""}
    tools, problems = tool_problems(environ, registry=True)
    assert (tools, problems) == (Tools(terraform), [])
    assert tools is not None
    assert tools.provider_source() == "registry.terraform.io: no provider mirror found"
    assert isinstance(find_tools(environ), str)
    rc = cli_config(tools, tmp_path).read_text(encoding="utf-8")
    assert "provider_installation" not in rc  # Terraform's default: the registry


def test_a_mirror_named_but_empty_is_one_line_even_with_the_registry(tmp_path: Path) -> None:
    terraform = tmp_path / "terraform"
    terraform.write_text("", encoding="utf-8")
    environ = {"ORGTRAIL_TERRAFORM": str(terraform), "ORGTRAIL_TF_MIRROR": str(tmp_path / "m")}
    tools, problems = tool_problems(environ, registry=True)
    assert tools is None
    assert problems == [
        f"no provider mirror holding registry.terraform.io/hashicorp/aws/<version>/"
        f"{platform_name()} in ORGTRAIL_TF_MIRROR={tmp_path / 'm'}: set ORGTRAIL_TF_MIRROR to one "
        "(`terraform providers mirror DIR` makes it)"
    ]
    environ["ORGTRAIL_TF_MIRROR"] = str(_mirror(tmp_path / "m"))
    assert tool_problems(environ, registry=True) == (
        Tools(terraform, tmp_path / "m", "5.100.0"),
        [],
    )


def test_no_aws_or_terraform_setting_of_the_user_reaches_terraform(tmp_path: Path) -> None:
    user = {
        "PATH": "/usr/bin",
        "AWS_PROFILE": "prod-admin",
        "AWS_ACCESS_KEY_ID": "AKIAUSER",
        "AWS_SESSION_TOKEN": "token",
        "TF_DATA_DIR": "/elsewhere",
        "TF_CLI_CONFIG_FILE": "/home/user/.terraformrc",
        "TF_WORKSPACE": "prod",
    }
    env = base_environment(Tools(Path("/t"), tmp_path, "5.100.0"), tmp_path, user)
    assert env["PATH"] == "/usr/bin"
    assert not {"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "TF_DATA_DIR"} & set(env)
    assert "TF_WORKSPACE" not in env
    assert env["TF_CLI_CONFIG_FILE"] == str(tmp_path / "terraform.rc")
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == env["AWS_CONFIG_FILE"]


def test_with_the_registry_the_module_is_copied_as_it_is_and_pointed_at_the_emulator(
    tmp_path: Path,
) -> None:
    module = tmp_path / "module"
    module.mkdir()
    text = 'terraform {\n  backend "s3" {\n    bucket = "state"\n  }\n}\n'
    (module / "backend.tf").write_text(text, encoding="utf-8")
    workspace = Workspace(Tools(Path("/t")), None, tmp_path / "ws", {}, "http://127.0.0.1:1")
    adaptation = workspace.load(module)
    assert (tmp_path / "ws" / "backend.tf").read_text(encoding="utf-8") == text
    assert adaptation.changes == []
    assert adaptation.emulator == [
        "zz_emulator_override.tf: the module's remote backend replaced by a local one"
    ]


# --- the emulator is optional -------------------------------------------------------------------


def test_a_missing_moto_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    assert emulator.emulator_missing() is None
    monkeypatch.setitem(sys.modules, "moto", None)  # `import moto` now raises ImportError
    assert emulator.emulator_missing() == (
        "orgtrail-gen rehearse needs the emulator: pip install 'orgtrail-gen[rehearse]'"
    )


def test_a_missing_server_dependency_is_the_same_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "flask" else real(name, *a)
    )
    assert emulator.emulator_missing() == emulator.MISSING


def test_importing_the_package_and_the_command_loads_no_moto_boto3_or_flask() -> None:
    """Only the emulator's own process imports moto; boto3 only when a seeding client is made."""
    code = (
        "import sys, pkgutil, importlib, generator.rehearse, generator.commands.rehearse\n"
        "for m in pkgutil.walk_packages(generator.rehearse.__path__, 'generator.rehearse.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'moto', 'boto3', 'flask', 'pytest'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
