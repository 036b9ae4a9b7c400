"""What a production apply relies on, read from every shipped and golden module as text.

The preflight rules check these on every run; this reads the committed files independently, the
way a reviewer would, so that a rule and a template cannot drift into agreeing on a mistake.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CASE_CONFIGS, ROOT, SHIPPED_CONFIGS

MODULES = [ROOT / "output" / c.stem for c in SHIPPED_CONFIGS] + [
    ROOT / "tests" / "golden" / c.stem for c in CASE_CONFIGS
]


# The provider version whose schema every generated argument is checked against.
SCHEMA_VERSION = re.findall(
    r"hashicorp/aws (\d+\.\d+\.\d+)",
    (ROOT / "generator" / "rehearse" / "aws-provider-schema-subset.json").read_text(
        encoding="utf-8"
    ),
)[0]


def _admits(constraint: str, version: str) -> bool:
    """Whether a Terraform version constraint of plain comparisons admits ``version``."""

    def parsed(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))

    compare = {
        ">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b, "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
    }  # fmt: skip
    terms = [
        re.fullmatch(r"\s*(>=|<=|!=|>|<|=)\s*([\d.]+)\s*", term) for term in constraint.split(",")
    ]
    assert all(terms), f"{constraint!r}: only plain comparisons are read here"
    return all(compare[t[1]](parsed(version), parsed(t[2])) for t in terms if t)


def _text(module: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(module.glob("*.tf")))


def _blocks(text: str, header: str) -> list[str]:
    """The text of each top-level block whose first line starts with ``header``."""
    return re.findall(rf"^{re.escape(header)}.*?^}}", text, re.M | re.S)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_organization_is_never_managed_and_the_old_resource_is_forgotten(
    module: Path,
) -> None:
    text = _text(module)
    assert 'resource "aws_organizations_organization"' not in text
    (removed,) = _blocks(text, "removed {")
    assert "from = aws_organizations_organization.this" in removed
    assert re.search(r"destroy\s*=\s*false", removed)
    (data,) = _blocks(text, 'data "aws_organizations_organization"')
    assert data.count("postcondition {") >= 3


@pytest.mark.parametrize("module", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_argument_the_provider_reads_back_differently(module: Path) -> None:
    """A second plan shows no change: arguments AWS now sets by itself are written out."""
    text = _text(module)
    (constraint,) = re.findall(r'source\s*=\s*"hashicorp/aws"\s*\n\s*version\s*=\s*"([^"]+)"', text)
    assert _admits(constraint, SCHEMA_VERSION), "every argument is checked against this version"
    assert not _admits(constraint, "7.0.0"), "a major release may drop what the module writes"
    # 5.100 lacks aws_organizations_aws_service_access and blocked_encryption_types (checkers.md)
    assert not _admits(constraint, "5.100.0")
    for block in _blocks(text, 'resource "aws_s3_bucket_server_side_encryption_configuration"'):
        assert re.search(r'blocked_encryption_types\s*=\s*\["SSE-C"\]', block)
    for block in _blocks(text, 'resource "aws_s3_bucket_lifecycle_configuration"'):
        assert "transition_default_minimum_object_size" in block


@pytest.mark.parametrize("module", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_what_holds_the_logs_refuses_a_destroy(module: Path) -> None:
    text = _text(module)
    for header in (
        'resource "aws_s3_bucket" ',
        'resource "aws_kms_key" ',
        'resource "aws_cloudwatch_log_group" ',
    ):
        for block in _blocks(text, header):
            assert re.search(r"prevent_destroy\s*=\s*true", block), block.splitlines()[0]
    for block in _blocks(text, 'resource "aws_cloudwatch_log_group" '):
        assert re.search(r"deletion_protection_enabled\s*=\s*true", block)
    if 'resource "aws_s3_bucket" ' not in text:  # an existing bucket: its whole policy is at stake
        for block in _blocks(text, 'resource "aws_s3_bucket_policy" '):
            assert re.search(r"prevent_destroy\s*=\s*true", block)
