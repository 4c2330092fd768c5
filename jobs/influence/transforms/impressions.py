"""Peer Influence Analysis (Forrester): posts, impressions and their concentration (pure).

A *visible post* is an interaction of a visible type (mention, reply, reshare, quote,
comment by default). One post can carry several interactions (a reply that mentions two
people is one reply and two mentions), so posts are counted by ``content_id``, or by
``event_id`` when the export gives no content id. A post makes as many impressions as its
author's audience (``audience_size``), or ``default_audience`` (150) when unknown.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from influence import tables

LORENZ_POINTS = 101


def visible_posts(interactions: DataFrame, *, visible_types: Iterable[str], default_audience: int,
                  publications: Iterable[str]) -> DataFrame:
    """One row per visible post: ``user_id, date, platform, post_id, audience, publication``."""
    rows = interactions.where(F.col("interaction_type").isin(list(visible_types)))
    return (
        rows.groupBy(F.col("actor_id").alias("user_id"), "platform",
                     F.coalesce("content_id", "event_id").alias("post_id"))
        .agg(F.min("event_date").alias("date"), F.max("audience_size").alias("audience"))
        .withColumn("audience", F.coalesce("audience", F.lit(default_audience)).cast("long"))
        .withColumn("publication", F.col("platform").isin(list(publications)))
    )


def impressions_daily(posts: DataFrame, *, run_id: str) -> DataFrame:
    """``gold/impressions_daily``: each author's posts and impressions per day."""
    daily = posts.groupBy("date", "user_id").agg(
        F.count(F.lit(1)).alias("posts"),
        F.sum(F.when(~F.col("publication"), F.col("audience")).otherwise(0)).alias("influence_impressions"),
        F.sum(F.when(F.col("publication"), F.col("audience")).otherwise(0)).alias("influence_posts"),
    )
    return tables.conform(
        daily.withColumn("impressions", F.col("influence_impressions") + F.col("influence_posts"))
        .withColumn("run_id", F.lit(run_id)),
        tables.IMPRESSIONS)


def user_activity(interactions: DataFrame, posts: DataFrame) -> DataFrame:
    """Per user of the window: ``posts, impressions, engagement_received, audience_size``.

    ``engagement_received`` counts interactions of every type aimed at the user;
    ``audience_size`` is the largest follower count the exports give for the user (null
    when none does). Users without posts get 0 posts and 0 impressions.
    """
    made = posts.groupBy("user_id").agg(F.count(F.lit(1)).alias("posts"), F.sum("audience").alias("impressions"))
    received = interactions.groupBy(F.col("target_id").alias("user_id")).agg(
        F.count(F.lit(1)).alias("engagement_received"))
    audience = interactions.groupBy(F.col("actor_id").alias("user_id")).agg(F.max("audience_size").alias("audience_size"))
    return (
        audience.join(received, "user_id", "full").join(made, "user_id", "left")
        .select("user_id", *[F.coalesce(c, F.lit(0)).cast("long").alias(c)
                             for c in ("posts", "impressions", "engagement_received")], "audience_size")
    )


def concentration(impressions: np.ndarray, *, share: float = 0.8) -> dict[str, Any]:
    """How concentrated impressions are over all users (zeros included).

    ``impressions_top_share_80``: the smallest share of users, taken from the top, whose
    impressions reach ``share`` of the total. ``impressions_gini``:
    ``sum_ij |x_i - x_j| / (2 n^2 mean)``, computed from the sorted values in O(n log n).
    ``impressions_lorenz``: the share of impressions held by the poorest 0%, 1%, ... 100%
    of users, interpolated linearly between users. With no impressions the shares are
    null and the curve empty.
    """
    values = np.sort(np.asarray(impressions, dtype=np.float64))
    n, total = len(values), float(values.sum())
    if n == 0 or total <= 0:
        return {"impressions": 0, "impressions_top_share_80": None, "impressions_gini": None, "impressions_lorenz": []}
    from_top = np.cumsum(values[::-1])
    # A relative tolerance keeps an exact 80% from being missed by rounding.
    top_users = int(np.searchsorted(from_top, share * total * (1 - 1e-12))) + 1
    ascending_rank = np.arange(1, n + 1)
    gini = float((2 * np.sum(ascending_rank * values) / (n * total)) - (n + 1) / n)
    cumulative = np.concatenate([[0.0], np.cumsum(values)]) / total
    lorenz = np.interp(np.linspace(0, n, LORENZ_POINTS), np.arange(n + 1), cumulative)
    return {
        "impressions": int(round(total)),
        "impressions_top_share_80": top_users / n,
        "impressions_gini": max(0.0, gini),
        "impressions_lorenz": [float(x) for x in lorenz],
    }
