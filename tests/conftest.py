"""Shared fixtures: the repository root, the shipped and test configs, golden updates.

Importing this module also sets the session's environment up, before any test module (and so
any generator code) runs: the cache folder and the hypothesis profile, below.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# The suite must never write into the user's cache (~/.cache/orgtrail-gen: the compiled grammar
# and about 10 MB of parse results per run). generator/check/hcl_parse.py reads XDG_CACHE_HOME
# when it first needs the folder, and every subprocess (the CLI runs, the background
# real-Terraform runs of tests/support/terraform_suite.py) inherits os.environ, so setting it
# here, at import, covers them all. The folder lives for one session: runs start cold, and a
# stale parse result from an earlier checkout can never answer for the text under test.
USER_CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
SESSION_CACHE_HOME = Path(tempfile.mkdtemp(prefix="orgtrail-gen-tests-cache-"))
os.environ["XDG_CACHE_HOME"] = str(SESSION_CACHE_HOME)
atexit.register(shutil.rmtree, SESSION_CACHE_HOME, ignore_errors=True)  # also outside pytest

# Hypothesis budgets: a quick local run, a thorough one in CI (CI=true, as GitHub Actions sets
# it); HYPOTHESIS_PROFILE=ci or =dev picks one explicitly. Property tests take their example
# count from the loaded profile (``settings.default.max_examples``), scaled down for costly ones.
settings.register_profile("dev", max_examples=50)
settings.register_profile("ci", max_examples=200)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIGS = sorted([*(ROOT / "configs").glob("*.yaml"), *(ROOT / "configs").glob("*.yml")])
CASE_CONFIGS = sorted((ROOT / "tests" / "cases").glob("*.yaml"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current templates instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def checkov(request: pytest.FixtureRequest) -> Path:
    """The checkov executable, installed on first use with its progress on the terminal.

    Skipped with the reason when it cannot be installed (offline), except under CI=true,
    where that fails: CI must never skip the checkov tests silently.
    """
    from support.checkov import checkov_or_skip

    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")

    def show(message: str) -> None:
        if reporter is None or capture is None:
            print(f"checkov: {message}", file=sys.stderr)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"checkov: {message}")

    return checkov_or_skip(show, os.environ)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the real-Terraform runs now, in the background (tests/support/terraform_suite.py).

    They mostly wait on the provider, so the rest of the suite runs meanwhile; without
    terraform and a provider mirror, or with none of those tests selected, this does nothing.
    """
    from support import terraform_suite

    terraform_suite.start(session)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from support import terraform_suite

    terraform_suite.stop()
