"""Shared look-ups for the rules: the trail, its ARN as AWS will see it, its bucket's policy."""

from __future__ import annotations

from typing import Any

from generator.check.hcl_parse import Block, ParsedModule, expression, literal, literals, nested
from generator.check.preflight import Facts
from generator.core.arns import arn_region

# The split S3 resources (provider v4+) that configure one bucket, each by `bucket`: imported
# by the bucket's name and replaced with it.
BUCKET_SETTING_TYPES = (
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_object_lock_configuration",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_policy",
)


def organization_trails(module: ParsedModule) -> list[Block]:
    """Every ``aws_cloudtrail`` in the module (all generated trails are organization trails)."""
    return module.of_type("resource", "aws_cloudtrail")


def default_region(module: ParsedModule) -> str | None:
    """The region of the default (un-aliased) aws provider."""
    for provider in module.all("provider"):
        if provider.labels == ("aws",) and "alias" not in provider.body:
            return literal(provider.body.get("region"))
    return None


def provider_of(module: ParsedModule, block: Block) -> Block | None:
    """The aws provider block a resource runs with: its ``provider`` argument, or the default."""
    wanted = expression(block.body.get("provider"))
    alias = wanted.split(".", 1)[1] if wanted and "." in wanted else None
    for provider in module.all("provider"):
        if provider.labels == ("aws",) and literal(provider.body.get("alias")) == alias:
            return provider
    return None


def account_of(module: ParsedModule, block: Block) -> str | None:
    """The one account a resource's provider is pinned to (``allowed_account_ids``)."""
    provider = provider_of(module, block)
    accounts = literals(provider.body.get("allowed_account_ids")) if provider else []
    return accounts[0] if len(accounts) == 1 else None


def region_of(module: ParsedModule, block: Block) -> str | None:
    """A resource's region: its own ``region`` argument (provider v6), else its provider's."""
    provider = provider_of(module, block)
    own = literal(block.body.get("region"))
    return own or (literal(provider.body.get("region")) if provider else default_region(module))


def trail_arn(module: ParsedModule, facts: Facts, trail: Block) -> str | None:
    """The ARN AWS will give this trail: home region + MANAGEMENT account + name."""
    name, region = literal(trail.body.get("name")), region_of(module, trail)
    if not name or not region:
        return None
    arns = facts.arns
    return f"arn:{arns.partition}:cloudtrail:{region}:{arns.management_account_id}:trail/{name}"


def bucket_name(module: ParsedModule, value: Any) -> str | None:
    """A bucket argument's name: a literal, or the ``bucket`` of the aws_s3_bucket it references."""
    text = literal(value)
    if text is not None:
        return text
    ref = expression(value)
    if ref and ref.startswith("aws_s3_bucket.") and ref.endswith((".id", ".bucket")):
        bucket = module.get(ref.rsplit(".", 1)[0])
        return literal(bucket.body.get("bucket")) if bucket else None
    return None


def bucket_policies(module: ParsedModule, name: str) -> list[tuple[Block, Block | None]]:
    """(``aws_s3_bucket_policy``, its policy document or None) for every policy on ``name``."""
    result = []
    for policy in module.of_type("resource", "aws_s3_bucket_policy"):
        if bucket_name(module, policy.body.get("bucket")) == name:
            result.append((policy, module.resolve(policy.body.get("policy"), "json")))
    return result


def references(value: Any) -> list[str]:
    """Every bare reference in a list attribute such as ``depends_on``."""
    if not isinstance(value, list):
        return []
    return [text for item in value if (text := expression(item)) is not None]


# The operators of an advanced event selector's field_selector (botocore AdvancedFieldSelector).
SELECTOR_OPERATORS = (
    "equals",
    "not_equals",
    "starts_with",
    "not_starts_with",
    "ends_with",
    "not_ends_with",
)


def field_selectors(selector: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """One advanced_event_selector's conditions as {field: {operator: values}}."""
    fields: dict[str, dict[str, list[str]]] = {}
    for condition in nested(selector, "field_selector"):
        name = literal(condition.get("field")) or ""
        fields[name] = {op: literals(condition[op]) for op in SELECTOR_OPERATORS if op in condition}
    return fields


def key_of(module: ParsedModule, value: object) -> tuple[Block | None, str | None]:
    """The ``aws_kms_key`` a ``kms_key_id`` argument points at (or None), and the key's region.

    A reference to any attribute of a key of the module (``.arn``, ``.key_id``) resolves to its
    block and the block's region; a literal ARN gives no block and the ARN's region.
    """
    reference = expression(value)
    if reference and reference.startswith("aws_kms_key."):
        key = module.get(".".join(reference.split(".")[:2]))
        return (key, region_of(module, key)) if key is not None else (None, None)
    text = literal(value)
    if text and text.startswith("arn:"):
        return None, arn_region(text)
    return None, None
