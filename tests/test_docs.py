"""The documentation site (docs/, mkdocs.yml): it builds strictly, and its generated pages are
what the code says today.

Why: a moved heading, a renamed page or a page left out of the navigation is a warning MkDocs
prints and nobody reads; strict mode makes each one an error here. The config reference and the
rules page are rendered from the models and the rule registry, so a key or a rule that changes
without its page fails below, naming the command that rewrites it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from mkdocs.commands.build import build
from mkdocs.config import load_config

from generator.config.schema import config_schema
from generator.review.reference import pages, undescribed
from generator.sections.registry import Config

MKDOCS = ROOT / "mkdocs.yml"


def test_the_site_builds_strictly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # snippets (--8<-- "configs/example.yaml") are read relative to the repository root
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")  # Material's end-of-life banner
    config = load_config(str(MKDOCS), site_dir=str(tmp_path / "site"), strict=True)
    build(config)  # raises mkdocs.exceptions.Abort on any warning in strict mode
    assert (tmp_path / "site" / "reference" / "config" / "index.html").is_file()


def test_broken_links_and_pages_outside_the_navigation_are_errors() -> None:
    """What makes the build above fail: strict, and each validation at warning level."""
    settings = yaml.safe_load(MKDOCS.read_text(encoding="utf-8"))
    assert settings["strict"] is True
    validation = settings["validation"]
    assert validation["nav"]["omitted_files"] == "warn"
    assert validation["nav"]["not_found"] == "warn"
    assert validation["links"]["not_found"] == "warn"
    assert validation["links"]["anchors"] == "warn"


def test_every_page_is_in_the_navigation() -> None:
    nav = MKDOCS.read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", nav, re.M))
    files = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert files == listed


def test_the_generated_pages_are_fresh() -> None:
    for path, text in pages(ROOT).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run `python -m generator.review.reference`"
        )


def test_every_key_of_the_schema_has_a_description() -> None:
    """The config reference shows each key's description: a key without one is a blank row."""
    assert undescribed(json.loads(config_schema(Config))) == [], (
        "add a Field(description=...) to each model field listed"
    )


def test_the_config_reference_has_every_section_and_an_example_of_each() -> None:
    text = (ROOT / "docs" / "reference" / "config.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert [s.split("`")[1] for s in sections] == list(Config.model_fields)
    for section in sections:
        assert "```yaml\n" in section, section.splitlines()[0]


def test_the_readme_links_into_the_site() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", readme)
    assert targets
    for target in targets:
        assert (ROOT / target).is_file(), target
