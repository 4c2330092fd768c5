"""A lake written by an earlier version gains the columns added to a contract since."""

from datetime import date

from delta.tables import DeltaTable
from pyspark.sql import functions as F

from influence import tables
from influence.io.lake import Lake
from tests.fixtures import rows

ADDED = ("mass_roles_labelled", "mass_roles_reason", "audience_sources")


def test_a_summary_table_without_the_new_columns_takes_them_on_the_next_write(spark, lake):
    contract = tables.table(tables.NETWORK_SUMMARY)
    earlier = [f for f in contract.schema.fields if f.name not in ADDED]
    path = Lake(spark, lake).path(tables.NETWORK_SUMMARY)
    DeltaTable.createIfNotExists(spark).location(path).addColumns(earlier).execute()
    old_row = rows(spark, tables.NETWORK_SUMMARY, [{"as_of_date": date(2026, 1, 1)}]).select(
        [f.name for f in earlier])
    old_row.write.format("delta").mode("append").save(path)

    new_row = rows(spark, tables.NETWORK_SUMMARY, [{
        "as_of_date": date(2026, 1, 2), "mass_roles_labelled": False, "mass_roles_reason": "not labelled: ...",
        "audience_sources": {"export": 0, "estimate": 7, "default": 0}}])
    Lake(spark, lake).replace_partition(new_row, tables.NETWORK_SUMMARY, "as_of_date", date(2026, 1, 2))

    read = spark.read.format("delta").load(path)
    assert set(ADDED) <= set(read.columns)
    by_date = {r["as_of_date"]: r for r in read.collect()}
    assert by_date[date(2026, 1, 1)]["audience_sources"] is None  # written before the column existed
    assert by_date[date(2026, 1, 2)]["audience_sources"] == {"export": 0, "estimate": 7, "default": 0}
    assert read.where(F.col("mass_roles_labelled").isNotNull()).count() == 1
