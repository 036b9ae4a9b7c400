"""The layouts: a log-archive account for the bucket, a delegated administrator for the trail.

The ``log_archive`` and ``delegated_admin`` keys render no file of their own: they decide which
provider each resource of the other sections runs with (``providers.tf``, rule OTG070), and
their rules check what a layout can break.
"""

from __future__ import annotations

from generator.sections.base import Section
from generator.sections.facts import ModuleFacts
from generator.sections.layouts import model, rules


def build(facts: ModuleFacts) -> None:
    """Nothing to render: the module section's providers carry the layout."""
    return None


SECTION = Section(
    name="layouts",
    keys=("log_archive", "delegated_admin"),
    templates=(),
    view=build,
    cross_field_issues=model.cross_field_issues,
    rules=rules,
)
