"""`influence run` end to end into a temporary lake, read back by Spark and without it."""

import subprocess
import sys
from pathlib import Path

import deltalake
import pytest
from pyspark.testing import assertDataFrameEqual
from typer.testing import CliRunner

from influence import tables
from influence.cli import app

VOLATILE = ["run_id"]


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
    ranks = [line.split("│")[1].strip() for line in output.splitlines() if line.count("│") == 6]
    assert ranks[-10:] == [str(i) for i in range(1, 11)]


def test_gold_rows_are_consistent(spark, sample_lake):
    lake, _ = sample_lake
    gold = _gold(spark, lake).toPandas()
    assert gold["user_id"].is_unique
    assert gold["pagerank"].sum() == pytest.approx(1.0, abs=1e-9)
    assert sorted(gold["rank"]) == list(range(1, len(gold) + 1))
    edges = spark.read.format("delta").load(str(lake / tables.EDGES))
    assert gold["in_degree"].sum() == gold["out_degree"].sum() == edges.count()


def test_a_reader_without_spark_sees_the_same_rows(spark, sample_lake):
    lake, _ = sample_lake
    for name in (tables.SCORES, tables.EDGES, tables.INTERACTIONS):
        with_spark = spark.read.format("delta").load(str(lake / name))
        without = deltalake.DeltaTable(str(lake / name)).to_pandas()
        assert len(without) == with_spark.count() > 0
        assert set(without.columns) == set(tables.table(name).column_names)
    gold = deltalake.DeltaTable(str(lake / tables.SCORES)).to_pandas().sort_values("rank")
    spark_gold = _gold(spark, lake).orderBy("rank").toPandas()
    assert list(gold["user_id"]) == list(spark_gold["user_id"])
    assert list(gold["pagerank"]) == pytest.approx(list(spark_gold["pagerank"]), abs=1e-15)


def test_running_twice_leaves_the_same_gold_rows(spark, sample_lake):
    lake, _ = sample_lake
    before = _gold(spark, lake).drop(*VOLATILE).localCheckpoint()
    bronze_before = spark.read.format("delta").load(str(lake / tables.INTERACTIONS)).count()
    result = CliRunner().invoke(app, ["run", "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    assert "already ingested" in result.output
    assert spark.read.format("delta").load(str(lake / tables.INTERACTIONS)).count() == bronze_before
    assertDataFrameEqual(_gold(spark, lake).drop(*VOLATILE), before, rtol=0, atol=1e-12)


def test_bad_input_is_one_clear_line_and_a_non_zero_exit(tmp_path):
    missing = CliRunner().invoke(app, ["ingest", "--lake", str(tmp_path / "lake"), str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines()[-1].startswith("error: input not found")
    bad_date = CliRunner().invoke(app, ["score", "--lake", str(tmp_path), "--as-of", "2026-13-01"])
    assert bad_date.exit_code == 2 and "is not a date; use YYYY-MM-DD" in bad_date.output


def test_score_on_an_empty_lake_says_what_to_do(spark, tmp_path):
    result = CliRunner().invoke(app, ["score", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    assert "nothing has been written to bronze/interactions" in result.output


def test_console_script_lists_the_commands():
    script = Path(sys.executable).with_name("influence")
    help_text = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("generate", "ingest", "score", "run"):
        assert command in help_text
