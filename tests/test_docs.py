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

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight import REPORT_BUG, RULE_TEXTS, RULES, Facts, Finding, rule
from generator.config.schema import config_schema
from generator.pipeline import active_rules
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


def test_every_rule_says_what_it_protects_and_how_to_satisfy_it() -> None:
    """Issue 28: the rules page tells a user, for each rule, what it protects and what to change.

    Both are registered with the rule (``@rule(..., protects=..., satisfy=...)``); a rule whose
    finding the user cannot cause says so with REPORT_BUG rather than "Nothing to set" alone.
    """
    assert set(RULE_TEXTS) == set(RULES)
    for rule_id in active_rules():
        text = RULE_TEXTS[rule_id]
        assert len(text.protects.split()) >= 8, f"{rule_id}: protects= says too little"
        assert len(text.satisfy.split()) >= 5, f"{rule_id}: satisfy= says too little"
        if text.satisfy.startswith("Nothing to set"):
            assert REPORT_BUG in text.satisfy, f"{rule_id}: say that a finding is a bug"
    page = (ROOT / "docs" / "reference" / "rules.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", page, flags=re.M)[1:]
    assert [section.split(":", 1)[0] for section in sections] == active_rules()
    for section in sections:
        assert "\n**Protects:** " in section, section.splitlines()[0]
        assert "\n**To satisfy:** " in section, section.splitlines()[0]


def test_a_rule_without_either_text_is_refused_at_registration() -> None:
    def check(module: ParsedModule, facts: Facts) -> list[Finding]:
        return []

    for texts in ({"protects": " ", "satisfy": "set x"}, {"protects": "y", "satisfy": ""}):
        with pytest.raises(RuntimeError, match="OTG999 lacks protects= or satisfy="):
            rule("OTG999", "a rule", **texts)(check)
    assert "OTG999" not in RULES and "OTG999" not in RULE_TEXTS


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
