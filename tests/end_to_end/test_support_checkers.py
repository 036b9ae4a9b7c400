"""The test-side checkers catch what they claim, on tiny hand-written modules."""

import json
import os
from pathlib import Path

import pytest
from support.checkov import (
    CheckovError,
    checkov_executable,
    checkov_or_skip,
    parse_report,
    run_checkov,
    split_by_folder,
)
from support.policies import (
    PolicyConversionError,
    parliament_findings,
    policy_documents,
    unexpected_findings,
)
from support.provider_schema import SUBSET_PATH, schema_violations
from support.regen_provider_schema_subset import TYPES
from support.terraform import TerraformFmtError, fmt_diff, load_diagnostics

DATA = Path(__file__).parents[1] / "data"

BUCKET = """\
resource "aws_s3_bucket" "logs" {
  bucket = "acme-org-trail-logs"
}
"""


def write_module(directory: Path, **files: str) -> Path:
    """Write ``name=text`` pairs as ``name.tf`` files into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.tf").write_text(text, encoding="utf-8")
    return directory


def documented_policy(name: str) -> dict:
    return json.loads((DATA / "aws-documented-policies.json").read_text())[name]


# --- Terraform's loader and fmt ---------------------------------------------------------


def test_load_diagnostics_is_empty_for_a_clean_module(tmp_path: Path) -> None:
    assert load_diagnostics(write_module(tmp_path, main=BUCKET)) == []


def test_load_diagnostics_reports_a_duplicate_resource(tmp_path: Path) -> None:
    module = write_module(tmp_path, main=BUCKET, other=BUCKET)

    [diagnostic] = load_diagnostics(module)

    assert diagnostic.startswith('other.tf:1,1: error: Duplicate resource "aws_s3_bucket"')


def test_load_diagnostics_reports_warnings_too(tmp_path: Path) -> None:
    text = BUCKET.replace("\n}", '\n  depends_on = ["aws_kms_key.trail"]\n}')

    [diagnostic] = load_diagnostics(write_module(tmp_path, main=text))

    assert diagnostic.startswith("main.tf:3,17: warning: Quoted references are deprecated")


def test_load_diagnostics_reports_a_bad_lifecycle_key(tmp_path: Path) -> None:
    text = BUCKET.replace("\n}", "\n  lifecycle {\n    prevent_destroyy = true\n  }\n}")

    [diagnostic] = load_diagnostics(write_module(tmp_path, main=text))

    assert diagnostic.startswith("main.tf:4,5: error: Unsupported argument")


def test_load_diagnostics_reports_a_syntax_error(tmp_path: Path) -> None:
    text = BUCKET.replace('"acme-org-trail-logs"', '"acme-org-trail-logs')

    diagnostics = load_diagnostics(write_module(tmp_path, main=text))

    assert any("error: Unterminated template string" in item for item in diagnostics)


def test_checkers_refuse_a_directory_without_tf_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no \*\.tf files"):
        load_diagnostics(tmp_path)
    with pytest.raises(FileNotFoundError):
        schema_violations(tmp_path)


def test_fmt_diff_shows_misaligned_equals_and_leaves_the_file_alone(tmp_path: Path) -> None:
    text = BUCKET.replace("\n}", "\n  force_destroy = false\n}")
    module = write_module(tmp_path, main=text)

    diff = fmt_diff(module)

    assert '-  bucket = "acme-org-trail-logs"' in diff
    assert '+  bucket        = "acme-org-trail-logs"' in diff
    assert (module / "main.tf").read_text() == text


def test_fmt_diff_is_empty_for_formatted_files(tmp_path: Path) -> None:
    assert fmt_diff(write_module(tmp_path, main=BUCKET)) == ""


def test_fmt_diff_raises_on_a_syntax_error(tmp_path: Path) -> None:
    module = write_module(tmp_path, main='resource "aws_s3_bucket" "logs" {\n  bucket = "x\n}\n')

    with pytest.raises(TerraformFmtError, match="Invalid multi-line string"):
        fmt_diff(module)


def test_fmt_diff_restores_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", "/nonexistent/terraformrc")

    fmt_diff(write_module(tmp_path, main=BUCKET))

    assert os.environ["TF_CLI_CONFIG_FILE"] == "/nonexistent/terraformrc"


# --- provider schema --------------------------------------------------------------------

TRAIL = """\
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Project = "org-trail" }
  }
}

resource "aws_cloudtrail" "org" {
  # comments are not arguments
  name                  = "org-trail"
  s3_bucket_name        = "acme-org-trail-logs"
  is_organization_trail = true
  depends_on            = [aws_s3_bucket.logs]

  event_selector {
    read_write_type = "All"
  }
  dynamic "advanced_event_selector" {
    for_each = ["Management"]
    content {
      name = "all management events"
      field_selector {
        field  = "eventCategory"
        equals = [advanced_event_selector.value]
      }
    }
  }
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = "acme-org-trail-logs"
  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_partition" "current" {}
"""


def violations_in(tmp_path: Path, text: str) -> list[str]:
    return schema_violations(write_module(tmp_path, main=text))


def test_schema_accepts_a_valid_module_with_meta_arguments_and_dynamic_blocks(
    tmp_path: Path,
) -> None:
    assert violations_in(tmp_path, TRAIL) == []


def test_schema_reports_an_unknown_argument(tmp_path: Path) -> None:
    text = TRAIL.replace("is_organization_trail", "is_organisation_trail")

    assert violations_in(tmp_path, text) == [
        'main.tf: resource aws_cloudtrail.org: unknown argument "is_organisation_trail"'
    ]


def test_schema_reports_a_missing_required_argument(tmp_path: Path) -> None:
    text = TRAIL.replace('  s3_bucket_name        = "acme-org-trail-logs"\n', "")

    assert violations_in(tmp_path, text) == [
        'main.tf: resource aws_cloudtrail.org: missing required argument "s3_bucket_name"'
    ]


def test_schema_reports_a_missing_required_block(tmp_path: Path) -> None:
    text = TRAIL.replace('  versioning_configuration {\n    status = "Enabled"\n  }\n', "")

    assert violations_in(tmp_path, text) == [
        "main.tf: resource aws_s3_bucket_versioning.logs: missing required block "
        '"versioning_configuration"'
    ]


def test_schema_reports_an_argument_written_as_a_block(tmp_path: Path) -> None:
    text = TRAIL.replace("  is_organization_trail = true\n", "  tags {\n    a = 1\n  }\n")

    assert violations_in(tmp_path, text) == [
        'main.tf: resource aws_cloudtrail.org: "tags" is an argument: write tags = …, not tags '
        "{ … }"
    ]


def test_schema_reports_a_block_written_as_an_argument(tmp_path: Path) -> None:
    text = TRAIL.replace(
        '  event_selector {\n    read_write_type = "All"\n  }', "  event_selector = []"
    )

    assert violations_in(tmp_path, text) == [
        'main.tf: resource aws_cloudtrail.org: "event_selector" is a block: write event_selector '
        "{ … }, not event_selector = …"
    ]


def test_schema_checks_nested_and_dynamic_blocks(tmp_path: Path) -> None:
    text = TRAIL.replace("equals = [", "equalz = [").replace('read_write_type = "All"', "x = 1")

    assert violations_in(tmp_path, text) == [
        'main.tf: resource aws_cloudtrail.org: event_selector: unknown argument "x"',
        "main.tf: resource aws_cloudtrail.org: dynamic: advanced_event_selector: field_selector: "
        'unknown argument "equalz"',
    ]


def test_schema_reports_a_dynamic_block_naming_no_block(tmp_path: Path) -> None:
    text = TRAIL.replace('dynamic "advanced_event_selector"', 'dynamic "advanced_selector"')

    assert violations_in(tmp_path, text) == [
        'main.tf: resource aws_cloudtrail.org: dynamic "advanced_selector" names no block of '
        "this type"
    ]


def test_schema_reports_a_single_block_repeated(tmp_path: Path) -> None:
    block = '  versioning_configuration {\n    status = "Enabled"\n  }\n'

    violations = violations_in(tmp_path, TRAIL.replace(block, block + block))

    assert violations == [
        'main.tf: resource aws_s3_bucket_versioning.logs: block "versioning_configuration" '
        "may appear only once, found 2"
    ]


def test_schema_checks_provider_and_data_blocks(tmp_path: Path) -> None:
    text = TRAIL.replace("  region = ", "  regio = ").replace(
        'data "aws_partition" "current" {}', 'data "aws_partition" "current" {\n  foo = 1\n}'
    )

    assert violations_in(tmp_path, text) == [
        'main.tf: data aws_partition.current: unknown argument "foo"',
        'main.tf: provider aws: unknown argument "regio"',
    ]


def test_schema_reports_a_type_missing_from_the_subset(tmp_path: Path) -> None:
    [violation] = violations_in(tmp_path, 'resource "aws_lambda_function" "f" {}\n')

    assert violation.startswith(
        "main.tf: resource aws_lambda_function.f: type aws_lambda_function not in "
        "generator/rehearse/aws-provider-schema-subset.json"
    )
    assert "regen_provider_schema_subset.py" in violation


def test_schema_reports_an_unparseable_file(tmp_path: Path) -> None:
    [violation] = violations_in(tmp_path, 'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n')

    assert violation.startswith("cannot parse main.tf:2:12: Unexpected token")


def test_schema_subset_holds_exactly_the_listed_types() -> None:
    subset = json.loads(SUBSET_PATH.read_text())

    assert set(subset) == {*TYPES, "_source"}
    assert "hashicorp/aws 6.66.0" in subset["_source"]


# --- policy documents and parliament ----------------------------------------------------

POLICY = r"""
data "aws_partition" "current" {}

data "aws_iam_policy_document" "bucket" {
  policy_id = "TrailBucket"

  statement {
    sid       = "AWSCloudTrailWrite20150319"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail_logs.arn}/AWSLogs/111111111111/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values = [
        "arn:${data.aws_partition.current.partition}:cloudtrail:us-east-1:111111111111:trail/org",
      ]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudtrail:us-east-1:111111111111:trail/other"]
    }
  }

  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::b"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }

  statement {
    sid         = "Escapes"
    not_actions = ["s3:DeleteObject", "s3:DeleteBucket"]
    resources = [
      "arn:aws:s3:::b/home/&{aws:username}/*",
      "arn:aws:s3:::b/$${x}/%%{y}/\u00e9\t\"q\"\\",
    ]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root", "222222222222"]
    }
    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }
  }
}
"""

EXPECTED_POLICY = {
    "Version": "2012-10-17",
    "Id": "TrailBucket",
    "Statement": [
        {
            "Sid": "AWSCloudTrailWrite20150319",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::placeholder-trail-logs/AWSLogs/111111111111/*",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": [
                        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org",
                        "arn:aws:cloudtrail:us-east-1:111111111111:trail/other",
                    ],
                }
            },
        },
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
            "Principal": "*",
        },
        {
            "Sid": "Escapes",
            "Effect": "Allow",
            "NotAction": ["s3:DeleteObject", "s3:DeleteBucket"],
            "Resource": [
                "arn:aws:s3:::b/home/${aws:username}/*",
                'arn:aws:s3:::b/${x}/%{y}/\u00e9\t"q"\\',
            ],
            "Principal": {
                "AWS": ["arn:aws:iam::111111111111:root", "222222222222"],
                "Service": "logs.amazonaws.com",
            },
        },
    ],
}


def test_policy_document_converts_to_the_exact_json(tmp_path: Path) -> None:
    documents = policy_documents(write_module(tmp_path, main=POLICY))

    assert documents == {"data.aws_iam_policy_document.bucket": EXPECTED_POLICY}


def test_policy_document_refuses_references_when_placeholders_are_off(tmp_path: Path) -> None:
    module = write_module(tmp_path, main=POLICY)

    with pytest.raises(PolicyConversionError, match=r"statement\[0\]\.resources: cannot resolve"):
        policy_documents(module, placeholders={})


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("resources = [var.bucket_arn]", r"cannot resolve \$\{var\.bucket_arn\}"),
        ('resources = ["${local.arn}/*"]', r"cannot resolve \$\{local\.arn\}"),
        ("resources = var.arns", "expected a list of strings"),
        ('sid = "Not-Alphanumeric"', "Terraform allows only"),
        ('effect = "allow"', "must be Allow or Deny"),
        ('dynamic "principals" {\n for_each = []\n content {}\n }', "not supported.*dynamic"),
    ],
)
def test_policy_document_refuses_what_it_cannot_render(
    tmp_path: Path, statement: str, message: str
) -> None:
    text = (
        'data "aws_iam_policy_document" "p" {\n  statement {\n    actions = ["s3:GetObject"]\n'
        f"    {statement}\n  }}\n}}\n"
    )

    with pytest.raises(PolicyConversionError, match=message):
        policy_documents(write_module(tmp_path, main=text))


def test_policy_document_refuses_duplicate_sids(tmp_path: Path) -> None:
    statement = '  statement {\n    sid     = "A"\n    actions = ["s3:GetObject"]\n  }\n'
    text = f'data "aws_iam_policy_document" "p" {{\n{statement}{statement}}}\n'

    with pytest.raises(PolicyConversionError, match="duplicate Sid A"):
        policy_documents(write_module(tmp_path, main=text))


def test_policy_document_puts_a_literal_jsonencode_source_first(tmp_path: Path) -> None:
    """The provider merges source documents first; a statement block with a Sid replaces one."""
    text = """data "aws_iam_policy_document" "p" {
  source_policy_documents = [jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Console-1"
        Effect    = "Allow"
        Action    = "s3:GetBucketAcl"
        Resource  = "arn:aws:s3:::b"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Condition = { StringEquals = { "AWS:SourceArn" = "a\\"b" } }
      },
      { Sid = "Ours", Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::b/*" },
    ]
  })]

  statement {
    sid       = "Ours"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::b"]
  }
}
"""
    (document,) = policy_documents(write_module(tmp_path, main=text), placeholders={}).values()
    assert document["Statement"] == [
        {
            "Sid": "Console-1",
            "Effect": "Allow",
            "Action": "s3:GetBucketAcl",
            "Resource": "arn:aws:s3:::b",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Condition": {"StringEquals": {"AWS:SourceArn": 'a"b'}},
        },
        {"Sid": "Ours", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
    ]


def test_policy_document_refuses_a_source_it_cannot_read(tmp_path: Path) -> None:
    text = (
        'data "aws_iam_policy_document" "p" {\n'
        "  source_policy_documents = [data.aws_s3_bucket_policy.live.policy]\n}\n"
    )
    with pytest.raises(PolicyConversionError, match="not a literal jsonencode"):
        policy_documents(write_module(tmp_path, main=text), placeholders={})


def test_parliament_flags_an_unknown_action() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObjectz", "Resource": "*"}],
    }

    assert parliament_findings(policy) == [
        "UNKNOWN_ACTION [LOW] Unknown action s3:PutObjectz — Statement[0]"
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("bucket_policy", "bucket_policy"), ("cloudwatch_logs_role_policy", "identity_policy")],
)
def test_parliament_is_silent_on_correct_aws_policies(name: str, kind: str) -> None:
    assert parliament_findings(documented_policy(name)) == []
    assert unexpected_findings(documented_policy(name), kind) == []


def test_parliament_reports_resource_star_in_a_correct_key_policy() -> None:
    policy = documented_policy("kms_key_policy")

    findings = parliament_findings(policy)

    assert [finding.split(" [")[0] for finding in findings] == ["RESOURCE_STAR"] * 5
    assert (
        findings[2] == "RESOURCE_STAR [LOW] ['kms:DescribeKey'] — Statement[2] (Sid "
        "AllowCloudTrailToDescribeKey)"
    )
    assert unexpected_findings(policy, "kms_key_policy") == []


def test_parliament_stops_at_malformed_on_a_trust_policy() -> None:
    policy = documented_policy("trust_policy")

    assert parliament_findings(policy) == [
        "MALFORMED [HIGH] Statement contains neither Resource nor NotResource — Statement[0]"
    ]
    assert unexpected_findings(policy, "trust_policy") == []


def test_trust_policies_are_still_checked_for_unknown_actions() -> None:
    policy = documented_policy("trust_policy")
    policy["Statement"][0]["Action"] = "sts:AssumeRolez"

    assert unexpected_findings(policy, "trust_policy") == [
        "UNKNOWN_ACTION [LOW] Unknown action sts:AssumeRolez — Statement[0]"
    ]


def test_parliament_names_no_statement_for_policy_level_findings() -> None:
    policy = {
        "Version": "2012-10-18",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            {
                "Sid": "A",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::c/*",
            },
        ],
    }

    assert parliament_findings(policy) == [
        "INVALID_VERSION [MEDIUM] Unknown Version used. Version must be either 2012-10-17 or "
        "2008-10-17",
        "DUPLICATE_SID [HIGH] Duplicate Statement Id 'A' in policy",
    ]


# --- checkov ----------------------------------------------------------------------------

UNENCRYPTED_BUCKET = """\
resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:access logging is out of scope for this fixture
  bucket = "acme-org-trail-logs"
}
"""

REPORT = {
    "check_type": "terraform",
    "results": {
        "passed_checks": [
            {
                "check_id": "CKV_AWS_93",
                "resource": "aws_s3_bucket.b",
                "file_path": "/main.tf",
                "file_line_range": [1, 3],
            }
        ],
        "failed_checks": [],
        "skipped_checks": [
            {
                "check_id": "CKV_AWS_18",
                "resource": "aws_s3_bucket.b",
                "check_result": {"result": "SKIPPED", "suppress_comment": "why"},
            }
        ],
        "parsing_errors": ["/m/bad.tf"],
    },
    "summary": {"passed": 1, "failed": 0, "skipped": 1, "parsing_errors": 1},
}


def test_parse_report_reads_one_report_a_list_and_a_bare_summary() -> None:
    single = parse_report(json.dumps(REPORT))
    several = parse_report(json.dumps([REPORT, REPORT]))
    empty = parse_report(json.dumps({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}))

    assert [check.check_id for check in single.passed] == ["CKV_AWS_93"]
    assert single.passed[0].lines == (1, 3)
    assert single.skipped[0].suppress_comment == "why"
    assert single.parsing_errors == ["/m/bad.tf"]
    assert len(several.passed) == 2 and several.parsing_errors == ["/m/bad.tf"] * 2
    assert empty.passed == empty.failed == empty.skipped == empty.parsing_errors == []


def test_parse_report_refuses_output_it_cannot_trust() -> None:
    inconsistent = {**REPORT, "summary": {**REPORT["summary"], "parsing_errors": 2}}

    with pytest.raises(CheckovError, match="no JSON report"):
        parse_report("Traceback (most recent call last):", "exit 2")
    with pytest.raises(CheckovError, match="disagrees"):
        parse_report(json.dumps(inconsistent))


def _finding(check_id: str, file: str) -> dict[str, object]:
    return {"check_id": check_id, "resource": "aws_s3_bucket.b", "file_path": file,
            "file_line_range": [1, 3], "check_result": {"suppress_comment": "why"}}  # fmt: skip


def test_one_report_over_several_modules_is_split_by_the_folder_of_each_file() -> None:
    """The shipped outputs are scanned in one checkov run; each module gets only its findings."""
    results = {
        "passed_checks": [_finding("CKV_AWS_93", "/prod/s3.tf"), _finding("CKV_AWS_1", "/b/x.tf")],
        "failed_checks": [_finding("CKV_AWS_145", "/b/s3.tf")],
        "skipped_checks": [_finding("CKV_AWS_18", "/prod/s3.tf")],
        "parsing_errors": [],
    }
    summary = {"passed": 2, "failed": 1, "skipped": 1, "parsing_errors": 0}
    report = parse_report(json.dumps({"results": results, "summary": summary}))

    split = split_by_folder(report, ["prod", "b", "unscanned"])

    assert [c.check_id for c in split["prod"].passed] == ["CKV_AWS_93"]
    assert [s.check_id for s in split["prod"].skipped] == ["CKV_AWS_18"]
    assert split["prod"].failed == [] and [c.check_id for c in split["b"].failed] == ["CKV_AWS_145"]
    assert split["unscanned"].passed == split["unscanned"].skipped == []
    with pytest.raises(CheckovError, match="none of"):
        split_by_folder(report, ["prod"])  # a finding in b is never silently dropped


@pytest.fixture
def unreachable_checkov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkov install that fails as it does offline: pip cannot get the requirement."""
    import support.checkov as module

    monkeypatch.delenv("ORGTRAIL_CHECKOV", raising=False)
    requirements = tmp_path / "requirements-checkov.txt"
    requirements.write_text(f"checkov @ file://{tmp_path}/no-such-checkov.whl\n")
    monkeypatch.setattr(module, "REQUIREMENTS", requirements)
    monkeypatch.setattr(module, "VENV", tmp_path / "venv")
    monkeypatch.setattr(module, "_MARKER", tmp_path / "venv" / ".installed-requirements")
    return tmp_path


def test_an_uninstallable_checkov_is_a_skip_with_the_reason_and_progress_shown(
    unreachable_checkov: Path,
) -> None:
    shown: list[str] = []
    with pytest.raises(pytest.skip.Exception) as skipped:
        checkov_or_skip(shown.append, {})
    assert "checkov is unavailable" in str(skipped.value)
    assert "no-such-checkov.whl" in str(skipped.value), "the reason names what failed"
    assert shown[0].startswith(f"creating {unreachable_checkov / 'venv'}")
    assert shown[1].startswith("pip install ")
    assert not (unreachable_checkov / "venv" / ".installed-requirements").exists()


@pytest.mark.parametrize("ci", ["true", "TRUE"])
def test_an_uninstallable_checkov_fails_under_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    import support.checkov as module

    def offline(progress: object) -> Path:
        raise CheckovError("installing checkov failed: no network")

    monkeypatch.setattr(module, "checkov_executable", offline)
    with pytest.raises(pytest.fail.Exception, match=r"CI=true, so this is a failure: .*no network"):
        checkov_or_skip(lambda _: None, {"CI": ci})
    with pytest.raises(pytest.skip.Exception, match="no network"):
        checkov_or_skip(lambda _: None, {"CI": "false"})


def test_checkov_executable_fails_clearly_for_a_bad_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGTRAIL_CHECKOV", str(tmp_path / "missing"))

    with pytest.raises(CheckovError, match="no checkov executable"):
        checkov_executable()


@pytest.mark.checkov
def test_checkov_reports_failed_and_skipped_checks(tmp_path: Path, checkov: Path) -> None:
    report = run_checkov(write_module(tmp_path, main=UNENCRYPTED_BUCKET), executable=checkov)

    failed = {(check.check_id, check.resource) for check in report.failed}
    assert ("CKV_AWS_145", "aws_s3_bucket.logs") in failed
    assert [(skip.check_id, skip.suppress_comment) for skip in report.skipped] == [
        ("CKV_AWS_18", "access logging is out of scope for this fixture")
    ]
    assert report.parsing_errors == []


@pytest.mark.checkov
def test_checkov_reports_a_parsing_error_it_would_exit_0_on(tmp_path: Path, checkov: Path) -> None:
    module = write_module(tmp_path, main=UNENCRYPTED_BUCKET.replace('logs"\n', "logs\n"))

    report = run_checkov(module, executable=checkov)

    assert report.parsing_errors == [str(module / "main.tf")]
    assert report.passed == report.failed == []
