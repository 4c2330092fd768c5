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

Cost: the distinct engaged pairs once, then every trait together: one join of the pairs with
the (trait, holder) rows and a few aggregations over them, O(m + sum of holders' in-degrees),
answered by a single collect whatever the number of traits.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window


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


def illusions(traits: Iterable[str], window_interactions: DataFrame, edges: DataFrame, users: DataFrame,
              n_users: int, *, contributors: int) -> list[dict[str, Any]]:
    """The figures of every trait (see the module docstring), in the given order, each trait once.

    ``users`` has ``user_id`` and ``n_users`` rows. One Spark action for all the traits: a
    trait per job would cost a dozen jobs each on a graph of any size.
    """
    unique = list(dict.fromkeys(traits))
    if not unique:
        return []
    holders = functools.reduce(DataFrame.unionByName, [
        trait_holders(t, window_interactions, edges).withColumn("trait", F.lit(t)) for t in unique])
    holding = holders.join(users.select("user_id"), "user_id").select("trait", F.col("user_id").alias("dst"))
    pairs = engaged_pairs(edges)
    engaged = pairs.groupBy("src").agg(F.count(F.lit(1)).alias("engaged"))
    held = pairs.join(holding, "dst")  # a pair whose engaged account holds the trait, per trait
    under = (held.groupBy("trait", "src").agg(F.count(F.lit(1)).alias("engaged_holders")).join(engaged, "src")
             .where(F.col("engaged_holders") * 2 > F.col("engaged")).select("trait", "src"))
    seen = held.join(under, ["trait", "src"]).groupBy("trait", "dst").agg(F.count(F.lit(1)).alias("value"))
    ranked = Window.partitionBy("trait").orderBy(F.col("value").desc(), F.col("dst"))
    top = seen.withColumn("place", F.row_number().over(ranked)).where(F.col("place") <= contributors)
    no_dst = F.lit(None).cast("string").alias("dst")
    figures = (
        holding.groupBy("trait").count().select(F.lit("holders").alias("kind"), "trait", no_dst,
                                                F.col("count").alias("value"))
        .unionByName(under.groupBy("trait").count().select(F.lit("under").alias("kind"), "trait", no_dst,
                                                           F.col("count").alias("value")))
        .unionByName(engaged.agg(F.count(F.lit(1)).alias("value")).select(
            F.lit("engagers").alias("kind"), F.lit(None).cast("string").alias("trait"), no_dst, "value"))
        .unionByName(top.select(F.lit("contributor").alias("kind"), "trait", "dst", "value"))
    ).collect()
    count = {(r["kind"], r["trait"]): int(r["value"]) for r in figures if r["kind"] != "contributor"}
    engagers = count.get(("engagers", None), 0)
    found = []
    for trait in unique:
        n_holders, n_under = count.get(("holders", trait), 0), count.get(("under", trait), 0)
        seen_by = sorted(((-r["value"], r["dst"]) for r in figures if r["kind"] == "contributor" and r["trait"] == trait))
        prevalence = n_holders / n_users if n_users else 0.0
        found.append({
            "trait": trait,
            "holders": n_holders,
            "prevalence": prevalence,
            "engagers": engagers,
            "under_illusion": n_under,
            "illusion_share": n_under / engagers if engagers else 0.0,
            "meaningful": prevalence < 0.5,
            "contributors": [dst for _, dst in seen_by],
            "contributor_counts": [-negative for negative, _ in seen_by],
        })
    return found
