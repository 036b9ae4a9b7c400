"""YAML reading: every key and value keeps its 1-based line:column, and every YAML problem a
user can make becomes a ConfigError that names the file and the place, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError, ConfigIssue
from generator.sections.registry import load_config

ROOT = Path(__file__).resolve().parents[2]

NESTED = """\
# a comment line
organization:
  id: o-a1b2c3d4e5
  trusted_access:
    service_access_principals:
      - cloudtrail.amazonaws.com
      -   sso.amazonaws.com
trail:
  regions: [us-east-1, eu-west-1]
  name: "org-trail"
"""


def _error(text: str, file: str = "cfg.yaml") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_yaml(text, file)
    return caught.value


def _only_issue(text: str) -> ConfigIssue:
    error = _error(text)
    assert len(error.issues) == 1, error.issues
    return error.issues[0]


def test_data_is_plain_python() -> None:
    located = load_yaml(NESTED, "cfg.yaml")
    assert located.data == {
        "organization": {
            "id": "o-a1b2c3d4e5",
            "trusted_access": {
                "service_access_principals": ["cloudtrail.amazonaws.com", "sso.amazonaws.com"]
            },
        },
        "trail": {"regions": ["us-east-1", "eu-west-1"], "name": "org-trail"},
    }
    assert located.file == "cfg.yaml"


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        (("organization",), True, (2, 1)),
        (("organization", "id"), True, (3, 3)),
        (("organization", "id"), False, (3, 7)),
        (("organization", "trusted_access", "service_access_principals"), True, (5, 5)),
        # a block sequence starts at its first dash; each item at its own first character
        (("organization", "trusted_access", "service_access_principals"), False, (6, 7)),
        (("organization", "trusted_access", "service_access_principals", 0), False, (6, 9)),
        (("organization", "trusted_access", "service_access_principals", 1), False, (7, 11)),
        (("trail", "regions"), False, (9, 12)),
        (("trail", "regions", 0), False, (9, 13)),
        (("trail", "regions", 1), False, (9, 24)),
        # a quoted scalar starts at its opening quote
        (("trail", "name"), False, (10, 9)),
        (("trail", "name"), True, (10, 3)),
    ],
)
def test_positions_are_one_based_line_and_column(
    path: tuple[str | int, ...], key: bool, expected: tuple[int, int]
) -> None:
    assert load_yaml(NESTED, "cfg.yaml").position(path, key=key) == expected


def test_position_of_an_absent_path_falls_back_to_its_nearest_ancestor() -> None:
    located = load_yaml(NESTED, "cfg.yaml")
    assert located.position(("trail", "home_region")) == located.position(("trail",))
    assert located.position(("trail", "regions", 7)) == (9, 12)


def test_issue_formats_list_indices_in_brackets() -> None:
    located = load_yaml(NESTED, "cfg.yaml")
    issue = located.issue(("trail", "regions", 1), "bad")
    assert str(issue) == "cfg.yaml:9:24: trail.regions[1]: bad"


def test_crlf_line_endings_do_not_shift_positions() -> None:
    located = load_yaml(NESTED.replace("\n", "\r\n"), "cfg.yaml")
    assert located.position(("trail", "name")) == (10, 9)


def test_duplicate_top_level_key_is_rejected_at_the_second_occurrence() -> None:
    issue = _only_issue("a: 1\nb: 2\na: 3\n")
    assert (issue.file, issue.line, issue.column, issue.path) == ("cfg.yaml", 3, 1, "a")
    assert "duplicate key 'a'" in issue.message


def test_duplicate_nested_key_is_rejected_with_its_path() -> None:
    issue = _only_issue("trail:\n  name: x\n  home_region: y\n  name: z\n")
    assert (issue.line, issue.column, issue.path) == (4, 3, "trail.name")
    assert "duplicate" in issue.message


def test_every_duplicate_is_reported_together() -> None:
    error = _error("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    assert [(i.line, i.path) for i in error.issues] == [(2, "a"), (5, "b.c")]


def test_duplicate_keys_in_flow_mapping_are_rejected() -> None:
    issue = _only_issue("tags: {Owner: a, Owner: b}\n")
    assert (issue.line, issue.column, issue.path) == (1, 18, "tags.Owner")


def test_duplicate_key_inside_a_list_item_uses_bracket_path() -> None:
    issue = _only_issue("a:\n  - b: 1\n    b: 2\n")
    assert issue.path == "a[0].b"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: [1,\n", 1, 4),  # unclosed flow sequence: at its '['
        ("a: b: c\n", 1, 5),  # mapping value in a plain scalar
        ("a: 1\n  b: 2\n", 2, 4),  # bad indentation
        ("a:\n\tb: 1\n", 2, 1),  # tab indentation
        ("a: 'unterminated\n", 1, 4),  # at the quote that is never closed
        ("a: *nowhere\n", 1, 4),  # undefined alias
        ("a: 1\n---\nb: 2\n", 2, 1),  # two documents
    ],
)
def test_syntax_errors_become_located_config_errors(text: str, line: int, column: int) -> None:
    issue = _only_issue(text)
    assert (issue.file, issue.line, issue.column) == ("cfg.yaml", line, column)
    assert issue.message.startswith("YAML")
    text_shown = str(issue)
    assert text_shown.startswith(f"cfg.yaml:{line}:{column}: YAML")
    assert "Traceback" not in text_shown
    assert "\n" not in text_shown


@pytest.mark.parametrize("text", ["", "\n\n", "  \r\n"])
def test_empty_file_is_a_config_error(text: str) -> None:
    issue = _only_issue(text)
    assert (issue.line, issue.column) == (1, 1)
    assert "empty" in issue.message
    assert "configs/example.yaml" in issue.message, "where a config can start from"


@pytest.mark.parametrize(
    "text",
    [
        "# only a comment\n",
        "# yaml-language-server: $schema=./schema.json\n\n# organization:\n#   id: o-x\n",
        "\ufeff# a comment after a byte order mark\n  # and an indented one\n",
    ],
)
def test_a_file_of_comments_only_has_no_settings_and_says_where_to_start(text: str) -> None:
    """A commented-out template is not "empty" to whoever looks at it: say what it lacks."""
    issue = _only_issue(text)
    assert (issue.line, issue.column) == (1, 1)
    assert "empty" not in issue.message
    assert "no settings" in issue.message and "comments" in issue.message
    assert "configs/example.yaml" in issue.message


def test_merge_keys_are_refused_where_they_stand() -> None:
    issue = _only_issue("base: &b {id: o-a1b2c3d4e5}\norganization:\n  <<: *b\n")
    assert (issue.line, issue.column) == (3, 3)
    assert "merge" in issue.message


def test_merge_keys_are_refused_with_a_plain_message() -> None:
    issue = _only_issue("base: &b {id: x}\norganization:\n  <<: *b\n")
    assert "merge keys (<<) are not supported" in issue.message


def test_python_tags_are_refused_not_executed() -> None:
    issue = _only_issue("a: !!python/name:os.system\n")
    assert (issue.line, issue.column) == (1, 4)
    # a tag on a collection is ignored: the data stays plain lists/dicts/strings
    data = load_yaml("a: !!python/object/apply:os.system [echo hi]\n", "cfg.yaml").data
    assert data == {"a": ["echo hi"]}


@pytest.mark.parametrize("value", ["!!int xx", "!!float xx", "!!timestamp xx"])
def test_bad_explicitly_tagged_scalar_is_a_located_config_error(value: str) -> None:
    issue = _only_issue(f"trail:\n  name: {value}\n")
    assert (issue.line, issue.column) == (2, 9)


def test_control_character_is_reported_on_its_own_line() -> None:
    issue = _only_issue("a: 1\nb: 2\nc: x\x07y\n")
    assert issue.line == 3
    assert "\n" not in str(issue)


def test_keys_are_the_names_as_written() -> None:
    # so that "unknown key" can name them instead of failing on a non-str key, and so that a
    # key YAML 1.1 reads as a boolean (cost.measured.on) is the key the user wrote
    data = load_yaml("1: a\ntrue: b\non: c\nno: d\nnull: e\n", "cfg.yaml").data
    assert data == {"1": "a", "true": "b", "on": "c", "no": "d", "null": "e"}


def test_a_cost_measured_on_key_is_read_as_on(tmp_path: Path) -> None:
    # `on:` was read as True: cost.measured could not be written at all (docs/cost.md's example)
    config = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    path = tmp_path / "measured.yaml"
    path.write_text(
        config + 'cost:\n  measured:\n    on: "2026-12-01"\n    bucket_standard_bytes: 5\n',
        encoding="utf-8",
    )
    cost = load_config(path).cost
    assert cost is not None and cost.measured is not None
    assert cost.measured.on == "2026-12-01" and cost.measured.bucket_standard_bytes == 5


def test_yaml_scalar_types_are_kept_for_strict_validation() -> None:
    data = load_yaml("a: 011\nb: '011'\nc: yes\nd: 1.5\ne: null\n", "cfg.yaml").data
    assert data == {"a": 9, "b": "011", "c": True, "d": 1.5, "e": None}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "organization: &a\n  id: *a\n"])
def test_recursive_alias_is_a_located_config_error(text: str) -> None:
    issue = _only_issue(text)
    assert issue.line in (1, 2)


def test_alias_bomb_is_refused_quickly() -> None:
    """Aliases are expanded while reading; an exponential document must stop with a message."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ConfigError, match="more than"):
        load_yaml("\n".join(lines) + "\n", "bomb.yaml")


@pytest.mark.parametrize(
    ("text", "line", "explanation"),
    [
        # a key indented deeper than its siblings
        ("trail:\n  name: x\n    home_region: y\n", 3, "indented deeper than the keys above it"),
        # a key indented less than its siblings
        (
            "trail:\n    name: x\n  home_region: y\n",
            3,
            "indented differently from the keys above it",
        ),
        # a key after list items, at the items' indentation
        ("trail:\n  regions:\n    - a\n    name: x\n", 4, "a key among list items"),
        ("trail:\n\tname: x\n", 2, "YAML indents with spaces only"),
    ],
)
def test_indentation_errors_are_explained(text: str, line: int, explanation: str | None) -> None:
    issue = _only_issue(text)
    assert issue.line == line
    assert issue.message.startswith("YAML syntax: ")
    if explanation:
        assert explanation in issue.message
    assert "(PyYAML: " in issue.message, "PyYAML's own words stay, after the explanation"


# ---------------------------------------------------------------- the place of a syntax error

EXAMPLE = (Path(__file__).resolve().parents[2] / "configs" / "example.yaml").read_text(
    encoding="utf-8"
)


def _place(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based line and column of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _break(needle: str, broken: str) -> str:
    assert EXAMPLE.count(needle) == 1, needle
    return EXAMPLE.replace(needle, broken)


@pytest.mark.parametrize(
    ("text", "mistake", "offset", "explanation"),
    [
        # an unclosed '[' followed by the next key of its section
        (
            _break("[us-east-1, eu-west-1]", "[us-east-1, eu-west-1"),
            "[us-east-1",
            0,
            "'[' is never closed",
        ),
        # an unclosed '[' on the last line of the file
        (EXAMPLE + "extra: [a, b,\n", "[a, b,", 0, "'[' is never closed"),
        (EXAMPLE + "extra: {a: 1\n", "{a: 1", 0, "'{' is never closed"),
        # a nested key without its ':' (the user study's `kms`), and a top-level one
        (
            _break("  home_region: us-east-1\n", "  home_region us-east-1\n"),
            "  home_region",
            2,
            "without ':'",
        ),
        (_break("cloudwatch_logs:\n", "cloudwatch_logs\n"), "cloudwatch_logs", 0, "without ':'"),
        # an unclosed quote
        (
            _break('management_account_id: "111111111111"', 'management_account_id: "1111'),
            '"1111',
            0,
            'quote (") is never closed',
        ),
    ],
    ids=["unclosed-list", "unclosed-list-at-end", "unclosed-mapping", "nested-key", "key", "quote"],
)
def test_a_syntax_error_is_located_at_the_mistake_not_the_line_after(
    text: str, mistake: str, offset: int, explanation: str
) -> None:
    """PyYAML notices these on the next line; the user must be sent to the line to change."""
    issue = _only_issue(text)
    assert (issue.line, issue.column) == _place(text, mistake, offset), str(issue)
    assert explanation in issue.message
    assert "(PyYAML: " in issue.message, "PyYAML's own words stay, after the explanation"


def test_an_error_inside_a_list_spread_over_lines_keeps_its_own_place() -> None:
    """Only an opener left open is the mistake; an error on a line of the list is its own."""
    text = "trail:\n  regions: [\n    us-east-1,\n    eu-west-1: a: b,\n  ]\n"
    issue = _only_issue(text)
    assert issue.line == _place(text, "eu-west-1")[0]
    assert "never closed" not in issue.message
