"""What a user's repository takes from this one: the pre-commit hook, the CI workflow, and the
packaging that installs them (test extras that match what the tests import).
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from pre_commit.clientlib import load_config, load_manifest

from generator.cli import COMMANDS

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
WORKFLOW = ROOT / "examples" / "github-actions" / "orgtrail-gen.yml"
README = (ROOT / "README.md").read_text(encoding="utf-8")
GETTING_STARTED = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")


def _steps(job_name: str = "check") -> dict[str, str]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = workflow["jobs"][job_name]
    return {step["name"]: step["run"] for step in job["steps"] if "run" in step}


# ---------------------------------------------------------------- pre-commit


def test_the_hook_is_a_valid_pre_commit_manifest_running_our_check() -> None:
    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))  # pre-commit's own schema
    assert hook["id"] == "orgtrail-gen-check"
    script, command = hook["entry"].split()
    assert script in PYPROJECT["project"]["scripts"], "the entry is our console script"
    assert PYPROJECT["project"]["scripts"][script] == "generator.cli:main"
    assert command == "check" and command in COMMANDS
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("configs/prod.yaml") and files.search("configs/tokyo.yml")
    assert not files.search("configs/schema.json") and not files.search("output/prod/s3.tf")


def test_the_hook_entry_passes_on_fresh_output_and_fails_with_a_diff_on_stale(
    tmp_path: Path,
) -> None:
    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copytree(ROOT / "output", tmp_path / "output")
    (tmp_path / ".git").mkdir()
    changed = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "configs").glob("*.yaml"))
    argv = [*hook["entry"].split(), *changed]  # what pre-commit runs: entry + changed files
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    fresh = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr
    target = tmp_path / "output" / "example" / "s3.tf"
    target.write_text(target.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    stale = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "--- a/output/example/s3.tf" in stale.stdout


def test_the_docs_example_pre_commit_config_is_valid_and_uses_the_hook(tmp_path: Path) -> None:
    blocks = re.findall(
        r"^( *)```yaml\n(\1# \.pre-commit-config\.yaml\n.*?)^\1```",
        GETTING_STARTED,
        re.S | re.M,
    )
    assert len(blocks) == 1, "docs/getting-started.md shows one example .pre-commit-config.yaml"
    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text(textwrap.dedent(blocks[0][1]), encoding="utf-8")
    config = load_config(str(path))  # pre-commit's own schema
    hooks = [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]
    assert hooks == ["orgtrail-gen-check"]


def test_getting_started_installs_what_the_workflow_installs() -> None:
    """The page's `pip install` is the workflow's pinned ORGTRAIL_GEN, so the two never part."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert f'pip install "{workflow["env"]["ORGTRAIL_GEN"]}"' in GETTING_STARTED


# ---------------------------------------------------------------- CI workflow


def test_the_workflow_runs_on_pull_requests_with_the_three_checks() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(workflow[True]) == {"pull_request"}  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"] == {"contents": "read"}
    steps = _steps()
    scripts = "\n".join(steps.values())
    assert "orgtrail-gen check configs/*.yaml" in scripts
    assert "terraform fmt -check -diff -recursive output/" in scripts
    assert re.search(r"checkov\" -d output/ --framework terraform --skip-download", scripts)
    pin = (ROOT / "tests" / "requirements-checkov.txt").read_text(encoding="utf-8")
    assert f'CHECKOV: "{re.search(r"checkov==[0-9.]+", pin).group(0)}"' in WORKFLOW.read_text(  # type: ignore[union-attr]
        encoding="utf-8"
    ), "the workflow pins the checkov version the tests use"


def _run_step(
    script: str, cwd: Path, temp: Path, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RUNNER_TEMP": str(temp),
        "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **(extra or {}),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_workflow_drift_step_fails_with_the_diff_in_log_and_summary(tmp_path: Path) -> None:
    script = _steps()["output/ is what configs/ generate"]
    repo, temp = tmp_path / "repo", tmp_path / "runner"
    shutil.copytree(ROOT / "configs", repo / "configs")
    shutil.copytree(ROOT / "output", repo / "output")
    (repo / ".git").mkdir()
    temp.mkdir()
    assert _run_step(script, repo, temp).returncode == 0
    assert not (temp / "summary.md").exists()
    target = repo / "output" / "prod" / "cloudtrail.tf"
    target.write_text(target.read_text(encoding="utf-8").replace("true", "false"), "utf-8")
    failed = _run_step(script, repo, temp)
    assert failed.returncode == 1
    assert "+++ b/output/prod/cloudtrail.tf" in failed.stdout
    summary = (temp / "summary.md").read_text(encoding="utf-8")
    assert "```diff\n--- a/output/prod/cloudtrail.tf" in summary


def _step_env(name: str, job: str = "check") -> dict[str, str]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (step,) = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    return dict(step.get("env", {}))


def test_the_workflow_summary_compares_with_the_base_branchs_output(tmp_path: Path) -> None:
    """The summary step, run as the runner runs it, on a pull request that adds a reader."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["check"]["steps"]
    (base,) = [s for s in steps if s.get("with", {}).get("path") == ".orgtrail-base"]
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    env = _step_env("What this change does")
    assert env["BASE_OUTPUT"] == ".orgtrail-base/output"  # where that checkout puts output/
    repo, temp = tmp_path / "repo", tmp_path / "runner"
    shutil.copytree(ROOT / "configs", repo / "configs")
    shutil.copytree(ROOT / "output", repo / "output")
    shutil.copytree(ROOT / "output", repo / ".orgtrail-base" / "output")  # the base branch
    (repo / ".git").mkdir()
    temp.mkdir()
    config = repo / "configs" / "example.yaml"
    text = config.read_text(encoding="utf-8")
    reader = "  readers: [arn:aws:iam::222222222222:role/Auditors]\n"
    config.write_text(text.replace("bucket:\n", "bucket:\n" + reader, 1), encoding="utf-8")
    subprocess.run(  # the pull request commits its regenerated output/
        [Path(sys.executable).parent / "orgtrail-gen", "configs/example.yaml"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    outputs = temp / "github_output"
    done = _run_step(
        _steps()["What this change does"],
        repo,
        temp,
        {**env, "GITHUB_OUTPUT": str(outputs)},
    )
    assert done.returncode == 0, done.stderr
    assert outputs.read_text(encoding="utf-8") == "written=true\n"
    summary = (temp / "summary.md").read_text(encoding="utf-8")
    assert "allows role/Auditors in 222222222222 to read and list" in summary
    assert "**outside-principal**" in summary
    assert "No change: the regenerated module is the one in `.orgtrail-base/output/prod`" in summary


def _fake_gh(tmp_path: Path, existing: str) -> Path:
    """A `gh` that logs its arguments and lists one earlier comment id (or none)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "gh.log"
    script = folder / "gh"
    script.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> {log}\n'
        f'if [[ "$*" == *--paginate* ]]; then printf "%s" "{existing}"; fi\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return folder


@pytest.mark.parametrize(
    ("existing", "call", "lines"), [("", "POST", 2), ("4711\n", "PATCH", 2), ("", "POST", 9000)]
)
def test_the_comment_job_posts_once_then_updates_its_own_comment(
    tmp_path: Path, existing: str, call: str, lines: int
) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    comment = workflow["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}, "write only where needed"
    assert "actions/checkout" not in str(comment["steps"]), "no code of the pull request runs"
    assert "head.repo.full_name == github.repository" in comment["if"]  # forks: read-only token
    assert "pull-requests" not in str(workflow["jobs"]["check"].get("permissions", {}))
    (download,) = [s for s in comment["steps"] if "uses" in s]
    folder = tmp_path / "runner" / "orgtrail-gen"
    assert download["with"]["path"] == "${{ runner.temp }}/orgtrail-gen"
    folder.mkdir(parents=True)
    body = "<!-- orgtrail-gen-summary -->\n## orgtrail-gen: what this change does\n"
    body += "- update in place `aws_kms_key.cloudtrail` (policy)\n" * (lines - 2)
    (folder / "orgtrail-gen-summary.md").write_text(body, "utf-8")
    gh = _fake_gh(tmp_path, existing)
    env = {"GH_TOKEN": "t", "PR": "12", "GITHUB_REPOSITORY": "acme/trail"}
    env["PATH"] = f"{gh}{os.pathsep}{os.environ['PATH']}"
    (script,) = _steps("comment").values()
    done = _run_step(script, tmp_path, tmp_path / "runner", env)
    assert done.returncode == 0, done.stderr
    listed, written = (tmp_path / "gh.log").read_text(encoding="utf-8").splitlines()
    assert "repos/acme/trail/issues/12/comments --paginate" in listed
    assert 'startswith("<!-- orgtrail-gen-summary -->")' in listed
    target = "issues/comments/4711" if call == "PATCH" else "issues/12/comments"
    assert written.startswith(f"api --method {call} repos/acme/trail/{target}")
    posted = Path(written.rsplit("body=@", 1)[1])
    text = posted.read_text(encoding="utf-8")
    if len(body) > 65536:  # GitHub's limit for a comment: cut at a line, and say so
        assert len(text) < 65536 and "whole summary is in the job summary" in text
        assert text.startswith(body.split("\n", 1)[0])  # the marker stays first
    else:
        assert posted == folder / "orgtrail-gen-summary.md"


@pytest.mark.checkov
def test_the_workflow_checkov_step_judges_the_report(tmp_path: Path, checkov: Path) -> None:
    script = _steps()["checkov"]
    (tmp_path / "checkov" / "bin").mkdir(parents=True)
    (tmp_path / "checkov" / "bin" / "checkov").symlink_to(checkov)
    repo = tmp_path / "repo"
    module = sorted((ROOT / "output").iterdir())[0]  # one module is enough, and twice as quick
    shutil.copytree(module, repo / "output" / module.name)
    assert _run_step(script, repo, tmp_path).returncode == 0
    # a file checkov cannot parse: checkov itself exits 0, the step must not
    (repo / "output" / module.name / "broken.tf").write_text('resource "x" {\n', encoding="utf-8")
    broken = _run_step(script, repo, tmp_path)
    assert broken.returncode != 0
    assert "parsing_errors" in broken.stderr


# ---------------------------------------------------------------- packaging


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[ @;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_test_extras_are_exactly_what_the_tests_import() -> None:
    """`pip install '.[test]'` brings what the tests import (and pytest plugins), nothing else."""
    local = {p.stem for p in (ROOT / "tests").rglob("*.py")} | {"support", "generator"}
    imported: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - local
    owners = importlib.metadata.packages_distributions()
    needed = {_distribution(owners[module][0]) for module in third_party}
    runtime = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    # what the runtime dependencies bring themselves (lark comes with python-hcl2)
    brought = {
        _distribution(r)
        for dist in runtime
        for r in importlib.metadata.requires(dist) or []
        if "extra ==" not in r
    }
    optional = PYPROJECT["project"]["optional-dependencies"]
    extras = {_distribution(r) for r in optional["test"] if not r.startswith("orgtrail-gen[")}
    # the project's own extras the test extra includes (orgtrail-gen[rehearse]: the emulator the
    # tests run); a pin there of what the runtime dependencies bring (botocore, for boto3) is a
    # pin, not a dependency of the tests' own
    for included in re.findall(r"orgtrail-gen\[([\w,-]+)\]", " ".join(optional["test"])):
        for name in included.split(","):
            extras |= {_distribution(r) for r in optional[name]} - runtime - brought
    # a pytest plugin (pytest-xdist, say) is used without an import: pytest loads it by its
    # pytest11 entry point, so it may be an extra that no test imports
    # and a MkDocs theme (mkdocs-material) likewise by its mkdocs.themes entry point, when
    # tests/test_docs.py builds the site
    plugins = {
        _distribution(ep.dist.name)
        for group in ("pytest11", "mkdocs.themes")
        for ep in importlib.metadata.entry_points(group=group)
        if ep.dist is not None
    }
    assert extras - (plugins - needed) == needed - runtime - brought


def test_the_readme_names_every_command_and_its_quick_start_commands_exist() -> None:
    for name in COMMANDS:
        assert f"`orgtrail-gen {name}" in README, name
    quick = README[README.index("## Quick start") : README.index("## The workflow")]
    assert "pip install . && orgtrail-gen configs/example.yaml" in quick
    assert "pip install -r tests/requirements.txt '.[test]' && pytest" in quick
    assert (ROOT / "configs" / "example.yaml").is_file()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -r tests/requirements.txt '.[test]' && pytest" in ci, (
        ".ci/run runs the README's test command"
    )
