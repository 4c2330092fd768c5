"""Engagement authenticity (issue 23): groups of accounts whose engagement is not organic.

Three detectors, each a pure function of numpy arrays on the driver, each returning
``SuspiciousGroup`` rows for ``gold/engagement_anomalies``:

- ``dense_blocks``: FRAUDAR's greedy peeling of the engager x engaged graph (Hooi et al.,
  KDD 2016); finds engagement pods, camouflage included.
- ``lockstep``: accounts engaging the same target in the same short window, far above the
  target's usual rate, repeatedly or as fresh accounts (CopyCatch, Beutel et al., WWW 2013,
  on time buckets as SynchroTrap, Cao et al., CCS 2014, does); finds bought bursts.
- ``rings``: reciprocal engagement far denser than the members' communities predict; finds
  reciprocal rings.

``detect`` runs the three with one ``AuthenticitySettings`` and attributes each flagged
account to one group, under the detector that explains it best (a pod once, as a dense
block in waves, not also as a ring and a lockstep crew; see ``detect``); the single
detectors return their own candidates, which overlap. A group's *members* are the
accounts that engage (the suspected pod or buyers), its *targets* the accounts they lift.
The detectors never read user ids: nodes are the indexes ``0..n-1`` of ``EdgeList.ids``.
Nothing is random: the same arrays give the same groups, in the same order.

Inputs the pipeline hands over (``Engagement`` from ``silver/edges`` and the communities,
``Events`` from the window's interactions after ``lockstep_candidates``'s pre-filter, which
Spark can apply: see ``lockstep_candidates``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Literal

import numpy as np

from influence.config import AuthenticitySettings, DenseBlockSettings, LockstepSettings, RingSettings
from influence.graph.structure import EdgeList

Detector = Literal["dense_block", "lockstep", "ring"]
DETECTORS: tuple[Detector, ...] = ("dense_block", "lockstep", "ring")


@dataclass(frozen=True, eq=False)
class Engagement:
    """The window's aggregated engagement, one entry per ``silver/edges`` row.

    ``graph``: the edges ``src -> dst`` (src engaged dst) as node indexes ``0..n-1`` with
    ``weight`` (not read by the detectors; kept so that one object feeds all the graph
    code); ``interactions`` (int, per edge): the edge's interactions in the window;
    ``reciprocal`` (bool, per edge): dst also engaged src in the window; ``first_at``,
    ``last_at`` (int unix seconds, per edge): the edge's first and last interaction;
    ``community`` (int, per node): the node's community label (any integers; the pipeline's
    ``community_id`` codes); ``window_start``, ``window_end``: unix seconds of the window,
    start inclusive, end exclusive (00:00 UTC of the first day and of the day after as-of).
    """

    graph: EdgeList
    interactions: np.ndarray
    reciprocal: np.ndarray
    first_at: np.ndarray
    last_at: np.ndarray
    community: np.ndarray
    window_start: int
    window_end: int

    def __post_init__(self) -> None:
        m, n = self.graph.m, self.graph.n
        for name in ("interactions", "reciprocal", "first_at", "last_at"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"Engagement.{name} has {len(getattr(self, name))} entries for {m} edges")
        if len(self.community) != n:
            raise ValueError(f"Engagement.community has {len(self.community)} entries for {n} nodes")
        if self.window_end <= self.window_start:
            raise ValueError("Engagement.window_end must come after window_start")

    @property
    def engagements_made(self) -> np.ndarray:
        """Per node: interactions it made in the window (the sum over its out-edges)."""
        return np.bincount(self.graph.src, weights=self.interactions, minlength=self.graph.n)

    @property
    def engagements_received(self) -> np.ndarray:
        """Per node: interactions it received in the window (the sum over its in-edges)."""
        return np.bincount(self.graph.dst, weights=self.interactions, minlength=self.graph.n)


@dataclass(frozen=True, eq=False)
class Events:
    """Single interactions for ``lockstep``: ``actor`` engaged ``target`` (node indexes of the
    same ``EdgeList``) at ``seconds`` (int unix seconds), in any order. Every interaction of
    the window, or only those ``lockstep_candidates`` keeps: the groups are the same."""

    actor: np.ndarray
    target: np.ndarray
    seconds: np.ndarray

    def __post_init__(self) -> None:
        if not len(self.actor) == len(self.target) == len(self.seconds):
            raise ValueError("Events.actor, target and seconds must have one entry per interaction")

    @classmethod
    def empty(cls) -> "Events":
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none.copy(), none.copy())


@dataclass(frozen=True)
class SuspiciousGroup:
    """One row of ``gold/engagement_anomalies`` before the pipeline gives it an id.

    ``members``: the engaging accounts (node indexes, sorted); ``targets``: the accounts
    they lift (sorted; for pods and rings the members themselves); ``density`` (dense blocks
    and rings: share of the possible member -> target pairs, or member pairs both ways,
    that engaged) or ``synchrony`` (lockstep: share of the members' engagement in the
    window that fell in the group's hot windows), the other None; ``window_start`` and
    ``window_end``: unix seconds of the group's first and last engagement inside the
    group; ``interactions``: engagements inside the group; ``score``: how anomalous, its
    meaning per detector (``dense_blocks``, ``lockstep``, ``rings``); ``reason``: one
    sentence for a marketer.
    """

    detector: Detector
    members: tuple[int, ...]
    targets: tuple[int, ...]
    density: float | None
    synchrony: float | None
    window_start: int
    window_end: int
    interactions: int
    score: float
    reason: str


def detect(engagement: Engagement, events: Events, settings: AuthenticitySettings) -> list[SuspiciousGroup]:
    """The three detectors with one settings object, each account listed at most once:
    dense blocks, then lockstep groups, then rings, each in its own order (``_ordered``).
    Nothing when ``settings.enabled`` is false. ``events``: every interaction of the
    window, or those ``lockstep_candidates(events, window_start, settings, n)`` keeps.

    Attribution. The single detectors overlap (a pod is also a reciprocal ring and engages
    in sync; a large ring is also a dense block) and FRAUDAR also finds dense communities of
    real accounts. ``detect`` lists each account at most once, under the detector that
    explains it best, from two signals of a group's engagement of its targets (``_signals``):
    its *wave share*, the share that came while at least ``attribution.wave_accounts``
    members engaged the same target in one lockstep window (coordination), and its *focus*,
    its share of all the members' engagement in the window. Candidates claim their members
    in this order of precedence, each account going to the first group that holds it:

    1. pods: dense blocks with a wave share of at least ``attribution.min_wave_share``;
       then rings in waves that, as blocks of their members, pass the dense-block
       thresholds (pods the greedy peel did not isolate);
    2. rings (reciprocal groups that keep their ties to themselves, at their own times);
    3. dense blocks not in waves with a focus of at least ``attribution.min_focus``
       (accounts that do little else). A dense block neither in waves nor focused is not
       listed: a dense community of real accounts, with lives outside it.

    A candidate that lost some members to an earlier group is recomputed on the rest and
    listed only if that still passes its detector's thresholds. Then ``lockstep`` runs with
    the listed members left out (``explained``): its groups are the synchronized accounts
    that no dense block or ring explains (fresh accounts bursting on a target). Reasons
    say what else a group shows (a pod's waves; a ring that was also a dense block).
    ``dense_blocks``, ``lockstep`` and ``rings`` called alone return their candidates,
    overlaps included.

    Cost: the three detectors (each docstring) and one pass over ``events`` and the edges
    per candidate: 0.45 s on the driver at 1M interactions (``bench.authenticity``).
    """
    if not settings.enabled:
        return []
    graph = engagement.graph
    attribution = settings.attribution
    dense, block_of = _dense_candidates(engagement, settings.dense_block)
    found = _ring_candidates(engagement, settings.ring)
    made = engagement.engagements_made
    # (candidate, its signals), in the order of precedence.
    pods: list[tuple[_Candidate, tuple[float, float]]] = []
    from_rings, ring_order, others = [], [], []
    for candidate in dense:
        signals = _signals(engagement, events, candidate.group, settings, made)
        (pods if signals[0] >= attribution.min_wave_share else others).append((candidate, signals))
    for candidate in found:
        signals = _signals(engagement, events, candidate.group, settings, made)
        if signals[0] >= attribution.min_wave_share:  # a pod, unless the dense-block thresholds say no
            member = np.zeros(graph.n, dtype=bool)
            member[list(candidate.group.members)] = True
            block = block_of(np.flatnonzero(member[graph.src] & member[graph.dst]))
            if block is not None:
                from_rings.append((block, _signals(engagement, events, block.group, settings, made)))
                continue
        ring_order.append((candidate, signals))
    order = pods + _by_score(from_rings) + ring_order + others
    owner = np.full(graph.n, -1, dtype=np.int64)  # per account: the listed group holding it
    listed: list[SuspiciousGroup] = []
    for candidate, signals in order:
        members = np.asarray(candidate.group.members, dtype=np.int64)
        free = members[owner[members] < 0]
        group = candidate.group if len(free) == len(members) else candidate.rebuild(free) if len(free) else None
        if group is None:
            continue
        if group is not candidate.group:
            signals = _signals(engagement, events, group, settings, made)
        share, focus = signals
        if group.detector == "dense_block" and share < attribution.min_wave_share and focus < attribution.min_focus:
            continue  # neither coordinated nor single-purpose: a dense community of real accounts
        if share >= attribution.min_wave_share:
            group = replace(group, reason=group.reason + _waves_clause(share, settings))
        owner[list(group.members)] = len(listed)
        listed.append(group)
    # A ring that holds the accounts of a dense block not in waves says so.
    for candidate, (share, _) in order:
        if candidate.group.detector != "dense_block" or share >= attribution.min_wave_share:
            continue
        holders = _unique(owner[list(candidate.group.members)])
        for i in holders[holders >= 0].tolist():
            if listed[i].detector == "ring" and "also a dense block" not in listed[i].reason:
                listed[i] = replace(listed[i], reason=listed[i].reason + (
                    f"; also a dense block ({candidate.group.score:.1f}x the graph's average), "
                    f"but at their own times ({share:.0%} in waves)"))
    dense_listed = _ordered([g for g in listed if g.detector == "dense_block"])
    rings_listed = _ordered([g for g in listed if g.detector == "ring"])
    return dense_listed + lockstep(engagement, events, settings.lockstep, explained=owner >= 0) + rings_listed


def _by_score(entries: list[tuple[_Candidate, tuple[float, float]]]) -> list[tuple[_Candidate, tuple[float, float]]]:
    return sorted(entries, key=lambda entry: (-round(entry[0].group.score, 9), entry[0].group.members))


def _signals(engagement: Engagement, events: Events, group: SuspiciousGroup, settings: AuthenticitySettings,
             made: np.ndarray) -> tuple[float, float]:
    """``(wave share, focus)`` of the engagement from ``group``'s members to its targets in
    the window. Wave share: the share of it that came in *waves*, (target, lockstep window)
    cells where at least ``attribution.wave_accounts`` distinct members engaged that
    target; its denominator is ``Engagement``'s interactions, so ``events`` may be those
    ``lockstep_candidates`` keeps for ``detect`` (every wave's cell is kept). Focus: its
    share of all the members' engagement in the window (``made``: per node, the
    interactions it made). O(len(events) + m)."""
    graph = engagement.graph
    n = graph.n
    member = np.zeros(n, dtype=bool)
    member[list(group.members)] = True
    target = np.zeros(n, dtype=bool)
    target[list(group.targets)] = True
    total = float(engagement.interactions[member[graph.src] & target[graph.dst]].sum())
    focus = total / max(float(made[member].sum()), 1.0)
    inside = np.flatnonzero(member[events.actor] & target[events.target] & (events.actor != events.target))
    if total == 0 or len(inside) == 0:
        return 0.0, focus
    mine = Events(events.actor[inside], events.target[inside], events.seconds[inside])
    event, window, cell_target = _windows(mine, engagement.window_start, settings.lockstep.bucket_seconds)
    _, actors, cell_index = _distinct_per_window(mine, event, window, cell_target, n)
    in_wave = np.zeros(len(inside), dtype=bool)
    in_wave[event[actors[cell_index] >= settings.attribution.wave_accounts]] = True
    return float(in_wave.sum()) / total, focus


def _waves_clause(share: float, settings: AuthenticitySettings) -> str:
    hours = settings.lockstep.bucket_seconds * 2 / 3600
    span = f"{hours:g} hour" + ("" if hours == 1 else "s")
    return (f"; {share:.0%} of it came in waves ({settings.attribution.wave_accounts} or more of them on one "
            f"account within {span})")


def _unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` through a sort: numpy 2's hashing ``np.unique`` is ten times
    slower on the wide int64 keys used here (0.2 s for 224,000 keys)."""
    ordered = np.sort(np.asarray(values).ravel())
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered


def _ordered(groups: list[SuspiciousGroup]) -> list[SuspiciousGroup]:
    """Highest score first; ties by the smallest member index (all deterministic)."""
    return sorted(groups, key=lambda g: (-round(g.score, 9), g.members))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


# --- dense blocks: FRAUDAR ----------------------------------------------------------------


def suspiciousness(engagement: Engagement, column_offset: float) -> np.ndarray:
    """Per edge: ``log(1 + interactions)^2 x (2 if reciprocal else 1) / log(in_degree(dst) + column_offset)``.

    FRAUDAR's column weighting (the paper's 1 / log(x + c), x the target's number of
    distinct engagers, c = 5) discounts edges into popular targets, so that camouflage
    spent on them adds little. The paper's edges are 0/1; here an edge weighs more when
    its engagement is repeated (``log(1 + interactions)^2``: diminishing returns, but a
    pair engaged 6 times weighs 3x a pair engaged twice) and when it is mutual (a pod's
    members engage each other): on the generated exports first measured these two lifted
    the smallest pods 1.45x above the densest organic blocks, where 0/1 edges (or the log
    alone) left them 1.1x above; over more seeds the smallest pod is 4.1x and the densest
    community of real accounts 4.5x, which ``detect``'s attribution, not the weights, tells
    apart (docs/authenticity.md). FRAUDAR's guarantee holds for any non-negative edge
    suspiciousness.
    """
    graph = engagement.graph
    in_degree = np.bincount(graph.dst, minlength=graph.n)
    mutual = np.where(engagement.reciprocal, 2.0, 1.0)
    return np.log1p(engagement.interactions) ** 2 * mutual / np.log(in_degree[graph.dst] + column_offset)


def dense_blocks(engagement: Engagement, settings: DenseBlockSettings) -> list[SuspiciousGroup]:
    """Engagement pods: blocks of accounts that engage the same targets over and over.

    Method (Hooi, Song, Beutel, Shah, Shin and Faloutsos, "FRAUDAR: Bounding Graph Fraud in
    the Face of Camouflage", KDD 2016): the bipartite graph engagers x engaged (an account
    is a row when it engages and a column when engaged), each edge of suspiciousness
    ``suspiciousness`` (column weights that discount popular targets); greedy peeling
    removes the row or column of least remaining suspiciousness, one at a time, and keeps
    the set S where g(S) = f(S) / |S| (f: the suspiciousness of S's edges) was highest.
    Camouflage (edges from the block to popular accounts) cannot lower g(S), since those
    columns are peeled first. Each round's block has its edges removed, and peeling starts
    again, for several blocks.

    ``detect`` lists a block only when it is in waves (a pod) or its members do little
    else (its ``attribution``), since dense communities of real accounts are dense blocks
    too, and gives a large ring that is also a dense block to ``rings``.

    Flagging: a block's targets are the columns that get at least ``min_owned_share`` of
    their suspiciousness from the block's rows (popular accounts it uses as camouflage are
    not); it splits into the connected parts of its rows and those targets (pods peeled
    together through shared camouflage come apart). A part is flagged when it has at least
    ``min_members`` members, at least ``min_density`` of its possible member -> target
    pairs engaged, and g at least ``min_ratio`` times g of the whole graph (its average
    suspicious weight per account). Only the ``min_ratio`` core is peeled: accounts whose
    suspiciousness falls below ``min_ratio`` times g of the whole graph are removed first,
    repeatedly (a flagged set's members each carry at least that much within it; FRAUDAR's
    optimal set has this property), and rounds stop once a block's g is below half the
    ratio (FRAUDAR's greedy set is within a factor 2 of the best, so no set of that ratio
    is left) or after ``max_rounds``.

    ``score``: g of the group over g of the whole graph (how many times denser than the
    graph's average); ``density``: share of possible member -> target pairs engaged.

    Guarantee: each round's block has g at least half the best g of the remaining core
    (FRAUDAR, Theorem 1). Cost: O(m) for the weights and the core, then O(m_core log
    m_core) per round on the core (a lazy binary heap, compiled), m_core usually a few
    percent of m. Cannot find: blocks below ``min_members`` or that engage few times each
    (one like per pair), pods that spread over popular targets only, or buyers whose
    targets are popular (their edges are discounted).
    """
    return [candidate.group for candidate in _dense_candidates(engagement, settings)[0]]


@dataclass(frozen=True, eq=False)
class _Candidate:
    """A detector's group before ``detect``'s attribution, and ``rebuild``: the same group
    on part of its members, with its figures recomputed (None when that part no longer
    passes the detector's thresholds)."""

    group: SuspiciousGroup
    rebuild: Callable[[np.ndarray], SuspiciousGroup | None]


def _ordered_candidates(candidates: list[_Candidate]) -> list[_Candidate]:
    return sorted(candidates, key=lambda c: (-round(c.group.score, 9), c.group.members))


def _dense_candidates(engagement: Engagement, settings: DenseBlockSettings) -> tuple[
        list[_Candidate], Callable[[np.ndarray], _Candidate | None]]:
    """``dense_blocks``'s groups, and the block that given edges (member -> target) make
    when it passes the thresholds (``_dense_candidate`` with the same weights)."""
    from influence.graph import _authenticity_kernels as kernels

    graph = engagement.graph
    n = graph.n
    if graph.m == 0:
        return [], lambda edges: None
    weight = suspiciousness(engagement, settings.column_offset)
    engagers = np.count_nonzero(np.bincount(graph.src, minlength=n))
    engaged = np.count_nonzero(np.bincount(graph.dst, minlength=n))
    g_graph = float(weight.sum()) / (engagers + engaged)

    def block_of(edges: np.ndarray) -> _Candidate | None:
        return _dense_candidate(engagement, edges, weight[edges], g_graph, settings)

    threshold = settings.min_ratio * g_graph
    core = _core(n, graph.src, graph.dst, weight, threshold)
    edges = np.flatnonzero(core)
    if len(edges) == 0:
        return [], block_of
    src, dst, w = graph.src[edges], graph.dst[edges], weight[edges]
    received = np.bincount(graph.dst, weights=weight, minlength=n)
    row_order = np.lexsort((dst, src))
    col_order = np.lexsort((src, dst))
    row_ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    col_ptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))]).astype(np.int64)
    arrays = (row_ptr, dst[row_order].astype(np.int64), row_order.astype(np.int64),
              col_ptr, src[col_order].astype(np.int64), col_order.astype(np.int64))
    alive = np.ones(len(edges), dtype=np.bool_)
    groups: list[_Candidate] = []
    for _ in range(settings.max_rounds):
        if not alive.any():
            break
        order, best, value = kernels.peel(n, *arrays, w, alive)
        if value < threshold / 2:
            break
        chosen = order[best:]
        is_row = np.zeros(n, dtype=bool)
        is_col = np.zeros(n, dtype=bool)
        is_row[chosen[chosen < n]] = True
        is_col[chosen[chosen >= n] - n] = True
        inside = alive & is_row[src] & is_col[dst]
        alive &= ~inside
        groups.extend(_block_parts(engagement, edges[inside], w[inside], received, g_graph, settings))
    return _ordered_candidates(groups), block_of


def _core(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, threshold: float) -> np.ndarray:
    """Edges left after repeatedly removing rows and columns whose remaining suspiciousness
    is below ``threshold`` (a weighted core of the bipartite graph). O(m) per pass."""
    alive = np.ones(len(src), dtype=bool)
    while True:
        made = np.bincount(src[alive], weights=weight[alive], minlength=n)
        got = np.bincount(dst[alive], weights=weight[alive], minlength=n)
        keep = alive & (made[src] >= threshold) & (got[dst] >= threshold)
        if keep.sum() == alive.sum():
            return keep
        alive = keep


def _components(a: np.ndarray, b: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Connected component label (0, 1, ...) per entry of ``nodes`` (sorted, unique) for
    the undirected edges ``a - b`` between them."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    local_a, local_b = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    matrix = coo_matrix((np.ones(len(a)), (local_a, local_b)), shape=(len(nodes), len(nodes)))
    return connected_components(matrix, directed=False)[1]


def _block_parts(engagement: Engagement, edges: np.ndarray, w: np.ndarray, received: np.ndarray,
                 g_graph: float, settings: DenseBlockSettings) -> list[_Candidate]:
    graph = engagement.graph
    n = graph.n
    src, dst = graph.src[edges], graph.dst[edges]
    owned = np.bincount(dst, weights=w, minlength=n) >= settings.min_owned_share * received
    keep = owned[dst]
    src, dst, w, edges = src[keep], dst[keep], w[keep], edges[keep]
    if len(edges) == 0:
        return []
    # Rows and columns are distinct nodes of the bipartite graph: columns are numbered n + v.
    nodes = _unique(np.concatenate([src, n + dst]))
    label = _components(src, n + dst, nodes)
    found = []
    for part in range(label.max() + 1):
        mine = np.isin(src, nodes[(label == part) & (nodes < n)])
        candidate = _dense_candidate(engagement, edges[mine], w[mine], g_graph, settings)
        if candidate is not None:
            found.append(candidate)
    return found


def _dense_candidate(engagement: Engagement, edges: np.ndarray, w: np.ndarray, g_graph: float,
                     settings: DenseBlockSettings) -> _Candidate | None:
    """The block of ``edges`` (member -> target, of suspiciousness ``w``) when it has at
    least ``min_members`` members, ``min_density`` and ``min_ratio``; rebuilt on part of its
    members from their edges alone."""
    if len(edges) == 0:
        return None
    src, dst = engagement.graph.src[edges], engagement.graph.dst[edges]
    members, targets = _unique(src), _unique(dst)
    pairs = len(members) * len(targets) - len(np.intersect1d(members, targets))
    density = len(edges) / max(pairs, 1)
    ratio = float(w.sum()) / (len(members) + len(targets)) / g_graph
    if len(members) < settings.min_members or density < settings.min_density or ratio < settings.min_ratio:
        return None

    def rebuild(part: np.ndarray) -> SuspiciousGroup | None:
        keep = np.isin(src, part)
        candidate = _dense_candidate(engagement, edges[keep], w[keep], g_graph, settings)
        return None if candidate is None else candidate.group

    return _Candidate(_dense_group(engagement, edges, members, targets, float(density), ratio), rebuild)


def _dense_group(engagement: Engagement, edges: np.ndarray, members: np.ndarray, targets: np.ndarray,
                 density: float, ratio: float) -> SuspiciousGroup:
    total = int(engagement.interactions[edges].sum())
    mutual = np.array_equal(members, targets)
    whom = "each other" if mutual else _plural(len(targets), "account")
    reason = (f"{_plural(len(members), 'account')} engaged {whom} {total:,} times ({density:.0%} of the possible "
              f"pairs), {ratio:.1f}x denser than the graph's average")
    return SuspiciousGroup(
        detector="dense_block", members=tuple(members.tolist()), targets=tuple(targets.tolist()),
        density=density, synchrony=None, window_start=int(engagement.first_at[edges].min()),
        window_end=int(engagement.last_at[edges].max()), interactions=total, score=ratio, reason=reason)


# --- lockstep -------------------------------------------------------------------------------


def _windows(events: Events, window_start: int, bucket_seconds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each interaction in its two windows: (event index, window, target) twice over, where
    window w spans buckets w and w + 1 (bucket b: seconds [b, b + 1) x bucket_seconds from
    ``window_start``)."""
    bucket = (events.seconds - window_start) // bucket_seconds
    index = np.arange(len(bucket))
    return (np.concatenate([index, index]), np.concatenate([bucket - 1, bucket]),
            np.concatenate([events.target, events.target]))


def _distinct_per_window(events: Events, event: np.ndarray, window: np.ndarray, target: np.ndarray,
                         n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (target, window) cell: its key, the number of distinct actors and, per entry, the
    index of its cell. Keys are ``target * span + window - low`` (int64)."""
    low = int(window.min()) if len(window) else 0
    span = int(window.max()) - low + 1 if len(window) else 1
    cell = target.astype(np.int64) * span + (window - low)
    keys, cell_index = np.unique(cell, return_inverse=True)
    pair = _unique(cell_index.astype(np.int64) * n + events.actor[event])
    actors = np.bincount(pair // n, minlength=len(keys))
    return keys, actors, cell_index


def lockstep_candidates(events: Events, window_start: int, settings: AuthenticitySettings | LockstepSettings,
                        n: int) -> Events:
    """The pre-filter: only interactions in a (target, window) cell with at least k
    distinct actors, where window w holds buckets w and w + 1 and bucket
    b = floor((unix_seconds - window_start) / bucket_seconds). For ``detect`` (``settings``
    an ``AuthenticitySettings``) k is ``settings.prefilter_accounts``, the smaller of
    ``lockstep.min_accounts`` and ``attribution.wave_accounts``; for ``lockstep`` alone (a
    ``LockstepSettings``) it is ``min_accounts``. Either gives the same groups with these
    interactions alone as with every interaction of the window, since neither reads
    anything else from single interactions (per-account totals come from ``Engagement``).

    In Spark (what this mirrors): ``b = floor((unix_seconds - window_start) / bucket_seconds)``,
    explode each interaction into windows ``b - 1`` and ``b``, count distinct ``actor_id``
    per (``target_id``, window), keep the cells with at least k, and keep the interactions
    that fall in a kept cell (a semi-join on target and either window, distinct
    interactions). Of 1M generated interactions ``detect``'s filter (k = 4) keeps 5.4%
    (54,475; 10.3% with the injected abuse), lockstep's alone (k = 10) 0.7%
    (``bench.authenticity``).
    """
    if isinstance(settings, AuthenticitySettings):
        bucket_seconds, min_accounts = settings.lockstep.bucket_seconds, settings.prefilter_accounts
    else:
        bucket_seconds, min_accounts = settings.bucket_seconds, settings.min_accounts
    if len(events.actor) == 0:
        return events
    event, window, target = _windows(events, window_start, bucket_seconds)
    _, actors, cell_index = _distinct_per_window(events, event, window, target, n)
    kept = _unique(event[actors[cell_index] >= min_accounts])
    return Events(events.actor[kept], events.target[kept], events.seconds[kept])


def lockstep(engagement: Engagement, events: Events, settings: LockstepSettings,
             explained: np.ndarray | None = None) -> list[SuspiciousGroup]:
    """Groups of accounts that engage the same targets in the same short window, far above
    the targets' usual rate, repeatedly or as fresh accounts.

    Method (after CopyCatch: Beutel, Xu, Guruswami, Palow and Faloutsos, "CopyCatch:
    Stopping Group Attacks by Spotting Lockstep Behavior in Social Networks", WWW 2013,
    whose groups share n accounts and m targets within a time window; and SynchroTrap: Cao,
    Yang, Yu and Palow, CCS 2014, for fixed time buckets): time is cut into buckets of
    ``bucket_seconds`` from the window's start; a *window* is a bucket and the next one
    (neighbouring-bucket tolerance: engagement within one bucket's length always shares a
    window). A (target, window) cell is *hot* when at least ``min_accounts`` distinct
    accounts engaged the target in it and either (a) that is at least ``min_lift`` times
    the target's usual engagement in a window (its interactions received in the whole
    window, spread evenly), or (b) at least ``min_accounts`` of them are *fresh* there
    (the cell holds at least ``min_share`` of all they engaged in the window). Overlapping
    hot cells of a target merge into an *episode*. An account is in lockstep when at least
    ``min_share`` of its engagement in the window is in episodes (fresh accounts, bought
    bursts), or when it took part in at least ``min_episodes`` episodes (repeated
    lockstep, pods). Groups are the connected parts of the bipartite graph lockstep
    accounts x episodes, reported with at least ``min_members`` accounts and a synchrony
    of at least ``min_synchrony`` (busy accounts that happen to join a few bursts do not
    make a group).

    ``score``: the group's engagements in its episodes over the targets' usual engagement
    in the same spans (how many times the usual rate); ``synchrony``: the share of the
    members' engagement in the window that fell in the group's episodes.

    Cost: O(k log k) for k pre-filtered interactions (``lockstep_candidates``), O(m) for
    the per-account totals. Cannot find: lockstep slower than two buckets, groups below
    ``min_accounts`` per window, or organic-looking accounts (most of their engagement
    elsewhere) that join fewer than ``min_episodes`` episodes; bursts on very popular
    targets are found only through their fresh accounts.

    ``explained`` (bool per node, optional): accounts no group may hold, though their
    engagement still makes windows hot; ``detect`` passes the members of the dense blocks
    and rings it lists, whose synchrony those explain.
    """
    graph = engagement.graph
    n = graph.n
    if len(events.actor) == 0 or graph.m == 0:
        return []
    made = engagement.engagements_made
    usual = engagement.engagements_received * (2 * settings.bucket_seconds) / (
        engagement.window_end - engagement.window_start)
    event, window, target = _windows(events, engagement.window_start, settings.bucket_seconds)
    keys, actors, cell_index = _distinct_per_window(events, event, window, target, n)
    low = int(window.min())
    span = int(window.max()) - low + 1
    cell_target = keys // span
    # Fresh accounts per cell: the cell holds at least min_share of what they made (counted
    # only in cells crowded enough to be hot: detect's events hold smaller cells too).
    crowded = actors[cell_index] >= settings.min_accounts
    in_cell = np.unique(cell_index[crowded].astype(np.int64) * n + events.actor[event[crowded]], return_counts=True)
    pair_cell, pair_actor = in_cell[0] // n, in_cell[0] % n
    fresh_pair = in_cell[1] >= settings.min_share * np.maximum(made[pair_actor], 1)
    fresh = np.bincount(pair_cell[fresh_pair], minlength=len(keys))
    hot = (actors >= settings.min_accounts) & (
        (actors >= settings.min_lift * usual[cell_target]) | (fresh >= settings.min_accounts))
    if not hot.any():
        return []
    # Episodes: runs of hot windows of one target that overlap (consecutive windows).
    hot_keys = keys[hot]
    starts = np.concatenate([[True], (np.diff(hot_keys) != 1) | (np.diff(hot_keys // span) != 0)])
    episode_of_hot = np.cumsum(starts) - 1
    episode_of_cell = np.full(len(keys), -1, dtype=np.int64)
    episode_of_cell[hot] = episode_of_hot
    # Each interaction in at most one episode (its two windows are consecutive).
    episode = np.maximum(episode_of_cell[cell_index[:len(events.actor)]],
                         episode_of_cell[cell_index[len(events.actor):]])
    inside = episode >= 0
    e_actor, e_episode, e_seconds = events.actor[inside], episode[inside], events.seconds[inside]
    engaged_in = np.bincount(e_actor, minlength=n)
    episodes_of = np.bincount(_unique(e_actor * (episode_of_hot.max() + 1) + e_episode)
                              // (episode_of_hot.max() + 1), minlength=n)
    in_lockstep = (engaged_in >= settings.min_share * np.maximum(made, 1)) & (engaged_in > 0)
    in_lockstep |= episodes_of >= settings.min_episodes
    if explained is not None:
        in_lockstep &= ~explained
    chosen = in_lockstep[e_actor]
    e_actor, e_episode, e_seconds = e_actor[chosen], e_episode[chosen], e_seconds[chosen]
    if len(e_actor) == 0:
        return []
    # Components of accounts x episodes: accounts are nodes 0..n-1, episodes n + e.
    nodes = _unique(np.concatenate([e_actor, n + e_episode]))
    label = _components(e_actor, n + e_episode, nodes)
    account_label = label[np.searchsorted(nodes, e_actor)]
    episode_span = _episode_spans(hot_keys, episode_of_hot, span)
    groups = []
    for part in _unique(account_label):
        mine = account_label == part
        members = _unique(e_actor[mine])
        if len(members) < settings.min_members:
            continue
        their_episodes = _unique(e_episode[mine])
        targets = _unique(episode_span[0][their_episodes])
        windows = episode_span[1][their_episodes] + 1  # an episode of j hot windows spans j + 1 buckets
        expected = float((usual[episode_span[0][their_episodes]] * windows / 2).sum())
        count = int(mine.sum())
        score = count / max(expected, 1e-9)
        synchrony = count / float(made[members].sum())
        if synchrony < settings.min_synchrony:
            continue
        groups.append(_lockstep_group(members, targets, len(their_episodes), count, score, synchrony,
                                      int(e_seconds[mine].min()), int(e_seconds[mine].max()), settings))
    return _ordered(groups)


def _episode_spans(hot_keys: np.ndarray, episode_of_hot: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Per episode: its target and its number of hot windows."""
    first = np.flatnonzero(np.concatenate([[True], np.diff(episode_of_hot) != 0]))
    return hot_keys[first] // span, np.bincount(episode_of_hot)


def _lockstep_group(members: np.ndarray, targets: np.ndarray, episodes: int, count: int, score: float,
                    synchrony: float, start: int, end: int, settings: LockstepSettings) -> SuspiciousGroup:
    hours = settings.bucket_seconds * 2 / 3600
    span = f"{hours:g} hour" + ("" if hours == 1 else "s")
    whom = "each other" if set(targets.tolist()) <= set(members.tolist()) else _plural(len(targets), "account")
    reason = (f"{_plural(len(members), 'account')} engaged {whom} in lockstep ({_plural(episodes, 'burst')} within "
              f"{span}, {count:,} engagements, {score:.0f}x the usual rate); {synchrony:.0%} of their engagement "
              f"was in these bursts")
    return SuspiciousGroup(
        detector="lockstep", members=tuple(members.tolist()), targets=tuple(targets.tolist()), density=None,
        synchrony=synchrony, window_start=start, window_end=end, interactions=count, score=score, reason=reason)


# --- rings ---------------------------------------------------------------------------------


def reciprocal_pairs(engagement: Engagement) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pair engaging both ways once (``a < b``), with the interactions of both edges."""
    graph = engagement.graph
    n = graph.n
    keys = graph.src.astype(np.int64) * n + graph.dst
    order = np.argsort(keys, kind="stable")
    forward = np.flatnonzero(engagement.reciprocal & (graph.src < graph.dst))
    back = order[np.searchsorted(keys[order], graph.dst[forward].astype(np.int64) * n + graph.src[forward])]
    if len(forward) and not np.array_equal(keys[back], graph.dst[forward].astype(np.int64) * n + graph.src[forward]):
        raise ValueError("Engagement.reciprocal is set on an edge whose reverse edge is missing")
    return graph.src[forward], graph.dst[forward], engagement.interactions[forward] + engagement.interactions[back]


def rings(engagement: Engagement, settings: RingSettings) -> list[SuspiciousGroup]:
    """Reciprocal rings: groups engaging each other both ways far more than their
    communities predict.

    Method: the reciprocal graph (a *tie* where two accounts engaged each other); its
    (``min_members``)-truss (Cohen, "Trusses: cohesive subgraphs for social network
    analysis", 2008: every tie in at least ``min_members - 2`` triangles of ties, which a
    ring of ``min_members`` meets and a star of reply-backs does not); in each connected
    part, the account with the fewest ties inside is removed until at least
    ``min_density`` of the pairs are tied (ties: lowest index first). The expected ties of
    such a group come from its members' communities, as a stochastic block model: each
    pair of members is tied with the reciprocal density of its two communities (inside
    one community: its tied pairs over its pairs), counted *without the group's own pairs
    and ties*, so that a group that is a community of its own does not predict itself,
    and shrunk towards the whole graph's density inside (or between) communities with
    ``prior_pairs`` pseudo-pairs. A group is flagged when its ties are at least
    ``min_ratio`` times the expected, and at least ``min_closure`` of its members' ties
    are inside it: a ring keeps its reciprocity to itself, where a circle of friends
    (tied as densely, and as far above a large community's density) also has friends
    outside it (on the generated graphs at most 77% of their ties inside, 14% on
    CollegeMsg).

    ``score``: observed over expected reciprocal ties (how many times denser than the
    members' communities predict); ``density``: share of the members' pairs tied both
    ways. Members and targets are the same accounts. Pods are reciprocal rings too, so
    this detector flags them as well (``detect`` lists them once, as dense blocks).

    Cost: O(m) to pair the edges; the truss in O(sum over ties of the smaller degree),
    compiled; the peel O(s^2) per part of s accounts. Cannot find: rings smaller than
    ``min_members``, rings whose members keep more than ``1 - min_closure`` of their
    reciprocal ties outside (real accounts with a busy life besides the ring), or
    one-way engagement (see ``dense_blocks``).
    """
    return [candidate.group for candidate in _ring_candidates(engagement, settings)]


def _ring_candidates(engagement: Engagement, settings: RingSettings) -> list[_Candidate]:
    from influence.graph import _authenticity_kernels as kernels

    graph = engagement.graph
    n = graph.n
    a, b, exchanged = reciprocal_pairs(engagement)
    if len(a) == 0:
        return []
    kept = kernels.truss(n, a.astype(np.int64), b.astype(np.int64), settings.min_members - 2)
    if not kept.any():
        return []
    ties = np.bincount(np.concatenate([a, b]), minlength=n).astype(np.float64)
    ka, kb = a[kept], b[kept]
    nodes = _unique(np.concatenate([ka, kb]))
    label = _components(ka, kb, nodes)
    edge_label = label[np.searchsorted(nodes, ka)]
    by_label = np.argsort(edge_label, kind="stable")
    bounds = np.searchsorted(edge_label[by_label], np.arange(label.max() + 2))
    # Every tie by account, to count a group's ties that the truss dropped.
    ends = np.concatenate([a, b])
    ends_order = np.argsort(ends, kind="stable")
    ends_ptr = np.searchsorted(ends[ends_order], np.arange(n + 1))
    tie_of = np.concatenate([np.arange(len(a)), np.arange(len(a))])[ends_order]
    mixing = _Mixing(engagement.community, a, b)

    def ring_of(members: np.ndarray) -> _Candidate | None:
        """The ring of ``members`` (sorted) when it passes the thresholds; rebuilt on part of
        them the same way."""
        if len(members) < settings.min_members:
            return None
        touching = _unique(np.concatenate([tie_of[ends_ptr[v]:ends_ptr[v + 1]] for v in members]))
        inside = np.zeros(n, dtype=bool)
        inside[members] = True
        touching = touching[inside[a[touching]] & inside[b[touching]]]
        observed = len(touching)
        # Always met by a truss part's dense core; checked for a rebuilt part.
        if observed < settings.min_density * len(members) * (len(members) - 1) / 2:
            return None
        closure = 2 * observed / ties[members].sum()
        if closure < settings.min_closure:
            return None
        expected = mixing.expected(members, a[touching], b[touching], settings.prior_pairs)
        ratio = observed / max(expected, 1e-12)
        if ratio < settings.min_ratio:
            return None

        def rebuild(part: np.ndarray) -> SuspiciousGroup | None:
            candidate = ring_of(np.sort(part))
            return None if candidate is None else candidate.group

        return _Candidate(_ring_group(engagement, members, int(exchanged[touching].sum()), observed, ratio), rebuild)

    groups = []
    for part in range(label.max() + 1):
        candidates = nodes[label == part]
        if len(candidates) < settings.min_members:
            continue
        mine = by_label[bounds[part]:bounds[part + 1]]
        members = _dense_core(candidates, ka[mine], kb[mine], settings.min_density, settings.min_members)
        candidate = None if members is None else ring_of(members)
        if candidate is not None:
            groups.append(candidate)
    return _ordered_candidates(groups)


def _dense_core(candidates: np.ndarray, a: np.ndarray, b: np.ndarray, min_density: float,
                min_members: int) -> np.ndarray | None:
    """Remove the account with the fewest ties inside (lowest index on ties) until the
    share of tied pairs reaches ``min_density``; None when fewer than ``min_members`` are left.
    ``candidates`` sorted, ``a - b`` distinct ties between them. O(k) per removal for k
    candidates."""
    k = len(candidates)
    ends = np.searchsorted(candidates, np.concatenate([a, b]))
    others = np.searchsorted(candidates, np.concatenate([b, a]))
    order = np.argsort(ends, kind="stable")
    neighbours, bounds = others[order], np.searchsorted(ends[order], np.arange(k + 1))
    degree = np.bincount(ends, minlength=k)
    alive = np.ones(k, dtype=bool)
    ties, left = len(a), k
    gone = np.iinfo(np.int64).max
    while left >= min_members:
        if ties >= min_density * left * (left - 1) / 2:
            return candidates[alive]
        drop = int(np.argmin(np.where(alive, degree, gone)))
        alive[drop] = False
        left -= 1
        near = neighbours[bounds[drop]:bounds[drop + 1]]
        near = near[alive[near]]
        degree[near] -= 1
        ties -= len(near)
    return None


class _Mixing:
    """Reciprocal ties within and between communities, for the block model of ``rings``."""

    def __init__(self, community: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        codes, self.community = np.unique(community, return_inverse=True)
        k = self.k = len(codes)
        self.size = np.bincount(self.community, minlength=k).astype(np.float64)
        ca, cb = self.community[a], self.community[b]
        self.keys, self.ties = np.unique(self._key(ca, cb), return_counts=True)
        within_pairs = float((self.size * (self.size - 1) / 2).sum())
        all_pairs = float(len(community)) * (len(community) - 1) / 2
        within_ties = float((ca == cb).sum())
        # The whole graph's reciprocal density inside communities and between them: the prior.
        self.prior_within = within_ties / max(within_pairs, 1.0)
        self.prior_between = (len(a) - within_ties) / max(all_pairs - within_pairs, 1.0)

    def _key(self, c: np.ndarray, d: np.ndarray) -> np.ndarray:
        return np.minimum(c, d).astype(np.int64) * self.k + np.maximum(c, d)

    @staticmethod
    def _lookup(keys: np.ndarray, values: np.ndarray, key: np.ndarray) -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(len(key))
        at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        return np.where(keys[at] == key, values[at], 0).astype(np.float64)

    def expected(self, members: np.ndarray, inner_a: np.ndarray, inner_b: np.ndarray, prior_pairs: float) -> float:
        """Expected reciprocal ties among ``members``: the sum over their pairs of the
        reciprocal density of the pair's two communities, counted without the members' own
        pairs and ties (``inner_a - inner_b``) and shrunk towards the prior."""
        c = self.community[members]
        u, v = np.triu_indices(len(members), k=1)
        key = self._key(c[u], c[v])
        own_keys, own_pairs = np.unique(key, return_counts=True)
        tie_keys, own_ties = np.unique(self._key(self.community[inner_a], self.community[inner_b]),
                                       return_counts=True)
        low, high = own_keys // self.k, own_keys % self.k
        pairs = np.where(low == high, self.size[low] * (self.size[low] - 1) / 2, self.size[low] * self.size[high])
        pairs -= own_pairs
        ties = self._lookup(self.keys, self.ties, own_keys) - self._lookup(tie_keys, own_ties, own_keys)
        prior = np.where(low == high, self.prior_within, self.prior_between)
        density = (ties + prior_pairs * prior) / np.maximum(pairs + prior_pairs, 1e-300)
        density = np.where(pairs + prior_pairs > 0, density, prior)
        return float((own_pairs * density).sum())


def _ring_group(engagement: Engagement, members: np.ndarray, exchanged: int, observed: int,
                ratio: float) -> SuspiciousGroup:
    graph = engagement.graph
    edges = np.flatnonzero(np.isin(graph.src, members) & np.isin(graph.dst, members))
    pairs = len(members) * (len(members) - 1) // 2
    density = observed / pairs
    reason = (f"{_plural(len(members), 'account')} engaged each other both ways in {observed} of {pairs} pairs "
              f"({exchanged:,} engagements), {ratio:.0f}x denser than their communities predict")
    return SuspiciousGroup(
        detector="ring", members=tuple(members.tolist()), targets=tuple(members.tolist()), density=density,
        synchrony=None, window_start=int(engagement.first_at[edges].min()),
        window_end=int(engagement.last_at[edges].max()), interactions=int(engagement.interactions[edges].sum()),
        score=ratio, reason=reason)


# --- what the flagged engagement lifted -------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Discount:
    """Per node: ``suspicious_share``, the share of the edge weight it received that came
    from members of a flagged group (0 when it received none); ``authentic_pagerank``,
    PageRank on the graph without the members' edges; ``lifted_by``, the index (into the
    groups given) of the group whose members gave it the most of that weight, -1 when
    none did; and ``pagerank_iterations`` of the authentic run (0 when nobody is flagged
    and ``authentic_pagerank`` is the ``pagerank`` given)."""

    suspicious_share: np.ndarray
    authentic_pagerank: np.ndarray
    lifted_by: np.ndarray
    pagerank_iterations: int


def discounted(graph: EdgeList, groups: list[SuspiciousGroup], pagerank: np.ndarray, *, damping: float,
               tolerance: float, max_iterations: int) -> Discount:
    """How much each user's standing rests on flagged engagement (``Discount``).

    ``graph`` holds the ``silver/edges`` weights; ``pagerank`` is the engine's PageRank of
    it. The members' edges (every edge a member of a group makes) are dropped and PageRank
    is run again with the same parameters, on the same users (``weighted_pagerank``: the
    members keep their own teleport share but pass nothing on). Cost: one PageRank,
    O(iterations x m), and O(m) for the shares; none of it when no group is flagged.
    """
    from influence.graph.pagerank import weighted_pagerank

    n = graph.n
    group_of = np.full(n, -1, dtype=np.int64)
    for index, group in enumerate(groups):
        group_of[list(group.members)] = index
    from_member = group_of[graph.src] >= 0
    lifted_by = np.full(n, -1, dtype=np.int64)
    if not from_member.any():
        return Discount(np.zeros(n), np.asarray(pagerank, dtype=np.float64), lifted_by, 0)
    received = np.bincount(graph.dst, weights=graph.weight, minlength=n)
    flagged = np.bincount(graph.dst[from_member], weights=graph.weight[from_member], minlength=n)
    share = np.divide(flagged, received, out=np.zeros(n), where=received > 0)
    # Per lifted user, the group that gave the most: sum by (user, group), keep each user's largest.
    key = graph.dst[from_member] * len(groups) + group_of[graph.src[from_member]]
    keys, where = np.unique(key, return_inverse=True)
    totals = np.bincount(where, weights=graph.weight[from_member])
    order = np.lexsort((-totals, keys // len(groups)))
    first = np.concatenate([[True], (keys[order] // len(groups))[1:] != (keys[order] // len(groups))[:-1]])
    best = order[first]
    lifted_by[keys[best] // len(groups)] = keys[best] % len(groups)
    kept = ~from_member
    authentic = weighted_pagerank(graph.src[kept], graph.dst[kept], graph.weight[kept], n, damping=damping,
                                  tolerance=tolerance, max_iterations=max_iterations)
    return Discount(share, authentic.scores, lifted_by, authentic.iterations)
