"""verify's ``trail events`` rows: what the live trail records against what trail.events asks.

Why semantic, not textual: CloudTrail returns the selectors in its own order, with the names
someone gave them, as advanced selectors or as basic ones (``EventSelectors``, from the console
or an older tool). Each side is reduced to what it records - management events per kind (read,
write) with the sources excluded from each; data events per resource type and filters, with
the kinds recorded; network activity events per event source and filters - and the two are
compared as sets. Each difference is one row in the trail section's own words
(:func:`generator.sections.trail.events.selector_words`, the change summary's vocabulary):
what is no longer recorded, and what is recorded that the config did not ask for.

The expected side is :func:`generator.sections.trail.events.selectors`, the function
cloudtrail.tf renders its ``advanced_event_selector`` blocks from; with ``trail.events``
omitted, CloudTrail's default (every management event, read and write).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from generator.aws.live import Live, Result
from generator.check.preflight.lookups import SELECTOR_OPERATORS
from generator.sections.trail.events import (
    KINDS,
    S3_OBJECT_TYPES,
    Fields,
    Selector,
    excluded_sources,
    management_words,
    read_write_of,
    selector_words,
    selectors,
)

CHECK = "trail events"
# A trail with no selector of its own records CloudTrail's default: every management event.
DEFAULT: Fields = {"eventCategory": {"equals": ["Management"]}}
# API operator names (AdvancedFieldSelector) to the snake_case the config and the HCL use.
_OPERATORS = {"".join(p.title() for p in op.split("_")): op for op in SELECTOR_OPERATORS}
_READ_WRITE = {"ReadOnly": "read", "WriteOnly": "write"}
# A basic selector's data resource value naming a whole service: every resource of the type.
_WHOLE_SERVICE = re.compile(r"arn:[a-z-]+:[a-z0-9-]+:*")
_CATEGORY_FIELDS = ("eventCategory", "resources.type", "readOnly")

Filters = tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]


# --- what one list of selectors records ---------------------------------------------------------


def _filters(fields: Fields, skip: Iterable[str]) -> Filters:
    """The conditions other than ``skip``, in one order whatever order AWS returned them in."""
    return tuple(
        sorted(
            (field, tuple(sorted((op, tuple(sorted(values))) for op, values in ops.items())))
            for field, ops in fields.items()
            if field not in skip
        )
    )


def _fields(filters: Filters) -> dict[str, dict[str, list[str]]]:
    return {field: {op: list(values) for op, values in ops} for field, ops in filters}


def _category(fields: Fields) -> tuple[str, ...]:
    return tuple(fields.get("eventCategory", {}).get("equals", ()))


class Recorded(NamedTuple):
    """What a trail records, in a form two trails can be compared in.

    Per management kind (read, write) the sources excluded from it; per data key (resource
    type, filters) the kinds recorded; the network activity (and any other) selectors.
    """

    management: dict[str, frozenset[str]]
    data: dict[tuple[str, Filters], set[str]]
    other: set[Filters]


def recorded(found: Iterable[Fields]) -> Recorded:
    """Reduce selectors to what they record; order, names and value order do not count."""
    result = Recorded({}, {}, set())
    for fields in found:
        category = _category(fields)
        kinds = KINDS[read_write_of(fields)]
        if category == ("Management",):
            excluded = frozenset(excluded_sources(fields))
            for kind in kinds:
                known = result.management.get(kind)
                # a source is left out only when every selector recording the kind leaves it out
                result.management[kind] = excluded if known is None else known & excluded
        elif category == ("Data",):
            rest = _filters(fields, _CATEGORY_FIELDS)
            for kind_type in fields.get("resources.type", {}).get("equals", ()) or ("",):
                result.data.setdefault((kind_type, rest), set()).update(kinds)
        else:
            result.other.add(_filters(fields, ()))
    return result


def _kinds_words(kinds: set[str]) -> str:
    return management_words("all" if len(kinds) > 1 else next(iter(kinds)))


def _management_phrases(kinds: dict[str, frozenset[str]]) -> list[str]:
    """Kinds of management events in words, one phrase per set of excluded sources."""
    groups: dict[frozenset[str], set[str]] = {}
    for kind, excluded in kinds.items():
        groups.setdefault(excluded, set()).add(kind)
    phrases = []
    for excluded, group in sorted(groups.items(), key=lambda item: sorted(item[1])):
        words = _kinds_words(group)
        phrases.append(
            words + (f" except those of {', '.join(sorted(excluded))}" if excluded else "")
        )
    return phrases


def _data_words(key: tuple[str, Filters], kinds: set[str]) -> str:
    kind_type, rest = key
    fields: dict[str, dict[str, list[str]]] = {"eventCategory": {"equals": ["Data"]}}
    if kind_type:
        fields["resources.type"] = {"equals": [kind_type]}
    if len(kinds) == 1:
        fields["readOnly"] = {"equals": ["true" if "read" in kinds else "false"]}
    return selector_words({**fields, **_fields(rest)})


def describe(found: Recorded) -> list[str]:
    """Everything a trail records, in words (the row of a trail that records what it should)."""
    words = _management_phrases(found.management)
    words += [_data_words(key, kinds) for key, kinds in sorted(found.data.items()) if kinds]
    words += sorted(selector_words(_fields(filters)) for filters in found.other)
    return words or ["nothing"]


class Difference(NamedTuple):
    """One thing recorded on one side only, in words; ``billed``: a data or network event."""

    words: str
    billed: bool


def differences(expected: Recorded, found: Recorded) -> tuple[list[Difference], list[Difference]]:
    """What ``expected`` records that ``found`` does not (lost), and the reverse (extra)."""
    lost: list[Difference] = []
    extra: list[Difference] = []
    for source, target, into in ((expected, found, lost), (found, expected, extra)):
        missing = {k: v for k, v in source.management.items() if k not in target.management}
        into += [Difference(p, False) for p in _management_phrases(missing)]
        for key, kinds in sorted(source.data.items()):
            if kinds - target.data.get(key, set()):
                into.append(Difference(_data_words(key, kinds - target.data.get(key, set())), True))
        into += [
            Difference(selector_words(_fields(f)), True)
            for f in sorted(source.other - target.other)
        ]
    common = expected.management.keys() & found.management.keys()
    for into, side, other, note in (
        (lost, found, expected, "now excluded"),
        (extra, expected, found, "no longer excluded"),
    ):
        kinds_of: dict[str, set[str]] = {}
        for kind in common:
            for name in side.management[kind] - other.management[kind]:
                kinds_of.setdefault(name, set()).add(kind)
        into += [
            Difference(f"{_kinds_words(kinds)} of {name} ({note})", False)
            for name, kinds in sorted(kinds_of.items())
        ]
    return lost, extra


# --- the two sides ------------------------------------------------------------------------------


def selector_fields(selector: Selector) -> Fields:
    """One selector the module writes, as {field: {operator: values}}."""
    fields: dict[str, dict[str, list[str]]] = {}
    for condition in selector.conditions:
        for op, values in condition.operators:
            fields.setdefault(condition.field, {})[op] = list(values)
    return fields


def expected_selectors(live: Live) -> list[Fields]:
    """What cloudtrail.tf declares: trail.events' selectors, or CloudTrail's default."""
    if live.config.trail.events is None:
        return [DEFAULT]
    return [selector_fields(s) for s in selectors(live.config)]


def _advanced(selector: Mapping[str, Any]) -> Fields:
    fields: dict[str, dict[str, list[str]]] = {}
    for condition in selector.get("FieldSelectors") or []:
        ops = fields.setdefault(str(condition.get("Field", "")), {})
        for name, op in _OPERATORS.items():
            if condition.get(name):
                ops[op] = [str(v) for v in condition[name]]
    return fields


def _basic(selector: Mapping[str, Any]) -> list[Fields]:
    """A basic event selector as the advanced selectors that record the same."""
    read_write = _READ_WRITE.get(str(selector.get("ReadWriteType", "All")), "all")
    read_only = (
        {"readOnly": {"equals": ["true" if read_write == "read" else "false"]}}
        if read_write != "all"
        else {}
    )
    found: list[Fields] = []
    if selector.get("IncludeManagementEvents", True):
        management: dict[str, dict[str, list[str]]] = {
            "eventCategory": {"equals": ["Management"]},
            **read_only,
        }
        if sources := selector.get("ExcludeManagementEventSources"):
            management["eventSource"] = {"not_equals": list(sources)}
        found.append(management)
    by_type: dict[str, list[str]] = {}
    for resource in selector.get("DataResources") or []:
        by_type.setdefault(str(resource.get("Type")), []).extend(resource.get("Values") or [])
    for kind_type, values in by_type.items():
        data: dict[str, dict[str, list[str]]] = {
            "eventCategory": {"equals": ["Data"]},
            "resources.type": {"equals": [kind_type]},
            **read_only,
        }
        if not any(_WHOLE_SERVICE.fullmatch(v) for v in values):
            # S3 values are ARN prefixes; a Lambda function's (or a table's) ARN is exact
            op = "starts_with" if kind_type in S3_OBJECT_TYPES else "equals"
            data["resources.ARN"] = {op: values}
        found.append(data)
    return found


def live_selectors(answer: Mapping[str, Any], has_custom: object) -> list[Fields]:
    """GetEventSelectors' answer as advanced selectors: AWS returns one kind or the other.

    An answer with neither is CloudTrail's default when GetTrail says the trail has no custom
    selectors (AWS itself answers with the default basic selector; moto answers with none),
    and records nothing otherwise (an emptied selector list).
    """
    if advanced := answer.get("AdvancedEventSelectors"):
        return [_advanced(s) for s in advanced]
    if basic := answer.get("EventSelectors"):
        return [fields for s in basic for fields in _basic(s)]
    return [] if has_custom else [DEFAULT]


def _insights(found: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(insight type, event category) pairs; no EventCategories means management events."""
    return {
        (str(s.get("InsightType")), str(category))
        for s in found
        for category in s.get("EventCategories") or ["Management"]
    }


def _insight_words(pair: tuple[str, str]) -> str:
    kind, category = pair
    suffix = "" if category == "Management" else f" on {category.lower()} events"
    return f"CloudTrail Insights events ({kind}){suffix}"


# --- the rows -----------------------------------------------------------------------------------


def _selector_fixes(live: Live) -> tuple[str, str]:
    """The fix for something no longer recorded, and for something recorded unasked."""
    if live.config.trail.events is None:
        default = json.dumps([{"ReadWriteType": "All", "IncludeManagementEvents": True}])
        restore = (
            "the module writes no selector (trail.events is omitted): restore CloudTrail's "
            f"default with `aws cloudtrail put-event-selectors --region {live.home} "
            f"--trail-name {live.arns.trail} --event-selectors '{default}'`; if someone "
            "changed them on purpose, write what the trail should record into trail.events "
            "in the config"
        )
    else:
        restore = (
            "run `terraform apply` to restore the selectors the module declares "
            "(cloudtrail.tf); if someone changed them on purpose, change trail.events in the "
            "config"
        )
    billed = (
        "it costs money: CloudTrail bills every data and network activity event a trail "
        f"records. {restore[0].upper()}{restore[1:]}"
    )
    return restore, billed


def _selector_rows(live: Live) -> list[Result]:
    subject = f"{live.config.trail.name} event selectors"
    expected = recorded(expected_selectors(live))
    found = recorded(
        live_selectors(live.event_selectors, (live.trail or {}).get("HasCustomEventSelectors"))
    )
    if live.config.trail.events is None:
        default = "CloudTrail's default (trail.events is omitted)"
        ok, wanted, only = default, f"recorded: {default}", f"only {default}"
    else:
        ok, wanted, only = (
            "as trail.events asks",
            "recorded, as trail.events asks",
            "only what trail.events asks for",
        )
    lost, extra = differences(expected, found)
    if not lost and not extra:
        return [Result(CHECK, subject, "ok", ok, "; ".join(describe(found)))]
    restore, billed = _selector_fixes(live)
    rows = [
        Result(CHECK, subject, "fail", wanted, f"no longer recorded: {d.words}", restore)
        for d in lost
    ]
    rows += [
        Result(
            CHECK,
            subject,
            "fail",
            only,
            f"recorded, not asked for: {d.words}",
            billed if d.billed else restore,
        )
        for d in extra
    ]
    return rows


def _insight_rows(live: Live) -> list[Result]:
    subject = f"{live.config.trail.name} Insights"
    events = live.config.trail.events
    expected = {(kind, "Management") for kind in (events.insights if events else [])}
    found = _insights(live.insight_selectors)
    if expected == found:
        words = ", ".join(sorted(_insight_words(p) for p in found)) or "none"
        asks = "as trail.events.insights asks" if events else "none (trail.events is omitted)"
        return [Result(CHECK, subject, "ok", asks, words)]
    wanted = json.dumps([{"InsightType": kind} for kind, _ in sorted(expected)])
    put_back = (
        f"`aws cloudtrail put-insight-selectors --region {live.home} --trail-name "
        f"{live.arns.trail} --insight-selectors '{wanted}'` puts back what the config asks for"
    )
    rows = [
        Result(
            CHECK,
            subject,
            "fail",
            "on, as trail.events.insights asks",
            f"no longer recorded: {_insight_words(pair)}",
            "run `terraform apply` to turn it back on (insight_selector in cloudtrail.tf); if it "
            "was turned off on purpose, remove it from trail.events.insights in the config",
        )
        for pair in sorted(expected - found)
    ]
    rows += [
        Result(
            CHECK,
            subject,
            "fail",
            "only what trail.events.insights asks for",
            f"recorded, not asked for: {_insight_words(pair)}",
            "it costs money: CloudTrail bills Insights per event analysed. "
            + (
                "Run `terraform apply` to turn it off; to keep it, add it to "
                "trail.events.insights in the config"
                if pair[1] == "Management"
                else f"The module cannot declare Insights on {pair[1].lower()} events: {put_back}"
            ),
        )
        for pair in sorted(found - expected)
    ]
    return rows


def check_trail_events(live: Live) -> list[Result]:
    """The trail records what trail.events asks for: its event selectors, then Insights."""
    if live.trail is None:
        return []  # check_trail reports the missing trail
    return _selector_rows(live) + _insight_rows(live)
