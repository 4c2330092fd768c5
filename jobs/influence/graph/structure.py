"""The aggregated graph on the driver: node ids and edge arrays, and views for libraries."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass(frozen=True, eq=False)
class EdgeList:
    """A directed weighted graph with nodes ``0..n-1``; ``ids[i]`` is node i's user id.

    Edges are unique per (src, dst) and carry no self-loops, as ``silver/edges`` holds them.
    """

    ids: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    @classmethod
    def from_frame(cls, edges: pd.DataFrame) -> "EdgeList":
        """From a frame with ``src, dst, weight`` columns of user ids and weights."""
        both = np.concatenate([edges["src"].to_numpy(), edges["dst"].to_numpy()])
        ids, codes = np.unique(both, return_inverse=True)
        m = len(edges)
        return cls(ids=ids.astype(str), src=codes[:m].astype(np.int64), dst=codes[m:].astype(np.int64),
                   weight=edges["weight"].to_numpy(dtype=np.float64))

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]] | list[tuple[str, str, float]]) -> "EdgeList":
        """From ``(src, dst[, weight])`` tuples; handy for tiny graphs."""
        frame = pd.DataFrame([p if len(p) == 3 else (*p, 1.0) for p in pairs], columns=["src", "dst", "weight"])
        return cls.from_frame(frame)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def m(self) -> int:
        return len(self.src)

    @functools.cached_property
    def adjacency(self) -> sparse.csr_matrix:
        """``A[u, v] = 1`` for every edge u -> v (unweighted: hop distances)."""
        return sparse.csr_matrix((np.ones(self.m), (self.src, self.dst)), shape=(self.n, self.n))

    @functools.cached_property
    def in_degree(self) -> np.ndarray:
        return np.bincount(self.dst, minlength=self.n)

    @functools.cached_property
    def out_degree(self) -> np.ndarray:
        return np.bincount(self.src, minlength=self.n)

    @functools.cached_property
    def in_two_cycle(self) -> np.ndarray:
        """Per node: whether one of its edges is reciprocated (u -> v and v -> u)."""
        reverse = sparse.csr_matrix((np.ones(self.m), (self.dst, self.src)), shape=(self.n, self.n))
        flags = np.zeros(self.n, dtype=bool)
        flags[self.adjacency.multiply(reverse).tocoo().row] = True
        return flags

    @functools.cached_property
    def undirected(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each contact pair once (``a < b``), weights of both directions summed."""
        a, b = np.minimum(self.src, self.dst), np.maximum(self.src, self.dst)
        key, inverse = np.unique(a * self.n + b, return_inverse=True)
        weight = np.bincount(inverse, weights=self.weight)
        return key // self.n, key % self.n, weight

    def igraph(self, directed: bool = True):
        import igraph

        if directed:
            return igraph.Graph(n=self.n, edges=np.column_stack([self.src, self.dst]), directed=True,
                                edge_attrs={"weight": self.weight})
        a, b, weight = self.undirected
        return igraph.Graph(n=self.n, edges=np.column_stack([a, b]), directed=False, edge_attrs={"weight": weight})

    def networkit(self, *, transposed: bool = False):
        """Unweighted directed networkit graph (``transposed`` flips every edge)."""
        import networkit

        rows, cols = (self.dst, self.src) if transposed else (self.src, self.dst)
        return networkit.graph.GraphFromCoo((rows.astype(np.uint64), cols.astype(np.uint64)), n=self.n,
                                            weighted=False, directed=True)
