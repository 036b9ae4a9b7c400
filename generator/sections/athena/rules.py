"""Athena: a projection proved against the trail's key layout; a workgroup never renamed.

Why: a projection that misses the trail's folders fails silently - Athena answers every query
with zero rows and no error. The MoJ modernisation platform lost every row to one space after
a comma in an enum and to a missing '/' in its template (PR #13907). So OTG082 writes the
object keys the trail would write for several accounts, regions and days (with the trail's own
key prefix, if any), resolves the table's ``storage.location.template`` as Athena would for
each, and demands exactly the key's folder.

And a renamed workgroup cannot be applied at all (OTG083): the provider replaces it (``name``
is ForceNew), and Athena refuses to delete a workgroup that holds query history while
``force_destroy`` is false - which it stays, because that history is the record of who
investigated what. Its default name follows the trail's, so a trail rename is enough.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, nested
from generator.check.preflight import REPORT_BUG, Facts, Finding, rule
from generator.check.preflight.lookups import bucket_name, organization_trails
from generator.sections.athena.model import default_workgroup
from generator.sections.trail.rules import log_file_key

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Java date-format letters of projection.<col>.format that a day folder uses.
_JAVA_DATE = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}
_LOST = "Athena would find no file there and answer every query with zero rows, without an error"


def _parameters(table: Block) -> dict[str, str]:
    raw = table.body.get("parameters")
    result: dict[str, str] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            name, text = literal(key) if key.startswith('"') else key, literal(value)
            if name is not None and text is not None:
                result[name] = text
    return result


def _java_to_strftime(pattern: str) -> str:
    for java, python in _JAVA_DATE.items():
        pattern = pattern.replace(java, python)
    return pattern


def sample_keys(
    prefix: str | None, org_id: str, accounts: list[str], regions: list[str], days: list[str]
) -> list[tuple[str, str, str, str]]:
    """(object key, account, region, day) for log files the trail writes (aws-facts.md 2).

    ``days`` are ``YYYY/MM/DD``; each key is the trail section's :func:`log_file_key`.
    """
    return [
        (log_file_key(prefix, org_id, account, region, day), account, region, day)
        for account in accounts
        for region in regions
        for day in days
    ]


def _sample_days(day_range: str) -> list[str]:
    """The range's first day, a day a month later and one over a year later (a leap day too)."""
    start = day_range.split(",", 1)[0].strip()
    try:
        first = datetime.datetime.strptime(start, "%Y/%m/%d").date()
    except ValueError:
        return []
    later = [first + datetime.timedelta(days=n) for n in (0, 31, 400)]
    return [day.strftime("%Y/%m/%d") for day in later]


def _finding(table: Block, problem: str, fix: str) -> Finding:
    return Finding("OTG082", table.file, table.address, problem, fix)


def _enum_problems(table: Block, parameters: dict[str, str]) -> list[Finding]:
    findings = []
    for name, value in sorted(parameters.items()):
        if not (name.startswith("projection.") and name.endswith(".values")):
            continue
        spaced = [item for item in value.split(",") if item != item.strip() or not item]
        if spaced:
            findings.append(
                _finding(
                    table,
                    f"{name} holds {', '.join(repr(item) for item in spaced)}: Athena keeps "
                    "white space as part of an enum value (and an empty value is a folder "
                    f"named ''), so that value's folder does not exist: {_LOST}",
                    f"write {name} as comma-separated values without spaces",
                )
            )
    return findings


def _layout(module: ParsedModule, facts: Facts) -> tuple[str, str | None]:
    """(bucket, key prefix) the organization trail writes to: from its block, else the config."""
    for trail in organization_trails(module):
        bucket = bucket_name(module, trail.body.get("s3_bucket_name"))
        if bucket:
            return bucket, literal(trail.body.get("s3_key_prefix"))
    return facts.arns.bucket_name, facts.arns.key_prefix


def _accounts(parameters: dict[str, str], column: str, facts: Facts) -> list[str]:
    if parameters.get(f"projection.{column}.type") == "enum":
        values = parameters.get(f"projection.{column}.values", "")
        return [item.strip() for item in values.split(",") if item.strip()]
    # injected: a query names the accounts; these are accounts every organization has
    return sorted({facts.arns.management_account_id, facts.bucket_account, "210987654321"})


def _value(parameters: dict[str, str], column: str, wanted: str) -> str | None:
    """The value Athena puts into ``${column}`` for a key's ``wanted`` segment, or None."""
    kind = parameters.get(f"projection.{column}.type")
    if kind == "injected":
        return wanted
    if kind == "enum":
        values = parameters.get(f"projection.{column}.values", "").split(",")
        return wanted if wanted in values else None
    if kind == "date":
        day = datetime.datetime.strptime(wanted, "%Y/%m/%d")
        return day.strftime(_java_to_strftime(parameters.get(f"projection.{column}.format", "")))
    return None


def _check_table(module: ParsedModule, facts: Facts, table: Block) -> list[Finding]:
    parameters = _parameters(table)
    if parameters.get("projection.enabled", "").lower() != "true":
        return []
    findings = _enum_problems(table, parameters)
    template = parameters.get("storage.location.template", "")
    location = next(
        (literal(item.get("location")) or "" for item in nested(table.body, "storage_descriptor")),
        "",
    )
    for name, value in (("storage.location.template", template), ("location", location)):
        if "//" in value.removeprefix("s3://"):
            findings.append(
                _finding(
                    table,
                    f"{name} {value!r} has an empty segment ('//'): S3 keys of the trail never "
                    f"do, so {_LOST}",
                    "remove the doubled '/'",
                )
            )
    if "/CloudTrail/" not in template:
        findings.append(
            _finding(
                table,
                f"storage.location.template {template!r} lacks the trail's '/CloudTrail/' "
                "segment: the trail writes log files under <account>/CloudTrail/<region>/, "
                "beside CloudTrail-Digest/ and CloudTrail-Insight/, so the table reads no log "
                "file, or digests and Insights events that the CloudTrail SerDe cannot read",
                "use .../AWSLogs/<org-id>/${account}/CloudTrail/${region}/${day}",
            )
        )
    if findings:
        return findings
    columns = [literal(key.get("name")) or "" for key in nested(table.body, "partition_keys")]
    used = _VARIABLE.findall(template)
    if sorted(used) != sorted(columns):
        return [
            _finding(
                table,
                f"storage.location.template uses {used} but the partition keys are {columns}: "
                "Athena refuses a query on a column the template lacks, and projects no folder "
                "for a template variable that is not a partition key",
                "use each partition key exactly once in the template",
            )
        ]
    if len(columns) != 3:
        return []  # not the organization layout this rule knows (account, region, day)
    account, region, day = columns
    bucket, prefix = _layout(module, facts)
    regions = list(facts.delivery_regions) or [
        r.strip() for r in parameters.get(f"projection.{region}.values", "").split(",")
    ]
    days = _sample_days(parameters.get(f"projection.{day}.range", ""))
    if not days:
        return [
            _finding(
                table,
                f"projection.{day}.range {parameters.get(f'projection.{day}.range')!r} does "
                "not start with a YYYY/MM/DD date",
                f'projection.{day}.range = "YYYY/MM/DD,NOW"',
            )
        ]
    samples = sample_keys(
        prefix, facts.arns.org_id, _accounts(parameters, account, facts), regions, days
    )
    for key, *segments in samples:
        folder = f"s3://{bucket}/{key.rsplit('/', 1)[0]}"
        values = dict(zip(columns, segments, strict=True))
        resolved: Any = template
        for column, wanted in values.items():
            projected = _value(parameters, column, wanted)
            if projected is None:
                return [
                    _finding(
                        table,
                        f"the projection of {column} has no value for {wanted!r}, where the "
                        f"trail writes {key}: Athena never reads that folder, and queries "
                        "for it answer zero rows",
                        f"add {wanted} to projection.{column}.values",
                    )
                ]
            resolved = resolved.replace(f"${{{column}}}", projected)
        if resolved.rstrip("/") != folder or not folder.startswith(location):
            return [
                _finding(
                    table,
                    f"for the object {key} (account {values[account]}, region "
                    f"{values[region]}, day {values[day]}) the template resolves to {resolved} "
                    f"but the trail writes it in {folder}"
                    + ("" if folder.startswith(location) else f", outside LOCATION {location}")
                    + f": {_LOST}",
                    "storage.location.template = "
                    f"s3://{bucket}/{prefix + '/' if prefix else ''}AWSLogs/"
                    f"{facts.arns.org_id}/${{{account}}}/CloudTrail/${{{region}}}/${{{day}}}",
                )
            ]
    return []


@rule(
    "OTG082",
    "the Athena table's projection resolves to exactly the trail's folders",
    protects=(
        "A partition projection that misses the trail's folders fails silently: Athena "
        "answers every query with zero rows and no error (one space after a comma in an "
        "enum, or a missing '/' in the template, is enough)."
    ),
    satisfy=(
        "Nothing to set: the table's projection is written from the trail's layout "
        "(`trail.s3_key_prefix`, `trail.regions`) and the `athena` section; " + REPORT_BUG
    ),
)
def projection_matches_layout(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Resolve each projected table's template for sample keys of the trail's layout."""
    findings = []
    for table in module.of_type("resource", "aws_glue_catalog_table"):
        findings += _check_table(module, facts, table)
    return findings


def _name(block: Block) -> str:
    value = block.body.get("name")
    return literal(value) or str(value)


def _workgroup_cause(previous: ParsedModule, after: str, facts: Facts) -> str:
    """Which config key renames the workgroup: trail.name (through the default) or its own."""
    trail = facts.arns.trail_name
    if after != default_workgroup(trail):
        return f"athena.workgroup names it {after}"
    cause = "athena.workgroup is not set, so the workgroup is named after trail.name"
    old_trails = [_name(block) for block in organization_trails(previous)]
    if old_trails and old_trails[0] != trail:
        cause += f", which changes from {old_trails[0]} to {trail}"
    return cause


@rule(
    "OTG083",
    "a regeneration does not rename the Athena workgroup",
    protects=(
        "A workgroup's name cannot change in place (`name` is ForceNew in the provider): "
        "Terraform destroys the saved queries, then asks Athena to delete the old workgroup, "
        "which Athena refuses while it holds query history, because `force_destroy = false` "
        "(kept: that history records who investigated what). The apply stops halfway, the "
        "saved queries gone and no workgroup under the new name. The default name, "
        "`<trail name>-investigations`, follows a trail rename."
    ),
    satisfy=(
        "Keep the old name: under `athena:` write `workgroup: <old name>` (the finding prints "
        "the line). `--allow-replace` does not let this through: the apply it would allow "
        "cannot succeed."
    ),
)
def workgroup_kept(module: ParsedModule, facts: Facts) -> list[Finding]:
    """Against the previous output: every workgroup keeps its name, whatever is allowed."""
    previous = facts.previous
    if previous is None:
        return []
    findings = []
    for new in module.of_type("resource", "aws_athena_workgroup"):
        old = previous.get(new.address)
        if old is None or old.body.get("name") == new.body.get("name"):
            continue
        before, after = _name(old), _name(new)
        queries = sum(
            1
            for query in previous.of_type("resource", "aws_athena_named_query")
            if (expression(query.body.get("workgroup")) or "").startswith(f"{old.address}.")
        )
        findings.append(
            Finding(
                "OTG083",
                new.file,
                new.address,
                f"the workgroup's name changes from {before} to {after} (compared with the module "
                f"in the output folder): {_workgroup_cause(previous, after, facts)}. "
                "Terraform can only REPLACE it, and that apply cannot succeed: if this module "
                f"was applied, it destroys the {queries} saved queries, then Athena refuses "
                f"DeleteWorkGroup for {before} while it holds query history (any query of the "
                "last 45 days), because force_destroy = false - kept, as that history records "
                "who investigated what. The apply stops halfway: the saved queries gone, no "
                f"workgroup named {after}. --allow-replace cannot make it succeed",
                f"keep the workgroup: under `athena:` in the config write `workgroup: {before}` "
                f"(athena: {{workgroup: {before}}})",
            )
        )
    return findings
