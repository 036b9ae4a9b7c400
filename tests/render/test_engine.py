"""The Jinja environment's bytecode cache never answers with code compiled under other options."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
import pytest
from conftest import ROOT

from generator.pipeline import render_module
from generator.render import engine
from generator.sections.registry import load_config


def test_templates_compiled_with_other_options_are_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jinja keys its cache by template source only; another build's whitespace options once
    leaked into every generated file (a branch switch, an upgrade that kept the templates)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config = load_config(ROOT / "configs" / "example.yaml")
    ours = engine.environment.__wrapped__

    def other_build() -> jinja2.Environment:
        env = ours()
        env.trim_blocks = env.lstrip_blocks = False
        env.bytecode_cache = engine._bytecode_cache(env)
        return env

    try:
        monkeypatch.setattr(engine, "environment", cache(other_build))
        other = render_module(config, "configs/example.yaml")
        monkeypatch.setattr(engine, "environment", cache(ours))
        mine = render_module(config, "configs/example.yaml")
    finally:
        engine.environment.cache_clear()
    assert other != mine, "the other build's compiled templates really differ"
    committed = ROOT / "output" / "example"
    assert mine == {name: (committed / name).read_text(encoding="utf-8") for name in mine}
    assert len(list((tmp_path / "orgtrail-gen").glob("jinja-*"))) == 2
