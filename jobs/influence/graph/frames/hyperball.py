"""Harmonic closeness and two-hop reach of every user from HyperLogLog balls, on DataFrames."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from influence.graph.frames import step

# HyperLogLog's relative standard error is about 1.04 / sqrt(2^lg_config_k) (Flajolet, Fusy,
# Gandouet and Meunier 2007); DataSketches' HLL, which Spark's hll_* functions are, states
# the same or better for merged sketches, and counts exactly while a sketch is small.
HLL_RSE_CONSTANT = 1.04


@dataclass(frozen=True)
class FrameBalls:
    """``frame``: ``id, harmonic, harmonic_error, reach_2hop, reach_2hop_error``; the iterations
    run (the last changed no ball) and the relative error used for the bounds."""

    frame: DataFrame
    iterations: int
    lg_config_k: int
    relative_error: float


def relative_error(lg_config_k: int, z: float) -> float:
    """``z`` relative standard errors of a HyperLogLog sketch of 2^lg_config_k registers."""
    return z * HLL_RSE_CONSTANT / math.sqrt(2 ** lg_config_k)


def hyperball(edges: DataFrame, vertices: DataFrame, *, n: int, lg_config_k: int = 12, z: float = 2.0,
              max_iterations: int | None = None) -> FrameBalls:
    """Harmonic closeness and two-hop reach of every vertex from the balls of users that reach it.

    Output: ``frame`` with ``id, harmonic, harmonic_error, reach_2hop, reach_2hop_error``, one
    row per vertex. ``harmonic`` is the sum over u != v of 1 / d(u, v) over n - 1 (hop
    distances along the edges, into v), as ``networkx.harmonic_centrality`` over n - 1;
    ``reach_2hop`` counts the users u != v with d(u, v) <= 2, as the driver engine's.

    Method: HyperBall (Boldi and Vigna, "In-core computation of geometric centralities with
    HyperBall: a hundred billion nodes and beyond", ICDMW 2013). B_0(v) = {v} and
    B_t(v) = B_{t-1}(v) united with B_{t-1}(u) for every edge u -> v, each ball a HyperLogLog
    sketch (Spark's ``hll_sketch_agg``, ``hll_union_agg``, ``hll_union``); the harmonic sum
    adds (|B_t| - |B_{t-1}|) / t. Only the vertices whose ball changed in the last step send
    their sketch, and the loop stops when no ball changes.

    Guarantee: probabilistic, not a worst case. Writing r = ``z`` x 1.04 / sqrt(2^lg_config_k),
    if every estimate |B_t| is within a relative r of the truth (each is with about the
    probability of a ``z``-sigma normal deviation), then |harmonic - exact| <=
    r x (harmonic x (n - 1) + 1) / (n - 1) = ``harmonic_error`` (the harmonic sum telescopes
    into sum_t |B_t| (1/t - 1/(t + 1)) + |B_T| / T - 1) and |reach_2hop - exact| <= r x
    (reach_2hop + 1) = ``reach_2hop_error``. Sketches count exactly while small, so on small
    graphs the errors are far inside the bound; tests check the bound's coverage on real data.

    Cost: per iteration one join of the changed vertices' sketches with the edges and one
    union per receiving vertex (at most m sketch unions, each O(2^lg_config_k)), 1 Spark job;
    iterations: the largest distance in the graph plus one. Memory: n sketches of about
    2^lg_config_k / 2 bytes once large (2 KiB at the default 12).
    """
    rel = relative_error(lg_config_k, z)
    adjacency = edges.select("src", "dst").repartition("src").cache()
    state = step(vertices.groupBy("id").agg(F.hll_sketch_agg("id", lg_config_k).alias("ball")).select(
        "id", "ball", F.lit(1.0).alias("size"), F.lit(0.0).alias("harmonic_sum"),
        F.lit(None).cast("double").alias("two_hop_size"), F.lit(True).alias("changed")), 1)
    limit = max_iterations if max_iterations is not None else n + 1
    iterations = 0
    try:
        for t in range(1, limit + 1):
            sent = state.where("changed").select(F.col("id").alias("src"), "ball")
            received = (adjacency.join(sent, "src").groupBy("dst")
                        .agg(F.hll_union_agg("ball").alias("incoming")))
            merged = F.hll_union("ball", "incoming")
            grown = (state.join(received, state["id"] == received["dst"], "left")
                     .withColumn("merged", F.when(F.col("incoming").isNull(), F.col("ball")).otherwise(merged))
                     # An estimate never shrinks: the ball only gains members.
                     .withColumn("new_size", F.when(F.col("incoming").isNull(), F.col("size")).otherwise(
                         F.greatest(F.col("size"), F.hll_sketch_estimate("merged").cast("double")))))
            grown = grown.select(
                "id", F.col("merged").alias("ball"), F.col("new_size").alias("size"),
                (F.col("harmonic_sum") + (F.col("new_size") - F.col("size")) / F.lit(float(t))).alias("harmonic_sum"),
                (F.col("new_size") if t == 2 else F.col("two_hop_size")).alias("two_hop_size"),
                (F.col("incoming").isNotNull() & (F.col("merged") != F.col("ball"))).alias("changed"))
            changes = Observation(f"hyperball-{uuid.uuid4().hex}")  # counted in the same job
            state = step(grown.observe(changes, F.sum(F.col("changed").cast("long")).alias("changed")), t)
            iterations = t
            if not changes.get["changed"]:
                break
    finally:
        adjacency.unpersist()
    scale = 1.0 / max(1, n - 1)
    two_hop = F.coalesce("two_hop_size", "size")  # fewer than 2 iterations: the balls stopped at 1 hop
    reach = F.greatest(F.round(two_hop - F.lit(1.0)), F.lit(0.0))
    frame = state.select(
        "id", (F.col("harmonic_sum") * F.lit(scale)).alias("harmonic"),
        (F.lit(rel) * (F.col("harmonic_sum") + F.lit(1.0)) * F.lit(scale)).alias("harmonic_error"),
        reach.cast("long").alias("reach_2hop"), (F.lit(rel) * (reach + F.lit(1.0))).alias("reach_2hop_error"))
    return FrameBalls(frame, iterations, lg_config_k, rel)
