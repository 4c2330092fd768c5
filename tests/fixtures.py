"""Test rows built from the table contracts, so fixtures follow the schema declaration."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from influence import tables


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def interactions(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    """``bronze/interactions`` rows from (actor, target, type, occurred_at[, audience_size[, topics]]);
    the rest defaulted."""
    contract = tables.table(tables.INTERACTIONS)
    records: list[dict[str, Any]] = []
    for i, (actor, target, kind, at, *extra) in enumerate(rows):
        audience = extra[0] if len(extra) > 0 else None
        topics = extra[1] if len(extra) > 1 else []
        records.append({
            "event_id": f"e{i}", "platform": "test", "actor_id": actor, "target_id": target,
            "interaction_type": kind, "occurred_at": at, "event_date": at.astimezone(timezone.utc).date(),
            "content_id": None, "audience_size": audience, "topics": list(topics), "source_file": "fixture",
            "ingest_run_id": "fixture",
        })
    return spark.createDataFrame([tuple(r[c] for c in contract.column_names) for r in records], contract.schema)


_TYPE_DEFAULTS: dict[str, Any] = {
    "string": "x", "long": 0, "int": 0, "double": 0.0, "boolean": False,
    "date": datetime(2026, 1, 1).date(), "timestamp": utc(2026, 1, 1),
}


def rows(spark: SparkSession, table_name: str, records: list[dict[str, Any]]) -> DataFrame:
    """Rows of any table from partial records: unnamed columns get a valid default

    (null when nullable, else the declared minimum, else a plain value of the type).
    """
    contract = tables.table(table_name)

    def default(column: tables.Column) -> Any:
        if column.nullable:
            return None
        if column.type.startswith("array<"):
            return []
        if column.type.startswith("map<"):
            return {}
        if column.allowed:
            return column.allowed[0]
        value = _TYPE_DEFAULTS[column.type]
        return type(value)(column.min) if column.min is not None and column.type in ("long", "int", "double") else value

    data = [tuple(r.get(c.name, default(c)) for c in contract.columns) for r in records]
    return spark.createDataFrame(data, contract.schema)
