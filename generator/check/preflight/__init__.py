"""Preflight rules: the checks AWS makes at CreateTrail time, run on the re-parsed output.

Why: Terraform only learns at apply that a bucket policy lacks the org-id grant or that the log
group ARN lacks ``:*``; by then a PR has merged. Each rule here reads the *generated* HCL,
reproduces one of those failures, and says what AWS would answer and how to fix it. A rule is a
small function registered with an id (OTG001...), so a test can break exactly one invariant.
The rules live with the sections they check (``generator.sections.<name>.rules``) or, when
they read the whole module, in ``generator.guards``; ``generator.pipeline`` runs those the
registry reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from generator.check.hcl_parse import ParsedModule
from generator.core.arns import Arns


class Finding(NamedTuple):
    """One failed rule: where, what AWS would say at apply, and the fix."""

    rule: str
    file: str
    address: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.rule} {self.file}: {self.address}: {self.problem}\n    fix: {self.fix}"


class OwnedElsewhere(NamedTuple):
    """The organization trail someone else owns (``owner_trail``) and what belongs to it.

    ``key_arn`` and ``log_group_name`` are None when the owner's trail has none.
    """

    manager: str
    trail_arn: str
    bucket: str
    key_arn: str | None
    log_group_name: str | None


@dataclass(frozen=True)
class Facts:
    """What the rules know besides the HCL.

    ``arns``: the organization's identity and partition. ``previous``: the module already in
    the output folder (None when there is none), and ``allow_replace``: the addresses the user
    allowed a regeneration to replace or remove (``--allow-replace``).
    ``allow_shorter_retention``: the addresses whose retention the user let this run shorten
    (``--allow-shorter-retention``); ``adopted_retention``: for an adopted log group, its
    address and the retention it has today (``adopt:``; 0 = never expire).
    ``placements``: the account each resource type belongs in, as the sections declare it
    (``management``, ``bucket``, ``trail``, ``key``, ``local``), for rule OTG070.
    """

    arns: Arns
    previous: ParsedModule | None = None
    allow_replace: frozenset[str] = frozenset()
    log_archive_account: str | None = None  # owns the bucket and its key, when not management
    delegated_admin_account: str | None = None  # creates the trail, when not management
    allow_shorter_retention: frozenset[str] = frozenset()
    adopted_retention: Mapping[str, int] = field(default_factory=dict)
    placements: Mapping[str, str] = field(default_factory=dict)
    # Regions whose files the organization expects (trail.regions and the global region): the
    # Athena table must project each (OTG082). Empty: the rule samples the table's own enum.
    delivery_regions: tuple[str, ...] = ()
    # The companion layout (owner_trail): what no resource of the module may manage (OTG110).
    owned_elsewhere: OwnedElsewhere | None = None
    # bucket.existing_policy: keep - the bucket's owner writes its policy, not this module.
    kept_bucket_policy: bool = False

    @property
    def bucket_account(self) -> str:
        """The account the bucket and the trail's key belong to."""
        return self.log_archive_account or self.arns.management_account_id


Rule = Callable[[ParsedModule, Facts], list[Finding]]
RULES: dict[str, tuple[str, Rule]] = {}

# The "To satisfy" of a rule that checks text the generator writes and no config key reaches.
REPORT_BUG = "a finding here is a bug in orgtrail-gen: report it with your config."


class RuleText(NamedTuple):
    """What a rule tells its reader (the rules page): what it protects and how to satisfy it.

    ``protects``: what goes wrong in AWS or Terraform without the rule - what AWS answers, what
    is lost, who could read what. ``satisfy``: what the user changes - config keys, a command
    option - or :data:`REPORT_BUG` where the rule guards text no config key reaches.
    """

    protects: str
    satisfy: str


# Filled by the same decorator as RULES, under the same id: a rule is defined in one place.
RULE_TEXTS: dict[str, RuleText] = {}


def rule(rule_id: str, title: str, *, protects: str, satisfy: str) -> Callable[[Rule], Rule]:
    """Register a rule under its id; ids are unique and never reused.

    ``protects`` and ``satisfy`` are rendered on the rules page (``docs/reference/rules.md``);
    neither may be empty.
    """

    def register(function: Rule) -> Rule:
        if rule_id in RULES:
            raise RuntimeError(f"duplicate preflight rule id {rule_id}")
        if not protects.strip() or not satisfy.strip():
            raise RuntimeError(f"preflight rule {rule_id} lacks protects= or satisfy=")
        RULES[rule_id] = (title, function)
        RULE_TEXTS[rule_id] = RuleText(" ".join(protects.split()), " ".join(satisfy.split()))
        return function

    return register


def run_rules(module: ParsedModule, facts: Facts, rule_ids: Iterable[str]) -> list[Finding]:
    """Run the given rules (registered ids), in id order."""
    findings: list[Finding] = []
    for rule_id in sorted(rule_ids):
        findings.extend(RULES[rule_id][1](module, facts))
    return findings
