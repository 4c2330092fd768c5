"""Graph metric engines behind one interface, and the choice between them.

An engine takes the ``silver/edges`` rows of one date (``src, dst, weight``) and returns
one row per user with every metric of SPEC section 7 that the graph alone determines
(the columns of ``METRIC_COLUMNS``), plus a summary of the parameters, error bounds and
stage times it used (the ``gold/network_summary`` fields).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol

from pyspark.sql import DataFrame, SparkSession

from influence.config import Settings
from influence.errors import InfluenceError

METRIC_COLUMNS = (
    "user_id", "pagerank", "personalized_pagerank", "betweenness", "betweenness_error", "harmonic",
    "harmonic_error", "reach_2hop", "reach_2hop_error", "community_id", "participation", "kcore",
)


@dataclass(frozen=True)
class EngineResult:
    """``metrics``: one row per user with ``METRIC_COLUMNS``; ``summary``: what was used."""

    metrics: DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


class GraphEngine(Protocol):
    name: str

    def compute(self, spark: SparkSession, edges: DataFrame, settings: Settings, *, seed: int) -> EngineResult:
        """Metrics of the graph ``edges`` (``src, dst, weight``); randomised steps use ``seed``."""
        ...


@contextmanager
def timed(into: dict[str, float], stage: str) -> Iterator[None]:
    """Records the wall time of the block in ``into[stage]`` (the summary's stage times)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        into[stage] = round(time.perf_counter() - started, 3)


def summary_parameters(settings: Settings, *, reach_two_hop_paths: int, community_algorithm: str) -> dict[str, Any]:
    """The ``parameters`` map of ``gold/network_summary`` that every engine reports."""
    return {
        "pagerank_damping": settings.pagerank.damping,
        "pagerank_tolerance": settings.pagerank.tolerance,
        "path_exact_max_work": settings.paths.exact_max_work,
        "path_pair_budget": settings.paths.pair_budget,
        "path_pair_time_budget_seconds": settings.paths.pair_time_budget_seconds,
        "reach_exact_max_paths": settings.reach.exact_max_paths,
        "reach_two_hop_paths": reach_two_hop_paths,
        "community_algorithm": community_algorithm,
        "community_resolution": settings.communities.resolution,
    }


def choose_engine(requested: str, n_edges: int, settings: Settings) -> tuple[GraphEngine, str]:
    """The engine to use and why, in words for the run summary.

    ``auto`` keeps graphs up to ``driver_max_edges`` on the driver, where compiled
    libraries beat Spark joins by 30-1000x, and gives larger ones to the graphframes engine,
    which holds nothing per user on the driver.
    """
    from influence.graph.engines.graphframes import GraphFramesEngine
    from influence.graph.engines.networkit import NetworkitEngine

    if requested == "networkit":
        return NetworkitEngine(), "requested"
    if requested == "graphframes":
        return GraphFramesEngine(), "requested"
    if requested == "auto":
        if n_edges <= settings.driver_max_edges:
            return NetworkitEngine(), f"auto: {n_edges:,} edges <= driver_max_edges {settings.driver_max_edges:,}"
        return GraphFramesEngine(), f"auto: {n_edges:,} edges > driver_max_edges {settings.driver_max_edges:,}"
    raise InfluenceError(f"unknown engine {requested!r} (choose auto, networkit or graphframes)")
