"""Campaign planning as maximum coverage: the influencers whose audiences together reach the
most distinct people, on the driver with exact sets.

An influencer's *audience* is the set of distinct people who engaged them in the window
(one hop), or who reach them in at most two hops; the influencer is never in their own
audience. Reach of a set = size of the union of its audiences. That function is monotone
and submodular, so:

- **k picks, no costs:** lazy greedy (CELF; Leskovec, Krause, Guestrin, Faloutsos, VanBriesen
  & Glance, "Cost-effective outbreak detection in networks", KDD 2007), which makes the same
  picks as plain greedy and so keeps its guarantee: reach >= (1 - 1/e) of the best k-set's
  (Nemhauser, Wolsey & Fisher 1978). Required picks come first; the guarantee is then against
  the best k-set that holds them.
- **costs and a budget:** the better of the cost-benefit lazy greedy (most new people per
  unit of cost among the picks that still fit) and the best single affordable pick:
  reach >= (1 - 1/sqrt(e)) of the best affordable set (Khuller, Moss & Naor, "The budgeted
  maximum coverage problem", IPL 1999). That result is for a budget alone: when a limit of k
  picks stops the greedy first, no ratio is claimed.

Cost: each evaluation of a candidate costs its audience (one hop: its in-degree; two hops:
the two-hop paths into it); lazy evaluation touches few candidates per pick beyond the first
(the sizes, which are the in-degrees or one sparse product over the candidate rows). Memory:
one flag per person, plus one audience at a time.

Exact: the figures are exact counts. ``optimum_upper_bound`` is the smaller of greedy reach /
guarantee and the lazy greedy's own online bound (its reach plus the largest remaining
marginal gains, which are upper bounds by submodularity; Leskovec et al. 2007, section 3).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import sparse

from influence.graph.structure import EdgeList

GREEDY_RATIO = 1 - 1 / math.e
NO_GUARANTEE_WITH_K = ("none proven: k limited the picks before the budget did, and the 1 - 1/sqrt(e) "
                       "guarantee is for a budget alone; leave --k out to let the budget decide")
BUDGETED_RATIO = 1 - 1 / math.sqrt(math.e)
# The cost a free pick is ranked with: before every paid one, the free ones by their gain.
FREE = 1e-12
# Two-hop paths expanded per block when sizing candidates' audiences (bounds driver memory).
_PATHS_PER_BLOCK = 20_000_000


class Audiences:
    """Who each node reaches: ``of(v)`` are the nodes u != v with a path of at most ``hops``
    edges u -> ... -> v (edges point from engager to engaged)."""

    def __init__(self, graph: EdgeList, hops: int):
        if hops not in (1, 2):
            raise ValueError(f"reach is 1 or 2 hops, not {hops}")
        self.graph, self.hops = graph, hops
        self._towards = graph.adjacency.T.tocsr()  # row v: the engagers of v
        self._towards.sort_indices()

    @property
    def people(self) -> int:
        return self.graph.n

    def _engagers(self, v: int) -> np.ndarray:
        towards = self._towards
        return towards.indices[towards.indptr[v]:towards.indptr[v + 1]]

    def of(self, v: int) -> np.ndarray:
        first = self._engagers(v)
        if self.hops == 1:
            return first
        towards = self._towards
        second = [towards.indices[towards.indptr[u]:towards.indptr[u + 1]] for u in first]
        reached = np.unique(np.concatenate([first, *second])) if len(first) else first
        return reached[reached != v]

    def sizes(self, nodes: np.ndarray) -> np.ndarray:
        """``len(of(v))`` for each node, without building each audience in Python."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if self.hops == 1:
            return self.graph.in_degree[nodes].astype(np.int64)
        towards = self._towards
        rows = towards[nodes]
        paths = rows @ self.graph.in_degree.astype(np.float64) + rows.getnnz(axis=1)
        sizes = np.zeros(len(nodes), dtype=np.int64)
        start, total = 0, 0.0
        for stop in range(1, len(nodes) + 1):
            total += paths[stop - 1]
            if total >= _PATHS_PER_BLOCK or stop == len(nodes):
                block = rows[start:stop]
                reached = (block + block @ towards).tocsr()
                reached.data[:] = 1
                # v reaches itself in two hops when one of its edges is reciprocated.
                itself = np.asarray(reached[np.arange(stop - start), nodes[start:stop]]).ravel() > 0
                sizes[start:stop] = np.diff(reached.indptr) - itself
                start, total = stop, 0.0
        return sizes


@dataclass
class Plan:
    """Picks in order (node indices), with what each added and the reach so far."""

    method: str
    guarantee: str
    picks: list[int] = field(default_factory=list)
    marginal: list[int] = field(default_factory=list)
    cumulative: list[int] = field(default_factory=list)
    audience: list[int] = field(default_factory=list)
    upper_bound: float | None = None

    @property
    def reach(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0

    def cost(self, costs: np.ndarray | None) -> float:
        return float(sum(costs[p] for p in self.picks)) if costs is not None else 0.0


class _Coverage:
    """The people reached so far by a growing plan."""

    def __init__(self, audiences: Audiences, plan: Plan):
        self.audiences, self.plan = audiences, plan
        self.covered = np.zeros(audiences.people, dtype=bool)

    def gain(self, v: int) -> int:
        return int(np.count_nonzero(~self.covered[self.audiences.of(v)]))

    def add(self, v: int) -> None:
        audience = self.audiences.of(v)
        gain = int(np.count_nonzero(~self.covered[audience]))
        self.covered[audience] = True
        plan = self.plan
        plan.picks.append(v)
        plan.marginal.append(gain)
        plan.cumulative.append((plan.cumulative[-1] if plan.cumulative else 0) + gain)
        plan.audience.append(len(audience))


def _check(k: int, required: Sequence[int], costs: np.ndarray | None, budget: float | None) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if len(required) > k:
        raise ValueError(f"{len(required)} required picks do not fit in k = {k}")
    if (costs is None) != (budget is None):
        raise ValueError("costs and a budget go together")


def lazy_greedy(audiences: Audiences, candidates: np.ndarray, k: int, *, required: Sequence[int] = (),
                costs: np.ndarray | None = None, budget: float | None = None) -> Plan:
    """Up to ``k`` picks among ``candidates`` (after ``required``), most new people first, or
    most new people per unit of cost within ``budget`` (module docstring: guarantees)."""
    _check(k, required, costs, budget)
    budgeted = costs is not None
    plan = Plan("greedy", guarantee_of(budgeted))
    coverage = _Coverage(audiences, plan)
    for v in required:
        coverage.add(int(v))
    spent = plan.cost(costs)
    pool = np.setdiff1d(np.asarray(candidates, dtype=np.int64), np.asarray(required, dtype=np.int64))
    sizes = audiences.sizes(pool)

    def priority(v: int, gain: float) -> float:
        if not budgeted:
            return gain
        # Free picks come first, the one that adds most first; one that adds nobody, last.
        return gain / max(costs[v], FREE)

    # Max-heap of (-priority, node, pick count when evaluated): a stale entry is an upper bound.
    heap = [(-priority(int(v), float(s)), int(v), -1) for v, s in zip(pool, sizes)]
    heapq.heapify(heap)
    while heap and len(plan.picks) < k:
        bound, v, evaluated = heapq.heappop(heap)
        if budgeted and spent + costs[v] > budget:
            continue  # the budget only shrinks: it never fits again
        if evaluated == len(plan.picks):
            if bound == 0:
                break  # nobody left adds anyone
            coverage.add(v)
            spent += costs[v] if budgeted else 0.0
            continue
        heapq.heappush(heap, (-priority(v, coverage.gain(v)), v, len(plan.picks)))
    if not budgeted:
        # Stale heap entries bound the marginal gains from above (submodularity).
        room = k - len(required)  # the best k-set is the required and at most this many more
        online = plan.reach + sum(-b for b, _, _ in heapq.nsmallest(room, heap))
        plan.upper_bound = float(min(plan.reach / GREEDY_RATIO, online, audiences.people))
        return plan
    if len(plan.picks) >= k:
        # k stopped it before the budget did: the 1 - 1/sqrt(e) result is for a budget alone.
        plan.guarantee = NO_GUARANTEE_WITH_K
        plan.upper_bound = float(audiences.people)
        return plan
    single = _best_single(audiences, pool, sizes, required, costs, budget) if len(required) < k else None
    if single is not None and single.reach > plan.reach:
        plan = single
    plan.upper_bound = float(min(plan.reach / BUDGETED_RATIO, audiences.people))
    return plan


def _best_single(audiences: Audiences, pool: np.ndarray, sizes: np.ndarray, required: Sequence[int],
                 costs: np.ndarray, budget: float) -> Plan | None:
    """The required picks and the one affordable candidate that adds the most people."""
    plan = Plan("greedy", guarantee_of(True))
    coverage = _Coverage(audiences, plan)
    for v in required:
        coverage.add(int(v))
    room = budget - plan.cost(costs)
    best, best_gain = None, -1
    for v, size in sorted(zip(pool.tolist(), sizes.tolist()), key=lambda item: -item[1]):
        if size <= best_gain:
            break  # sizes bound the gains: nobody later beats the best
        if costs[v] <= room and (gain := coverage.gain(v)) > best_gain:
            best, best_gain = v, gain
    if best is None or best_gain == 0:
        return None
    coverage.add(best)
    return plan


def in_order(audiences: Audiences, order: Sequence[int], k: int, method: str, *, required: Sequence[int] = (),
             costs: np.ndarray | None = None, budget: float | None = None) -> Plan:
    """The plan that takes ``required``, then ``order`` as given (e.g. top by score), skipping
    who does not fit the budget, up to ``k`` picks. No guarantee of its own."""
    _check(k, required, costs, budget)
    plan = Plan(method, "none of its own: the top by one metric, taken in order")
    coverage = _Coverage(audiences, plan)
    for v in required:
        coverage.add(int(v))
    taken, spent = set(plan.picks), plan.cost(costs)
    for v in order:
        if len(plan.picks) >= k:
            break
        v = int(v)
        if v in taken or (costs is not None and spent + costs[v] > budget):
            continue
        coverage.add(v)
        taken.add(v)
        spent += costs[v] if costs is not None else 0.0
    return plan


def guarantee_of(budgeted: bool) -> str:
    if budgeted:
        return (f"reach >= 1 - 1/sqrt(e) = {BUDGETED_RATIO:.3f} of the best set within the budget "
                "(cost-benefit greedy or best single pick, Khuller, Moss & Naor 1999)")
    return (f"reach >= 1 - 1/e = {GREEDY_RATIO:.3f} of the best set of k "
            "(lazy greedy, Leskovec et al. 2007; Nemhauser, Wolsey & Fisher 1978)")


def overlaps(audiences: Audiences, nodes: Sequence[int]) -> list[tuple[int, int, int, int, int, float]]:
    """``(a, b, size_a, size_b, shared, jaccard)`` for every pair of ``nodes`` (a before b in the given order)."""
    nodes = list(nodes)
    if not nodes:
        return []
    rows = np.repeat(np.arange(len(nodes)), [len(audiences.of(v)) for v in nodes])
    members = np.concatenate([audiences.of(v) for v in nodes]) if nodes else np.array([], dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(len(members)), (rows, members)), shape=(len(nodes), audiences.people))
    shared = (matrix @ matrix.T).toarray()
    size = np.diag(shared)
    found = []
    for i in range(len(nodes)):
        for j in range(i + 1, len(nodes)):
            union = size[i] + size[j] - shared[i, j]
            found.append((nodes[i], nodes[j], int(size[i]), int(size[j]), int(shared[i, j]),
                          float(shared[i, j] / union) if union else 0.0))
    return found
