"""Score one date: build the window's graph, compute metrics, audit, publish."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from influence import quality, tables
from influence.config import Settings
from influence.errors import InfluenceError
from influence.graph.engines import choose_engine
from influence.io.lake import Lake
from influence.pipelines import Step, new_run_id, no_progress
from influence.privacy import pseudonymization_key, with_pseudonymous_ids
from influence.transforms.edges import build_edges, degrees
from influence.transforms.scores import assemble_scores, network_summary


@dataclass(frozen=True)
class ScoreReport:
    run_id: str
    as_of: date
    window_days: int
    users: int
    edges: int
    interactions: int
    engine: str
    summary: dict[str, Any] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)


def latest_event_date(interactions: DataFrame) -> date:
    latest = interactions.agg(F.max("event_date")).first()[0]
    if latest is None:
        raise InfluenceError(f"{tables.INTERACTIONS} holds no interactions: ingest an export first")
    return latest


def seed_for(as_of: date) -> int:
    """The seed of every randomised algorithm for a date: reruns give the same rows."""
    return as_of.year * 10_000 + as_of.month * 100 + as_of.day


def run(spark: SparkSession, settings: Settings, lake_root: Path, as_of: date | None = None,
        window_days: int | None = None, engine: str | None = None, step: Step = no_progress) -> ScoreReport:
    lake = Lake(spark, lake_root)
    settings = with_pseudonymous_ids(settings, pseudonymization_key())
    window_days = window_days or settings.window_days
    run_id = new_run_id("score")
    interactions = lake.read(tables.INTERACTIONS)
    as_of = as_of or latest_event_date(interactions)
    stage_seconds: dict[str, float] = {}
    started = time.perf_counter()

    with step("build edges"):
        edges = build_edges(
            interactions, as_of=as_of, window_days=window_days, type_weights=settings.type_weights,
            half_life_days=settings.half_life_days, reciprocity_boost=settings.reciprocity_boost,
            exclude_users=settings.exclude_users,
        ).cache()
        totals = edges.agg(F.count(F.lit(1)).alias("edges"), F.sum("interactions").alias("interactions")).first()
        n_edges, n_interactions = totals["edges"], totals["interactions"]
        if n_edges == 0:
            raise InfluenceError(f"no interactions in the {window_days} days up to {as_of}: nothing to score")
        chosen, reason = choose_engine(engine or settings.engine, n_edges, settings)
    stage_seconds["edges"] = round(time.perf_counter() - started, 3)

    with step(f"compute metrics ({chosen.name}: {reason})"):
        result = chosen.compute(spark, edges, settings, seed=seed_for(as_of))
        scores = assemble_scores(degrees(edges), result.metrics, as_of=as_of, run_id=run_id).cache()
        n_users = scores.count()
    stage_seconds.update({f"metrics_{k}": v for k, v in result.summary.get("stage_seconds", {}).items()})

    summary = network_summary(
        result.summary, as_of=as_of, window_days=window_days, users=n_users, edges=n_edges,
        interactions=n_interactions, engine=chosen.name, engine_reason=reason, seed=seed_for(as_of),
        settings=settings, stage_seconds=stage_seconds, run_id=run_id)
    summary_frame = spark.createDataFrame([summary], schema=tables.table(tables.NETWORK_SUMMARY).schema)

    with step("audit"):
        quality.require(edges, tables.EDGES)
        quality.require(scores, tables.SCORES)
        quality.require(summary_frame, tables.NETWORK_SUMMARY)

    with step("publish"):
        lake.replace_partition(edges, tables.EDGES, "as_of_date", as_of)
        lake.replace_partition(scores, tables.SCORES, "as_of_date", as_of)
        lake.replace_partition(summary_frame, tables.NETWORK_SUMMARY, "as_of_date", as_of)

    top = [row.asDict() for row in scores.where(F.col("rank") <= settings.top).orderBy("rank").collect()]
    edges.unpersist()
    scores.unpersist()
    return ScoreReport(run_id, as_of, window_days, n_users, n_edges, int(n_interactions), chosen.name,
                       {k: v for k, v in summary.items() if k not in ("run_id", "as_of_date")}, top)
