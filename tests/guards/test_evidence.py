"""A regeneration that would destroy stored evidence is refused until the user names it.

Driven through the command line as a user would: generate, change the config, generate again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from generator.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "configs" / "example.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch checkout with configs/example.yaml already generated into output/example."""
    (tmp_path / "configs").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "configs" / "example.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["configs/example.yaml"]) == 0
    return tmp_path


def change(project: Path, edit: dict[str, object] | None = None, drop: str | None = None) -> None:
    path = project / "configs" / "example.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in (edit or {}).items():
        section, key = dotted.split(".")
        data[section][key] = value
    if drop:
        del data[drop]
        if drop == "cloudwatch_logs":
            data.pop("monitoring", None)  # monitoring needs the log group
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def snapshot(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "output" / "example").iterdir())}


@pytest.mark.parametrize(
    ("edit", "drop", "address", "words"),
    [
        ({"trail.name": "org-trail-v2"}, None, "aws_cloudtrail.org", ('"org-trail"', '"org-trail-v2"', "no account")),
        ({"cloudwatch_logs.log_group_name": "/org/trail"}, None, "aws_cloudwatch_log_group.cloudtrail", ("/aws/cloudtrail/org", "every event stored")),
        ({"bucket.name": "another-org-cloudtrail-logs"}, None, "aws_s3_bucket.logs", ("example-org-cloudtrail-logs", "every log file")),
        (None, "cloudwatch_logs", "aws_cloudwatch_log_group.cloudtrail", ("no longer generated", "DESTROYS")),
        ({"kms.enabled": False}, None, "aws_kms_key.cloudtrail", ("no longer generated", "unreadable")),
    ],
    ids=["trail-rename", "log-group-rename", "bucket-rename", "log-group-dropped", "key-dropped"],
)  # fmt: skip
def test_replacing_evidence_is_refused_until_named(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    edit: dict[str, object] | None,
    drop: str | None,
    address: str,
    words: tuple[str, ...],
) -> None:
    before = snapshot(project)
    capsys.readouterr()
    if edit and "kms.enabled" in edit:
        data = yaml.safe_load((project / "configs" / "example.yaml").read_text())
        data["kms"] = {"enabled": False}
        (project / "configs" / "example.yaml").write_text(yaml.safe_dump(data))
    else:
        change(project, edit, drop)

    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert "OTG040" in err and address in err, err
    for word in words:
        assert word in err
    assert f"--allow-replace {address}" in err
    assert snapshot(project) == before, "nothing is written"
    assert main(["configs/example.yaml", "--check"]) == 1, "CI's check refuses it too"

    assert main(["configs/example.yaml", "--allow-replace", address]) == 0
    assert snapshot(project) != before
    assert main(["configs/example.yaml"]) == 0, "once written, the new output is the reference"


def test_a_first_generation_and_unrelated_changes_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change(project, {"cloudwatch_logs.retention_in_days": 731, "trail.s3_key_prefix": "ct"})
    assert main(["configs/example.yaml"]) == 0
    assert main(["configs/example.yaml", "--output-dir", "elsewhere"]) == 0
    # The alarm topic's key encrypts no stored log: dropping monitoring removes it freely.
    change(project, drop="monitoring")
    assert main(["configs/example.yaml"]) == 0
    assert not (project / "output" / "example" / "notifications.tf").exists()


def test_allowing_one_resource_does_not_allow_another(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change(project, {"trail.name": "org-trail-v2", "bucket.name": "another-org-cloudtrail-logs"})
    capsys.readouterr()
    assert main(["configs/example.yaml", "--allow-replace", "aws_cloudtrail.org"]) == 1
    err = capsys.readouterr().err
    assert "aws_s3_bucket.logs" in err and "aws_cloudtrail.org: name" not in err


def test_an_unparsable_earlier_file_stops_the_run_with_advice(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project / "output" / "example" / "cloudtrail.tf"
    target.write_text(target.read_text() + "\nresource {{{\n")
    capsys.readouterr()
    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert "no longer parses" in err and "git checkout" in err


# --- the message says what it knows, and what a rename replaces (issues 13.9, 14.3b) -------------


def test_the_refusal_speaks_of_the_output_folder_not_of_what_is_deployed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change(project, {"cloudwatch_logs.log_group_name": "/org/trail"})
    capsys.readouterr()
    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert "compared with the module in the output folder" in err
    assert "If this module was applied, the log group is deleted" in err


def test_a_trail_rename_names_everything_it_replaces_and_the_cost(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The topic, its subscription, every alarm and both aliases carry the trail's name."""
    change(project, {"trail.name": "org-trail-v2"})
    capsys.readouterr()
    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    (finding,) = [line for line in err.splitlines() if line.startswith("OTG040")]
    assert "REPLACES 20 more resource(s)" in finding
    assert "15 x aws_cloudwatch_metric_alarm" in finding
    assert 'from "org-trail-UnauthorizedAPICalls" to "org-trail-v2-UnauthorizedAPICalls"' in finding
    assert "2 x aws_kms_alias (cloudtrail, alarms" in finding
    assert 'aws_sns_topic (alarms; name changes from "org-trail-alarms"' in finding
    assert "aws_sns_topic_policy (alarms; arn refers to aws_sns_topic.alarms" in finding
    subscription = "aws_sns_topic_subscription (email_security_alerts_example_com"
    assert subscription in finding
    assert "until they confirm it the alarms reach nobody" in finding
    # Nothing of the bucket or the log group: a trail rename keeps them.
    assert "aws_s3_bucket" not in finding and "aws_cloudwatch_log_group" not in finding

    assert main(["configs/example.yaml", "--allow-replace", "aws_cloudtrail.org"]) == 0
    err = capsys.readouterr().err
    assert "aws_cloudtrail.org is REPLACED" in err and "15 x aws_cloudwatch_metric_alarm" in err


# --- an allowed replacement leads to a plan that works (issue 14.3a) -----------------------------

BUCKET_SETTINGS = (
    "aws_s3_bucket_public_access_block.logs aws_s3_bucket_ownership_controls.logs "
    "aws_s3_bucket_versioning.logs aws_s3_bucket_server_side_encryption_configuration.logs "
    "aws_s3_bucket_lifecycle_configuration.logs aws_s3_bucket_policy.logs"
)


@pytest.mark.parametrize(
    ("edit", "address", "forget", "words"),
    [
        ({"bucket.name": "another-org-cloudtrail-logs"}, "aws_s3_bucket.logs", f"aws_s3_bucket.logs {BUCKET_SETTINGS}", ("prevent_destroy stops the plan", "6 bucket setting(s)")),
        ({"cloudwatch_logs.log_group_name": "/org/trail"}, "aws_cloudwatch_log_group.cloudtrail", "aws_cloudwatch_log_group.cloudtrail", ("AWS refuses DeleteLogGroup while deletion protection is on",)),
    ],
    ids=["bucket", "log-group"],
)  # fmt: skip
def test_a_guarded_replacement_says_how_to_keep_the_old_one(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    edit: dict[str, object],
    address: str,
    forget: str,
    words: tuple[str, ...],
) -> None:
    """prevent_destroy stays: the way through is to let Terraform forget the old resource."""
    change(project, edit)
    capsys.readouterr()
    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert f"--allow-replace {address} and then" in err
    assert f"`terraform state rm {forget}` before `terraform plan`" in err
    assert "stays in AWS untouched" in err
    for word in words:
        assert word in err

    assert main(["configs/example.yaml", "--allow-replace", address]) == 0
    err = capsys.readouterr().err
    assert f"run `terraform state rm {forget}` in the module's folder" in err
    logs = (project / "output" / "example").glob("*.tf")
    assert all(
        "prevent_destroy = true" in p.read_text() for p in logs if p.name in ("s3.tf", "logs.tf")
    )


# --- a shorter retention deletes stored events (issue 13.2) -------------------------------------


@pytest.mark.parametrize(
    ("section", "values", "address", "words"),
    [
        ("cloudwatch_logs", {"retention_in_days": 30}, "aws_cloudwatch_log_group.cloudtrail", ("from 365 days to 30 days", "PutRetentionPolicy", "older than 30 days")),
        ("bucket", {"lifecycle": {"expiration_days": 400}}, "aws_s3_bucket_lifecycle_configuration.logs", ("expiration changes from never expire to 400 days",)),
        ("bucket", {"lifecycle": {"noncurrent_version_expiration_days": 90}}, "aws_s3_bucket_lifecycle_configuration.logs", ("noncurrent_version_expiration changes from never expire to 90 days", "cannot be recovered")),
    ],
    ids=["log-group-retention", "lifecycle-expiration", "noncurrent-expiration"],
)  # fmt: skip
def test_a_shorter_retention_is_refused_until_named(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    section: str,
    values: dict[str, object],
    address: str,
    words: tuple[str, ...],
) -> None:
    before = snapshot(project)
    path = project / "configs" / "example.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[section].update(values)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    capsys.readouterr()

    assert main(["configs/example.yaml"]) == 1
    err = capsys.readouterr().err
    assert "OTG042 " in err and address in err
    for word in words:
        assert word in err
    assert f"--allow-shorter-retention {address}" in err
    assert snapshot(project) == before, "nothing is written"
    assert main(["configs/example.yaml", "--check"]) == 1, "CI's check refuses it too"
    assert main(["configs/example.yaml", "--allow-replace", address]) == 1, "not a replacement"

    assert main(["configs/example.yaml", "--allow-shorter-retention", address]) == 0
    assert main(["configs/example.yaml"]) == 0, "once written, the new output is the reference"


def test_never_expire_passes_and_any_finite_retention_is_shorter(project: Path) -> None:
    change(project, {"cloudwatch_logs.retention_in_days": 0})
    assert main(["configs/example.yaml"]) == 0
    change(project, {"cloudwatch_logs.retention_in_days": 3653})
    assert main(["configs/example.yaml"]) == 1, "any finite retention is shorter than never"


def _adopt_console(project: Path, retention: int, adopted: int | None) -> Path:
    data = yaml.safe_load((REPO / "configs" / "adopt-console.yaml").read_text(encoding="utf-8"))
    data["cloudwatch_logs"]["retention_in_days"] = retention
    data["adopt"]["log_group"]["retention_in_days"] = adopted
    path = project / "configs" / "adopt-console.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_an_adopted_log_group_keeps_its_retention_on_the_first_generation(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No output yet: adopt: says what the log group has, and 365 would cut it (the old default)."""
    _adopt_console(project, 365, None)
    capsys.readouterr()
    assert main(["configs/adopt-console.yaml"]) == 1
    err = capsys.readouterr().err
    assert "OTG042" in err and "from never expire to 365 days" in err
    assert "adopt.log_group.retention_in_days: what the log group has today" in err
    assert "keep cloudwatch_logs.retention_in_days: 0 (never expire)" in err
    assert not (project / "output" / "adopt-console").exists()

    flag = ["--allow-shorter-retention", "aws_cloudwatch_log_group.cloudtrail"]
    assert main(["configs/adopt-console.yaml", *flag]) == 0
    # adopt: still says never expire, so the next run asks again until it says what exists.
    assert main(["configs/adopt-console.yaml"]) == 1
    _adopt_console(project, 365, 365)
    assert main(["configs/adopt-console.yaml"]) == 0


def test_the_shipped_console_adoption_keeps_never_expire() -> None:
    """configs/adopt-console.yaml adopts a never-expiring log group and keeps it so."""
    data = yaml.safe_load((REPO / "configs" / "adopt-console.yaml").read_text(encoding="utf-8"))
    assert data["adopt"]["log_group"]["retention_in_days"] is None
    assert data["cloudwatch_logs"]["retention_in_days"] == 0
    logs = (REPO / "output" / "adopt-console" / "logs.tf").read_text(encoding="utf-8")
    assert "retention_in_days           = 0\n" in logs
    imports = (REPO / "output" / "adopt-console" / "imports.tf").read_text(encoding="utf-8")
    assert "retention_in_days" not in imports, "no retention change announced"


def test_an_existing_buckets_policy_is_not_moved_silently(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With create: false the policy is all we own of the bucket: moving it deletes it there."""
    path = project / "configs" / "existing.yaml"
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["bucket"]["create"] = False
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["configs/existing.yaml"]) == 0
    data["bucket"]["name"] = "another-org-cloudtrail-logs"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["configs/existing.yaml"]) == 1
    err = capsys.readouterr().err
    assert "OTG040 s3.tf: aws_s3_bucket_policy.logs: bucket changes" in err
    assert "deletes the old bucket's whole policy" in err
    assert "`terraform state rm aws_s3_bucket_policy.logs`" in err
