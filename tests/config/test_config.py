"""Every config validation rule, each with values it accepts and values it refuses.

A refused value must produce exactly one issue, on the key the user has to change, so each
case also proves that the base config is otherwise valid and that the right rule fired.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError, ConfigIssue
from generator.sections.registry import Config, validate

BASE: dict[str, Any] = {
    "organization": {
        "id": "o-a1b2c3d4e5",
        "management_account_id": "111111111111",
        "cloudtrail_trusted_access": "enable",
    },
    "trail": {
        "name": "org-trail",
        "home_region": "us-east-1",
        "regions": ["us-east-1", "eu-west-1"],
    },
    "bucket": {"name": "example-org-cloudtrail-logs"},
    "cloudwatch_logs": {"log_group_name": "/aws/cloudtrail/org"},
    "tags": {"Owner": "security"},
}

Path_ = tuple[str | int, ...]


def build(**changes: Any) -> dict[str, Any]:
    """BASE with changes, each keyed by a dotted path such as ``trail.name``."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        set_(data, tuple(dotted.split(".")), value)
    return data


def set_(data: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value
    return data


def with_(path: Path_, value: Any) -> dict[str, Any]:
    return set_(copy.deepcopy(BASE), path, value)


def check(data: dict[str, Any]) -> Config:
    return validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))


def issues_of(data: dict[str, Any]) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        check(data)
    return caught.value.issues


def assert_refused(data: dict[str, Any], path: str, *words: str) -> ConfigIssue:
    issues = issues_of(data)
    assert [issue.path for issue in issues] == [path], issues
    for word in words:
        assert word in issues[0].message, issues[0].message
    return issues[0]


def dotted(path: Path_) -> str:
    return ".".join(p if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")


def get(config: Config, path: Path_) -> Any:
    node: Any = config
    for part in path:
        node = (
            node[part] if isinstance(part, int) or isinstance(node, dict) else getattr(node, part)
        )
    return node


def test_base_config_is_valid() -> None:
    config = check(BASE)
    assert config.trail.name == "org-trail"


# ---------------------------------------------------------------- single-field rules
# (path, value, accepted?) - each accepted value must arrive unchanged in the model.

ORG_ID = [
    ("o-a1b2c3d4e5", True),
    ("o-" + "a" * 10, True),
    ("o-" + "0" * 32, True),
    ("o-" + "a" * 9, False),
    ("o-" + "a" * 33, False),
    ("o-ABCDEFGHIJ", False),
    ("a1b2c3d4e5", False),
    ("o-a1b2c3d4e_", False),
    ("o-a1b2c3d4e5 ", False),
    ("o-a1b2c3d4e5\n", False),
]
ACCOUNT_ID = [
    ("111111111111", True),
    ("012345678901", True),
    ("11111111111", False),
    ("1111111111111", False),
    ("11111111111a", False),
    (" 111111111111", False),
]
TRAIL_NAME = [
    ("abc", True),
    ("a" * 128, True),
    ("My.trail_name-1", True),
    ("1.2.3", True),
    ("1.2.3.4.5", True),
    ("ab", False),
    ("a" * 129, False),
    ("my--trail", False),
    ("my-_trail", False),
    ("my._trail", False),
    ("my..trail", False),
    ("-trail", False),
    ("trail-", False),
    ("_trail", False),
    ("trail.", False),
    ("my trail", False),
    ("trail!", False),
    ("tr\u0430il", False),  # Cyrillic a
    ("192.168.1.1", False),
    ("1.2.3.4", False),
    ("999.999.999.999", False),
]
BUCKET_NAME = [
    ("abc", True),
    ("a" * 63, True),
    ("my-bucket-1", True),
    ("1bucket", True),
    ("sthree", True),
    ("xn-abc", True),
    ("abc-s3aliasx", True),
    ("ab", False),
    ("a" * 64, False),
    ("xn--abc", False),
    ("sthree-abc", False),
    ("amzn-s3-demo-abc", False),
    ("abc-s3alias", False),
    ("abc--ol-s3", False),
    ("abc--x-s3", False),
    ("abc--table-s3", False),
    ("Abc", False),
    ("abc_d", False),
    ("-abc", False),
    ("abc-", False),
    ("abc\n", False),
]
KEY_PREFIX = [
    ("a", True),
    ("a" * 200, True),
    ("cloudtrail/org-1", True),
    ("a.b/c_d/(x)!'", True),
    ("a" * 201, False),
    ("", False),
    ("/a", False),
    ("a/", False),
    ("a//b", False),
    ("*", False),
    ("logs/*", False),
    ("..", False),
    ("a/../b", False),
    ("a/./b", False),
    ("a b", False),
    ("a${x}", False),
    ("a%{x}", False),
    ("caf\u00e9", False),
]
LOG_GROUP = [
    ("/aws/cloudtrail/org", True),
    ("a", True),
    ("a" * 512, True),
    ("a#b.c_d-e/F9", True),
    ("", False),
    ("a" * 513, False),
    ("a b", False),
    ("a:b", False),
    ("a*", False),
    ("caf\u00e9", False),
    ("a\n", False),
]
ROLE_NAME = [
    ("a", True),
    ("a" * 64, True),
    ("a+=,.@_-B9", True),
    ("", False),
    ("a" * 65, False),
    ("a/b", False),
    ("a b", False),
]
SINGLE_FIELD = [
    *[(("organization", "id"), v, ok) for v, ok in ORG_ID],
    *[(("organization", "management_account_id"), v, ok) for v, ok in ACCOUNT_ID],
    *[(("trail", "name"), v, ok) for v, ok in TRAIL_NAME],
    *[(("bucket", "name"), v, ok) for v, ok in BUCKET_NAME],
    *[(("trail", "s3_key_prefix"), v, ok) for v, ok in KEY_PREFIX],
    *[(("cloudwatch_logs", "log_group_name"), v, ok) for v, ok in LOG_GROUP],
    *[(("cloudwatch_logs", "role_name"), v, ok) for v, ok in ROLE_NAME],
    *[(("cloudwatch_logs", "retention_in_days"), v, True) for v in (0, 1, 365, 3653)],
    *[(("cloudwatch_logs", "retention_in_days"), v, False) for v in (2, 4, 3654, -1, 10000)],
    *[
        (("organization", "cloudtrail_trusted_access"), v, ok)
        for v, ok in (("enable", True), ("already_enabled", True), ("yes", False), (True, False))
    ],
]


def _id(case: tuple[Path_, Any, bool]) -> str:
    path, value, ok = case
    path = tuple(p if isinstance(p, str) else f"[{p}]" for p in path)
    shown = repr(value) if len(repr(value)) < 30 else f"{repr(value)[:12]}..len{len(value)}"
    return f"{'ok' if ok else 'no'}-{'.'.join(map(str, path))}={shown}"


@pytest.mark.parametrize("case", SINGLE_FIELD, ids=[_id(c) for c in SINGLE_FIELD])
def test_single_field_rule(case: tuple[Path_, Any, bool]) -> None:
    path, value, ok = case
    # periods in new bucket names are a separate (cross-field) rule; test the name rule alone
    data = with_(path, value)
    if path == ("bucket", "name"):
        data["bucket"]["create"] = False
    if ok:
        assert get(check(data), path) == value
    else:
        issue = assert_refused(data, dotted(path))
        assert issue.file == "t.yaml"


@pytest.mark.parametrize(
    "name", ["a..b", "a-.b", "a.-b", "192.168.5.4", "abc.", "abc.mrap", "10.0.0.1"]
)
def test_bucket_name_rules_also_apply_to_existing_buckets(name: str) -> None:
    data = build(**{"bucket.name": name, "bucket.create": False})
    assert_refused(data, "bucket.name", "not a valid S3 bucket name")


@pytest.mark.parametrize("name", ["256.1.1.1", "999.999.999.999", "01.02.03.04"])
def test_ip_shaped_bucket_name_is_refused(name: str) -> None:
    assert_refused(build(**{"bucket.name": name, "bucket.create": False}), "bucket.name")


def test_periods_in_bucket_name_refused_only_for_a_new_bucket() -> None:
    existing = check(build(**{"bucket.name": "my.logs.bucket", "bucket.create": False}))
    assert existing.bucket.name == "my.logs.bucket"
    assert_refused(build(**{"bucket.name": "my.logs.bucket"}), "bucket.name", "period")
    assert_refused(
        build(**{"bucket.name": "my.logs.bucket", "bucket.create": True}), "bucket.name", "."
    )


def test_unquoted_account_id_is_refused_with_advice_to_quote_it() -> None:
    issue = assert_refused(
        with_(("organization", "management_account_id"), 111111111111),
        "organization.management_account_id",
    )
    assert "quote" in issue.message
    assert "'111111111111'" in issue.message


def test_unquoted_account_id_in_yaml_text_is_refused_with_advice() -> None:
    text = yaml.safe_dump(BASE, sort_keys=False).replace(
        "management_account_id: '111111111111'", "management_account_id: 123456789012"
    )
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(text, "t.yaml"))
    (issue,) = caught.value.issues
    assert issue.path == "organization.management_account_id"
    assert "quote" in issue.message


def test_unquoted_account_id_with_leading_zero_advises_the_digits_as_written() -> None:
    text = yaml.safe_dump(BASE, sort_keys=False).replace(
        "management_account_id: '111111111111'", "management_account_id: 011111111111"
    )
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(text, "t.yaml"))
    (issue,) = caught.value.issues
    assert "1227133513" not in issue.message
    assert "011111111111" in issue.message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("organization", "management_account_id"), "\u0661" * 12),
        (("cloudwatch_logs", "role_name"), "r\u00f4le"),
    ],
)
def test_non_ascii_digits_and_letters_are_refused(path: Path_, value: str) -> None:
    assert_refused(with_(path, value), ".".join(map(str, path)))


# ---------------------------------------------------------------- types are never coerced


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("cloudwatch_logs", "retention_in_days"), "365"),
        (("cloudwatch_logs", "retention_in_days"), 365.0),
        (("cloudwatch_logs", "retention_in_days"), True),
        (("trail", "is_multi_region"), "yes"),
        (("trail", "is_multi_region"), 1),
        (("bucket", "create"), "false"),
        (("trail", "name"), 12345),
        (("trail", "regions"), "us-east-1"),
        (("bucket", "existing_policy"), "keep"),
        (("tags",), ["Owner"]),
    ],
)
def test_wrong_types_are_refused_not_coerced(path: Path_, value: Any) -> None:
    assert_refused(with_(path, value), ".".join(map(str, path)))


# ---------------------------------------------------------------- regions and partitions


@pytest.mark.parametrize(
    ("home", "regions"),
    [
        ("us-east-1", ["us-east-1"]),
        ("eu-west-1", ["us-east-1", "eu-west-1"]),
        ("cn-north-1", ["cn-north-1", "cn-northwest-1"]),
        ("us-gov-west-1", ["us-gov-west-1", "us-gov-east-1"]),
    ],
)
def test_regions_of_one_partition_are_accepted(home: str, regions: list[str]) -> None:
    config = check(build(**{"trail.home_region": home, "trail.regions": regions}))
    assert config.trail.regions == regions


@pytest.mark.parametrize("region", ["us-east-7", "mars-1", "aws-global", "US-EAST-1", ""])
def test_unknown_or_pseudo_region_is_refused(region: str) -> None:
    assert_refused(
        build(**{"trail.regions": ["us-east-1", region]}), "trail.regions[1]", repr(region)
    )
    issues = issues_of(build(**{"trail.home_region": region}))
    assert [i.path for i in issues] == ["trail.home_region"]


@pytest.mark.parametrize(
    ("home", "other"),
    [
        ("us-east-1", "cn-north-1"),
        ("us-gov-west-1", "us-east-1"),
        ("cn-north-1", "us-gov-west-1"),
    ],
)
def test_mixed_partitions_are_refused(home: str, other: str) -> None:
    data = build(**{"trail.home_region": home, "trail.regions": [home, other]})
    assert_refused(data, "trail.regions[1]", "partition")


def test_empty_region_list_is_refused() -> None:
    assert_refused(build(**{"trail.regions": []}), "trail.regions")


# ---------------------------------------------------------------- tags


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"Owner": "security"},
        {"k" * 128: "v" * 256},
        {"k": ""},
        {"a b:c/d=e+f-g@h_i.j": "x y:z/=+-@_."},
        {"Gr\u00f6\u00dfe": "\u00fc\u65e5\u672c"},
        {"key": "aws:value"},
    ],
)
def test_tags_accepted(tags: dict[str, str]) -> None:
    assert check(with_(("tags",), tags)).tags == tags


@pytest.mark.parametrize(
    ("tags", "word"),
    [
        ({"aws:x": "y"}, "aws:"),
        ({"AWS:Owner": "y"}, "aws:"),
        ({"Aws:Owner": "y"}, "aws:"),
        ({"k": 'a"b'}, '"'),
        ({'a"b': "v"}, '"'),
        ({"k": "${x}"}, "$"),
        ({"k": "%{x}"}, "%"),
        ({"k": "a\nb"}, "\\n"),
        ({"k": "a\\b"}, "\\"),
        ({"k": "a\tb"}, "\\t"),
        ({"k" * 129: "v"}, "128"),
        ({"k": "v" * 257}, "256"),
        ({"": "v"}, "128"),
    ],
)
def test_tags_refused(tags: dict[str, str], word: str) -> None:
    issues = issues_of(with_(("tags",), tags))
    assert len(issues) == 1, issues
    assert issues[0].path.startswith("tags")
    assert word in issues[0].message


@pytest.mark.parametrize("value", [1, None, True])
def test_tag_values_must_be_strings(value: Any) -> None:
    assert_refused(with_(("tags",), {"Owner": value}), "tags.Owner")


# ---------------------------------------------------------------- cross-field rules


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("trusted_access", {"service_access_principals": ["cloudtrail.amazonaws.com"]}),
        ("enabled_policy_types", ["SERVICE_CONTROL_POLICY"]),
    ],
)
def test_retired_organization_keys_say_why_they_went(key: str, value: Any) -> None:
    data = with_(("organization", key), value)
    (issue,) = [i for i in issues_of(data) if i.path == f"organization.{key}"]
    assert "no longer needed" in issue.message
    assert "aws_organizations_organization" in issue.message
    assert "unknown key" not in issue.message


def test_trusted_access_has_no_default_and_says_how_to_find_out() -> None:
    data = copy.deepcopy(BASE)
    del data["organization"]["cloudtrail_trusted_access"]
    (issue,) = issues_of(data)
    assert issue.path == "organization.cloudtrail_trusted_access"
    assert "list-aws-service-access-for-organization" in issue.message


def test_duplicate_region_is_refused_at_the_repeat() -> None:
    data = build(**{"trail.regions": ["us-east-1", "eu-west-1", "us-east-1"]})
    assert_refused(data, "trail.regions[2]", "twice")


def test_home_region_must_be_among_regions() -> None:
    data = build(**{"trail.home_region": "eu-central-1"})
    assert_refused(data, "trail.regions", "eu-central-1")


def test_multi_region_trail_needs_global_service_events() -> None:
    data = build(**{"trail.include_global_service_events": False})
    assert_refused(data, "trail.include_global_service_events", "multi-region")
    explicit = build(
        **{"trail.include_global_service_events": False, "trail.is_multi_region": True}
    )
    assert_refused(explicit, "trail.include_global_service_events")


def test_single_region_trail_lists_only_its_home_region() -> None:
    assert_refused(build(**{"trail.is_multi_region": False}), "trail.regions", "single-region")
    config = check(
        build(
            **{
                "trail.is_multi_region": False,
                "trail.regions": ["us-east-1"],
                "trail.include_global_service_events": False,
            }
        )
    )
    assert config.trail.is_multi_region is False


def test_regions_default_to_the_home_region() -> None:
    data = copy.deepcopy(BASE)
    del data["trail"]["regions"]
    config = check(data)
    assert config.trail.regions is None
    assert config.trail.expected_regions == ["us-east-1"]


@pytest.mark.parametrize(
    ("home", "global_events", "refused"),
    [
        ("eu-west-1", True, True),  # records no global events at all: refused
        ("eu-west-1", False, False),  # the same, said out loud: accepted (with a warning)
        ("us-east-1", True, False),  # global events are recorded in us-east-1
        ("us-gov-east-1", True, True),
        ("us-gov-west-1", True, False),
    ],
)
def test_single_region_trail_outside_the_global_region(
    home: str, global_events: bool, refused: bool
) -> None:
    data = build(
        **{
            "trail.is_multi_region": False,
            "trail.home_region": home,
            "trail.regions": [home],
            "trail.include_global_service_events": global_events,
        }
    )
    if refused:
        assert_refused(data, "trail.is_multi_region", "global service events")
    else:
        assert check(data).trail.is_multi_region is False


def test_existing_policy_only_with_an_existing_bucket() -> None:
    existing = {"bucket.create": False}
    assert check(build(**existing, **{"bucket.existing_policy": "replace"})).bucket.create is False
    kept = {"bucket.kept_statements": [other_trails_grant()]}
    merged = check(build(**existing, **kept, **{"bucket.existing_policy": "merge"}))
    assert merged.bucket.existing_policy == "merge"
    assert check(build(**{"bucket.existing_policy": "replace"})).bucket.create is True
    assert_refused(
        build(**{"bucket.existing_policy": "merge", "bucket.create": True}),
        "bucket.existing_policy",
        "create: false",
    )


def test_merge_without_kept_statements_points_to_discover() -> None:
    # merge no longer reads the live policy back: with nothing kept it would keep nothing.
    assert_refused(
        build(**{"bucket.create": False, "bucket.existing_policy": "merge"}),
        "bucket.existing_policy",
        "orgtrail-gen discover",
        "no longer read back",
    )


def test_replace_with_kept_statements_is_a_contradiction() -> None:
    assert_refused(
        build(**{"bucket.create": False, "bucket.kept_statements": [other_trails_grant()]}),
        "bucket.kept_statements[0]",
        "existing_policy: merge",
    )


OTHER_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/console-trail"


def other_trails_grant(**changes: Any) -> dict[str, Any]:
    """The console's write grant for another trail, as GetBucketPolicy returns it."""
    statement: dict[str, Any] = {
        "Sid": "AWSCloudTrailWrite20150319-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::example-org-cloudtrail-logs/AWSLogs/111111111111/*",
        "Condition": {
            "StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "AWS:SourceArn": OTHER_TRAIL,
            }
        },
    }
    statement.update(changes)
    return {k: v for k, v in statement.items() if v is not None}


def test_kept_statements_are_accepted_as_iam_json() -> None:
    reader = other_trails_grant(
        Sid="CrossAccountRead",
        Principal={"AWS": ["arn:aws:iam::222222222222:root"]},
        Action=["s3:GetObject", "s3:ListBucket"],
        Resource=[
            "arn:aws:s3:::example-org-cloudtrail-logs",
            "arn:aws:s3:::example-org-cloudtrail-logs/*",
        ],
        Condition=None,
    )
    deny = other_trails_grant(Sid="DenyDeletes", Effect="Deny", Principal="*",
                              Action="s3:DeleteObject*", Condition=None)  # fmt: skip
    config = check(build(**{"bucket.kept_statements": [other_trails_grant(), reader, deny]}))
    assert [s.sid for s in config.bucket.kept_statements] == [
        other_trails_grant()["Sid"],
        "CrossAccountRead",
        "DenyDeletes",
    ]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"Resource": "arn:aws:s3:::another-bucket/*"}, "Resource", ("S3 refuses",)),
        ({"Action": ["s3:PutObject", "kms:Decrypt"]}, "Action[1]", ("not an s3: action",)),
        ({"Principal": "*"}, "Principal", ("everyone",)),
        ({"Principal": {"AWS": "*"}}, "Principal", ("everyone",)),
        ({"Condition": None}, "Condition", ("aws:SourceArn", "confused deputy")),
        # Ours: the module writes them, a copy would be a duplicate Sid at plan time.
        ({"Sid": "CloudTrailOrgTrailWriteOrganization"}, "Sid", ("this module writes",)),
        ({"Sid": "DenyInsecureTransport"}, "Sid", ("this module writes",)),
    ],
)
def test_kept_statement_rules(change: dict[str, Any], where: str, words: tuple[str, ...]) -> None:
    data = build(**{"bucket.kept_statements": [other_trails_grant(**change)]})
    assert_refused(data, f"bucket.kept_statements[0].{where}", *words)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"Sid": "has space"}, "Sid"),
        ({"Effect": "allow"}, "Effect"),
        ({"Principal": {"Federated": "x"}}, "Principal"),
        ({"NotAction": "s3:*"}, "NotAction"),
        ({"Action": []}, "Action"),
    ],
)
def test_kept_statement_shape(change: dict[str, Any], where: str) -> None:
    data = build(**{"bucket.kept_statements": [other_trails_grant(**change)]})
    paths = [issue.path for issue in issues_of(data)]
    assert paths and all(p.startswith(f"bucket.kept_statements[0].{where}") for p in paths), paths


def test_duplicate_kept_sids_are_refused_where_the_second_is() -> None:
    text = yaml.safe_dump(
        build(**{"bucket.kept_statements": [other_trails_grant(), other_trails_grant()]}),
        sort_keys=False,
    )
    with pytest.raises(ConfigError) as caught:
        validate(load_yaml(text, "t.yaml"))
    (issue,) = caught.value.issues
    second_sid = [n for n, line in enumerate(text.splitlines(), 1) if "Sid:" in line][1]
    assert (issue.path, issue.line) == ("bucket.kept_statements[1].Sid", second_sid)
    assert "bucket.kept_statements[0]" in issue.message and "duplicate" in issue.message


def test_several_cross_field_errors_are_reported_together() -> None:
    data = build(
        **{
            "trail.home_region": "eu-central-1",
            "trail.include_global_service_events": False,
            "bucket.existing_policy": "merge",
            "bucket.create": False,
        }
    )
    paths = {issue.path for issue in issues_of(data)}
    assert paths == {
        "trail.regions",
        "trail.include_global_service_events",
        "bucket.existing_policy",
    }


# ---------------------------------------------------------------- unknown and missing keys


@pytest.mark.parametrize(
    "section",
    [
        (),
        ("organization",),
        ("trail",),
        ("bucket",),
        ("cloudwatch_logs",),
        ("kms",),
        ("bucket", "lifecycle"),
    ],
    ids=lambda s: ".".join(s) or "top",
)
@pytest.mark.parametrize("key", ["nmae", "Name", "prevent_destroy"])
def test_unknown_keys_are_refused_everywhere(section: Path_, key: str) -> None:
    data = set_(copy.deepcopy(BASE), (*section, key), "x")
    assert_refused(data, ".".join((*map(str, section), key)), "unknown key")


@pytest.mark.parametrize(
    "path",
    [
        ("organization",),
        ("trail",),
        ("bucket",),
        ("organization", "id"),
        ("organization", "management_account_id"),
        ("organization", "cloudtrail_trusted_access"),
        ("trail", "name"),
        ("trail", "home_region"),
        ("bucket", "name"),
        ("cloudwatch_logs", "log_group_name"),
    ],
)
def test_required_keys(path: Path_) -> None:
    data = copy.deepcopy(BASE)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    assert_refused(data, ".".join(path), "missing")


def test_optional_sections_may_be_omitted() -> None:
    data = copy.deepcopy(BASE)
    del data["cloudwatch_logs"], data["tags"]
    config = check(data)
    assert config.cloudwatch_logs is None
    # untagged, the trail would fail Security Hub CloudTrail.9: omitted tags mean ours
    assert config.tags == {"ManagedBy": "orgtrail-gen"}
    data["tags"] = {}
    assert check(data).tags == {}  # said explicitly, no tags at all


# aws-facts §8.3: botocore's `Days` list, plus 0 (never expire) that Terraform accepts
CLOUDWATCH_RETENTION = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                        1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip


@pytest.mark.parametrize("days", CLOUDWATCH_RETENTION)
def test_every_cloudwatch_retention_value_is_accepted(days: int) -> None:
    assert check(with_(("cloudwatch_logs", "retention_in_days"), days)).cloudwatch_logs is not None


# ---------------------------------------------------------------- layouts

ARCHIVE = "444455556666"
ADMIN = "123412341234"


def _role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/Deployer"


def test_layouts_are_accepted() -> None:
    config = check(
        build(
            **{
                "log_archive.account_id": ARCHIVE,
                "log_archive.role_arn": _role(ARCHIVE),
                "delegated_admin.account_id": ADMIN,
                "delegated_admin.role_arn": _role(ADMIN),
                "delegated_admin.other_registered": ["999999999999"],
            }
        )
        | {"cloudwatch_logs": None}
    )
    assert config.log_archive is not None and config.log_archive.account_id == ARCHIVE
    assert config.delegated_admin is not None and not config.delegated_admin.registered


@pytest.mark.parametrize("section", ["log_archive", "delegated_admin"])
def test_a_layout_account_must_not_be_the_management_account(section: str) -> None:
    data = build(
        **{f"{section}.account_id": "111111111111", f"{section}.role_arn": _role("111111111111")}
    )
    data.pop("cloudwatch_logs")
    assert_refused(data, f"{section}.account_id", "management account")


@pytest.mark.parametrize("section", ["log_archive", "delegated_admin"])
def test_the_role_must_be_in_the_layout_account(section: str) -> None:
    data = build(**{f"{section}.account_id": ARCHIVE, f"{section}.role_arn": _role(ADMIN)})
    data.pop("cloudwatch_logs")
    assert_refused(data, f"{section}.role_arn", f"account {ADMIN}", "wrong account")


def test_a_read_only_verify_role_in_the_log_archive_account_is_accepted() -> None:
    reader = f"arn:aws:iam::{ARCHIVE}:role/VerifyReader"
    data = build(
        **{
            "log_archive.account_id": ARCHIVE,
            "log_archive.role_arn": _role(ARCHIVE),
            "log_archive.verify_role_arn": reader,
        }
    )
    archive = check(data).log_archive
    assert archive is not None and archive.reader_role_arn == reader


def test_the_verify_role_must_be_in_the_log_archive_account() -> None:
    data = build(
        **{
            "log_archive.account_id": ARCHIVE,
            "log_archive.role_arn": _role(ARCHIVE),
            "log_archive.verify_role_arn": _role(ADMIN),
        }
    )
    assert_refused(data, "log_archive.verify_role_arn", f"account {ADMIN}", "another account")


def test_an_existing_key_must_be_the_log_archive_accounts() -> None:
    data = build(
        **{
            "log_archive.account_id": ARCHIVE,
            "log_archive.role_arn": _role(ARCHIVE),
            "kms.key_arn": "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        }
    )
    assert_refused(data, "kms.key_arn", "log-archive account")


def test_cloudtrail_allows_three_delegated_administrators() -> None:
    data = build(
        **{
            "delegated_admin.account_id": ADMIN,
            "delegated_admin.role_arn": _role(ADMIN),
            "delegated_admin.other_registered": ["222222222222", "333333333333", "555555555555"],
        }
    )
    data.pop("cloudwatch_logs")
    assert_refused(data, "delegated_admin.other_registered", "at most 3")
    data["delegated_admin"]["other_registered"].pop()
    assert check(data).delegated_admin is not None


def test_a_delegated_administrators_trail_cannot_promise_cloudwatch_logs() -> None:
    data = build(**{"delegated_admin.account_id": ADMIN, "delegated_admin.role_arn": _role(ADMIN)})
    assert_refused(data, "cloudwatch_logs", "management account", "omit delegated_admin")


def test_a_key_administrator_of_an_account_without_a_key_is_refused() -> None:
    """KMS refuses administrative calls across accounts: such an entry would administer nothing."""
    data = build(**{"kms.administrators": ["arn:aws:iam::999999999999:role/KeyAdmins"]})
    issue = assert_refused(
        data,
        "kms.administrators[0]",
        "account 999999999999",
        "account 111111111111: the trail's key",
    )
    assert "PutKeyPolicy" in issue.message
    assert check(build(**{"kms.administrators": ["111111111111"]})).kms.administrators


def test_in_the_log_archive_layout_each_account_administers_its_own_keys() -> None:
    layout = {"log_archive.account_id": ARCHIVE, "log_archive.role_arn": _role(ARCHIVE)}
    archive_admin = f"arn:aws:iam::{ARCHIVE}:role/KeyAdmins"
    management_admin = "arn:aws:iam::111111111111:role/KeyAdmins"
    config = check(build(**layout, **{"kms.administrators": [archive_admin, management_admin]}))
    assert config.kms.administrators == [archive_admin, management_admin]
    data = build(**layout, **{"kms.administrators": [archive_admin, _role("999999999999")]})
    assert_refused(
        data,
        "kms.administrators[1]",
        f"account {ARCHIVE}: the trail's key",
        "account 111111111111: the log group's key",
    )


def test_an_access_log_target_known_to_be_in_another_region_is_refused() -> None:
    """S3 logs a bucket only into one of its own account and region; the state bucket's region
    is the one target region the config states."""
    logging = {"target_bucket": "acme-terraform-state", "target_prefix": "cloudtrail/"}
    backend = {"bucket": "acme-terraform-state", "key": "orgtrail/terraform.tfstate"}
    data = build(
        **{"bucket.access_logging": logging, "backend": {**backend, "region": "eu-west-1"}}
    )
    assert_refused(
        data,
        "bucket.access_logging.target_bucket",
        "in eu-west-1 (backend.region)",
        "region us-east-1",
        "the management account",
    )
    # Same region (stated, or the default: the home region): nothing the config can tell.
    assert check(build(**{"bucket.access_logging": logging, "backend": backend}))
    assert check(
        build(**{"bucket.access_logging": logging, "backend": {**backend, "region": "us-east-1"}})
    )
