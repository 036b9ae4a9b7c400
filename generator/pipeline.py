"""The main job as pure functions: config file -> checked Terraform text, nothing written.

Why: the CLI, ``--check`` and the tests all run exactly this path, and only the writer touches
the disk, after everything here has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.arns import Arns
from generator.config import Config
from generator.config_loader import load_config
from generator.errors import PreflightError
from generator.hcl_parse import ParsedModule
from generator.locations import config_label, rerun_command
from generator.preflight import RULES, Facts, Finding, run_rules
from generator.render import render_module


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
        bucket, kms = self.config.bucket, self.config.kms
        result = []
        if not bucket.create and bucket.existing_policy == "replace":
            result.append(
                f"bucket {bucket.name} exists and its policy will be REPLACED by "
                "aws_s3_bucket_policy: statements not generated here are removed at apply (set "
                "bucket.existing_policy: merge to keep them)"
            )
        if kms.enabled and kms.key_arn:
            result.append(
                f"kms.key_arn {kms.key_arn} is not managed here: its key policy must admit "
                "cloudtrail.amazonaws.com for this trail (GenerateDataKey*, DescribeKey)"
                + (" and logs.<region> for the log group" if self.config.cloudwatch_logs else "")
                + ", or CreateTrail fails with InsufficientEncryptionPolicyException"
            )
        return result

    @property
    def resource_count(self) -> int:
        """Managed resources (not data sources) in the module."""
        return sum(1 for block in self.parsed.blocks if block.kind == "resource")


def source_name(path: Path) -> str:
    """How a config is named in generated headers, independent of cwd (see locations)."""
    return config_label(path)


def check_module(config: Config, files: dict[str, str]) -> tuple[ParsedModule, list[Finding]]:
    """Re-parse rendered files and run every preflight rule on them."""
    parsed = ParsedModule.parse(files)
    facts = Facts(Arns.of(config))
    return parsed, run_rules(parsed, facts)


def build(path: Path, output_root: Path | None = None) -> Module:
    """Load, validate, render, re-parse and preflight one config; raise on any failure.

    ``output_root`` is the ``--output-dir`` the user chose, named in the headers' re-run hint.
    """
    config = load_config(path)
    files = render_module(config, source_name(path), rerun_command(path, output_root))
    parsed, findings = check_module(config, files)
    if findings:
        lines = [f"{path}: {len(findings)} preflight check(s) failed; nothing was written:"]
        lines += [str(finding) for finding in findings]
        raise PreflightError("\n".join(lines))
    return Module(path.stem, config, files, parsed)


def rule_count() -> int:
    """How many preflight rules exist (for the summary line)."""
    return len(RULES)
