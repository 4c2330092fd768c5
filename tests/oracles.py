"""Peer implementations (networkx) of every graph metric, to check the engine against."""

from __future__ import annotations

import networkx as nx
import numpy as np

from influence.graph.structure import EdgeList


def digraph(graph: EdgeList) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n))
    g.add_weighted_edges_from(zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist()))
    return g


def undirected(graph: EdgeList) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    a, b, w = graph.undirected
    g.add_weighted_edges_from(zip(a.tolist(), b.tolist(), w.tolist()))
    return g


def as_array(values: dict[int, float], n: int) -> np.ndarray:
    return np.array([values[i] for i in range(n)], dtype=float)


def betweenness(graph: EdgeList) -> np.ndarray:
    return as_array(nx.betweenness_centrality(digraph(graph), normalized=True), graph.n)


def harmonic(graph: EdgeList) -> np.ndarray:
    return as_array(nx.harmonic_centrality(digraph(graph)), graph.n) / max(1, graph.n - 1)


def reach_2hop(graph: EdgeList) -> np.ndarray:
    towards = digraph(graph).reverse(copy=False)
    return np.array([len(nx.single_source_shortest_path_length(towards, v, cutoff=2)) - 1 for v in range(graph.n)])


def kcore(graph: EdgeList) -> np.ndarray:
    return as_array(nx.core_number(undirected(graph)), graph.n)


def louvain_modularity(graph: EdgeList, seed: int = 1) -> float:
    g = undirected(graph)
    return nx.community.modularity(g, nx.community.louvain_communities(g, weight="weight", seed=seed), weight="weight")


def modularity(graph: EdgeList, membership: np.ndarray) -> float:
    groups: dict[int, set[int]] = {}
    for node, group in enumerate(membership.tolist()):
        groups.setdefault(group, set()).add(node)
    return nx.community.modularity(undirected(graph), groups.values(), weight="weight")


def top_overlap(estimate: np.ndarray, exact: np.ndarray, k: int = 100) -> float:
    k = min(k, len(exact))
    return len(set(np.argsort(-estimate, kind="stable")[:k]) & set(np.argsort(-exact, kind="stable")[:k])) / k


def networkit_betweenness(graph: EdgeList) -> np.ndarray:
    """networkit's exact Brandes, normalised like networkx (directed)."""
    import networkit

    algorithm = networkit.centrality.Betweenness(graph.networkit(), normalized=False)
    algorithm.run()
    return np.asarray(algorithm.scores()) / ((graph.n - 1) * (graph.n - 2))


def networkit_harmonic(graph: EdgeList) -> np.ndarray:
    """networkit's exact harmonic closeness on the transposed graph: distances towards v."""
    import networkit

    algorithm = networkit.centrality.HarmonicCloseness(graph.networkit(transposed=True), normalized=False)
    algorithm.run()
    return np.asarray(algorithm.scores()) / (graph.n - 1)
