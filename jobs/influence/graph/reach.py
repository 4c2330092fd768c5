"""Two-hop reach: how many distinct users can reach a user in at most two hops."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from influence.graph.structure import EdgeList

# Two-hop paths expanded per block of rows in the exact count (bounds driver memory).
_PATHS_PER_BLOCK = 20_000_000
# Edges gathered at once when propagating sketches.
_SKETCH_CELLS_PER_BLOCK = 20_000_000


@dataclass(frozen=True)
class Reach:
    """``reach_2hop`` per node, its error bound (0 when exact), how and with what."""

    reach_2hop: np.ndarray
    reach_2hop_error: np.ndarray
    method: str
    two_hop_paths: int
    sketch_size: int
    delta: float


def two_hop_paths(graph: EdgeList) -> int:
    """The number of paths u -> w -> v: the work of an exact count (sum of in x out degree)."""
    return int(np.dot(graph.in_degree.astype(np.float64), graph.out_degree.astype(np.float64)))


def reach_2hop(graph: EdgeList, *, exact_max_paths: float, sketch_size: int, delta: float, seed: int) -> Reach:
    """Exact while the two-hop paths are at most ``exact_max_paths``, else estimated."""
    paths = two_hop_paths(graph)
    if paths <= exact_max_paths:
        return Reach(exact_reach_2hop(graph), np.zeros(graph.n), "exact", paths, 0, 0.0)
    estimate, error = estimated_reach_2hop(graph, sketch_size=sketch_size, delta=delta, seed=seed)
    return Reach(estimate, error, "sketch", paths, sketch_size, delta)


def exact_reach_2hop(graph: EdgeList) -> np.ndarray:
    """``|{u != v : u reaches v in one or two hops}|`` for every node v.

    Output: one count per node. Cost: O(two-hop paths) time, done in row blocks of the
    sparse products ``B + B B`` with ``B`` the transposed adjacency, so memory stays
    bounded. v itself is in its own two-hop set exactly when one of its edges is
    reciprocated (there are no self-loops), and is taken out.
    """
    towards = graph.adjacency.T.tocsr()
    paths_per_row = towards @ graph.in_degree.astype(np.float64)
    counts = np.zeros(graph.n, dtype=np.int64)
    bounds = _blocks(np.cumsum(paths_per_row + towards.getnnz(axis=1)), _PATHS_PER_BLOCK)
    for start, stop in bounds:
        rows = towards[start:stop]
        reached = (rows + rows @ towards).tocsr()
        counts[start:stop] = np.diff(reached.indptr)
    return counts - graph.in_two_cycle


def estimated_reach_2hop(graph: EdgeList, *, sketch_size: int, delta: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-hop reach from min-hash sketches, with a per-user bound.

    Estimator (Cohen, "Size-estimation framework with applications to transitive closure
    and reachability", JCSS 1997): every user gets ``k = sketch_size`` independent
    uniform labels; a node's sketch is the element-wise minimum of the labels within two
    hops, propagated along the edges twice. With ``E_j = -ln(1 - min_j)``, the sum
    ``S = sum_j E_j`` is Gamma(k, N) for a set of N users, so ``(k - 1) / S`` is unbiased.

    Guarantee: ``reach_2hop_error`` is the half-width of the exact Gamma interval at
    level ``delta / users``, so it holds for all users at once with probability >= 1 - delta;
    its relative width is about ``2 z / sqrt(k)``.

    Cost: O(k m) time, O(k n) memory (float32 labels, edges gathered in blocks).
    """
    rng = np.random.default_rng(seed)
    k = sketch_size
    labels = rng.random((graph.n, k), dtype=np.float32)
    order = np.argsort(graph.dst, kind="stable")
    src, dst = graph.src[order], graph.dst[order]
    one_hop = _propagate_min(labels, src, dst, graph.n)
    two_hop = np.minimum(one_hop, _propagate_min(one_hop, src, dst, graph.n))
    has_in = graph.in_degree > 0
    with np.errstate(divide="ignore"):  # nodes reached by nobody keep labels of 1: masked below
        total = -np.log1p(-two_hop.astype(np.float64)).sum(axis=1)
    per_user = delta / max(1, int(has_in.sum()))
    low, high = stats.gamma.ppf([per_user / 2, 1 - per_user / 2], k)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(has_in, (k - 1) / total, 0.0)
        error = np.where(has_in, np.maximum(estimate - low / total, high / total - estimate), 0.0)
    return np.maximum(estimate - graph.in_two_cycle, 0.0), error


def _propagate_min(values: np.ndarray, src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """Per node, the element-wise minimum of ``values`` over its in-neighbours (1 where none).

    ``dst`` must be sorted.
    """
    result = np.ones_like(values)
    step = max(1, _SKETCH_CELLS_PER_BLOCK // values.shape[1])
    start = 0
    while start < len(dst):
        stop = min(len(dst), start + step)
        # never split one node's in-edges across blocks
        stop = int(np.searchsorted(dst, dst[stop - 1], side="right"))
        block_dst = dst[start:stop]
        heads = np.flatnonzero(np.r_[True, block_dst[1:] != block_dst[:-1]])
        result[block_dst[heads]] = np.minimum.reduceat(values[src[start:stop]], heads, axis=0)
        start = stop
    return result


def _blocks(cumulative_work: np.ndarray, per_block: float) -> list[tuple[int, int]]:
    """Row ranges whose work is about ``per_block`` each (at least one row)."""
    bounds, start, done = [], 0, 0.0
    n = len(cumulative_work)
    while start < n:
        stop = int(np.searchsorted(cumulative_work, done + per_block, side="right"))
        stop = max(stop, start + 1)
        bounds.append((start, min(stop, n)))
        done = cumulative_work[min(stop, n) - 1]
        start = stop
    return bounds
