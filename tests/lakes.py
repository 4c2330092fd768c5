"""A lake's tables read back in tests: the rows, without what differs between runs by design.

Two readers: Spark (``stable_rows``, ``snapshot``), and delta-rs (``table_rows``,
``lake_rows``), a second Delta implementation, for checks that must not depend on the
writer's own reader and that compare rows as plain sorted values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from influence import tables

# Run ids, the times a run wrote its rows and how long its stages took: two runs over the
# same input differ in these and in nothing else.
VOLATILE = ("run_id", "ingest_run_id", "ingested_at", "quarantined_at", "stage_seconds")


def stable_rows(spark: SparkSession, lake: Path, name: str) -> DataFrame:
    """Every row of the table ``name``, its VOLATILE columns dropped."""
    df = spark.read.format("delta").load(str(Path(lake) / name))
    return df.drop(*[c for c in df.columns if c in VOLATILE])


def duplicate_keys(spark: SparkSession, lake: Path, name: str) -> list:
    """Keys (the contract's) held by more than one row of the table; empty when each is unique."""
    key = list(tables.table(name).key)
    df = spark.read.format("delta").load(str(Path(lake) / name))
    return df.groupBy(*key).count().where("count > 1").limit(5).collect()


def snapshot(spark: SparkSession, lake: Path, layers: tuple[str, ...] = ("bronze", "silver", "gold")) -> dict[str, list]:
    """The stable rows of every table of those layers the lake holds, by table name."""
    return {name: stable_rows(spark, lake, name).collect() for name in tables.all_tables()
            if name.startswith(tuple(f"{layer}/" for layer in layers)) and (Path(lake) / name / "_delta_log").is_dir()}


def versions(spark: SparkSession, lake: Path, names: tuple[str, ...] | None = None) -> dict[str, int]:
    """The latest Delta version of each table named (default: every table the lake holds)."""
    from delta.tables import DeltaTable

    names = names or tuple(n for n in tables.all_tables() if (Path(lake) / n / "_delta_log").is_dir())
    return {name: DeltaTable.forPath(spark, str(Path(lake) / name)).history(1).select("version").first()[0]
            for name in names}


def assert_same_rows(after: dict[str, list], before: dict[str, list]) -> int:
    """Every table holds the same rows (floating values to 1e-9); returns how many rows were compared."""
    from pyspark.testing import assertDataFrameEqual

    assert sorted(after) == sorted(before)
    for name, rows in before.items():
        assertDataFrameEqual(after[name], rows, rtol=1e-9)
    return sum(len(rows) for rows in before.values())


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isnan(value) else float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def table_rows(lake: Path, name: str) -> list[str] | None:
    """The table's rows as sorted JSON lines without volatile columns; None if it does not exist.

    Read with delta-rs, a second Delta implementation, so that what it reads is what any
    reader of the lake would.
    """
    import deltalake

    path = Path(lake) / name
    if not (path / "_delta_log").is_dir():
        return None
    rows = deltalake.DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    return sorted(json.dumps(_canonical({k: v for k, v in row.items() if k not in VOLATILE}), default=str,
                             sort_keys=True) for row in rows)


def lake_rows(lake: Path) -> dict[str, list[str] | None]:
    """Every table of the lake, as ``table_rows``."""
    return {name: table_rows(lake, name) for name in sorted(tables.all_tables())}
