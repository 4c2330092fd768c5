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

from typing import Any, Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window


def topic_users(window_interactions: DataFrame) -> DataFrame:
    """``user_id, topic``: each user and the topics they used in the window, once each."""
    return (window_interactions.select(F.col("actor_id").alias("user_id"), F.explode("topics").alias("topic"))
            .distinct())


def trait_holders(traits: Iterable[str], topics: DataFrame, edges: DataFrame) -> DataFrame:
    """``trait, user_id`` for the holders of each ``topic:<hashtag>`` (users who used it:
    ``topics`` is :func:`topic_users`) and ``engaged:<user id>`` (users who engaged the
    account) of ``traits``: one filter of each source for all the traits."""
    kinds: dict[str, list[str]] = {"topic": [], "engaged": []}
    for trait in traits:
        kind, _, value = trait.partition(":")
        if kind not in kinds:
            raise ValueError(f"unknown trait {trait!r}: use topic:<hashtag> or engaged:<user id>")
        kinds[kind].append(value.lower() if kind == "topic" else value)
    used = topics.where(F.col("topic").isin(kinds["topic"])).select(
        F.concat(F.lit("topic:"), "topic").alias("trait"), "user_id")
    engaged = edges.where(F.col("dst").isin(kinds["engaged"]) & (F.col("src") != F.col("dst"))).select(
        F.concat(F.lit("engaged:"), "dst").alias("trait"), F.col("src").alias("user_id"))
    return used.unionByName(engaged)


def top_topics(topics: DataFrame, count: int) -> list[str]:
    """The ``count`` topics used by the most distinct users in the window (ties by name);
    ``topics`` is :func:`topic_users`."""
    if count <= 0:
        return []
    used = (topics.groupBy("topic").agg(F.count(F.lit(1)).alias("users"))
            .orderBy(F.col("users").desc(), F.col("topic")).limit(count).collect())
    return [f"topic:{r['topic']}" for r in used]


def engaged_pairs(edges: DataFrame) -> DataFrame:
    """``src, dst``: each user and the other accounts it engages (edges are unique per pair)."""
    return edges.where(F.col("src") != F.col("dst")).select("src", "dst")


def illusions(traits: Iterable[str], topics: DataFrame, edges: DataFrame, users: DataFrame,
              n_users: int, *, contributors: int) -> list[dict[str, Any]]:
    """The figures of every trait (see the module docstring), in the given order, each trait once.

    ``topics`` is :func:`topic_users` of the window; ``users`` has ``user_id`` and ``n_users``
    rows. One Spark action for all the traits: a trait per job would cost a dozen jobs each
    on a graph of any size.
    """
    unique = list(dict.fromkeys(traits))
    if not unique:
        return []
    holders = trait_holders(unique, topics, edges)
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
