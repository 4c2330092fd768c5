"""Test rows built from the table contracts, so fixtures follow the schema declaration."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from influence import tables


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def interactions(spark: SparkSession, rows: list[tuple[str, str, str, datetime]]) -> DataFrame:
    """``bronze/interactions`` rows from (actor, target, type, occurred_at); the rest defaulted."""
    contract = tables.table(tables.INTERACTIONS)
    records: list[dict[str, Any]] = []
    for i, (actor, target, kind, at) in enumerate(rows):
        records.append({
            "event_id": f"e{i}", "platform": "test", "actor_id": actor, "target_id": target,
            "interaction_type": kind, "occurred_at": at, "event_date": at.astimezone(timezone.utc).date(),
            "content_id": None, "audience_size": None, "topics": [], "source_file": "fixture",
            "ingest_run_id": "fixture",
        })
    return spark.createDataFrame([tuple(r[c] for c in contract.column_names) for r in records], contract.schema)
