"""A user's clone: add a config of their own (and a hand-written backend.tf), and the suite's
config-driven tests still pass, with expectations taken from that config alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

TOKYO = """\
# A user's own config: no schema modeline, another region, protections switched differently.
organization:
  id: o-t0ky0t0ky0
  management_account_id: "444455556666"
  cloudtrail_trusted_access: already_enabled
trail:
  name: tokyo-trail
  home_region: ap-northeast-1
  regions: [ap-northeast-1, ap-northeast-3]
bucket:
  name: tokyo-org-trail-logs
  versioning: false
  access_logging: {target_bucket: tokyo-access-logs, target_prefix: trail/}
cloudwatch_logs:
  log_group_name: /tokyo/trail
  retention_in_days: 30
"""
BACKEND = """\
terraform {
  backend "s3" {
    bucket       = "tokyo-terraform-state"
    key          = "trail/terraform.tfstate"
    region       = "ap-northeast-1"
    use_lockfile = true
  }
}
"""
LOCK = '# This file is maintained automatically by "terraform init".\n'
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv*", ".cache", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".hypothesis", "*.egg-info", "build", "dist",
)  # fmt: skip


@pytest.mark.checkov
def test_a_users_config_and_backend_pass_the_config_driven_tests(
    tmp_path: Path, checkov: Path
) -> None:
    repo = tmp_path / "clone"
    shutil.copytree(ROOT, repo, ignore=NOT_COPIED)
    (repo / "configs" / "tokyo.yaml").write_text(TOKYO, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(repo),  # the copy's generator and tests, not this checkout's
        "ORGTRAIL_CHECKOV": str(checkov),
        "PYTHONDONTWRITEBYTECODE": "1",
    }

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *argv], cwd=repo, env=env, capture_output=True, text=True, timeout=240
        )

    generated = run("-m", "generator", "configs/tokyo.yaml")
    assert generated.returncode == 0, generated.stderr
    folder = repo / "output" / "tokyo"
    (folder / "backend.tf").write_text(BACKEND, encoding="utf-8")
    (folder / ".terraform.lock.hcl").write_text(LOCK, encoding="utf-8")

    check = run(
        "-m",
        "generator",
        "check",
        *sorted(str(p.relative_to(repo)) for p in (repo / "configs").glob("*.yaml")),
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "output/tokyo: up to date" in check.stderr

    tests = run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "tokyo or accepts_the_shipped_configs",
        "tests/end_to_end/test_generated.py", "tests/end_to_end/test_terraform_checkers.py", "tests/commands/test_cli.py",
    )  # fmt: skip
    summary = tests.stdout.strip().splitlines()[-1]
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    assert passed >= 10, summary  # freshness, modeline, loader, fmt, schema, policies, checkov...
    assert "skipped" not in summary and "failed" not in summary, summary
    assert (folder / "backend.tf").read_text(encoding="utf-8") == BACKEND
