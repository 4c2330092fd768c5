"""Read published tables without Spark (delta-rs and Arrow): what a report or a dashboard
needs is one date's rows, and a JVM is not worth starting for that."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow.dataset as ds

from influence import tables
from influence.errors import InfluenceError


def _table(lake_root: Path, name: str):
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    path = Path(lake_root) / name
    try:
        return DeltaTable(str(path))
    except TableNotFoundError:
        raise InfluenceError(f"{path} is not a Delta table: score a date first (influence score --lake "
                             f"{lake_root})") from None


def _dataset(lake_root: Path, name: str) -> ds.Dataset:
    return _table(lake_root, name).to_pyarrow_dataset()


def partition_values(lake_root: Path, name: str, column: str) -> set | None:
    """The values of the partition column ``column`` among the table's data files, from its log
    alone: what ``max(column)`` and similar questions need, without reading a row. Empty for a
    table not created yet; None for a table with deletion vectors, whose files may hold no
    live row (ask Spark)."""
    if not exists(lake_root, name):
        return set()
    table = _table(lake_root, name)
    if "deletionVectors" in (table.protocol().reader_features or ()):
        return None
    files = table.get_add_actions(flatten=True)
    return set(files.column(f"partition.{column}").to_pylist()) if files.num_rows else set()


def files_in_range(lake_root: Path, name: str, column: str, first: date, last: date) -> list[str] | None:
    """The data files of the latest version whose partition ``column`` lies in [first, last],
    from the table's log alone; None for a table with deletion vectors, whose files may hold
    rows that are no longer live (read it through Spark's Delta reader)."""
    table = _table(lake_root, name)
    if "deletionVectors" in (table.protocol().reader_features or ()):
        return None
    return table.file_uris(partition_filters=[(column, ">=", first.isoformat()), (column, "<=", last.isoformat())])


def column_values(lake_root: Path, name: str, column: str) -> set:
    """Every value of ``column`` in a (small) table, read with delta-rs; empty for a table not
    created yet."""
    if not exists(lake_root, name):
        return set()
    return set(_dataset(lake_root, name).to_table(columns=[column]).column(column).to_pylist())


def column_names(lake_root: Path, name: str) -> list[str]:
    """The columns of a table as its latest version has them (older lakes lack later columns)."""
    return list(_dataset(lake_root, name).schema.names)


def exists(lake_root: Path, name: str) -> bool:
    return (Path(lake_root) / name / "_delta_log").is_dir()


def scored_dates(lake_root: Path) -> list[date]:
    """Every date with a network summary, oldest first."""
    if not Path(lake_root).is_dir():
        raise InfluenceError(f"no lake at {lake_root}: run influence run or influence score first")
    summary = _dataset(lake_root, tables.NETWORK_SUMMARY).to_table(columns=["as_of_date"])
    return sorted(set(summary.column("as_of_date").to_pylist()))


def rows_of_date(lake_root: Path, name: str, as_of: date, *, columns: Iterable[str] | None = None,
                 where: ds.Expression | None = None) -> pd.DataFrame:
    """The rows of a table partitioned by ``as_of_date`` for one date (optionally filtered)."""
    condition = ds.field("as_of_date") == as_of
    if where is not None:
        condition = condition & where
    return _dataset(lake_root, name).to_table(columns=list(columns) if columns else None,
                                              filter=condition).to_pandas()
