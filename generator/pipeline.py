"""The main job as pure functions: config file -> checked Terraform text, nothing written.

Why: the CLI, ``--check`` and the tests all run exactly this path. Nothing here reads the output
folder or prints: the command layer reads the module already written there and hands it in as
``previous``, and it prints the warnings this returns; only the writer touches the disk, after
everything here has passed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight import RULES, Facts, Finding, OwnedElsewhere, run_rules
from generator.core.errors import PreflightError, TemplateError
from generator.core.paths import config_label, rerun_command
from generator.guards import evidence, placement, retention
from generator.guards.evidence import allowed_replacements
from generator.render.engine import render_files
from generator.sections import registry
from generator.sections.addresses import LOG_GROUP
from generator.sections.facts import ModuleFacts
from generator.sections.registry import Config
from generator.sections.trail import delivery_regions

# Rules that read the whole module rather than one section: stored evidence, its retention,
# and placement.
CROSS_CUTTING: tuple[ModuleType, ...] = (evidence, retention, placement)


def rule_modules() -> tuple[ModuleType, ...]:
    """Every module of preflight rules the registry reaches, sections first."""
    owned = tuple(section.rules for section in registry.SECTIONS if section.rules is not None)
    return owned + CROSS_CUTTING


def active_rules() -> list[str]:
    """The ids of the rules a run applies: those of the registry's rule modules, in id order."""
    names = {module.__name__ for module in rule_modules()}
    return sorted(
        rule_id for rule_id, (_, function) in RULES.items() if function.__module__ in names
    )


class Module(NamedTuple):
    """A rendered, re-parsed and checked module, ready to write."""

    stem: str
    config: Config
    files: dict[str, str]
    parsed: ParsedModule
    warnings: tuple[str, ...] = ()  # what to know before applying, though nothing is wrong

    @property
    def resource_count(self) -> int:
        """Managed resources (not data sources) in the module."""
        return sum(1 for block in self.parsed.blocks if block.kind == "resource")


def templates(facts: ModuleFacts) -> tuple[dict[str, object | None], list[str]]:
    """The template context (each section's view by name) and the templates to render, in order.

    A section may render only the templates it declares: one that names another is a bug in
    the section, refused here rather than written.
    """
    views = registry.views(facts)
    names: list[str] = []
    for section in registry.SECTIONS:
        view = views[section.name]
        chosen: tuple[str, ...] = getattr(view, "files", ()) if view is not None else ()
        stray = [name for name in chosen if name not in section.templates]
        if stray:
            raise TemplateError(
                f"section {section.name} renders {', '.join(stray)}, which it does not declare"
            )
        names += chosen
    return views, names


def render(facts: ModuleFacts, source: str, command: str | None = None) -> dict[str, str]:
    """Every file of the module: each section's view and the templates it chooses, in order."""
    views, names = templates(facts)
    return render_files(names, views, source, command)


def preflight_facts(
    config: Config,
    previous: ParsedModule | None = None,
    allow_replace: Collection[str] = (),
    allow_shorter_retention: Collection[str] = (),
) -> Facts:
    """What the preflight rules know of ``config`` besides the HCL.

    One place for it: the review's attention items run the evidence guard's rules with the
    same facts (and nothing allowed), so they can never judge another module than the rules do.
    An adopted log group's retention (``adopt:``) is compared too, output or not.
    """
    adopted = config.adopt.log_group if config.adopt else None
    return Facts(
        registry.arns_of(config),
        previous,
        frozenset(allow_replace),
        config.log_archive.account_id if config.log_archive else None,
        config.delegated_admin.account_id if config.delegated_admin else None,
        allow_shorter_retention=frozenset(allow_shorter_retention),
        adopted_retention={LOG_GROUP: adopted.retention_in_days or 0} if adopted else {},
        placements=registry.placements(),
        delivery_regions=tuple(delivery_regions(config)),
        owned_elsewhere=owned_elsewhere(config),
        kept_bucket_policy=not config.bucket.create and config.bucket.existing_policy == "keep",
    )


def owned_elsewhere(config: Config) -> OwnedElsewhere | None:
    """The owner's trail, bucket, key and log group (companion layout), for rule OTG110."""
    owner = config.owner_trail
    if owner is None:
        return None
    return OwnedElsewhere(
        manager=owner.manager,
        trail_arn=owner.arn,
        bucket=config.bucket.name,
        key_arn=config.kms.key_arn if config.kms.enabled else None,
        log_group_name=owner.log_group_name,
    )


def check_module(
    config: Config,
    files: dict[str, str],
    previous: ParsedModule | None = None,
    allow_replace: Collection[str] = (),
    parsed: ParsedModule | None = None,
    allow_shorter_retention: Collection[str] = (),
) -> tuple[ParsedModule, list[Finding]]:
    """Re-parse rendered files (unless ``parsed`` is given) and run every preflight rule.

    ``previous`` is the module already in the output folder: the rules compare against it so
    that a regeneration cannot silently replace what holds the logs, nor shorten how long they
    are kept (``preflight_facts``).
    """
    parsed = parsed if parsed is not None else ParsedModule.parse(files)
    facts = preflight_facts(config, previous, allow_replace, allow_shorter_retention)
    return parsed, run_rules(parsed, facts, active_rules())


def previous_module(
    label: str, old: Mapping[str, str], files: dict[str, str], parsed: ParsedModule
) -> ParsedModule | None:
    """The module orgtrail-gen wrote earlier (``old``: its files), parsed; None if there is none.

    A file identical to its new text has the new text's blocks, so only the files that changed
    are parsed again: a re-run or a ``check`` of an up-to-date folder costs nothing. ``label``
    names the folder in the message when an old file no longer parses.
    """
    if not old:
        return None
    changed = {name: text for name, text in old.items() if files.get(name) != text}
    kept = tuple(
        block for block in parsed.blocks if block.file in old and block.file not in changed
    )
    try:
        return ParsedModule(kept + (ParsedModule.parse(changed).blocks if changed else ()))
    except PreflightError as exc:
        raise PreflightError(
            f"{label}: a file written earlier by orgtrail-gen no longer parses, so this run "
            "cannot check that it replaces nothing that holds logs. Restore it (`git checkout -- "
            f"{label}`) or delete the file, then run again.\n    {exc}"
        ) from None


def build(
    path: Path,
    previous: Mapping[str, str] | None = None,
    *,
    previous_label: str = "",
    output_root: Path | None = None,
    allow_replace: Collection[str] = (),
    allow_shorter_retention: Collection[str] = (),
) -> Module:
    """Load, validate, render, re-parse and preflight one config; raise on any failure.

    ``previous``: the files orgtrail-gen wrote earlier in this config's folder (named
    ``previous_label`` in messages), which the evidence rules (OTG040, OTG042) compare
    against; ``allow_replace`` names the addresses the user lets this run replace or remove,
    ``allow_shorter_retention`` those whose retention it may shorten. ``output_root`` is the
    ``--output-dir`` the user chose, named in the headers' re-run hint.
    """
    config = registry.load_config(path)
    facts = registry.facts_of(config)
    files = render(facts, config_label(path), rerun_command(path, output_root))
    parsed = ParsedModule.parse(files)
    before = previous_module(previous_label, previous or {}, files, parsed)
    parsed, findings = check_module(
        config, files, before, allow_replace, parsed, allow_shorter_retention
    )
    if findings:
        lines = [f"{path}: {len(findings)} preflight check(s) failed; nothing was written:"]
        lines += [str(finding) for finding in findings]
        raise PreflightError("\n".join(lines))
    notes = allowed_replacements(parsed, before, allow_replace)
    warnings = (*registry.warnings(facts), *notes)
    return Module(path.stem, config, files, parsed, warnings)


def rule_count() -> int:
    """How many preflight rules a run applies (for the summary line)."""
    return len(active_rules())


def render_module(config: Config, source: str, command: str | None = None) -> dict[str, str]:
    """Every file of the module for a validated ``config``, unchecked (``source`` names it)."""
    return render(registry.facts_of(config), source, command)
