"""Reading a date range of bronze from the files its Delta log names (``Lake.read_range``)."""

from __future__ import annotations

from datetime import date

import pytest
from pyspark.sql import functions as F

from influence import tables
from influence.errors import InfluenceError
from influence.io.lake import Lake
from tests.fixtures import interactions, utc

ROWS = [("a", "b", "reply", utc(2026, 3, 1, 9)), ("b", "a", "mention", utc(2026, 3, 2, 23, 59)),
        ("c", "a", "reshare", utc(2026, 3, 3)), ("a", "c", "reply", utc(2026, 3, 3, 12)),
        ("d", "a", "like", utc(2026, 3, 5, 1))]


def _ids(df) -> list[str]:
    return sorted(row["event_id"] for row in df.select("event_id").collect())


def test_a_range_holds_the_rows_of_its_dates_in_the_contract_s_columns(spark, lake):
    store = Lake(spark, lake)
    with pytest.raises(InfluenceError, match="does not exist yet"):
        store.read_range(tables.INTERACTIONS, "event_date", date(2026, 3, 1), date(2026, 3, 3))
    store.append(interactions(spark, ROWS), tables.INTERACTIONS)
    got = store.read_range(tables.INTERACTIONS, "event_date", date(2026, 3, 2), date(2026, 3, 3))
    assert got.columns == tables.table(tables.INTERACTIONS).column_names
    assert _ids(got) == ["e1", "e2", "e3"]
    assert sorted(got.collect()) == sorted(store.read(tables.INTERACTIONS)
                                           .where(F.col("event_date").between("2026-03-02", "2026-03-03")).collect())
    assert store.read_range(tables.INTERACTIONS, "event_date", date(2026, 4, 1), date(2026, 4, 9)).count() == 0


def test_rows_deleted_through_deletion_vectors_are_not_read(spark, lake):
    store = Lake(spark, lake)
    store.append(interactions(spark, ROWS), tables.INTERACTIONS)
    path = store.path(tables.INTERACTIONS)
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = true)")
    spark.sql(f"DELETE FROM delta.`{path}` WHERE event_id = 'e2'")  # a file's row marked deleted, the file kept
    got = store.read_range(tables.INTERACTIONS, "event_date", date(2026, 3, 1), date(2026, 3, 5))
    assert _ids(got) == ["e0", "e1", "e3", "e4"]
