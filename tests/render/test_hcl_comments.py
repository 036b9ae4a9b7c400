"""Values in ``#`` comments: every one passes ``hcl_comment``, and none can end its line.

A comment runs to the end of its line, so a line break inside a value turns the rest of the
value into code (a newline in a value once broke the re-parse). The property test feeds
adversarial text to every comment of every template at once and holds the parsed module -
which python-hcl2 returns without comments - to the one rendered from the real values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.check.hcl_parse import parse_text
from generator.core.paths import templates_dir
from generator.pipeline import templates
from generator.render.engine import environment, header
from generator.render.hcl import hcl_comment
from generator.sections.registry import facts_of, load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted([*(ROOT / "configs").glob("*.yaml"), *(ROOT / "tests" / "cases").glob("*.yaml")])
LINE_BREAKS = ["\n", "\r", "\r\n", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
FRAGMENTS = [
    *LINE_BREAKS, "*/", "/*", "${", "%{", "${x}", "%{ if true }", "}", "{", '"', "\\", "#",
    "//", "<<EOF", " = ", '}\nresource "x" "y" {', "\t", "\x1b", "\x7f", "\ufeff", "\u00e9",
]  # fmt: skip
TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=10).map("".join),
)
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}")
_FILTERED = re.compile(r"\|\s*hcl_comment(\(\s*\d+\s*\))?\s*$")


def _comment_expressions() -> Iterator[tuple[str, int, str]]:
    for path in sorted(templates_dir().glob("*.j2")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                for match in _EXPRESSION.finditer(line):
                    yield path.name, number, match[1]


def test_every_value_in_a_comment_goes_through_hcl_comment() -> None:
    found = list(_comment_expressions())
    unfiltered = [f"{name}:{line}: {{{{{expr}}}}}" for name, line, expr in found if not _FILTERED.search(expr)]  # fmt: skip
    assert len(found) >= 20  # the scan sees the templates' comments
    assert unfiltered == []


@pytest.mark.parametrize("char", LINE_BREAKS)
def test_hcl_comment_refuses_every_line_break(char: str) -> None:
    with pytest.raises(ValueError, match=r"U\+00|U\+202"):
        hcl_comment(f"arn:aws:sns:eu-west-1:111111111111:alarms{char}resource")


@pytest.mark.parametrize("value", ["*/", "${x}", "%{ if true }", "a # b", "é \ufeff", 365])
def test_hcl_comment_keeps_text_that_cannot_end_a_line(value: str | int) -> None:
    assert hcl_comment(value) == str(value)


@pytest.mark.parametrize("value", [None, True, 1.5, ["a"]])
def test_hcl_comment_refuses_non_text(value: object) -> None:
    with pytest.raises(TypeError):
        hcl_comment(value)


def test_hcl_comment_wraps_into_lines_that_stay_comments() -> None:
    text = "the trail's key " * 20
    lines = ("# " + hcl_comment(text, 40)).split("\n")
    assert len(lines) > 1
    assert all(line.startswith("# ") and len(line) <= 42 for line in lines)
    assert " ".join(line[2:] for line in lines) == text.strip()


def _context(config_path: Path) -> tuple[dict[str, Any], list[str]]:
    config = load_config(config_path)
    views, names = templates(facts_of(config))
    return {**views, "header": header(config_path.name)}, names


def _render_all(env: jinja2.Environment, context: dict[str, Any], names: list[str]) -> dict[str, str]:  # fmt: skip
    return {name: env.get_template(f"{name}.tf.j2").render(context) for name in names}


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(config_path=st.sampled_from(CONFIGS), text=TEXT)
@example(
    config_path=ROOT / "tests" / "cases" / "monitoring-existing-topic.yaml",
    text='*/ ${x} %{ if true } "}',
)
@example(config_path=ROOT / "configs" / "prod.yaml", text='x\n}\nresource "a" "b" {')
def test_adversarial_text_in_every_comment_never_changes_the_module(
    config_path: Path, text: str
) -> None:
    context, names = _context(config_path)
    expected = {name: parse_text(body, name) for name, body in _render_all(environment(), context, names).items()}  # fmt: skip
    reached: list[object] = []

    def substitute(value: object, width: int | None = None) -> str:
        reached.append(value)
        return hcl_comment(text, width)

    # A separate environment (no template cache shared) whose comment filter sees `text`
    # in place of every real value.
    env = environment().overlay(cache_size=0)
    env.filters = {**environment().filters, "hcl_comment": substitute}
    try:
        rendered = _render_all(env, context, names)
    except ValueError:
        assert _controls(text), f"refused {text!r}, which holds no control character"
        return
    assert reached, f"{config_path.name}: no comment value reached the filter"
    assert not _controls(text), f"accepted {text!r} in a comment"
    assert {name: parse_text(body, name) for name, body in rendered.items()} == expected


def _controls(text: str) -> list[str]:
    """C0/C1 control characters and anything else at which ``str.splitlines`` ends a line."""
    return [c for c in text if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or len(f"a{c}b".splitlines()) > 1]  # fmt: skip
