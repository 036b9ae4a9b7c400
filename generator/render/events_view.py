"""The trail's event selectors and Insights for cloudtrail.tf (``trail.events``).

Why a view of its own: the selectors are built once, in :func:`generator.config.events.selectors`,
which validation also reads, so what ``validate`` counted and checked is exactly what is written.
"""

from __future__ import annotations

from typing import Any

from generator.config.events import S3_OBJECT_TYPES, object_prefix, own_buckets, selectors
from generator.config.model import Config


def trail_events(config: Config) -> dict[str, Any] | None:
    """The ``advanced_event_selector`` and ``insight_selector`` blocks; None without events."""
    events = config.trail.events
    if events is None:
        return None
    excluded = [object_prefix(config, bucket) for bucket in own_buckets(config)]
    return {
        "selectors": [
            {
                "name": selector.name,
                "fields": [
                    {"field": c.field, "operators": [(op, list(v)) for op, v in c.operators]}
                    for c in selector.conditions
                ],
            }
            for selector in selectors(config)
        ],
        "insights": list(events.insights),
        "excludes_own_buckets": any(d.resource_type in S3_OBJECT_TYPES for d in events.data),
        "own_bucket_prefixes": excluded,
    }
