"""prowler's own logic, for the catalogue's prowler checks: metric filters and event selectors.

Why a copy of prowler's logic: prowler passes a filter only if its pattern matches the
regular expression the check builds (``build_metric_filter_pattern`` in
``prowler/providers/aws/services/cloudwatch/lib/metric_filters.py``, commit 3e000fa): every
event name as a whole word, in any order, plus an event source and extra clauses where the
check names them. The report must judge a filter the way prowler will.

The event-selector checks are mirrored from prowler 5.46.0
(``prowler/providers/aws/services/cloudtrail/<check>/<check>.py``), for what a generated module
can hold: advanced event selectors, or none (GetEventSelectors then returns CloudTrail's
default classic selector: ReadWriteType All, IncludeManagementEvents true, no data resources).
They read fewer fields than CIS does, so prowler passes trails CIS does not; the report says
both (``tests/review/test_prowler_verdicts.py`` holds the table).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from generator.review.facts import EventSelector

PROWLER_VERSION = "5.46.0"
# cloudtrail_multi_region_enabled_logging_management_events.execute(): the selector name it wants
MANAGEMENT_SELECTOR = "Management events selector"
# cloudtrail_bedrock_logging_enabled.BEDROCK_RESOURCE_TYPES / BEDROCK_EVENT_SOURCES
BEDROCK_RESOURCE_TYPES = frozenset({
    "AWS::Bedrock::AgentAlias", "AWS::Bedrock::FlowAlias", "AWS::Bedrock::Guardrail",
    "AWS::Bedrock::InlineAgent", "AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::Model",
    "AWS::Bedrock::Prompt",
})  # fmt: skip
BEDROCK_EVENT_SOURCES = (
    "bedrock.amazonaws.com", "bedrock-agent.amazonaws.com", "bedrock-runtime.amazonaws.com",
    "bedrock-agent-runtime.amazonaws.com", "bedrock-data-automation.amazonaws.com",
    "bedrock-data-automation-runtime.amazonaws.com",
)  # fmt: skip

Operators = Mapping[str, Sequence[str]]


def logs_management_events(selectors: Sequence[EventSelector]) -> bool:
    """cloudtrail_multi_region_enabled_logging_management_events.execute(), advanced branch.

    Any selector named "Management events selector" with no readOnly field passes: prowler
    reads neither eventCategory nor eventSource (an excluded source passes). No selector at all
    is the default classic selector (ReadWriteType All with management events): it passes.
    """
    if not selectors:
        return True
    return any(s.name == MANAGEMENT_SELECTOR and "readOnly" not in s.fields for s in selectors)


def _matches(value: str, operators: Operators) -> bool:
    """cloudtrail_bedrock_logging_enabled._field_selector_matches_value (snake_case operators)."""
    tests = {
        "equals": lambda vs: value in vs,
        "not_equals": lambda vs: value not in vs,
        "starts_with": lambda vs: any(value.startswith(v) for v in vs),
        "not_starts_with": lambda vs: all(not value.startswith(v) for v in vs),
        "ends_with": lambda vs: any(value.endswith(v) for v in vs),
        "not_ends_with": lambda vs: all(not value.endswith(v) for v in vs),
    }
    return all(tests[op](values) for op, values in operators.items() if op in tests)


def _field_matches(value: str, selector: EventSelector, field: str) -> bool:
    """cloudtrail_bedrock_logging_enabled._selectors_match_value: the field must be present."""
    operators = selector.fields.get(field)
    return operators is not None and _matches(value, operators)


def _any_value(values: Iterable[str], selector: EventSelector, field: str) -> bool:
    return any(_field_matches(value, selector, field) for value in values)


def bedrock_match(selectors: Sequence[EventSelector]) -> str | None:
    """cloudtrail_bedrock_logging_enabled._get_bedrock_match_type, per selector.

    "management": eventCategory matches Management, readOnly absent or matching "false"
    (write-only passes), eventSource absent or letting a Bedrock source through (an excluded
    kms.amazonaws.com passes); "data": eventCategory Data and a Bedrock resources.type; the
    default classic selector ("management") when there is none; None: no selector does.
    """
    if not selectors:
        return "management"
    for s in selectors:
        if _field_matches("Management", s, "eventCategory"):
            read_only = "readOnly" in s.fields and not _field_matches("false", s, "readOnly")
            source = "eventSource" not in s.fields or _any_value(
                BEDROCK_EVENT_SOURCES, s, "eventSource"
            )
            if not read_only and source:
                return "management"
        if _field_matches("Data", s, "eventCategory") and _any_value(
            sorted(BEDROCK_RESOURCE_TYPES), s, "resources.type"
        ):
            return "data"
    return None


def records_s3_objects(selectors: Sequence[EventSelector]) -> bool:
    """cloudtrail_s3_dataevents_{read,write}_enabled.execute(), advanced branch (identical).

    Any field selector resources.type whose first Equals value is AWS::S3::Object passes:
    readOnly, resources.ARN, eventName and eventCategory are not read, nor is the trail's
    logging status. The default classic selector has no data resources: it fails.
    """
    return any(
        (s.fields.get("resources.type", {}).get("equals") or [""])[0] == "AWS::S3::Object"
        for s in selectors
    )


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
