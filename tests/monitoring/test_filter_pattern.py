"""The filter-pattern grammar and evaluator against what AWS documents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.cloudtrail_events import EVENTS_DIR, load
from support.filter_matching import matches

from generator.monitoring.filter_pattern import FilterPatternError, parse

EVENTS = load()

# AWS's sample event for compound expressions (FilterAndPatternSyntax, "Using compound
# expressions to match terms in JSON objects").
AWS_SAMPLE: dict[str, Any] = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [
        {"id": 2, "email": "John.Doe@example.com"},
        {"id": 3, "email": "Jane.Doe@example.com"},
    ],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}
AWS_VALUES: dict[str, Any] = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "ThisFlag": True,
    "latency": 750,
    "ratio": 0.25,
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
            False,
        ),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
    ],
)
def test_aws_documented_precedence(pattern: str, expected: bool) -> None:
    """() > && > ||, exactly AWS's four examples and their documented outcomes."""
    assert matches(parse(pattern), AWS_SAMPLE) is expected


def test_and_binds_tighter_than_or_not_left_to_right() -> None:
    event = {"a": "1", "b": "0", "c": "0"}
    # left to right would be (a || b) && c = false; AWS: a || (b && c) = true
    assert matches(parse("{ $.a = 1 || $.b = 1 && $.c = 1 }"), event)
    assert not matches(parse("{ ($.a = 1 || $.b = 1) && $.c = 1 }"), event)
    assert not matches(parse("{ $.c = 1 && $.b = 1 || $.b = 1 }"), event)
    assert matches(parse("{ ((($.a = 1))) }"), event)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType = "updatetrail" }', False),  # case sensitive
        ('{ $.eventType = "Update" }', False),  # exact, not substring
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ("{ $.sourceIPAddress = 111.111.* }", True),
        ('{ $.eventType = "*Trail" }', True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType = "*dateTr*" }', True),
        ('{ $.eventType = "Up*Trail" }', False),  # an inner * is a literal character
        ('{ $.eventType = "*" }', True),
        ("{ $.latency = * }", True),
        ("{ $.missing = * }", False),
        ('{ $.arrayKey[0] = "value" }', True),
        ('{ $.arrayKey[1] = "another value" }', True),
        ('{ $.arrayKey[2] = "value" }', False),
        ("{ $.objectList[1].id = 2 }", True),
        ('{ $.eventType[0] = "U" }', False),  # not an array
        ("{ $.arrayKey = value }", False),  # an array is not a value node...
        ("{ $.arrayKey != value }", False),  # ...for = or for !=
        ("{ $.objectList != 1 }", False),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.eventType IS NULL }", False),
        ("{ $.missing IS NULL }", False),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.SomeObject NOT EXISTS }", False),  # null exists
        ("{ $.objectList[5].id NOT EXISTS }", True),
        ("{ $.ThisFlag = true }", False),  # booleans need IS TRUE
        ("{ $.latency >= 500 }", True),
        ("{ $.latency > +1000 }", False),
        ("{ $.latency < 10e3 }", True),
        ("{ $.latency <= 750 }", True),
        ("{ $.latency != 750 }", False),
        ("{ $.latency = 750.0 }", True),
        ("{ $.latency = 7* }", True),  # wildcard on a number's text
        ("{ $.ratio < 25e-2 }", False),
        ("{ $.ratio <= 25e-2 }", True),
        ('{ $.latency = "750" }', True),
        ("{ $.eventType > 5 }", False),  # a string is not a number
        ("{ $.eventType = NULL }", False),  # NULL after = is the string "NULL"
    ],
)
def test_aws_documented_semantics(pattern: str, expected: bool) -> None:
    assert matches(parse(pattern), AWS_VALUES) is expected


def test_not_equal_does_not_match_a_missing_field() -> None:
    """DataBiosphere/azul#5884: != on an absent property is false; use NOT EXISTS for absence."""
    event = {"errorCode": "AccessDenied", "userIdentity": {"accountId": "anonymous"}}
    assert not matches(parse('{ $.userIdentity.invokedBy != "cloudfront.amazonaws.com" }'), event)
    assert matches(parse("{ $.userIdentity.invokedBy NOT EXISTS }"), event)
    assert not matches(parse('{ $.userIdentity.type != "x" }'), {"userIdentity": None})


def test_unquoted_number_against_a_string_field() -> None:
    """AWS: "the recipientAccountId is 123456789012" - CloudTrail writes it as a string."""
    record = EVENTS["ec2-CreateSecurityGroup"]
    assert matches(parse(f"{{ $.recipientAccountId = {record['recipientAccountId']} }}"), record)
    assert not matches(parse("{ $.recipientAccountId = 111111111111 }"), record)


def test_walkthrough_security_group_pattern_fires_on_member_create_security_group() -> None:
    pattern = parse(
        '{ ($.eventName="CreateSecurityGroup") || ($.eventName="DeleteSecurityGroup") ||'
        ' ($.eventName="AuthorizeSecurityGroupEgress") || ($.eventName="AuthorizeSecurityGroupIngress")'
        ' || ($.eventName="RevokeSecurityGroupEgress") || ($.eventName="RevokeSecurityGroupIngress") }'
    )
    record = EVENTS["ec2-CreateSecurityGroup"]
    assert record["recipientAccountId"] == "222222222222"
    assert matches(pattern, record)
    assert not matches(pattern, EVENTS["ec2-DescribeInstances"])


def test_fields() -> None:
    pattern = parse(
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS'
        ' && ($.eventType != "AwsServiceEvent" || $.a[0].b IS NULL) }'
    )
    assert pattern.fields() == {
        "$.userIdentity.type", "$.userIdentity.invokedBy", "$.eventType", "$.a[0].b",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "column", "message"),
    [
        ("ERROR", 1, "expected '{', found 'ERROR' (only JSON filter patterns"),
        (
            "{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed authentication) }",
            60,
            "found 'authentication' (a value that contains spaces must be in double quotes)",
        ),
        ("{ $.x IS NOT NULL }", 10, "expected NULL, TRUE or FALSE, found 'NOT'"),
        ("{ $.x EXISTS }", 7, "but not IS NOT or EXISTS"),
        ('{ $.x = "abc }', 9, "a quoted value must be closed"),
        ('{ $.x = "a\\"b" }', 9, "cannot contain '\\'"),
        ("{ $.x = a@b }", 10, "unquoted values may contain only"),
        ("{ $.x = @ }", 9, "expected a quoted value or an unquoted value, found '@'"),
        ("{ $.x < abc }", 9, "expected a number after '<', found 'abc'"),
        ('{ $.x >= "5" }', 10, "expected a number after '>='"),
        ("{ $.x = 1 ", 11, "expected '&&', '||' or '}', found the end of the pattern"),
        ("{ $.x = 1 } x", 13, "expected the end of the pattern, found 'x'"),
        ("{ $.a[*] = 1 }", 6, "[*] is not supported"),
        ("{ $x = 1 }", 3, "a selector is $. followed by"),
        ("{ %AccessDenied% }", 3, "regular expressions, %...%, are not supported"),
        ("{}", 2, "expected '(' or a selector such as $.eventName, found '}'"),
        ("{ ($.x = 1 }", 12, "expected ')', found '}'"),
        ("{ $.x = 1 && }", 14, "found '}'"),
        ("{ $.x == 1 }", 8, "found '='"),
        ("", 1, "found the end of the pattern"),
    ],
)
def test_syntax_errors_name_column_and_expectation(pattern: str, column: int, message: str) -> None:
    with pytest.raises(FilterPatternError) as caught:
        parse(pattern)
    assert caught.value.column == column
    assert message in caught.value.message
    assert str(caught.value).startswith(f"column {column}: ")


def test_length_limit_is_1024() -> None:
    ok = '{ $.a = "' + "x" * (1024 - len('{ $.a = "" }')) + '" }'
    assert len(ok) == 1024
    parse(ok)
    too_long = ok[:-3] + 'x" }'
    with pytest.raises(FilterPatternError) as caught:
        parse(too_long)
    assert caught.value.column == 1025 and "1025 characters" in caught.value.message


def test_every_fixture_is_valid_json_event() -> None:
    assert len(list(EVENTS_DIR.glob("*.json"))) == len(EVENTS) > 100


_QUOTABLE = st.text(
    alphabet=st.characters(blacklist_characters='"\\\r\n', blacklist_categories=("Cs",)),
    max_size=60,
)


@given(_QUOTABLE)
def test_quoted_value_round_trips(value: str) -> None:
    literal = value.strip("*")  # a leading or trailing * is a wildcard by definition
    pattern = parse(f'{{ $.field = "{literal}" }}')
    assert matches(pattern, {"field": literal})
    assert not matches(pattern, {"field": literal + "\u00a0x"})
    assert matches(parse(f'{{ $.field != "{literal}" }}'), {"field": literal + "y"})


@given(st.text(max_size=80))
def test_garbage_raises_only_filter_pattern_error(text: str) -> None:
    try:
        parse(text)
    except FilterPatternError as exc:
        assert 1 <= exc.column <= len(text) + 1
    for wrapped in (f"{{ {text} }}", f"{{ $.a = {text} }}"):
        try:
            parse(wrapped)
        except FilterPatternError as exc:
            assert 1 <= exc.column <= len(wrapped) + 1
