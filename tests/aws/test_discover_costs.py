"""What `discover` writes about the costs of adopting: an SSE-S3 trail, a role's other policies.

Against a moto server, like tests/aws/test_discover.py (whose console-style trail it reuses).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from support.moto_server import aws_env, client, moto_url  # noqa: F401  (fixtures)
from test_discover import _existing_trail, discover, org_only  # noqa: F401  (fixtures)

from generator.pipeline import build

SECOND_POLICY = "console-extra-grants"


def test_an_sse_s3_trail_and_a_roles_other_policies_are_written_down(
    org_only: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    _existing_trail(org_only, policy=True, key=False)
    iam = client(org_only.url, "iam")
    iam.put_role_policy(
        RoleName="LegacyDelivery",
        PolicyName=SECOND_POLICY,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )
    attached = iam.create_policy(
        PolicyName="ConsoleLogsAccess",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="LegacyDelivery", PolicyArn=attached)
    code, path = discover(tmp_path)
    assert code == 0
    text = path.read_text(encoding="utf-8")
    # The trail has no key today: the config says what switching to the created key costs, and
    # how to keep SSE-S3 instead.
    assert "# The trail writes with SSE-S3 today (S3-managed keys)." in text
    assert "needs kms:Decrypt" in text and "bucket.readers" in text
    assert "# kms:\n#   enabled: false\n" in text
    assert "kms" not in yaml.safe_load(text)  # commented: the default (a new key) stands
    module = build(path)
    role = module.config.adopt.role
    assert role is not None
    # Two inline policies: none is taken over, both are named as left on the role.
    assert role.inline_policy is None
    assert sorted(role.other_inline_policies) == sorted(
        ["Cloudtrail-CW-access-policy", SECOND_POLICY]
    )
    assert role.attached_policies == [attached]
    (warning,) = [w for w in module.warnings if w.startswith("aws_iam_role.cloudtrail_cloudwatch")]
    for name in (SECOND_POLICY, "Cloudtrail-CW-access-policy", attached):
        assert name in warning
    assert "keeps granting what it grants" in warning
    assert any("SSE-S3 (S3-managed keys) -> SSE-KMS" in w for w in module.warnings)
