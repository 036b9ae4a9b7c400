"""The metric-filter controls: CIS 4.1-4.15, Security Hub CloudWatch.1-14, prowler's checks.

Why apart from :mod:`controls`: a filter is judged the same way whichever log group it is on -
its pattern against the benchmark's, its alarm, who the alarm reaches - but what must hold of
the trail feeding the group differs. On this module's own group the trail is this module's and
is judged (``gate``: CIS and Security Hub audit the group of a multi-region trail logging every
management event); beside an owner's trail (:mod:`controls_owner`) it is the owner's, which
this module cannot judge offline.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from generator.monitoring import cis
from generator.review.catalogue import Control
from generator.review.facts import MetricFilter
from generator.review.prowler import prowler_regex
from generator.review.verdict import MANUAL, NOT_SATISFIED, SATISFIED, Context, Verdict

# What must hold of the trail that feeds the filters' group: None when it holds (or is not
# judged here), else the verdict that stops the control.
Gate = Callable[[Context], Verdict | None]


def missing_filter(cis_id: str, ctx: Context) -> Verdict:
    """Why no filter of the module carries a pattern of ``cis_id``."""
    monitoring = ctx.config.monitoring
    if not ctx.facts.log_group:
        return Verdict(NOT_SATISFIED, "no log group, so no metric filters", "cloudwatch_logs")
    if monitoring is None:
        return Verdict(NOT_SATISFIED, "no monitoring section: no metric filters", "monitoring")
    if cis_id not in monitoring.control_ids:
        return Verdict(NOT_SATISFIED, f"CIS {cis_id} is not in monitoring.cis_controls",
                       "monitoring.cis_controls")  # fmt: skip
    return Verdict(NOT_SATISFIED, f"no filter of this module carries a CIS {cis_id} pattern")


def _notified(found: MetricFilter, what: str) -> Verdict:
    reach = found.notifies
    if reach is None:
        return Verdict(MANUAL, f"{what}; its alarm publishes to a topic not managed here: check "
                       "it has a confirmed subscriber", "monitoring.notifications")  # fmt: skip
    if not reach:
        return Verdict(NOT_SATISFIED, f"{what}, but no enabled alarm reaches a subscriber",
                       "monitoring.notifications.topic.subscriptions")  # fmt: skip
    if found.awaiting_confirmation:
        return Verdict(SATISFIED, f"{what}, alarmed, and its topic has a subscriber (email or "
                       "https: it counts once the recipient confirms AWS's message)")  # fmt: skip
    return Verdict(SATISFIED, f"{what}, alarmed, and its topic has a subscriber")


def _flavour_of(cis_id: str, pattern: str | None) -> str | None:
    control = cis.control(cis_id)
    return next((f.name for f in control.flavours if f.pattern == pattern), None)


def cis_filter(control: Control, ctx: Context, gate: Gate, where: str) -> Verdict:
    """CIS audits the log group of an active multi-region trail logging all management events.

    ``where``: the group, in words ("the trail's group").
    """
    cis_id = control.argument
    for found in ctx.facts.filters:
        flavour = _flavour_of(cis_id, found.pattern)
        if flavour is not None:
            return gate(ctx) or _notified(found, f"{found.address} ({flavour} pattern) on {where}")
    return missing_filter(cis_id, ctx)


def security_hub_filter(control: Control, ctx: Context, gate: Gate) -> Verdict:
    """CloudWatch.1-14: Security Hub's exact string (flavour securityhub), as CIS v1.2 wrote it."""
    cis_id = control.argument
    exact = cis.control(cis_id).flavour("securityhub").pattern
    for found in ctx.facts.filters:
        if found.pattern == exact:
            what = f"{found.address} has Security Hub's exact pattern"
            return gate(ctx) or _notified(found, what)
        flavour = _flavour_of(cis_id, found.pattern)
        if flavour is not None:
            return Verdict(NOT_SATISFIED, f"{found.address} uses flavour {flavour}; Security Hub "
                           "wants its exact string (flavour securityhub)",
                           "monitoring.flavours")  # fmt: skip
    return missing_filter(cis_id, ctx)


def prowler_filter(control: Control, ctx: Context) -> Verdict:
    """The prowler check: a filter matching its regex, on any trail's group, with an alarm."""
    cis_id, requirement = control.argument.split("|", 1)
    regex = prowler_regex(requirement)
    for found in ctx.facts.filters:
        if found.pattern and re.search(regex, found.pattern, flags=re.DOTALL):
            if not found.alarms:
                return Verdict(NOT_SATISFIED, f"{found.address} matches but has no alarm")
            return Verdict(SATISFIED, f"{found.address} matches prowler's pattern and is alarmed")
    for found in ctx.facts.filters:
        flavour = _flavour_of(cis_id, found.pattern)
        if flavour is not None:
            return Verdict(NOT_SATISFIED, f"{found.address} (flavour {flavour}) lacks a term "
                           "prowler requires", "monitoring.flavours")  # fmt: skip
    return missing_filter(cis_id, ctx)
