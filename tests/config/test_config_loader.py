"""Config errors as users see them: ``file:LINE:COL: key.path: message``, all at once, each
pointing at the exact place to change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError, ConfigIssue, UserError
from generator.sections.registry import load_config, validate

VALID = """\
organization:
  id: o-a1b2c3d4e5
  management_account_id: "111111111111"
  cloudtrail_trusted_access: enable
trail:
  name: org-trail
  home_region: us-east-1
  regions: [us-east-1, eu-west-1]
bucket:
  name: example-org-cloudtrail-logs
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
  retention_in_days: 365
tags:
  Owner: security
  Team: platform
"""

LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>[\w.\[\]]+): (?P<msg>.+)$"
)


def edit(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def errors(text: str, file: str = "cfg.yaml") -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(text, file))
    return caught.value.issues


def where(issue: ConfigIssue) -> tuple[int, int, str]:
    return issue.line, issue.column, issue.path


def test_valid_text_loads() -> None:
    config = validate(load_yaml(VALID, "cfg.yaml"))
    assert config.tags == {"Owner": "security", "Team": "platform"}


def test_four_independent_errors_are_reported_at_once_sorted_by_line() -> None:
    text = edit("  id: o-a1b2c3d4e5\n", "  id: o-BAD\n")
    text = edit("[us-east-1, eu-west-1]", "[us-east-1, mars-1]", text)
    text = edit("  name: org-trail\n", "  name: org-trail\n  nmae: typo\n", text)
    text = edit("  name: example-org-cloudtrail-logs\n", "  create: true\n", text)
    issues = errors(text)
    assert [where(i) for i in issues] == [
        (2, 7, "organization.id"),
        (7, 3, "trail.nmae"),
        (9, 24, "trail.regions[1]"),
        (10, 1, "bucket.name"),
    ]
    assert [i.line for i in issues] == sorted(i.line for i in issues)
    message = str(ConfigError(issues))
    assert len(message.splitlines()) == 4


def test_each_issue_reads_file_line_col_path_message() -> None:
    text = edit("  id: o-a1b2c3d4e5\n", "  id: o-BAD\n")
    (issue,) = errors(text, "configs/prod.yaml")
    match = LINE.match(str(issue))
    assert match, str(issue)
    assert match["file"] == "configs/prod.yaml"
    assert (match["line"], match["col"], match["path"]) == ("2", "7", "organization.id")
    assert "o-BAD" in match["msg"]


@pytest.mark.parametrize(
    ("old", "new", "expected", "words"),
    [
        # a bad value: at the value
        ("  retention_in_days: 365\n", "  retention_in_days: 2\n", (13, 22, "cloudwatch_logs.retention_in_days"), ("3653",)),
        ("  home_region: us-east-1\n", "  home_region: mars-1\n", (7, 16, "trail.home_region"), ("mars-1",)),
        ('  management_account_id: "111111111111"\n', "  management_account_id: 111111111111\n", (3, 26, "organization.management_account_id"), ("quote",)),
        # an unknown key: at the key, not at its value
        ("  Team: platform\n", "  Team: platform\nextra:\n  x: 1\n", (17, 1, "extra"), ("unknown key",)),
        ("  log_group_name: /aws/cloudtrail/org\n", "  log_group_name: /aws/cloudtrail/org\n  retention: 30\n", (13, 3, "cloudwatch_logs.retention"), ("unknown key",)),
        ("  cloudtrail_trusted_access: enable\n", "  cloudtrail_trusted_access: enable\n  principals: []\n", (5, 3, "organization.principals"), ("unknown key",)),
        # a key of an earlier version: at the key, saying why it went
        ("  cloudtrail_trusted_access: enable\n", "  cloudtrail_trusted_access: enable\n  enabled_policy_types: [SERVICE_CONTROL_POLICY]\n", (5, 3, "organization.enabled_policy_types"), ("no longer needed", "policy types")),
        ("  cloudtrail_trusted_access: enable\n", "  cloudtrail_trusted_access: yes\n", (4, 30, "organization.cloudtrail_trusted_access"), ("enable",)),
        # a missing key: at its parent's key
        ("  name: org-trail\n", "", (5, 1, "trail.name"), ("missing", "name")),
        ("  log_group_name: /aws/cloudtrail/org\n", "", (11, 1, "cloudwatch_logs.log_group_name"), ("missing",)),
        # a list item: at the item
        ("[us-east-1, eu-west-1]", "[us-east-1, eu-west-1, us-east-7]", (8, 35, "trail.regions[2]"), ("us-east-7",)),
        # a cross-field error: at the value of the key to change
        ("  regions: [us-east-1, eu-west-1]\n", "  regions: [us-east-1, eu-west-1]\n  include_global_service_events: false\n", (9, 34, "trail.include_global_service_events"), ("multi-region",)),
        ("  home_region: us-east-1\n", "  home_region: eu-central-1\n", (8, 12, "trail.regions"), ("eu-central-1",)),
        ("  name: example-org-cloudtrail-logs\n", "  name: example.org.logs\n", (10, 9, "bucket.name"), ("period",)),
    ],
)  # fmt: skip
def test_issue_points_at_the_right_line_and_column(
    old: str, new: str, expected: tuple[int, int, str], words: tuple[str, ...]
) -> None:
    (issue,) = errors(edit(old, new))
    assert where(issue) == expected, str(issue)
    assert LINE.match(str(issue)), str(issue)
    for word in words:
        assert word in issue.message


def test_tag_errors_name_the_tags_section() -> None:
    (issue,) = errors(edit("  Team: platform\n", "  Team: 'a\"b'\n"))
    assert issue.path.startswith("tags")
    assert '"' in issue.message


def test_tag_error_points_at_the_offending_tag() -> None:
    (issue,) = errors(edit("  Team: platform\n", f"  Team: {'v' * 257}\n"))
    assert (issue.line, issue.path) == (16, "tags.Team")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "---\n", "42\n", "~\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    (issue,) = errors(text)
    assert issue.file == "cfg.yaml"
    assert issue.line <= 2
    assert "mapping" in issue.message


def test_a_section_of_the_wrong_type_is_reported_at_its_value() -> None:
    section = "cloudwatch_logs:\n  log_group_name: /aws/cloudtrail/org\n  retention_in_days: 365\n"
    (issue,) = errors(edit(section, "cloudwatch_logs: [a]\n"))
    assert where(issue)[:2] == (11, 18)
    assert issue.path == "cloudwatch_logs"


# ---------------------------------------------------------------- reading the file


def test_load_config_names_the_file_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "org.yaml").write_text(edit("  id: o-a1b2c3d4e5\n", "  id: x\n"))
    with pytest.raises(ConfigError) as caught:
        load_config(Path("configs/org.yaml"))
    assert str(caught.value).startswith("configs/org.yaml:2:7: organization.id: ")


def test_load_config_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_config(path).trail.name == "org-trail"


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_file_is_an_error_without_an_invented_position(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "org.yaml"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(UserError) as caught:
        load_config(path)
    reason = "Is a directory" if kind == "directory" else "No such file or directory"
    assert str(caught.value) == f"{path}: cannot read: {reason}"


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes(VALID.encode("utf-8").replace(b"security", b"s\xe9curit\xe9"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (issue,) = caught.value.issues
    assert issue.file == str(path)
    assert "UTF-8" in issue.message
    # placed at the first byte that is not UTF-8 (the "s\xe9curit\xe9" tag value)
    line = next(i for i, text in enumerate(VALID.splitlines(), 1) if "security" in text)
    assert (issue.line, issue.column) == (line, VALID.splitlines()[line - 1].index("security") + 2)


def test_utf8_file_with_non_ascii_values_loads(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(edit("  Team: platform\n", "  Team: S\u00e9curit\u00e9\n"), encoding="utf-8")
    assert load_config(path).tags["Team"] == "S\u00e9curit\u00e9"


# ---------------------------------------------------------------- messages that say how to fix it


@pytest.mark.parametrize(
    ("old", "new", "path", "suggestion"),
    [
        ("trail:\n", "trial: {}\ntrail:\n", "trial", "trail"),
        (
            "  home_region: us-east-1\n",
            "  home_region: us-east-1\n  home_regoin: x\n",
            "trail.home_regoin",
            "home_region",
        ),
        (
            "  log_group_name: /aws/cloudtrail/org\n",
            "  log_group_name: /aws/cloudtrail/org\n  retention_days: 30\n",
            "cloudwatch_logs.retention_days",
            "retention_in_days",
        ),
        (
            "  name: example-org-cloudtrail-logs\n",
            "  name: example-org-cloudtrail-logs\n  lifecycle: {transitions: [{dayz: 1, storage_class: GLACIER}]}\n",
            "bucket.lifecycle.transitions[0].dayz",
            "days",
        ),
    ],
)
def test_unknown_key_suggests_the_nearest_key_of_its_section(
    old: str, new: str, path: str, suggestion: str
) -> None:
    issues = [i for i in errors(edit(old, new)) if i.path == path]
    assert [i.message for i in issues] == [f"unknown key; did you mean {suggestion!r}?"]


def test_unknown_key_without_a_near_match_lists_the_keys_of_its_section() -> None:
    (issue,) = errors(edit("  Team: platform\n", "  Team: platform\nzzz: 1\n"))
    assert issue.path == "zzz"
    assert issue.message.startswith("unknown key; the top level takes: organization, trail, bucket")


@pytest.mark.parametrize(
    ("section", "value", "kind"),
    [
        ("organization", "5", "a number"),
        ("trail", "org-trail", "a string"),
        ("bucket", "[a, b]", "a list"),
        ("kms", "true", "true/false"),
        ("cloudwatch_logs", "x", "a string"),
    ],
)
def test_a_section_given_a_scalar_says_so_without_internal_class_names(
    section: str, value: str, kind: str
) -> None:
    from generator.sections.registry import Config

    data = yaml.safe_load(VALID)
    data[section] = yaml.safe_load(value)
    text = yaml.safe_dump(data, sort_keys=False)
    (issue,) = [i for i in errors(text) if i.path == section]
    assert issue.message == f"must be a section of `key: value` lines indented below it, not {kind}"
    model_names = {
        type_.__name__
        for field in Config.model_fields.values()
        for type_ in (field.annotation, *getattr(field.annotation, "__args__", ()))
        if isinstance(type_, type)
    }
    assert not any(name in issue.message for name in model_names | {"instance", "dictionary"})


def test_a_bucket_name_with_uppercase_letters_says_so() -> None:
    text = edit("  name: example-org-cloudtrail-logs\n", "  name: Example-Org-Logs\n")
    (issue,) = errors(text)
    assert issue.path == "bucket.name"
    assert issue.message == (
        "'Example-Org-Logs' has uppercase letters; S3 bucket names are lowercase "
        "('example-org-logs')"
    )
    (issue,) = errors(edit("  name: example-org-cloudtrail-logs\n", "  name: A..B\n"))
    assert "uppercase" in issue.message
