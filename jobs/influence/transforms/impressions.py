"""Peer Influence Analysis (Forrester): posts, impressions and their concentration (pure).

A *visible post* is an interaction of a visible type (mention, reply, reshare, quote,
comment by default). One post can carry several interactions (a reply that mentions two
people is one reply and two mentions), so posts are counted by ``content_id``, or by
``event_id`` when the export gives no content id. A post makes as many impressions as its
author's audience: the export's ``audience_size`` when it gives one; else, with
``audience="export_or_estimate"``, the author's *engaged audience* (the distinct people who
engaged the author in the window, in any way: a lower bound on who saw the author's posts);
else ``default_audience`` (150). Each post records where its audience came from.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from influence import tables

LORENZ_POINTS = 101


AUDIENCE_SOURCES = ("export", "estimate", "default")


def engaged_audience(interactions: DataFrame) -> DataFrame:
    """``user_id, engaged_audience``: the distinct other people who engaged each user."""
    return (interactions.where(F.col("actor_id") != F.col("target_id"))
            .groupBy(F.col("target_id").alias("user_id"))
            .agg(F.countDistinct("actor_id").alias("engaged_audience")))


def visible_posts(interactions: DataFrame, *, visible_types: Iterable[str], audience: str, default_audience: int,
                  publications: Iterable[str], engaged: DataFrame | None = None) -> DataFrame:
    """One row per visible post: ``user_id, date, platform, post_id, audience, audience_source,
    publication`` (``audience_source``: one of :data:`AUDIENCE_SOURCES`). ``engaged``
    (``user_id, engaged_audience``) gives the engaged audiences when they are known already
    (:func:`influence.transforms.scores.contact_figures` has them); else they are counted
    from ``interactions`` (:func:`engaged_audience`)."""
    rows = interactions.where(F.col("interaction_type").isin(list(visible_types)))
    posts = (
        rows.groupBy(F.col("actor_id").alias("user_id"), "platform",
                     F.coalesce("content_id", "event_id").alias("post_id"))
        .agg(F.min("event_date").alias("date"), F.max("audience_size").alias("exported"))
    )
    if audience == "export_or_estimate":
        # An author nobody engaged has an estimate of 0: no one is known to have seen them.
        engaged = engaged_audience(interactions) if engaged is None else engaged.select("user_id", "engaged_audience")
        posts = (posts.join(engaged, "user_id", "left")
                 .withColumn("estimated", F.coalesce("engaged_audience", F.lit(0))))
    else:
        posts = posts.withColumn("estimated", F.lit(None).cast("long"))
    return (
        posts.withColumn("audience", F.coalesce("exported", "estimated", F.lit(default_audience)).cast("long"))
        .withColumn("audience_source", F.when(F.col("exported").isNotNull(), "export")
                    .when(F.col("estimated").isNotNull(), "estimate").otherwise("default"))
        .withColumn("publication", F.col("platform").isin(list(publications)))
        .select("user_id", "date", "platform", "post_id", "audience", "audience_source", "publication")
    )


def posts_by_audience_source(posts: DataFrame) -> DataFrame:
    """``audience_source, posts``: how many visible posts took their audience from each source."""
    return posts.groupBy("audience_source").agg(F.count(F.lit(1)).alias("posts"))


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
