"""The saved Logs Insights queries: names AWS accepts, the columns every query returns."""

from __future__ import annotations

from generator.monitoring import insights


def test_the_promised_queries_exist() -> None:
    names = [q.name for q in insights.queries()]
    assert names == [
        "orgtrail/security-group-changes-by-account-and-principal",
        "orgtrail/console-sign-in-without-mfa",
        "orgtrail/root-activity",
        "orgtrail/access-denied-by-principal",
        "orgtrail/trail-changes",
    ]


def test_names_and_query_strings_fit_put_query_definition() -> None:
    names = [q.name for q in insights.queries()]
    assert len(set(names)) == len(names)
    for query in insights.queries():
        assert 1 <= len(query.name) <= insights.MAX_NAME_LENGTH
        assert query.name == query.name.strip() and "//" not in query.name
        assert 1 <= len(query.query) <= insights.MAX_QUERY_LENGTH
        assert query.description


def test_every_query_returns_account_region_principal_ip_and_event() -> None:
    for query in insights.queries():
        first = query.query.splitlines()[0]
        assert first.startswith("fields @timestamp, "), query.name
        for column in (
            "recipientAccountId",
            "awsRegion",
            "userIdentity.arn",
            "sourceIPAddress",
            "eventName",
        ):
            assert column in first, (query.name, column)
        if "| stats " in query.query:
            by = query.query.split("| stats ", 1)[1].split(" by ", 1)[1].splitlines()[0]
            assert all(c in by for c in insights.COLUMNS), query.name
