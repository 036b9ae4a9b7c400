"""What a trail records before and after a change: its event selectors, in words.

Why: a change of ``trail.events`` is one argument, ``advanced_event_selector``, in the resource
list, and the HCL diff is a wall of ``field_selector`` blocks. The reviewer's question is what
the trail records now that it did not, and what it stops recording - the management events
(read, write, the excluded sources), the data events per resource type and of which buckets or
ARNs, the network activity per event source, Insights. Both modules are read back from their
HCL (the previous module's config is not known here) with the same look-up the preflight rules
use, and worded by the trail section's own vocabulary (``sections.trail.events``), so the
warnings at generate time and the summary never describe one selector two ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.check.hcl_parse import Block, ParsedModule, literal, nested
from generator.check.preflight.lookups import field_selectors
from generator.sections.trail.events import (
    KINDS,
    Fields,
    excluded_sources,
    management_words,
    read_write_of,
    selector_words,
)

_TRAIL = "aws_cloudtrail"
# No selector at all is CloudTrail's default: every management event, read and write.
_DEFAULT: list[Fields] = [{"eventCategory": {"equals": ["Management"]}}]


@dataclass(frozen=True)
class EventChange:
    """What one trail records from the apply on that it did not, and what it stops recording."""

    address: str
    recorded: tuple[str, ...]
    no_longer_recorded: tuple[str, ...]


def _selectors(trail: Block | None) -> list[Fields] | None:
    """The trail's advanced selectors; [] without a trail; None for basic ones (not read)."""
    if trail is None:
        return []
    if nested(trail.body, "event_selector"):
        return None
    found: list[Fields] = [
        field_selectors(s) for s in nested(trail.body, "advanced_event_selector")
    ]
    return found or _DEFAULT


def _is_management(fields: Fields) -> bool:
    return list(fields.get("eventCategory", {}).get("equals", ())) == ["Management"]


def _management(selectors: list[Fields]) -> tuple[set[str], set[str]]:
    """The calls recorded ("read", "write") and the sources excluded from all of them."""
    kinds: set[str] = set()
    excluded: set[str] | None = None
    for fields in filter(_is_management, selectors):
        kinds |= set(KINDS[read_write_of(fields)])
        sources = set(excluded_sources(fields))
        excluded = sources if excluded is None else excluded & sources
    return kinds, excluded or set()


def _kinds_words(kinds: set[str]) -> str:
    return management_words("all" if kinds >= {"read", "write"} else next(iter(kinds)))


def _except(sources: set[str]) -> str:
    return f" except those of {', '.join(sorted(sources))}" if sources else ""


def _management_delta(old: list[Fields], new: list[Fields]) -> tuple[list[str], list[str]]:
    """Management events gained and lost: by read/write, then by excluded source."""
    (old_kinds, old_excluded), (new_kinds, new_excluded) = _management(old), _management(new)
    recorded: list[str] = []
    lost: list[str] = []
    if new_kinds - old_kinds:
        recorded.append(_kinds_words(new_kinds - old_kinds) + _except(new_excluded))
    if old_kinds - new_kinds:
        lost.append(_kinds_words(old_kinds - new_kinds) + _except(old_excluded))
    kept = old_kinds & new_kinds
    if kept:
        words = _kinds_words(kept)
        recorded += [
            f"{words} of {s} (no longer excluded)" for s in sorted(old_excluded - new_excluded)
        ]
        lost += [f"{words} of {s} (now excluded)" for s in sorted(new_excluded - old_excluded)]
    return recorded, lost


def _others(selectors: list[Fields]) -> list[str]:
    """Data and network activity selectors in words, in the module's order, without repeats."""
    words = [selector_words(f) for f in selectors if not _is_management(f)]
    return list(dict.fromkeys(words))


def _insights(trail: Block | None) -> list[str]:
    types = (
        [literal(i.get("insight_type")) for i in nested(trail.body, "insight_selector")]
        if trail
        else []
    )
    return [f"CloudTrail Insights events ({t})" for t in types if t]


def _change(address: str, old_trail: Block | None, new_trail: Block | None) -> EventChange | None:
    old, new = _selectors(old_trail), _selectors(new_trail)
    if old is None or new is None:
        return None  # basic event selectors: this module never writes them
    recorded, lost = _management_delta(old, new)
    before = _others(old) + _insights(old_trail)
    after = _others(new) + _insights(new_trail)
    recorded += [w for w in after if w not in before]
    lost += [w for w in before if w not in after]
    if not recorded and not lost:
        return None
    return EventChange(address, tuple(recorded), tuple(lost))


def event_changes(old: ParsedModule, new: ParsedModule) -> list[EventChange]:
    """Per trail of either module (by address), what it records that it did not, and the reverse.

    A trail that is new records everything it records; a trail that goes, nothing.
    """
    addresses = {b.address for m in (old, new) for b in m.of_type("resource", _TRAIL)}
    found = [_change(a, old.get(a), new.get(a)) for a in sorted(addresses)]
    return [change for change in found if change is not None]
