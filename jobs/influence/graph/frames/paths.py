"""Betweenness (and, when every source is searched, exact harmonic closeness and two-hop
reach) from breadth-first searches of many sources at once, on DataFrames."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import numpy as np
from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from influence.graph.frames import step

# Source x user cells held by one batch of searches; at 2,000 users one batch holds 2,000 sources.
BATCH_CELLS = 4_000_000


@dataclass(frozen=True)
class FramePaths:
    """``frame``: ``id, betweenness, betweenness_error``, and, when ``exact``, ``harmonic`` and
    ``reach_2hop`` too (null otherwise); ``draws`` sources drawn, ``sources`` distinct ones."""

    frame: DataFrame
    exact: bool
    draws: int
    sources: int
    delta: float
    batches: int


def draw_sources(n: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct sources and their multiplicities: ``samples`` uniform draws with replacement
    over the vertex numbers 0..n-1, the same draws as the driver engine's for the same seed."""
    rng = np.random.default_rng(seed)
    return np.unique(rng.integers(0, n, size=samples), return_counts=True)


def path_centralities(spark: SparkSession, edges: DataFrame, vertices: DataFrame, *, n: int, m: int,
                      exact_max_work: float, samples: int, delta: float, seed: int,
                      batch_cells: int = BATCH_CELLS) -> FramePaths:
    """Betweenness of every vertex, exact when ``n * m <= exact_max_work`` or ``samples >= n``
    (the driver engine's rule), else from ``samples`` sampled sources with a per-user bound.

    Output: ``frame`` with ``id, betweenness, betweenness_error, harmonic, reach_2hop``, one
    row per vertex. Betweenness is as ``networkx.betweenness_centrality(G, normalized=True)``
    on the directed graph with hop distances. When exact, every vertex is a source and the
    same searches give exact harmonic closeness (sum over u of 1/d(u, v), over n - 1) and
    two-hop reach; when sampled those two are null (HyperBall gives them).

    Method: Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol. 2001,
    for a batch of sources at once: each breadth-first level is one join of the frontier's
    (source, node, path count) rows with the edges and one aggregation by (source, node),
    minus the cells already reached; the dependencies are then accumulated back from the
    deepest level, one join per level. Sampled, the estimator and bound are the driver
    engine's (``influence.graph.paths.sampled_path_centralities``: Brandes and Pich 2007,
    sources drawn uniformly with replacement, the same draws for the same seed;
    X_i(v) = n delta_s(v) / ((n-1)(n-2)), an empirical Bernstein bound per user from Maurer
    and Pontil 2009 with a union bound over the users that can bridge).

    Guarantee: exact when every source is searched (errors 0); else
    |estimate - exact| <= betweenness_error for all users at once with probability >= 1 - delta.

    Cost: O(k m) row operations for k distinct sources, in batches of ``batch_cells / n``
    sources; per batch one Spark job per level forward and one back (levels: the largest
    distance from a source, plus one).
    """
    exact = n * m <= exact_max_work or samples >= n
    if exact:
        sources, multiplicity, draws = np.arange(n), np.ones(n, dtype=np.int64), n
    else:
        sources, multiplicity = draw_sources(n, samples, seed)
        draws = samples
    adjacency = edges.select("src", "dst").repartition("src").cache()
    towards = edges.select("src", "dst").repartition("dst").cache()
    per_batch = max(1, batch_cells // max(1, n))
    partials = []
    try:
        for start in range(0, len(sources), per_batch):
            batch = spark.createDataFrame(
                [(int(s), int(c)) for s, c in zip(sources[start:start + per_batch],
                                                    multiplicity[start:start + per_batch])],
                "source long, multiplicity long")
            partials.append(_batch_sums(batch, adjacency, towards, n, len(partials)))
        sums = partials[0]
        for partial in partials[1:]:
            sums = sums.unionByName(partial)
        sums = sums.groupBy("id").agg(*(F.sum(c).alias(c) for c in _SUMS))
        frame = _estimates(vertices, edges, sums, n=n, draws=draws, delta=delta, exact=exact)
        frame = step(frame, 0)
    finally:
        adjacency.unpersist()
        towards.unpersist()
    return FramePaths(frame, exact, draws, len(sources), 0.0 if exact else delta, len(partials))


_SUMS = ("between_sum", "between_sq", "inverse_distance", "within_two")


def _batch_sums(batch: DataFrame, adjacency: DataFrame, towards: DataFrame, n: int, index: int) -> DataFrame:
    """Per user, over the batch's sources weighted by multiplicity: the sum and sum of squares
    of X (normalised dependencies), the sum of 1/distance and the count of sources within two hops."""
    frontier = step(batch.select("source", F.col("source").alias("node"), F.lit(1.0).alias("sigma"),
                                 "multiplicity"), 1)
    levels = [frontier]
    reached = frontier.select("source", "node")
    while True:
        level = len(levels)
        following = (frontier.join(adjacency, frontier["node"] == adjacency["src"])
                     .groupBy("source", F.col("dst").alias("node"))
                     .agg(F.sum("sigma").alias("sigma"), F.first("multiplicity").alias("multiplicity"))
                     .join(reached, ["source", "node"], "left_anti"))
        found = Observation(f"paths-{uuid.uuid4().hex}")  # counted in the job that cuts the level
        following = step(following.observe(found, F.count(F.lit(1)).alias("cells")), level + index)
        if not found.get["cells"]:
            break
        levels.append(following)
        reached = reached.unionByName(following.select("source", "node"))
        frontier = following

    scale = n / ((n - 1) * (n - 2)) if n >= 3 else 0.0
    contributions = []
    coefficient = levels[-1].select("source", "node", (F.lit(1.0) / F.col("sigma")).alias("coefficient"))
    for level in range(len(levels) - 1, 0, -1):
        pushed = (coefficient.join(towards, coefficient["node"] == towards["dst"])
                  .groupBy("source", F.col("src").alias("node")).agg(F.sum("coefficient").alias("pushed")))
        earlier = levels[level - 1].join(pushed, ["source", "node"], "left").select(
            "source", "node", "sigma", "multiplicity",
            (F.col("sigma") * F.coalesce("pushed", F.lit(0.0))).alias("dependency"))
        earlier = step(earlier, level + index)
        coefficient = earlier.select("source", "node",
                                     ((F.lit(1.0) + F.col("dependency")) / F.col("sigma")).alias("coefficient"))
        if level - 1 >= 1:  # a source's own dependency is 0
            contributions.append(_contribution(earlier, scale, level - 1))
    if len(levels) == 1:  # no source reaches anyone
        return batch.sparkSession.createDataFrame([], "id long, " + ", ".join(f"{c} double" for c in _SUMS))
    # The deepest level depends on nobody, but its distances count.
    contributions.append(_contribution(levels[-1].withColumn("dependency", F.lit(0.0)), scale, len(levels) - 1))
    total = contributions[0]
    for part in contributions[1:]:
        total = total.unionByName(part)
    return total.groupBy("id").agg(*(F.sum(c).alias(c) for c in _SUMS))


def _contribution(cells: DataFrame, scale: float, distance: int) -> DataFrame:
    x = F.col("dependency") * F.lit(scale)
    weight = F.col("multiplicity").cast("double")
    return cells.select(
        F.col("node").alias("id"), (weight * x).alias("between_sum"), (weight * x * x).alias("between_sq"),
        (weight / F.lit(float(distance))).alias("inverse_distance"),
        (weight * F.lit(1.0 if distance <= 2 else 0.0)).alias("within_two"))


def _estimates(vertices: DataFrame, edges: DataFrame, sums: DataFrame, *, n: int, draws: int, delta: float,
               exact: bool) -> DataFrame:
    """Per vertex: the estimates from the summed contributions, and their bounds."""
    can_bridge = (edges.select(F.col("src").alias("id")).distinct()
                  .join(edges.select(F.col("dst").alias("id")).distinct(), "id")
                  .select("id", F.lit(True).alias("can_bridge")))
    frame = (vertices.select("id").join(sums, "id", "left").join(can_bridge, "id", "left")
             .select("id", F.coalesce("can_bridge", F.lit(False)).alias("can_bridge"),
                     *(F.coalesce(c, F.lit(0.0)).alias(c) for c in _SUMS)))
    betweenness = F.col("between_sum") / F.lit(float(draws))
    if exact:
        error = F.lit(0.0)
        harmonic = F.col("inverse_distance") / F.lit(float(max(1, n - 1)))
        reach = F.col("within_two").cast("long")
    else:
        bridges = can_bridge.count()
        bound = empirical_bernstein(F.col("between_sum"), F.col("between_sq"), draws, n / (n - 1),
                                    delta / max(1, bridges))
        error = F.when(F.col("can_bridge"), bound).otherwise(F.lit(0.0))
        harmonic, reach = F.lit(None).cast("double"), F.lit(None).cast("long")
    return frame.select("id", betweenness.alias("betweenness"), error.alias("betweenness_error"),
                        harmonic.alias("harmonic"), reach.alias("reach_2hop"))


def empirical_bernstein(total: Column, total_sq: Column, k: int, value_range: float, delta: float) -> Column:
    """``influence.graph.paths.empirical_bernstein`` as a column expression: the half-width of a
    two-sided empirical Bernstein interval for the mean of k draws in [0, value_range]
    (Maurer and Pontil 2009, Theorem 4, each tail at delta / 2)."""
    if k < 2:
        return F.lit(float(value_range))
    mean = total / F.lit(float(k))
    variance = F.greatest(total_sq - F.lit(float(k)) * mean * mean, F.lit(0.0)) / F.lit(float(k - 1))
    log_term = math.log(4.0 / delta)
    return (F.sqrt(F.lit(2.0 * log_term / k) * variance)
            + F.lit(7.0 * value_range * log_term / (3.0 * (k - 1))))


def two_hop_paths(edges: DataFrame) -> int:
    """The paths u -> w -> v (the sum over w of in x out degree): the work of an exact
    two-hop reach, as the driver engine's ``influence.graph.reach.two_hop_paths``. One job."""
    into = edges.groupBy(F.col("dst").alias("w")).agg(F.count(F.lit(1)).alias("into"))
    out = edges.groupBy(F.col("src").alias("w")).agg(F.count(F.lit(1)).alias("out"))
    return int(into.join(out, "w").agg(F.sum(F.col("into") * F.col("out"))).first()[0] or 0)


def exact_reach_2hop(edges: DataFrame, vertices: DataFrame) -> DataFrame:
    """``id, reach_2hop``: the users u != v that reach v in one or two hops, counted exactly.

    Output as the driver engine's ``exact_reach_2hop``. Cost: a join of the edges with
    themselves (one row per two-hop path) and a distinct count of (u, v): O(two-hop paths)."""
    first = edges.select(F.col("src").alias("u"), F.col("dst").alias("w"))
    second = edges.select(F.col("src").alias("w"), F.col("dst").alias("v"))
    within = (first.join(second, "w").select("u", "v")
              .unionByName(edges.select(F.col("src").alias("u"), F.col("dst").alias("v")))
              .where(F.col("u") != F.col("v")).distinct()
              .groupBy(F.col("v").alias("id")).agg(F.count(F.lit(1)).alias("reach_2hop")))
    return vertices.select("id").join(within, "id", "left").select(
        "id", F.coalesce("reach_2hop", F.lit(0)).cast("long").alias("reach_2hop"))
