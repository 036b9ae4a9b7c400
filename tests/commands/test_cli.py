"""The command line as a user drives it: exit codes, what is written (or not), what is
printed, and that a bad input never leaves half a module or a traceback behind.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import generator
from generator.cli import main
from generator.core.constants import HEADER_MARK

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "configs" / "example.yaml"
# Dropping cloudwatch_logs removes the log group: refused unless named (see tests/guards/test_evidence.py).
LOG_GROUP = "aws_cloudwatch_log_group.cloudtrail"
LOCATED = re.compile(r"^configs/\w+\.yaml:\d+:\d+: ", re.M)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout: configs/example.yaml, cwd set to it, no output yet."""
    (tmp_path / ".git").mkdir()  # what makes it a working tree: headers name configs/...
    (tmp_path / "configs").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "configs" / "example.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path -> bytes); {} when root does not exist."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def config_data(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_config(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def break_config(path: Path) -> None:
    data = config_data(path)
    data["trail"]["name"] = "bad--name"
    write_config(path, data)


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text
        assert 'File "' not in text


# ---------------------------------------------------------------- generate


def test_generate_writes_the_module_with_headers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "configs/example.yaml")
    assert code == 0, err
    folder = project / "output" / "example"
    names = {p.name for p in folder.iterdir()}
    assert {"versions.tf", "providers.tf", "organizations.tf", "cloudtrail.tf", "s3.tf"} <= names
    assert "logs.tf" in names  # the example delivers to CloudWatch Logs
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        assert first.startswith(f"{HEADER_MARK} from configs/example.yaml"), path.name
        head = "\n".join(text.splitlines()[:3])
        assert "Do not edit" in head
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", head), head
        assert text.endswith("\n") and "\r" not in text
    assert "output/example" in out
    assert_no_traceback(out, err)


def test_second_run_is_byte_identical_and_rewrites_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "configs/example.yaml")[0] == 0
    first = tree(project / "output")
    times = {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*.tf")}
    assert run(capsys, "configs/example.yaml")[0] == 0
    assert tree(project / "output") == first
    assert {p: p.stat().st_mtime_ns for p in (project / "output").rglob("*.tf")} == times


def test_header_and_bytes_do_not_depend_on_how_the_config_is_named(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "configs/example.yaml", "--output-dir", "build")[0] == 0
    first = tree(project / "build")
    shutil.rmtree(project / "build")
    monkeypatch.chdir(project / "configs")
    absolute = str(project / "configs" / "example.yaml")
    assert run(capsys, absolute, "--output-dir", str(project / "build"))[0] == 0
    assert tree(project / "build") == first


def test_check_is_up_to_date_from_any_working_directory(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docs' `cd configs && orgtrail-gen example.yaml --check` case: no drift."""
    assert run(capsys, "configs/example.yaml")[0] == 0
    before = tree(project / "output")
    for folder, config in (("configs", "example.yaml"), ("output", "../configs/example.yaml")):
        monkeypatch.chdir(project / folder)
        code, out, err = run(capsys, "check", config)
        assert code == 0, out + err
        assert "up to date" in err and out == ""
        code, _, err = run(capsys, config)  # the main job, from here, rewrites nothing
        assert code == 0, err
    assert tree(project / "output") == before
    header = (project / "output" / "example" / "s3.tf").read_text(encoding="utf-8")
    assert header.startswith(f"{HEADER_MARK} from configs/example.yaml. Do not edit by hand:\n")
    assert "# change the config and run `orgtrail-gen configs/example.yaml` again.\n" in header


def test_a_config_outside_any_working_tree_is_named_by_its_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "scratch" / "deep"
    outside.mkdir(parents=True)
    shutil.copy(EXAMPLE, outside / "acme.yaml")
    monkeypatch.chdir(tmp_path)
    # without --output-dir, a config outside a tree is written below the current directory
    assert run(capsys, str(outside / "acme.yaml"))[0] == 0
    text = (tmp_path / "output" / "acme" / "s3.tf").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == [
        f"{HEADER_MARK} from acme.yaml. Do not edit by hand:",
        "# change the config and run `orgtrail-gen acme.yaml` again.",
    ]
    assert str(tmp_path) not in text and "scratch" not in text
    # an output folder outside any tree can only be named in full
    assert run(capsys, str(outside / "acme.yaml"), "--output-dir", "out")[0] == 0
    second = (tmp_path / "out" / "acme" / "s3.tf").read_text(encoding="utf-8").splitlines()[1]
    assert (
        second
        == f"# change the config and run `orgtrail-gen acme.yaml --output-dir {tmp_path / 'out'}` again."
    )


def test_the_rerun_hint_names_the_output_dir_when_it_is_not_the_default(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, "configs/example.yaml", "--output-dir", "build/tf")[0] == 0
    hint = (project / "build" / "tf" / "example" / "s3.tf").read_text(encoding="utf-8")
    assert "run `orgtrail-gen configs/example.yaml --output-dir build/tf` again." in hint
    # the same folder named from elsewhere gives the same hint: it is relative to the tree
    monkeypatch.chdir(project / "configs")
    code, out, err = run(capsys, "check", "example.yaml", "--output-dir", "../build/tf")
    assert code == 0, out + err
    # spelling the default out changes nothing
    monkeypatch.chdir(project)
    assert run(capsys, "configs/example.yaml")[0] == 0
    assert run(capsys, "configs/example.yaml", "--output-dir", "output")[0] == 0
    assert run(capsys, "check", "configs/example.yaml")[0] == 0
    plain = (project / "output" / "example" / "s3.tf").read_text(encoding="utf-8")
    assert "--output-dir" not in plain


def test_output_dir_root_gets_one_folder_per_config_stem(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(project / "configs" / "example.yaml", project / "configs" / "second.yaml")
    code, _, err = run(
        capsys, "configs/example.yaml", "configs/second.yaml", "--output-dir", "build/tf"
    )
    assert code == 0, err
    assert {p.name for p in (project / "build" / "tf").iterdir()} == {"example", "second"}
    assert (project / "build" / "tf" / "example" / "cloudtrail.tf").is_file()
    assert not (project / "output").exists()


# ---------------------------------------------------------------- --check


def test_check_is_clean_after_generating(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "configs/example.yaml")[0] == 0
    before = tree(project / "output")
    code, out, err = run(capsys, "configs/example.yaml", "--check")
    assert code == 0, err
    assert out == ""
    # The example's email subscription is announced (pending until confirmed); nothing else.
    assert err.splitlines() == [
        "output/example: up to date (1 warning: `orgtrail-gen configs/example.yaml` prints it)"
    ]
    assert tree(project / "output") == before


def test_check_reports_a_hand_edit_as_a_diff_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "configs/example.yaml")[0] == 0
    target = project / "output" / "example" / "cloudtrail.tf"
    edited = target.read_text(encoding="utf-8").replace("= true", "= false", 1)
    assert edited != target.read_text(encoding="utf-8")
    target.write_text(edited, encoding="utf-8")
    before = tree(project / "output")
    code, out, err = run(capsys, "configs/example.yaml", "--check")
    assert code == 1
    assert out.startswith("--- a/output/example/cloudtrail.tf\n"), "stdout is the patch alone"
    assert "+++ b/output/example/cloudtrail.tf" in out
    assert "@@" in out
    assert re.search(r"^-.*= false$", out, re.M)
    assert re.search(r"^\+.*= true$", out, re.M)
    assert tree(project / "output") == before
    assert_no_traceback(out, err)


def test_check_without_output_fails_and_creates_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "configs/example.yaml", "--check")
    assert code == 1
    assert out == ""  # not a diff of every line of every file
    assert "output/example is missing; run `orgtrail-gen configs/example.yaml`" in err
    assert "internal error" not in err  # the orphan search finds no output root to read
    assert not (project / "output").exists()


def test_check_reports_a_file_that_would_be_removed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "configs/example.yaml")[0] == 0
    data = config_data(project / "configs" / "example.yaml")
    del data["cloudwatch_logs"], data["monitoring"]  # monitoring needs the log group
    write_config(project / "configs" / "example.yaml", data)
    code, out, _ = run(capsys, "configs/example.yaml", "--check", "--allow-replace", LOG_GROUP)
    assert code == 1
    assert "--- a/output/example/logs.tf" in out
    assert (project / "output" / "example" / "logs.tf").exists()


# ---------------------------------------------------------------- bad input writes nothing


def test_bad_config_exits_2_with_a_located_message_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    break_config(project / "configs" / "example.yaml")
    code, out, err = run(capsys, "configs/example.yaml")
    assert code == 2
    assert LOCATED.search(err), err
    assert "trail.name" in err
    assert_no_traceback(out, err)
    assert not (project / "output").exists()


def test_bad_config_leaves_existing_output_unchanged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "configs/example.yaml")[0] == 0
    before = tree(project / "output")
    data = config_data(project / "configs" / "example.yaml")
    del data["cloudwatch_logs"], data["monitoring"]  # monitoring needs the log group
    data["trail"]["home_region"] = "mars-1"
    write_config(project / "configs" / "example.yaml", data)
    assert run(capsys, "configs/example.yaml")[0] == 2
    assert tree(project / "output") == before


def test_yaml_syntax_error_exits_2_without_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "configs" / "example.yaml").write_text("trail:\n  name: [oops\n", encoding="utf-8")
    code, out, err = run(capsys, "configs/example.yaml")
    assert code == 2
    assert LOCATED.search(err), err
    assert_no_traceback(out, err)
    assert not (project / "output").exists()


@pytest.mark.parametrize("name", ["missing.yaml", "configs"])
def test_unreadable_config_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, err = run(capsys, name)
    assert code == 2
    assert name in err
    assert_no_traceback(out, err)
    assert not (project / "output").exists()


def test_second_config_bad_means_nothing_written_for_either(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(project / "configs" / "example.yaml", project / "configs" / "zz_bad.yaml")
    break_config(project / "configs" / "zz_bad.yaml")
    code, _, err = run(capsys, "configs/example.yaml", "configs/zz_bad.yaml")
    assert code == 2
    assert "configs/zz_bad.yaml:" in err
    assert not (project / "output").exists()


def test_foreign_file_with_a_generated_name_is_never_overwritten(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project / "output" / "example"
    folder.mkdir(parents=True)
    (folder / "s3.tf").write_text('resource "aws_s3_bucket" "mine" {}\n', encoding="utf-8")
    before = tree(project / "output")
    code, out, err = run(capsys, "configs/example.yaml")
    assert code == 2
    assert "s3.tf" in err
    assert_no_traceback(out, err)
    assert tree(project / "output") == before


def test_foreign_file_in_the_second_module_means_nothing_written(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(project / "configs" / "example.yaml", project / "configs" / "second.yaml")
    folder = project / "output" / "second"
    folder.mkdir(parents=True)
    (folder / "s3.tf").write_text("# mine\n", encoding="utf-8")
    code, _, _ = run(capsys, "configs/example.yaml", "configs/second.yaml")
    assert code == 2
    assert not (project / "output" / "example").exists()


def test_two_configs_with_the_same_stem_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "other").mkdir()
    data = config_data(project / "configs" / "example.yaml")
    data["trail"]["name"] = "other-trail"
    write_config(project / "other" / "example.yaml", data)
    code, _, _ = run(capsys, "configs/example.yaml", "other/example.yaml")
    assert code == 2
    assert not (project / "output").exists()


def test_foreign_files_beside_ours_are_never_touched(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project / "output" / "example"
    folder.mkdir(parents=True)
    foreign = {
        "backend.tf": b'terraform {\n  backend "s3" {}\n}\n',
        ".terraform.lock.hcl": b"# This file is maintained automatically by terraform init.\n",
        "extra.tf": b'# my own resources\nresource "aws_sns_topic" "mine" {}\n',
        "README.md": b"notes\n",
    }
    for name, content in foreign.items():
        (folder / name).write_bytes(content)
    assert run(capsys, "configs/example.yaml")[0] == 0
    data = config_data(project / "configs" / "example.yaml")
    del data["cloudwatch_logs"], data["monitoring"]  # monitoring needs the log group
    write_config(project / "configs" / "example.yaml", data)
    assert run(capsys, "configs/example.yaml", "--allow-replace", LOG_GROUP)[0] == 0
    assert run(capsys, "configs/example.yaml", "--check")[0] == 0
    for name, content in foreign.items():
        assert (folder / name).read_bytes() == content, name


def test_a_file_no_longer_produced_is_removed_only_if_ours(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project / "configs" / "example.yaml"
    folder = project / "output" / "example"
    assert run(capsys, "configs/example.yaml")[0] == 0
    assert (folder / "logs.tf").exists()
    data = config_data(config)
    del data["cloudwatch_logs"], data["monitoring"]  # monitoring needs the log group
    write_config(config, data)

    assert run(capsys, "configs/example.yaml", "--allow-replace", LOG_GROUP)[0] == 0
    assert not (folder / "logs.tf").exists()
    assert (folder / "cloudtrail.tf").exists()

    # a hand-written logs.tf (no header) in the same place is left alone
    (folder / "logs.tf").write_text("# my log group\n", encoding="utf-8")
    assert run(capsys, "configs/example.yaml")[0] == 0
    assert (folder / "logs.tf").read_text(encoding="utf-8") == "# my log group\n"


def test_unusable_output_dir_is_a_clean_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "not-a-dir").write_text("x\n", encoding="utf-8")
    code, out, err = run(capsys, "configs/example.yaml", "--output-dir", "not-a-dir")
    assert_no_traceback(out, err)
    assert "internal error" not in err
    assert code == 2


# ---------------------------------------------------------------- validate, schema, args


def test_validate_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "configs/example.yaml")
    assert (code, err) == (0, "")
    assert "configs/example.yaml" in out

    shutil.copy(project / "configs" / "example.yaml", project / "configs" / "bad.yaml")
    break_config(project / "configs" / "bad.yaml")
    code, out, err = run(capsys, "validate", "configs/example.yaml", "configs/bad.yaml")
    assert code == 2
    assert re.search(r"^configs/bad\.yaml:\d+:\d+: trail\.name: ", err, re.M), err
    assert "configs/example.yaml: valid" in out
    assert_no_traceback(out, err)

    assert run(capsys, "validate", "configs/missing.yaml")[0] == 2
    assert run(capsys, "validate")[0] == 2
    assert not (project / "output").exists()


def test_validate_reports_every_error_of_a_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = config_data(project / "configs" / "example.yaml")
    data["trail"]["name"] = "x"
    data["organization"]["id"] = "nope"
    data["bucket"]["nmae"] = "typo"
    write_config(project / "configs" / "example.yaml", data)
    code, _, err = run(capsys, "validate", "configs/example.yaml")
    assert code == 2
    assert len(LOCATED.findall(err)) == 3, err


def test_schema_is_json_that_accepts_the_shipped_configs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import jsonschema

    code, out, err = run(capsys, "schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((REPO / "configs").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(data) <= set(schema["properties"]), path.name
        assert [e.message for e in validator.iter_errors(data)] == [], path.name
    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    # unknown keys are errors in the editor too
    assert list(validator.iter_errors({**example, "trial": {}}))
    assert list(validator.iter_errors({**example, "trail": {**example["trail"], "nmae": "x"}}))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], 2),
        (["--no-such-flag", "configs/example.yaml"], 2),
        (["--help"], 0),
        (["--version"], 0),
        (["schema", "extra"], 2),
    ],
)
def test_argument_errors_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: int
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == expected
    assert_no_traceback(out, err)
    assert not (project / "output").exists()


# ---------------------------------------------------------------- determinism


def test_output_is_identical_across_hash_seeds(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(generator.__file__).resolve().parent.parent)}
    trees = []
    for seed in ("1", "4242"):
        shutil.rmtree(project / "o", ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "generator", "configs/example.yaml", "--output-dir", "o"],
            cwd=project,
            env={**env, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
        )
        trees.append(tree(project / "o"))
    assert trees[0]
    assert trees[0] == trees[1]


# ---------------------------------------------------------------- the command line


def test_every_config_error_of_every_config_is_reported_and_nothing_written(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configs = project / "configs"
    shutil.copy(configs / "example.yaml", configs / "b.yaml")
    break_config(configs / "b.yaml")
    (configs / "c.yaml").write_text("trail:\n  name: [oops\n", encoding="utf-8")
    shutil.copy(configs / "example.yaml", configs / "d.yaml")
    for argv in (
        ["configs/b.yaml", "configs/c.yaml", "configs/example.yaml", "configs/d.yaml"],
        ["check", "configs/b.yaml", "configs/c.yaml", "configs/example.yaml", "configs/d.yaml"],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2
        assert re.search(r"^configs/b\.yaml:\d+:\d+: trail\.name: ", err, re.M), err
        assert re.search(r"^configs/c\.yaml:\d+:\d+: YAML syntax", err, re.M), err
        assert err.rstrip().endswith("2 of 4 configs failed; nothing was written")
        assert "example" not in out
        assert_no_traceback(out, err)
    assert not (project / "output").exists()


def test_a_warning_is_printed_once_per_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = config_data(project / "configs" / "example.yaml")
    data["bucket"]["create"] = False
    write_config(project / "configs" / "example.yaml", data)
    code, _, err = run(capsys, "configs/example.yaml")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(set(warnings)), err
    (replaced,) = [w for w in warnings if "REPLACED" in w]
    assert "configs/example.yaml" in replaced
    # check, run in CI on every push, counts them instead of repeating them
    code, _, err = run(capsys, "check", "configs/example.yaml")
    assert code == 0, err
    assert not [line for line in err.splitlines() if line.startswith("warning:")]
    assert f"({len(warnings)} warnings: `orgtrail-gen configs/example.yaml` prints them)" in err


def test_check_command_is_generate_check(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "check", "configs/example.yaml", "--output-dir", "build")
    assert code == 1
    assert (
        "build/example is missing; run `orgtrail-gen configs/example.yaml --output-dir build`"
        in err
    )
    assert "internal error" not in err
    assert not (project / "build").exists()
    assert run(capsys, "generate", "--output-dir", "build", "configs/example.yaml")[0] == 0
    assert run(capsys, "check", "configs/example.yaml", "--output-dir", "build")[0] == 0
    assert run(capsys, "configs/example.yaml", "--check", "--output-dir", "build")[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["--output-dir", "o", "configs/example.yaml"],
        ["configs/example.yaml", "--output-dir", "o"],
        ["generate", "--output-dir", "o", "configs/example.yaml"],
        ["--debug", "generate", "configs/example.yaml", "--output-dir", "o"],
        ["generate", "configs/example.yaml", "--debug", "--output-dir", "o"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_options_go_before_or_after_arguments(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert (project / "o" / "example" / "cloudtrail.tf").is_file()
    assert "o/example: " in out


def test_unknown_command_is_named_with_the_nearest_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "generte", "configs/example.yaml")
    assert (code, out) == (2, "")
    assert err == "orgtrail-gen: unknown command 'generte' (did you mean 'generate'?)\n"
    code, _, err = run(capsys, "frobnicate")
    assert code == 2
    assert "unknown command 'frobnicate'; commands: generate, check, validate, schema" in err
    assert ":1:1" not in err
    assert not (project / "output").exists()


@pytest.mark.parametrize(
    ("argv", "misspelt"),
    [
        (["check", "configs/example.yaml", "--sumary", "markdown"], "--sumary"),
        (["check", "--sumary=json", "configs/example.yaml"], "--sumary=json"),
        (["configs/example.yaml", "--chek"], "--chek"),
        (["check", "configs/example.yaml", "--output-dri", "build"], "--output-dri"),
    ],
    ids=["check --sumary", "check --sumary=json", "generate --chek", "check --output-dri"],
)
def test_a_misspelt_option_is_named_with_the_nearest_option_of_its_command(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], misspelt: str
) -> None:
    """As a misspelt command gets "did you mean", so does a misspelt option - and the option
    offered is one the command takes: the same line with it runs."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert misspelt in err
    match = re.search(r"did you mean '(-[\w-]+)'\?", err)
    assert match, err
    assert_no_traceback(err)
    assert not (project / "output").exists()
    given = misspelt.partition("=")[0]  # --sumary=json keeps its value
    fixed = [match[1] + arg[len(given) :] if arg == misspelt else arg for arg in argv]
    code, _, err = run(capsys, *fixed)
    assert code != 2, err  # accepted: the check itself may find the output missing (exit 1)


def test_an_unknown_argument_without_a_near_option_is_refused_as_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "schema", "--frobnicate", "extra")
    assert (code, out) == (2, "")
    assert "unrecognized arguments: --frobnicate extra" in err
    assert "did you mean" not in err


def test_a_missing_yaml_file_is_a_config_not_a_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "configs/missing.yaml")
    assert (code, err) == (2, "configs/missing.yaml: cannot read: No such file or directory\n")
    # an existing file without a YAML suffix is a config too
    shutil.copy(project / "configs" / "example.yaml", project / "example.conf")
    assert run(capsys, "example.conf")[0] == 0
    assert (project / "output" / "example.conf").exists() is False
    assert (project / "output" / "example" / "s3.tf").is_file()


def test_help_lists_every_command_and_describes_every_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from generator import cli

    code, out, err = run(capsys, "--help")
    assert (code, err) == (0, "")
    for name, module_name in cli.COMMANDS.items():
        module = importlib.import_module(module_name)
        assert re.search(rf"^  {name} +{re.escape(module.HELP)}$", out, re.M), name
        parser = cli._parser(name, module)
        for action in parser._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
        code, out_cmd, _ = run(capsys, name, "--help")
        assert code == 0
        assert out_cmd.startswith(f"usage: orgtrail-gen {name}")
    assert "orgtrail-gen CONFIG..." in out


def test_each_command_module_defines_exactly_the_command_interface() -> None:
    """The contract a new command (discover, verify) follows: HELP, configure, run."""
    from generator import cli

    for module_name in cli.COMMANDS.values():
        module = importlib.import_module(module_name)
        tree_ = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        defined = set()
        for node in tree_.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined |= {t.id for t in targets if isinstance(t, ast.Name)}
        assert {n for n in defined if not n.startswith("_")} == {"HELP", "configure", "run"}
        assert isinstance(module.HELP, str) and module.HELP
        assert callable(module.configure) and callable(module.run)


def test_only_the_command_that_runs_is_imported(project: Path) -> None:
    probe = (
        "import sys; from generator.cli import main; code = main(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.startswith('generator.commands.')), "
        "'boto3' in sys.modules, file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(generator.__file__).resolve().parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", probe, "validate", "configs/example.yaml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.strip().splitlines()[-1] == "['generator.commands.validate'] False"


def test_the_error_boundary_maps_aws_errors_to_exit_3_and_bugs_to_a_short_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from generator.cli import _guarded

    client_error = type("ClientError", (Exception,), {"__module__": "botocore.exceptions"})

    def aws() -> int:
        raise client_error("An error occurred (AccessDenied) when calling DescribeOrganization")

    def bug() -> int:
        raise KeyError("oops")

    assert _guarded(False, aws) == 3
    assert capsys.readouterr().err == (
        "AWS error: An error occurred (AccessDenied) when calling DescribeOrganization\n"
    )
    assert _guarded(False, bug) == 1
    err = capsys.readouterr().err
    assert err.startswith("internal error: KeyError: 'oops'\n") and "--debug" in err
    assert_no_traceback(err)
    with pytest.raises(KeyError):
        _guarded(True, bug)


def test_reports_are_utf8_whatever_the_locale_says() -> None:
    """The summary CI posts (with its arrows) is the same bytes under a latin-1 locale."""
    root = Path(__file__).resolve().parents[2]
    argv = [
        sys.executable,
        "-m",
        "generator",
        "check",
        "configs/prod.yaml",
        "--summary",
        "markdown",
    ]
    runs = [
        subprocess.run(
            argv, cwd=root, capture_output=True, check=False, env={**os.environ, **extra}
        )
        for extra in ({"PYTHONIOENCODING": "utf-8"}, {"PYTHONIOENCODING": "latin-1"})
    ]
    for done in runs:
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert runs[0].stdout == runs[1].stdout
    assert "→" in runs[1].stdout.decode("utf-8")


def test_the_change_summary_reads_the_same_from_any_working_directory(tmp_path: Path) -> None:
    """The summary is posted to the pull request: it names paths from the config's tree."""
    root = Path(__file__).resolve().parents[2]
    runs = {
        where: subprocess.run(
            [sys.executable, "-m", "generator", "check", config, "--summary", "json"],
            cwd=where,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        for where, config in (
            (root, "configs/prod.yaml"),
            (root / "configs", "prod.yaml"),
            (tmp_path, str(root / "configs" / "prod.yaml")),
        )
    }
    texts = {done.stdout for done in runs.values()}
    assert all(done.returncode == 0 for done in runs.values()), [d.stderr for d in runs.values()]
    assert len(texts) == 1
    (module,) = json.loads(texts.pop())["modules"]
    assert (module["config"], module["directory"], module["compared_with"]) == (
        "configs/prod.yaml",
        "output/prod",
        "output/prod",
    )
