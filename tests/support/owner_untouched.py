"""Control Tower's trail, bucket, key and log group, read before and after the module is applied.

Run in configs/control-tower.yaml's real-Terraform run (support/terraform_suite.py: PRELUDES
before ``init``, FOLLOWUPS after the apply and the empty second plan), against the same moto
server, which generator/rehearse/seed_owner.py seeded as Control Tower makes them. Each side
reads the owner's objects as AWS answers for them (:func:`owner_snapshot`), so
tests/end_to_end/test_control_tower_real.py can require that nothing of Control Tower's changed.
Before the plan, ``orgtrail-gen discover`` also runs against the seeded server, as a user runs
it (its own process, the management account's keys, AWS_ENDPOINT_URL): the config it writes
must name what was seeded.
Left out of the snapshot, because they change without anyone touching the object: the log
group's metric filter count (this module adds its filters there, by design) and stored bytes,
and the trail's latest delivery times (moto moves them on every read of a logging trail).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from generator.rehearse.adapt import ProviderSchema
from generator.rehearse.seed import account_client
from generator.rehearse.tools import Tools
from generator.sections.registry import Config, load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "control-tower.yaml"
# Read answers' fields that move on their own (module docstring).
MOVING = {
    "log_group": ("metricFilterCount", "storedBytes"),
    "trail_status": ("LatestDeliveryTime", "LatestDeliveryAttemptTime"),
}


@dataclass(frozen=True)
class Before:
    """The owner's objects on the seeded emulator, before the module's first plan."""

    snapshot: dict[str, Any]
    discovered: str  # the config `orgtrail-gen discover` wrote ("" when it failed)
    discover_output: str  # its exit code, standard output and error


@dataclass(frozen=True)
class After:
    """The owner's objects after the apply and the second plan, and what sits on its group."""

    snapshot: dict[str, Any]
    metric_filters: list[dict[str, Any]]  # on the owner's log group, as DescribeMetricFilters
    query_log_groups: dict[str, list[str]]  # each saved query's log groups, by its name


def _client(environment: Mapping[str, str], endpoint: str, service: str, region: str) -> Any:
    """A client with Terraform's own credentials (the management account's IAM user)."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def _answer(response: Mapping[str, Any], *moving: str) -> dict[str, Any]:
    return {
        name: value
        for name, value in response.items()
        if name != "ResponseMetadata" and name not in moving
    }


def owner_snapshot(config: Config, environment: Mapping[str, str], endpoint: str) -> dict[str, Any]:
    """The owner's trail, bucket, key and log group, as the emulator answers for them now."""
    owner = config.owner_trail
    assert owner is not None and owner.log_group_name is not None
    home = config.trail.home_region
    cloudtrail = _client(environment, endpoint, "cloudtrail", home)
    trails = cloudtrail.describe_trails(trailNameList=[owner.arn])["trailList"]
    snapshot: dict[str, Any] = {
        "trail": trails,
        "event_selectors": _answer(cloudtrail.get_event_selectors(TrailName=owner.arn)),
        "trail_status": _answer(
            cloudtrail.get_trail_status(Name=owner.arn), *MOVING["trail_status"]
        ),
    }

    bucket = config.bucket.name
    account = config.log_archive.account_id if config.log_archive else None
    s3 = account_client(endpoint, "s3", account or config.organization.management_account_id, home)
    snapshot["bucket"] = {
        "policy": json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]),
        "versioning": _answer(s3.get_bucket_versioning(Bucket=bucket)),
        "encryption": _answer(s3.get_bucket_encryption(Bucket=bucket)),
        "public_access_block": _answer(s3.get_public_access_block(Bucket=bucket)),
        "lifecycle": _answer(s3.get_bucket_lifecycle_configuration(Bucket=bucket)),
    }

    key_arn = config.kms.key_arn
    if key_arn is not None:
        kms = _client(environment, endpoint, "kms", key_arn.split(":")[3])
        snapshot["key"] = {
            "metadata": kms.describe_key(KeyId=key_arn)["KeyMetadata"],
            "policy": json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]),
            "aliases": kms.list_aliases(KeyId=key_arn)["Aliases"],
            "grants": kms.list_grants(KeyId=key_arn)["Grants"],
            "rotation": kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"],
        }

    assert owner.log_group_arn is not None
    logs = _client(environment, endpoint, "logs", owner.log_group_arn.split(":")[3])
    groups = logs.describe_log_groups(logGroupNamePrefix=owner.log_group_name)["logGroups"]
    snapshot["log_group"] = [
        _answer(group, *MOVING["log_group"])
        for group in groups
        if group["logGroupName"] == owner.log_group_name
    ]
    return snapshot


def discover(environment: Mapping[str, str], environ: Mapping[str, str]) -> tuple[str, str]:
    """``orgtrail-gen discover -o`` against the emulator: (the config written, what it said)."""
    env = {name: value for name, value in environ.items() if not name.startswith("AWS_")}
    with tempfile.TemporaryDirectory(prefix="orgtrail-discover-") as folder:
        target = Path(folder) / "discovered.yaml"
        done = subprocess.run(
            [sys.executable, "-m", "generator", "discover", "-o", str(target)],
            cwd=folder,  # a generator/ folder where the suite runs must not shadow the package
            env={**env, **environment},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        written = target.read_text(encoding="utf-8") if target.is_file() else ""
    said = f"exit {done.returncode}\n{done.stdout}{done.stderr}"
    return (written if done.returncode == 0 else ""), said


def before(environment: Mapping[str, str], endpoint: str, environ: Mapping[str, str]) -> Before:
    """The prelude: the owner's objects as seeded, and discover's config, before Terraform."""
    snapshot = owner_snapshot(load_config(CONFIG), environment, endpoint)
    return Before(snapshot, *discover(environment, environ))


def run(
    tools: Tools,
    schema: ProviderSchema | None,
    workdir: Path,
    environment: Mapping[str, str],
    endpoint: str,
    environ: Mapping[str, str],
) -> After:
    """The follow-up: the owner's objects after the apply and the second plan."""
    config = load_config(CONFIG)
    owner = config.owner_trail
    assert owner is not None and owner.log_group_arn is not None
    region = owner.log_group_arn.split(":")[3]
    logs = _client(environment, endpoint, "logs", region)
    filters = logs.describe_metric_filters(logGroupName=owner.log_group_name)["metricFilters"]
    queries = logs.describe_query_definitions()["queryDefinitions"]
    return After(
        owner_snapshot(config, environment, endpoint),
        filters,
        {query["name"]: list(query["logGroupNames"]) for query in queries},
    )


# --- judging the first plan --------------------------------------------------------------------

# Resource types that may name the owner's objects, which of them, and why that manages none of
# them: each only uses or reads an owner's object from an object of its own.
USES: dict[str, tuple[frozenset[str], str]] = {
    "aws_cloudwatch_log_metric_filter": (
        frozenset({"log_group"}),
        "a CIS metric filter put on the owner's log group",
    ),
    "aws_cloudwatch_query_definition": (
        frozenset({"log_group"}),
        "a saved Logs Insights query over the owner's log group",
    ),
    "aws_cloudtrail": (
        frozenset({"bucket", "key"}),
        "this module's own data-event trail, delivering into the owner's bucket with its key",
    ),
    "aws_glue_catalog_table": (frozenset({"bucket"}), "Athena's table over the owner's bucket"),
    "aws_iam_policy": (
        frozenset({"bucket", "key"}),
        "the log readers' identity policy: read the owner's bucket, decrypt with its key",
    ),
}


def owner_names(config: Config) -> dict[str, tuple[str, ...]]:
    """How a plan can name each of the owner's objects: its names and ARNs."""
    owner = config.owner_trail
    assert owner is not None and owner.log_group_name is not None
    names = {
        "trail": (owner.arn, owner.trail_name),
        "bucket": (config.bucket.name,),
        "log_group": (owner.log_group_name,),
    }
    if config.kms.key_arn is not None:
        names["key"] = (config.kms.key_arn, config.kms.key_arn.rsplit("/", 1)[1])
    return names


def owner_touches(plan: Mapping[str, Any], config: Config) -> list[str]:
    """Each resource change of a first plan that could touch an owner's object, in words.

    A change is refused when it is anything but a creation (an import, an update, a deletion:
    the owner's objects are never in this module's state), when its address or planned values
    name an owner's object and its type is not one of :data:`USES` (or names one USES does not
    allow it), when a trail of this module takes the owner's trail's name, and when a metric
    filter sits on a log group of another name than the owner's.
    """
    owner = config.owner_trail
    assert owner is not None
    names = owner_names(config)
    refused = []
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        address, kind = change["address"], change["type"]
        actions = change["change"]["actions"]
        if actions != ["create"] or change["change"].get("importing") is not None:
            refused.append(f"{address}: {'/'.join(actions)}, not a creation")
        after = change["change"].get("after") or {}
        text = f"{address} {json.dumps(after)}"
        named = {what for what, spellings in names.items() if any(s in text for s in spellings)}
        allowed, _ = USES.get(kind, (frozenset(), ""))
        if named - allowed:
            refused.append(f"{address} names the owner's {', '.join(sorted(named - allowed))}")
        if kind == "aws_cloudtrail" and after.get("name") in names["trail"]:
            refused.append(f"{address} is the owner's trail {after.get('name')}")
        group = after.get("log_group_name")
        if kind == "aws_cloudwatch_log_metric_filter" and group != owner.log_group_name:
            refused.append(f"{address} is on {group}, not on the owner's log group")
    return refused
