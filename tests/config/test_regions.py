"""The packaged region table: output depends on it and on nothing botocore happens to say.

A user's committed ``output/`` must not turn stale when botocore learns a region, and an older
botocore must not drop a region from their Athena table: the generator reads
``generator/config/regions.json`` only, and ``python -m generator.config.regions_refresh``
rewrites that file on purpose.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from generator.config import regions, regions_refresh

# Regions the shipped prod config's Athena table projects (it lists every aws region).
DROPPED = "mx-central-1"
ADDED = "xx-test-1"


def _botocore_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _edited_endpoints(add: str | None = None, drop: str | None = None) -> dict[str, object]:
    endpoints = json.loads((_botocore_dir() / "data" / "endpoints.json").read_text("utf-8"))
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    if add:
        aws["regions"][add] = {"description": "a region botocore learnt later"}
        aws["services"]["cloudtrail"]["endpoints"][add] = {}
    if drop:
        del aws["regions"][drop]
        aws["services"]["cloudtrail"]["endpoints"].pop(drop, None)
    return endpoints


def _shadow_botocore(root: Path, endpoints: dict[str, object]) -> Path:
    """A real, importable botocore whose endpoints.json says something else (symlinks + one file)."""
    real = _botocore_dir()
    shadow = root / "botocore"
    (shadow / "data").mkdir(parents=True)
    for entry in real.iterdir():
        if entry.name != "data":
            (shadow / entry.name).symlink_to(entry)
    for entry in (real / "data").iterdir():
        if entry.name != "endpoints.json":
            (shadow / "data" / entry.name).symlink_to(entry)
    (shadow / "data" / "endpoints.json").write_text(json.dumps(endpoints), encoding="utf-8")
    return root


def _run(argv: list[str], pythonpath: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{pythonpath}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_packaged_table_names_every_partition_and_where_it_came_from() -> None:
    data = regions.region_data()
    by_name = {p.name: p for p in data.partitions}
    assert {"aws", "aws-cn", "aws-us-gov"} <= by_name.keys()
    assert by_name["aws"].global_region == "us-east-1"
    assert by_name["aws-cn"].dns_suffix == "amazonaws.com.cn"
    assert {"eu-central-1", "ap-east-2", DROPPED} <= by_name["aws"].regions
    assert regions.partition_of("cn-north-1") is by_name["aws-cn"]
    assert regions.partition_of(ADDED) is None
    assert data.botocore_version.count(".") == 2
    assert regions.provenance() == f"botocore {data.botocore_version}, read on {data.generated_on}"


@pytest.mark.parametrize(
    ("change", "edit"),
    [("a region added", {"add": ADDED}), ("a region removed", {"drop": DROPPED})],
)
def test_generated_modules_are_byte_identical_whatever_botocore_says(
    change: str, edit: dict[str, str], tmp_path: Path
) -> None:
    """The committed output/ stays up to date (`check` passes) under a botocore whose region list
    changed: prod's Athena table projects every region, so a table read from botocore would differ.
    """
    shadow = _shadow_botocore(tmp_path / "site", _edited_endpoints(**edit))
    probe = _run(["-c", "import botocore; print(botocore.__file__)"], shadow)
    assert probe.stdout.startswith(str(shadow)), probe.stderr  # the shadow is what is imported
    done = _run(["-m", "generator", "check", "configs/prod.yaml", "configs/example.yaml"], shadow)
    assert done.returncode == 0, f"{change}: {done.stdout}{done.stderr}"
    assert "output/prod: up to date" in done.stderr
    assert "output/example: up to date" in done.stderr


def test_validation_follows_the_packaged_table_not_botocore(tmp_path: Path) -> None:
    """A region botocore learnt is still refused (the two never disagree); one it forgot is kept."""
    shadow = _shadow_botocore(tmp_path / "site", _edited_endpoints(add=ADDED, drop=DROPPED))
    text = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    listed = next(line for line in text.splitlines() if line.startswith("  regions: ["))
    for wanted, ok in ((ADDED, False), (DROPPED, True)):
        config = tmp_path / f"{wanted}.yaml"
        config.write_text(text.replace(listed, f"{listed[:-1]}, {wanted}]"), encoding="utf-8")
        done = _run(["-m", "generator", "validate", str(config)], shadow)
        if ok:
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode == 2
            assert f"'{ADDED}' is not a region where CloudTrail runs" in done.stderr
            assert "a region launched later needs a newer orgtrail-gen" in done.stderr
            assert regions.provenance() in done.stderr


def test_refresh_reports_rewrites_and_then_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented refresh: --check says what differs and writes nothing; then it rewrites."""
    data = _shadow_botocore(tmp_path / "site", _edited_endpoints(add=ADDED, drop=DROPPED))
    monkeypatch.setattr(
        regions_refresh, "botocore_data", lambda name: data / "botocore" / "data" / name
    )
    table = tmp_path / "regions.json"
    packaged = (ROOT / "generator" / "config" / "regions.json").read_bytes()
    table.write_bytes(packaged)

    assert regions_refresh.main(["--check", "--file", str(table)]) == 1
    said = capsys.readouterr().out
    assert f"aws: regions added: {ADDED}" in said
    assert f"aws: regions removed: {DROPPED}" in said
    assert "regenerate output/ and the goldens" in said
    assert table.read_bytes() == packaged

    assert regions_refresh.main(["--file", str(table)]) == 0
    rewritten = regions.decode(json.loads(table.read_text(encoding="utf-8")))
    aws = next(p for p in rewritten.partitions if p.name == "aws")
    assert ADDED in aws.regions and DROPPED not in aws.regions
    capsys.readouterr()

    before = table.read_bytes()
    assert regions_refresh.main(["--check", "--file", str(table)]) == 0
    assert "agrees with the installed botocore" in capsys.readouterr().out
    assert regions_refresh.main(["--file", str(table)]) == 0
    assert table.read_bytes() == before  # nothing to change: not even the date moves


def test_the_packaged_table_is_the_locked_botocores(capsys: pytest.CaptureFixture[str]) -> None:
    """After a lock upgrade this fails until the table is refreshed and the diff read."""
    code = regions_refresh.main(["--check"])
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "document",
    [{}, {"source": {}, "partitions": []}, {"source": {"botocore": "1", "generated_on": "d"}}],
)
def test_a_file_that_is_not_a_table_is_refused(document: object) -> None:
    with pytest.raises(ValueError, match="not an orgtrail-gen region table"):
        regions.decode(document)
