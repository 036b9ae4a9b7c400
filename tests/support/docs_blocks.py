"""The blocks of docs/*.md that show what a command prints, and the tests' side of them.

A page marks such a block with an HTML comment on the line before its fence,
``<!-- NAME -->`` (MkDocs passes the comment through; readers do not see it). A test runs the
commands the block shows (:class:`Transcript`) and compares with :func:`assert_block_shows`,
whose failure message says what to re-run and paste.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def marked_block(page: str, marker: str) -> str:
    """The text of the fenced block marked ``<!-- marker -->`` in ``docs/<page>``.

    Returned without its fences, with its last newline: what a command prints.
    """
    text = (DOCS / page).read_text(encoding="utf-8")
    match = re.search(rf"^<!-- {re.escape(marker)} -->\n```[\w-]*\n(.*?\n)```$", text, re.S | re.M)
    assert match, f"docs/{page}: no fenced block marked <!-- {marker} -->"
    return match[1]


class Transcript:
    """A shell session as a page shows it: each command as ``$ ...``, then what it printed.

    :meth:`run` runs ``orgtrail-gen ARGV`` in-process; standard error comes first (warnings
    are written before the status line on standard output, as a terminal shows them).
    """

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.lines: list[str] = []

    def run(self, *argv: str) -> int:
        self.capsys.readouterr()
        code = main(list(argv))
        printed = self.capsys.readouterr()
        self.shell(" ".join(("orgtrail-gen", *argv)), printed.err + printed.out)
        return code

    def shell(self, command: str, output: str = "") -> None:
        """A line the session shows as typed (``cat``, a comment), with its output."""
        self.lines.append(f"$ {command}\n{output}")

    @property
    def text(self) -> str:
        return "".join(self.lines)


def assert_block_shows(page: str, marker: str, printed: str, rerun: str) -> None:
    """The page's marked block is ``printed``; else say what to re-run and paste."""
    assert marked_block(page, marker) == printed, (
        f"docs/{page}'s <!-- {marker} --> block is not what the tool prints today: {rerun} and "
        f"paste its output into the block (then check that the prose around it is still true):\n"
        f"{printed}"
    )
