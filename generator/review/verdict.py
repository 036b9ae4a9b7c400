"""A control's verdict and what an evaluator is given: shared by every evaluator module.

Why a module of its own: the evaluators are split by what they judge (the trail and its
monitoring in :mod:`controls`, the bucket, keys, topic and workgroup in
:mod:`prowler_resources`), and both need the same statuses and the same context without
importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from generator.review.catalogue import Control
from generator.review.facts import ModuleFacts
from generator.sections.registry import Config

SATISFIED = "satisfied"
NOT_SATISFIED = "not satisfied"
NOT_APPLICABLE = "not applicable"
MANUAL = "manual"
STATUSES = (SATISFIED, NOT_SATISFIED, NOT_APPLICABLE, MANUAL)


@dataclass(frozen=True)
class Verdict:
    """A control's status, the one-line reason from the module's facts, the key to change."""

    status: str
    reason: str
    key: str = ""


@dataclass(frozen=True)
class Context:
    """What an evaluator judges: the module's facts, and the config (to name keys only)."""

    facts: ModuleFacts
    config: Config


Evaluator = Callable[[Control, Context], Verdict]


def registry() -> tuple[dict[str, Evaluator], Callable[[str], Callable[[Evaluator], Evaluator]]]:
    """A fresh evaluator table and the decorator that files a function in it by name."""
    table: dict[str, Evaluator] = {}

    def evaluator(name: str) -> Callable[[Evaluator], Evaluator]:
        def register(function: Evaluator) -> Evaluator:
            table[name] = function
            return function

        return register

    return table, evaluator
