"""The real-Terraform harness itself, without Terraform: what it strips, finds and counts.

Its verdicts are only worth something if the adaptation to the mirror's provider removes exactly
what that provider lacks (and keeps a typo, so ``validate`` still fails on it), leaves every other
byte alone, and the plan summary counts a replacement as one. These run in the normal suite.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from generator.rehearse.adapt import AdaptError, BlockSchema, ProviderSchema, adapt_module
from generator.rehearse.hcl_spans import TfFile
from generator.rehearse.plan import PlanSummary
from generator.rehearse.rehearsal import versions_line
from generator.rehearse.tools import Tools, find_tools, platform_name, terraform_version
from generator.rehearse.workspace import provider_aliases, write_override

EMPTY = BlockSchema(frozenset(), {})


def _block(*attributes: str, **blocks: BlockSchema) -> BlockSchema:
    return BlockSchema(frozenset(attributes), blocks)


# A provider that knows the log group without deletion protection, the encryption rule without
# blocked_encryption_types, and no aws_organizations_aws_service_access (as 5.100 does).
OLD_PROVIDER = ProviderSchema(
    "5.100.0",
    _block("region", "allowed_account_ids", default_tags=_block("tags")),
    {
        "aws_cloudwatch_log_group": _block("name", "retention_in_days"),
        "aws_cloudtrail": _block("name", "s3_bucket_name"),
        "aws_s3_bucket_server_side_encryption_configuration": _block(
            "bucket",
            rule=_block(
                "bucket_key_enabled",
                apply_server_side_encryption_by_default=_block("sse_algorithm"),
            ),
        ),
    },
    {"aws_organizations_organization": _block()},
)

MODULE = {
    "versions.tf": """terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.40.0, < 7.0.0"
    }
  }
}
""",
    "main.tf": """# a comment naming aws_organizations_aws_service_access.cloudtrail { is not code
data "aws_organizations_organization" "this" {
  return_organization_only = true
}

resource "aws_organizations_aws_service_access" "cloudtrail" {
  service_principal = "cloudtrail.amazonaws.com"
}

resource "aws_cloudwatch_log_group" "cloudtrail" {
  name                        = "/aws/cloudtrail/{org}"
  retention_in_days           = 365
  deletion_protection_enabled = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = "b"

  rule {
    bucket_key_enabled       = true
    blocked_encryption_types = ["SSE-C"]

    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_cloudtrail" "org" {
  name           = "trail-${"}"}"
  s3_bucket_name = <<-EOT
    not } a block end
  EOT

  depends_on = [
    aws_cloudwatch_log_group.cloudtrail,
    aws_organizations_aws_service_access.cloudtrail,
  ]
}

import {
  to = aws_organizations_aws_service_access.cloudtrail
  id = "cloudtrail.amazonaws.com"
}

import {
  to = aws_cloudwatch_log_group.cloudtrail
  id = "/aws/cloudtrail/org"
}

output "trusted_access" {
  value = aws_organizations_aws_service_access.cloudtrail.id
}
""",
}

ADAPTED_MAIN = """# a comment naming aws_organizations_aws_service_access.cloudtrail { is not code
data "aws_organizations_organization" "this" {
}


resource "aws_cloudwatch_log_group" "cloudtrail" {
  name                        = "/aws/cloudtrail/{org}"
  retention_in_days           = 365
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = "b"

  rule {
    bucket_key_enabled       = true

    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_cloudtrail" "org" {
  name           = "trail-${"}"}"
  s3_bucket_name = <<-EOT
    not } a block end
  EOT

  depends_on = [
    aws_cloudwatch_log_group.cloudtrail,
  ]
}


import {
  to = aws_cloudwatch_log_group.cloudtrail
  id = "/aws/cloudtrail/org"
}

"""


def _module(tmp_path: Path, files: dict[str, str]) -> Path:
    module = tmp_path / "module"
    module.mkdir()
    for name, text in files.items():
        (module / name).write_text(text, encoding="utf-8")
    return module


def test_adaptation_strips_exactly_what_the_old_provider_lacks_and_what_pointed_at_it(
    tmp_path: Path,
) -> None:
    adaptation = adapt_module(_module(tmp_path, MODULE), tmp_path / "out", OLD_PROVIDER)

    assert (tmp_path / "out" / "main.tf").read_text(encoding="utf-8") == ADAPTED_MAIN
    versions = (tmp_path / "out" / "versions.tf").read_text(encoding="utf-8")
    assert 'version = "5.100.0"' in versions and ">= 6.40.0" not in versions
    assert adaptation.removed_addresses == {"aws_organizations_aws_service_access.cloudtrail"}
    assert adaptation.removed_imports == ["aws_organizations_aws_service_access.cloudtrail"]
    printed = "\n".join(adaptation.changes)
    for what in (
        "return_organization_only",
        "deletion_protection_enabled",
        "rule.blocked_encryption_types",
        "resource type aws_organizations_aws_service_access",
        "from depends_on",
        "the import of aws_organizations_aws_service_access.cloudtrail",
        "output trusted_access",
        'version constraint of hashicorp/aws ">= 6.40.0, < 7.0.0" -> "5.100.0"',
    ):
        assert what in printed
    assert len(adaptation.changes) == 8


def test_a_name_neither_provider_knows_is_kept_so_that_validate_fails_on_it(
    tmp_path: Path,
) -> None:
    typo = {
        "main.tf": 'resource "aws_cloudwatch_log_group" "g" {\n'
        '  name              = "g"\n  retention_in_dayz = 365\n}\n'
    }
    adaptation = adapt_module(_module(tmp_path, typo), tmp_path / "out", OLD_PROVIDER)

    assert (tmp_path / "out" / "main.tf").read_text(encoding="utf-8") == typo["main.tf"]
    assert adaptation.changes == [
        "main.tf: kept aws_cloudwatch_log_group.g: retention_in_dayz: unknown to hashicorp/aws "
        "5.100.0 and to hashicorp/aws 6.66.0 (generator/rehearse/aws-provider-schema-subset.json) "
        "(a real error: validate will say so)"
    ]


def test_a_removed_resource_used_by_an_argument_is_refused_not_stripped(tmp_path: Path) -> None:
    used = {
        "main.tf": 'resource "aws_organizations_aws_service_access" "a" {\n'
        '  service_principal = "cloudtrail.amazonaws.com"\n}\n\n'
        'resource "aws_cloudtrail" "org" {\n'
        "  name           = aws_organizations_aws_service_access.a.id\n"
        '  s3_bucket_name = "b"\n}\n'
    }
    with pytest.raises(AdaptError, match=r"aws_cloudtrail\.org\.name refers to"):
        adapt_module(_module(tmp_path, used), tmp_path / "out", OLD_PROVIDER)


def test_statements_are_found_around_strings_heredocs_and_comments() -> None:
    tf = TfFile("main.tf", MODULE["main.tf"])
    assert [(i.name, i.labels) for i in tf.items] == [
        ("data", ("aws_organizations_organization", "this")),
        ("resource", ("aws_organizations_aws_service_access", "cloudtrail")),
        ("resource", ("aws_cloudwatch_log_group", "cloudtrail")),
        ("resource", ("aws_s3_bucket_server_side_encryption_configuration", "logs")),
        ("resource", ("aws_cloudtrail", "org")),
        ("import", ()),
        ("import", ()),
        ("output", ("trusted_access",)),
    ]
    trail = tf.items[4]
    assert [c.name for c in tf.children(trail)] == ["name", "s3_bucket_name", "depends_on"]


def test_the_override_points_every_provider_block_at_the_emulator(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        {
            "providers.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n\n'
            'provider "aws" {\n  alias  = "log_archive"\n  region = "eu-west-1"\n}\n'
        },
    )
    assert provider_aliases(module) == [None, "log_archive"]
    changes = write_override(module, "http://127.0.0.1:5000", has_backend=True)
    override = (module / "zz_emulator_override.tf").read_text(encoding="utf-8")
    assert override.count('provider "aws" {') == 2
    assert 'alias = "log_archive"' in override
    assert override.count('sts           = "http://127.0.0.1:5000"') == 2
    assert "skip_credentials_validation" not in override  # allowed_account_ids stays checked
    assert 'backend "local" {}' in override
    assert len(changes) == 3


def test_a_replacement_counts_once_and_an_import_is_seen_whatever_its_action() -> None:
    def change(address: str, *actions: str, importing: bool = False) -> dict[str, object]:
        body: dict[str, object] = {"actions": list(actions)}
        if importing:
            body["importing"] = {"id": "x"}
        return {"address": address, "mode": "managed", "change": body}

    plan = {
        "resource_changes": [
            change("aws_a.new", "create"),
            change("aws_b.moved", "delete", "create"),
            change("aws_c.cbd", "create", "delete"),
            change("aws_d.gone", "delete"),
            change("aws_e.adopted", "update", importing=True),
            change("aws_f.adopted", "no-op", importing=True),
            {"address": "data.aws_x.y", "mode": "data", "change": {"actions": ["read"]}},
        ]
    }
    summary = PlanSummary.of(plan)
    assert summary.creates == ("aws_a.new",)
    assert summary.replaces == ("aws_b.moved", "aws_c.cbd")
    assert summary.deletes == ("aws_d.gone",)
    assert summary.updates == ("aws_e.adopted",)
    assert summary.unchanged == ("aws_f.adopted",)
    assert summary.imports == ("aws_e.adopted", "aws_f.adopted")


def test_missing_terraform_and_mirror_are_named_in_the_skip_reason(tmp_path: Path) -> None:
    reason = find_tools(
        {
            "ORGTRAIL_TERRAFORM": str(tmp_path / "no-terraform"),
            "ORGTRAIL_TF_MIRROR": str(tmp_path),
            "PATH": "",
        }
    )
    assert isinstance(reason, str)
    assert "no terraform binary" in reason
    assert "no provider mirror holding registry.terraform.io/hashicorp/aws" in reason
    assert str(tmp_path) in reason


def test_the_newest_provider_in_the_mirror_is_chosen(tmp_path: Path) -> None:
    for version in ("5.9.0", "5.100.0", "5.31.0"):
        folder = tmp_path / "registry.terraform.io/hashicorp/aws" / version / platform_name()
        folder.mkdir(parents=True)
        (folder / f"terraform-provider-aws_v{version}_x5").write_text("", encoding="utf-8")
    terraform = tmp_path / "terraform"
    terraform.write_text("", encoding="utf-8")
    tools = find_tools({"ORGTRAIL_TERRAFORM": str(terraform), "ORGTRAIL_TF_MIRROR": str(tmp_path)})
    assert tools == Tools(terraform, tmp_path, "5.100.0")


def test_the_summary_names_terraform_the_provider_moto_and_botocore(tmp_path: Path) -> None:
    """A verdict holds for these versions: moto's routing and botocore's models decide what the
    emulator answers, so the summary names them with Terraform's and the provider's."""
    tools = Tools(tmp_path / "no-terraform", Path("/mirror"), "5.100.0")
    servers = [{"moto": "5.2.6", "botocore": "1.44.18"}] * 2
    line = versions_line(tools, servers)
    assert line.startswith(
        f"Terraform unknown ({tools.terraform} version -json: FileNotFoundError)"
    )
    assert "hashicorp/aws 5.100.0 (mirror /mirror)" in line
    assert line.endswith("moto 5.2.6, botocore 1.44.18 (as the moto servers reported)")
    # no server started (a patch that no longer fits): the versions installed for this interpreter
    fallback = versions_line(tools, [{}])
    assert f"moto {metadata.version('moto')}, botocore {metadata.version('botocore')}" in fallback
    assert fallback.endswith("(installed here; no moto server started)")


def test_the_terraform_version_is_read_from_the_binary() -> None:
    tools = find_tools()
    if isinstance(tools, str):
        pytest.skip(tools)
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", terraform_version(tools))
