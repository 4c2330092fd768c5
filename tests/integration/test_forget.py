"""`influence forget`: a person erased from every table, every older version and every file.

The person is made to leave every kind of trace first: rows as actor and as target in
bronze, silver and gold, a quarantined line quoting them, the community named after
them (its smallest id), an illusion trait and a PageRank seed naming them, a campaign plan
that requires them, and older versions of every table (two ingests, a date scored twice,
two plans).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F
from typer.testing import CliRunner

from influence import tables
from influence.cli import app

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

GONE = "aaa.alice"  # the smallest id, so her community is named after her
START = 1782000000  # 2026-06-21 UTC
AS_OF = "2026-06-30"


def _exports(folder: Path) -> tuple[Path, Path]:
    rng = random.Random(7)
    people = [GONE, *(f"u{i:02d}" for i in range(30))]
    lines = []
    for i in range(600):
        actor, target = rng.sample(people[:12] if i % 3 else people, 2)
        lines.append(f"{actor} {target} {START + i * 1200} {rng.choice(['reply', 'mention', 'reshare'])}\n")
    # A bought burst on her and u01: thirty fresh accounts within an hour, a group of
    # gold/engagement_anomalies whose targets name her (u01 too, so that he stays in her community).
    burst = [f"burst{k:02d} {target} {START + 100 * 1200 + k * 60 + offset} reply\n"
             for k in range(30) for offset, target in ((0, GONE), (30, "u01"))]
    folder.mkdir()
    first, second = folder / "first.txt", folder / "second.txt"
    first.write_text("".join(lines[:400] + burst) + f"{GONE} u01 yesterday reply\n")  # quarantined, quoting her
    second.write_text("".join(lines[300:]))
    return first, second


@pytest.fixture(scope="module")
def forgotten(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("forget")
    first, second = _exports(root / "exports")
    config = root / "config.yaml"
    config.write_text(f"illusion: {{traits: ['engaged:{GONE}']}}\npagerank: {{seeds: [{GONE}]}}\n"
                      "scopes: {community_min_size: 5}\n"
                 # Everyone an awareness influencer, so that she is on the shortlist whose overlap a plan writes.
                 "roles: {awareness_top_share: 1.0}\n")
    lake = root / "lake"
    runner = CliRunner()
    for args in (["ingest", "--profile", "snap", str(first)], ["score", "--as-of", AS_OF],
                 ["ingest", "--profile", "snap", str(second)], ["score", "--as-of", AS_OF],
                 ["plan", "--as-of", AS_OF, "--k", "3"], ["plan", "--as-of", AS_OF, "--k", "2", "--require", GONE]):
        result = runner.invoke(app, [*args, "--lake", str(lake), "--config", str(config)])
        assert result.exit_code in (0, 1), result.output
    before = {name: _rows(spark, lake, name) for name in tables.all_tables()}
    assert [name for name, rows in before.items() if name != tables.INGESTED_FILES and not any(GONE in r for r in rows)] == []
    community = spark.read.format("delta").load(str(lake / tables.SCORES)).where(F.col("user_id") == "u01") \
        .select("community_id").first()[0]
    result = runner.invoke(app, ["forget", "--lake", str(lake), "--config", str(config), "--json", GONE])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    return {"lake": lake, "before": before, "report": report, "community_of_u01": community,
            "lines": (first.read_text() + second.read_text()).splitlines(), "config": config, "output": result.output}


def _rows(spark, lake: Path, name: str, version: int | None = None) -> list[str]:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return [row[0] for row in reader.load(str(lake / name)).select(F.to_json(F.struct("*"))).collect()]


def test_no_table_holds_her_and_the_others_are_kept(spark, forgotten):
    lake, before = forgotten["lake"], forgotten["before"]
    for name in tables.all_tables():
        rows = _rows(spark, lake, name)
        assert not [row for row in rows if GONE in row], name
    bronze_before = [json.loads(r) for r in before[tables.INTERACTIONS]]
    kept = [r for r in bronze_before if GONE not in (r["actor_id"], r["target_id"])]
    assert len(_rows(spark, lake, tables.INTERACTIONS)) == len(kept) < len(bronze_before)
    erased = {e["table"]: e for e in forgotten["report"]["tables"]}
    assert erased[tables.INTERACTIONS]["rows_deleted"] == len(bronze_before) - len(kept)
    assert erased[tables.QUARANTINE] == {**erased[tables.QUARANTINE], "rows_deleted": 0, "rows_redacted": 1}
    users_before = {json.loads(r)["user_id"] for r in before[tables.SCORES]}
    users_after = {json.loads(r)["user_id"] for r in _rows(spark, lake, tables.SCORES)}
    assert users_after == users_before - {GONE}


def test_values_naming_her_are_replaced_consistently(spark, forgotten):
    lake = forgotten["lake"]
    assert forgotten["community_of_u01"] == GONE  # the test made her community carry her name
    scores = spark.read.format("delta").load(str(lake / tables.SCORES))
    token = scores.where(F.col("user_id") == "u01").select("community_id").first()[0]
    assert token.startswith("erased:")
    scopes = {row[0] for row in spark.read.format("delta").load(str(lake / tables.SEGMENTS))
              .select("scope").distinct().collect()}
    assert f"community:{token}" in scopes and not any(GONE in s for s in scopes)
    summary = spark.read.format("delta").load(str(lake / tables.NETWORK_SUMMARY)).first()
    assert [t["trait"] for t in summary["majority_illusion"]][0] == f"engaged:{token}"
    assert summary["pagerank_seeds"] == [token]


def test_no_older_version_returns_her(spark, forgotten):
    lake = forgotten["lake"]
    refused = readable = 0
    for name in tables.all_tables():
        latest = spark.sql(f"DESCRIBE HISTORY delta.`{lake / name}`").agg(F.max("version")).first()[0]
        assert forgotten["report"]["tables"] and latest is not None
        for version in range(latest + 1):
            try:
                rows = _rows(spark, lake, name, version)
            except Exception:  # noqa: BLE001 - the version is gone, which is the point
                refused += 1
                continue
            readable += 1
            assert not [row for row in rows if GONE in row], f"{name} version {version}"
    assert refused > 0 and readable >= len(tables.all_tables())
    dropped = sum(e["versions_dropped"] for e in forgotten["report"]["tables"])
    assert dropped >= refused


def test_no_file_of_the_lake_holds_her(forgotten):
    """Data files and checkpoints read as Parquet; logs, checksums and kept audits as bytes."""
    holding = []
    for path in sorted(forgotten["lake"].rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet" and not path.name.startswith("."):
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        if GONE in text:
            holding.append(str(path.relative_to(forgotten["lake"])))
    assert holding == []


def test_the_override_is_logged_and_the_lake_scores_again(spark, forgotten):
    assert "retention of 0 h" in forgotten["output"]
    lake = forgotten["lake"]
    result = CliRunner().invoke(app, ["score", "--lake", str(lake), "--as-of", AS_OF,
                                      "--config", str(forgotten["config"])])
    assert result.exit_code == 0, result.output
    assert not [row for row in _rows(spark, lake, tables.SCORES) if GONE in row]
