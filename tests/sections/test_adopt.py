"""Adopting what exists: import blocks instead of creations, refusals instead of replacements.

A user who made the trail, bucket and log group in the console relies on three things: the
plan imports each object (right id format, right object), a config that would REPLACE one of
them is refused at the key to change, and every in-place change is announced before the plan.
The console's bucket policy must keep every grant another trail still uses.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from support.policies import policy_documents

from generator.check.hcl_parse import ParsedModule, expression, literal
from generator.check.preflight.policy_reading import statements
from generator.config.yaml_source import load_yaml
from generator.core.constants import CONSOLE_SIDS
from generator.core.errors import ConfigError
from generator.pipeline import build, render_module
from generator.sections.registry import validate

MGMT = "111111111111"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org-trail"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{MGMT}:key/{KEY_ID}"
BUCKET = "example-org-cloudtrail-logs"
BUCKET_DOC = "data.aws_iam_policy_document.cloudtrail_bucket"
CASES = ROOT / "tests" / "cases"

# Everything of the example made in the console, as `discover` would describe it.
ADOPTED: dict[str, Any] = {
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account_id": MGMT,
        "cloudtrail_trusted_access": "adopt",
    },
    "trail": {"name": "org-trail", "home_region": "us-east-1"},
    "bucket": {"name": BUCKET},
    "cloudwatch_logs": {"log_group_name": "/aws/cloudtrail/org", "role_name": "TrailDelivery"},
    "adopt": {
        "trail": {
            "arn": TRAIL_ARN,
            "s3_bucket_name": BUCKET,
            "is_organization_trail": True,
            "is_multi_region": True,
            "include_global_service_events": True,
            "enable_log_file_validation": True,
            "kms_key_arn": KEY_ARN,
            "cloud_watch_logs_group_arn": f"arn:aws:logs:us-east-1:{MGMT}:log-group:"
            "/aws/cloudtrail/org:*",
            "cloud_watch_logs_role_arn": f"arn:aws:iam::{MGMT}:role/TrailDelivery",
        },
        "bucket": {
            "name": BUCKET,
            "configurations": [
                "public_access_block",
                "ownership_controls",
                "versioning",
                "encryption",
                "lifecycle",
                "policy",
            ],
        },
        "log_group": {"name": "/aws/cloudtrail/org", "retention_in_days": 365},
        "role": {"name": "TrailDelivery", "inline_policy": "console-delivery"},
        "key": {"arn": KEY_ARN, "alias": "alias/org-trail"},
    },
}


def _data(**changes: Any) -> dict[str, Any]:
    """ADOPTED with changes keyed by dotted paths; a value of None deletes the key."""
    data = copy.deepcopy(ADOPTED)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return data


def _validate(data: dict[str, Any]) -> Any:
    return validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))


def _build(data: dict[str, Any], tmp_path: Path, name: str = "adopted") -> Any:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return build(path)


# --- what forces a replacement is refused, at the key to change ---------------------------------

REFUSED = [
    # (change, path of the issue, words of the message)
    (
        {"adopt.trail.arn": TRAIL_ARN.replace("org-trail", "console-trail")},
        "trail.name",
        ("set trail.name: console-trail", "cannot be renamed"),
    ),
    (
        {"adopt.trail.arn": TRAIL_ARN.replace("us-east-1", "eu-west-1")},
        "trail.home_region",
        ("set trail.home_region: eu-west-1", "cannot move"),
    ),
    (
        {"adopt.trail.arn": TRAIL_ARN.replace(MGMT, "222222222222")},
        "adopt.trail.arn",
        ("not the management account", "delegated administrator"),
    ),
    (
        {"adopt.trail.arn": TRAIL_ARN.replace("arn:aws:", "arn:aws-cn:")},
        "adopt.trail.arn",
        ("partition aws-cn",),
    ),
    (
        {"adopt.bucket.name": "console-made-bucket"},
        "bucket.name",
        ("set bucket.name: console-made-bucket", "new, empty one"),
    ),
    (
        {"bucket.create": False},
        "adopt.bucket",
        ("bucket.create: true", "existing_policy: merge"),
    ),
    (
        {"bucket.object_lock": {"mode": "GOVERNANCE", "days": 30}},
        "bucket.object_lock",
        ("no Object Lock", "forces a new bucket"),
    ),
    (
        {"adopt.bucket.configurations": ["policy", "policy"]},
        "adopt.bucket.configurations[1]",
        ("listed twice",),
    ),
    (
        {"adopt.log_group.name": "aws-cloudtrail-logs-111111111111-0a1b2c3d"},
        "cloudwatch_logs.log_group_name",
        ("set cloudwatch_logs.log_group_name: aws-cloudtrail-logs", "every event"),
    ),
    (
        {"adopt.log_group.log_group_class": "INFREQUENT_ACCESS"},
        "adopt.log_group.log_group_class",
        ("STANDARD", "forces a new group"),
    ),
    (
        {"adopt.role.name": "CloudTrailRoleForCloudWatchLogs_org-trail"},
        "cloudwatch_logs.role_name",
        ("set cloudwatch_logs.role_name: CloudTrailRoleForCloudWatchLogs_org-trail",),
    ),
    (
        {"adopt.key.arn": f"arn:aws:kms:us-east-1:{MGMT}:key/mrk-{'0' * 32}"},
        "adopt.key.arn",
        ("multi-Region", "unreadable", "kms.key_arn"),
    ),
    (
        {"adopt.key.arn": KEY_ARN.replace("us-east-1", "eu-west-1")},
        "adopt.key.arn",
        ("KmsKeyNotFoundException",),
    ),
    (
        {"adopt.key.arn": KEY_ARN.replace(MGMT, "222222222222")},
        "adopt.key.arn",
        ("cannot be imported", "kms.key_arn"),
    ),
    (
        {"adopt.key.key_spec": "RSA_2048"},
        "adopt.key.key_spec",
        ("forces a new key", "kms.key_arn"),
    ),
    (
        {"adopt.key.custom_key_store_id": "cks-1234567890abcdef0"},
        "adopt.key.custom_key_store_id",
        ("forces a new key",),
    ),
    (
        {"adopt.key.alias": "alias/console-key"},
        "kms.alias",
        ("set kms.alias: alias/console-key", "alias/org-trail"),
    ),
    (
        {"kms": {"key_arn": KEY_ARN}},
        "adopt.key",
        ("remove adopt.key", "remove kms.key_arn"),
    ),
    (
        {"kms": {"enabled": False}},
        "adopt.key",
        ("kms.enabled is false",),
    ),
]


@pytest.mark.parametrize(
    ("changes", "path", "words"), REFUSED, ids=[f"{c[1]}-{i}" for i, c in enumerate(REFUSED)]
)
def test_what_would_be_replaced_is_refused_at_the_key_to_change(
    changes: dict[str, Any], path: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        _validate(_data(**changes))
    issues = caught.value.issues
    assert [issue.path for issue in issues] == [path], issues
    for word in words:
        assert word in issues[0].message, issues[0].message


def test_adopting_without_the_sections_that_generate_them_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        _validate(_data(cloudwatch_logs=None, **{"adopt.trail.cloud_watch_logs_group_arn": None}))
    assert sorted(issue.path for issue in caught.value.issues) == ["adopt.log_group", "adopt.role"]


def test_the_full_adoption_is_valid() -> None:
    config = _validate(ADOPTED)
    assert config.adopt is not None and config.adopt.trail is not None


# --- import blocks: one per adopted object, each id in its type's format -----------------------


def _imports(files: dict[str, str]) -> dict[str, str]:
    module = ParsedModule.parse(files)
    return {
        expression(block.body["to"]) or "": literal(block.body["id"]) or ""
        for block in module.all("import")
    }


def test_every_adopted_object_is_imported_by_its_providers_id(tmp_path: Path) -> None:
    module = _build(ADOPTED, tmp_path)
    assert _imports(module.files) == {
        "aws_organizations_aws_service_access.cloudtrail": "cloudtrail.amazonaws.com",
        "aws_cloudtrail.org": TRAIL_ARN,
        "aws_s3_bucket.logs": BUCKET,
        "aws_s3_bucket_public_access_block.logs": BUCKET,
        "aws_s3_bucket_ownership_controls.logs": BUCKET,
        "aws_s3_bucket_versioning.logs": BUCKET,
        "aws_s3_bucket_server_side_encryption_configuration.logs": BUCKET,
        "aws_s3_bucket_lifecycle_configuration.logs": BUCKET,
        "aws_s3_bucket_policy.logs": BUCKET,
        "aws_cloudwatch_log_group.cloudtrail": "/aws/cloudtrail/org",
        "aws_iam_role.cloudtrail_cloudwatch": "TrailDelivery",
        "aws_iam_role_policy.cloudtrail_cloudwatch": "TrailDelivery:console-delivery",
        "aws_kms_key.cloudtrail": KEY_ID,
        "aws_kms_alias.cloudtrail": "alias/org-trail",
    }
    # The adopted inline policy keeps its name (name is ForceNew on aws_iam_role_policy).
    policy = module.parsed.get("aws_iam_role_policy.cloudtrail_cloudwatch")
    assert policy is not None and literal(policy.body["name"]) == "console-delivery"


def test_a_setting_the_bucket_lacks_is_created_not_imported(tmp_path: Path) -> None:
    """Importing a setting that does not exist fails the plan; creating one over nothing works."""
    data = _data(**{"adopt.bucket.configurations": ["public_access_block", "logging"]})
    module = _build(data, tmp_path)
    imported = _imports(module.files)
    assert "aws_s3_bucket_public_access_block.logs" in imported
    assert "aws_s3_bucket_versioning.logs" not in imported
    assert "aws_s3_bucket_logging.logs" not in imported  # not managed: no bucket.access_logging
    (warning,) = [w for w in module.warnings if w.startswith(f"bucket {BUCKET}")]
    assert "  versioning: none today, created" in warning
    assert "  logging: left as it is (this config does not manage it)" in warning


def test_without_adoption_nothing_is_imported() -> None:
    module = build(ROOT / "configs" / "example.yaml")
    assert "imports.tf" not in module.files
    assert module.parsed.all("import") == []


def test_adopted_trusted_access_is_imported_not_asserted(tmp_path: Path) -> None:
    module = _build(ADOPTED, tmp_path)
    organizations = module.files["organizations.tf"]
    assert 'resource "aws_organizations_aws_service_access" "cloudtrail"' in organizations
    assert "contains(self.aws_service_access_principals" not in organizations
    assert "A destroy DISABLES CloudTrail's access" in organizations
    assert any("DISABLES it for every organization trail" in w for w in module.warnings)


# --- in-place changes are announced, attribute by attribute -------------------------------------


def test_a_trail_adopted_as_configured_is_imported_without_changes(tmp_path: Path) -> None:
    module = _build(ADOPTED, tmp_path)
    expected = f"aws_cloudtrail.org ({TRAIL_ARN}) is imported with no change to its settings"
    assert expected in module.warnings


def test_every_in_place_change_of_the_trail_is_listed_old_to_new(tmp_path: Path) -> None:
    data = _data(
        **{
            "adopt.trail.is_organization_trail": False,
            "adopt.trail.is_multi_region": False,
            "adopt.trail.enable_log_file_validation": False,
            "adopt.trail.kms_key_arn": None,
            "adopt.trail.s3_key_prefix": "old",
            "adopt.trail.cloud_watch_logs_group_arn": None,
            "adopt.trail.cloud_watch_logs_role_arn": None,
        }
    )
    module = _build(data, tmp_path)
    (warning,) = [w for w in module.warnings if w.startswith("aws_cloudtrail.org")]
    assert warning.splitlines()[1:] == [
        "  is_organization_trail: false -> true",
        "  is_multi_region_trail: false -> true",
        "  enable_log_file_validation: false -> true",
        "  s3_key_prefix: old -> (none)",
        f"  kms_key_id: (none) -> {KEY_ARN}",
        "  cloud_watch_logs_group_arn: (none) -> "
        f"arn:aws:logs:us-east-1:{MGMT}:log-group:/aws/cloudtrail/org",
        f"  cloud_watch_logs_role_arn: (none) -> arn:aws:iam::{MGMT}:role/TrailDelivery",
        f"  log file encryption: SSE-S3 (S3-managed keys) -> SSE-KMS with {KEY_ARN}. Every "
        "reader of NEW log and digest files (a SIEM, Athena, another account) then needs "
        "kms:Decrypt on that key: list each in bucket.readers (S3 read + decrypt; listed today: "
        "none), or keep SSE-S3 with kms.enabled: false. Files delivered before stay as they are",
    ]


def test_log_group_and_key_changes_are_announced(tmp_path: Path) -> None:
    # Longer only: a shorter retention is refused (OTG042, tests/guards/test_evidence.py).
    module = _build(_data(**{"adopt.log_group.retention_in_days": 90}), tmp_path)
    (group,) = [w for w in module.warnings if w.startswith("aws_cloudwatch_log_group")]
    assert "  retention_in_days: 90 -> 365" in group.splitlines()
    assert f"  kms_key_id: (none) -> {KEY_ARN}" in group.splitlines()
    (key,) = [w for w in module.warnings if w.startswith("aws_kms_key")]
    assert "KEY POLICY IS REPLACED" in key


# --- the console's bucket policy: no trail loses its grant, nothing is read back ---------------

OTHER_TRAIL = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/management-events"
UUID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


def _console_statements(trail: str) -> list[dict[str, Any]]:
    """What today's console writes for a trail (aws-facts.md 11.5): UUID Sids, AWS:SourceArn."""
    return [
        {
            "Sid": f"AWSCloudTrailAclCheck20150319-{UUID}",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": f"arn:aws:s3:::{BUCKET}",
            "Condition": {"StringEquals": {"AWS:SourceArn": trail}},
        },
        {
            "Sid": f"AWSCloudTrailWrite20150319-{UUID}",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/{MGMT}/*",
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "AWS:SourceArn": trail,
                }
            },
        },
    ]


def _bucket_policy_json(module: Any, tmp_path: Path) -> dict[str, Any]:
    """The bucket policy as the provider renders it (tests/support, not the generator's code)."""
    folder = tmp_path / "module"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in module.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return policy_documents(folder, placeholders={})[
        "data.aws_iam_policy_document.cloudtrail_bucket"
    ]


def test_no_module_reads_its_managed_bucket_policy_back(tmp_path: Path) -> None:
    """The desired policy never comes from the live one: it would keep every statement forever."""
    for config in [*sorted((ROOT / "configs").glob("*.yaml")), *sorted(CASES.glob("*.yaml"))]:
        module = build(config)
        assert not module.parsed.of_type("data", "aws_s3_bucket_policy"), config.name
        assert "aws_s3_bucket_policy" not in "".join(
            line for text in module.files.values() for line in text.splitlines()
            if line.startswith("data ")
        ), config.name  # fmt: skip


def test_kept_console_statements_are_rendered_as_written(tmp_path: Path) -> None:
    kept = _console_statements(OTHER_TRAIL)
    module = _build(_data(**{"bucket.kept_statements": kept}), tmp_path)
    policy = _bucket_policy_json(module, tmp_path)
    by_sid = {statement["Sid"]: statement for statement in policy["Statement"]}
    for statement in kept:
        assert by_sid[statement["Sid"]] == statement  # UUID Sid and AWS:SourceArn untouched
    # ... beside this trail's own grants, under Sids of their own.
    assert {"CloudTrailOrgTrailAclCheck", "CloudTrailOrgTrailWriteOrganization"} <= set(by_sid)
    assert len(by_sid) == len(policy["Statement"])
    assert not {s.sid for s in statements(module.parsed.get(BUCKET_DOC))} & set(CONSOLE_SIDS)


def test_removing_readers_removes_their_grant_from_the_policy(tmp_path: Path) -> None:
    reader = "arn:aws:iam::222222222222:role/Siem"
    with_reader = _build(_data(**{"bucket.readers": [reader]}), tmp_path, "with")
    without = _build(_data(), tmp_path, "without")
    sids = {s["Sid"] for s in _bucket_policy_json(with_reader, tmp_path / "a")["Statement"]}
    assert "CloudTrailOrgTrailLogReaders" in sids
    policy = _bucket_policy_json(without, tmp_path / "b")
    assert "CloudTrailOrgTrailLogReaders" not in {s["Sid"] for s in policy["Statement"]}
    assert not any(reader in json.dumps(s) for s in policy["Statement"])
    # Nothing puts it back at plan time: the document has no other source than the config.
    document = without.parsed.get(BUCKET_DOC)
    assert document is not None and "source_policy_documents" not in document.body


def test_the_adopted_policy_warning_says_what_is_kept_and_what_goes(tmp_path: Path) -> None:
    kept = _console_statements(OTHER_TRAIL)
    module = _build(_data(**{"bucket.kept_statements": kept}), tmp_path)
    (bucket,) = [w for w in module.warnings if w.startswith(f"bucket {BUCKET} is imported")]
    (line,) = [line for line in bucket.splitlines() if line.startswith("  policy:")]
    assert "REPLACED" in line and "ANY OTHER statement it has today is removed" in line
    assert all(s["Sid"] in line for s in kept)
    assert "KEPT" not in bucket and "merged" not in bucket


def test_an_adopted_buckets_policy_refuses_a_destroy(tmp_path: Path) -> None:
    """It carries other trails' grants: destroying it alone would cut their delivery."""
    adopted = _build(_data(), tmp_path).parsed.get("aws_s3_bucket_policy.logs")
    assert adopted is not None
    assert [b.get("prevent_destroy") for b in adopted.body.get("lifecycle", [])] == [True]
    created = build(ROOT / "configs" / "example.yaml").parsed.get("aws_s3_bucket_policy.logs")
    assert created is not None and "lifecycle" not in created.body  # it goes with its bucket


@pytest.mark.parametrize("mode", ["already_enabled", "enable"])
def test_the_imports_header_names_the_trusted_access_mode(mode: str, tmp_path: Path) -> None:
    module = _build(_data(**{"organization.cloudtrail_trusted_access": mode}), tmp_path)
    header = module.files["imports.tf"].split("import {")[0]
    assert f"cloudtrail_trusted_access: {mode}" in header
    assert "cloudtrail_trusted_access: adopt" not in header
    assert "aws_organizations_aws_service_access" not in _imports(module.files)
    adopted = _build(_data(), tmp_path, "adopt").files["imports.tf"].split("import {")[0]
    assert "cloudtrail_trusted_access: adopt" in adopted


def test_a_bucket_without_a_policy_imports_none(tmp_path: Path) -> None:
    data = _data(**{"adopt.bucket.configurations": ["public_access_block"]})
    files = render_module(_validate(data), "configs/t.yaml")
    assert "aws_s3_bucket_policy.logs" not in _imports(files)


def test_the_shipped_console_example_adopts_the_walkthrough(tmp_path: Path) -> None:
    module = build(ROOT / "configs" / "adopt-console.yaml")
    imported = _imports(module.files)
    assert imported["aws_cloudtrail.org"].endswith(":trail/management-events")
    assert "aws_s3_bucket_policy.logs" in imported
    warning = next(w for w in module.warnings if w.startswith("aws_cloudtrail.org"))
    assert "  enable_log_file_validation: false -> true" in warning.splitlines()


def test_what_this_module_does_not_generate_is_said_to_go(tmp_path: Path) -> None:
    """Selectors and an SNS topic are not in the config: the plan removes them in place."""
    data = _data(
        **{
            "adopt.trail.sns_topic_name": "cloudtrail-deliveries",
            "adopt.trail.has_custom_event_selectors": True,
            "adopt.trail.has_insight_selectors": True,
        }
    )
    module = _build(data, tmp_path)
    (warning,) = [w for w in module.warnings if w.startswith("aws_cloudtrail.org")]
    lines = warning.splitlines()
    assert "  sns_topic_name: cloudtrail-deliveries -> (none)" in lines
    assert any("data events it records today STOP being recorded" in line for line in lines)
    assert "  insight_selector: (set) -> (none): CloudTrail Insights stops" in lines


def test_adopted_selectors_replaced_by_trail_events_are_said_to_be_replaced(
    tmp_path: Path,
) -> None:
    """With trail.events, the adopted trail's selectors are replaced, not removed."""
    data = _data(
        **{
            "adopt.trail.has_custom_event_selectors": True,
            "adopt.trail.has_insight_selectors": True,
            "trail.events": {"insights": ["ApiErrorRateInsight"]},
        }
    )
    module = _build(data, tmp_path)
    (warning,) = [w for w in module.warnings if w.startswith("aws_cloudtrail.org")]
    lines = warning.splitlines()
    assert not any("records management events only" in line for line in lines)
    assert any(
        line.startswith("  advanced_event_selector: custom -> trail.events") for line in lines
    )
    assert "  insight_selector: -> ApiErrorRateInsight (trail.events.insights)" in lines


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("adopt.trail.sns_topic_name", "topic\nresource"),
        ("adopt.trail.s3_key_prefix", "logs\n}"),
    ],
)
def test_values_printed_in_comments_cannot_break_out_of_them(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _validate(_data(**{key: value}))
    assert [issue.path for issue in caught.value.issues] == [key]


def test_the_reviewer_reads_the_in_place_changes_next_to_the_imports(tmp_path: Path) -> None:
    module = _build(_data(**{"adopt.trail.enable_log_file_validation": False}), tmp_path)
    comments = [line[2:] for line in module.files["imports.tf"].splitlines() if line[:2] == "# "]
    assert "  enable_log_file_validation: false -> true" in comments


def test_an_adopted_service_role_keeps_its_path(tmp_path: Path) -> None:
    """path is ForceNew on aws_iam_role: the default '/' would replace a /service-role/ role."""
    role_arn = f"arn:aws:iam::{MGMT}:role/service-role/TrailDelivery"
    data = _data(
        **{"adopt.role.path": "/service-role/", "adopt.trail.cloud_watch_logs_role_arn": role_arn}
    )
    module = _build(data, tmp_path)
    role = module.parsed.get("aws_iam_role.cloudtrail_cloudwatch")
    assert role is not None and literal(role.body["path"]) == "/service-role/"
    assert _imports(module.files)["aws_iam_role.cloudtrail_cloudwatch"] == "TrailDelivery"
    assert f"aws_cloudtrail.org ({TRAIL_ARN}) is imported with no change to its settings" in (
        module.warnings
    )
    assert "path" not in build(ROOT / "configs" / "example.yaml").files["logs.tf"]


@pytest.mark.parametrize("path", ["service-role", "/service-role", "/a//b/"])
def test_an_iam_path_starts_and_ends_with_a_slash(path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _validate(_data(**{"adopt.role.path": path}))
    assert [issue.path for issue in caught.value.issues] == ["adopt.role.path"]


def test_imports_name_the_provider_of_their_layout_account(tmp_path: Path) -> None:
    """An adopted bucket in a log-archive account is imported through that account's provider."""
    path = tmp_path / "archive.yaml"
    path.write_text(
        """\
organization: {id: o-a1b2c3d4e5, management_account_id: "111111111111", cloudtrail_trusted_access: adopt}
trail: {name: org-trail, home_region: us-east-1}
bucket: {name: example-org-cloudtrail-logs}
adopt:
  bucket: {name: example-org-cloudtrail-logs, configurations: [public_access_block]}
log_archive: {account_id: "444455556666", role_arn: "arn:aws:iam::444455556666:role/Deployer"}
""",
        encoding="utf-8",
    )
    module = build(path)
    imports = [b for b in module.parsed.blocks if b.kind == "import"]
    providers = {b.body["to"]: b.body.get("provider") for b in imports}
    assert providers["${aws_s3_bucket.logs}"] == "${aws.log_archive}"
    assert providers["${aws_s3_bucket_public_access_block.logs}"] == "${aws.log_archive}"
    assert providers["${aws_organizations_aws_service_access.cloudtrail}"] is None


@pytest.mark.parametrize(
    "value", ['a"b', "${var.x}", "%{ if x }", "line\nbreak", "back\\slash", "é☃"]
)
def test_kept_statement_strings_reach_the_policy_unchanged(value: str, tmp_path: Path) -> None:
    """A kept value is printed through the one escaping filter: it can change nothing else."""
    statement = _console_statements(OTHER_TRAIL)[1]
    statement["Condition"]["StringLike"] = {"s3:prefix": [value, "plain"], f"k{value}": "v"}
    module = _build(_data(**{"bucket.kept_statements": [statement]}), tmp_path)
    rendered = _bucket_policy_json(module, tmp_path)["Statement"]
    assert rendered[0] == statement
    assert len(rendered) == 1 + len(statements(module.parsed.get(BUCKET_DOC)))


def test_one_build_computes_the_adoption_warnings_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """imports.tf's notes and the CLI's warnings come from one computation, not two."""
    from generator.pipeline import build
    from generator.sections.adopt import changes

    calls: list[object] = []
    original = changes._trail_changes

    def counted(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(changes, "_trail_changes", counted)
    module = build(ROOT / "configs" / "adopt-console.yaml")
    assert len(calls) == 1
    assert module.warnings
    assert "is imported" in module.files["imports.tf"]
