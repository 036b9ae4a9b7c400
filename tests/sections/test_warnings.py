"""What a user is told before applying: warnings on stderr and the same facts in the output.

Each warning is a decision the config made that the reviewer must expect at apply, or a fact
AWS will not say until it is too late (an existing bucket's other statements removed, a key
whose policy lacks a grant, archived digest files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import CASE_CONFIGS, ROOT, SHIPPED_CONFIGS

from generator.pipeline import build

CASES = ROOT / "tests" / "cases"


def test_an_existing_key_gets_the_exact_statements_its_policy_needs() -> None:
    module = build(CASES / "govcloud.yaml")
    (warning,) = [w for w in module.warnings if "kms.key_arn" in w]
    trail_arn = "arn:aws-us-gov:cloudtrail:us-gov-west-1:666666666666:trail/gov-org-trail"
    statements = json.loads(warning.split(":\n", 1)[1])
    comment = "\n".join(
        line[2:] for line in module.files["kms.tf"].splitlines() if line.startswith("# ")
    )
    assert json.loads(comment[comment.index("[") :]) == statements, "kms.tf says the same"
    by_sid = {s["Sid"]: s for s in statements}
    encrypt = by_sid["AllowCloudTrailEncryptLogs"]
    assert encrypt["Principal"] == {"Service": ["cloudtrail.amazonaws.com"]}
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] == [trail_arn]
    logs = by_sid["AllowCloudWatchLogsEncryptLogGroup"]
    assert logs["Principal"] == {"Service": ["logs.us-gov-west-1.amazonaws.com"]}
    assert logs["Condition"]["StringEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws-us-gov:logs:us-gov-west-1:666666666666:log-group:/gov/cloudtrail"
    ]
    readers = by_sid["AllowLogReadersDecrypt"]["Principal"]["AWS"]
    assert "arn:aws-us-gov:iam::777777777777:role/Auditor" in readers
    assert not any("Administration" in sid for sid in by_sid), "the key's owner keeps admin"
    assert not [r for r in module.parsed.blocks if r.labels[:1] == ("aws_kms_key",)]


def test_merge_mode_says_what_is_kept_and_that_the_rest_is_removed() -> None:
    module = build(CASES / "existing-bucket-merge.yaml")
    (warning,) = [w for w in module.warnings if "bucket.kept_statements" in w]
    assert "AWSCloudTrailAclCheck20150319, AWSCloudTrailWrite20150319" in warning
    assert "any other statement it has today is removed at apply" in warning
    # Nothing reads the live policy any more, so a bucket without one cannot fail the plan.
    assert "NoSuchBucketPolicy" not in module.files["s3.tf"]
    assert "REMOVED at apply" in module.files["s3.tf"]


def test_a_single_region_trail_is_said_to_miss_every_other_region() -> None:
    module = build(CASES / "existing-bucket-replace.yaml")
    assert any("records ap-northeast-1 only" in w for w in module.warnings)
    assert "#checkov:skip=CKV_AWS_67:" in module.files["cloudtrail.tf"]
    assert "ap-northeast-1 ONLY" in module.files["cloudtrail.tf"]


@pytest.mark.parametrize(
    ("storage_class", "words"),
    [
        ("GLACIER_IR", ("under 128 KB", "stay in STANDARD")),
        ("STANDARD_IA", ("under 128 KB",)),
        ("GLACIER", ("restored", "validate-logs")),
        ("DEEP_ARCHIVE", ("restored", "validate-logs")),
    ],
)
def test_transitions_say_what_they_do_to_cloudtrail_files(
    tmp_path: Path, storage_class: str, words: tuple[str, ...]
) -> None:
    data = yaml.safe_load((ROOT / "configs" / "example.yaml").read_text(encoding="utf-8"))
    data["bucket"]["lifecycle"] = {"transitions": [{"days": 90, "storage_class": storage_class}]}
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    module = build(path)
    (note,) = [w for w in module.warnings if storage_class in w]
    for word in words:
        assert word in note
    s3 = re.sub(r"\n#\s+", " ", module.files["s3.tf"])
    assert note.split(":")[0] in s3, "the same note sits above the lifecycle configuration"
    assert 'transition_default_minimum_object_size = "varies_by_storage_class"' in s3


def test_no_transition_no_lifecycle_note() -> None:
    assert not [w for w in build(ROOT / "configs" / "example.yaml").warnings if "day " in w]


_SKIP = re.compile(r"#checkov:skip=(CKV\w+):(.*)")
_OFF = re.compile(r"switched off in the config \((?P<key>[\w.]+): (?P<value>[^)]+)\)")


@pytest.mark.parametrize("config", SHIPPED_CONFIGS + CASE_CONFIGS, ids=lambda p: p.name)
def test_a_skip_says_switched_off_only_for_what_the_config_says(config: Path) -> None:
    """Honest output: 'switched off in the config' only names a key the user actually wrote."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for text in build(config).files.values():
        for check, reason in _SKIP.findall(text):
            assert "on purpose" not in reason, (check, reason)
            match = _OFF.search(reason)
            if match:
                section, key = match["key"].split(".")
                assert key in (data.get(section) or {}), (check, reason, "never set by the user")
                assert str(data[section][key]).lower() == match["value"].split()[0].lower()


def test_tags_said_empty_warn_that_the_trail_is_untagged(tmp_path: Path) -> None:
    """Omitted tags default to ManagedBy = orgtrail-gen; `tags: {}` is allowed, and warned about."""
    text = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    assert "tags:\n  Owner: security\n" in text
    path = tmp_path / "untagged.yaml"
    path.write_text(text.replace("tags:\n  Owner: security\n", "tags: {}\n"), encoding="utf-8")
    assert any("CloudTrail.9" in w for w in build(path).warnings)
    assert not any("CloudTrail.9" in w for w in build(ROOT / "configs" / "example.yaml").warnings)
    omitted = tmp_path / "omitted.yaml"
    omitted.write_text(text.replace("tags:\n  Owner: security\n", ""), encoding="utf-8")
    module = build(omitted)
    assert not any("CloudTrail.9" in w for w in module.warnings)
    assert '"ManagedBy" = "orgtrail-gen"' in module.files["providers.tf"]
