"""The emulator's moto patches (generator/rehearse/moto_patches.py): they fit the installed moto, fail loudly
when they do not, and really make a moto server answer the calls the provider's Go SDK makes.

Every real-Terraform verdict rests on them: with moto 5.2.6 and the botocore it follows, a server
without them answered the Go SDK's ``CloudTrail_20131101.CreateTrail`` and
``AmazonAthena.CreateWorkGroup`` with 404 ``UnknownError``, seen only deep in an apply log. So:

* each patch installs against the installed moto (in a child process, as the emulator does);
* a patch whose target is missing or has another shape raises at once, naming the patch and
  moto's version, before changing anything; and the emulator's "did not start" error shows it;
* the Go SDK's short X-Amz-Target form and Athena's JSON 1.1 protocol answer 200 through a real
  ThreadedMotoServer (these fail on an unpatched moto 5.2.6).

No Terraform; a few seconds in all. Patches checked in this process record what they would
install instead of installing it (``_install`` is replaced), so moto stays as it is here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import ROOT

from generator.rehearse import moto_checks, moto_patches
from generator.rehearse.emulator import PATCH_FAILED, Emulator
from generator.rehearse.moto_checks import MotoPatchError
from generator.rehearse.seed import Seeded

MOTO = metadata.version("moto")
EXAMPLE = ROOT / "configs" / "example.yaml"
REGION = "us-east-1"  # configs/example.yaml's home region
PATCH_NAMES = [
    "json_short_target",
    "athena_json_protocol",
    "lifecycle_minimum_object_size",
    "query_definitions",
    "log_group_kms_key",
    "trail_by_arn",
    "cloudtrail_delegated_admin",
    "sqs_redrive_policy_compact",
    "s3_notification_eventbridge",
]
UPDATE = (
    " — update generator/rehearse/moto_patches.py"
    " (or pip install 'orgtrail-gen[rehearse]': the moto it is written for)"
)
JSON_11 = "application/x-amz-json-1.1"  # what the Go SDK sends for CloudTrail and Athena


# --- every patch fits the installed moto --------------------------------------------------------


def test_every_patch_installs_against_the_installed_moto() -> None:
    """Really installed, in a child (``python -m generator.rehearse.emulator --check``), as in a
    server, from any folder (no PYTHONPATH)."""
    done = subprocess.run(
        [sys.executable, "-m", "generator.rehearse.emulator", "--check"],
        cwd=ROOT / "tests",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["versions"] == {"moto": MOTO, "botocore": metadata.version("botocore")}
    assert [line.split(":", 1)[0] for line in report["patches"]] == PATCH_NAMES
    assert all(line.split(": ", 1)[1] for line in report["patches"]), "a patch names no gap"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, str, Any]]:
    """Patches run here check and record (target, name, value) instead of installing."""
    calls: list[tuple[Any, str, Any]] = []
    monkeypatch.setattr(
        moto_checks, "install", lambda target, name, value: calls.append((target, name, value))
    )
    monkeypatch.setattr(moto_patches, "_PATCHED", None)
    return calls


@pytest.mark.parametrize("patch", moto_patches.PATCHES, ids=lambda p: p.__name__.strip("_"))
def test_each_patch_accepts_the_installed_moto_and_installs_something(
    recorded: list[tuple[Any, str, Any]], patch: Callable[[], None]
) -> None:
    patch()
    assert recorded, "the patch installs nothing on this moto"


def test_patch_names_and_gaps_are_what_the_summary_prints(
    recorded: list[tuple[Any, str, Any]],
) -> None:
    lines = moto_patches.patch_moto_gaps()
    assert [line.split(":", 1)[0] for line in lines] == PATCH_NAMES
    assert lines[0].startswith("json_short_target: X-Amz-Target routing: ")
    assert lines[1].startswith("athena_json_protocol: Athena over JSON 1.1: ")


@pytest.mark.parametrize(
    ("target", "action"),
    [
        ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails", "DescribeTrails"),
        ("CloudTrail_20131101.DescribeTrails", "DescribeTrails"),
        ("CloudTrail_20131101.CreateTrail", "CreateTrail"),
        ("CloudTrail_20131101.NoSuchAction", None),
        ("CloudTrail_20990101.DescribeTrails", None),
        ("Logs_20140328.DescribeTrails", None),
        ("DescribeTrails", None),
        ("", None),
    ],
)
def test_the_short_target_routing_accepts_only_the_last_part_of_the_services_own_prefix(
    recorded: list[tuple[Any, str, Any]], target: str, action: str | None
) -> None:
    """The patched JSONRouter._match, on moto's own router for CloudTrail (not installed)."""
    from moto.core.routing import JSONRouter
    from moto.core.utils import get_service_model

    moto_patches._json_short_target()
    [(_, _, short_match)] = [call for call in recorded if call[1] == "_match"]
    router = JSONRouter(get_service_model("cloudtrail"))
    request = SimpleNamespace(headers={"X-Amz-Target": target}, raw_path="/", host="x")
    operation, _ = short_match(router, request)
    assert (operation.name if operation is not None else None) == action


# --- a patch that no longer fits says so --------------------------------------------------------


def _replace(
    monkeypatch: pytest.MonkeyPatch, module: str, owner: str, name: str, value: Any
) -> None:
    import importlib

    # raising=False: a method moto does not have yet may be added (and is removed afterwards)
    target = getattr(importlib.import_module(module), owner)
    monkeypatch.setattr(target, name, value, raising=False)


def _remove(monkeypatch: pytest.MonkeyPatch, module: str, owner: str, name: str) -> None:
    import importlib

    monkeypatch.delattr(getattr(importlib.import_module(module), owner), name)


def _fixed_ids() -> None:
    with moto_patches.fixed_ids("o-abcdefghij", ["111111111111"]):
        pass


def _fixed_key_id() -> None:
    with moto_patches.fixed_key_id("0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"):
        pass


# The seeding's id fixers, which are context managers rather than patches of PATCHES.
ID_FIXERS: dict[str, Callable[[], None]] = {"fixed_ids": _fixed_ids, "fixed_key_id": _fixed_key_id}


def _other_athena_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core.utils import get_service_model

    model = get_service_model("athena")
    monkeypatch.setattr(model, "metadata", {**model.metadata, "targetPrefix": "AthenaService"})


def _setup_class_without_bucket_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def setup_class(self: Any, request: Any, full_url: Any = None, headers: Any = None) -> None:
        self.region = "us-east-1"

    _replace(monkeypatch, "moto.s3.responses", "S3Response", "setup_class", setup_class)


R = "moto.cloudtrail.responses"
M = "moto.cloudtrail.models"
BROKEN: dict[str, tuple[str, Callable[[pytest.MonkeyPatch], None], str, str]] = {
    # id: (patch, how moto differs, what the patch expects, what it found)
    "describe_trails removed": (
        "trail_by_arn",
        lambda mp: _remove(mp, R, "CloudTrailResponse", "describe_trails"),
        "CloudTrailResponse.describe_trails(self)",
        "no CloudTrailResponse.describe_trails",
    ),
    "delete_trail takes a region": (
        "trail_by_arn",
        lambda mp: _replace(
            mp, M, "CloudTrailBackend", "delete_trail", lambda self, name, region: None
        ),
        "CloudTrailBackend.delete_trail(self, name)",
        "CloudTrailBackend.delete_trail(self, name, region)",
    ),
    "trail arn no longer a property": (
        "trail_by_arn",
        lambda mp: _replace(mp, M, "Trail", "arn", "arn:aws:cloudtrail:::trail/x"),
        "property Trail.arn",
        "a str",
    ),
    "JSONRouter._match only inherited": (
        "json_short_target",
        lambda mp: _remove(mp, "moto.core.routing", "JSONRouter", "_match"),
        "JSONRouter._match(self, request)",
        "no JSONRouter._match (only inherited)",
    ),
    "JSONRouter._match takes the operations": (
        "json_short_target",
        lambda mp: _replace(
            mp, "moto.core.routing", "JSONRouter", "_match", lambda self, request, table: None
        ),
        "JSONRouter._match(self, request)",
        "JSONRouter._match(self, request, table)",
    ),
    "routing module gone": (
        "json_short_target",
        lambda mp: mp.setitem(sys.modules, "moto.core.routing", None),
        "module moto.core.routing",
        "no such module",
    ),
    "get_service_model removed": (
        "athena_json_protocol",
        lambda mp: mp.delattr(__import__("moto.core.utils").core.utils, "get_service_model"),
        "moto.core.utils.get_service_model(service_name)",
        "no moto.core.utils.get_service_model",
    ),
    "athena has another target prefix": (
        "athena_json_protocol",
        _other_athena_prefix,
        "athena's model metadata with a protocols list and no targetPrefix but AmazonAthena",
        "protocols ['rest-json'], targetPrefix 'AthenaService'",
    ),
    "get_bucket_lifecycle removed": (
        "lifecycle_minimum_object_size",
        lambda mp: _remove(mp, "moto.s3.responses", "S3Response", "get_bucket_lifecycle"),
        "S3Response.get_bucket_lifecycle(self)",
        "no S3Response.get_bucket_lifecycle",
    ),
    "_bucket_response_put without querystring": (
        "lifecycle_minimum_object_size",
        lambda mp: _replace(
            mp,
            "moto.s3.responses",
            "S3Response",
            "_bucket_response_put",
            lambda self, request, bucket_name: None,
        ),
        "S3Response._bucket_response_put(self, request, bucket_name, querystring)",
        "S3Response._bucket_response_put(self, request, bucket_name)",
    ),
    "bucket_name no longer set": (
        "lifecycle_minimum_object_size",
        _setup_class_without_bucket_name,
        "S3Response.setup_class to set self.bucket_name",
        "no self.bucket_name set there",
    ),
    "moto implements PutQueryDefinition": (
        "query_definitions",
        lambda mp: _replace(
            mp, "moto.logs.responses", "LogsResponse", "put_query_definition", lambda self: "{}"
        ),
        "LogsResponse without put_query_definition (moto's gap this patch fills)",
        "LogsResponse.put_query_definition(self) in moto itself",
    ),
    "logs_backend removed": (
        "log_group_kms_key",
        lambda mp: _remove(mp, "moto.logs.responses", "LogsResponse", "logs_backend"),
        "property LogsResponse.logs_backend",
        "nothing",
    ),
    "SUPPORTED_SERVICES a tuple": (
        "cloudtrail_delegated_admin",
        lambda mp: _replace(
            mp,
            "moto.organizations.models",
            "FakeDelegatedAdministrator",
            "SUPPORTED_SERVICES",
            ("ssm.amazonaws.com",),
        ),
        "FakeDelegatedAdministrator.SUPPORTED_SERVICES, a list",
        "a tuple",
    ),
    "register_delegated_administrator with named parameters": (
        "cloudtrail_delegated_admin",
        lambda mp: _replace(
            mp,
            "moto.organizations.models",
            "OrganizationsBackend",
            "register_delegated_administrator",
            lambda self, account_id, service_principal: None,
        ),
        "OrganizationsBackend.register_delegated_administrator(self, **kwargs)",
        "OrganizationsBackend.register_delegated_administrator(self, account_id, "
        "service_principal)",
    ),
    "Queue.attributes a method": (
        "sqs_redrive_policy_compact",
        lambda mp: _replace(mp, "moto.sqs.models", "Queue", "attributes", lambda self: {}),
        "property Queue.attributes",
        "a function",
    ),
    "get_bucket_notification takes the bucket": (
        "s3_notification_eventbridge",
        lambda mp: _replace(
            mp,
            "moto.s3.responses",
            "S3Response",
            "get_bucket_notification",
            lambda self, bucket_name: None,
        ),
        "S3Response.get_bucket_notification(self)",
        "S3Response.get_bucket_notification(self, bucket_name)",
    ),
    "make_random_account_id takes a length": (
        "fixed_ids",
        lambda mp: mp.setattr(
            __import__("moto.organizations.utils").organizations.utils,
            "make_random_account_id",
            lambda length: "1" * length,
        ),
        "moto.organizations.utils.make_random_account_id()",
        "moto.organizations.utils.make_random_account_id(length)",
    ),
    "generate_key_id takes no argument": (
        "fixed_key_id",
        lambda mp: mp.setattr(
            __import__("moto.kms.models").kms.models, "generate_key_id", lambda: "k"
        ),
        "moto.kms.models.generate_key_id(multi_region)",
        "moto.kms.models.generate_key_id()",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_patch_whose_target_changed_stops_with_its_name_and_motos_version(
    recorded: list[tuple[Any, str, Any]], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    name, breaks, expected, found = BROKEN[case]
    breaks(monkeypatch)
    run: Callable[[], None] = ID_FIXERS.get(name) or getattr(moto_patches, f"_{name}")
    with pytest.raises(MotoPatchError) as raised:
        run()
    assert (
        str(raised.value) == f"moto {MOTO}: patch {name} expects {expected}; found {found}{UPDATE}"
    )
    assert recorded == [], "a patch installed something before its checks failed"


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        (
            "from moto.cloudtrail.responses import CloudTrailResponse\n"
            "del CloudTrailResponse.describe_trails\n",
            "patch trail_by_arn expects CloudTrailResponse.describe_trails(self); "
            "found no CloudTrailResponse.describe_trails",
        ),
        (  # met while seeding, after the server started
            "from moto.organizations import utils\n"
            "utils.make_random_account_id = lambda length: '1' * length\n",
            "patch fixed_ids expects moto.organizations.utils.make_random_account_id(); "
            "found moto.organizations.utils.make_random_account_id(length)",
        ),
    ],
    ids=["a patch", "the seeding's ids"],
)
def test_the_emulators_did_not_start_error_shows_the_patch_message(
    tmp_path: Path, breaks: str, message: str
) -> None:
    """The child writes its stderr to a log file; the parent's error must carry the message."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    # sitecustomize runs at the child's start-up: its moto differs from what the patch expects
    (hooks / "sitecustomize.py").write_text(breaks, encoding="utf-8")
    environ = {**os.environ, "PYTHONPATH": str(hooks)}
    with pytest.raises(RuntimeError) as raised, Emulator(EXAMPLE, tmp_path / "moto.log", environ):
        pass
    shown = str(raised.value)
    assert f"did not start (exit {PATCH_FAILED};" in shown
    # first, before the log's tail (request lines, a traceback) that follows
    assert shown.splitlines()[1] == f"moto patch failed: moto {MOTO}: {message}{UPDATE}"


# --- the Go SDK's requests, through a real server ----------------------------------------------


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Seeded]]:
    """configs/example.yaml seeded on a patched ThreadedMotoServer (its own process)."""
    served = Emulator(EXAMPLE, tmp_path_factory.mktemp("patches") / "moto.log")
    with served as seeded:
        seeded.client("s3", REGION).create_bucket(Bucket="patch-test-trail-logs")
        yield served, seeded


def _go_sdk_call(
    seeded: Seeded, service: str, target: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """A SigV4-signed JSON 1.1 POST to ``/`` with ``target``, as the provider's Go SDK sends it."""
    request = AWSRequest(
        method="POST",
        url=f"{seeded.url}/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": JSON_11, "X-Amz-Target": target},
    )
    SigV4Auth(Credentials(seeded.access_key, seeded.secret_key), service, REGION).add_auth(request)
    prepared = request.prepare()
    sent = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    return status, (json.loads(text) if text.strip().startswith("{") else {"raw": text})


def test_the_server_reports_the_patches_and_the_moto_it_runs(
    emulator: tuple[Emulator, Seeded],
) -> None:
    served, _ = emulator
    assert served.versions == {"moto": MOTO, "botocore": metadata.version("botocore")}
    assert [line.split(":", 1)[0] for line in served.patches] == PATCH_NAMES


def test_cloudtrail_answers_the_short_x_amz_target(emulator: tuple[Emulator, Seeded]) -> None:
    _, seeded = emulator
    created = _go_sdk_call(
        seeded,
        "cloudtrail",
        "CloudTrail_20131101.CreateTrail",
        {"Name": "patch-test", "S3BucketName": "patch-test-trail-logs"},
    )
    assert created[0] == 200, created
    arn = created[1]["TrailARN"]
    described = _go_sdk_call(
        seeded, "cloudtrail", "CloudTrail_20131101.DescribeTrails", {"trailNameList": [arn]}
    )
    assert described[0] == 200, described
    assert [t["TrailARN"] for t in described[1]["trailList"]] == [arn]


def test_cloudtrail_still_answers_the_full_x_amz_target(emulator: tuple[Emulator, Seeded]) -> None:
    _, seeded = emulator
    status, body = _go_sdk_call(
        seeded,
        "cloudtrail",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails",
        {},
    )
    assert status == 200, body
    assert "trailList" in body


def test_cloudtrail_delegated_admin_is_reached_with_the_short_target(
    emulator: tuple[Emulator, Seeded],
) -> None:
    """The call answered 404 before the action (the patch implementing it was never reached)."""
    _, seeded = emulator
    status, body = _go_sdk_call(
        seeded,
        "cloudtrail",
        "CloudTrail_20131101.RegisterOrganizationDelegatedAdmin",
        {"MemberAccountId": "999999999999"},
    )
    # reached: Organizations' own answer for an account outside the organization
    assert (status, body.get("__type")) == (400, "AccountNotFoundException"), body


def test_athena_answers_json_1_1_with_its_x_amz_target(emulator: tuple[Emulator, Seeded]) -> None:
    _, seeded = emulator
    created = _go_sdk_call(
        seeded,
        "athena",
        "AmazonAthena.CreateWorkGroup",
        {"Name": "patch-test", "Configuration": {"BytesScannedCutoffPerQuery": 10485760}},
    )
    assert created[0] == 200, created
    read = _go_sdk_call(seeded, "athena", "AmazonAthena.GetWorkGroup", {"WorkGroup": "patch-test"})
    assert read[0] == 200, read
    assert read[1]["WorkGroup"]["Name"] == "patch-test"
    assert read[1]["WorkGroup"]["Configuration"]["BytesScannedCutoffPerQuery"] == 10485760


def test_sqs_answers_the_redrive_policy_compactly_as_aws_does(
    emulator: tuple[Emulator, Seeded],
) -> None:
    """jsonencode writes it compactly; a spaced answer was a perpetual diff on every queue."""
    _, seeded = emulator
    sqs = seeded.client("sqs", REGION)
    dlq = sqs.create_queue(QueueName="patch-test-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    policy = f'{{"deadLetterTargetArn":"{dlq_arn["QueueArn"]}","maxReceiveCount":5}}'
    queue = sqs.create_queue(QueueName="patch-test", Attributes={"RedrivePolicy": policy})
    answer = sqs.get_queue_attributes(QueueUrl=queue["QueueUrl"], AttributeNames=["All"])
    assert answer["Attributes"]["RedrivePolicy"] == policy


def test_s3_answers_the_eventbridge_switch_it_keeps(emulator: tuple[Emulator, Seeded]) -> None:
    """The provider reads eventbridge back from GetBucketNotificationConfiguration: without the
    switch in the answer, every plan after an apply would set it again."""
    _, seeded = emulator
    s3 = seeded.client("s3", REGION)
    s3.create_bucket(Bucket="patch-test-eventbridge")
    before = s3.get_bucket_notification_configuration(Bucket="patch-test-eventbridge")
    assert "EventBridgeConfiguration" not in before
    s3.put_bucket_notification_configuration(
        Bucket="patch-test-eventbridge",
        NotificationConfiguration={"EventBridgeConfiguration": {}},
    )
    on = s3.get_bucket_notification_configuration(Bucket="patch-test-eventbridge")
    assert on["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(
        Bucket="patch-test-eventbridge", NotificationConfiguration={}
    )
    off = s3.get_bucket_notification_configuration(Bucket="patch-test-eventbridge")
    assert "EventBridgeConfiguration" not in off
