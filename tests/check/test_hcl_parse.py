"""The re-parser: shape normalisation, and the grammar cache on a read-only install."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import SESSION_CACHE_HOME, USER_CACHE_HOME
from hcl2 import parser as hcl2_parser

from generator.check import hcl_parse
from generator.check.hcl_parse import (
    ParsedModule,
    decode_string,
    expression,
    has_interpolation,
    literal,
)
from generator.core.errors import PreflightError

TEXT = """
resource "aws_s3_bucket" "logs" {
  bucket = "a\\"b$${c}"
  tags   = { "K" = "V" }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket     = aws_s3_bucket.logs.id
  depends_on = [aws_s3_bucket.logs]
}
"""


def test_blocks_are_addressed_and_values_decoded() -> None:
    module = ParsedModule.parse({"s3.tf": TEXT})
    bucket = module.get("aws_s3_bucket.logs")
    assert bucket is not None and bucket.file == "s3.tf"
    assert literal(bucket.body["bucket"]) == 'a"b${c}'
    policy = module.get("aws_s3_bucket_policy.logs")
    assert policy is not None
    assert expression(policy.body["bucket"]) == "aws_s3_bucket.logs.id"
    assert module.resolve(policy.body["bucket"], "id") is bucket


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(PreflightError, match=r"broken\.tf:3:"):
        ParsedModule.parse({"broken.tf": 'resource "a" "b" {\n  x = 1\n  = 2\n}\n'})


def test_decode_string_handles_every_escape() -> None:
    assert decode_string('"\\n\\t\\r\\\\\\"\\u00e9\\U0001F600$${x}%%{y}"') == (
        '\n\t\r\\"é😀${x}%{y}'
    )


def _clear_caches() -> None:
    """Forget the in-process grammar and parse-cache folder, so XDG_CACHE_HOME is read again."""
    hcl_parse._parser.cache_clear()
    hcl_parse._parse_cache_dir.cache_clear()


def test_a_parse_is_kept_by_its_text_and_a_broken_entry_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _clear_caches()
    try:
        fresh = hcl_parse.parse_text(TEXT, "s3.tf")
        (entry,) = (tmp_path / "orgtrail-gen").glob("parsed-*/*.json")
        assert hcl_parse.parse_text(TEXT, "s3.tf") == fresh
        entry.write_text("{not json", encoding="utf-8")
        assert hcl_parse.parse_text(TEXT, "s3.tf") == fresh, "a broken entry is parsed again"
        with pytest.raises(PreflightError):
            hcl_parse.parse_text(TEXT + "\nresource {{{\n", "s3.tf")
        assert len(list((tmp_path / "orgtrail-gen").glob("parsed-*/*.json"))) == 1
    finally:
        _clear_caches()


def test_grammar_is_cached_in_the_user_cache_not_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ~2 s grammar build happens once per user, even where site-packages is read-only."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    package_cache = tmp_path / "site-packages" / "hcl2" / ".lark_cache.bin"
    monkeypatch.setattr(hcl2_parser, "PARSER_FILE", package_cache)
    _clear_caches()
    try:
        ParsedModule.parse({"s3.tf": TEXT})
        cached = list((tmp_path / "orgtrail-gen").glob("*.grammar.bin"))
        assert len(cached) == 1 and cached[0].stat().st_size > 10_000
        stamp = cached[0].stat().st_mtime_ns
        _clear_caches()
        ParsedModule.parse({"s3.tf": TEXT})  # a second run loads it rather than rebuilding
        assert cached[0].stat().st_mtime_ns == stamp
        assert not package_cache.exists()
    finally:
        _clear_caches()


def _kept_in(cache_home: Path, text: str) -> list[Path]:
    """The parse results of ``text`` under ``cache_home``'s orgtrail-gen folder."""
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return list((cache_home / "orgtrail-gen").glob(f"parsed-*/{key}.json"))


def test_the_suite_keeps_its_parse_results_out_of_the_users_cache() -> None:
    """In-process and in a subprocess (as the CLI tests and real-Terraform runs spawn them).

    Each text is new (a UUID in a comment), so its result can only have been written by this
    test; looking for that one file, not comparing listings, stays true while another checkout
    on the same machine fills the user's cache.
    """
    in_process = f"# {uuid.uuid4()}\n{TEXT}"
    hcl_parse.parse_text(in_process, "s3.tf")
    in_child = f"# {uuid.uuid4()}\n{TEXT}"
    subprocess.run(
        [sys.executable, "-c", "import sys; from generator.check.hcl_parse import parse_text; "
         "parse_text(sys.stdin.read(), 's3.tf')"],
        input=in_child, text=True, check=True, env=dict(os.environ),
    )  # fmt: skip
    for text in (in_process, in_child):
        assert len(_kept_in(SESSION_CACHE_HOME, text)) == 1, "kept in the session's folder"
        assert _kept_in(USER_CACHE_HOME, text) == [], f"written into {USER_CACHE_HOME}"


def test_parsing_works_without_a_writable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    _clear_caches()
    try:
        module = ParsedModule.parse({"s3.tf": TEXT})
        assert module.get("aws_s3_bucket.logs") is not None
    finally:
        _clear_caches()


def test_main_job_does_not_import_boto3(tmp_path: Path) -> None:
    """boto3 is for discover/verify only; the main job must never pay for importing it."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    probe = (
        "import sys; from generator.cli import main; "
        f"code = main([{str(root / 'configs' / 'example.yaml')!r}, '--output-dir', "
        f"{str(tmp_path)!r}]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "example" / "cloudtrail.tf").is_file()


@pytest.mark.parametrize(
    ("raw", "live"),
    [
        ('"plain"', False),
        ('"${var.x}"', True),
        ('"a-%{if true}b%{endif}"', True),
        ('"$${var.x}"', False),
        ('"%%{x}"', False),
        ('"\\\\${x}"', True),
        ('"$ {x} % {y}"', False),
    ],
)
def test_has_interpolation_sees_only_live_sequences(raw: str, live: bool) -> None:
    assert has_interpolation(raw) is live


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"plain"', "plain"),
        ('""', ""),
        ('"a\\nb\\t\\"c\\\\"', 'a\nb\t"c\\'),
        ('"$${x} %%{y}"', "${x} %{y}"),
        ('"\\u007b \\U0001F600"', "{ \U0001f600"),
    ],
)
def test_decode_string_undoes_every_escape_and_nothing_else(raw: str, value: str) -> None:
    assert decode_string(raw) == value


def test_an_entry_of_another_parse_format_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries are keyed by the text and the parser's versions only; a build of orgtrail-gen
    that shapes results otherwise (other transform options) must raise _PARSE_FORMAT, and its
    entries are then never read as this build's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _clear_caches()
    try:
        fresh = hcl_parse.parse_text(TEXT, "s3.tf")
        (entry,) = _kept_in(tmp_path, TEXT)
        entry.write_text('{"resource": []}', encoding="utf-8")  # another build's shape
        assert hcl_parse.parse_text(TEXT, "s3.tf") == {"resource": []}  # same format: read
        monkeypatch.setattr(hcl_parse, "_PARSE_FORMAT", hcl_parse._PARSE_FORMAT + 1)
        _clear_caches()
        assert hcl_parse.parse_text(TEXT, "s3.tf") == fresh
        assert len(_kept_in(tmp_path, TEXT)) == 2
    finally:
        _clear_caches()
