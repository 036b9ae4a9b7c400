"""What a section is: the pieces the registry finds for each config section.

Why: the loader, the renderer, the preflight run, the warnings and the checkov expectations
all iterate the same registry, so a section's template, rule or skip is never reachable from
one of them and forgotten by another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

from generator.config.fields import Issue

if TYPE_CHECKING:
    from generator.sections.facts import ModuleFacts
    from generator.sections.registry import Config


class Output(NamedTuple):
    """One ``output`` block: what other stacks and ``orgtrail-gen verify`` read."""

    name: str
    value: str
    description: str


def no_outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """For a section that creates nothing another stack reads."""
    return ()


def no_key_readers(facts: ModuleFacts) -> tuple[str, ...]:
    """For a section whose principals never read the logs."""
    return ()


def no_log_readers(facts: ModuleFacts) -> tuple[str, ...]:
    """For a section whose principals are not readers of the logs (``bucket.readers``' kind)."""
    return ()


class Skip(NamedTuple):
    """A checkov skip as the template prints it: ``#checkov:skip=<check>:<reason>``."""

    check: str
    reason: str


class CheckovSkip(NamedTuple):
    """A checkov check that does not fit this module, declared once with its reason.

    ``where``: the address of the block the skip is written in. ``when``: whether this module
    needs it (default: always), from the same facts the views decide with; ``reason`` may name
    the config value that switched a protection
    off. ``switched_off``: the skip is for a protection the config turned off, so its reason
    says which key does it (``switched off in the config (...)``).
    """

    check: str
    where: str
    reason: Callable[[ModuleFacts], str]
    when: Callable[[ModuleFacts], bool] = lambda facts: True
    switched_off: bool = False

    def skip(self, facts: ModuleFacts) -> Skip:
        """The comment's check and reason for this module."""
        reason = self.reason(facts)
        return Skip(self.check, f"switched off in the config ({reason})" if self.switched_off
                    else reason)  # fmt: skip


def skips_for(declared: tuple[CheckovSkip, ...], where: str, facts: ModuleFacts) -> list[Skip]:
    """The skips of one block, in declaration order."""
    return [item.skip(facts) for item in declared if item.where == where and item.when(facts)]


def no_issues(config: Config) -> list[Issue]:
    """For a section whose fields relate to no other field."""
    return []


def no_warnings(facts: ModuleFacts) -> list[str]:
    """For a section that has nothing to tell the user before apply."""
    return []


@dataclass(frozen=True)
class Section:
    """One config section and everything it owns.

    ``name``: the template context name of its view. ``keys``: the config keys it validates.
    ``templates``: every template it may render (``<name>.tf.j2``), in output order; its view's
    ``files`` says which of them this config renders. ``view``: builds the view (None when the
    section renders nothing for this config). ``rules``: the module of its preflight rules.
    ``outputs``: the outputs of what it creates (``outputs.tf`` lists every section's, in
    registry order). ``key_readers``: principals of this section that must decrypt the logs
    (the trail key's policy grants them). ``log_readers``: principals of this section that
    read the logs exactly as ``bucket.readers`` do (bucket policy and trail key; see
    :attr:`ModuleFacts.log_readers`). ``resources``: each resource type it declares, with
    the provider that must manage it, for rule OTG070: ``management``, ``bucket`` (the
    log-archive account's when there is one), ``trail`` (the delegated administrator's), ``key``
    (beside the bucket for the trail's key, else management) or ``local`` (no API call). A key
    may also be one resource's address (``aws_sns_topic.log_files``) or an address ending in
    ``*`` (a label prefix): it places those blocks of a type that another section places by
    type (the consumers' topic beside the bucket, the alarm topic in management).
    """

    name: str
    keys: tuple[str, ...]
    templates: tuple[str, ...]
    view: Callable[[ModuleFacts], object | None]
    cross_field_issues: Callable[[Config], list[Issue]] = no_issues
    warnings: Callable[[ModuleFacts], list[str]] = no_warnings
    rules: ModuleType | None = None
    outputs: Callable[[ModuleFacts], tuple[Output, ...]] = no_outputs
    key_readers: Callable[[ModuleFacts], tuple[str, ...]] = no_key_readers
    log_readers: Callable[[ModuleFacts], tuple[str, ...]] = no_log_readers
    skips: tuple[CheckovSkip, ...] = ()
    resources: dict[str, str] = field(default_factory=dict)
