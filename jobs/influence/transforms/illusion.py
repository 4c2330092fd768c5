"""The majority illusion (Lerman, Yan and Wu, "The Majority Illusion in Social Networks",
PLoS ONE 2016): well-connected holders of a trait make it look common to the people who
engage with them (pure).

For a trait (users who used a topic, or users who engaged a given account):

- ``prevalence``: the share of the graph's users who hold it;
- ``engagers``: users who engage at least one account; ``under_illusion``: those for whom
  strictly more than half of the distinct accounts they engage hold the trait (unweighted);
  ``illusion_share`` = under_illusion / engagers;
- ``meaningful`` is false when prevalence is 50% or more (a real majority is no illusion);
- contributors: holders ranked by how many users under the illusion engage them.

Cost: the distinct engaged pairs once, then per trait one join with the holders and two
aggregations, O(m) each.
"""

from __future__ import annotations

from typing import Any, Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def trait_holders(trait: str, window_interactions: DataFrame, edges: DataFrame) -> DataFrame:
    """``user_id`` of the holders of ``topic:<hashtag>`` or ``engaged:<user id>``."""
    kind, _, value = trait.partition(":")
    if kind == "topic":
        return (window_interactions.where(F.array_contains("topics", value.lower()))
                .select(F.col("actor_id").alias("user_id")).distinct())
    if kind == "engaged":
        return edges.where((F.col("dst") == value) & (F.col("src") != value)).select(
            F.col("src").alias("user_id")).distinct()
    raise ValueError(f"unknown trait {trait!r}: use topic:<hashtag> or engaged:<user id>")


def top_topics(window_interactions: DataFrame, count: int) -> list[str]:
    """The ``count`` topics used by the most distinct users in the window (ties by name)."""
    if count <= 0:
        return []
    used = (window_interactions.select("actor_id", F.explode("topics").alias("topic")).distinct()
            .groupBy("topic").agg(F.count(F.lit(1)).alias("users"))
            .orderBy(F.col("users").desc(), F.col("topic")).limit(count).collect())
    return [f"topic:{r['topic']}" for r in used]


def engaged_pairs(edges: DataFrame) -> DataFrame:
    """``src, dst``: each user and the distinct other accounts it engages."""
    return edges.where(F.col("src") != F.col("dst")).select("src", "dst").distinct()


def majority_illusion(trait: str, holders: DataFrame, pairs: DataFrame, users: DataFrame, n_users: int, *,
                      contributors: int) -> dict[str, Any]:
    """The figures of one trait (see the module docstring).

    ``pairs`` comes from :func:`engaged_pairs`; ``users`` has ``user_id`` and ``n_users``
    rows (passed in so each trait costs three Spark jobs, not four).
    """
    holding = holders.join(users.select("user_id"), "user_id").withColumn("holds", F.lit(True))
    engaged = pairs.join(holding.select(F.col("user_id").alias("dst"), "holds"), "dst", "left")
    per_engager = engaged.groupBy("src").agg(
        F.count(F.lit(1)).alias("engaged"), F.count("holds").alias("engaged_holders"))
    illusion = per_engager.where(F.col("engaged_holders") * 2 > F.col("engaged"))
    n_holders = holding.count()
    counts = per_engager.agg(F.count(F.lit(1)).alias("engagers"),
                             F.count_if(F.col("engaged_holders") * 2 > F.col("engaged")).alias("under")).first()
    top = (engaged.where(F.col("holds")).join(illusion.select("src"), "src")
           .groupBy("dst").agg(F.count(F.lit(1)).alias("seen_by"))
           .orderBy(F.col("seen_by").desc(), F.col("dst")).limit(contributors).collect())
    engagers, under = int(counts["engagers"] or 0), int(counts["under"] or 0)
    prevalence = n_holders / n_users if n_users else 0.0
    return {
        "trait": trait,
        "holders": n_holders,
        "prevalence": prevalence,
        "engagers": engagers,
        "under_illusion": under,
        "illusion_share": under / engagers if engagers else 0.0,
        "meaningful": prevalence < 0.5,
        "contributors": [r["dst"] for r in top],
        "contributor_counts": [int(r["seen_by"]) for r in top],
    }


def illusions(traits: Iterable[str], window_interactions: DataFrame, edges: DataFrame, users: DataFrame,
              n_users: int, *, contributors: int) -> list[dict[str, Any]]:
    """The figures of every trait, in the given order, each trait once."""
    unique = list(dict.fromkeys(traits))
    if not unique:
        return []
    pairs = engaged_pairs(edges).cache()
    try:
        return [majority_illusion(t, trait_holders(t, window_interactions, edges), pairs, users, n_users,
                                  contributors=contributors) for t in unique]
    finally:
        pairs.unpersist()
