"""The single-machine engine: the edge list to the driver through Arrow, compiled libraries there.

The aggregated graph of a window is usually far smaller than the interaction log. Moved
to the driver, it is computed with scipy sparse (PageRank, reach, sampled shortest paths)
and igraph's C core (exact shortest paths, Leiden, cores), 30-1000x faster than the same
algorithms as Spark joins. networkit finds the exact top harmonic closeness; igraph
measured 2-3x faster than networkit for exact betweenness and harmonic closeness of every
node on this machine, so it does that work.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from influence import tables
from influence.config import Settings
from influence.graph.communities import communities
from influence.graph.engines import METRIC_COLUMNS, EngineResult, summary_parameters, timed
from influence.graph.pagerank import weighted_pagerank
from influence.graph.betweenness import betweenness_figures
from influence.graph.paths import path_centralities, top_resolved
from influence.graph.reach import reach_2hop
from influence.graph.structure import EdgeList


class NetworkitEngine:
    name = "networkit"

    def compute(self, spark: SparkSession, edges: DataFrame, settings: Settings, *, seed: int) -> EngineResult:
        stage_seconds: dict[str, float] = {}
        with timed(stage_seconds, "to_driver"):
            graph = EdgeList.from_frame(edges.select("src", "dst", "weight").toPandas())
        metrics, summary = compute_metrics(graph, settings, seed=seed, stage_seconds=stage_seconds)
        with timed(stage_seconds, "to_spark"):
            contract = tables.table(tables.SCORES)
            schema = T.StructType([contract.schema[c] for c in METRIC_COLUMNS])
            frame = spark.createDataFrame(metrics, schema=schema)
        summary["stage_seconds"] = stage_seconds
        return EngineResult(frame, summary)


def compute_metrics(graph: EdgeList, settings: Settings, *, seed: int,
                    stage_seconds: dict[str, float] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every metric of ``METRIC_COLUMNS`` for the nodes of ``graph``, and the summary fields.

    Output: a pandas frame with one row per node and the summary dict (parameters,
    methods, error bounds). Cost: PageRank O(iterations x m); betweenness and harmonic
    O(n m) exact or O(samples x m) sampled; reach O(two-hop paths) exact or
    O(sketch_size x m); Leiden about O(m) per pass; cores and participation O(m).
    """
    stage_seconds = {} if stage_seconds is None else stage_seconds
    pagerank_settings = settings.pagerank
    with timed(stage_seconds, "pagerank"):
        pagerank = weighted_pagerank(
            graph.src, graph.dst, graph.weight, graph.n, damping=pagerank_settings.damping,
            tolerance=pagerank_settings.tolerance, max_iterations=pagerank_settings.max_iterations)
        seeds = np.isin(graph.ids, list(pagerank_settings.seeds))
        personalized = None
        if seeds.any():
            personalized = weighted_pagerank(
                graph.src, graph.dst, graph.weight, graph.n, damping=pagerank_settings.damping,
                tolerance=pagerank_settings.tolerance, max_iterations=pagerank_settings.max_iterations,
                personalization=seeds.astype(np.float64)).scores
    with timed(stage_seconds, "paths"):
        paths = path_centralities(graph, exact_max_work=settings.paths.exact_max_work,
                                  samples=settings.paths.samples, delta=settings.paths.delta, seed=seed,
                                  harmonic_exact_top=settings.paths.harmonic_exact_top,
                                  workers=settings.paths.workers or os.cpu_count() or 1,
                                  pair_budget=settings.paths.pair_budget,
                                  pair_time_budget_seconds=settings.paths.pair_time_budget_seconds)
    with timed(stage_seconds, "reach"):
        reach = reach_2hop(graph, exact_max_paths=settings.reach.exact_max_paths,
                           sketch_size=settings.reach.sketch_size, delta=settings.reach.delta, seed=seed + 1)
    with timed(stage_seconds, "communities"):
        found = communities(graph, resolution=settings.communities.resolution, seed=seed)

    metrics = pd.DataFrame({
        "user_id": graph.ids,
        "pagerank": pagerank.scores,
        "personalized_pagerank": personalized,  # None: a column of nulls
        "betweenness": paths.betweenness,
        "betweenness_error": paths.betweenness_error,
        "harmonic": paths.harmonic,
        "harmonic_error": paths.harmonic_error,
        "reach_2hop": np.rint(reach.reach_2hop).astype(np.int64),
        "reach_2hop_error": reach.reach_2hop_error,
        "community_id": community_names(graph.ids, found.community),
        "participation": found.participation,
        "kcore": found.kcore.astype(np.int32),
    })
    summary = {
        "pagerank_iterations": pagerank.iterations,
        "pagerank_l1_change": pagerank.l1_change,
        "pagerank_seeds": sorted(graph.ids[seeds].tolist()),
        "betweenness_method": paths.method,
        "harmonic_method": paths.method,
        "path_samples": paths.draws,
        "path_sources": paths.sources,
        "path_delta": paths.delta,
        "harmonic_exact_top": paths.harmonic_exact_top,
        "betweenness_max_error": float(paths.betweenness_error.max(initial=0.0)),
        **betweenness_figures(paths.betweenness, paths.betweenness_error, paths.pairs,
                              "exact" if paths.method == "exact" else "pairs"),
        "harmonic_max_error": float(paths.harmonic_error.max(initial=0.0)),
        "harmonic_top100_resolved": top_resolved(paths.harmonic, paths.harmonic_error),
        "reach_method": reach.method,
        "reach_sketch_size": reach.sketch_size,
        "reach_delta": reach.delta,
        "communities": found.count,
        "modularity": found.modularity,
        "parameters": summary_parameters(settings, reach_two_hop_paths=reach.two_hop_paths,
                                         community_algorithm="leiden-modularity"),
    }
    return metrics, summary


def community_names(ids: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Each node's community named by its smallest member id, so it reads the same on reruns."""
    if len(ids) == 0:
        return ids
    order = np.lexsort((ids, membership))
    first = np.r_[True, membership[order][1:] != membership[order][:-1]]
    smallest = np.empty(int(membership.max()) + 1, dtype=object)
    smallest[membership[order][first]] = ids[order][first]
    return smallest[membership].astype(str)
