"""Write-audit-publish, backfills and maintenance on a small generated sample."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual
from typer.testing import CliRunner

from influence import generate, tables
from influence.cli import app
from influence.errors import AuditFailed
from influence.pipelines import ingest, score
from influence.pipelines import maintain as maintenance
from tests.lakes import stable_rows, versions

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

END = date(2026, 6, 30)
GOLD = (tables.SCORES, tables.SEGMENTS, tables.IMPRESSIONS, tables.NETWORK_SUMMARY)


@pytest.fixture(scope="module")
def bronze(spark, settings, tmp_path_factory):
    """A lake holding a small sample in bronze (two export files, so tables have several files)."""
    root = tmp_path_factory.mktemp("orchestration")
    exports = root / "exports"
    generate.write_export(exports / "a", users=80, days=12, end=END, seed=3)
    generate.write_export(exports / "b", users=80, days=12, end=END, seed=4)
    lake = root / "lake"
    reports = ingest.run(spark, settings, lake, [exports])
    assert all(r.status == "ok" for r in reports)
    return lake


@pytest.fixture
def lake(bronze, tmp_path):
    copy = tmp_path / "lake"
    shutil.copytree(bronze, copy)
    return copy


# Two dates: the first scored with no previous date, the second with one (ranks and roles change).
START = END - timedelta(days=1)
BACKFILL = ["backfill", "--start", str(START), "--end", str(END), "--json"]


@pytest.fixture(scope="module")
def backfilled(spark, bronze, tmp_path_factory):
    """The sample's last two dates backfilled once."""
    lake = tmp_path_factory.mktemp("backfilled") / "lake"
    shutil.copytree(bronze, lake)
    result = CliRunner().invoke(app, [*BACKFILL, "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    assert [r["as_of"] for r in json.loads(result.stdout)] == [str(START + timedelta(days=i)) for i in range(2)]
    return lake


def test_backfilling_two_dates_twice_gives_identical_silver_and_gold_rows(spark, backfilled):
    scored = (*GOLD, tables.EDGES)
    once = {name: stable_rows(spark, backfilled, name).collect() for name in scored}
    written = versions(spark, backfilled, scored)
    dates = {r["as_of_date"] for r in once[tables.NETWORK_SUMMARY]}
    assert dates == {START, END}
    assert {r["as_of_date"] for r in once[tables.SCORES]} == dates

    again = CliRunner().invoke(app, [*BACKFILL, "--lake", str(backfilled)])
    assert again.exit_code == 0, again.output
    for name in scored:
        assert versions(spark, backfilled, (name,))[name] > written[name]  # really rewritten ...
        assertDataFrameEqual(stable_rows(spark, backfilled, name).collect(), once[name], rtol=1e-9)  # ... to the same rows


def test_a_failed_audit_publishes_nothing_and_keeps_the_validation_result(spark, settings, backfilled, tmp_path,
                                                                          monkeypatch):
    lake = tmp_path / "lake"
    shutil.copytree(backfilled, lake)
    written = versions(spark, lake, GOLD)
    before = stable_rows(spark, lake, tables.SCORES).collect()

    # A transform bug: the top user's score leaves its 0-100 range.
    assemble = score.explained_scores

    def broken(*args, **kwargs):
        rows = assemble(*args, **kwargs)
        return rows.withColumn("influence_score",
                               F.when(F.col("rank") == 1, F.lit(150.0)).otherwise(F.col("influence_score")))

    monkeypatch.setattr(score, "explained_scores", broken)
    spark.catalog.clearCache()
    with pytest.raises(AuditFailed, match="influence_score") as failed:
        score.run(spark, settings, lake, as_of=END)

    # The failed run freed what it cached: the next date of a backfill starts with nothing held.
    assert spark._jsparkSession.sharedState().cacheManager().isEmpty()
    assert versions(spark, lake, GOLD) == written
    assertDataFrameEqual(stable_rows(spark, lake, tables.SCORES).collect(), before)
    (kept,) = (lake / "_audits").glob(f"{END}_score-*.json")
    assert failed.value.kept == kept and str(kept) in str(failed.value)
    record = json.loads(kept.read_text())
    assert record["table"] == tables.SCORES and record["success"] is False
    (result,) = [r for r in record["validation_result"]["results"]
                 if not r["success"] and r["expectation_config"]["kwargs"].get("column") == "influence_score"]
    assert result["result"]["unexpected_count"] == 1


def test_backfill_refuses_a_range_that_ends_before_it_starts(lake):
    result = CliRunner().invoke(app, ["backfill", "--lake", str(lake), "--start", "2026-06-30", "--end", "2026-06-01"])
    assert result.exit_code == 1 and "before --start" in result.output


def test_maintain_refuses_a_retention_below_seven_days(lake):
    result = CliRunner().invoke(app, ["maintain", "--lake", str(lake), "--retain-hours", "24"])
    assert result.exit_code == 1
    assert "refusing to VACUUM with a retention of 24 h" in result.output


def test_maintain_holds_to_the_configured_safe_retention_unless_forced(spark, lake, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("maintenance: {safe_retain_hours: 720}\n")
    refused = CliRunner().invoke(app, ["maintain", "--lake", str(lake), "--config", str(config),
                                       "--retain-hours", "200"])
    assert refused.exit_code == 1 and "below the safe retention of 720 h" in refused.output
    before = versions(spark, lake, (tables.INTERACTIONS,))
    forced = CliRunner().invoke(app, ["maintain", "--lake", str(lake), "--config", str(config),
                                      "--retain-hours", "200", "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert versions(spark, lake, (tables.INTERACTIONS,))[tables.INTERACTIONS] > before[tables.INTERACTIONS]


def test_maintain_compacts_and_vacuums_every_table(spark, lake):
    name = tables.INTERACTIONS
    rows = spark.read.format("delta").load(str(lake / name)).count()
    old_files = set(spark.read.format("delta").load(str(lake / name)).inputFiles())
    done = {d.table: d for d in maintenance.run(spark, lake, retain_hours=0, safe_hours=168, force=True)}
    assert set(done) >= {tables.INTERACTIONS, tables.INGESTED_FILES}
    assert done[name].files_after < done[name].files_before and done[name].version_after > done[name].version_before
    assert spark.read.format("delta").load(str(lake / name)).count() == rows
    # VACUUM really ran: the files the old version read are gone.
    assert old_files and not any(Path(urlparse(uri).path).exists() for uri in old_files)
