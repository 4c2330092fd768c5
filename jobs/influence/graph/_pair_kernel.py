"""The compiled inner loop of pair-sampled betweenness (``graph.betweenness``).

One ordered pair at a time: a balanced bidirectional BFS, then one uniformly random
shortest path drawn back from the balls' meeting layer, and a hit for each inner node.
Compiled with numba (cached on disk after the first call); the random numbers are a
counter-based generator keyed by (seed, pair index), so the hits do not depend on how the
pairs are split between threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_UNIT = 1.0 / 9007199254740992.0  # 2^-53


@njit(cache=True, inline="always")
def _next(state):
    """splitmix64 (Steele, Lea and Flood, OOPSLA 2014): the next state and its output."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _uniform(state):
    state, z = _next(state)
    return state, float(z >> np.uint64(11)) * _UNIT


@njit(cache=True, inline="always")
def _grow(ptr, idx, dist, sig, seen, count, low, high, depth, other, meet):
    """One BFS level of one ball, from its frontier ``seen[low:high]`` at ``depth``: path
    counts added up, new nodes appended to ``seen``. Returns the new count of ``seen``, the
    new frontier's degree sum and how many of its nodes the other ball holds (put in ``meet``)."""
    for index in range(low, high):
        v = seen[index]
        paths = sig[v]
        for e in range(ptr[v], ptr[v + 1]):
            w = idx[e]
            if dist[w] < 0:
                dist[w], sig[w] = depth + 1, paths
                seen[count] = w
                count += 1
            elif dist[w] == depth + 1:
                sig[w] += paths
    degree, met = 0, 0
    for index in range(high, count):
        w = seen[index]
        degree += ptr[w + 1] - ptr[w]
        if other[w] >= 0:
            meet[met] = w
            met += 1
    return count, degree, met


@njit(cache=True, inline="always")
def _walk(ptr, idx, dist, sig, start, end, state, hits):
    """From ``start`` back to the ball's centre ``end``: at each step a neighbour one level
    closer, chosen in proportion to its path count (so the path is uniform among the
    shortest), with a hit for every node passed but ``end``. Returns the generator's state."""
    current = start
    while dist[current] > 0:
        state, u = _uniform(state)
        goal, running, chosen = u * sig[current], 0.0, -1
        for e in range(ptr[current], ptr[current + 1]):
            v = idx[e]
            if dist[v] == dist[current] - 1:
                chosen = v
                running += sig[v]
                if running > goal:
                    break
        current = chosen
        if current != end:
            hits[current] += 1
    return state


@njit(cache=True, nogil=True)
def _hits(out_ptr, out_idx, in_ptr, in_idx, sources, targets, seed, first, count, hits):
    """Add to ``hits`` the inner nodes of one random shortest path for each of ``count``
    pairs numbered from ``first``."""
    n = len(out_ptr) - 1
    dist_f = np.full(n, -1, dtype=np.int32)
    dist_b = np.full(n, -1, dtype=np.int32)
    sig_f = np.zeros(n)
    sig_b = np.zeros(n)
    seen_f = np.empty(n, dtype=np.int64)
    seen_b = np.empty(n, dtype=np.int64)
    meet = np.empty(n, dtype=np.int64)
    for j in range(count):
        _, key = _next(seed ^ np.uint64(first + j) * _GOLDEN)
        state, key = _next(key)
        s, t = 0, 0
        while s == t:  # both redrawn: redrawing t alone would favour sources that are also targets
            state, u = _uniform(state)
            s = sources[int(u * len(sources))]
            state, u = _uniform(state)
            t = targets[int(u * len(targets))]
        dist_f[s], sig_f[s], seen_f[0] = 0, 1.0, s
        dist_b[t], sig_b[t], seen_b[0] = 0, 1.0, t
        count_f, count_b = 1, 1
        low_f, high_f, low_b, high_b = 0, 1, 0, 1
        depth_f, depth_b = 0, 0
        degree_f = out_ptr[s + 1] - out_ptr[s]
        degree_b = in_ptr[t + 1] - in_ptr[t]
        met = 0
        while degree_f > 0 and degree_b > 0:
            if degree_f <= degree_b:
                count_f, degree_f, met = _grow(out_ptr, out_idx, dist_f, sig_f, seen_f, count_f, low_f, high_f,
                                                      depth_f, dist_b, meet)
                low_f, high_f, depth_f = high_f, count_f, depth_f + 1
            else:
                count_b, degree_b, met = _grow(in_ptr, in_idx, dist_b, sig_b, seen_b, count_b, low_b, high_b,
                                                      depth_b, dist_f, meet)
                low_b, high_b, depth_b = high_b, count_b, depth_b + 1
            if met > 0:
                break
        if met > 0:
            # Every shortest path crosses the meeting layer at exactly one node w, through
            # sig_f[w] * sig_b[w] of the paths.
            total = 0.0
            for index in range(met):
                total += sig_f[meet[index]] * sig_b[meet[index]]
            state, u = _uniform(state)
            goal, running, w = u * total, 0.0, meet[met - 1]
            for index in range(met):
                running += sig_f[meet[index]] * sig_b[meet[index]]
                if running > goal:
                    w = meet[index]
                    break
            if w != s and w != t:
                hits[w] += 1
            state = _walk(in_ptr, in_idx, dist_f, sig_f, w, s, state, hits)
            state = _walk(out_ptr, out_idx, dist_b, sig_b, w, t, state, hits)
        for index in range(count_f):
            dist_f[seen_f[index]], sig_f[seen_f[index]] = -1, 0.0
        for index in range(count_b):
            dist_b[seen_b[index]], sig_b[seen_b[index]] = -1, 0.0


def path_hits(out_ptr: np.ndarray, out_idx: np.ndarray, in_ptr: np.ndarray, in_idx: np.ndarray,
              sources: np.ndarray, targets: np.ndarray, seed: np.uint64, first: int, count: int,
              threads: int) -> np.ndarray:
    """Hits per node of pairs ``first .. first + count - 1``, split between ``threads``
    (the kernel releases the GIL)."""
    n = len(out_ptr) - 1
    shares = [(first + i * count // threads, (i + 1) * count // threads - i * count // threads)
              for i in range(threads)]
    partial = [np.zeros(n, dtype=np.int64) for _ in shares]
    if threads == 1:
        _hits(out_ptr, out_idx, in_ptr, in_idx, sources, targets, seed, first, count, partial[0])
        return partial[0]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda share, into: _hits(out_ptr, out_idx, in_ptr, in_idx, sources, targets, seed,
                                                share[0], share[1], into), shares, partial))
    return np.sum(partial, axis=0)
