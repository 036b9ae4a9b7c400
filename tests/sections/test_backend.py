"""The optional ``backend`` section: an S3 backend with native locking, validated like the rest.

Without it no backend.tf is generated and a hand-written one is kept; with it, a hand-written
backend.tf is never overwritten, and Terraform must be new enough for ``use_lockfile``.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from generator.cli import main
from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError, ConfigIssue
from generator.pipeline import build
from generator.sections.registry import validate

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "tests" / "cases" / "s3-backend.yaml"
BASE: dict[str, Any] = yaml.safe_load(CASE.read_text(encoding="utf-8"))
KEY_ARN = "arn:aws:kms:ap-northeast-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def with_backend(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data["backend"].pop(key, None)
        else:
            data["backend"][key] = value
    return data


def issues_of(data: dict[str, Any]) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))
    return caught.value.issues


def backend_block(files: dict[str, str]) -> dict[str, Any]:
    parsed = hcl2.loads(files["backend.tf"])
    ((terraform,),) = [parsed["terraform"]]
    (backend,) = terraform["backend"]
    return backend['"s3"']


def required_version(files: dict[str, str]) -> str:
    (terraform,) = hcl2.loads(files["versions.tf"])["terraform"]
    return terraform["required_version"]


def test_backend_renders_an_encrypted_locked_s3_backend() -> None:
    files = build(CASE).files
    block = backend_block(files)
    assert {k: v for k, v in block.items() if not k.startswith("__")} == {
        "bucket": '"tokyo-org-terraform-state"',
        "key": '"orgtrail/tokyo/terraform.tfstate"',
        "region": '"ap-northeast-1"',
        "encrypt": True,
        "kms_key_id": f'"{KEY_ARN}"',
        "use_lockfile": True,
    }
    # use_lockfile arrived in Terraform 1.10: an older one would refuse the backend block
    assert required_version(files) == '">= 1.10.0"'


def test_region_defaults_to_the_home_region_and_kms_is_optional(tmp_path: Path) -> None:
    data = with_backend(kms_key_id=None)
    data["trail"]["home_region"] = "eu-west-1"
    data["trail"]["regions"] = ["eu-west-1"]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    block = backend_block(build(tmp_path / "c.yaml").files)
    assert block["region"] == '"eu-west-1"'
    assert "kms_key_id" not in block
    assert block["encrypt"] is True and block["use_lockfile"] is True


def test_without_a_backend_no_backend_file_and_the_older_terraform_floor(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    del data["backend"]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    files = build(tmp_path / "c.yaml").files
    assert "backend.tf" not in files
    assert not any('backend "' in text for text in files.values())
    assert required_version(files) == '">= 1.7.0"'


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"bucket": "Tokyo-State"}, "backend.bucket", ("uppercase",)),
        ({"bucket": "ab"}, "backend.bucket", ("not a valid S3 bucket name",)),
        ({"bucket": "tokyo-org-cloudtrail-logs"}, "backend.bucket", ("out of the log bucket",)),
        ({"key": "/state.tfstate"}, "backend.key", ("must not start or end with '/'",)),
        ({"key": "a//b.tfstate"}, "backend.key", ("'//'",)),
        ({"key": "a/../b"}, "backend.key", ("'..'",)),
        ({"key": "a b"}, "backend.key", ("S3-safe",)),
        ({"key": "x" * 1025}, "backend.key", ("1-1024",)),
        ({"region": "mars-1"}, "backend.region", ("not a region",)),
        ({"region": "cn-north-1"}, "backend.region", ("partition aws-cn",)),
        ({"region": "eu-west-1"}, "backend.kms_key_id", ("the key is in ap-northeast-1",)),
        ({"kms_key_id": "alias/state"}, "backend.kms_key_id", ("symmetric key's ARN",)),
        ({"dynamodb_table": "locks"}, "backend.dynamodb_table", ("unknown key",)),
        ({"bucket": None}, "backend.bucket", ("required key is missing",)),
    ],
    ids=lambda value: str(value)[:40],
)
def test_backend_is_validated_like_the_rest(
    changes: dict[str, Any], path: str, words: tuple[str, ...]
) -> None:
    issues = [i for i in issues_of(with_backend(**changes)) if i.path == path]
    assert issues, path
    assert all(word in issues[0].message for word in words), issues[0].message


def test_a_config_backend_never_overwrites_a_hand_written_backend_tf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "configs").mkdir()
    shutil.copy(CASE, tmp_path / "configs" / "tokyo.yaml")
    folder = tmp_path / "output" / "tokyo"
    folder.mkdir(parents=True)
    mine = b'terraform {\n  backend "s3" {}\n}\n'
    (folder / "backend.tf").write_bytes(mine)
    monkeypatch.chdir(tmp_path)
    assert main(["configs/tokyo.yaml"]) == 2
    err = capsys.readouterr().err
    assert "backend.tf exist(s) and were not generated by orgtrail-gen" in err
    assert "backend section cannot both be kept" in err
    assert (folder / "backend.tf").read_bytes() == mine
    assert sorted(p.name for p in folder.iterdir()) == ["backend.tf"]
    # without the section, the hand-written file is kept and the module is written beside it
    data = copy.deepcopy(BASE)
    del data["backend"]
    (tmp_path / "configs" / "tokyo.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["configs/tokyo.yaml"]) == 0
    assert main(["check", "configs/tokyo.yaml"]) == 0
    assert (folder / "backend.tf").read_bytes() == mine
    assert (folder / "cloudtrail.tf").is_file()
