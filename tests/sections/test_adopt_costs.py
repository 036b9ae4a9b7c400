"""What taking over a console-made trail costs, said and ordered so that nothing is lost.

Switching the adopted bucket to SSE-KMS must wait for the trail to use the key (else files are
refused in between); switching an SSE-S3 trail to the created key changes who can read new
files; what the module does not take over on the delivery role keeps granting what it grants.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from generator.check.hcl_parse import ParsedModule, expression
from generator.check.preflight.lookups import references
from generator.core.errors import ConfigError
from generator.pipeline import build, render_module
from generator.sections.registry import load_config

ENCRYPTION = "aws_s3_bucket_server_side_encryption_configuration.logs"
TRAIL = "aws_cloudtrail.org"


def _module(config_path: Path) -> ParsedModule:
    return ParsedModule.parse(render_module(load_config(config_path), "configs/x.yaml"))


def _depends_on(module: ParsedModule, address: str) -> list[str]:
    block = module.get(address)
    assert block is not None, address
    return references(block.body.get("depends_on"))


def test_an_adopted_bucket_turns_to_sse_kms_only_after_the_trail_uses_the_key() -> None:
    module = _module(ROOT / "configs" / "adopt-console.yaml")
    encryption = module.get(ENCRYPTION)
    assert encryption is not None
    assert expression(encryption.body["rule"][0]["apply_server_side_encryption_by_default"][0][
        "kms_master_key_id"]) == "aws_kms_key.cloudtrail.arn"  # fmt: skip
    assert _depends_on(module, ENCRYPTION) == [TRAIL]
    # No cycle: nothing the trail waits for waits for the encryption change.
    seen, todo = set(), list(_depends_on(module, TRAIL))
    while todo:
        address = todo.pop()
        if address in seen or module.get(address) is None:
            continue
        seen.add(address)
        todo += _depends_on(module, address)
    assert ENCRYPTION not in seen


def test_a_new_bucket_keeps_the_greenfield_order() -> None:
    """Nothing writes to a new bucket before the trail is created with its key."""
    module = _module(ROOT / "configs" / "example.yaml")
    assert _depends_on(module, ENCRYPTION) == []


def test_an_adopted_trail_writing_to_a_new_bucket_keeps_the_greenfield_order(
    tmp_path: Path,
) -> None:
    data = yaml.safe_load((ROOT / "configs" / "adopt-console.yaml").read_text(encoding="utf-8"))
    del data["adopt"]["bucket"]
    path = tmp_path / "new-bucket.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert _depends_on(_module(path), ENCRYPTION) == []


# --- an SSE-S3 trail switched to the created key: old -> new, and what readers then need -------


def _console(tmp_path: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Any:
    data = yaml.safe_load((ROOT / "configs" / "adopt-console.yaml").read_text(encoding="utf-8"))
    if change:
        change(data)
    path = tmp_path / "console-variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return build(path)


def _flat(text: str) -> str:
    """imports.tf's notes as one line: comment markers and wrapping removed."""
    return " ".join(line.lstrip("#").strip() for line in text.splitlines())


def test_switching_an_sse_s3_trail_to_the_new_key_says_old_new_and_who_needs_decrypt(
    tmp_path: Path,
) -> None:
    module = _console(tmp_path)
    (trail,) = [w for w in module.warnings if w.startswith("aws_cloudtrail.org")]
    expected = (
        "log file encryption: SSE-S3 (S3-managed keys) -> SSE-KMS with the new key "
        "aws_kms_key.cloudtrail. Every reader of NEW log and digest files (a SIEM, Athena, "
        "another account) then needs kms:Decrypt on that key: list each in bucket.readers "
        "(S3 read + decrypt; listed today: none), or keep SSE-S3 with kms.enabled: false"
    )
    assert expected in " ".join(trail.split())
    assert expected in _flat(module.files["imports.tf"])


def test_the_readers_already_listed_are_named(tmp_path: Path) -> None:
    reader = "arn:aws:iam::444455556666:role/Siem"

    def with_reader(data: dict[str, Any]) -> None:
        data["bucket"]["readers"] = [reader]

    module = _console(tmp_path, with_reader)
    assert f"listed today: {reader})" in " ".join(" ".join(module.warnings).split())


def test_keeping_sse_s3_says_nothing_about_a_key(tmp_path: Path) -> None:
    def sse_s3(data: dict[str, Any]) -> None:
        data["kms"] = {"enabled": False}

    module = _console(tmp_path, sse_s3)
    assert not [w for w in module.warnings if "kms:Decrypt" in w or "SSE-KMS" in w]


# --- what the role keeps that the module does not manage -----------------------------------------


def test_the_roles_policies_left_unmanaged_are_named(tmp_path: Path) -> None:
    attached = "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"

    def attached_too(data: dict[str, Any]) -> None:
        data["adopt"]["role"]["attached_policies"] = [attached]

    module = _console(tmp_path, attached_too)
    (role,) = [w for w in module.warnings if w.startswith("aws_iam_role.cloudtrail_cloudwatch")]
    flat = " ".join(role.split())
    assert (
        "stays on the role and keeps granting what it grants: inline policy "
        "oneClick_CloudTrailRoleForCloudWatchLogs_1700000000000, attached policy "
        f"{attached}"
    ) in flat
    assert "oneClick_CloudTrailRoleForCloudWatchLogs_1700000000000" in _flat(
        module.files["imports.tf"]
    )
    # Not imported: the module neither manages nor deletes it.
    assert "oneClick_" not in module.files["logs.tf"]
    assert ":oneClick_" not in module.files["imports.tf"].split("import {", 1)[1]


def test_a_policy_taken_over_cannot_also_be_left_alone(tmp_path: Path) -> None:
    def both(data: dict[str, Any]) -> None:
        data["adopt"]["role"]["inline_policy"] = data["adopt"]["role"]["other_inline_policies"][0]

    with pytest.raises(ConfigError) as caught:
        _console(tmp_path, both)
    assert [issue.path for issue in caught.value.issues] == ["adopt.role.other_inline_policies"]
