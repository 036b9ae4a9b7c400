"""The controls report as a terminal table, Markdown an auditor can file, or JSON for tools.

Why three shapes of one list: a reviewer reads the table in a terminal, an auditor files the
Markdown with the change, and CI or a GRC tool reads the JSON; all three carry the same
verdicts, reasons and keys, and the same member-account caveat.
"""

from __future__ import annotations

import json
from collections import Counter

from generator.review.catalogue import (
    CIS,
    MEMBER_ACCOUNTS,
    PROWLER,
    SECURITY_HUB,
    V14_20,
    V14_50,
    V15_50,
    V30_50,
    V60_70,
)
from generator.review.controls import STATUSES, Report, Result

FORMAT_VERSION = 1

NUMBERING = (
    "CIS numbering (prowler's transcriptions of the benchmarks): v1.4.0-v2.0.0 number logging "
    "3.1-3.11, v3.0.0-v5.0.0 3.1-3.9, v6.0.0-v7.0.0 4.1-4.10; monitoring is 4.1-4.15 in "
    "v1.4.0, 4.1-4.16 in v1.5.0-v5.0.0 and 5.1-5.16 in v6.0.0-v7.0.0."
)


def member_account_caveat(account: str | None, group_owner: str | None = None) -> str:
    """Why scanners fail the metric-filter controls in member accounts, and how to scope them.

    ``account``: where the trail's log group and filters live (None: the module has none);
    ``group_owner``: whose group it is, beside an owner's trail (None: this module's).
    """
    where = account or "<management account>"
    what = (
        f"{group_owner}'s log group and this module's filters and alarms on it"
        if group_owner
        else "this module's log group, filters and alarms"
    )
    return (
        "Member accounts: metric-filter controls are judged in the account a scanner runs in, "
        f"and {what} exist in account {where} only. "
        "prowler's cloudwatch_log_metric_filter_* and cloudwatch_changes_to_* checks FAIL in "
        "every other account (prowler#2438): mute them "
        'with a mutelist entry for Accounts "*" and those two check globs, Regions and Resources '
        f'"*", with Exceptions: Accounts: ["{where}"] (or scan member accounts with '
        "--excluded-check). Security Hub reports CloudWatch.1-14 failed in member accounts "
        "too (nozaq/terraform-aws-secure-baseline#307): disable those controls there - with "
        "central configuration, a configuration policy whose DisabledSecurityControlIdentifiers "
        "lists CloudWatch.1-14, associated with the OUs of the member accounts."
    )


def _id(result: Result) -> str:
    control = result.control
    if control.framework == CIS:
        return "CIS " + " / ".join(f"{n} ({v})" for v, n in control.numbers)
    return control.id


def _short_id(result: Result) -> str:
    """CIS: the numbers of v1.4-v2.0 | v3.0-v5.0 | v6.0-v7.0 (the table's header says so)."""
    control = result.control
    if control.framework != CIS:
        return control.id
    numbers = dict(control.numbers)
    if V14_50 in numbers:
        numbers[V14_20] = numbers[V30_50] = numbers[V14_50]
    if V15_50 in numbers:  # not in v1.4.0
        numbers[V14_20] = numbers[V15_50] + " (v1.5.0+)"
        numbers[V30_50] = numbers[V15_50]
    cells = [numbers.get(group, "-") for group in (V14_20, V30_50, V60_70)]
    if "v7.0.0" in numbers:
        cells[2] = numbers["v7.0.0"] + " (v7.0 only)"
    return "CIS " + "|".join(cells)


def _mark(result: Result) -> str:
    return " *" if result.control.scope == MEMBER_ACCOUNTS else ""


def _counts(results: list[Result]) -> str:
    counts = Counter(r.verdict.status for r in results)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def table(report: Report) -> str:
    """Status, id and config key per control; its title and the reason on the line below."""
    stem, results = report.module, report.results
    lines = [f"{stem}: {len(results)} controls ({_counts(results)})"]
    for framework in (CIS, SECURITY_HUB, PROWLER):
        rows = [r for r in results if r.control.framework == framework]
        width = max(len(_short_id(r)) for r in rows)
        lines += ["", framework + (f" (CIS ids: {V14_20}|{V30_50}|{V60_70})" if framework == CIS
                                   else "")]  # fmt: skip
        for r in rows:
            key = r.verdict.key or "-"
            lines.append(f"  {r.verdict.status:<14}  {_short_id(r):<{width}}  {key}{_mark(r)}")
            lines.append(f"      {r.control.title}: {r.verdict.reason}")
    lines += [
        "",
        NUMBERING,
        "",
        "* " + member_account_caveat(report.filters_account, report.log_group_owner),
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(report: Report) -> str:
    """One Markdown table per framework, with the numbering and the member-account caveat."""
    stem, results = report.module, report.results
    lines = [f"### Controls report: {stem}", "", f"{len(results)} controls: {_counts(results)}."]
    for framework in (CIS, SECURITY_HUB, PROWLER):
        lines += ["", f"#### {framework}", "", "| Control | Status | Reason | Config key |"]
        lines.append("| --- | --- | --- | --- |")
        for r in (r for r in results if r.control.framework == framework):
            key = f"`{r.verdict.key}`" if r.verdict.key else "-"
            lines.append(
                f"| {_cell(_id(r))}{_mark(r)}<br>{_cell(r.control.title)} | {r.verdict.status} "
                f"| {_cell(r.verdict.reason)} | {key} |"
            )
    lines += [
        "",
        NUMBERING,
        "",
        "\\* " + member_account_caveat(report.filters_account, report.log_group_owner),
    ]
    return "\n".join(lines) + "\n"


def _module(report: Report) -> dict[str, object]:
    results = report.results
    return {
        "module": report.module,
        "counts": {s: sum(r.verdict.status == s for r in results) for s in STATUSES},
        "filters_account": report.filters_account,
        "member_accounts": member_account_caveat(report.filters_account, report.log_group_owner),
        "controls": [
            {
                "framework": r.control.framework,
                "id": r.control.id,
                "numbers": {versions: number for versions, number in r.control.numbers},
                "title": r.control.title,
                "rule": r.control.rule,
                "status": r.verdict.status,
                "reason": r.verdict.reason,
                "key": r.verdict.key or None,
                "fails_in_member_accounts": r.control.scope == MEMBER_ACCOUNTS,
            }
            for r in results
        ],
    }


def as_json(reports: list[Report]) -> str:
    """One stable document for every config: format version, numbering, one entry per module."""
    document = {
        "format_version": FORMAT_VERSION,
        "cis_numbering": NUMBERING,
        "modules": [_module(report) for report in reports],
    }
    return json.dumps(document, indent=2) + "\n"
