"""The outputs of the module: what other stacks and ``orgtrail-gen verify`` read.

It owns ``outputs.tf`` and no config key: each section declares the outputs of what it creates
(``Section.outputs``), and this one prints them all, in registry order.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.sections.base import Output, Section
from generator.sections.facts import ModuleFacts


class OutputsView(NamedTuple):
    """What outputs.tf needs."""

    files: tuple[str, ...]
    outputs: tuple[Output, ...]


def build(facts: ModuleFacts) -> OutputsView:
    """Every section's outputs (the registry hands them in through ``facts.outputs``)."""
    return OutputsView(files=("outputs",), outputs=facts.outputs)


SECTION = Section(name="outputs", keys=(), templates=("outputs",), view=build)
