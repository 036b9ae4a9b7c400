"""The main job as pure functions: config file -> checked Terraform text, nothing written.

Why: the CLI, ``--check`` and the tests all run exactly this path, and only the writer touches
the disk, after everything here has passed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from generator.check.hcl_parse import ParsedModule
from generator.check.preflight import RULES, Facts, Finding, run_rules
from generator.check.preflight.evidence import allowed_replacements
from generator.config.loader import load_config
from generator.config.model import Config
from generator.errors import PreflightError
from generator.locations import config_label, default_output_root, rerun_command
from generator.output import generated_files
from generator.render import policies
from generator.render.adoption import adoption_warnings
from generator.render.arns import Arns
from generator.render.athena_view import projected_regions
from generator.render.engine import render_module
from generator.render.views import LOG_GROUP, ModuleView, lifecycle_notes, monitoring_notes


@dataclass(frozen=True)
class Module:
    """A rendered, re-parsed and checked module, ready to write."""

    stem: str
    config: Config
    files: dict[str, str]
    parsed: ParsedModule
    notes: tuple[str, ...] = ()  # what an allowed replacement destroys, and how to plan it

    @property
    def warnings(self) -> list[str]:
        """Things the user should know before applying, though nothing is wrong."""
        config = self.config
        bucket, kms, trail = config.bucket, config.kms, config.trail
        result = []
        if not bucket.create and bucket.existing_policy == "replace":
            result.append(
                f"bucket {bucket.name} exists and its policy will be REPLACED by "
                "aws_s3_bucket_policy: statements not generated here are removed at apply (copy "
                "the ones to keep into bucket.kept_statements - `orgtrail-gen discover` does - "
                "and set bucket.existing_policy: merge)"
            )
        if not bucket.create and bucket.existing_policy == "merge":
            sids = ", ".join(s.sid for s in bucket.kept_statements)
            result.append(
                f"bucket {bucket.name} exists and its policy will be REPLACED by this module's "
                f"statements plus bucket.kept_statements ({sids}); any other statement it has "
                "today is removed at apply (`orgtrail-gen discover` or `verify` lists them)"
            )
        if kms.enabled and kms.key_arn:
            statements = policies.to_json_text(
                ModuleView(config, Arns.of(config)).required_key_statements()
            )
            result.append(
                f"kms.key_arn {kms.key_arn} is not managed here. Before `terraform apply`, its "
                "key policy must contain these statements (also in kms.tf), or CreateTrail "
                "fails with InsufficientEncryptionPolicyException:\n" + statements
            )
        if not trail.is_multi_region:
            result.append(
                f"trail.is_multi_region is false: the organization trail records "
                f"{trail.home_region} only; every other region of every account is unlogged"
            )
        result += lifecycle_notes(config)
        result += adoption_warnings(config)
        result += monitoring_notes(config)
        result += self.notes
        return result

    @property
    def resource_count(self) -> int:
        """Managed resources (not data sources) in the module."""
        return sum(1 for block in self.parsed.blocks if block.kind == "resource")


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
    are kept. An adopted log group's retention (``adopt:``) is compared too, output or not.
    """
    parsed = parsed if parsed is not None else ParsedModule.parse(files)
    adopted = config.adopt.log_group if config.adopt else None
    facts = Facts(
        Arns.of(config),
        previous,
        frozenset(allow_replace),
        config.log_archive.account_id if config.log_archive else None,
        config.delegated_admin.account_id if config.delegated_admin else None,
        allow_shorter_retention=frozenset(allow_shorter_retention),
        adopted_retention={LOG_GROUP: adopted.retention_in_days or 0} if adopted else {},
        delivery_regions=tuple(projected_regions(config)),
    )
    return parsed, run_rules(parsed, facts)


def previous_module(
    directory: Path, files: dict[str, str], parsed: ParsedModule
) -> ParsedModule | None:
    """The module orgtrail-gen wrote earlier in ``directory``, parsed; None if there is none.

    A file on disk identical to its new text has the new text's blocks, so only the files that
    changed are parsed again: a re-run or a ``check`` of an up-to-date folder costs nothing.
    """
    old = generated_files(directory)
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
            f"{directory}: a file written earlier by orgtrail-gen no longer parses, so this run "
            "cannot check that it replaces nothing that holds logs. Restore it (`git checkout -- "
            f"{directory}`) or delete the file, then run again.\n    {exc}"
        ) from None


def build(
    path: Path,
    output_root: Path | None = None,
    allow_replace: Collection[str] = (),
    allow_shorter_retention: Collection[str] = (),
) -> Module:
    """Load, validate, render, re-parse and preflight one config; raise on any failure.

    ``output_root`` is the ``--output-dir`` the user chose, named in the headers' re-run hint.
    The module already in its folder (``output_root`` or the default root, ``/<stem>/``) is
    the previous output the evidence rules (OTG040, OTG042) compare against; ``allow_replace``
    names the addresses the user lets this run replace or remove, ``allow_shorter_retention``
    those whose retention it may shorten.
    """
    config = load_config(path)
    files = render_module(config, config_label(path), rerun_command(path, output_root))
    root = output_root if output_root is not None else default_output_root(path)
    parsed = ParsedModule.parse(files)
    previous = previous_module(root / path.stem, files, parsed)
    parsed, findings = check_module(
        config, files, previous, allow_replace, parsed, allow_shorter_retention
    )
    if findings:
        lines = [f"{path}: {len(findings)} preflight check(s) failed; nothing was written:"]
        lines += [str(finding) for finding in findings]
        raise PreflightError("\n".join(lines))
    notes = tuple(allowed_replacements(parsed, previous, allow_replace))
    return Module(path.stem, config, files, parsed, notes)


def rule_count() -> int:
    """How many preflight rules exist (for the summary line)."""
    return len(RULES)
