"""The athena section: a Glue table over every account's trail files, and who may query it.

It owns ``athena.tf``: the database and table with partition projection (``table``), the
workgroup with its encrypted results and cutoff, the saved queries, and the readers' managed
policy. Where it lives: in the bucket's account (the log-archive account, if there is one),
beside the data and the trail's key: S3 reads stay within one account, the key policy this
module writes can name the readers, and no second account gets a standing view of every
account's logs.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, NamedTuple

from generator.render import policies
from generator.render.hcl import Ref
from generator.render.policies import PolicyDocument
from generator.sections.addresses import label
from generator.sections.athena import model, rules
from generator.sections.athena.table import (
    COLUMNS,
    DATABASE,
    INPUT_FORMAT,
    OUTPUT_FORMAT,
    PARTITIONS,
    READERS_POLICY,
    SERDE,
    TABLE,
    WORKGROUP,
    NamedQuery,
    bucket_root,
    location_template,
    named_queries,
    readers_policy,
    table_parameters,
    table_regions,
)
from generator.sections.base import Output, Section
from generator.sections.facts import ModuleFacts, known_accounts

if TYPE_CHECKING:
    from generator.sections.registry import Config


class Column(NamedTuple):
    """One column of the CloudTrail table."""

    name: str
    type: str


class AthenaView(NamedTuple):
    """Everything ``athena.tf`` prints."""

    files: tuple[str, ...]
    provider: str | None
    account: str
    database_label: str
    database: str
    database_name: str
    table_label: str
    table: str
    location: str
    template: str
    parameters: dict[str, str]
    partitions: tuple[str, ...]
    columns: tuple[Column, ...]
    input_format: str
    output_format: str
    serde: str
    injected: bool
    workgroup_label: str
    workgroup: str
    workgroup_description: str
    workgroup_name: str
    cutoff: int
    output_location: str
    results_key: str | None
    queries: tuple[NamedQuery, ...]
    queries_note: tuple[str, ...]
    policy_label: str
    policy_name: str
    policy: PolicyDocument
    policy_note: tuple[str, ...]


def _policy_note(config: Config, readers: tuple[str, ...]) -> tuple[str, ...]:
    """The comment lines above the readers' policy: what it is for, where the key grant is."""
    note = (
        "What a query needs, and nothing that changes the table or the logs. Attach it to the "
        "readers (the athena_readers_policy_arn output)."
    )
    if readers and config.kms.enabled:
        where = (
            "The trail key's policy"
            if config.kms.key_arn is None
            else "The statements kms.tf prints for the existing trail key"
        )
        note += f" {where} lets {', '.join(readers)} decrypt."
    return tuple(textwrap.wrap(note, 94, break_on_hyphens=False))


def _coverage(config: Config) -> str:
    """Whose logs the saved queries read: true of the enum and of the injected projection."""
    if config.athena is not None and config.athena.enum_accounts is not None:
        return "every account listed in athena.accounts (the table's enum)"
    return (
        "only the accounts named in each one's account IN (...) list: at first those this "
        f"config names ({', '.join(sorted(known_accounts(config)))}); any other account of the "
        "organization once its id is added there"
    )


def _queries_note(config: Config) -> tuple[str, ...]:
    """The comment lines above the saved queries: whom they read, and how to read others."""
    note = f"The saved queries read {_coverage(config)}."
    if config.athena is not None and config.athena.enum_accounts is None:
        note += (
            " The account column is injected, so Athena requires every query to name its "
            "accounts: no saved query reads the whole organization by itself."
        )
    return tuple(textwrap.wrap(note, 94, break_on_hyphens=False))


def build(facts: ModuleFacts) -> AthenaView | None:
    """The table, workgroup, queries and readers' policy; None without ``athena:``."""
    config, arns = facts.config, facts.arns
    athena = config.athena
    if athena is None:
        return None
    workgroup = athena.workgroup_name(config.trail.name)
    kms = config.kms
    results = athena.results
    return AthenaView(
        files=("athena",),
        provider=facts.bucket_provider,
        account=facts.bucket_account,
        database_label=label(DATABASE),
        database=athena.database,
        database_name=Ref(f"{DATABASE}.name"),
        table_label=label(TABLE),
        table=athena.table,
        location=bucket_root(arns),
        template=location_template(arns),
        parameters=table_parameters(athena, arns, table_regions(config)),
        partitions=PARTITIONS,
        columns=tuple(Column(name, kind) for name, kind in COLUMNS),
        input_format=INPUT_FORMAT,
        output_format=OUTPUT_FORMAT,
        serde=SERDE,
        injected=athena.enum_accounts is None,
        workgroup_label=label(WORKGROUP),
        workgroup=workgroup,
        workgroup_description=(
            "Investigations over the CloudTrail logs of "
            + (
                "the accounts in athena.accounts"
                if athena.enum_accounts is not None
                else "the accounts each query names"
            )
            + " (orgtrail-gen)"
        ),
        workgroup_name=Ref(f"{WORKGROUP}.name"),
        cutoff=athena.bytes_scanned_cutoff_per_query,
        output_location=results.location,
        results_key=results.kms_key_arn,
        queries=tuple(named_queries(config, athena)),
        queries_note=_queries_note(config),
        policy_label=label(READERS_POLICY),
        policy_name=f"{config.trail.name}-athena-readers"[:128],
        policy=readers_policy(
            arns,
            athena,
            facts.bucket_account,
            workgroup,
            encrypted=kms.enabled,
            key_arn=kms.key_arn,
        ),
        policy_note=_policy_note(config, key_readers(facts)),
    )


def key_readers(facts: ModuleFacts) -> tuple[str, ...]:
    """Who may query the table, and so must decrypt the logs; empty without ``athena:``."""
    athena = facts.config.athena
    return policies.principal_arns(facts.arns, athena.readers) if athena else ()


def outputs(facts: ModuleFacts) -> tuple[Output, ...]:
    """The readers' policy to attach, the workgroup to query in."""
    if facts.config.athena is None:
        return ()
    return (
        Output(
            "athena_readers_policy_arn",
            f"{READERS_POLICY}.arn",
            "Attach to whoever may query every account's logs with Athena.",
        ),
        Output(
            "athena_workgroup",
            f"{WORKGROUP}.name",
            f"The Athena workgroup. Its saved queries read {_coverage(facts.config)}.",
        ),
    )


SECTION = Section(
    name="athena",
    keys=("athena",),
    templates=("athena",),
    view=build,
    cross_field_issues=model.cross_field_issues,
    rules=rules,
    outputs=outputs,
    key_readers=key_readers,
    resources={
        "aws_glue_catalog_database": "bucket",
        "aws_glue_catalog_table": "bucket",
        "aws_athena_workgroup": "bucket",
        "aws_athena_named_query": "bucket",
        "aws_iam_policy": "bucket",
    },
)
