"""Graphs for metric tests: random ones, and ones from the project's own generator."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from influence.generate import generate
from influence.graph.structure import EdgeList


def random_graph(n: int = 80, p: float = 0.05, seed: int = 3) -> EdgeList:
    """A directed G(n, p) graph with weights uniform in [0.5, 3]."""
    g = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    rng = np.random.default_rng(seed)
    return EdgeList.from_pairs([(f"u{a:03d}", f"u{b:03d}", float(w)) for (a, b), w in
                                zip(g.edges(), rng.uniform(0.5, 3.0, g.number_of_edges()))])


def generated_graph(users: int, days: int, seed: int = 11) -> EdgeList:
    """The generator's interactions aggregated per (actor, target), weight = interactions."""
    export = generate(users=users, days=days, seed=seed)
    pairs = pd.DataFrame({"src": export.user_ids[export.actor], "dst": export.user_ids[export.target]})
    return EdgeList.from_frame(pairs.groupby(["src", "dst"]).size().rename("weight").reset_index())


def frames_of(spark, graph: EdgeList):
    """``graph`` as the graphframes engine's numbered ``edges`` and ``vertices`` frames."""
    edges = spark.createDataFrame(pd.DataFrame({"src": graph.src, "dst": graph.dst, "weight": graph.weight}))
    return edges, spark.range(graph.n)


def by_id(frame, column):
    """``column`` of a per-vertex frame, in vertex order."""
    return frame.toPandas().sort_values("id")[column].to_numpy()
