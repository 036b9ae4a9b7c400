"""The AWS provider itself renders the adopted bucket's policy: kept statements as written.

Why: the kept statements reach the policy through ``source_policy_documents`` and the
provider's own merge (sources first, then the statement blocks). tests/support re-implements
that from the documentation; here real Terraform and the provider from the machine's mirror
(checkers.md, "Real Terraform on this machine") evaluate the generated document offline - a
data source makes no AWS call. Skipped, with the reason, where either is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from generator.pipeline import build

MIRROR = Path("/opt/tf-plugins")
DOCUMENT = 'data "aws_iam_policy_document" "cloudtrail_bucket"'


def _terraform_or_skip() -> str:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform on PATH")
    if not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(f"no hashicorp/aws provider mirror under {MIRROR}")
    return terraform


def _document_block(s3_tf: str) -> str:
    """The bucket policy's data block, cut from s3.tf at its closing brace."""
    start = s3_tf.index(DOCUMENT)
    end = s3_tf.index("\n}\n", start) + 3
    return s3_tf[start:end]


def test_the_provider_renders_the_console_statements_as_written(tmp_path: Path) -> None:
    terraform = _terraform_or_skip()
    module = build(ROOT / "configs" / "adopt-console.yaml")
    (tmp_path / "main.tf").write_text(
        """terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-2"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

output "policy" {
  value = data.aws_iam_policy_document.cloudtrail_bucket.json
}

"""
        + _document_block(module.files["s3.tf"]),
        encoding="utf-8",
    )
    (tmp_path / "cli.tfrc").write_text(
        f"""provider_installation {{
  filesystem_mirror {{
    path    = "{MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
""",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(tmp_path / "cli.tfrc"),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [terraform, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("init", "-input=false", "-no-color")
    run("apply", "-input=false", "-no-color", "-auto-approve")
    policy = json.loads(json.loads(run("output", "-json", "policy")))

    kept = [
        s.model_dump(by_alias=True, exclude_defaults=True)
        for s in module.config.bucket.kept_statements
    ]
    assert len(kept) == 3
    # The console's statements come first, exactly as in the config: UUID Sids, AWS:SourceArn.
    assert policy["Statement"][: len(kept)] == kept
    ours = [s["Sid"] for s in policy["Statement"][len(kept) :]]
    assert ours == [
        "CloudTrailManagementEventsAclCheck",
        "CloudTrailManagementEventsWriteManagementAccount",
        "CloudTrailManagementEventsWriteOrganization",
        "DenyInsecureTransport",
    ]
