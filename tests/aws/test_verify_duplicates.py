"""verify's `duplicate trails` rows: every other trail that records the trail's events again.

Against a moto server: the module's trail (tests/aws/test_verify_events.py's apply), next to
the trails of tests/aws/test_discover_trails.py (Control Tower's, LZA's, a stack's, a plain one).
"""

from __future__ import annotations

from pathlib import Path

from support.moto_server import Org, aws_env, moto_url  # noqa: F401  (fixtures)
from test_discover_trails import CT, LZA, STACK, landing_zone_trails, trail_arn
from test_verify_events import apply, org, write_config  # noqa: F401  (fixtures)

from generator.aws.live import Options
from generator.aws.progress import Progress
from generator.aws.report import layers
from generator.aws.session import Aws
from generator.aws.verify import verify
from generator.config.prices import price_list
from generator.sections.registry import load_config

EVENTS = """  events:
    data:
      - resource_type: AWS::S3::Object
"""


def rows(path: Path) -> list:  # type: ignore[type-arg]
    results = verify(
        Aws(region="us-east-1"),
        load_config(path),
        Options(new_account_hours=0),
        Progress(enabled=False),
    )
    return results


def test_every_other_trail_recording_the_same_events_is_a_priced_note(
    org: Org,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, org, EVENTS)
    apply(org, path)
    landing_zone_trails(org)
    results = rows(path)
    found = [r for r in results if r.check == "duplicate trails"]
    assert {r.status for r in found} == {"note"}
    subjects = {r.subject: r for r in found if "management events" in r.fix}
    copy = price_list().prices["cloudtrail.management_events.copy"]
    accounts = len(org.accounts)
    for name, owner in ((CT, "Control Tower"), (LZA, "LZA")):
        row = subjects[f"{trail_arn(org, name)} (managed by {owner})"]
        assert row.found.startswith("records every management event, read and write")
        assert f"a paid copy of the management events ({copy.words})" in row.fix
        monthly = accounts * 1 * 150_000 * copy.each  # one region in the config
        assert f"about ${monthly:,.2f} a month for {accounts} account(s) x 1 region(s)" in row.fix
    plain = subjects[f"{trail_arn(org, 'plain')} (managed by unknown)"]
    assert plain.found == "records write management events"
    assert "for 1 account(s) x 1 region(s) x 150,000 management events x 0.1" in plain.fix
    # the stack's trail records no management events: only its S3 data events, as LZA's
    data = [r for r in found if "data events" in r.expected]
    assert {r.subject.split(" (")[0] for r in data} == {
        trail_arn(org, LZA),
        trail_arn(org, "s3-objects"),
    }
    assert all("$0.10 per 100,000" in r.fix for r in data)
    assert STACK not in " ".join(r.subject for r in found)  # verify reads no tags
    assert layers(results)["trail"].endswith("notes")


def test_no_other_trail_is_one_ok_row(org: Org, tmp_path: Path) -> None:  # noqa: F811
    path = write_config(tmp_path, org, EVENTS)
    apply(org, path)
    (row,) = [r for r in rows(path) if r.check == "duplicate trails"]
    assert (row.status, row.subject, row.found) == ("ok", "org-trail copies", "none")
