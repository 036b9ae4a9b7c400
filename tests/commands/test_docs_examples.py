"""The command output the pages of docs/ show outside discover and verify is what the tool prints.

(docs/discover-verify.md's sessions: tests/aws/test_docs_sessions.py; docs/review.md's summary
and controls report: tests/review/.) Each block is marked ``<!-- NAME -->`` in its page
(tests/support/docs_blocks.py) and produced here from the shipped config it names.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support.docs_blocks import Transcript, assert_block_shows

from generator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_adoption_warnings_shown_are_what_a_first_generation_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/adopting.md: what changes in place when configs/adopt-console.yaml is generated."""
    (tmp_path / ".git").mkdir()  # a working tree of its own: output/ is written there
    (tmp_path / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "adopt-console.yaml", tmp_path / "configs")
    monkeypatch.chdir(tmp_path)
    session = Transcript(capsys)
    assert session.run("configs/adopt-console.yaml") == 0
    assert_block_shows(
        "adopting.md",
        "adopt-console-warnings",
        session.text,
        "run `orgtrail-gen configs/adopt-console.yaml` in a checkout without output/ (a first "
        "generation, below)",
    )


@pytest.mark.parametrize(
    ("typed", "argv"),
    [
        ("orgtrail-gen generte", ["generte", "configs/example.yaml"]),
        ("check --sumary", ["check", "--sumary", "configs/example.yaml"]),
    ],
)
def test_the_misspellings_the_workflow_page_quotes_are_answered_as_quoted(
    typed: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/workflow.md quotes two answers in its prose: `TYPED` answers "ANSWER", exit 2."""
    page = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    match = re.search(rf"`{re.escape(typed)}` answers\s+\"(?P<answer>[^\"]+)\"", page)
    assert match, f"docs/workflow.md no longer quotes what `{typed}` answers"
    monkeypatch.chdir(ROOT)
    assert main(argv) == 2
    assert match["answer"] in capsys.readouterr().err, (
        f"docs/workflow.md quotes a stale answer: run `orgtrail-gen {' '.join(argv)}` and quote it"
    )
