"""prowler 5.46.0's checks of the module's keys, topics, queues, log group, workgroup and catalog.

Why: as :mod:`prowler_resources` for the buckets, each evaluator mirrors one check
(``prowler/providers/aws/services/{kms,sns,sqs,cloudwatch,athena,glue}/<check>/<check>.py`` in
the prowler 5.46.0 wheel) on what the service client reads back from the applied module,
resource by resource. Keys and topics the module only names (``kms.key_arn``,
``existing_topic_arn``) are noted, and judged ``manual`` when nothing else is. Security Hub's
SNS.1 and SQS.1 ask what prowler's encryption checks ask and share their evaluators; SQS.3
(AWS Config's automated reasoning over the queue policy) has its own.
"""

from __future__ import annotations

from collections.abc import Callable

from generator.review.catalogue import Control
from generator.review.owner import owner_of
from generator.review.prowler_owner import owner_key
from generator.review.prowler_policy import (
    Json,
    has_public_principal,
    has_restrictive_source_arn_condition,
    is_condition_block_restrictive,
    is_condition_block_restrictive_organization,
    is_condition_block_restrictive_sns_endpoint,
    is_policy_public,
)
from generator.review.prowler_resources import EVALUATORS as EVALUATORS
from generator.review.prowler_resources import account_in, combine, evaluator, resources_of, where
from generator.review.resource_facts import Key, Queue, Topic, Workgroup
from generator.review.verdict import (
    MANUAL,
    NOT_APPLICABLE,
    NOT_SATISFIED,
    SATISFIED,
    Context,
    Verdict,
)

# cloudwatch_log_group_agentcore_data_protection_policy_enabled.DEFAULT_AGENTCORE_..._PREFIXES
_AGENTCORE = ("/aws/bedrock-agentcore/", "/aws/vendedlogs/bedrock-agentcore/")


# --- KMS: every customer-managed key --------------------------------------------------------

KeyCheck = Callable[[Key, Context], Verdict | None]


def _key_check(name: str) -> Callable[[KeyCheck], KeyCheck]:
    """Register a per-key check; None: prowler reports nothing for that key."""

    def register(function: KeyCheck) -> KeyCheck:
        def judge(control: Control, ctx: Context) -> Verdict:
            found = [(where(ctx, k.address, k.account), v) for k in resources_of(ctx).keys
                     if (v := function(k, ctx)) is not None]  # fmt: skip
            owners = owner_key(name, ctx)  # the owner's key: manual, whatever ours are
            found += [(arn, Verdict(MANUAL, text, "owner_trail")) for arn, text in owners]
            external = [k for k in resources_of(ctx).external_keys if k not in dict(owners)]
            note = (f"{', '.join(external)}: named but not created here (prowler judges that "
                    "key too: check it)") if external else ""  # fmt: skip
            if not found:
                if external:
                    return Verdict(MANUAL, note)
                return Verdict(NOT_APPLICABLE, "the module creates no KMS key", "kms.enabled")
            verdict = combine(found, Verdict(NOT_APPLICABLE, ""))
            reason = f"{verdict.reason}; {note}" if note else verdict.reason
            return Verdict(verdict.status, reason, verdict.key)

        EVALUATORS[name] = judge
        return function

    return register


@_key_check("kms_cmk_rotation_enabled")
def _rotation(key: Key, ctx: Context) -> Verdict | None:
    if not (key.enabled and key.symmetric):
        return None
    if key.rotation:
        return Verdict(SATISFIED, "enable_key_rotation = true")
    return Verdict(NOT_SATISFIED, "automatic rotation is off")


@_key_check("kms_cmk_are_used")
def _are_used(key: Key, ctx: Context) -> Verdict | None:
    if key.enabled:
        return Verdict(SATISFIED, "created Enabled")
    return Verdict(NOT_SATISFIED, "created disabled (is_enabled = false)")


@_key_check("kms_cmk_not_deleted_unintentionally")
def _not_deleted(key: Key, ctx: Context) -> Verdict | None:
    if not key.enabled:
        return None  # prowler skips a Disabled key unless --scan-unused-services
    return Verdict(SATISFIED, "created Enabled, with prevent_destroy (a deletion scheduled "
                   "outside Terraform would fail it: PendingDeletion)")  # fmt: skip


@_key_check("kms_cmk_not_multi_region")
def _not_multi_region(key: Key, ctx: Context) -> Verdict | None:
    if not key.enabled:
        return None
    if key.multi_region:
        return Verdict(NOT_SATISFIED, "a multi-Region key")
    return Verdict(SATISFIED, "a single-Region key")


@_key_check("kms_key_not_publicly_accessible")
def _key_public(key: Key, ctx: Context) -> Verdict | None:
    if not key.enabled:
        return None
    if key.policy is None:
        return Verdict(SATISFIED, "KMS's default key policy (its account's root only)")
    if is_policy_public(key.policy, account_in(ctx, key.account), not_allowed_actions=[]):
        return Verdict(NOT_SATISFIED, "its key policy allows '*' without a condition")
    return Verdict(SATISFIED, "its key policy names no '*' principal without a condition")


@evaluator("kms_enclave")
def _enclave(control: Control, ctx: Context) -> Verdict:
    hinted = [k.address for k in resources_of(ctx).keys
              if k.enclave_hint or "kms:RecipientAttestation" in str(k.policy)]  # fmt: skip
    if hinted:
        return Verdict(MANUAL, f"{', '.join(hinted)}: prowler takes it for a Nitro Enclave key "
                       "(alias, description or tag with 'enclave'): its attestation checks "
                       "apply", control.key)  # fmt: skip
    return Verdict(NOT_APPLICABLE, "judges Nitro Enclave keys (a tag, alias or description "
                   "with 'enclave', or kms:RecipientAttestation conditions); the module's keys "
                   "are none")  # fmt: skip


@evaluator("kms_key_enclave_attestation_unknown_image")
def _enclave_unknown_image(control: Control, ctx: Context) -> Verdict:
    return Verdict(MANUAL, "account-level, from CloudTrail's events, whatever the keys are: "
                   "MANUAL until enclave_golden_pcr_values is set in prowler's config (its "
                   "audit_config); then look at KMS calls attested by an enclave image outside "
                   "that list in the lookback window", control.key)  # fmt: skip


@evaluator("kms_key_enclave_debug_attestation_detected")
def _enclave_debug_attestation(control: Control, ctx: Context) -> Verdict:
    return Verdict(MANUAL, "account-level, from CloudTrail's events (LookupEvents over the last "
                   "2160 hours), whatever the keys are: look for KMS calls from enclaves in "
                   "debug mode (all-zero PCRs); none found reads MANUAL", control.key)  # fmt: skip


# --- SNS: every topic ------------------------------------------------------------------------

TopicCheck = Callable[[Topic, Context], Verdict | None]


def _topic_check(name: str) -> Callable[[TopicCheck], TopicCheck]:
    def register(function: TopicCheck) -> TopicCheck:
        def judge(control: Control, ctx: Context) -> Verdict:
            found = [(where(ctx, t.address, t.account),
                      Verdict(v.status, v.reason, v.key or _topic_key(t, control)))
                     for t in resources_of(ctx).topics
                     if (v := function(t, ctx)) is not None]  # fmt: skip
            external = resources_of(ctx).external_topics
            if not resources_of(ctx).topics and external:
                return Verdict(MANUAL, f"the alarms publish to {', '.join(external)}, not "
                               "created here: check it", "monitoring.notifications")  # fmt: skip
            none = (
                "the module creates no SNS topic"
                if not resources_of(ctx).topics
                else ("the topic has no subscription (prowler reports each confirmed one)")
            )
            return combine(found, Verdict(NOT_APPLICABLE, none, control.key))

        EVALUATORS[name] = judge
        return function

    return register


def _topic_key(topic: Topic, control: Control) -> str:
    """The log-file topic is the consumers' (consumers:), the alarm topic monitoring's."""
    return "consumers" if topic.log_files else control.key


@_topic_check("sns_topics_kms_encryption_at_rest_enabled")
def _topic_kms(topic: Topic, ctx: Context) -> Verdict | None:
    if topic.encrypted:
        return Verdict(SATISFIED, "kms_master_key_id is set")
    return Verdict(NOT_SATISFIED, "the topic is not encrypted")


def _default_topic_policy(account: str) -> Json:
    """SNS's default topic policy: the account's principals, by AWS:SourceOwner."""
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "SNS:Publish",
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }
        ]
    }


def _sns_public(policy: Json, account: str) -> bool:
    """sns_topics_not_publicly_accessible.execute() on one topic's policy."""
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow" or not has_public_principal(statement):
            continue
        if has_restrictive_source_arn_condition(statement):
            return False
        condition = statement.get("Condition")
        if not condition:
            return True
        if not (is_condition_block_restrictive(condition, account)
                or is_condition_block_restrictive_organization(condition)
                or is_condition_block_restrictive_sns_endpoint(condition)):  # fmt: skip
            return True
    return False


@_topic_check("sns_topics_not_publicly_accessible")
def _topic_public(topic: Topic, ctx: Context) -> Verdict | None:
    account = account_in(ctx, topic.account)
    policy = topic.policy if topic.policy is not None else _default_topic_policy(account)
    how = "its policy" if topic.policy is not None else "SNS's default policy"
    if _sns_public(policy, account):
        return Verdict(NOT_SATISFIED, f"{how} lets anyone use the topic")
    return Verdict(SATISFIED, f"{how} grants no public principal without a condition")


@_topic_check("sns_topic_no_public_access")
def _topic_no_public_access(topic: Topic, ctx: Context) -> Verdict | None:
    """Security Hub SNS.4 (AWS Config sns-topic-no-public-access): fixed values only.

    AWS Config: "to be considered non-public, an SNS policy must grant access only to fixed
    values" - no wildcard, no policy variable. How it weighs a condition under a '*' principal
    is not published, so that case (SNS's default policy among them) is manual, as for SQS.3.
    """
    account = account_in(ctx, topic.account)
    policy = topic.policy if topic.policy is not None else _default_topic_policy(account)
    how = "its policy" if topic.policy is not None else "SNS's default policy"
    wild = [s for s in policy.get("Statement", []) if s.get("Effect") == "Allow"
            and any("*" in v or "${" in v for v in _values(s.get("Principal")))]  # fmt: skip
    sids = ", ".join(str(s.get("Sid") or "a statement") for s in wild)
    if any(not s.get("Condition") for s in wild):
        return Verdict(NOT_SATISFIED, f"{how}: {sids} grants a '*' principal with no condition")
    if wild:
        return Verdict(MANUAL, f"{how}: {sids} grants a '*' principal under a condition: AWS "
                       "Config passes it only if the condition fixes who may call: see the "
                       "control's finding")  # fmt: skip
    return Verdict(SATISFIED, f"{how} grants fixed principals only (services, accounts and "
                   "roles by ARN): no wildcard")  # fmt: skip


@_topic_check("sns_subscription_not_using_http_endpoints")
def _topic_http(topic: Topic, ctx: Context) -> Verdict | None:
    if not topic.protocols:
        return None
    if "http" in topic.protocols:
        return Verdict(NOT_SATISFIED, "an http subscription")
    return Verdict(SATISFIED, f"subscriptions {', '.join(sorted(set(topic.protocols)))}: none "
                   "is http (an email or https one is judged once confirmed)")  # fmt: skip


# --- SQS: every queue (the consumers' queues and dead-letter queues) --------------------------

QueueCheck = Callable[[Queue, Context], Verdict]


def _queue_check(name: str) -> Callable[[QueueCheck], QueueCheck]:
    """Register a per-queue check: one finding per queue of sqs_service.py's ListQueues."""

    def register(function: QueueCheck) -> QueueCheck:
        def judge(control: Control, ctx: Context) -> Verdict:
            found = [(where(ctx, q.address, q.account), function(q, ctx))
                     for q in resources_of(ctx).queues]  # fmt: skip
            return combine(found, Verdict(NOT_APPLICABLE, "the module creates no SQS queue "
                                          "(no consumers:)", "consumers"))  # fmt: skip

        EVALUATORS[name] = judge
        return function

    return register


@_queue_check("sqs_queues_server_side_encryption_enabled")
def _queue_encryption(queue: Queue, ctx: Context) -> Verdict:
    """sqs_queues_server_side_encryption_enabled: FAIL on an empty kms_key_id.

    sqs_service.py sets it from KmsMasterKeyId, or to "SqsManagedSseEnabled" when that
    attribute is "true". Security Hub SQS.1 (sqs-queue-encrypted) wants SSE-SQS or SSE-KMS.
    """
    encryption = queue.encryption
    if encryption is None:
        return Verdict(MANUAL, "its encryption arguments are not read here: GetQueueAttributes "
                       "must show a KmsMasterKeyId or SqsManagedSseEnabled true")  # fmt: skip
    if encryption == "SSE-KMS":
        return Verdict(SATISFIED, "kms_master_key_id is set (SSE-KMS)")
    if encryption == "SSE-SQS":
        return Verdict(SATISFIED, "sqs_managed_sse_enabled = true (SSE-SQS)")
    if encryption:
        return Verdict(SATISFIED, "no encryption argument: SSE-SQS by default (SQS "
                       "encrypts a queue created over HTTPS with SigV4)")  # fmt: skip
    return Verdict(NOT_SATISFIED, "sqs_managed_sse_enabled = false and no kms_master_key_id: "
                   "its messages are stored unencrypted")  # fmt: skip


def _values(principal: object) -> list[str]:
    if isinstance(principal, dict):
        return [v for item in principal.values() for v in ([item] if isinstance(item, str)
                                                           else item)]  # fmt: skip
    return [principal] if isinstance(principal, str) else []


def _prowler_wildcard(statement: Json) -> bool:
    """sqs_queues_not_publicly_accessible's principal test, not has_public_principal's.

    ``"*" in`` the Principal, its AWS or its CanonicalUser: a substring of a string, a member
    of a list (so a listed ``arn:aws:iam::*:root`` is not public to it).
    """
    principal = statement.get("Principal", "")
    if "*" in principal:
        return True
    return isinstance(principal, dict) and (
        "*" in principal.get("AWS", "") or "*" in principal.get("CanonicalUser", "")
    )


@_queue_check("sqs_queues_not_publicly_accessible")
def _queue_public(queue: Queue, ctx: Context) -> Verdict:
    """sqs_queues_not_publicly_accessible: the first public Allow statement fails the queue.

    A statement with a '*' principal is public unless its Condition passes
    is_condition_block_restrictive(audited account, is_cross_account_allowed=True): any
    account, ARN, organization, VPC or caller key it lists. A role of another account named by
    its ARN is not public to this check (prowler has no cross-account check for queues).
    """
    if queue.policy is None:
        return Verdict(MANUAL, "the module writes a policy on this queue that is not read here: "
                       "check it for a '*' principal")  # fmt: skip
    if not queue.policy:
        return Verdict(SATISFIED, "the queue has no policy")
    account = account_in(ctx, queue.account)
    for statement in queue.policy.get("Statement", []):
        if statement.get("Effect") != "Allow" or not _prowler_wildcard(statement):
            continue
        condition = statement.get("Condition")
        if condition is None or not is_condition_block_restrictive(condition, account, True):
            sid = statement.get("Sid") or "a statement"
            return Verdict(NOT_SATISFIED, f"{sid} allows '*' with no condition naming an "
                           "account, ARN, organization or VPC")  # fmt: skip
    return Verdict(SATISFIED, "its policy allows no '*' principal without a restricting "
                   "condition (services and roles named by ARN are not public)")  # fmt: skip


@_queue_check("sqs_queue_no_public_access")
def _queue_no_public_access(queue: Queue, ctx: Context) -> Verdict:
    """Security Hub SQS.3 (AWS Config sqs-queue-no-public-access): fixed values only.

    A queue is public unless its policy grants only fixed values, no wildcard. The rule's
    reasoning over conditions is not published, so a '*' principal under a condition is manual.
    """
    if queue.policy is None:
        return Verdict(MANUAL, "the module writes a policy on this queue that is not read here: "
                       "check it for a '*' principal")  # fmt: skip
    if not queue.policy:
        return Verdict(SATISFIED, "the queue has no policy")
    wild = [s for s in queue.policy.get("Statement", []) if s.get("Effect") == "Allow"
            and any("*" in value for value in _values(s.get("Principal")))]  # fmt: skip
    sids = ", ".join(str(s.get("Sid") or "a statement") for s in wild)
    if any(not s.get("Condition") for s in wild):
        return Verdict(NOT_SATISFIED, f"{sids} grants a '*' principal with no condition")
    if wild:
        return Verdict(MANUAL, f"{sids} grants a '*' principal under a condition: AWS Config "
                       "passes it only if the condition fixes who may call (a fixed "
                       "aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID): see the "
                       "control's finding")  # fmt: skip
    return Verdict(SATISFIED, "its policy grants fixed principals only (services, roles by "
                   "ARN): no wildcard")  # fmt: skip


# --- CloudWatch Logs, Athena, Glue -----------------------------------------------------------


@evaluator("cloudwatch_log_group_agentcore_data_protection_policy_enabled")
def _agentcore(control: Control, ctx: Context) -> Verdict:
    name, owner = resources_of(ctx).log_group, owner_of(ctx.config)
    whose = "the trail's"
    if name is None and owner is not None and owner.log_group is not None:
        name, whose = owner.log_group, f"{owner.manager}'s trail's"  # the filters watch it
    if name is None:
        return Verdict(NOT_APPLICABLE, "the module creates no log group", "cloudwatch_logs")
    if name.startswith(_AGENTCORE):
        return Verdict(MANUAL, f"{name} is an AgentCore log group to prowler and the module "
                       "writes no data protection policy: it passes only if the account's "
                       "data protection policy is ACTIVATED")  # fmt: skip
    return Verdict(
        NOT_APPLICABLE,
        f"judges log groups under {' or '.join(_AGENTCORE)} "
        f"(prowler's agentcore_log_group_name_prefixes); {whose} is {name}",
    )


def _workgroups(ctx: Context, judge: Callable[[Workgroup], Verdict]) -> Verdict:
    found = [(w.address, judge(w)) for w in resources_of(ctx).workgroups if w.enabled]
    verdict = combine(found, Verdict(NOT_APPLICABLE, "the module creates no Athena workgroup",
                                      "athena"))  # fmt: skip
    if not found:
        return verdict
    return Verdict(
        verdict.status,
        f"{verdict.reason} (prowler judges a workgroup once it has "
        "run a query, or every one with --scan-unused-services)",
        verdict.key,
    )


@evaluator("athena_workgroup_encryption")
def _athena_encryption(control: Control, ctx: Context) -> Verdict:
    def judge(w: Workgroup) -> Verdict:
        if w.encryption in ("SSE_S3", "SSE_KMS", "CSE_KMS"):
            return Verdict(SATISFIED, f"query results are encrypted ({w.encryption})")
        return Verdict(NOT_SATISFIED, "query results are not encrypted", "athena.results")

    return _workgroups(ctx, judge)


@evaluator("athena_workgroup_enforce_configuration")
def _athena_enforce(control: Control, ctx: Context) -> Verdict:
    def judge(w: Workgroup) -> Verdict:
        if w.enforced:
            return Verdict(SATISFIED, "enforce_workgroup_configuration = true")
        return Verdict(NOT_SATISFIED, "clients may override the workgroup's settings")

    return _workgroups(ctx, judge)


@evaluator("athena_workgroup_logging_enabled")
def _athena_logging(control: Control, ctx: Context) -> Verdict:
    def judge(w: Workgroup) -> Verdict:
        if w.metrics:
            return Verdict(SATISFIED, "publish_cloudwatch_metrics_enabled = true")
        return Verdict(NOT_SATISFIED, "publishes no CloudWatch metrics")

    return _workgroups(ctx, judge)


def _catalog(ctx: Context, what: str) -> Verdict:
    """The glue_data_catalogs_* checks judge the region's Data Catalog once it holds a table."""
    facts = resources_of(ctx)
    if not facts.tables:
        return Verdict(NOT_APPLICABLE, "the module creates no Glue table (prowler judges a "
                       "region's Data Catalog once it holds one)", "athena")  # fmt: skip
    return Verdict(MANUAL, f"{', '.join(facts.tables)} puts the Data Catalog of "
                   f"{facts.tables_region} in scope, whose settings are the account's, not this "
                   f"module's: {what}")  # fmt: skip


@evaluator("glue_data_catalogs_metadata_encryption_enabled")
def _glue_metadata(control: Control, ctx: Context) -> Verdict:
    return _catalog(ctx, "aws glue get-data-catalog-encryption-settings must show "
                    "EncryptionAtRest.CatalogEncryptionMode SSE-KMS")  # fmt: skip


@evaluator("glue_data_catalogs_connection_passwords_encryption_enabled")
def _glue_passwords(control: Control, ctx: Context) -> Verdict:
    return _catalog(
        ctx,
        "aws glue get-data-catalog-encryption-settings must show "
        "ConnectionPasswordEncryption.ReturnConnectionPasswordEncrypted true",
    )


@evaluator("glue_data_catalogs_not_publicly_accessible")
def _glue_public(control: Control, ctx: Context) -> Verdict:
    return _catalog(
        ctx,
        "aws glue get-resource-policy must answer none, or a policy that "
        "allows '*' only with a condition pinning the account or organization",
    )
