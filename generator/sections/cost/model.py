"""The cost section: the volumes behind ``orgtrail-gen cost``, each with its stated default.

Why a section of the config: the estimate prices what the module generates, but how many events
an organization produces is not in the module - it is a property of the organization. Every
volume has a default that is named and sourced in the report (``DEFAULTS``), so an estimate is
never silent about where a number came from; the config overrides any of them, and
``measured`` holds what was read from the live organization (CloudWatch's ``IncomingBytes`` of
the log group, the bucket's ``BucketSizeBytes``) with the day it was read.

Why ``management_event_copies_before``: CloudTrail delivers the first copy of each management
event free and bills every further copy (LZA#1170). Which trail is "first" is not in this
module: an organization with Control Tower's trail already pays nothing for its copy and pays
for ours. A layout without our own management-event copy (a companion trail recording data
events only) needs no special case: its trail records no management events, so it has none to
price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

from pydantic import Field, StrictInt, StrictStr

from generator.config.fields import Issue, StrictModel

if TYPE_CHECKING:
    from generator.sections.registry import Config


class Default(NamedTuple):
    """A volume the report uses unless the config says otherwise, and why that value."""

    value: float
    unit: str
    source: str


# Every default volume, by its key under cost.volumes. The report prints the source beside the
# value; "assumption" means no public figure decides it - measure yours and set the key.
DEFAULTS: dict[str, Default] = {
    "management_events": Default(
        150_000,
        "management events per account and region a month",
        "assumption, of the order of the AWS CloudTrail pricing page's example (150,000 "
        "management events in a month); Cost Explorer's <region>-FreeEventsRecorded usage "
        "type counts yours",
    ),
    "write_share": Default(
        0.1,
        "share of management events that are writes",
        "AWS CloudTrail User Guide, Costs for Insights events (30,000 write of 300,000)",
    ),
    "data_events": Default(
        1_000_000,
        "data events per account and region a month, per selector over every resource",
        "assumption (the AWS CloudTrail pricing page's example counts 2M data events in a month "
        "for one account)",
    ),
    "data_events_per_resource": Default(
        500_000,
        "data events a month per ARN prefix a selector lists",
        "assumption",
    ),
    "network_activity_events": Default(
        100_000,
        "network activity events per account and region a month, per selector",
        "assumption",
    ),
    "bytes_per_event": Default(
        1_500,
        "bytes of JSON per event (what CloudWatch Logs ingests)",
        "assumption: a CloudTrail record is typically 1-2 KB",
    ),
    "compressed_fraction": Default(
        0.1,
        "stored size of an event (gzip in S3, compressed in CloudWatch Logs) over its JSON",
        "assumption: CloudTrail's repetitive JSON compresses about tenfold",
    ),
    "log_files": Default(
        8_640,
        "log files per account and region a month",
        "CloudTrail delivers about every 5 minutes (AWS CloudTrail FAQ): 12 an hour x 24 x 30",
    ),
    "digest_files": Default(
        720,
        "digest files per account and region a month (log file validation)",
        "AWS CloudTrail User Guide, digest file structure: one digest an hour",
    ),
    "bucket_key_request_share": Default(
        0.01,
        "share of KMS requests left with an S3 Bucket Key",
        "S3 User Guide, S3 Bucket Keys: up to 99% fewer requests to KMS (the best case)",
    ),
    "alarm_notifications": Default(
        2,
        "notifications per alarm a month",
        "assumption: one ALARM and its OK",
    ),
    "athena_runs": Default(
        4,
        "runs of each saved Athena query a month",
        "assumption: weekly",
    ),
    "horizon_days": Default(
        365,
        "days of logs priced where nothing expires them",
        "assumption: storage as it stands a year after the first delivery, growing after",
    ),
}

Count = Annotated[StrictInt, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


def _about(key: str) -> str:
    default = DEFAULTS[key]
    value = f"{default.value:,}".removesuffix(".0")
    return f"{default.unit[0].upper()}{default.unit[1:]}. Default {value} ({default.source})."


class Volumes(StrictModel):
    """Event volumes and file counts a month; each omitted key takes its stated default."""

    management_events: Count | None = Field(default=None, description=_about("management_events"))
    write_share: Share | None = Field(default=None, description=_about("write_share"))
    data_events: Count | None = Field(default=None, description=_about("data_events"))
    data_events_per_resource: Count | None = Field(
        default=None, description=_about("data_events_per_resource")
    )
    network_activity_events: Count | None = Field(
        default=None, description=_about("network_activity_events")
    )
    selectors: dict[StrictStr, Count] = Field(
        default_factory=dict,
        description="Events a month recorded by one data or network activity selector, by its "
        "name (trail.events.data[].name, default '<type> data events'): replaces the per-account "
        "estimate for that selector.",
    )
    bytes_per_event: Positive | None = Field(default=None, description=_about("bytes_per_event"))
    compressed_fraction: Share | None = Field(
        default=None, description=_about("compressed_fraction")
    )
    log_files: Count | None = Field(default=None, description=_about("log_files"))
    digest_files: Count | None = Field(default=None, description=_about("digest_files"))
    bucket_key_request_share: Share | None = Field(
        default=None, description=_about("bucket_key_request_share")
    )
    alarm_notifications: Count | None = Field(
        default=None, description=_about("alarm_notifications")
    )
    athena_runs: Count | None = Field(default=None, description=_about("athena_runs"))
    athena_bytes_per_day: Count | None = Field(
        default=None,
        description="Bytes one saved Athena query scans per day of its window. Default: the "
        "compressed logs of one day of the accounts and regions it names.",
    )
    horizon_days: Annotated[StrictInt, Field(ge=1, le=36500)] | None = Field(
        default=None, description=_about("horizon_days")
    )


class Measured(StrictModel):
    """Volumes read from the live organization; each replaces the estimate it measures."""

    on: StrictStr = Field(description="The day they were read (YYYY-MM-DD).")
    log_group_incoming_bytes: Count | None = Field(
        default=None,
        description="CloudWatch metric AWS/Logs IncomingBytes of the trail's log group, Sum "
        "over the last 30 days: replaces events x bytes_per_event for ingestion and storage.",
    )
    bucket_standard_bytes: Count | None = Field(
        default=None,
        description="CloudWatch metric AWS/S3 BucketSizeBytes (StorageType StandardStorage) of "
        "the log bucket: replaces the estimated S3 Standard storage.",
    )


class Cost(StrictModel):
    """Inputs of the cost estimate (`orgtrail-gen cost`): nothing here changes the module."""

    accounts: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=None,
        description="Accounts in the organization whose events the trail records. Default: the "
        "accounts the config names (management, log archive, delegated administrator, "
        "athena.accounts) - set the organization's real number.",
    )
    management_event_copies_before: Count = Field(
        default=0,
        description="Other trails that already record these management events in each account "
        "and region (Control Tower's, a landing zone's): 0, this trail's copy is the first and "
        "free; 1 or more, every management event it records is a paid copy.",
    )
    volumes: Volumes = Field(
        default_factory=Volumes, description="Event volumes; omitted keys take their defaults."
    )
    measured: Measured | None = Field(
        default=None, description="What was measured in the live organization, and when."
    )
    prices: dict[StrictStr, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="USD amounts replacing the packaged us-east-1 list prices, by price key "
        "(e.g. cloudwatch.logs.ingestion): another region's prices, or a negotiated rate.",
    )


def cross_field_issues(config: Config) -> list[Issue]:
    """Price keys must be the price list's: a misspelt key would price nothing it names."""
    import difflib

    from generator.config.prices import price_list

    cost = config.cost
    if cost is None:
        return []
    keys = sorted(price_list().prices)
    issues: list[Issue] = []
    for key in cost.prices:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; keys: {', '.join(keys)}"
            issues.append((("cost", "prices", key), f"no price is called {key!r}{hint}"))
    return issues


def unknown_selectors(config: Config) -> list[str]:
    """A warning per cost.volumes.selectors name the trail does not record.

    Why a warning, not an error: removing a selector from trail.events must not stop the
    module from being generated over an input that changes no resource; the estimate ignores
    the name, and the warning says so.
    """
    from generator.sections.trail.events import selectors

    cost = config.cost
    if cost is None:
        return []
    known = [s.name for s in selectors(config) if s.path[2:3] in (("data",), ("network_activity",))]
    offer = f"; the trail's: {', '.join(known)}" if known else "; the trail has none"
    return [
        f"cost.volumes.selectors names {name!r}, which is no data or network activity selector "
        f"of the trail{offer}: the cost estimate ignores it"
        for name in cost.volumes.selectors
        if name not in known
    ]
