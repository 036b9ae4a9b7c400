"""Key administrators: who administers which key, read from the generated key policies.

KMS's administrative operations (PutKeyPolicy, ScheduleKeyDeletion, CreateAlias...) do not work
across accounts, so an administrator is worth something only on a key of its own account. In
the log-archive layout the keys sit in two accounts; each administrator must land on its own.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from support.filter_matching import matches

from generator.check.preflight.lookups import account_of
from generator.check.preflight.policy_reading import statements
from generator.config.yaml_source import load_yaml
from generator.monitoring import cis
from generator.monitoring.filter_pattern import parse
from generator.pipeline import build
from generator.sections.addresses import ALARM_KEY, KEY, LOGS_KEY
from generator.sections.kms.model import created_keys
from generator.sections.registry import validate

MGMT = "111111111111"
ARCHIVE = "444455556666"
ARCHIVE_ADMIN = f"arn:aws:iam::{ARCHIVE}:role/KeyAdmins"
MGMT_ADMIN = f"arn:aws:iam::{MGMT}:role/KeyAdmins"

LOG_ARCHIVE = {
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account_id": MGMT,
        "cloudtrail_trusted_access": "enable",
    },
    "trail": {"name": "org-trail", "home_region": "us-east-1"},
    "bucket": {"name": "example-org-cloudtrail-logs"},
    "cloudwatch_logs": {"log_group_name": "/aws/cloudtrail/org"},
    "kms": {"administrators": [ARCHIVE_ADMIN, MGMT_ADMIN]},
    "log_archive": {"account_id": ARCHIVE, "role_arn": f"arn:aws:iam::{ARCHIVE}:role/Deployer"},
    "monitoring": {"cis_controls": ["4.3"]},
}


def _administrators(module: object, document: str) -> set[str]:
    block = module.parsed.get(f"data.aws_iam_policy_document.{document}")  # type: ignore[attr-defined]
    assert block is not None, document
    (statement,) = [s for s in statements(block) if "kms:PutKeyPolicy" in _expanded(s.actions)]
    return {i for kind, ids in statement.principals if kind == "AWS" for i in ids}


def _expanded(actions: tuple[str, ...]) -> set[str]:
    """kms:PutKeyPolicy if one of ``actions`` matches it (the administrator statement's mark)."""
    return (
        {"kms:PutKeyPolicy"} if any(fnmatchcase("kms:PutKeyPolicy", a) for a in actions) else set()
    )


def test_each_administrator_is_named_only_on_the_keys_of_its_own_account(tmp_path: Path) -> None:
    path = tmp_path / "keys-by-account.yaml"
    path.write_text(yaml.safe_dump(LOG_ARCHIVE, sort_keys=False), encoding="utf-8")
    module = build(path)
    assert _administrators(module, "cloudtrail_kms") == {
        f"arn:aws:iam::{ARCHIVE}:root",
        ARCHIVE_ADMIN,
    }
    for management_key in ("cloudwatch_logs_kms", "alarms_kms"):
        assert _administrators(module, management_key) == {
            f"arn:aws:iam::{MGMT}:root",
            MGMT_ADMIN,
        }, management_key


def test_no_administrator_may_create_a_grant(tmp_path: Path) -> None:
    """kms:Create* would include kms:CreateGrant, and a grant can hand its grantee Decrypt."""
    path = tmp_path / "keys-by-account.yaml"
    path.write_text(yaml.safe_dump(LOG_ARCHIVE, sort_keys=False), encoding="utf-8")
    module = build(path)
    for document in ("cloudtrail_kms", "cloudwatch_logs_kms", "alarms_kms"):
        block = module.parsed.get(f"data.aws_iam_policy_document.{document}")
        assert block is not None
        for statement in statements(block):
            if statement.sid == "AllowKeyAdministration":
                assert "kms:CreateAlias" in statement.actions
                assert not [
                    a
                    for a in statement.actions
                    if a.startswith("kms:Create") and a != "kms:CreateAlias"
                ]


# --- what an administrator can still do is visible: the docs' filter for it (docs/security.md)


def _docs_key_pattern() -> str:
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- key-policy-pattern -->\n```\n(?P<pattern>\{.*?\})\n```", page, re.S)
    assert match, "docs/security.md's key-policy pattern block is missing"
    return match["pattern"]


def _kms_event(name: str) -> dict[str, object]:
    """A KMS management event as the trail delivers it (shape of the committed DisableKey one)."""
    event = json.loads((ROOT / "tests/data/cloudtrail-events/kms-DisableKey.json").read_text())
    event["eventName"] = name
    return event


def test_the_docs_filter_counts_a_policy_rewrite_and_a_grant_not_key_use() -> None:
    pattern = parse(_docs_key_pattern())
    assert matches(pattern, _kms_event("PutKeyPolicy"))
    assert matches(pattern, _kms_event("CreateGrant"))
    assert not matches(pattern, _kms_event("Decrypt"))
    assert not matches(pattern, _kms_event("DisableKey"))  # CIS 4.7 counts that one already
    # None of the CIS catalogue's patterns counts a policy rewrite: the docs say so.
    assert not [c.id for c in cis.controls() for f in c.flavours if matches(parse(f.pattern), 
        _kms_event("PutKeyPolicy"))]  # fmt: skip


def test_the_docs_filter_is_accepted_as_a_custom_filter(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    start = page.index("<!-- key-policy-pattern -->")
    block = re.search(r"```yaml\n(.*?)\n```", page[start:], re.S)
    assert block, "docs/security.md's custom filter example is missing"
    data = {**LOG_ARCHIVE, **yaml.safe_load(block[1])}
    (custom,) = validate(load_yaml(yaml.safe_dump(data), "t.yaml")).monitoring.custom_filters
    assert custom.pattern == _docs_key_pattern()


_KEY_NAMES = {
    KEY: "the trail's key",
    LOGS_KEY: "the log group's key",
    ALARM_KEY: "the alarm topic's key",
    "aws_kms_key.log_consumers": "the log consumers' key",
}


@pytest.mark.parametrize(
    "config",
    sorted([*(ROOT / "configs").glob("*.yaml"), *(ROOT / "tests" / "cases").glob("*.yaml")]),
    ids=lambda path: path.stem,
)
def test_validation_counts_the_keys_the_module_creates_in_their_accounts(config: Path) -> None:
    """``kms.model.created_keys`` (what the administrators rule reads) and the rendered keys agree.

    Validation decides from the config which keys exist and where, before any view is built;
    the views decide the same in ``sections.facts``. Two homes for one decision: this holds
    them together for every shipped and test config.
    """
    module = build(config)
    rendered: dict[str, list[str]] = {}
    for key in module.parsed.of_type("resource", "aws_kms_key"):
        account = account_of(module.parsed, key) or module.config.organization.management_account_id
        rendered.setdefault(account, []).append(_KEY_NAMES[key.address])
    expected = {account: sorted(names) for account, names in created_keys(module.config).items()}
    assert {account: sorted(names) for account, names in rendered.items()} == expected
