"""The IAM policies discover and verify print are exactly the calls they make.

Each command runs against the moto server through the session seam, which records every call
per session (``Aws.calls``; an assumed role's session its own); the recorded calls, as IAM
actions, must equal the printed policy's actions: none missing (the command would be denied),
none extra (not least privilege). parliament checks the actions exist and fit the resources.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import (  # noqa: F401  (fixtures)
    Org,
    assumed_client,
    aws_env,
    client,
    deploy,
    fake_cloudwatch_delivery_status,
    fake_delegated_admins,
    moto_url,
    on_clients,
    seed_organization,
)
from support.policies import parliament_findings
from test_discover import _existing_trail

from generator.aws.discover import discover
from generator.aws.permissions import (
    NO_PERMISSION,
    actions_of,
    discover_policy,
    log_archive_role_policy,
    verify_policy,
)
from generator.aws.progress import Progress
from generator.aws.session import Aws, iam_action
from generator.aws.verify import Options, verify
from generator.cli import main
from generator.sections.consumers.model import DLQ_SUFFIX
from generator.sections.registry import load_config


def called(aws: Aws) -> set[str]:
    """The IAM actions of the calls one session made (without its assumed roles' calls)."""
    own: dict[str, int] = dict(aws.calls)
    for child in aws.assumed.values():
        for name, count in child.calls.items():
            own[name] -= count
    actions = {iam_action(*name.split(":")) for name, count in own.items() if count}
    return actions - NO_PERMISSION


def lint(policy: dict[str, Any]) -> list[str]:
    return parliament_findings(policy)


def record_requests(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every call the seam's clients build, faked ones too (a fake answers at before-call,
    where the session's own counter would not see it): as IAM actions."""
    seen: set[str] = set()

    def register(service: str, created: Any) -> None:
        def record(model: Any, **_: Any) -> None:
            seen.add(iam_action(model.service_model.service_name, model.name))

        created.meta.events.register("before-parameter-build", record)

    on_clients(monkeypatch, register)
    return seen


def config_text(org: Org, extra: str) -> str:
    return f"""organization:
  id: {org.org_id}
  management_account_id: "{org.management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
bucket:
  name: perm-org-cloudtrail-logs
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
{extra}"""


def test_verify_policy_is_the_calls_verify_makes(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = seed_organization(aws_env, members=2)
    key = client(aws_env, "kms").create_key()["KeyMetadata"]["Arn"]
    path = tmp_path / "perm.yaml"
    path.write_text(
        config_text(org, f"kms:\n  key_arn: {key}\nmonitoring: {{}}\n"), encoding="utf-8"
    )
    config = load_config(path)
    deploy(org, config)
    fake_cloudwatch_delivery_status(monkeypatch)
    aws = Aws(region="us-east-1")
    verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    policy = verify_policy(config)
    assert called(aws) == actions_of(policy)
    assert lint(policy) == []


def test_log_archive_role_policy_is_the_calls_made_through_the_role(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = seed_organization(aws_env, members=1)
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/OrgTrailLogArchiveDeployer"
    path = tmp_path / "archive.yaml"
    path.write_text(
        config_text(org, f'log_archive:\n  account_id: "{archive}"\n  role_arn: {role}\n'),
        encoding="utf-8",
    )
    config = load_config(path)
    deploy(org, config)
    fake_cloudwatch_delivery_status(monkeypatch)
    aws = Aws(region="us-east-1")
    verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    role_policy = log_archive_role_policy(config)
    assert role_policy is not None
    assert called(aws.assumed[role]) == actions_of(role_policy)
    assert called(aws) == actions_of(verify_policy(config))
    assert "sts:AssumeRole" in actions_of(verify_policy(config))
    assert lint(role_policy) == []


def test_a_read_only_log_archive_role_is_what_verify_assumes_and_what_print_policy_prints(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # log_archive.verify_role_arn: verify never holds the deploy role; the management
    # account's policy may assume the read-only role only, and that role's policy is printed.
    org = seed_organization(aws_env, members=1)
    archive = org.members[0]
    deployer = f"arn:aws:iam::{archive}:role/OrgTrailLogArchiveDeployer"
    reader = f"arn:aws:iam::{archive}:role/OrgTrailVerifyReader"
    path = tmp_path / "archive.yaml"
    path.write_text(
        config_text(
            org,
            f'log_archive:\n  account_id: "{archive}"\n  role_arn: {deployer}\n'
            f"  verify_role_arn: {reader}\n",
        ),
        encoding="utf-8",
    )
    config = load_config(path)
    deploy(org, config)
    fake_cloudwatch_delivery_status(monkeypatch)
    aws = Aws(region="us-east-1")
    verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    assert set(aws.assumed) == {reader}
    capsys.readouterr()
    assert main(["verify", str(path), "--print-policy"]) == 0
    management = json.loads(capsys.readouterr().out)
    (assume,) = [s for s in management["Statement"] if s["Action"] == ["sts:AssumeRole"]]
    assert assume["Resource"] == reader
    assert called(aws) == actions_of(management)
    assert main(["verify", str(path), "--print-policy", "log-archive"]) == 0
    printed = capsys.readouterr()
    role_policy = json.loads(printed.out)
    assert called(aws.assumed[reader]) == actions_of(role_policy)
    assert not {
        a for a in actions_of(role_policy) if not a.split(":")[1].startswith(("Get", "List"))
    }
    assert reader in printed.err and "the role verify assumes" in printed.err
    assert lint(role_policy) == []


def test_discover_policy_is_the_calls_discover_makes(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto gap: ListDelegatedAdministrators refuses cloudtrail.amazonaws.com; faked at the seam.
    fake_delegated_admins(monkeypatch, [])
    made = record_requests(monkeypatch)
    # A new organization (no trail: the regions come from DescribeRegions), then one with a
    # console trail (bucket, key, log group, role, delivered logs): between them every path.
    org = seed_organization(aws_env, members=1, trusted=False)
    discover(Aws(region="us-east-1"))
    _existing_trail(org, policy=True)
    discover(Aws(region="us-east-1"))
    policy = discover_policy()
    assert made - NO_PERMISSION == actions_of(policy)
    # discover reads resources it does not know yet: "*" is the one finding, and only that.
    assert [finding.split(" [")[0] for finding in lint(policy)] == ["RESOURCE_STAR"]


def test_print_policy_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["discover", "--print-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == discover_policy()
    config = root / "configs" / "log-archive.yaml"
    assert main(["verify", str(config), "--print-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == verify_policy(load_config(config))
    assert main(["verify", str(config), "--print-policy", "log-archive"]) == 0
    assert json.loads(capsys.readouterr().out) == log_archive_role_policy(load_config(config))
    assert (
        main(["verify", str(root / "configs" / "example.yaml"), "--print-policy", "log-archive"])
        == 2
    )
    assert "no log_archive section" in capsys.readouterr().err


def test_an_eventbridge_consumers_rule_is_read_with_what_print_policy_prints(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = seed_organization(aws_env, members=1)
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/OrgTrailLogArchiveDeployer"
    consumer = f"arn:aws:iam::{archive}:role/ElasticAgentCloudTrail"
    path = tmp_path / "eventbridge.yaml"
    path.write_text(
        config_text(
            org,
            f'log_archive:\n  account_id: "{archive}"\n  role_arn: {role}\n'
            f"consumers:\n  - name: elastic\n    roles: [{consumer}]\n    feed: eventbridge\n",
        ),
        encoding="utf-8",
    )
    config = load_config(path)
    deploy(org, config)
    # The consumer's rule as the module makes it (its pattern is verify's business, not this
    # test's): verify then reads its targets too.
    name = config.consumers[0].queue(config.trail.name)
    events = assumed_client(aws_env, "events", role)
    events.put_rule(Name=name, EventPattern='{"source": ["aws.s3"]}')
    events.put_targets(
        Rule=name, Targets=[{"Id": "queue", "Arn": f"arn:aws:sqs:us-east-1:{archive}:{name}"}]
    )
    assumed_client(aws_env, "sqs", role).create_queue(QueueName=f"{name}{DLQ_SUFFIX}")
    fake_cloudwatch_delivery_status(monkeypatch)
    aws = Aws(region="us-east-1")
    verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    role_policy = log_archive_role_policy(config)
    assert role_policy is not None
    made = called(aws.assumed[role])
    assert {"events:DescribeRule", "events:ListTargetsByRule"} <= made
    assert made == actions_of(role_policy)
    assert lint(role_policy) == []


def _function(aws_env: str, role: str, account: str, name: str) -> str:
    """A Lambda function in ``account`` as its owner made it (moto runs nothing without Docker)."""
    import io
    import zipfile

    iam = assumed_client(aws_env, "iam", role)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    execution = iam.create_role(RoleName=f"{name}Role", AssumeRolePolicyDocument=json.dumps(trust))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive_zip:
        archive_zip.writestr("lambda_function.py", "def handler(event, context):\n    return 1\n")
    created = assumed_client(aws_env, "lambda", role).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=execution["Role"]["Arn"],
        Handler="lambda_function.handler",
        Code={"ZipFile": code.getvalue()},
    )
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{account}:function:{name}"
    return str(created["FunctionArn"])


def test_a_function_consumers_subscription_and_permission_are_read_with_what_print_policy_prints(
    aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = seed_organization(aws_env, members=1)
    archive = org.members[0]
    role = f"arn:aws:iam::{archive}:role/OrgTrailLogArchiveDeployer"
    function = f"arn:aws:lambda:us-east-1:{archive}:function:DatadogForwarder"
    path = tmp_path / "function.yaml"
    path.write_text(
        config_text(
            org,
            f'log_archive:\n  account_id: "{archive}"\n  role_arn: {role}\n'
            f"consumers:\n  - name: datadog\n"
            f"    roles: [arn:aws:iam::{archive}:role/DatadogForwarderRole]\n"
            f"    lambda_function_arn: {function}\n",
        ),
        encoding="utf-8",
    )
    config = load_config(path)
    deploy(org, config)
    assert _function(aws_env, role, archive, "DatadogForwarder") == function
    # The topic, the function's permission and the subscription, as consumers.tf makes them.
    topic = assumed_client(aws_env, "sns", role).create_topic(Name="org-trail-log-files")
    assumed_client(aws_env, "lambda", role).add_permission(
        FunctionName=function,
        StatementId="orgtrail-gen-org-trail-log-files",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic["TopicArn"],
        SourceAccount=archive,
    )
    assumed_client(aws_env, "sns", role).subscribe(
        TopicArn=topic["TopicArn"], Protocol="lambda", Endpoint=function
    )
    fake_cloudwatch_delivery_status(monkeypatch)
    aws = Aws(region="us-east-1")
    results = verify(aws, config, Options(new_account_hours=0), Progress(enabled=False))
    role_policy = log_archive_role_policy(config)
    assert role_policy is not None
    made = called(aws.assumed[role])
    assert {"sns:ListSubscriptionsByTopic", "lambda:GetPolicy"} <= made
    assert "sqs:GetQueueAttributes" not in made  # no queue, no dead-letter queue
    assert made == actions_of(role_policy)
    assert lint(role_policy) == []
    rows = {r.subject: r.status for r in results if r.check == "consumers"}
    assert rows[f"datadog: subscription of {function}"] == "ok"
    assert rows[f"datadog: permission of {function}"] == "ok"
