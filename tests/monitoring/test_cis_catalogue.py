"""The CIS catalogue against realistic CloudTrail records from a member account."""

from __future__ import annotations

import pytest
from support.cis_deviations import EXTRA, MISSING
from support.cloudtrail_events import CIS_EVENTS, MANAGEMENT, SPECIAL_EVENTS, build, load
from support.cloudwatch_names import is_valid_filter_name, is_valid_metric_name
from support.filter_matching import matches

from generator.monitoring import cis
from generator.monitoring.filter_pattern import MAX_PATTERN_LENGTH, parse

EVENTS = load()

# control id -> the fixtures it exists for
OWN: dict[str, set[str]] = {cid: set(stems) for cid, stems in SPECIAL_EVENTS.items()}
for _cid, (_service, _names) in CIS_EVENTS.items():
    OWN.setdefault(_cid, set()).update(f"{_service}-{n}" for n in _names)

FLAVOURS = [(c, f) for c in cis.controls() for f in c.flavours]


def test_fixtures_are_current_and_from_a_member_account() -> None:
    assert load() == build(), "run: python tests/support/cloudtrail_events.py"
    for stem, record in EVENTS.items():
        assert record["recipientAccountId"] != MANAGEMENT, stem
        assert {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
                "awsRegion", "sourceIPAddress", "eventType"} <= record.keys(), stem  # fmt: skip


def test_catalogue_covers_4_1_to_4_15_with_security_hub_ids() -> None:
    assert [c.id for c in cis.controls()] == [f"4.{n}" for n in range(1, 16)]
    mapped = {c.id: c.security_hub_id for c in cis.controls()}
    assert mapped["4.1"] == "CloudWatch.2" and mapped["4.3"] == "CloudWatch.1"
    assert mapped["4.15"] is None
    assert sorted(v for v in mapped.values() if v) == sorted(
        f"CloudWatch.{n}" for n in range(1, 15)
    )


@pytest.mark.parametrize(("control", "flavour"), FLAVOURS, ids=lambda x: getattr(x, "name", ""))
def test_flavour_fires_on_its_events_and_nothing_else(
    control: cis.Control, flavour: cis.Flavour
) -> None:
    pattern = parse(flavour.pattern)
    key = (control.id, flavour.name)
    expected = (OWN[control.id] - MISSING.get(key, set())) | EXTRA.get(key, set())
    fired = {stem for stem, record in EVENTS.items() if matches(pattern, record)}
    assert fired == expected


@pytest.mark.parametrize(("control", "flavour"), FLAVOURS, ids=lambda x: getattr(x, "name", ""))
def test_patterns_fit_cloudwatch_limits(control: cis.Control, flavour: cis.Flavour) -> None:
    assert len(flavour.pattern) <= MAX_PATTERN_LENGTH
    assert control.default_flavour in {f.name for f in control.flavours}


def test_names_are_valid_filter_and_metric_names() -> None:
    names = [c.name for c in cis.controls()]
    assert len(set(names)) == len(names)
    for name in names:
        assert is_valid_filter_name(name) and is_valid_metric_name(name), name
    assert not is_valid_filter_name("a:b") and not is_valid_filter_name("a*")
    assert not is_valid_filter_name("") and not is_valid_filter_name("x" * 513)
    assert not is_valid_metric_name("cost$") and not is_valid_metric_name("x" * 256)
    assert is_valid_filter_name("x" * 512) and is_valid_metric_name("x" * 255)


def test_defective_v14_unauthorized_pattern_matches_ordinary_events() -> None:
    """Why 4.1 of CIS v1.4-v3.0 is never offered: OR-ed negations match DescribeInstances."""
    pattern = parse(cis.DEFECTIVE_CIS_V14_UNAUTHORIZED)
    assert matches(pattern, EVENTS["ec2-DescribeInstances"])
    assert sum(matches(pattern, r) for r in EVENTS.values()) == len(EVENTS)


def test_cis_v4_printed_4_1_groups_differently_from_the_shipped_flavour() -> None:
    """CIS v4.0 prints A || B && C && D, which AWS reads as A || (B && C && D)."""
    printed = parse(
        '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") &&'
        ' ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
    )
    delivery_unauthorized = {
        **EVENTS["s3-HeadBucket-delivery-AccessDenied"],
        "errorCode": "Client.UnauthorizedOperation",
    }
    assert matches(printed, delivery_unauthorized)
    assert not matches(parse(cis.control("4.1").flavour("cis-v4").pattern), delivery_unauthorized)


def test_cis_v3_printed_4_13_restricts_only_create_route() -> None:
    printed = parse(
        "{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) ||"
        " ($.eventName = CreateRouteTable) || ($.eventName = DeleteRoute) }"
    )
    delete_api_route = {**EVENTS["apigateway-CreateRoute"], "eventName": "DeleteRoute"}
    assert matches(printed, delete_api_route)  # the defect the cis-v3 flavour avoids
    assert not matches(parse(cis.control("4.13").flavour("cis-v3").pattern), delete_api_route)


def test_sso_safe_default_for_4_2() -> None:
    default = parse(cis.control("4.2").flavour().pattern)
    assert matches(default, EVENTS["signin-ConsoleLogin-iam-user-without-mfa"])
    assert not matches(default, EVENTS["signin-ConsoleLogin-sso-federated"])
    assert not matches(default, EVENTS["signin-ConsoleLogin-iam-user-with-mfa"])


def test_resolve_defaults_and_choices() -> None:
    all_defaults = cis.resolve()
    assert [s.name for s in all_defaults] == [c.name for c in cis.controls()]
    assert all_defaults[0].pattern == cis.control("4.1").flavour("securityhub").pattern
    chosen = cis.resolve(["4.13", "4.1"], {"4.1": "cis-v4"})
    assert [name for name, _ in chosen] == ["UnauthorizedAPICalls", "RouteTableChanges"]
    assert chosen[0].pattern == cis.control("4.1").flavour("cis-v4").pattern
    assert chosen[1].pattern == cis.control("4.13").flavour("cis-v3").pattern


@pytest.mark.parametrize(
    ("ids", "flavours", "message"),
    [
        (["4.16"], None, "unknown CIS control '4.16'"),
        (
            ["4.1"],
            {"4.1": "cis-v1.4"},
            "has no flavour 'cis-v1.4'; choose one of: securityhub, cis-v4",
        ),
        (["4.1"], {"4.2": "securityhub"}, "not selected: ['4.2']"),
        (["4.1", "4.1"], None, "more than once"),
    ],
)
def test_resolve_errors(ids: list[str], flavours: dict[str, str] | None, message: str) -> None:
    with pytest.raises(
        cis.CatalogueError,
        match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\."),
    ):
        cis.resolve(ids, flavours)
