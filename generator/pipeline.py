"""The main job as pure functions: config file -> checked Terraform text, nothing written.

Why: the CLI, ``--check`` and the tests all run exactly this path, and only the writer touches
the disk, after everything here has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import policies
from generator.arns import Arns
from generator.config import Config
from generator.config_loader import load_config
from generator.errors import PreflightError
from generator.hcl_parse import ParsedModule
from generator.preflight import RULES, Facts, Finding, run_rules
from generator.render import render_module
from generator.views import ModuleView, lifecycle_notes, monitoring_notes


@dataclass(frozen=True)
class Module:
    """A rendered, re-parsed and checked module, ready to write."""

    stem: str
    config: Config
    files: dict[str, str]
    parsed: ParsedModule

    @property
    def warnings(self) -> list[str]:
        """Things the user should know before applying, though nothing is wrong."""
        config = self.config
        bucket, kms, trail = config.bucket, config.kms, config.trail
        result = []
        if not bucket.create and bucket.existing_policy == "replace":
            result.append(
                f"bucket {bucket.name} exists and its policy will be REPLACED by "
                "aws_s3_bucket_policy: statements not generated here are removed at apply (set "
                "bucket.existing_policy: merge to keep them)"
            )
        if not bucket.create and bucket.existing_policy == "merge":
            result.append(
                f"bucket.existing_policy: merge reads the current policy of {bucket.name}: if "
                "the bucket has no policy, `terraform plan` fails (NoSuchBucketPolicy). Check "
                f"with `aws s3api get-bucket-policy --bucket {bucket.name}`; a bucket without "
                "a policy needs existing_policy: replace (there is nothing to keep)"
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
        result += monitoring_notes(config)
        return result

    @property
    def resource_count(self) -> int:
        """Managed resources (not data sources) in the module."""
        return sum(1 for block in self.parsed.blocks if block.kind == "resource")


def source_name(path: Path) -> str:
    """How a config is named in generated headers: ``<folder>/<file>``, independent of cwd."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def check_module(config: Config, files: dict[str, str]) -> tuple[ParsedModule, list[Finding]]:
    """Re-parse rendered files and run every preflight rule on them."""
    parsed = ParsedModule.parse(files)
    facts = Facts(Arns.of(config))
    return parsed, run_rules(parsed, facts)


def build(path: Path) -> Module:
    """Load, validate, render, re-parse and preflight one config; raise on any failure."""
    config = load_config(path)
    files = render_module(config, source_name(path))
    parsed, findings = check_module(config, files)
    if findings:
        lines = [f"{path}: {len(findings)} preflight check(s) failed; nothing was written:"]
        lines += [str(finding) for finding in findings]
        raise PreflightError("\n".join(lines))
    return Module(path.stem, config, files, parsed)


def rule_count() -> int:
    """How many preflight rules exist (for the summary line)."""
    return len(RULES)
