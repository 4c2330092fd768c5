"""The compiled inner loop of sampled harmonic closeness (``graph.paths``).

One breadth-first search per sampled source along out-edges, adding the source's
multiplicity over the hop distance (and over its square) to every node it reaches.
Compiled with numba (cached on disk after the first call); the kernel releases the GIL, so
threads share the sources without the processes (and their start-up) that the batched
sparse-matrix searches needed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _inverse_distances(ptr, idx, sources, weights, first, count, total, total_sq):
    """For sources ``first .. first + count - 1``: ``total[v] += w_s / d(s, v)`` and
    ``total_sq[v] += w_s / d(s, v)^2`` for every node v != s the source reaches."""
    n = len(ptr) - 1
    dist = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    for i in range(first, first + count):
        source, weight = sources[i], weights[i]
        dist[source], queue[0] = 0, source
        head, tail = 0, 1
        while head < tail:
            v = queue[head]
            head += 1
            hops = dist[v] + 1
            inverse = 1.0 / hops
            for e in range(ptr[v], ptr[v + 1]):
                w = idx[e]
                if dist[w] < 0:
                    dist[w] = hops
                    queue[tail] = w
                    tail += 1
                    total[w] += weight * inverse
                    total_sq[w] += weight * inverse * inverse
        for j in range(tail):
            dist[queue[j]] = -1


def inverse_distance_sums(ptr: np.ndarray, idx: np.ndarray, sources: np.ndarray, weights: np.ndarray,
                          threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Per node v, over the sources s with multiplicity w_s: sum of w_s / d(s, v) and of
    w_s / d(s, v)^2, on the CSR graph ``ptr, idx`` (out-edges). The sources are split into
    ``threads`` contiguous shares summed in order: the same sums for a given thread count."""
    n, k = len(ptr) - 1, len(sources)
    threads = max(1, min(threads, k))
    shares = [(i * k // threads, (i + 1) * k // threads - i * k // threads) for i in range(threads)]
    partial = [(np.zeros(n), np.zeros(n)) for _ in shares]
    ptr, idx = ptr.astype(np.int64), idx.astype(np.int64)
    sources, weights = sources.astype(np.int64), weights.astype(np.float64)

    def run(share, into):
        _inverse_distances(ptr, idx, sources, weights, share[0], share[1], into[0], into[1])

    if threads == 1:
        run(shares[0], partial[0])
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, shares, partial))
    total = np.zeros(n)
    total_sq = np.zeros(n)
    for part, part_sq in partial:
        total += part
        total_sq += part_sq
    return total, total_sq
