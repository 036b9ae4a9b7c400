"""The SIEMs' queues, proven on the emulator: configs/log-archive.yaml applied by real Terraform.

After the module's apply and empty second plan (the shipped-module runs of
support/terraform_suite.py), support/consumer_delivery.py writes a log file and a digest as the
trail writes them, and two objects the trail never writes, into the bucket; moto delivers S3 ->
SNS -> SQS with the generated filters. Each consumer's queue must announce the log file exactly
once, the digest once (S3's and SNS's filters cannot tell a digest from a log file: the account
id sits between the prefix and the folder, docs/consumers.md), and nothing else; no message may
reach a dead-letter queue. Skipped, with the reason, without terraform or a provider mirror.
"""

from __future__ import annotations

from typing import Any

import pytest
from support import terraform_suite
from support.terraform_suite import tools_or_skip

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="module")
def delivered(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the queues received after the four objects were put."""
    tools_or_skip()
    runs = terraform_suite.start(request.session)
    assert runs is not None
    outcome = runs.outcomes()["log-archive"]
    outcome.completed().reached("second plan")
    assert outcome.completed().second_plan_exit == 0, "the module must apply cleanly first"
    if outcome.followup is None:
        pytest.fail(f"the delivery test did not run: {outcome.followup_error}")
    return outcome.followup


@pytest.mark.parametrize("consumer", ["splunk", "elastic"])
def test_each_queue_announces_each_trail_file_exactly_once(
    delivered: dict[str, Any], consumer: str
) -> None:
    put = delivered["put"]
    assert sorted(delivered["queues"][consumer]) == sorted([put["log file"], put["digest"]])


def test_an_object_outside_the_prefix_or_with_another_suffix_is_not_announced(
    delivered: dict[str, Any],
) -> None:
    put = delivered["put"]
    for keys in delivered["queues"].values():
        assert put["outside the prefix"] not in keys
        assert put["another suffix"] not in keys


def test_no_message_reaches_a_dead_letter_queue(delivered: dict[str, Any]) -> None:
    assert delivered["dead_letter"] == {"splunk": [], "elastic": []}
