"""Preflight rules: the checks AWS makes at CreateTrail time, run on the re-parsed output.

Why: Terraform only learns at apply that a bucket policy lacks the org-id grant or that the log
group ARN lacks ``:*``; by then a PR has merged. Each rule here reads the *generated* HCL,
reproduces one of those failures, and says what AWS would answer and how to fix it. A rule is a
small function registered with an id (OTG001...), so a test can break exactly one invariant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from generator.arns import Arns
from generator.hcl_parse import ParsedModule


@dataclass(frozen=True)
class Finding:
    """One failed rule: where, what AWS would say at apply, and the fix."""

    rule: str
    file: str
    address: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.rule} {self.file}: {self.address}: {self.problem}\n    fix: {self.fix}"


@dataclass(frozen=True)
class Facts:
    """What the rules know besides the HCL: the organization's identity and partition."""

    arns: Arns


Rule = Callable[[ParsedModule, Facts], list[Finding]]
RULES: dict[str, tuple[str, Rule]] = {}


def rule(rule_id: str, title: str) -> Callable[[Rule], Rule]:
    """Register a rule under its id; ids are unique and never reused."""

    def register(function: Rule) -> Rule:
        if rule_id in RULES:
            raise RuntimeError(f"duplicate preflight rule id {rule_id}")
        RULES[rule_id] = (title, function)
        return function

    return register


def run_rules(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Run every rule, in id order."""
    from generator.preflight import (  # noqa: F401  (registration)
        bucket,
        kms,
        monitoring,
        organization,
        trail,
    )

    findings: list[Finding] = []
    for rule_id in sorted(RULES):
        findings.extend(RULES[rule_id][1](module, facts))
    return findings
