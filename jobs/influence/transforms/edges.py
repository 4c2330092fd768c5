"""Interactions -> the weighted interaction graph of a window (pure)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from influence import tables
from influence.config import CANONICAL_TYPES

SECONDS_PER_DAY = 86_400


def window_bounds(as_of: date, window_days: int) -> tuple[date, date]:
    """First and last ``event_date`` of the window ending on ``as_of`` (both inclusive)."""
    return as_of - timedelta(days=window_days - 1), as_of


def in_window(interactions: DataFrame, as_of: date, window_days: int,
              exclude_users: Iterable[str] = ()) -> DataFrame:
    """The window's interactions, without excluded users (brand accounts, known bots)."""
    first, last = window_bounds(as_of, window_days)
    rows = interactions.where(F.col("event_date").between(F.lit(first), F.lit(last)))
    excluded = list(exclude_users)
    if excluded:
        rows = rows.where(~F.col("actor_id").isin(excluded) & ~F.col("target_id").isin(excluded))
    return rows


def build_edges(interactions: DataFrame, *, as_of: date, window_days: int,
                type_weights: Mapping[str, float], half_life_days: float,
                reciprocity_boost: float, exclude_users: Iterable[str] = ()) -> DataFrame:
    """One row per (src, dst) that interacted in the window, in the ``silver/edges`` schema.

    ``weight`` = sum over the pair's interactions of
    ``type_weight * 2^(-age_days / half_life_days)``, times ``reciprocity_boost`` when dst
    also engaged src in the window. ``age_days`` is measured from the end of ``as_of``
    (start of the next day, UTC), so an event at 23:59 on ``as_of`` is a minute old.
    """
    window_end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=timezone.utc)
    age_days = (F.lit(window_end.timestamp()) - F.unix_micros("occurred_at") / 1e6) / SECONDS_PER_DAY
    weight_of_type = F.create_map(*[F.lit(x) for kv in type_weights.items() for x in kv])
    rows = in_window(interactions, as_of, window_days, exclude_users).withColumn(
        "decayed_weight",
        weight_of_type[F.col("interaction_type")] * F.pow(F.lit(2.0), -age_days / half_life_days),
    )
    pairs = rows.groupBy(F.col("actor_id").alias("src"), F.col("target_id").alias("dst")).agg(
        *[F.count_if(F.col("interaction_type") == t).alias(f"n_{t}") for t in CANONICAL_TYPES],
        F.count(F.lit(1)).alias("interactions"),
        F.sum("decayed_weight").alias("decayed_weight"),
        F.min("occurred_at").alias("first_at"),
        F.max("occurred_at").alias("last_at"),
    )
    reverse = pairs.select(F.col("dst").alias("src"), F.col("src").alias("dst"), F.lit(True).alias("reciprocal"))
    edges = (
        pairs.join(reverse, ["src", "dst"], "left")
        .withColumn("reciprocal", F.coalesce("reciprocal", F.lit(False)))
        .withColumn("weight", F.col("decayed_weight")
                    * F.when(F.col("reciprocal"), F.lit(reciprocity_boost)).otherwise(F.lit(1.0)))
        .withColumn("as_of_date", F.lit(as_of))
        .withColumn("window_days", F.lit(window_days))
    )
    return tables.conform(edges, tables.EDGES)
