"""Regenerate generator/rehearse/aws-provider-schema-subset.json from the full provider schema.

The full schema (../shared/provider-schema/aws-6.66.0.json, 1.9 MB, 2,416 types) lives outside
the repository, so the product carries only the types an organization-trail module can use: as
package data beside ``generator/rehearse/adapt.py``, which reads it to tell what an older provider
lacks from a misspelt name (``orgtrail-gen rehearse``); the tests check every argument against it.

Regenerate (from the repository root):

    python tests/support/regen_provider_schema_subset.py [path-to-full-schema]

The path defaults to ../shared/provider-schema/aws-6.66.0.json. To admit a new resource type
into generated modules, add it to TYPES below and rerun; commit the script and the JSON
together. The script uses only the standard library, so any Python 3.11 can run it.
"""

import json
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = REPO_ROOT / ".." / "shared" / "provider-schema" / "aws-6.66.0.json"
SUBSET_PATH = REPO_ROOT / "generator" / "rehearse" / "aws-provider-schema-subset.json"

TYPES = (
    "provider.aws",
    "aws_organizations_organization",
    "aws_organizations_aws_service_access",
    "aws_cloudtrail",
    "aws_cloudtrail_organization_delegated_admin_account",
    "aws_s3_bucket",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_object_lock_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_notification",
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_cloudwatch_log_group",
    "aws_cloudwatch_log_metric_filter",
    "aws_cloudwatch_metric_alarm",
    "aws_cloudwatch_query_definition",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_policy",
    "aws_iam_role_policy_attachment",
    "aws_kms_key",
    "aws_kms_alias",
    "aws_kms_key_policy",
    "aws_sns_topic",
    "aws_sns_topic_policy",
    "aws_sns_topic_subscription",
    "aws_sqs_queue",
    "aws_sqs_queue_policy",
    "aws_lambda_permission",
    "aws_glue_catalog_database",
    "aws_glue_catalog_table",
    "aws_athena_workgroup",
    "aws_athena_named_query",
    "aws_cloudtrail_event_data_store",
    "data.aws_iam_policy_document",
    "data.aws_organizations_organization",
    "data.aws_caller_identity",
    "data.aws_partition",
    "data.aws_region",
    "data.aws_s3_bucket_policy",
)


def provider_version(source: Path) -> str:
    """Read the provider version from the file name (``aws-6.66.0.json``).

    The file name is the only place the full schema records the hashicorp/aws version.
    """
    match = re.fullmatch(r"aws-(\d+\.\d+\.\d+)\.json", source.name)
    if match is None:
        raise SystemExit(f"cannot read a provider version from the file name {source.name}")
    return match.group(1)


def build_subset(full: dict, source: Path) -> dict:
    """Pick TYPES out of the full schema and add a ``_source`` note saying where they came from."""
    missing = [name for name in TYPES if name not in full]
    if missing:
        raise SystemExit(f"{source} lacks these types: {', '.join(missing)}")
    bindings = full.get("_meta", {}).get("source", "unknown bindings")
    subset = {name: full[name] for name in TYPES}
    subset["_source"] = (
        f"Subset of {source.name} (hashicorp/aws {provider_version(source)}, names read "
        f"from {bindings}). Regenerate: python "
        "tests/support/regen_provider_schema_subset.py [path-to-full-schema]"
    )
    return subset


def main(argv: list[str]) -> int:
    """Write the subset; the optional argument is the path of the full schema."""
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    full = json.loads(source.read_text(encoding="utf-8"))
    text = json.dumps(build_subset(full, source), sort_keys=True, indent=1)
    SUBSET_PATH.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(TYPES)} types to {SUBSET_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
