"""`influence run` end to end into a temporary lake, read back by Spark and without it."""

import subprocess
import sys
from pathlib import Path

import deltalake
import numpy as np
import pandas as pd
import pytest
from pyspark.sql import Row
from typer.testing import CliRunner

from influence import tables
from influence.cli import app
from tests.lakes import assert_same_rows, snapshot, versions

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`


@pytest.fixture(scope="module")
def sample_lake(spark, tmp_path_factory):
    lake = tmp_path_factory.mktemp("run") / "lake"
    result = CliRunner().invoke(app, ["run", "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    return lake, result.output


def _gold(spark, lake):
    return spark.read.format("delta").load(str(lake / tables.SCORES))


def test_run_prints_the_top_ten(sample_lake):
    _, output = sample_lake
    assert "Top influencers as of 2026-06-30" in output
    cells = [line.split("│")[1:-1] for line in output.splitlines() if line.count("│") == 7]
    rows = [row for row in cells if row[0].strip()]  # wrapped reasons continue on rows without a rank
    assert [row[0].strip() for row in rows] == [str(i) for i in range(1, 11)]
    assert all(float(row[2]) > float(next_row[2]) - 1e-9 for row, next_row in zip(rows, rows[1:]))
    assert "engine networkit (auto:" in output


def test_gold_rows_are_consistent(spark, sample_lake):
    lake, _ = sample_lake
    gold = _gold(spark, lake).toPandas()
    assert gold["user_id"].is_unique
    assert gold["pagerank"].sum() == pytest.approx(1.0, abs=1e-9)
    assert sorted(gold["rank"]) == list(range(1, len(gold) + 1))
    by_rank = gold.sort_values("rank")
    assert by_rank["influence_score"].is_monotonic_decreasing
    assert gold["influence_score"].between(0, 100).all() and gold["explanation"].str.len().gt(0).all()
    edges = spark.read.format("delta").load(str(lake / tables.EDGES))
    assert gold["in_degree"].sum() == gold["out_degree"].sum() == edges.count()


def test_the_summary_row_records_the_engine_and_its_bounds(spark, sample_lake):
    lake, _ = sample_lake
    (summary,) = spark.read.format("delta").load(str(lake / tables.NETWORK_SUMMARY)).collect()
    gold = _gold(spark, lake)
    assert summary["users"] == gold.count()
    assert summary["engine"] == "networkit" and summary["seed"] == 20260630
    assert summary["communities"] == gold.select("community_id").distinct().count()
    assert 0.3 < summary["modularity"] <= 1
    assert summary["parameters"]["half_life_days"] == "30.0"
    assert {"edges", "metrics_pagerank", "metrics_paths"} <= set(summary["stage_seconds"])


def test_a_local_lake_has_no_hadoop_checksum_files(sample_lake):
    lake, _ = sample_lake
    assert list(lake.rglob("*.parquet")) and list(lake.rglob("_delta_log/*.crc"))  # Delta's own checksums stay
    assert list(lake.rglob(".*.crc")) == []  # Hadoop's: one beside every file it writes


@pytest.mark.parametrize("name", [tables.SCORES, tables.EDGES, tables.INTERACTIONS, tables.NETWORK_SUMMARY,
                                  tables.SEGMENTS, tables.IMPRESSIONS])
def test_a_reader_without_spark_sees_the_same_rows(spark, sample_lake, name):
    lake, _ = sample_lake
    contract = tables.table(name)
    key = list(contract.key)
    without = deltalake.DeltaTable(str(lake / name)).to_pandas()[contract.column_names]
    with_spark = spark.read.format("delta").load(str(lake / name)).toPandas()[contract.column_names]
    assert len(without) == len(with_spark) > 0
    without = without.sort_values(key).reset_index(drop=True)
    with_spark = with_spark.sort_values(key).reset_index(drop=True)
    for column in contract.columns:
        ours, theirs = with_spark[column.name], without[column.name]
        if column.type == "date":  # pandas from Spark: datetime.date; from delta-rs: the same, or datetime64
            theirs = pd.to_datetime(theirs).dt.date
            ours = pd.to_datetime(ours).dt.date
        elif column.type == "timestamp":  # both UTC instants; compare at microsecond precision
            theirs = pd.to_datetime(theirs, utc=True)
            ours = pd.to_datetime(ours).dt.tz_localize("UTC")
        elif column.type.startswith("map"):  # delta-rs gives key-value pairs, Spark a dict
            theirs, ours = theirs.map(lambda pairs: dict(_plain(pairs))), ours.map(_plain)
        elif column.type.startswith(("array", "struct")):
            theirs, ours = theirs.map(_plain), ours.map(_plain)
        missing = [None] * len(ours)  # null is null, whichever reader turned it into NaN or None
        assert list(theirs.where(theirs.notna(), missing)) == list(ours.where(ours.notna(), missing)), column.name


def _plain(value):
    """Nested values as plain Python: Spark gives Rows and lists, delta-rs dicts and numpy arrays."""
    if isinstance(value, Row):
        value = value.asDict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def test_running_twice_leaves_the_same_rows_in_every_table(spark, sample_lake):
    lake, _ = sample_lake
    bronze = versions(spark, lake)
    before = snapshot(spark, lake, layers=("silver", "gold"))
    result = CliRunner().invoke(app, ["run", "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    assert "already ingested" in result.output
    assert {k: v for k, v in versions(spark, lake).items() if k.startswith("bronze/")} == \
        {k: v for k, v in bronze.items() if k.startswith("bronze/")}  # the second ingest wrote nothing
    assert_same_rows(snapshot(spark, lake, layers=("silver", "gold")), before)


def test_bad_input_is_one_clear_line_and_a_non_zero_exit(tmp_path):
    missing = CliRunner().invoke(app, ["ingest", "--lake", str(tmp_path / "lake"), str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines()[-1].startswith("error: input not found")
    bad_date = CliRunner().invoke(app, ["score", "--lake", str(tmp_path), "--as-of", "2026-13-01"])
    assert bad_date.exit_code == 2 and "is not a date; use YYYY-MM-DD" in bad_date.output


def test_an_unknown_engine_is_a_clear_error(sample_lake):
    lake, _ = sample_lake
    unknown = CliRunner().invoke(app, ["score", "--lake", str(lake), "--engine", "pandas"])
    assert unknown.exit_code == 2 and "pandas" in unknown.output


def test_score_on_an_empty_lake_says_what_to_do(spark, tmp_path):
    result = CliRunner().invoke(app, ["score", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    assert "nothing has been written to bronze/interactions" in result.output


def test_console_script_lists_the_commands():
    script = Path(sys.executable).with_name("influence")
    help_text = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True).stdout
    commands_panel = help_text.split("Commands")[1]
    rows = [line for line in commands_panel.splitlines() if line.startswith("│ ") and not line.startswith("│  ")]
    listed = {row.split()[1] for row in rows}  # continuation lines of a description are indented
    assert listed == {"generate", "ingest", "score", "run", "report", "pull", "backfill", "maintain", "forget", "plan"}
