"""The consumers' functions, as their owners made them before the module is applied.

Why: a consumer that is a Lambda function (the Datadog Forwarder) is not this module's - its own
stack creates it - but ``aws_lambda_permission`` adds a statement to its policy, and Lambda
refuses AddPermission on a function that does not exist. So the rehearsal makes each such
function first, in its account and region, with an execution role: the consumer's own role
when it is in the function's account (the Forwarder runs as the role that reads the logs),
else one named after the function. moto keeps a function without Docker; it would need Docker
only to run it, which SNS's delivery attempts (moto logs "error running docker" to the
function's log group and goes on to the topic's other subscriptions).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from generator.sections.registry import Config

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _code() -> bytes:
    """A handler that returns: the function is never run, but Lambda wants code."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def seed_consumer_functions(
    url: str, config: Config, account_client: Callable[[str, str, str, str], Any]
) -> list[str]:
    """Create every consumer's function (and its execution role); return their ARNs."""
    made = []
    for consumer in config.consumers:
        function = consumer.function
        if function is None:
            continue
        roles = [r for r in consumer.roles if r.split(":")[4] == function.account]
        role_name = roles[0].rsplit("/", 1)[1] if roles else f"{function.name}Execution"
        iam = account_client(url, "iam", function.account, function.region)
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(_TRUST))
        created = account_client(url, "lambda", function.account, function.region).create_function(
            FunctionName=function.name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="lambda_function.handler",
            Code={"ZipFile": _code()},
            Publish=function.qualifier is not None,
        )
        if function.qualifier is not None and not function.qualifier.isdigit():
            account_client(url, "lambda", function.account, function.region).create_alias(
                FunctionName=function.name,
                Name=function.qualifier,
                FunctionVersion=created.get("Version", "1"),
            )
        made.append(function.arn)
    return made
