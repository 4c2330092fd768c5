"""The distributed engine: every metric as DataFrames and GraphFrames on the Spark cluster.

Nothing per user reaches the driver: the graph is numbered once (``frames.cores.number_users``),
each algorithm of ``influence.graph.frames`` runs as Spark jobs with its lineage cut every
iteration, and the per-user results are joined back to the user ids as one DataFrame. The
driver holds scalars (counts, convergence checks) and the drawn betweenness sources.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from influence import tables
from influence.config import Settings
from influence.graph.betweenness import betweenness_figures
from influence.graph.engines import METRIC_COLUMNS, EngineResult, summary_parameters, timed

log = logging.getLogger(__name__)


class GraphFramesEngine:
    name = "graphframes"

    def compute(self, spark: SparkSession, edges: DataFrame, settings: Settings, *, seed: int) -> EngineResult:
        """Output as the driver engine's; the cost of each stage is in its function's docstring:
        PageRank O(iterations x m), betweenness O(sources x m), HyperBall O(diameter x m
        sketch unions), Louvain O(rounds x m), k-core O(m) per GraphFrames round."""
        from influence.graph.frames.communities import louvain, participation
        from influence.graph.frames.cores import core_numbers, number_users, require_graphframes
        from influence.graph.frames.hyperball import hyperball
        from influence.graph.frames.pagerank import weighted_pagerank
        from influence.graph.frames.paths import exact_reach_2hop, path_centralities, two_hop_paths

        require_graphframes(spark)
        stage_seconds: dict[str, float] = {}
        with timed(stage_seconds, "numbering"):
            names, numbered = number_users(edges.select("src", "dst", "weight"))
            n, m = names.count(), numbered.count()
        log.info("graphframes engine: %s users, %s edges", f"{n:,}", f"{m:,}")
        seeds = tuple(settings.pagerank.seeds)
        vertices = names.select("id", F.col("user_id").isin(list(seeds)).alias("seed") if seeds
                                else F.lit(False).alias("seed"))
        pagerank_settings = settings.pagerank
        with timed(stage_seconds, "pagerank"):
            options = dict(damping=pagerank_settings.damping, tolerance=pagerank_settings.tolerance,
                           max_iterations=pagerank_settings.max_iterations)
            pagerank = weighted_pagerank(numbered, vertices, **options)
            seed_users = sorted(row[0] for row in names.where(F.col("user_id").isin(list(seeds)))
                                .select("user_id").collect()) if seeds else []
            personalized = (weighted_pagerank(numbered, vertices, personalization=F.col("seed").cast("double"),
                                              **options).scores if seed_users else None)
        with timed(stage_seconds, "paths"):
            paths = path_centralities(spark, numbered, vertices, n=n, m=m,
                                      exact_max_work=settings.paths.exact_max_work, samples=settings.paths.samples,
                                      delta=settings.paths.delta, seed=seed)
        hll = settings.graphframes
        balls = None
        with timed(stage_seconds, "hyperball"):
            paths_two_hop = two_hop_paths(numbered)
            reach_exact = paths.exact or paths_two_hop <= settings.reach.exact_max_paths
            if not paths.exact:  # harmonic closeness from the balls
                balls = hyperball(numbered, vertices, n=n, lg_config_k=hll.hll_lg_config_k, z=hll.hll_z)
        with timed(stage_seconds, "reach"):
            if paths.exact:
                reach = paths.frame.select("id", "reach_2hop", F.lit(0.0).alias("reach_2hop_error"))
            elif reach_exact:
                reach = exact_reach_2hop(numbered, vertices).select("id", "reach_2hop",
                                                                    F.lit(0.0).alias("reach_2hop_error"))
            else:
                reach = balls.frame.select("id", "reach_2hop", "reach_2hop_error")
            reach = reach.localCheckpoint(eager=True)
        with timed(stage_seconds, "communities"):
            found = louvain(numbered, vertices, resolution=settings.communities.resolution,
                            max_levels=hll.louvain_max_levels, max_rounds=hll.louvain_max_rounds, seed=seed)
            shares = participation(numbered, found.membership)
            cores = core_numbers(numbered, vertices.select("id"))
        harmonic = (paths.frame.select("id", "harmonic", F.lit(0.0).alias("harmonic_error")) if paths.exact
                    else balls.frame.select("id", "harmonic", "harmonic_error"))
        community_names = found.membership.join(
            names.select(F.col("id").alias("community"), F.col("user_id").alias("community_id")), "community")
        contract = tables.table(tables.SCORES)
        with timed(stage_seconds, "to_users"):
            joined = (names.join(pagerank.scores, "id")
                      .join(personalized.withColumnRenamed("pagerank", "personalized_pagerank")
                            if personalized is not None else names.select("id", F.lit(None).cast("double")
                                                                           .alias("personalized_pagerank")), "id")
                      .join(paths.frame.select("id", "betweenness", "betweenness_error"), "id")
                      .join(harmonic, "id").join(reach, "id")
                      .join(community_names.select("id", "community_id"), "id")
                      .join(shares, "id").join(cores, "id"))
            metrics = joined.select(*(_settled(F.col(c), contract.schema[c].dataType).alias(c)
                                      for c in METRIC_COLUMNS)).localCheckpoint(eager=True)
            bounds = _bounds(metrics, paths.exact)
        summary: dict[str, Any] = {
            "pagerank_iterations": pagerank.iterations,
            "pagerank_l1_change": pagerank.l1_change,
            "pagerank_seeds": seed_users,
            "betweenness_method": "exact" if paths.exact else "sampled",
            "harmonic_method": "exact" if paths.exact else "hyperball",
            "path_samples": 0 if paths.exact else paths.draws,
            "path_sources": 0 if paths.exact else paths.sources,
            "path_delta": paths.delta,
            "harmonic_exact_top": 0,
            **bounds,
            "reach_method": "exact" if reach_exact else "hyperloglog",
            "reach_sketch_size": 0 if reach_exact else 2 ** hll.hll_lg_config_k,
            "reach_delta": 0.0 if reach_exact else _normal_two_sided_tail(hll.hll_z),
            "communities": found.count,
            "modularity": found.modularity,
            "parameters": summary_parameters(settings, reach_two_hop_paths=paths_two_hop,
                                             community_algorithm="louvain-modularity"),
            "stage_seconds": stage_seconds,
        }
        if balls is not None:
            summary["parameters"].update({"hyperball_iterations": balls.iterations,
                                          "hll_lg_config_k": hll.hll_lg_config_k, "hll_z": hll.hll_z})
        summary["parameters"].update({"louvain_levels": found.levels, "louvain_rounds": found.rounds})
        return EngineResult(metrics, summary)


# Spark sums doubles in the order rows arrive, which differs between a cluster and a local
# run by an ulp or two; rounded to this many significant digits (far inside every bound)
# the two give the same values, and users tied in exact arithmetic stay tied for the ranks.
SIGNIFICANT_DIGITS = 10


def _settled(column: Column, data_type: T.DataType) -> Column:
    """``column`` cast to ``data_type``, doubles rounded to ``SIGNIFICANT_DIGITS``."""
    if not isinstance(data_type, T.DoubleType):
        return column.cast(data_type)
    value = column.cast("double")
    scale = F.pow(F.lit(10.0), F.lit(SIGNIFICANT_DIGITS - 1) - F.floor(F.log10(F.abs(value))))
    return F.when(value.isNull() | (value == 0), value).otherwise(F.rint(value * scale) / scale)


def _bounds(metrics: DataFrame, exact: bool, top: int = 100) -> dict[str, Any]:
    """The largest errors and whether the top ``top`` are resolved: for harmonic closeness every
    bound among them below half the top-th estimate, as ``influence.graph.paths.top_resolved``;
    for betweenness the driver engine's figures (``betweenness_figures``) from the top rows
    collected. Three small jobs."""
    figures: dict[str, Any] = {}
    largest = metrics.agg(F.max("betweenness_error"), F.max("harmonic_error")).first()
    for metric, most in zip(("betweenness", "harmonic"), largest):
        figures[f"{metric}_max_error"] = float(most or 0.0)
    leaders = metrics.orderBy(F.col("harmonic").desc(), "user_id").limit(top)
    last, widest = leaders.agg(F.min("harmonic"), F.max("harmonic_error")).first()
    figures["harmonic_top100_resolved"] = bool(not largest[1] or widest < 0.5 * last)
    rows = (metrics.where(F.col("betweenness") > 0).orderBy(F.col("betweenness").desc(), "user_id")
            .limit(top).select("betweenness", "betweenness_error").collect())
    estimate = np.array([row[0] for row in rows], dtype=np.float64)
    error = np.array([row[1] for row in rows], dtype=np.float64)
    figures.update(betweenness_figures(estimate, error, None, "exact" if exact else "sources"))
    return figures


def _normal_two_sided_tail(z: float) -> float:
    """P(|N(0, 1)| > z): the chance that one sketched figure falls outside its bound."""
    import math

    return math.erfc(z / math.sqrt(2.0))
