"""Ingest through the pipeline: the manifest, quarantine and duplicates, file by file."""

import gzip

import pytest
from pyspark.sql import functions as F

from influence import tables
from influence.pipelines import ingest

GOOD = "1 2 1082040961\n3 4 1082040962 RT\n5 6 1082040963\n"


@pytest.fixture(scope="module")
def ingested(spark, settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("ingest")
    lake = root / "lake"
    first = root / "a.txt"
    first.write_text(GOOD)
    packed = root / "a-copy.txt.gz"  # the same events in another file: all duplicates
    packed.write_bytes(gzip.compress(GOOD.encode()))
    mixed = root / "b.txt"  # one new event, one already seen, one bad line
    mixed.write_text("7 8 1082040964\n1 2 1082040961\n9 9 1082040965\n")
    reports = [ingest.run(spark, settings, lake, [path], profile="snap")[0] for path in (first, packed, mixed)]
    again = ingest.run(spark, settings, lake, [first], profile="snap")[0]
    return lake, reports, again


def _counts(report):
    return report.rows_read, report.rows_accepted, report.rows_quarantined, report.rows_duplicate


def test_each_file_accounts_for_every_line(ingested):
    _, (first, packed, mixed), _ = ingested
    assert _counts(first) == (3, 3, 0, 0)
    assert _counts(packed) == (3, 0, 0, 3)
    assert _counts(mixed) == (3, 1, 1, 1)


def test_bronze_holds_each_event_once(spark, ingested):
    lake, _, _ = ingested
    bronze = spark.read.format("delta").load(str(lake / tables.INTERACTIONS))
    assert sorted(r["actor_id"] for r in bronze.collect()) == ["1", "3", "5", "7"]


def test_the_manifest_matches_the_reports(spark, ingested):
    lake, reports, _ = ingested
    manifest = {r["path"]: r for r in spark.read.format("delta").load(str(lake / tables.INGESTED_FILES)).collect()}
    assert len(manifest) == 3
    for report in reports:
        row = manifest[report.path]
        assert (row["rows_read"], row["rows_accepted"], row["rows_quarantined"], row["rows_duplicate"]) == _counts(report)
        assert row["rows_read"] == row["rows_accepted"] + row["rows_quarantined"] + row["rows_duplicate"]
    assert str(manifest[reports[2].path]["max_event_date"]) == "2004-04-15"


def test_the_bad_line_is_quarantined_with_its_line_number_and_reason(spark, ingested):
    lake, reports, _ = ingested
    quarantine = spark.read.format("delta").load(str(lake / tables.QUARANTINE))
    (row,) = quarantine.collect()
    assert (row["source_file"], row["source_line"], row["raw"], row["reason"]) == (
        reports[2].path, 3, "9 9 1082040965", "actor equals target")


def test_the_same_file_again_is_a_reported_no_op(spark, ingested):
    lake, _, again = ingested
    assert again.status == "already ingested" and _counts(again) == (0, 0, 0, 0)
    assert spark.read.format("delta").load(str(lake / tables.INGESTED_FILES)).where(F.col("path").endswith("a.txt")).count() == 1
