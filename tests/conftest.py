"""Shared fixtures: the repository root, the shipped and test configs, golden updates."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

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
