"""The command output docs/discover-verify.md shows is what the commands print.

Each session test replays one block's session: the same commands, run in-process in a folder
of their own (``configs/``, ``output/``), against the test server seeded as the page's prose
says, and compares the transcript with the block. moto draws organization and account ids at
random: the server is seeded first (``/moto-api/seed``), so the ids are the page's.
"""

from __future__ import annotations

import re
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.docs_blocks import Transcript, assert_block_shows
from support.moto_server import (  # noqa: F401  (fixtures)
    aws_env,
    client,
    deploy,
    deploy_monitoring,
    fake_cloudwatch_delivery_status,
    fake_delegated_admins,
    fake_pending_email_subscriptions,
    moto_url,
    seed_organization,
)

from generator.aws import measure
from generator.cli import main
from generator.pipeline import build
from generator.rehearse.seed import Seeded, seed_console_trail
from generator.sections.registry import load_config

ROOT = Path(__file__).resolve().parents[2]
PAGE = "discover-verify.md"


def rerun(test: str) -> str:
    """What to run for a session's transcript (the failure message prints it)."""
    return f"run `pytest tests/aws/test_docs_sessions.py::{test}`"


def seed_random(url: str, seed: int) -> None:
    """moto's ids (organization, accounts, keys) from now on follow ``seed``."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/seed?a={seed}", method="POST"))


ACME_SEED = 28
MONITORING = """monitoring:
  notifications:
    topic:
      subscriptions: [{protocol: email, endpoint: security@example.com}]
"""


ACME_TEST = "test_the_discover_generate_verify_session_is_what_the_commands_print"


def test_the_discover_generate_verify_session_is_what_the_commands_print(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A new organization of six accounts; one never delivered, one misses a region's stream."""
    monkeypatch.chdir(tmp_path)
    seed_random(aws_env, ACME_SEED)
    org = seed_organization(aws_env, members=5, trusted=False)  # no delegated-admin fake: moto's
    session = Transcript(capsys)
    assert session.run("discover", "-o", "configs/acme.yaml", "--region", "eu-west-1") == 0
    path = tmp_path / "configs" / "acme.yaml"
    session.shell("cat configs/acme.yaml", path.read_text(encoding="utf-8"))
    text = re.sub(
        r"(?m)^  regions: \[[^]]*\]\n", "  regions: [eu-west-1, us-east-1]\n", path.read_text()
    )
    path.write_text(text + MONITORING, encoding="utf-8")
    session.shell("# regions edited to [eu-west-1, us-east-1]; a monitoring section added:")
    session.shell("tail -4 configs/acme.yaml", "".join(path.read_text().splitlines(True)[-4:]))
    assert session.run("configs/acme.yaml") == 0
    session.shell("# terraform apply (here: the test creates the resources and delivered logs)")
    module = build(path)
    config = module.config
    client(aws_env, "organizations").enable_aws_service_access(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )
    silent, partial = org.members[0], org.members[1]
    deploy(org, config, accounts=[a for a in org.accounts if a != silent])
    client(aws_env, "logs", "eu-west-1").delete_log_stream(
        logGroupName="/aws/cloudtrail/org-trail",
        logStreamName=f"{org.org_id}_{partial}_CloudTrail_us-east-1",
    )
    deploy_monitoring(org, module)
    # moto gaps, faked at the seam as the page says: CloudWatch Logs delivery time, pending email.
    fake_cloudwatch_delivery_status(monkeypatch)
    fake_pending_email_subscriptions(monkeypatch)
    code = session.run("verify", "configs/acme.yaml", "--new-account-hours", "0")
    session.shell("echo $?", f"{code}\n")
    assert_block_shows(PAGE, "discover-session", session.text, rerun(ACME_TEST))


CONSOLE_SEED = 11
SHIPPED_CONSOLE = ROOT / "configs" / "adopt-console.yaml"


CONSOLE_TEST = "test_the_console_trail_session_is_what_the_commands_print"


def test_the_console_trail_session_is_what_the_commands_print(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The walkthrough's console trail (configs/adopt-console.yaml's adopt section, made as the
    console makes it in moto's account), discovered, then generated."""
    monkeypatch.chdir(tmp_path)
    seed_random(aws_env, CONSOLE_SEED)
    org = seed_organization(aws_env, members=2, trusted=True)
    # What exists is what configs/adopt-console.yaml adopts, in this server's organization;
    # the console's one inline policy on the role (discover takes a single one over).
    text = (
        SHIPPED_CONSOLE.read_text(encoding="utf-8")
        .replace("444455556666", org.management)
        .replace("o-9x8w7v6u5t", org.org_id)
        .replace("other_inline_policies: [", "inline_policy: ")
        .replace("1700000000000]", "1700000000000")
    )
    seeding = tmp_path / "seeding.yaml"
    seeding.write_text(text, encoding="utf-8")
    config = load_config(seeding)
    seed_console_trail(Seeded(aws_env, "testing", "testing"), config)
    s3 = client(aws_env, "s3", "us-east-2")
    for region in ("us-east-2", "us-east-1", "eu-west-1"):  # the management account's deliveries
        s3.put_object(
            Bucket=config.bucket.name,
            Key=f"AWSLogs/{org.org_id}/{org.management}/CloudTrail/{region}/2026/11/27/x.json.gz",
            Body=b"{}",
        )
    fake_delegated_admins(monkeypatch, [])  # moto gap: refuses cloudtrail.amazonaws.com
    # What discover measures for cost.measured, on a fixed day so that the page holds still:
    # two days of the log group's intake, and the bucket's size as S3 publishes it daily.
    day = datetime(2026, 11, 28, 12, tzinfo=UTC)
    monkeypatch.setattr(measure, "clock", lambda: day)
    cloudwatch = client(aws_env, "cloudwatch", "us-east-2")
    group = config.cloudwatch_logs.log_group_name if config.cloudwatch_logs else ""
    for days_before, metric, dimensions, value in (
        (2, "IncomingBytes", {"LogGroupName": group}, 734003200.0),
        (1, "IncomingBytes", {"LogGroupName": group}, 801112064.0),
        (1, "BucketSizeBytes", {"BucketName": config.bucket.name,
                                "StorageType": "StandardStorage"}, 52613349376.0),
    ):  # fmt: skip
        cloudwatch.put_metric_data(
            Namespace="AWS/Logs" if metric == "IncomingBytes" else "AWS/S3",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    "Timestamp": day - timedelta(days=days_before),
                    "Value": value,
                }
            ],
        )
    session = Transcript(capsys)
    assert session.run("discover", "-o", "configs/console.yaml") == 0
    session.shell("cat configs/console.yaml", Path("configs/console.yaml").read_text("utf-8"))
    assert session.run("configs/console.yaml") == 0
    imports = Path("output/console/imports.tf").read_text(encoding="utf-8")
    count = sum(line.startswith("import") for line in imports.splitlines())
    session.shell("grep -c '^import' output/console/imports.tf", f"{count}\n")
    assert_block_shows(PAGE, "console-session", session.text, rerun(CONSOLE_TEST))


def test_the_log_archive_role_policy_shown_is_what_print_policy_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    argv = ["verify", "configs/log-archive.yaml", "--print-policy", "log-archive"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "role verify assumes" in printed.err  # standard error names the role, as the page says
    command = " ".join(("orgtrail-gen", *argv))
    assert_block_shows(
        PAGE, "print-policy-log-archive", f"$ {command}\n{printed.out}", f"run `{command}`"
    )
