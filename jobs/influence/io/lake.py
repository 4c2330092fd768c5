"""Delta Lake reads and writes. Tables are created from their contract in ``schemas/``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from influence import tables
from influence.errors import InfluenceError


class Lake:
    """A lake folder: ``<root>/<layer>/<table>``, one Delta table each."""

    def __init__(self, spark: SparkSession, root: Path | str):
        self.spark = spark
        self.root = Path(root).expanduser().resolve()

    def path(self, name: str) -> str:
        return tables.table(name).path(self.root)

    def exists(self, name: str) -> bool:
        return DeltaTable.isDeltaTable(self.spark, self.path(name))

    def ensure(self, name: str) -> DeltaTable:
        """The table, created empty from its contract when it does not exist yet."""
        contract = tables.table(name)
        builder = (
            DeltaTable.createIfNotExists(self.spark)
            .location(self.path(name))
            .addColumns(contract.schema)
            .comment(contract.description)
        )
        if contract.partition_by:
            builder = builder.partitionedBy(*contract.partition_by)
        return builder.execute()

    def read(self, name: str) -> DataFrame:
        if not self.exists(name):
            raise InfluenceError(f"{self.path(name)} does not exist yet: nothing has been written to {name}")
        return self.spark.read.format("delta").load(self.path(name))

    def append(self, df: DataFrame, name: str) -> None:
        self.ensure(name)
        tables.conform(df, name).write.format("delta").mode("append").save(self.path(name))

    def replace_partition(self, df: DataFrame, name: str, column: str, value: date) -> None:
        """Atomically replace every row whose ``column`` equals ``value`` with ``df``.

        Rerunning a date replaces its rows instead of adding to them: the write is
        idempotent per date, and readers see the old rows or the new ones, never a mix.
        """
        self.ensure(name)
        # Delta itself refuses rows that fall outside the replaceWhere predicate.
        (
            tables.conform(df, name).write.format("delta").mode("overwrite")
            .option("replaceWhere", f"{column} = '{value.isoformat()}'")
            .save(self.path(name))
        )

    def insert_new(self, df: DataFrame, name: str, partition_column: str) -> int:
        """Insert the rows whose key is not in the table yet; return how many were inserted.

        The merge matches on the table's key and its partition column, so it reads only
        the partitions the new rows fall in.
        """
        contract = tables.table(name)
        target = self.ensure(name)
        condition = " AND ".join(f"t.{c} = s.{c}" for c in (*contract.key, partition_column))
        source = tables.conform(df, name)
        # The merge reports its own metrics: right even when it commits nothing, or when
        # another writer commits in between (the table's history would not be).
        metrics = target.alias("t").merge(source.alias("s"), condition).whenNotMatchedInsertAll().execute().first()
        return int(metrics["num_inserted_rows"])
