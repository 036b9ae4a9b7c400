"""The lines of a cost estimate, service by service, from a module's facts and the inputs.

Why one builder: the services depend on each other's quantities - every event the trail records
is ingested by CloudWatch Logs and stored in S3, every stored file is a PUT and a KMS request,
the S3 volume bounds what a saved Athena query scans - so one object carries them along, and
each method prices one service in the order a bill lists them.
"""

from __future__ import annotations

from collections import Counter

from generator.review.cost_facts import SMALL_OBJECT_CLASSES, CostModule
from generator.review.cost_inputs import DAYS_PER_MONTH, Inputs, Line
from generator.review.cost_inputs import number as _n
from generator.review.cost_monitoring import cloudwatch

SMALL_OBJECT = 128 * 1024  # S3 moves no smaller object to IA, Glacier IR or Intelligent-Tiering
ARCHIVE_INDEX = 32 * 1024  # per object in GLACIER/DEEP_ARCHIVE, at that class's rate
ARCHIVE_METADATA = 8 * 1024  # per object in GLACIER/DEEP_ARCHIVE, at S3 Standard's rate
ATHENA_MINIMUM = 10 * 1024 * 1024  # bytes billed at least per query
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
_DELIVERY_PRICE = {
    "email": "sns.delivery.email",
    "email-json": "sns.delivery.email",
    "http": "sns.delivery.http",
    "https": "sns.delivery.http",
    "sqs": "sns.delivery.sqs",
    "lambda": "sns.delivery.lambda",
}


class Builder:
    """Collects the lines of one estimate; each method prices one service."""

    def __init__(self, facts: CostModule, inputs: Inputs) -> None:
        self.facts, self.inputs = facts, inputs
        self.lines: list[Line] = []
        self.not_priced: list[str] = []
        self.notes: list[str] = []  # what the module's own settings do to the quantities
        self.gb = inputs.prices.bytes_per_gb
        self.account_regions = inputs.accounts * len(inputs.regions)
        self.ar_words = (
            f"{inputs.accounts} account{'s' if inputs.accounts != 1 else ''} x "
            f"{len(inputs.regions)} region{'s' if len(inputs.regions) != 1 else ''}"
        )
        self.events = 0.0  # every event the trail records a month
        self.data_events = 0.0
        self.writes = 0.0  # management events that are writes (what ApiCallRateInsight reads)
        self.files = 0.0  # log and digest files a month: S3 PUTs, KMS requests, transitions
        self.object_size = 0.0  # bytes of an average log file
        self.daily = 0.0  # compressed bytes written a day, every account and region
        self.skipped: list[str] = []  # transitions S3 will not make for files this small
        self.transitions: list[str] = []  # storage classes every file moves to

    def add(
        self, service: str, item: str, quantity: float, unit: str, key: str, basis: str
    ) -> None:
        """One line, priced at ``key`` of the inputs' price list."""
        self.lines.append(
            Line(service, item, quantity, unit, self.inputs.prices.prices[key], basis)
        )

    def cloudtrail(self) -> None:
        """Management events (free or a paid copy), each selector's events, Insights."""
        facts, inputs = self.facts, self.inputs
        per = inputs["management_events"]
        write = inputs["write_share"]
        share = {"all": 1.0, "write": write, "read": 1 - write, "none": 0.0}[facts.management]
        management = self.account_regions * per * share
        if facts.management in ("all", "write"):
            self.writes = self.account_regions * per * write
        if management:
            which = "" if facts.management == "all" else f" x {share:g} ({facts.management} only)"
            excluded = (
                f"; {', '.join(facts.excluded_sources)} excluded, not subtracted"
                if facts.excluded_sources
                else ""
            )
            first = inputs.copies_before == 0
            copy = (
                "the first copy, free (cost.management_event_copies_before: 0)"
                if first
                else f"copy {inputs.copies_before + 1}: {inputs.copies_before} other trail(s) "
                "record them first (cost.management_event_copies_before), so every one is paid"
            )
            self.add(
                "CloudTrail",
                "management events" + (" (first copy)" if first else " (paid copy)"),
                management,
                "events",
                "cloudtrail.management_events.first_copy"
                if first
                else "cloudtrail.management_events.copy",
                f"{self.ar_words} x {_n(per)} management events{which}{excluded}; {copy}",
            )
        self.events += management
        if inputs.owner is not None and facts.management == "none":
            own = "this module's trail records none" if facts.trail else "this module has no trail"
            self.notes.append(
                f"management events: {own}; {inputs.owner}'s trail records them, on its owner's "
                "bill, so this module pays for no copy of them"
            )
        for selector in facts.selectors:
            count, basis = self._selector_volume(
                selector.name, selector.category, selector.prefixes
            )
            if selector.category == "Data":
                key, item = "cloudtrail.data_events", f"data events: {selector.name}"
                self.data_events += count
            else:
                key, item = (
                    "cloudtrail.network_activity_events",
                    f"network activity: {selector.name}",
                )
            self.add("CloudTrail", item, count, "events", key, basis)
            self.events += count
        self._insights(management)

    def _selector_volume(
        self, name: str, category: str, prefixes: tuple[str, ...]
    ) -> tuple[float, str]:
        inputs = self.inputs
        if name in inputs.selector_events:
            return inputs.selector_events[name], f"cost.volumes.selectors[{name!r}] in the config"
        if category == "Data" and prefixes:
            per = inputs["data_events_per_resource"]
            return len(prefixes) * per, (
                f"{len(prefixes)} ARN prefix{'es' if len(prefixes) != 1 else ''} x {_n(per)} "
                "data events (data_events_per_resource)"
            )
        key = "data_events" if category == "Data" else "network_activity_events"
        per = inputs[key]
        return self.account_regions * per, f"{self.ar_words} x {_n(per)} ({key})"

    def _insights(self, management: float) -> None:
        facts = self.facts
        types = set(facts.insights)
        if not types:
            return
        if "Management" in facts.insight_categories and management:
            rate = self.writes if "ApiCallRateInsight" in types else 0
            errors = management if "ApiErrorRateInsight" in types else 0
            parts = [f"ApiCallRateInsight analyses the {_n(rate)} writes"] if rate else []
            parts += [f"ApiErrorRateInsight all {_n(errors)} recorded"] if errors else []
            self.add(
                "CloudTrail",
                "Insights on management events",
                rate + errors,
                "events analysed",
                "cloudtrail.insights.management",
                "; ".join(parts) + " (each Insights type analyses its events: CloudTrail User "
                "Guide, Costs for Insights events)",
            )
        if "Data" in facts.insight_categories and self.data_events:
            self.add(
                "CloudTrail",
                "Insights on data events",
                self.data_events * len(types),
                "events analysed",
                "cloudtrail.insights.data",
                f"{len(types)} Insights type(s) x {_n(self.data_events)} data events: billed "
                "separately from management Insights (usage type DataInsightsEvents)",
            )

    def cloudwatch(self) -> None:
        """The trail's log group (this module's, or the owner's), metric filters, alarms."""
        cloudwatch(self)

    def _stages(self) -> list[tuple[str, int, int, str]]:
        """(storage class, first day, end day, why) of each stage a log file goes through.

        Then its noncurrent version after expiration, while versioning keeps it. A transition S3
        will not make for a file this small is skipped: the file stays where it is.
        """
        facts, inputs = self.facts, self.inputs
        horizon = int(inputs["horizon_days"])
        life = facts.lifecycle if facts.bucket_managed else None
        end = life.expiration_days if life and life.expiration_days else horizon
        small = self.object_size < SMALL_OBJECT
        stages: list[tuple[str, int, int, str]] = []
        current, start = "STANDARD", 0
        archives_small = life is not None and life.small_objects_archived
        for days, storage_class in life.transitions if life else ():
            if days >= end:
                continue
            archived = storage_class in ARCHIVE_CLASSES
            if small and (
                storage_class in SMALL_OBJECT_CLASSES or (archived and not archives_small)
            ):
                self.skipped.append(storage_class)
                continue
            stages.append((current, start, days, f"days {start}-{days}"))
            current, start = storage_class, days
            self.transitions.append(storage_class)
        kept = (
            f"days {start}-{end}, expired then"
            if life and life.expiration_days
            else f"days {start}-{end}: nothing expires them, priced after {horizon} days "
            "(horizon_days)"
        )
        stages.append((current, start, end, kept))
        if life and life.expiration_days and facts.versioning:
            if life.noncurrent_days:
                stages.append(
                    (
                        current,
                        end,
                        end + life.noncurrent_days,
                        f"noncurrent versions left by expiration, {life.noncurrent_days} days",
                    )
                )
            else:
                self.not_priced.append(
                    "noncurrent versions after expiration: versioning keeps them and no "
                    "noncurrent_version_expiration deletes them, so they grow for ever"
                )
        return stages

    def s3(self) -> None:
        """Storage by lifecycle stage, the archive classes' per-object overhead, requests."""
        inputs = self.inputs
        if not self.facts.trail:
            return  # beside an owner's trail, without a trail of this module: nothing delivered
        size, fraction = inputs["bytes_per_event"], inputs["compressed_fraction"]
        stored = self.events * size * fraction  # bytes written a month
        logs = self.account_regions * inputs["log_files"]
        digests = self.account_regions * inputs["digest_files"] if self.facts.validation else 0
        self.files = logs + digests
        self.object_size = stored / logs if logs else 0.0
        self.daily = stored / DAYS_PER_MONTH
        monthly_gb = stored / self.gb
        written = (
            f"{_n(self.events)} events x {_n(size)} bytes x {fraction:g} compressed = "
            f"{_n(round(monthly_gb, 3))} GB a month"
        )
        counts: Counter[str] = Counter()
        for storage_class, start, end, why in self._stages():
            months = (end - start) / DAYS_PER_MONTH
            if months <= 0:
                continue
            gb, basis = monthly_gb * months, f"{written} x {end - start}/30 months ({why})"
            stage = (
                f"{storage_class}, noncurrent" if why.startswith("noncurrent") else storage_class
            )
            first = storage_class == "STANDARD" and counts["STANDARD"] == 0
            if first and inputs.measured_standard_bytes is not None:
                gb = inputs.measured_standard_bytes / self.gb
                basis = f"measured on {inputs.measured_on}: BucketSizeBytes, StandardStorage"
            counts[storage_class] += 1
            self.add(
                "S3", f"storage, {stage}", gb, "GB-month", f"s3.storage.{storage_class}", basis
            )
            objects = self.files * months
            if storage_class in ARCHIVE_CLASSES:
                self.add(
                    "S3",
                    f"{stage}: index per object",
                    objects * ARCHIVE_INDEX / self.gb,
                    "GB-month",
                    f"s3.storage.{storage_class}",
                    f"{_n(round(objects))} objects x 32 KB each, at {storage_class}'s rate",
                )
                self.add(
                    "S3",
                    f"{stage}: metadata per object, in Standard",
                    objects * ARCHIVE_METADATA / self.gb,
                    "GB-month",
                    "s3.storage.STANDARD",
                    f"{_n(round(objects))} objects x 8 KB each, at S3 Standard's rate",
                )
            if storage_class == "INTELLIGENT_TIERING":
                self.add(
                    "S3",
                    "Intelligent-Tiering monitoring",
                    objects,
                    "objects",
                    "s3.monitoring.INTELLIGENT_TIERING",
                    f"{_n(round(objects))} objects of 128 KB or more",
                )
        files = f"{self.ar_words} x ({_n(inputs['log_files'])} log files" + (
            f" + {_n(inputs['digest_files'])} digest files)" if digests else ")"
        )
        self.add(
            "S3",
            "PUT requests (CloudTrail's deliveries)",
            self.files,
            "requests",
            "s3.requests.put",
            files,
        )
        for storage_class in self.transitions:
            self.add(
                "S3",
                f"lifecycle transitions to {storage_class}",
                self.files,
                "requests",
                f"s3.transition.{storage_class}",
                "every log and digest file moves once; a month's files each month",
            )
        if self.skipped:
            self.notes.append(
                f"no transition to {', '.join(dict.fromkeys(self.skipped))}: a log file averages "
                f"{_n(round(self.object_size / 1024, 1))} KB ({_n(round(stored))} bytes / "
                f"{_n(logs)} files), and S3 moves no object under 128 KB there - they stay in "
                "the class before (the lifecycle rule's comment says so too)"
            )
        if not self.facts.bucket_managed:
            whose = f"{inputs.owner}'s" if inputs.owner else "the existing"
            self.notes.append(
                f"{whose} bucket's lifecycle: it is not in the module, so its logs are priced "
                f"as S3 Standard for {int(inputs['horizon_days'])} days"
            )

    def kms(self) -> None:
        """The module's keys, and a data key per delivered file (fewer with a Bucket Key)."""
        facts, inputs = self.facts, self.inputs
        if facts.keys:
            rotation = (
                f"; {facts.rotating_keys} rotate yearly: each then costs $2 in its second year "
                "and $3 from its third (only the first two rotations are charged, April 2024)"
                if facts.rotating_keys
                else ""
            )
            self.add(
                "KMS",
                "customer managed keys",
                len(facts.keys),
                "keys",
                "kms.key",
                f"{', '.join(facts.keys)}: the first year{rotation}",
            )
        if not facts.encrypted:
            return
        share = inputs["bucket_key_request_share"] if facts.bucket_key else 1.0
        without = self.files * inputs.prices.prices["kms.requests"].each
        basis = f"one data key per log and digest file ({_n(self.files)} files)"
        if facts.bucket_key:
            basis += (
                f" x {share:g} with the bucket's S3 Bucket Key (bucket_key_request_share); "
                f"without it: ${without:,.2f}"
            )
        else:
            basis += "; no S3 Bucket Key on the bucket in this module"
        self.add(
            "KMS",
            "requests (CloudTrail's log and digest files)",
            self.files * share,
            "requests",
            "kms.requests",
            basis,
        )

    def sns(self) -> None:
        """The alarms' notifications: publishes, and deliveries by subscription protocol."""
        facts, inputs = self.facts, self.inputs
        notifying = [a for a in facts.alarms if a.notifies]
        if not facts.topics or not notifying:
            return
        per = inputs["alarm_notifications"]
        published = len(notifying) * per
        self.add(
            "SNS",
            "publishes (alarm notifications)",
            published,
            "publishes",
            "sns.publish",
            f"{len(notifying)} alarms with actions x {_n(per)} notifications (alarm_notifications)",
        )
        for protocol, count in sorted(Counter(facts.subscriptions).items()):
            key = _DELIVERY_PRICE.get(protocol)
            if key is None:
                self.not_priced.append(f"SNS deliveries to {protocol} subscriptions")
                continue
            self.add(
                "SNS",
                f"deliveries, {protocol}",
                published * count,
                "deliveries",
                key,
                f"{_n(published)} publishes x {count} {protocol} subscription(s)",
            )

    def athena(self) -> None:
        """Each saved query's runs x the bytes its bounds read (10 MB minimum, the cutoff)."""
        facts, inputs = self.facts, self.inputs
        runs = inputs["athena_runs"]
        per_ar_day = self.daily / self.account_regions if self.account_regions else 0.0
        whose = ""
        if inputs.owner is not None and facts.management == "none":
            # the table reads the owner's prefix: its trail's management events are there too
            per_ar_day += (inputs["management_events"] * inputs["bytes_per_event"]
                           * inputs["compressed_fraction"] / DAYS_PER_MONTH)  # fmt: skip
            whose = (f" (with {inputs.owner}'s management events under the same prefix: "
                     "management_events, read and write)")  # fmt: skip
        tb = inputs.prices.bytes_per_tb
        for query in facts.queries:
            days = query.days or int(inputs["horizon_days"])
            if "athena_bytes_per_day" in inputs.volumes:
                scanned = inputs["athena_bytes_per_day"] * days
                basis = f"{days} days x {_n(inputs['athena_bytes_per_day'])} bytes a day"
            else:
                accounts = min(query.accounts or inputs.accounts, inputs.accounts)
                regions = [r for r in inputs.regions if query.regions is None or r in query.regions]
                scanned = accounts * len(regions) * days * per_ar_day
                basis = (
                    f"{accounts} account(s) x {len(regions)} region(s) x {days} days x "
                    f"{_n(round(per_ar_day))} compressed bytes per account, region and day" + whose
                )
            billed = max(scanned, ATHENA_MINIMUM)
            if facts.query_cutoff is not None and billed > facts.query_cutoff:
                billed, basis = facts.query_cutoff, basis + "; stopped at the workgroup's cutoff"
            elif billed > scanned:
                basis += "; the 10 MB minimum per query"
            self.add(
                "Athena",
                f"saved query {query.name}",
                runs * billed / tb,
                "TB scanned",
                "athena.scanned",
                f"{_n(runs)} runs (athena_runs) x {basis}",
            )
