"""Compiled inner loops of the authenticity detectors (``graph.authenticity``).

Greedy peeling with a lazy binary heap (FRAUDAR's and the rings' cores), and the truss of
the reciprocal graph. Compiled with numba, cached on disk after the first call.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _push(keys, items, size, key, item):
    i = size
    keys[i], items[i] = key, item
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] < keys[i] or (keys[parent] == keys[i] and items[parent] <= items[i]):
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        items[parent], items[i] = items[i], items[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(keys, items, size):
    key, item = keys[0], items[0]
    size -= 1
    keys[0], items[0] = keys[size], items[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        right = child + 1
        if right < size and (keys[right] < keys[child] or (keys[right] == keys[child] and items[right] < items[child])):
            child = right
        if keys[i] < keys[child] or (keys[i] == keys[child] and items[i] <= items[child]):
            break
        keys[child], keys[i] = keys[i], keys[child]
        items[child], items[i] = items[i], items[child]
        i = child
    return key, item, size


@njit(cache=True)
def peel(n, row_ptr, row_col, row_edge, col_ptr, col_row, col_edge, weight, alive):
    """FRAUDAR's greedy peeling of the bipartite graph rows x columns (node v < n is row v,
    v >= n column v - n), on the edges with ``alive`` set, each of suspiciousness
    ``weight``: remove the node of least remaining weight (ties: lowest number) until none
    is left, and keep the step where f(S) / |S| was largest. Returns the removal order, the
    number of removals before the best set (the best set is ``order[best:]``) and f / |S|
    there. O(m log m) with a lazy heap."""
    priority = np.zeros(2 * n)
    present = np.zeros(2 * n, np.bool_)
    total = 0.0
    for v in range(n):
        for k in range(row_ptr[v], row_ptr[v + 1]):
            e = row_edge[k]
            if alive[e]:
                priority[v] += weight[e]
                present[v] = True
                total += weight[e]
        for k in range(col_ptr[v], col_ptr[v + 1]):
            e = col_edge[k]
            if alive[e]:
                priority[n + v] += weight[e]
                present[n + v] = True
    keys = np.empty(2 * len(weight) + 2 * n + 1)
    items = np.empty(2 * len(weight) + 2 * n + 1, np.int64)
    size, remaining = 0, 0
    for v in range(2 * n):
        if present[v]:
            size = _push(keys, items, size, priority[v], v)
            remaining += 1
    order = np.empty(remaining, np.int64)
    removed = np.zeros(2 * n, np.bool_)
    best_value = total / max(remaining, 1)
    best, step = 0, 0
    while size > 0:
        key, v, size = _pop(keys, items, size)
        if removed[v] or key != priority[v]:
            continue
        removed[v] = True
        order[step] = v
        step += 1
        total -= priority[v]
        remaining -= 1
        if v < n:
            for k in range(row_ptr[v], row_ptr[v + 1]):
                e = row_edge[k]
                other = n + row_col[k]
                if alive[e] and not removed[other]:
                    priority[other] -= weight[e]
                    size = _push(keys, items, size, priority[other], other)
        else:
            for k in range(col_ptr[v - n], col_ptr[v - n + 1]):
                e = col_edge[k]
                other = col_row[k]
                if alive[e] and not removed[other]:
                    priority[other] -= weight[e]
                    size = _push(keys, items, size, priority[other], other)
        if remaining > 0 and total / remaining > best_value * (1 + 1e-12):
            best_value, best = total / remaining, step
    return order, best, best_value


@njit(cache=True)
def truss(n, a, b, min_support):
    """The edges of the undirected simple graph ``a[i] - b[i]`` that lie in at least
    ``min_support`` triangles made of such edges (the (min_support + 2)-truss, Cohen 2008):
    edges below it are removed one at a time, each removal lowering the support of the
    triangles' other edges. Returns a mask over the edges. O(sum over removed and kept
    edges of the smaller endpoint degree), through a marker array of n entries."""
    m = len(a)
    degree = np.zeros(n, np.int64)
    for i in range(m):
        degree[a[i]] += 1
        degree[b[i]] += 1
    ptr = np.zeros(n + 1, np.int64)
    for v in range(n):
        ptr[v + 1] = ptr[v] + degree[v]
    fill = ptr[:-1].copy()
    other = np.empty(2 * m, np.int64)
    edge = np.empty(2 * m, np.int64)
    for i in range(m):
        other[fill[a[i]]], edge[fill[a[i]]] = b[i], i
        fill[a[i]] += 1
        other[fill[b[i]]], edge[fill[b[i]]] = a[i], i
        fill[b[i]] += 1
    alive = np.ones(m, np.bool_)
    support = np.zeros(m, np.int64)
    mark = np.full(n, -1, np.int64)  # mark[w] = the edge id from u to w while scanning u
    for i in range(m):
        u, v = a[i], b[i]
        if degree[u] > degree[v]:
            u, v = v, u
        for k in range(ptr[u], ptr[u + 1]):
            mark[other[k]] = edge[k]
        for k in range(ptr[v], ptr[v + 1]):
            if mark[other[k]] >= 0 and other[k] != u:
                support[i] += 1
        for k in range(ptr[u], ptr[u + 1]):
            mark[other[k]] = -1
    stack = np.empty(m, np.int64)
    top = 0
    queued = np.zeros(m, np.bool_)
    for i in range(m):
        if support[i] < min_support:
            stack[top] = i
            top += 1
            queued[i] = True
    while top > 0:
        top -= 1
        i = stack[top]
        alive[i] = False
        u, v = a[i], b[i]
        for k in range(ptr[u], ptr[u + 1]):
            if alive[edge[k]]:
                mark[other[k]] = edge[k]
        for k in range(ptr[v], ptr[v + 1]):
            j = edge[k]
            w = other[k]
            if alive[j] and w != u and mark[w] >= 0:
                for jj in (j, mark[w]):
                    support[jj] -= 1
                    if support[jj] < min_support and not queued[jj]:
                        queued[jj] = True
                        stack[top] = jj
                        top += 1
        for k in range(ptr[u], ptr[u + 1]):
            mark[other[k]] = -1
    return alive
