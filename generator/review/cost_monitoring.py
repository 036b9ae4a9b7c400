"""The CloudWatch lines of an estimate: the trail's log group, its metric filters and alarms.

Why apart from :mod:`cost_lines`: whose log group the filters are on changes what this module
pays. On its own group (``cloudwatch_logs``) every event the trail records is ingested and
stored, on this module's bill. Beside an owner's trail (``owner_trail``) the filters and alarms
are this module's, on the owner's group, which the owner's trail feeds whatever this module
does: its ingestion and storage are the owner's bill, said so, and not priced here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.review.cost_inputs import DAYS_PER_MONTH, number

if TYPE_CHECKING:
    from generator.review.cost_lines import Builder


def cloudwatch(builder: Builder) -> None:
    """Ingestion and storage of every recorded event (own group), metric filters, alarms."""
    facts = builder.facts
    if facts.log_group:
        _log_group(builder)
        where = "on the trail's log group"
    elif facts.watched_group is not None:
        whose = f"{builder.inputs.owner}'s" if builder.inputs.owner else "the owner's trail's"
        where = f"on {facts.watched_group} ({whose} log group, fed by its trail)"
        builder.not_priced.append(
            f"CloudWatch Logs ingestion and storage of {facts.watched_group}: {whose} log group, "
            "which that trail feeds whatever this module does: on its owner's bill, not this "
            "module's (the metric filters and alarms this module puts on it are priced)"
        )
    else:
        return
    if facts.filters:
        builder.add(
            "CloudWatch",
            "metric filters (custom metrics)",
            facts.filters,
            "metrics",
            "cloudwatch.metrics.custom",
            f"{facts.filters} metric filters {where}, one metric each; an upper bound: a "
            "metric is billed only for the hours it has a data point",
        )
    standard = sum(1 for a in facts.alarms if not a.high_resolution)
    high = len(facts.alarms) - standard
    if standard:
        builder.add(
            "CloudWatch",
            "alarms",
            standard,
            "alarms",
            "cloudwatch.alarms.standard",
            f"{standard} aws_cloudwatch_metric_alarm (period of 60 s or more)",
        )
    if high:
        builder.add(
            "CloudWatch",
            "high-resolution alarms",
            high,
            "alarms",
            "cloudwatch.alarms.high_resolution",
            f"{high} aws_cloudwatch_metric_alarm with a period under 60 s",
        )


def _log_group(builder: Builder) -> None:
    """This module's group: every event the trail records, ingested and stored."""
    facts, inputs, n = builder.facts, builder.inputs, number
    size = inputs["bytes_per_event"]
    if inputs.measured_ingest_bytes is not None:
        ingested = inputs.measured_ingest_bytes / builder.gb
        basis = f"measured on {inputs.measured_on}: IncomingBytes over 30 days"
    else:
        ingested = builder.events * size / builder.gb
        basis = f"{n(builder.events)} events x {n(size)} bytes (bytes_per_event)"
    infrequent = facts.log_class == "INFREQUENT_ACCESS"
    builder.add(
        "CloudWatch",
        "Logs ingestion" + (" (Infrequent Access)" if infrequent else ""),
        ingested,
        "GB",
        "cloudwatch.logs.ingestion_infrequent_access"
        if infrequent
        else "cloudwatch.logs.ingestion",
        basis,
    )
    days = facts.retention_days or int(inputs["horizon_days"])
    kept = (
        f"retention {days} days"
        if facts.retention_days
        else f"never expires: as it stands after {days} days (horizon_days), growing after"
    )
    fraction = inputs["compressed_fraction"]
    builder.add(
        "CloudWatch",
        "Logs storage",
        ingested * fraction * days / DAYS_PER_MONTH,
        "GB-month",
        "cloudwatch.logs.storage",
        f"{n(round(ingested, 3))} GB a month x {fraction:g} compressed x {days}/30 months "
        f"kept ({kept})",
    )
