"""What a topic's or queue's policy and key grant, read from the generated HCL as AWS evaluates it.

Why a module of its own: the preflight rules of both feeds (the topic's in ``rules``, the
rules' in ``rules_eventbridge``) ask the same questions - what ARN will AWS give this block,
does this policy let that service do that with these request keys, does the block's key - and
each answer must be computed once.
"""

from __future__ import annotations

from generator.check.hcl_parse import Block, ParsedModule, expression, literal
from generator.check.preflight import Facts
from generator.check.preflight.lookups import account_of, region_of
from generator.check.preflight.policy_reading import ParsedStatement, statements
from generator.sections.consumers.feeds import referenced
from generator.sections.kms.rules import _allows, _conditions_admit

AWS_MANAGED_KEYS = ("alias/aws/sns", "alias/aws/sqs")


def arn_of(module: ParsedModule, facts: Facts, block: Block, service: str) -> str:
    """The ARN AWS gives a topic or queue of the module: its region, account and name."""
    region = region_of(module, block) or facts.arns.home_region
    account = account_of(module, block) or facts.bucket_account
    name = literal(block.body.get("name")) or ""
    return f"arn:{facts.arns.partition}:{service}:{region}:{account}:{name}"


def document(module: ParsedModule, value: object) -> list[ParsedStatement]:
    """The statements of the ``data.aws_iam_policy_document.<x>.json`` a value names."""
    block = module.resolve(value, "json")
    return statements(block) if block is not None else []


def admits(
    found: list[ParsedStatement], who: tuple[str, str], action: str, context: dict[str, str]
) -> bool:
    """Whether some statement allows ``who`` ``action`` for a request with ``context``."""
    return any(_allows(s, who, action) and _conditions_admit(s, context) for s in found)


def key_problems(
    module: ParsedModule, owner: Block, who: tuple[str, str], context: dict[str, str]
) -> tuple[list[str], str | None]:
    """(actions the owner's key refuses ``who``, the AWS-managed alias it uses, if any)."""
    value = owner.body.get("kms_master_key_id")
    text = literal(value)
    if text in AWS_MANAGED_KEYS:
        return [], text
    key = referenced(module, value, "aws_kms_key")
    if key is None:
        return [], None  # an existing key's policy is not in the module
    found = document(module, key.body.get("policy"))
    missing = [
        action
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
        if not admits(found, who, action, context)
    ]
    return missing, None


def queue_statements(module: ParsedModule, queue: Block, queue_arn: str) -> list[ParsedStatement]:
    """The statements of the queue's policy (``aws_sqs_queue_policy``) about this queue."""
    return [
        s
        for p in module.of_type("resource", "aws_sqs_queue_policy")
        if expression(p.body.get("queue_url")) == f"{queue.address}.id"
        for s in document(module, p.body.get("policy"))
        if queue_arn in s.resources
    ]
