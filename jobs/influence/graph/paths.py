"""Shortest-path centralities: betweenness and harmonic closeness, exact or sampled.

Both count hops (edge weights are ignored) on the directed graph, as SPEC section 7
defines them. Small graphs get the exact values from igraph; larger ones an estimate
from shortest paths out of uniformly sampled sources (harmonic closeness, and betweenness
on the graphframes engine's terms) or sampled pairs (betweenness, ``graph.betweenness``),
each value with a per-user error bound that holds for all users at once with probability
at least ``1 - delta``.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from influence.graph.betweenness import PairBetweenness, pair_betweenness
from influence.graph.structure import EdgeList

# Sources x users held at once by a block search (distances, path counts, dependencies):
# ~40 MB per block. At 30,000 users (64 sources a block) larger blocks measured slower.
_CELLS_PER_BLOCK = 2_000_000


@dataclass(frozen=True)
class PathCentralities:
    """Per node: ``betweenness`` and ``harmonic`` with their error bounds (0 when exact).

    ``method`` is ``exact`` or ``sampled``; ``draws`` the sources drawn (with replacement)
    and ``sources`` the distinct ones searched; ``delta`` the failure probability of the
    bounds (0 when exact); ``harmonic_exact_top`` how many users got exact harmonic
    values although the rest is sampled; ``pairs`` how betweenness was sampled when it comes
    from pairs (``graph.betweenness``) rather than from the sources.
    """

    betweenness: np.ndarray
    betweenness_error: np.ndarray
    harmonic: np.ndarray
    harmonic_error: np.ndarray
    method: str
    draws: int
    sources: int
    delta: float
    harmonic_exact_top: int = 0
    pairs: PairBetweenness | None = None


def path_centralities(graph: EdgeList, *, exact_max_work: float, samples: int, delta: float, seed: int,
                      harmonic_exact_top: int = 0, workers: int = 1, pair_budget: int | None = None,
                      pair_time_budget_seconds: float = math.inf) -> PathCentralities:
    """Exact when ``n * m <= exact_max_work`` (or when ``samples >= n``), else sampled.

    When sampled, harmonic closeness comes from ``samples`` sources, and so does betweenness
    unless ``pair_budget`` is given: then it comes from sampled pairs, progressively, until
    the top is resolved or a budget runs out (``pair_betweenness``), and the sources' searches
    skip Brandes' dependency pass. The ``harmonic_exact_top`` users of highest harmonic
    closeness get their exact value (error 0), found by ``exact_top_harmonic``.
    """
    if graph.n * graph.m <= exact_max_work or samples >= graph.n:
        return exact_path_centralities(graph)
    sampled = sampled_path_centralities(graph, samples=samples, delta=delta, seed=seed, workers=workers,
                                        betweenness=pair_budget is None)
    if pair_budget is not None:
        pairs = pair_betweenness(graph, delta=delta, seed=seed, pair_budget=pair_budget,
                                 time_budget_seconds=pair_time_budget_seconds, threads=workers)
        sampled = replace(sampled, betweenness=pairs.betweenness, betweenness_error=pairs.betweenness_error,
                          pairs=pairs)
    if harmonic_exact_top <= 0:
        return sampled
    nodes, values = exact_top_harmonic(graph, harmonic_exact_top)
    harmonic = np.minimum(sampled.harmonic, values.min(initial=np.inf))
    harmonic_error = sampled.harmonic_error.copy()
    harmonic[nodes], harmonic_error[nodes] = values, 0.0
    return replace(sampled, harmonic=harmonic, harmonic_error=harmonic_error, harmonic_exact_top=len(nodes))


def exact_top_harmonic(graph: EdgeList, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nodes of highest harmonic closeness and their exact (normalised) values.

    Bergamini, Borassi, Crescenzi, Marino and Meyerhenke, "Computing top-k closeness
    centrality faster in unweighted graphs", ACM TKDD 2019 (networkit's
    TopHarmonicCloseness): breadth-first searches cut short once a node provably cannot
    enter the top k. Exact. Cost: O(n m) in the worst case, near O(k m) on social graphs
    (far below the O(n m) of computing every node exactly).

    Every other node's exact value is at most the k-th value, so estimates above it can
    be lowered to it without loosening their bounds.
    """
    import networkit

    # networkit sums over distances *from* a node: the transposed graph gives *towards*.
    algorithm = networkit.centrality.TopHarmonicCloseness(graph.networkit(transposed=True), min(k, graph.n), False)
    algorithm.run()
    nodes = np.asarray(algorithm.topkNodesList(), dtype=np.int64)
    return nodes, np.asarray(algorithm.topkScoresList(), dtype=np.float64) / max(1, graph.n - 1)


def exact_path_centralities(graph: EdgeList) -> PathCentralities:
    """Exact betweenness (Brandes 2001) and harmonic closeness, with igraph's C core.

    Output: ``betweenness`` as ``networkx.betweenness_centrality(G, normalized=True)`` on the
    directed graph (pair dependencies divided by (n-1)(n-2)); ``harmonic`` as
    ``networkx.harmonic_centrality(G) / (n - 1)`` (sum over u != v of 1/d(u, v), distances
    towards v). Errors are zero.

    Cost: O(n m) time for each, O(n + m) memory. igraph measured 2-3x faster than
    networkit's parallel versions on this project's 2-core machine.

    Papers: U. Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol.
    2001; M. Marchiori and V. Latora, "Harmony in the small-world", Physica A 2000.
    """
    n = graph.n
    zeros = np.zeros(n)
    directed = graph.igraph(directed=True)
    betweenness = zeros.copy()
    if n >= 3:
        betweenness = np.asarray(directed.betweenness(directed=True)) / ((n - 1) * (n - 2))
    harmonic = zeros.copy()
    if n >= 2:
        harmonic = np.asarray(directed.harmonic_centrality(mode="in", normalized=False)) / (n - 1)
    return PathCentralities(betweenness, zeros, harmonic, zeros.copy(), "exact", 0, 0, 0.0)


def sampled_path_centralities(graph: EdgeList, *, samples: int, delta: float, seed: int,
                              workers: int = 1, betweenness: bool = True) -> PathCentralities:
    """Betweenness and harmonic closeness estimated from ``samples`` random sources.

    Estimator (Brandes and Pich, "Centrality estimation in large networks", Int. J.
    Bifurcation and Chaos 2007; Eppstein and Wang 2004 for closeness): draw sources s_1..s_k
    uniformly with replacement; from each, one breadth-first search gives the dependencies
    delta_s(v) and the distances d(s, v) (``source_dependencies``). With
    X_i(v) = n delta_{s_i}(v) / ((n-1)(n-2)) and Y_i(v) = n / (d(s_i, v) (n-1)), the means
    of X and Y are unbiased for the normalised betweenness and harmonic closeness.

    Guarantee: each X_i(v), Y_i(v) lies in [0, n/(n-1)]. The empirical Bernstein bound
    (Maurer and Pontil, "Empirical Bernstein bounds and sample variance penalization",
    COLT 2009, Theorem 4), two-sided and with a union bound over the users whose value is
    not known to be 0, gives each user's ``*_error``: |estimate - exact| <= error for all
    users at once with probability >= 1 - delta. The bound follows each user's own
    sample variance, so it is far narrower than a uniform Hoeffding bound where the
    values are small. Users with no in-edges (or, for betweenness, no out-edges) are
    exactly 0 with error 0.

    Cost: O(k m) time (one BFS and one dependency pass per distinct source), shared
    between ``workers`` processes; O(n + m) memory per worker plus a bounded block of
    sources x users. With ``betweenness=False`` the dependency pass is skipped and the
    betweenness columns are left at 0 for the caller to fill; the searches then run one
    source at a time in compiled code shared by ``workers`` threads (``_harmonic_kernel``),
    several times faster than the batched sparse products, which build the path counts
    that only the dependencies need.
    """
    n, k = graph.n, samples
    rng = np.random.default_rng(seed)
    sources, multiplicity = np.unique(rng.integers(0, n, size=k), return_counts=True)
    if not betweenness:
        harmonic_sum, harmonic_sq = _harmonic_sums(graph, sources, multiplicity, workers)
        between_sum = between_sq = np.zeros(n)
        return _estimates(graph, k, len(sources), delta, between_sum, between_sq, harmonic_sum, harmonic_sq)
    block = max(1, _CELLS_PER_BLOCK // n)
    blocks = [(sources[i:i + block], multiplicity[i:i + block]) for i in range(0, len(sources), block)]
    workers = max(1, min(workers, len(blocks)))
    # Contiguous shares of the blocks, summed in a fixed order: the same estimates for a given
    # number of workers, whatever order they finish in.
    shares = [blocks[i * len(blocks) // workers:(i + 1) * len(blocks) // workers] for i in range(workers)]
    if workers == 1:
        partial = [_sampled_sums(graph.adjacency, shares[0], betweenness)]
    else:
        spawn = multiprocessing.get_context("spawn")  # no fork of a driver that runs JVM gateway threads
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            partial = list(pool.map(_sampled_sums, [graph.adjacency] * workers, shares, [betweenness] * workers))
    between_sum, between_sq, harmonic_sum, harmonic_sq = np.sum(partial, axis=0)
    return _estimates(graph, k, len(sources), delta, between_sum, between_sq, harmonic_sum, harmonic_sq)


def _harmonic_sums(graph: EdgeList, sources: np.ndarray, multiplicity: np.ndarray,
                   threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Per user, sum and sum of squares of Y (normalised inverse distances) over the sources
    counted with multiplicity: one compiled search per source, shared by ``threads``."""
    from influence.graph import _harmonic_kernel

    n = graph.n
    adjacency = graph.adjacency
    total, total_sq = _harmonic_kernel.inverse_distance_sums(adjacency.indptr, adjacency.indices, sources,
                                                              multiplicity, threads)
    scale = n / (n - 1)
    return total * scale, total_sq * (scale * scale)


def _estimates(graph: EdgeList, k: int, distinct: int, delta: float, between_sum: np.ndarray,
               between_sq: np.ndarray, harmonic_sum: np.ndarray, harmonic_sq: np.ndarray) -> PathCentralities:
    """The estimates of ``k`` draws and their empirical Bernstein bounds, from the per-user sums."""
    n = graph.n
    betweenness, harmonic = between_sum / k, harmonic_sum / k
    value_range = n / (n - 1)
    can_bridge = (graph.in_degree > 0) & (graph.out_degree > 0)
    reachable = graph.in_degree > 0
    betweenness_error = np.where(can_bridge, empirical_bernstein(
        between_sum, between_sq, k, value_range, delta / max(1, int(can_bridge.sum()))), 0.0)
    harmonic_error = np.where(reachable, empirical_bernstein(
        harmonic_sum, harmonic_sq, k, value_range, delta / max(1, int(reachable.sum()))), 0.0)
    return PathCentralities(betweenness, betweenness_error, harmonic, harmonic_error, "sampled", k, distinct, delta)


def _sampled_sums(adjacency: sparse.csr_matrix, blocks: list[tuple[np.ndarray, np.ndarray]],
                  betweenness: bool = True) -> np.ndarray:
    """Per user, over the blocks' sources counted with multiplicity: sum and sum of squares
    of X (normalised dependencies; 0 without ``betweenness``) and of Y (normalised inverse
    distances), as 4 rows."""
    n = adjacency.shape[0]
    towards = adjacency.T.tocsr()
    sums = np.zeros((4, n))
    scale = n / ((n - 1) * (n - 2))
    for sources, weights in blocks:
        dependency, distance = source_dependencies(adjacency, towards, sources, dependencies=betweenness)
        dependency *= scale
        with np.errstate(divide="ignore"):
            inverse = np.where(distance > 0, 1.0 / distance, 0.0) * (n / (n - 1))
        sums += np.stack([weights @ dependency, weights @ (dependency * dependency),
                          weights @ inverse, weights @ (inverse * inverse)])
    return sums


def source_dependencies(adjacency: sparse.csr_matrix, towards: sparse.csr_matrix,
                        sources: np.ndarray, dependencies: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Brandes' dependencies and hop distances from each of a block of sources, searched together.

    Output, one row per source s and one column per node v: ``dependency[s, v]`` is
    delta_s(v) = sum over targets t != s, v of sigma_st(v) / sigma_st (0 at s itself), and
    ``distance[s, v]`` the hops from s to v (-1 when unreachable). ``adjacency`` holds 1 for
    every edge u -> v and ``towards`` is its transpose; weights are not used.

    Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol. 2001: a BFS
    that counts shortest paths sigma level by level, then the dependencies accumulated
    back from the farthest level. Here each level of every source in the block is one
    sparse matrix product (the frontier's path counts times the adjacency, and back
    through its transpose), the batched algebraic form of Buluc and Gilbert, "The
    Combinatorial BLAS: design, implementation, and applications", IJHPCA 2011. Exact
    (floating point sums). Cost: O(b m) time for b sources, as b separate searches, in
    about 2 x diameter sparse products instead of b library calls, each of which pays an
    O(m) set-up; O(b n) memory. ``bench.run`` times it against those calls side by side.
    Without ``dependencies`` only the forward searches run and ``dependency`` is all 0.
    """
    b, n = len(sources), adjacency.shape[0]
    rows = np.arange(b)
    distance = np.full(b * n, -1, dtype=np.int32)
    paths = np.zeros(b * n)  # sigma: shortest paths from the row's source
    start = rows * n + sources
    distance[start], paths[start] = 0, 1.0
    levels = [start]  # flat (source, node) cells of each BFS level
    frontier = _block_rows(np.ones(b), rows, np.asarray(sources), b, n)
    while True:
        reached = frontier @ adjacency  # path counts into every successor of the frontier
        reached_rows = np.repeat(rows, np.diff(reached.indptr))
        cells = reached_rows * n + reached.indices
        new = distance[cells] < 0
        if not new.any():
            break
        cells, counts = cells[new], reached.data[new]
        distance[cells], paths[cells] = len(levels), counts
        levels.append(cells)
        frontier = _block_rows(counts, reached_rows[new], reached.indices[new], b, n)
    dependency = np.zeros(b * n)
    for level in range(len(levels) - 1, 0, -1) if dependencies else ():
        cells = levels[level]
        owners, nodes = np.divmod(cells, n)
        share = _block_rows((1.0 + dependency[cells]) / paths[cells], owners, nodes, b, n) @ towards
        back = np.repeat(rows, np.diff(share.indptr)) * n + share.indices
        parent = distance[back] == level - 1
        back = back[parent]
        dependency[back] = paths[back] * share.data[parent]
    dependency[start] = 0.0
    return dependency.reshape(b, n), distance.reshape(b, n)


def _block_rows(values: np.ndarray, rows: np.ndarray, columns: np.ndarray, b: int, n: int) -> sparse.csr_matrix:
    """A b x n CSR matrix from entries already ordered by row (no sort, no duplicates)."""
    indptr = np.zeros(b + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=b), out=indptr[1:])
    return sparse.csr_matrix((values, columns, indptr), shape=(b, n))


def empirical_bernstein(total: np.ndarray, total_sq: np.ndarray, k: int, value_range: float,
                        delta: float) -> np.ndarray:
    """Half-width of a two-sided empirical Bernstein interval for the mean of k draws.

    For i.i.d. draws in [0, R] with sample variance V, |mean - E| is at most
    ``sqrt(2 V ln(4/delta) / k) + 7 R ln(4/delta) / (3 (k - 1))`` with probability
    >= 1 - delta (Maurer and Pontil 2009, Theorem 4, applied to each tail at delta/2).
    """
    if k < 2:
        return np.full_like(total, value_range)
    mean = total / k
    variance = np.maximum(total_sq - k * mean * mean, 0.0) / (k - 1)
    log_term = math.log(4.0 / delta)
    return np.sqrt(2.0 * variance * log_term / k) + 7.0 * value_range * log_term / (3.0 * (k - 1))


def top_resolved(estimate: np.ndarray, error: np.ndarray, top: int = 100) -> bool:
    """Whether the top ``top`` is resolved: every bound among them below half the top-th value."""
    if len(estimate) == 0 or not error.any():
        return True
    order = np.argsort(-estimate, kind="stable")[:top]
    return bool(error[order].max() < 0.5 * estimate[order[-1]])
