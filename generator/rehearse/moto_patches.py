"""The gaps of moto the generated modules reach, closed in the emulator's own process.

Each patch's docstring names its gap (its first line is what the report prints); each checks
the installed moto first (:mod:`generator.rehearse.moto_checks`) and stops the server with one
line naming the patch and moto's version when moto is not what it was written against.
``python -m generator.rehearse.emulator --check`` installs them all without starting a server.
:func:`fixed_ids` hands out the config's organization and account ids, which moto draws at
random. Written against moto 5.2.5 and 5.2.6 (the ``rehearse`` extra pins 5.2.6).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from generator.rehearse import moto_checks as check

_PATCHED: list[str] | None = None


@contextmanager
def fixed_ids(org_id: str, account_ids: list[str]) -> Iterator[None]:
    """Moto draws organization and account ids at random: hand out the config's instead.

    Must run in the server's process (it patches moto's id generators there; moto's models call
    them through the module, ``utils.make_random_account_id()``). Raises MotoPatchError when
    they are not there, taking no argument.
    """
    utils = check.lookup("fixed_ids", "moto.organizations", "utils")
    saved = (
        check.method("fixed_ids", utils, "make_random_org_id", ()),
        check.method("fixed_ids", utils, "make_random_account_id", ()),
    )
    queue = list(account_ids)
    check.install(utils, "make_random_org_id", lambda: org_id)
    check.install(utils, "make_random_account_id", lambda: queue.pop(0))
    try:
        yield
    finally:
        check.install(utils, "make_random_org_id", saved[0])
        check.install(utils, "make_random_account_id", saved[1])


@contextmanager
def fixed_key_id(key_id: str) -> Iterator[None]:
    """Moto draws a key's id at random: hand out ``key_id`` (an existing key's, from its ARN).

    An owner's key (``kms.key_arn``) must exist under the id the config names. Must run in the
    server's process: moto's Key calls ``generate_key_id(multi_region)`` through the name
    ``moto.kms.models`` imported. Raises MotoPatchError when it is not there with that shape.
    """
    models = check.lookup("fixed_key_id", "moto.kms", "models")
    saved = check.method("fixed_key_id", models, "generate_key_id", ("multi_region",))
    check.install(models, "generate_key_id", lambda multi_region=False: key_id)
    try:
        yield
    finally:
        check.install(models, "generate_key_id", saved)


def patch_moto_gaps() -> list[str]:
    """Patch, in this process, the moto gaps the generated modules reach; name each.

    Written against moto 5.2.5 and 5.2.6 (two patches are dormant on 5.2.5, whose dispatch took
    the action from the last dotted part of X-Amz-Target). Raises MotoPatchError when a patch's
    target is missing or has another shape. A second call returns the first one's names.
    """
    global _PATCHED
    if _PATCHED is None:
        for patch in PATCHES:
            patch()
        _PATCHED = [describe_patch(p) for p in PATCHES]
    return list(_PATCHED)


def describe_patch(patch: Callable[[], None]) -> str:
    """``name: the gap`` - the patch's name and its docstring's first line (the suite prints it)."""
    return f"{patch.__name__.strip('_')}: {(patch.__doc__ or '').splitlines()[0]}"


def _json_short_target() -> None:
    """X-Amz-Target routing: the short CloudTrail_20131101.<Action> form answers 404.

    moto 5.2.6 routes a JSON request by looking its whole X-Amz-Target up in a table built from
    botocore's targetPrefix (moto.core.routing.JSONRouter._match, called from
    BaseResponse._get_action_from_request); 5.2.5 took the part after the last dot
    (BaseResponse._get_action). botocore spells CloudTrail's prefix
    com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101, while the Go SDK (the provider) sends
    CloudTrail_20131101.<Action>, which AWS accepts too. When the full target finds nothing and
    the header is <last part of a dotted prefix>.<an operation of the model>, route to it.
    """
    patch = "json_short_target"
    routing = check.lookup(patch, "moto.core", "routing")
    check.lookup(patch, "moto.core.routing", "JSONRouter")
    check.lookup(patch, "moto.core.routing", "ProtocolRouter")
    match = check.method(patch, routing.JSONRouter, "_match", ("self", "request"))
    check.method(patch, routing.ProtocolRouter, "__init__", ("self", "service_model"))
    routers = check.attribute(patch, routing, "PROTOCOL_ROUTERS", dict)
    if routers.get("json") is not routing.JSONRouter:
        raise check.mismatch(
            patch, "PROTOCOL_ROUTERS['json'] to be JSONRouter", repr(routers.get("json"))
        )

    def short_match(self: Any, request: Any) -> tuple[Any, dict[str, Any]]:
        operation, params = match(self, request)
        if operation is None:
            prefix = self.service_model.metadata.get("targetPrefix") or ""
            head, _, action = (request.headers.get("X-Amz-Target") or "").rpartition(".")
            if (
                "." in prefix
                and head == prefix.rsplit(".", 1)[1]
                and action in self.service_model.operation_names
            ):
                operation = self.service_model.operation_model(action)
        return operation, params

    check.install(routing.JSONRouter, "_match", short_match)


def _athena_json_protocol() -> None:
    """Athena over JSON 1.1: the Go SDK's AmazonAthena.<Action> requests answer 404.

    botocore (1.44) models Athena as rest-json only (POST /workgroups...), with no targetPrefix.
    moto 5.2.6 routes every request by botocore's model: it picks the protocol from the content
    type (moto.core.request.determine_request_protocol) and gives up (NotImplementedError, caught
    in BaseResponse._get_action_from_request, so 404) on application/x-amz-json-1.1 for a service
    whose model lists no "json". The Go SDK speaks Athena's AWS protocol, awsJson1_1 with
    X-Amz-Target AmazonAthena.<Action>. Add that protocol and prefix to moto's (cached) model of
    athena, so JSONRouter routes it and errors are serialized as JSON. 5.2.5 took the action from
    the header whatever the model said, and needed nothing.
    """
    patch = "athena_json_protocol"
    prefix = "AmazonAthena"
    check.lookup(patch, "moto.core.routing", "JSONRouter")
    utils = check.lookup(patch, "moto.core", "utils")
    get_service_model = check.method(patch, utils, "get_service_model", ("service_name",))
    model = get_service_model("athena")
    metadata = check.attribute(patch, model, "metadata", dict)
    protocols = metadata.get("protocols", [metadata.get("protocol")])
    if not isinstance(protocols, list) or metadata.get("targetPrefix") not in (None, prefix):
        raise check.mismatch(
            patch,
            f"athena's model metadata with a protocols list and no targetPrefix but {prefix}",
            f"protocols {protocols!r}, targetPrefix {metadata.get('targetPrefix')!r}",
        )
    check.operations(patch, "athena", "CreateWorkGroup", "GetWorkGroup")
    if "json" in protocols and metadata.get("targetPrefix") == prefix:
        return  # botocore models Athena's JSON protocol again: nothing to add
    check.install(
        model,
        "metadata",
        {
            **metadata,
            "protocols": [*protocols, "json"],
            "jsonVersion": "1.1",
            "targetPrefix": prefix,
        },
    )


def _lifecycle_minimum_object_size() -> None:
    """Lifecycle read-back: the minimum object size put is answered, not always 128K.

    GetBucketLifecycleConfiguration always answers TransitionDefaultMinimumObjectSize
    all_storage_classes_128K, so the provider waits 3 minutes for the value it put (then fails
    or, on refresh, reports a diff): keep the value the PutBucketLifecycleConfiguration header
    carried. The provider's own wait (10 s delay, 10 polls 5 s apart) remains, as on AWS.
    """
    patch = "lifecycle_minimum_object_size"
    S3Response = check.lookup(patch, "moto.s3.responses", "S3Response")
    put = check.method(
        patch, S3Response, "_bucket_response_put", ("self", "request", "bucket_name", "querystring")
    )
    get = check.method(patch, S3Response, "get_bucket_lifecycle", ("self",))
    check.sets(patch, S3Response, "setup_class", "bucket_name")
    header = "x-amz-transition-default-minimum-object-size"
    stored: dict[str, str] = {}

    def bucket_put(self: Any, request: Any, bucket_name: str, querystring: Any) -> Any:
        result = put(self, request, bucket_name, querystring)
        if "lifecycle" in querystring and request.headers.get(header):
            stored[bucket_name] = request.headers[header]
        return result

    def get_lifecycle(self: Any) -> Any:
        status, headers, body = get(self)
        if self.bucket_name in stored:
            headers = {**headers, header: stored[self.bucket_name]}
        return status, headers, body

    check.install(S3Response, "_bucket_response_put", bucket_put)
    check.install(S3Response, "get_bucket_lifecycle", get_lifecycle)


def _query_definitions() -> None:
    """Saved queries: Put/Describe/DeleteQueryDefinition, which moto does not implement.

    Kept per account and region (aws_cloudwatch_query_definition reads them back by listing).
    """
    import uuid

    patch = "query_definitions"
    BaseResponse = check.lookup(patch, "moto.core.responses", "BaseResponse")
    LogsResponse = check.lookup(patch, "moto.logs.responses", "LogsResponse")
    names = ("put_query_definition", "describe_query_definitions", "delete_query_definition")
    for name in names:
        check.absent(patch, LogsResponse, name)
    check.operations(
        patch, "logs", "PutQueryDefinition", "DescribeQueryDefinitions", "DeleteQueryDefinition"
    )
    check.method(patch, BaseResponse, "_get_param", ("self", "param_name", "if_none"))
    check.sets(patch, BaseResponse, "setup_class", "current_account", "region")
    definitions: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def store(self: Any) -> dict[str, dict[str, Any]]:
        return definitions.setdefault((self.current_account, self.region), {})

    def put_query_definition(self: Any) -> str:
        query_id = self._get_param("queryDefinitionId") or str(uuid.uuid4())
        store(self)[query_id] = {
            "queryDefinitionId": query_id,
            "name": self._get_param("name"),
            "queryString": self._get_param("queryString"),
            "logGroupNames": self._get_param("logGroupNames") or [],
            "lastModified": 0,
        }
        return json.dumps({"queryDefinitionId": query_id})

    def describe_query_definitions(self: Any) -> str:
        prefix = self._get_param("queryDefinitionNamePrefix") or ""
        found = [d for d in store(self).values() if d["name"].startswith(prefix)]
        return json.dumps({"queryDefinitions": found})

    def delete_query_definition(self: Any) -> str:
        removed = store(self).pop(self._get_param("queryDefinitionId"), None)
        return json.dumps({"success": removed is not None})

    check.install(LogsResponse, "put_query_definition", put_query_definition)
    check.install(LogsResponse, "describe_query_definitions", describe_query_definitions)
    check.install(LogsResponse, "delete_query_definition", delete_query_definition)


def _log_group_kms_key() -> None:
    """Log group keys: Associate/DisassociateKmsKey, which moto does not implement.

    An adopted group gets the trail's key in place; set or clear the group's kmsKeyId.
    """
    patch = "log_group_kms_key"
    BaseResponse = check.lookup(patch, "moto.core.responses", "BaseResponse")
    LogGroup = check.lookup(patch, "moto.logs.models", "LogGroup")
    LogsBackend = check.lookup(patch, "moto.logs.models", "LogsBackend")
    LogsResponse = check.lookup(patch, "moto.logs.responses", "LogsResponse")
    for name in ("associate_kms_key", "disassociate_kms_key"):
        check.absent(patch, LogsResponse, name)
    check.operations(patch, "logs", "AssociateKmsKey", "DisassociateKmsKey")
    check.is_property(patch, LogsResponse, "logs_backend")
    check.sets(patch, LogsBackend, "__init__", "groups")
    check.sets(patch, LogGroup, "__init__", "kms_key_id")
    check.method(patch, BaseResponse, "_get_param", ("self", "param_name", "if_none"))

    def group(self: Any) -> Any:
        return self.logs_backend.groups[self._get_param("logGroupName")]

    def associate_kms_key(self: Any) -> str:
        group(self).kms_key_id = self._get_param("kmsKeyId")
        return ""

    def disassociate_kms_key(self: Any) -> str:
        group(self).kms_key_id = None
        return ""

    check.install(LogsResponse, "associate_kms_key", associate_kms_key)
    check.install(LogsResponse, "disassociate_kms_key", disassociate_kms_key)


def _trail_by_arn() -> None:
    """Trails by ARN: DeleteTrail by ARN and DescribeTrails' trailNameList, both ignored.

    moto deletes nothing for an ARN and lists every trail whatever was asked, so a trail
    replacement fails; resolve ARNs and filter by the names asked for.
    """
    patch = "trail_by_arn"
    CloudTrailBackend = check.lookup(patch, "moto.cloudtrail.models", "CloudTrailBackend")
    Trail = check.lookup(patch, "moto.cloudtrail.models", "Trail")
    CloudTrailResponse = check.lookup(patch, "moto.cloudtrail.responses", "CloudTrailResponse")
    BaseResponse = check.lookup(patch, "moto.core.responses", "BaseResponse")
    delete = check.method(patch, CloudTrailBackend, "delete_trail", ("self", "name"))
    check.method(patch, CloudTrailBackend, "describe_trails", ("self", "include_shadow_trails"))
    check.method(patch, CloudTrailResponse, "describe_trails", ("self",))
    check.is_property(patch, CloudTrailResponse, "cloudtrail_backend")
    check.method(patch, Trail, "description", ("self", "include_region"))
    check.sets(patch, CloudTrailBackend, "__init__", "trails")
    check.sets(patch, Trail, "__init__", "trail_name")
    check.is_property(patch, Trail, "arn")
    check.method(patch, BaseResponse, "_get_bool_param", ("self", "param_name", "if_none"))

    def delete_trail(self: Any, name: str) -> None:
        for trail_name, trail in list(self.trails.items()):
            if trail.arn == name:
                name = trail_name
        delete(self, name)

    def describe_trails(self: Any) -> str:
        wanted = self._get_param("trailNameList") or []
        include_shadow = self._get_bool_param("includeShadowTrails", True)
        trails = [
            t
            for t in self.cloudtrail_backend.describe_trails(include_shadow)
            if not wanted or t.trail_name in wanted or t.arn in wanted
        ]
        return json.dumps({"trailList": [t.description(include_region=True) for t in trails]})

    check.install(CloudTrailBackend, "delete_trail", delete_trail)
    check.install(CloudTrailResponse, "describe_trails", describe_trails)


def _cloudtrail_delegated_admin() -> None:
    """CloudTrail delegated admin: (De)RegisterOrganizationDelegatedAdmin, not implemented.

    Organizations does not list cloudtrail.amazonaws.com among its delegated-admin services
    either; register the account for CloudTrail in the caller's organization.
    """
    patch = "cloudtrail_delegated_admin"
    CloudTrailResponse = check.lookup(patch, "moto.cloudtrail.responses", "CloudTrailResponse")
    BaseResponse = check.lookup(patch, "moto.core.responses", "BaseResponse")
    models = check.lookup(patch, "moto.organizations", "models")
    FakeDelegatedAdministrator = check.lookup(patch, models.__name__, "FakeDelegatedAdministrator")
    OrganizationsBackend = check.lookup(patch, models.__name__, "OrganizationsBackend")
    for name in (
        "register_organization_delegated_admin",
        "deregister_organization_delegated_admin",
    ):
        check.absent(patch, CloudTrailResponse, name)
    check.operations(
        patch,
        "cloudtrail",
        "RegisterOrganizationDelegatedAdmin",
        "DeregisterOrganizationDelegatedAdmin",
    )
    services = check.attribute(patch, FakeDelegatedAdministrator, "SUPPORTED_SERVICES", list)
    backends = check.attribute(patch, models, "organizations_backends", object)
    for name in ("register_delegated_administrator", "deregister_delegated_administrator"):
        check.method(patch, OrganizationsBackend, name, ("self", "**kwargs"))
    check.sets(patch, BaseResponse, "setup_class", "current_account", "partition")
    principal = "cloudtrail.amazonaws.com"

    def organizations(self: Any) -> Any:
        return backends[self.current_account][self.partition]

    def register(self: Any) -> str:
        organizations(self).register_delegated_administrator(
            AccountId=self._get_param("MemberAccountId"), ServicePrincipal=principal
        )
        return "{}"

    def deregister(self: Any) -> str:
        organizations(self).deregister_delegated_administrator(
            AccountId=self._get_param("DelegatedAdminAccountId"), ServicePrincipal=principal
        )
        return "{}"

    if principal not in services:
        check.install(FakeDelegatedAdministrator, "SUPPORTED_SERVICES", [*services, principal])
    check.install(CloudTrailResponse, "register_organization_delegated_admin", register)
    check.install(CloudTrailResponse, "deregister_organization_delegated_admin", deregister)


def _sqs_redrive_policy_compact() -> None:
    """SQS redrive policy: GetQueueAttributes answers it spaced, AWS compactly.

    moto answers RedrivePolicy as ``json.dumps`` writes it (``{"deadLetterTargetArn": ...,
    "maxReceiveCount": 5}``); SQS answers the compact form, which is what ``jsonencode`` puts,
    and the provider compares the two as text: every plan after the apply would update each
    queue with a dead-letter queue (a perpetual diff only the emulator has).
    """
    patch = "sqs_redrive_policy_compact"
    Queue = check.lookup(patch, "moto.sqs.models", "Queue")
    check.is_property(patch, Queue, "attributes")
    original = Queue.attributes.fget

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self)
        if isinstance(result.get("RedrivePolicy"), str):
            policy = json.loads(result["RedrivePolicy"])
            result["RedrivePolicy"] = json.dumps(policy, separators=(",", ":"))
        return result

    check.install(Queue, "attributes", property(attributes))


def _s3_notification_eventbridge() -> None:
    """S3 notification read-back: EventBridgeConfiguration is kept but never answered.

    moto stores PutBucketNotificationConfiguration's EventBridgeConfiguration (and sends the
    bucket's events to the default bus with it), but GetBucketNotificationConfiguration lists
    only topic, queue and function configurations: the provider reads ``eventbridge = false``
    back and plans to set it again after every apply (a perpetual diff only the emulator has).
    Answer it, empty as AWS does, when the bucket's configuration has it.
    """
    patch = "s3_notification_eventbridge"
    S3Response = check.lookup(patch, "moto.s3.responses", "S3Response")
    BaseResponse = check.lookup(patch, "moto.core.responses", "BaseResponse")
    ActionResult = check.lookup(patch, "moto.core.responses", "ActionResult")
    NotificationConfiguration = check.lookup(patch, "moto.s3.models", "NotificationConfiguration")
    get = check.method(patch, S3Response, "get_bucket_notification", ("self",))
    check.method(patch, BaseResponse, "serialized", ("self", "action_result"))
    check.is_property(patch, ActionResult, "result")
    check.sets(patch, NotificationConfiguration, "__init__", "event_bridge")
    check.operations(patch, "s3", "GetBucketNotificationConfiguration")

    def get_bucket_notification(self: Any) -> Any:
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return get(self)
        serialized = self.serialized

        def with_eventbridge(action_result: Any) -> Any:
            if isinstance(action_result.result, dict):
                action_result = ActionResult(
                    {**action_result.result, "EventBridgeConfiguration": {}}
                )
            return serialized(action_result)

        self.serialized = with_eventbridge
        try:
            return get(self)
        finally:
            del self.serialized

    check.install(S3Response, "get_bucket_notification", get_bucket_notification)


PATCHES: tuple[Callable[[], None], ...] = (
    _json_short_target,
    _athena_json_protocol,
    _lifecycle_minimum_object_size,
    _query_definitions,
    _log_group_kms_key,
    _trail_by_arn,
    _cloudtrail_delegated_admin,
    _sqs_redrive_policy_compact,
    _s3_notification_eventbridge,
)
