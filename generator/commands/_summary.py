"""The summary of each checked module against its base: the hook ``check --summary`` calls.

Why a base other than the output folder: in a pull request the output folder already holds
the regenerated module (the author ran ``generate`` and committed it), so comparing with it
shows nothing. CI checks the base branch out elsewhere and names its output root
(``--summary-base``); locally the default - the output folder - is what the evidence guard
compares with too.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

from generator.commands._modules import Target
from generator.core.paths import tree_label
from generator.output import generated_files
from generator.pipeline import previous_module
from generator.review.summary import ModuleSummary, summarize, to_json
from generator.review.summary_markdown import to_markdown


def target_summary(
    target: Target,
    base_root: Path | None,
    allow_replace: Collection[str] = (),
    allow_shorter_retention: Collection[str] = (),
) -> ModuleSummary:
    """Compare one target's module with ``base_root/<stem>/`` (default: its output folder).

    The module's warnings go into the summary: ``check`` only counts them on standard error,
    and the summary is what CI posts.
    """
    module = target.module
    folder = base_root / module.stem if base_root is not None else target.directory
    previous = previous_module(str(folder), generated_files(folder), module.files, module.parsed)
    return summarize(
        module.config,
        tree_label(target.config, target.config),
        tree_label(target.directory, target.config),
        module.parsed,
        previous,
        tree_label(folder, target.config),
        allow_replace,
        allow_shorter_retention,
        module.warnings,
    )


def render(summaries: list[ModuleSummary], format_name: str) -> str:
    """The summaries as Markdown or as JSON (``summary`` documents the JSON shape)."""
    if format_name == "json":
        return json.dumps(to_json(summaries), indent=2) + "\n"
    return to_markdown(summaries)
