"""The athena: section: a table whose projection finds every file the trail writes, and only
those; queries that cannot scan the whole bucket by accident; readers with what they need.

The object keys below are written out by hand in CloudTrail's documented layout
(``[prefix/]AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>``), not produced
by the generator, and the template is resolved here with plain string substitution: a table
that disagrees with the layout fails whatever the generator believes.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.check.hcl_parse import ParsedModule, literal, nested
from generator.cli import main
from generator.config.regions import partition_of
from generator.config.yaml_source import load_yaml
from generator.core.errors import ConfigError
from generator.pipeline import build, render_module
from generator.sections.registry import validate

ROOT = Path(__file__).resolve().parents[2]
AWS_REGIONS = partition_of("us-east-1").regions  # type: ignore[union-attr]
EXAMPLE = yaml.safe_load((ROOT / "configs" / "example.yaml").read_text(encoding="utf-8"))
ORG = "o-a1b2c3d4e5"
BUCKET = "example-org-cloudtrail-logs"
ANALYST = "arn:aws:iam::111111111111:role/SecurityAnalyst"
ATHENA = {
    "start_date": "2026/01/01",
    "results": {"bucket": "example-athena-results"},
    "readers": [ANALYST],
}


def _config(**athena: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(EXAMPLE)
    data["athena"] = {**copy.deepcopy(ATHENA), **athena}
    return data


def _render(data: dict[str, Any]) -> dict[str, str]:
    config = validate(load_yaml(yaml.safe_dump(data, sort_keys=False), "t.yaml"))
    return render_module(config, "t.yaml")


def _table(files: dict[str, str]) -> tuple[dict[str, str], str]:
    table = ParsedModule.parse(files).get("aws_glue_catalog_table.cloudtrail")
    assert table is not None
    parameters = {literal(k) or k: literal(v) or "" for k, v in table.body["parameters"].items()}
    (storage,) = nested(table.body, "storage_descriptor")
    return parameters, literal(storage["location"]) or ""


def _resolve(template: str, key: str) -> str:
    """The folder the template names for the account, region and day in ``key``."""
    match = re.search(
        r"AWSLogs/o-[a-z0-9]+/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d\d/\d\d)/", key
    )
    assert match, key
    account, region, day = match.groups()
    return (
        template.replace("${account}", account).replace("${region}", region).replace("${day}", day)
    )


KEYS = [
    f"AWSLogs/{ORG}/111122223333/CloudTrail/eu-west-1/2026/12/01/"
    "111122223333_CloudTrail_eu-west-1_20261201T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
    f"AWSLogs/{ORG}/111111111111/CloudTrail/us-east-1/2026/01/01/"
    "111111111111_CloudTrail_us-east-1_20260101T0000Z_a1b2c3d4e5f6g7h8.json.gz",
    f"AWSLogs/{ORG}/222222222222/CloudTrail/us-east-1/2028/02/29/"
    "222222222222_CloudTrail_us-east-1_20280229T2355Z_ZZ15ra1HhtOsK0uM.json.gz",
]


@pytest.mark.parametrize("prefix", [None, "cloudtrail/org"], ids=["no-prefix", "prefix"])
@pytest.mark.parametrize("accounts", ["injected", "enum"])
def test_the_template_resolves_each_trail_key_to_exactly_its_folder(
    prefix: str | None, accounts: str
) -> None:
    data = _config()
    if prefix:
        data["trail"]["s3_key_prefix"] = prefix
    if accounts == "enum":
        data["athena"]["accounts"] = ["111122223333", "111111111111", "222222222222"]
    parameters, location = _table(_render(data))
    template = parameters["storage.location.template"]
    lead = f"{prefix}/" if prefix else ""
    for key in (lead + k for k in KEYS):
        folder = f"s3://{BUCKET}/{key.rsplit('/', 1)[0]}"
        assert _resolve(template, key) == folder
        assert folder.startswith(location)
        region, day = key.split("/CloudTrail/")[1].split("/", 1)
        assert region in parameters["projection.region.values"].split(",")
        assert day[:10] >= parameters["projection.day.range"].split(",")[0]
    assert location == f"s3://{BUCKET}/{lead}AWSLogs/{ORG}/"
    if accounts == "enum":
        assert parameters["projection.account.values"] == "111122223333,111111111111,222222222222"
    else:
        assert parameters["projection.account.type"] == "injected"
    assert parameters["projection.day.range"] == "2026/01/01,NOW"
    assert parameters["projection.day.format"] == "yyyy/MM/dd"


def test_digest_and_insights_files_are_outside_every_projected_folder() -> None:
    parameters, _ = _table(_render(_config()))
    template = parameters["storage.location.template"]
    folder = _resolve(template, KEYS[0])
    assert "/CloudTrail/eu-west-1/" in folder, folder
    assert folder == f"s3://{BUCKET}/{KEYS[0].rsplit('/', 1)[0]}"
    for kind in ("CloudTrail-Digest", "CloudTrail-Insight"):
        other = f"s3://{BUCKET}/" + KEYS[0].replace("/CloudTrail/", f"/{kind}/")
        assert not other.startswith(folder + "/")


def test_the_table_reads_cloudtrail_files_with_cloudtrails_formats() -> None:
    table = ParsedModule.parse(_render(_config())).get("aws_glue_catalog_table.cloudtrail")
    assert table is not None
    (storage,) = nested(table.body, "storage_descriptor")
    assert literal(storage["input_format"]) == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    (serde,) = nested(storage, "ser_de_info")
    assert literal(serde["serialization_library"]) == "org.apache.hive.hcatalog.data.JsonSerDe"
    columns = {literal(c["name"]): literal(c["type"]) for c in nested(storage, "columns")}
    for name in ("useridentity", "eventname", "errorcode", "recipientaccountid", "tlsdetails"):
        assert name in columns
    assert columns["requestparameters"] == "string"  # shapes differ per API: json_extract
    keys = [literal(k["name"]) for k in nested(table.body, "partition_keys")]
    assert keys == ["account", "region", "day"]


def _queries(files: dict[str, str]) -> dict[str, str]:
    module = ParsedModule.parse(files)
    return {
        block.labels[1]: literal(block.body["query"]) or ""
        for block in module.of_type("resource", "aws_athena_named_query")
    }


def test_every_saved_query_is_bounded_by_account_region_and_day() -> None:
    queries = _queries(_render(_config()))
    assert set(queries) == {
        "security_group_changes",
        "root_activity",
        "console_sign_in_without_mfa",
        "access_denied_by_principal",
        "trail_changes",
        "account_activity",
    }
    for name, query in queries.items():
        where = query.split("WHERE", 1)[1].split("GROUP BY")[0].split("ORDER BY")[0]
        assert re.search(r"\baccount IN \('\d{12}'", where), name
        # a multi-region trail: every region of the partition, not only trail.regions
        assert f"region IN ({', '.join(repr(r) for r in sorted(AWS_REGIONS))})" in where, name
        assert re.search(r"\bday >= date_format\(current_date - interval '\d+' day", where), name
        assert " OR " not in where.upper(), f"{name}: an OR could escape the bounds"
        assert not re.search(r"\bAND true\b", where, re.IGNORECASE), f"{name}: a no-op predicate"
        assert "FROM cloudtrail.organization_trail" in query, name


def test_an_enum_of_accounts_bounds_the_queries_by_those_accounts() -> None:
    accounts = ["111111111111", "333333333333"]
    queries = _queries(_render(_config(accounts=accounts)))
    assert "account IN ('111111111111', '333333333333')" in queries["root_activity"]


def test_the_workgroup_enforces_encrypted_results_and_the_scan_cutoff() -> None:
    key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for results, option in (
        ({"bucket": "example-athena-results"}, "SSE_S3"),
        ({"bucket": "example-athena-results", "prefix": "q/", "kms_key_arn": key}, "SSE_KMS"),
    ):
        data = _config(results=results, bytes_scanned_cutoff_per_query=20 * 1024**3)
        module = ParsedModule.parse(_render(data))
        workgroup = module.get("aws_athena_workgroup.cloudtrail")
        assert workgroup is not None
        (configuration,) = nested(workgroup.body, "configuration")
        assert configuration["enforce_workgroup_configuration"] is True
        assert configuration["bytes_scanned_cutoff_per_query"] == 20 * 1024**3
        (result,) = nested(configuration, "result_configuration")
        assert literal(result["output_location"]) == (
            f"s3://example-athena-results/{results.get('prefix', 'athena-results/')}"
        )
        (encryption,) = nested(result, "encryption_configuration")
        assert literal(encryption["encryption_option"]) == option
        assert literal(encryption.get("kms_key_arn")) == results.get("kms_key_arn")


def test_readers_may_decrypt_and_read_the_logs_but_write_only_results() -> None:
    files = _render(_config())
    module = ParsedModule.parse(files)
    key_policy = module.get("data.aws_iam_policy_document.cloudtrail_kms")
    assert key_policy is not None
    decrypt = next(
        s
        for s in nested(key_policy.body, "statement")
        if literal(s["sid"]) == "AllowLogReadersDecrypt"
    )
    (principals,) = nested(decrypt, "principals")
    assert ANALYST in [literal(i) for i in principals["identifiers"]]
    readers = module.get("data.aws_iam_policy_document.athena_readers")
    assert readers is not None
    writes = [
        [literal(r) for r in statement["resources"]]
        for statement in nested(readers.body, "statement")
        if "s3:PutObject" in [literal(a) for a in statement["actions"]]
    ]
    assert writes == [["arn:aws:s3:::example-athena-results/athena-results/*"]]
    (decrypt_logs,) = (
        s
        for s in nested(readers.body, "statement")
        if [literal(a) for a in s["actions"]] == ["kms:Decrypt"]
    )
    assert literal(decrypt_logs["sid"]) == "DecryptTheLogs"
    conditions = {
        literal(c["variable"]): (literal(c["test"]), [literal(v) for v in c["values"]])
        for c in nested(decrypt_logs, "condition")
    }
    assert conditions == {
        "kms:ViaService": ("StringEquals", ["s3.us-east-1.amazonaws.com"]),
        "kms:EncryptionContext:aws:cloudtrail:arn": (
            "StringLike",
            ["arn:aws:cloudtrail:*:111111111111:trail/*"],
        ),
    }
    for statement in nested(readers.body, "statement"):
        actions = [literal(a) or "" for a in statement["actions"]]
        resources = [literal(r) or "" for r in statement["resources"]]
        if any(r.startswith(f"arn:aws:s3:::{BUCKET}") for r in resources):
            assert all(a.split(":")[1].startswith(("Get", "List")) for a in actions), actions
        assert all(r != "*" for r in resources)
        assert not any(
            a.startswith("glue:") and not a.split(":")[1].startswith("Get") for a in actions
        )
    outputs = ParsedModule.parse(files).get("output.athena_readers_policy_arn")
    assert outputs is not None


def test_without_the_section_only_athena_tf_and_its_hooks_differ() -> None:
    """The default is byte-identical: the section adds athena.tf, a key grant and two outputs."""
    plain = _render(copy.deepcopy(EXAMPLE))
    with_athena = _render(_config())
    assert "athena.tf" not in plain
    assert set(with_athena) == set(plain) | {"athena.tf"}
    changed = sorted(name for name in plain if plain[name] != with_athena[name])
    assert changed == ["kms.tf", "outputs.tf"]
    assert ANALYST in with_athena["kms.tf"]
    assert ANALYST not in plain["kms.tf"]


# --- bad input: located errors, nothing generated ------------------------------------------


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"readers": ["arn:aws:iam::999999999999:role/X"]}, "athena.readers[0]", ["999999999999"]),
        ({"readers": ["111111111111"]}, "athena.readers[0]", ["whole account"]),
        ({"results": {"bucket": BUCKET}}, "athena.results.bucket", ["log bucket"]),
        ({"results": {"bucket": "results-x", "prefix": "a//"}}, "athena.results.prefix", ["//"]),
        ({"results": {"bucket": "results-x", "prefix": "a"}}, "athena.results.prefix", ["'/'"]),
        ({"start_date": "2026-01-01"}, "athena.start_date", ["YYYY/MM/DD"]),
        ({"start_date": "2026/02/30"}, "athena.start_date", ["calendar date"]),
        ({"bytes_scanned_cutoff_per_query": 1000}, "athena.bytes_scanned_cutoff_per_query", []),
        ({"accounts": ["111111111111", "111111111111"]}, "athena.accounts[1]", ["twice"]),
        ({"accounts": [f"{n:012d}" for n in range(51)]}, "athena.accounts", ["injected"]),
        ({"database": "CloudTrail"}, "athena.database", ["lowercase"]),
        ({"accounts": ["111111111111", 123]}, "athena.accounts", ["item 1", "12 digits"]),
        ({"accounts": "enum"}, "athena.accounts", ["'injected' or a list"]),
    ],
)
def test_a_bad_athena_section_is_refused_at_its_key(
    change: dict[str, Any], path: str, words: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        _render(_config(**change))
    issues = caught.value.issues
    assert [issue.path for issue in issues].count(path) == 1, issues
    issue = next(issue for issue in issues if issue.path == path)
    for word in words:
        assert word in issue.message


def test_the_cli_writes_nothing_for_a_bad_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "org.yaml"
    config.write_text(yaml.safe_dump(_config(results={"bucket": BUCKET})), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(config), "--output-dir", str(out)]) == 2
    assert not out.exists() or list(out.iterdir()) == []
    assert re.search(
        r"org\.yaml:\d+:\d+: athena\.results\.bucket: is the log bucket", capsys.readouterr().err
    )


def test_the_shipped_prod_config_queries_every_account() -> None:
    """Rendered from configs/prod.yaml, not read from the committed output/."""
    module = build(ROOT / "configs" / "prod.yaml")
    assert module.config.athena is not None
    parameters, location = _table(module.files)
    assert location == "s3://acme-org-cloudtrail-logs-eu-central-1/cloudtrail/AWSLogs/o-7k2m9p4q1x/"
    assert parameters["projection.account.type"] == "injected"
    assert "projection.account.values" not in parameters
    queries = _queries(module.files)
    assert len(queries) == 6
    regions = ", ".join(f"'{region}'" for region in sorted(AWS_REGIONS))
    for name, query in queries.items():
        where = query.split("WHERE", 1)[1].split("GROUP BY")[0].split("ORDER BY")[0]
        assert where.startswith(" account IN ('123456789012')\n"), name
        assert f"\n  AND region IN ({regions})\n" in where, name
        assert re.search(r"\n  AND day >= date_format\(current_date - interval '(7|30)' day", where)


def test_a_multi_region_trail_projects_every_region_of_its_partition() -> None:
    """The trail records every enabled region, not only trail.regions: the table must see all,
    including the global region where IAM, STS and CloudFront events go."""
    data = _config()
    data["trail"].update(home_region="eu-west-1", regions=["eu-west-1"])
    parameters, _ = _table(_render(data))
    projected = parameters["projection.region.values"].split(",")
    assert projected == sorted(AWS_REGIONS)
    assert {"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"} <= set(projected)
    key = KEYS[0].replace("eu-west-1", "us-east-1")
    assert _resolve(parameters["storage.location.template"], key).endswith(
        "/CloudTrail/us-east-1/2026/12/01"
    )
    data["trail"]["include_global_service_events"] = False
    data["trail"]["is_multi_region"] = False
    parameters, _ = _table(_render(data))
    assert parameters["projection.region.values"] == "eu-west-1"
    for query in _queries(_render(data)).values():
        assert "region IN ('eu-west-1')\n" in query


def test_a_region_outside_trail_regions_is_projected_and_queried() -> None:
    """prod lists eu-central-1, eu-west-1 and us-east-1; its multi-region trail also writes
    us-west-2, where an intruder would go: the table and every saved query must reach it."""
    data = yaml.safe_load((ROOT / "configs" / "prod.yaml").read_text(encoding="utf-8"))
    assert "us-west-2" not in data["trail"]["regions"]
    files = _render(data)
    parameters, location = _table(files)
    assert "us-west-2" in parameters["projection.region.values"].split(",")
    key = (
        "cloudtrail/AWSLogs/o-7k2m9p4q1x/444455556666/CloudTrail/us-west-2/2026/03/04/"
        "444455556666_CloudTrail_us-west-2_20260304T0105Z_Mu0KsOhtH1ar15ZZ.json.gz"
    )
    folder = f"{location}444455556666/CloudTrail/us-west-2/2026/03/04"
    assert _resolve(parameters["storage.location.template"], key) == folder
    queries = _queries(files)
    assert queries
    for name, query in queries.items():
        (regions,) = re.findall(r"\bregion IN \(([^)]*)\)", query)
        assert "'us-west-2'" in regions.split(", "), name


# --- whom the saved queries read, said exactly (issue 25 item 4) ----------------------------


def _in_list(query: str) -> list[str]:
    where = query.split("WHERE", 1)[1]
    (accounts,) = re.findall(r"\baccount IN \(([^)]*)\)", where)
    return [item.strip("'") for item in accounts.split(", ")]


def _workgroup_texts(files: dict[str, str]) -> tuple[str, str]:
    """(the workgroup's description, the athena_workgroup output's description)."""
    module = ParsedModule.parse(files)
    workgroup = module.get("aws_athena_workgroup.cloudtrail")
    output = module.get("output.athena_workgroup")
    assert workgroup is not None and output is not None
    return literal(workgroup.body["description"]) or "", literal(output.body["description"]) or ""


def test_injected_queries_say_which_accounts_they_read_and_how_to_add_one() -> None:
    """With `injected` Athena reads only the accounts a query names: no saved query can read
    the whole organization, so each says whom its list holds, and nothing claims more."""
    data = _config()
    data["log_archive"] = {
        "account_id": "222222222222",
        "role_arn": "arn:aws:iam::222222222222:role/OrgTrailLogArchiveDeployer",
    }
    data["athena"]["readers"] = ["arn:aws:iam::222222222222:role/SecurityAnalyst"]
    files = _render(data)
    for name, query in _queries(files).items():
        first = query.splitlines()[0]
        if name == "account_activity":
            assert _in_list(query) == ["111111111111"]
            assert first == (
                "-- Accounts: one, 111111111111 (management): replace it with the account to "
                "investigate."
            )
            continue
        assert _in_list(query) == ["111111111111", "222222222222"], name
        assert first.startswith(
            "-- Accounts: only the 2 accounts in the account IN (...) list below, those this "
            "config names: 111111111111 (management), 222222222222 (log archive). "
        ), first
        assert "no other account of the organization is queried until you add its id" in first
        assert "account IN ('111111111111', ..., '<account id>')" in first
    description, output = _workgroup_texts(files)
    assert description == (
        "Investigations over the CloudTrail logs of the accounts each query names (orgtrail-gen)"
    )
    assert output.startswith("The Athena workgroup. Its saved queries read only the accounts ")
    assert "(111111111111, 222222222222)" in output
    assert "every account" not in output
    assert "# The saved queries read only the accounts named in each one's" in files["athena.tf"]
    assert "no saved query reads the whole organization by itself" in " ".join(
        line.removeprefix("# ") for line in files["athena.tf"].splitlines()
    )


def test_enum_queries_say_they_read_every_account_of_the_enum() -> None:
    accounts = ["111111111111", "333333333333", "444444444444"]
    files = _render(_config(accounts=accounts))
    queries = _queries(files)
    for name, query in queries.items():
        first = query.splitlines()[0]
        if name == "account_activity":
            assert first.endswith("(one of athena.accounts: the table reads no other).")
            continue
        assert _in_list(query) == accounts, name
        assert first.startswith(
            "-- Accounts: all 3 accounts of athena.accounts, in the account IN (...) list "
            "below: every account the table reads (its enum). An account that joins the "
            "organization is not queried until it is added to athena.accounts"
        ), first
    description, output = _workgroup_texts(files)
    assert description == (
        "Investigations over the CloudTrail logs of the accounts in athena.accounts (orgtrail-gen)"
    )
    assert output == (
        "The Athena workgroup. Its saved queries read every account listed in athena.accounts "
        "(the table's enum)."
    )


def test_the_table_template_is_written_with_terraforms_own_escape() -> None:
    """`$${account}`, the form a reviewer knows, not `$\\u007baccount}`; the value is the same."""
    text = _render(_config())["athena.tf"]
    assert f'"s3://{BUCKET}/AWSLogs/{ORG}/$${{account}}/CloudTrail/$${{region}}/$${{day}}"' in text
    assert "u007b" not in text
    parameters, _ = _table(_render(_config()))
    assert parameters["storage.location.template"].endswith(
        "/${account}/CloudTrail/${region}/${day}"
    )
