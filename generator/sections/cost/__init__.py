"""The cost section: inputs of ``orgtrail-gen cost``; it renders nothing.

Why a section although it writes no file: every top-level config key belongs to exactly one
section (the registry finds its model and its cross-field rules there), and the estimate's
inputs are validated with the rest of the config - a misspelt price key is a located config
error, not a silent zero in a report; a selector the trail does not (or no longer) record is a
warning, so that editing trail.events never stops generation over a cost input.
"""

from __future__ import annotations

from generator.sections.base import Section
from generator.sections.cost import model
from generator.sections.facts import ModuleFacts


def warnings(facts: ModuleFacts) -> list[str]:
    """Volumes named for selectors the trail does not record."""
    return model.unknown_selectors(facts.config)


def build(facts: ModuleFacts) -> None:
    """Nothing to render: the estimate reads the config and the module, never a template."""
    return None


SECTION = Section(
    name="cost",
    keys=("cost",),
    templates=(),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
)
