"""Per-user metrics -> the gold scores rows and the network summary row (pure)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from influence import tables
from influence.config import Settings


def assemble_scores(degrees: DataFrame, metrics: DataFrame, *, as_of: date, run_id: str) -> DataFrame:
    """Join degrees with the engine's metrics and rank users, in the gold schema.

    ``rank`` 1 is the highest PageRank; ties go to the smaller ``user_id`` so that a rerun
    ranks the same way.
    """
    by_pagerank = Window.orderBy(F.col("pagerank").desc(), F.col("user_id"))
    scored = (
        degrees.join(metrics, "user_id", "inner")
        .withColumn("rank", F.row_number().over(by_pagerank))
        .withColumn("as_of_date", F.lit(as_of))
        .withColumn("run_id", F.lit(run_id))
    )
    return tables.conform(scored, tables.SCORES)


def network_summary(engine_summary: dict[str, Any], *, as_of: date, window_days: int, users: int, edges: int,
                    interactions: int, engine: str, engine_reason: str, seed: int, settings: Settings,
                    stage_seconds: dict[str, float], run_id: str) -> dict[str, Any]:
    """The ``gold/network_summary`` row of a date: sizes, engine, parameters and bounds."""
    parameters = {
        "window_days": window_days,
        "half_life_days": settings.half_life_days,
        "reciprocity_boost": settings.reciprocity_boost,
        "exclude_users": len(settings.exclude_users),
        **{f"type_weight_{t}": w for t, w in sorted(settings.type_weights.items())},
        **engine_summary.get("parameters", {}),
    }
    row = {k: v for k, v in engine_summary.items() if k not in ("parameters", "stage_seconds")}
    row.update(
        as_of_date=as_of, window_days=window_days, users=users, edges=edges, interactions=interactions,
        engine=engine, engine_reason=engine_reason, seed=seed,
        parameters={k: str(v) for k, v in parameters.items()},
        stage_seconds={k: float(v) for k, v in stage_seconds.items()}, run_id=run_id,
    )
    missing = set(tables.table(tables.NETWORK_SUMMARY).column_names) - set(row)
    if missing:
        raise ValueError(f"the engine summary lacks {sorted(missing)}")
    return row
