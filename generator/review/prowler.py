"""prowler's metric-filter matching, for the catalogue's prowler requirements.

Why a copy of prowler's logic: prowler passes a filter only if its pattern matches the
regular expression the check builds (``build_metric_filter_pattern`` in
``prowler/providers/aws/services/cloudwatch/lib/metric_filters.py``, commit 3e000fa): every
event name as a whole word, in any order, plus an event source and extra clauses where the
check names them. The report must judge a filter the way prowler will.
"""

from __future__ import annotations

import re


def prowler_regex(requirement: str) -> str:
    """The regular expression prowler builds for one catalogue requirement string.

    ``regex:<r>`` is a check's literal regex; otherwise ``source=<s>`` and event names, with
    ``field=value`` / ``field!=value`` extra clauses (values may contain spaces: a clause runs
    to the end of the string).
    """
    if requirement.startswith("regex:"):
        return requirement.removeprefix("regex:")
    parts: list[str] = []
    words = requirement.split(" ")
    for index, word in enumerate(words):
        if word.startswith("source="):
            source = re.escape(word.removeprefix("source="))
            parts.append(rf"(?=.*\$\.eventSource\s*=\s*.?{source})")
        elif "=" in word:
            field, op, value = re.split(r"(!=|=)", " ".join(words[index:]), maxsplit=1)
            operator = r"\s*!=\s*" if op == "!=" else r"\s*=\s*"
            parts.append(rf"(?=.*\$\.{re.escape(field)}{operator}.?{re.escape(value)})")
            break
        else:
            parts.append(rf"(?=.*\$\.eventName\s*=\s*.?{re.escape(word)}\b)")
    return "".join(parts)
