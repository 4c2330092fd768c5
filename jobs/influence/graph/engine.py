"""Graph metric engines behind one interface.

An engine takes the ``silver/edges`` rows of one date and returns one row per user with
the metrics it computes, plus the parameters and bounds it used (for the run summary).

``local`` moves the edge list to the driver through Arrow and computes there with
compiled single-machine libraries (scipy sparse for PageRank). It suits every graph that
fits the driver, which is most aggregated interaction graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from influence.config import Settings
from influence.graph.pagerank import weighted_pagerank


@dataclass(frozen=True)
class EngineResult:
    """``metrics``: ``user_id`` and one column per metric; ``parameters``: what was used."""

    metrics: DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)


class GraphEngine(Protocol):
    name: str

    def compute(self, spark: SparkSession, edges: DataFrame, settings: Settings) -> EngineResult: ...


class LocalEngine:
    """Single-machine engine: Arrow to the driver, compiled libraries, Arrow back."""

    name = "local"

    def compute(self, spark: SparkSession, edges: DataFrame, settings: Settings) -> EngineResult:
        edge_list = edges.select("src", "dst", "weight").toPandas()
        users, codes = np.unique(
            np.concatenate([edge_list["src"].to_numpy(), edge_list["dst"].to_numpy()]), return_inverse=True
        )
        n_edges = len(edge_list)
        params = settings.pagerank
        result = weighted_pagerank(
            codes[:n_edges], codes[n_edges:], edge_list["weight"].to_numpy(), len(users),
            damping=params.damping, tolerance=params.tolerance, max_iterations=params.max_iterations,
        )
        metrics = pd.DataFrame({"user_id": users.astype(str), "pagerank": result.scores})
        schema = "user_id string, pagerank double"
        return EngineResult(
            metrics=spark.createDataFrame(metrics, schema=schema),
            parameters={
                "engine": self.name,
                "pagerank_damping": params.damping,
                "pagerank_tolerance": params.tolerance,
                "pagerank_iterations": result.iterations,
                "pagerank_l1_change": result.l1_change,
            },
        )


ENGINES: dict[str, type] = {"local": LocalEngine}


def get_engine(name: str) -> GraphEngine:
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"unknown engine {name!r} (have: {', '.join(ENGINES)})") from None
