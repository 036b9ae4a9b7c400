"""The Athena table over every account's trail files, its saved queries and its readers' policy.

Why here and not in SQL: a ``CREATE EXTERNAL TABLE`` saved as a named query is never run by
Terraform, and a table made by hand drifts from the bucket layout the trail writes. The table is
a Glue resource whose ``LOCATION`` and ``storage.location.template`` are built from the same
:class:`~generator.core.arns.Arns` as the bucket policy, so they cannot disagree with where
CloudTrail writes; rule OTG082 proves it again on the rendered file.

Where it lives: in the bucket's account (the log-archive account, if there is one). That is
where the data and the trail's key are: S3 reads stay within one account (no bucket-policy
grant to another account), the key policy the module writes can name the readers, and the
module does not give a second account a standing view of every account's logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from generator.config.regions import partition_of
from generator.core.arns import Arns
from generator.render.policies import Condition, PolicyDocument, Statement
from generator.sections.athena.model import Athena
from generator.sections.facts import known_accounts
from generator.sections.trail import delivery_regions

if TYPE_CHECKING:
    from generator.sections.registry import Config

DATABASE = "aws_glue_catalog_database.cloudtrail"
TABLE = "aws_glue_catalog_table.cloudtrail"
WORKGROUP = "aws_athena_workgroup.cloudtrail"
READERS_POLICY = "aws_iam_policy.athena_readers"

# The CloudTrail SerDe and formats of ATH-UG "Create the table for CloudTrail logs in Athena
# using partition projection" (aws-facts.md 9.1). The input format reads each file's Records
# array; the JSON SerDe maps the nested fields.
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"

# The column list of that page (2024-): requestparameters, responseelements and
# additionaleventdata stay STRING, because their shape differs per API (query them with
# json_extract_scalar).
_USER_IDENTITY = (
    "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
    "accesskeyid:string,username:string,onbehalfof:struct<userid:string,"
    "identitystorearn:string>,sessioncontext:struct<attributes:struct<mfaauthenticated:string,"
    "creationdate:string>,sessionissuer:struct<type:string,principalid:string,arn:string,"
    "accountid:string,username:string>,ec2roledelivery:string,"
    "webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>"
)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventversion", "string"),
    ("useridentity", _USER_IDENTITY),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("useragent", "string"),
    ("errorcode", "string"),
    ("errormessage", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
    ("additionaleventdata", "string"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("readonly", "string"),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", "string"),
    ("apiversion", "string"),
    ("recipientaccountid", "string"),
    ("serviceeventdetails", "string"),
    ("sharedeventid", "string"),
    ("vpcendpointid", "string"),
    ("vpcendpointaccountid", "string"),
    ("eventcategory", "string"),
    (
        "addendum",
        "struct<reason:string,updatedfields:string,originalrequestid:string,"
        "originaleventid:string>",
    ),
    ("sessioncredentialfromconsole", "string"),
    ("edgedevicedetails", "string"),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
)
# Partition columns, in the order of the trail's key layout. "day", not "date": date is a
# reserved word in Athena's SQL, and every query would have to quote it.
PARTITIONS = ("account", "region", "day")
DAY_FORMAT = "yyyy/MM/dd"  # the trail's YYYY/MM/DD folders, in Java's notation


class NamedQuery(NamedTuple):
    """One saved investigation: its label, name, description and SQL."""

    label: str
    name: str
    description: str
    query: str


def bucket_root(arns: Arns) -> str:
    """``s3://bucket/prefix/AWSLogs/<org-id>/``: where every account's folder starts."""
    return f"s3://{arns.bucket_name}/{arns.log_prefix(arns.org_id)}"


def location_template(arns: Arns) -> str:
    """The folder of one account, region and day, as the trail writes it (aws-facts.md 2).

    The ``CloudTrail`` segment keeps the table to log files: digest files (``CloudTrail-Digest``)
    and Insights events (``CloudTrail-Insight``) are siblings of it, in other formats.
    """
    account, region, day = (f"${{{name}}}" for name in PARTITIONS)
    return f"{bucket_root(arns)}{account}/CloudTrail/{region}/{day}"


def table_parameters(athena: Athena, arns: Arns, regions: list[str]) -> dict[str, str]:
    """The table's properties: partition projection over account, region and day."""
    account, region, day = PARTITIONS
    parameters = {
        "EXTERNAL": "TRUE",
        "classification": "cloudtrail",
        "projection.enabled": "true",
        f"projection.{region}.type": "enum",
        f"projection.{region}.values": ",".join(regions),
        f"projection.{day}.type": "date",
        f"projection.{day}.format": DAY_FORMAT,
        f"projection.{day}.range": f"{athena.start_date},NOW",
        f"projection.{day}.interval": "1",
        f"projection.{day}.interval.unit": "DAYS",
        "storage.location.template": location_template(arns),
    }
    if athena.enum_accounts is not None:
        parameters[f"projection.{account}.type"] = "enum"
        parameters[f"projection.{account}.values"] = ",".join(athena.enum_accounts)
    else:
        parameters[f"projection.{account}.type"] = "injected"
    return parameters


def table_regions(config: Config) -> list[str]:
    """The regions the table projects and the saved queries name.

    A multi-region organization trail records every enabled region of every account, not only
    ``trail.regions`` (those are the regions whose delivery the organization expects): so the
    table projects every region of the partition where CloudTrail runs. Athena reads only the
    partitions it enumerates, and activity in a region nobody listed - where an intruder would
    go - would otherwise be invisible to the table and to every saved query. A single-region
    trail writes its delivery regions only.
    """
    partition = partition_of(config.trail.home_region)
    if config.trail.is_multi_region and partition is not None:
        return sorted(partition.regions)
    return delivery_regions(config)


def _sql_list(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def account_roles(config: Config) -> list[str]:
    """The accounts this config names (``known_accounts``), each with its role, by id.

    E.g. ``111111111111 (management)``: what the saved queries of an ``injected`` table read.
    """
    roles = {config.organization.management_account_id: "management"}
    for section, role in (
        (config.delegated_admin, "delegated administrator"),
        (config.log_archive, "log archive"),
    ):
        if section is not None:
            roles[section.account_id] = (
                f"{roles[section.account_id]}, {role}" if section.account_id in roles else role
            )
    return [f"{account} ({role})" for account, role in sorted(roles.items())]


def coverage(config: Config, athena: Athena, single: str | None = None) -> str:
    """The SQL comment that opens a saved query: exactly which accounts it reads, and how to add.

    ``single``: the one account a query names (one account's activity), else the shared list.
    With ``injected`` no query can read the whole organization - Athena reads only the accounts
    a query names - so each says which accounts its list holds and that the others are not
    read until added; with an enum the list is every account the table projects.
    """
    enum = athena.enum_accounts
    if single is not None:
        role = next((r for r in account_roles(config) if r.startswith(single)), single)
        text = f"-- Accounts: one, {role}: replace it with the account to investigate"
        if enum is not None:
            text += " (one of athena.accounts: the table reads no other)"
        return text + ".\n"
    if enum is not None:
        many = "the one account" if len(enum) == 1 else f"all {len(enum)} accounts"
        return (
            f"-- Accounts: {many} of athena.accounts, in the account IN (...) list below: every "
            "account the table reads (its enum). An account that joins the organization is not "
            "queried until it is added to athena.accounts and to this list.\n"
        )
    named = account_roles(config)
    first = sorted(known_accounts(config))[0]
    who = (
        f"only {named[0]}, the one account in the account IN (...) list below: the account "
        "this config names"
        if len(named) == 1
        else f"only the {len(named)} accounts in the account IN (...) list below, those this "
        f"config names: {', '.join(named)}"
    )
    return (
        f"-- Accounts: {who}. athena.accounts is injected: Athena reads only the accounts a "
        "query names, so no other account of the organization is queried until you add its "
        f"id to that list: account IN ('{first}', ..., '<account id>').\n"
    )


def named_queries(config: Config, athena: Athena) -> list[NamedQuery]:
    """The walkthrough's investigations, each bounded by account, region and day predicates.

    Every query names its accounts, regions and a window of days, so none scans the whole
    bucket by accident (and an ``injected`` account column requires the account list anyway).
    The account list is the enum, or the accounts this config knows; edit it before running.
    Each query opens with a comment saying exactly which accounts it reads (:func:`coverage`).
    """
    table = f"{athena.database}.{athena.table}"
    accounts = athena.enum_accounts
    if accounts is None:
        accounts = sorted(known_accounts(config))
    regions = table_regions(config)
    window = "day >= date_format(current_date - interval '{days}' day, '%Y/%m/%d')"

    def bounded(
        where: str | None = None, days: int = 7, account_list: list[str] | None = None
    ) -> str:
        return (
            f"WHERE account IN ({_sql_list(account_list or accounts)})\n"
            f"  AND region IN ({_sql_list(regions)})\n"
            f"  AND {window.format(days=days)}"
        ) + (f"\n  AND {where}" if where else "")

    common = "eventtime, account, region, useridentity.arn AS principal, sourceipaddress, eventname"
    queries = [
        (
            "security_group_changes",
            "Security-group changes in every listed account (the walkthrough's first question).",
            f"SELECT {common}, requestparameters\nFROM {table}\n"
            + bounded(
                "eventsource = 'ec2.amazonaws.com'\n  AND eventname IN "
                "('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', "
                "'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', "
                "'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules')"
            )
            + "\nORDER BY eventtime DESC",
        ),
        (
            "root_activity",
            "Everything the root user of any listed account did.",
            f"SELECT {common}, errorcode\nFROM {table}\n"
            + bounded(
                "useridentity.type = 'Root'\n  AND useridentity.invokedby IS NULL\n"
                "  AND eventtype <> 'AwsServiceEvent'"
            )
            + "\nORDER BY eventtime DESC",
        ),
        (
            "console_sign_in_without_mfa",
            "Successful console sign-ins without MFA.",
            f"SELECT eventtime, account, useridentity.arn AS principal, sourceipaddress\n"
            f"FROM {table}\n"
            + bounded(
                "eventname = 'ConsoleLogin'\n"
                "  AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'\n"
                "  AND json_extract_scalar(additionaleventdata, '$.MFAUsed') <> 'Yes'"
            )
            + "\nORDER BY eventtime DESC",
        ),
        (
            "access_denied_by_principal",
            "AccessDenied answers, counted by principal and account.",
            f"SELECT useridentity.arn AS principal, account, count(*) AS denied, "
            f"array_agg(DISTINCT eventname) AS calls\nFROM {table}\n"
            + bounded(
                "errorcode IN ('AccessDenied', 'AccessDeniedException', "
                "'UnauthorizedOperation', 'Client.UnauthorizedOperation')"
            )
            + "\nGROUP BY useridentity.arn, account\nORDER BY denied DESC",
        ),
        (
            "trail_changes",
            "Changes to any trail, its selectors or its logging, in every listed account.",
            f"SELECT {common}, requestparameters\nFROM {table}\n"
            + bounded(
                "eventsource = 'cloudtrail.amazonaws.com'\n  AND eventname IN "
                "('CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StopLogging', 'StartLogging', "
                "'PutEventSelectors', 'PutInsightSelectors')",
                days=30,
            )
            + "\nORDER BY eventtime DESC",
        ),
        (
            "account_activity",
            "What one account did over 30 days, by service and call (change the account).",
            f"SELECT eventsource, eventname, count(*) AS calls\nFROM {table}\n"
            + bounded(days=30, account_list=[config.organization.management_account_id])
            + "\nGROUP BY eventsource, eventname\nORDER BY calls DESC",
        ),
    ]
    lead = (
        "-- Bounded by account, region and day: edit the lists and the window, never drop "
        "them (the workgroup stops a query at its bytes-scanned cutoff).\n"
    )
    management = config.organization.management_account_id
    return [
        NamedQuery(
            label,
            f"orgtrail/{label}",
            description,
            coverage(config, athena, management if label == "account_activity" else None)
            + lead
            + query,
        )
        for label, description, query in queries
    ]


def readers_policy(
    arns: Arns,
    athena: Athena,
    account: str,
    workgroup: str,
    *,
    encrypted: bool,
    key_arn: str | None,
) -> PolicyDocument:
    """Exactly what a query over the table needs, and nothing that changes it.

    Athena runs the query as the caller: it reads the table from Glue, lists and reads the log
    objects under ``AWSLogs/<org-id>/`` (decrypting them with the trail's key), and writes the
    results under the workgroup's prefix. No Glue write, no S3 delete, no other bucket.
    ``encrypted``: the trail's files are SSE-KMS; ``key_arn``: an existing key's ARN, or None
    for the key this module creates.
    """
    region, partition = arns.home_region, arns.partition
    logs_prefix = arns.log_prefix(arns.org_id)
    results = athena.results
    results_bucket = f"arn:{partition}:s3:::{results.bucket}"
    statements = [
        Statement(
            "RunQueriesInTheWorkgroup",
            (
                "athena:GetWorkGroup",
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:GetQueryResultsStream",
                "athena:ListQueryExecutions",
                "athena:BatchGetQueryExecution",
                "athena:ListNamedQueries",
                "athena:GetNamedQuery",
                "athena:BatchGetNamedQuery",
            ),
            (f"arn:{partition}:athena:{region}:{account}:workgroup/{workgroup}",),
        ),
        Statement(
            "ReadTheTable",
            ("glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"),
            (
                f"arn:{partition}:glue:{region}:{account}:catalog",
                f"arn:{partition}:glue:{region}:{account}:database/{athena.database}",
                f"arn:{partition}:glue:{region}:{account}:table/{athena.database}/{athena.table}",
            ),
        ),
        Statement(
            "ListTheLogs",
            ("s3:ListBucket",),
            (arns.bucket,),
            conditions=(Condition("StringLike", "s3:prefix", (f"{logs_prefix}*",)),),
        ),
        Statement(
            "ReadTheLogs",
            ("s3:GetObject",),
            (arns.log_objects(arns.org_id),),
        ),
        Statement(
            "FindTheBuckets",
            ("s3:GetBucketLocation",),
            tuple(sorted({arns.bucket, results_bucket})),
        ),
        Statement(
            "ListTheResults",
            ("s3:ListBucket",),
            (results_bucket,),
            conditions=(Condition("StringLike", "s3:prefix", (f"{results.prefix}*",)),),
        ),
        Statement("ListTheResultUploads", ("s3:ListBucketMultipartUploads",), (results_bucket,)),
        Statement(
            "WriteTheResults",
            (
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ),
            (f"{results_bucket}/{results.prefix}*",),
        ),
    ]
    if encrypted:
        # A created key's ARN holds a random id that a literal policy cannot know: any key of
        # this account, but only through S3 and only for what CloudTrail encrypted (its
        # encryption context), which is what the key policy's reader statement admits too.
        trails = f"arn:{partition}:cloudtrail:*:{arns.management_account_id}:trail/*"
        statements.append(
            Statement(
                "DecryptTheLogs",
                ("kms:Decrypt",),
                (key_arn or f"arn:{partition}:kms:{region}:{account}:key/*",),
                conditions=(
                    Condition(
                        "StringEquals", "kms:ViaService", (f"s3.{region}.{arns.dns_suffix}",)
                    ),
                    Condition("StringLike", "kms:EncryptionContext:aws:cloudtrail:arn", (trails,)),
                ),
            )
        )
    if results.kms_key_arn is not None:
        statements.append(
            Statement(
                "EncryptTheResults",
                ("kms:GenerateDataKey", "kms:Decrypt"),
                (results.kms_key_arn,),
            )
        )
    return PolicyDocument("athena_readers", tuple(statements))
