"""Campaign planning on the driver: hand-made graphs, brute-force optima and networkx audiences."""

from itertools import combinations

import networkx as nx
import numpy as np
import pytest

from influence.graph.coverage import BUDGETED_RATIO, GREEDY_RATIO, Audiences, in_order, lazy_greedy, overlaps
from influence.graph.structure import EdgeList
from tests.graphs import random_graph


def _graph(audiences: dict[str, list[str]]) -> EdgeList:
    """Edges engager -> influencer from {influencer: [engagers]}."""
    return EdgeList.from_pairs([(fan, star) for star, fans in audiences.items() for fan in fans])


def _node(graph: EdgeList, user: str) -> int:
    return int(np.searchsorted(graph.ids, user))


def _names(graph: EdgeList, nodes) -> list[str]:
    return [str(graph.ids[v]) for v in nodes]


def _reach(audiences: Audiences, nodes) -> int:
    return len(set().union(*(set(audiences.of(v).tolist()) for v in nodes))) if nodes else 0


def test_the_greedy_picks_and_their_gains_are_the_hand_computed_ones():
    graph = _graph({"A": ["f1", "f2", "f3", "f4"], "B": ["f3", "f4", "f5"], "C": ["f5", "f6"], "D": ["f1", "f2"]})
    audiences = Audiences(graph, 1)
    stars = [_node(graph, s) for s in "ABCD"]
    plan = lazy_greedy(audiences, np.array(stars), 3)
    # A first (4 people); then C adds f5 and f6 where B adds only f5 and D nobody; then nobody adds anyone.
    assert _names(graph, plan.picks) == ["A", "C"]
    assert plan.marginal == [4, 2] and plan.cumulative == [4, 6] and plan.audience == [4, 2]
    # The online bound (6 plus the gains left, all 0) proves 6 optimal, far below 6 / (1 - 1/e).
    assert plan.upper_bound == 6


def test_two_hubs_with_one_audience_make_a_poor_top_k_and_the_greedy_plan_beats_it():
    fans = [f"f{i:02d}" for i in range(10)]
    graph = _graph({"H1": fans, "H2": fans[:9], "X": ["g1", "g2", "g3", "g4", "g5"]})
    audiences = Audiences(graph, 1)
    hubs_first = [_node(graph, u) for u in ("H1", "H2", "X")]  # the top by score: the two hubs
    top = in_order(audiences, hubs_first, 2, "top_score")
    plan = lazy_greedy(audiences, np.array(hubs_first), 2)
    assert top.reach == 10 and top.marginal == [10, 0]
    assert _names(graph, plan.picks) == ["H1", "X"] and plan.reach == 15
    # After H1, H2's 9 people are all reached: the bound left is X's 5, so 15 is the optimum.
    assert plan.upper_bound == 15


@pytest.mark.parametrize("hops", [1, 2])
def test_audiences_are_the_people_within_the_hops_as_networkx_finds_them(hops):
    graph = random_graph(n=60, p=0.06, seed=hops)
    towards = nx.DiGraph()
    towards.add_nodes_from(range(graph.n))
    towards.add_edges_from(zip(graph.dst.tolist(), graph.src.tolist()))  # walk from influencer to engagers
    audiences = Audiences(graph, hops)
    expected = [set(nx.single_source_shortest_path_length(towards, v, cutoff=hops)) - {v} for v in range(graph.n)]
    assert [set(audiences.of(v).tolist()) for v in range(graph.n)] == expected
    assert audiences.sizes(np.arange(graph.n)).tolist() == [len(e) for e in expected]


@pytest.mark.parametrize("seed", range(12))
def test_the_greedy_reaches_at_least_1_minus_1_over_e_of_the_brute_force_optimum(seed):
    graph = random_graph(n=14, p=0.2, seed=seed)
    audiences = Audiences(graph, 1 + seed % 2)
    nodes = list(range(graph.n))
    for k in (2, 3):
        best = max(_reach(audiences, chosen) for chosen in combinations(nodes, k))
        plan = lazy_greedy(audiences, np.array(nodes), k)
        assert plan.reach == _reach(audiences, plan.picks)
        assert plan.reach >= GREEDY_RATIO * best
        assert plan.upper_bound >= best


def test_the_greedy_equals_the_optimum_on_most_small_graphs():
    equal = 0
    for seed in range(20):
        graph = random_graph(n=12, p=0.2, seed=100 + seed)
        audiences = Audiences(graph, 1)
        best = max(_reach(audiences, chosen) for chosen in combinations(range(graph.n), 3))
        equal += lazy_greedy(audiences, np.arange(graph.n), 3).reach == best
    assert equal >= 15, f"greedy was optimal on only {equal} of 20 graphs"


@pytest.mark.parametrize("seed", range(10))
def test_a_budgeted_plan_stays_within_budget_and_reaches_its_guaranteed_share(seed):
    graph = random_graph(n=12, p=0.25, seed=200 + seed)
    audiences = Audiences(graph, 1)
    rng = np.random.default_rng(seed)
    costs = rng.integers(1, 6, graph.n).astype(float)
    budget = 7.0
    # Costs of at least 1 and a budget of 7: no affordable set has more than 7 people.
    best = max(_reach(audiences, chosen) for size in range(1, 8) for chosen in combinations(range(graph.n), size)
               if costs[list(chosen)].sum() <= budget)
    plan = lazy_greedy(audiences, np.arange(graph.n), graph.n, costs=costs, budget=budget)
    assert costs[plan.picks].sum() <= budget
    assert plan.reach == _reach(audiences, plan.picks)
    assert plan.reach >= BUDGETED_RATIO * best
    assert plan.upper_bound >= best


def test_the_best_single_pick_wins_when_the_cheap_picks_crowd_it_out():
    # Cheap C1 (1 person for cost 1) has the best ratio; then the big one no longer fits.
    graph = _graph({"C1": ["a"], "BIG": [f"f{i}" for i in range(10)]})
    costs = np.zeros(graph.n)
    costs[_node(graph, "C1")], costs[_node(graph, "BIG")] = 1.0, 10.0
    plan = lazy_greedy(Audiences(graph, 1), np.array([_node(graph, "C1"), _node(graph, "BIG")]), 2,
                       costs=costs, budget=10.0)
    assert _names(graph, plan.picks) == ["BIG"] and plan.reach == 10


def test_required_picks_come_first_and_count_toward_k():
    graph = _graph({"A": ["f1", "f2", "f3"], "B": ["f1"], "C": ["f4", "f5"]})
    audiences = Audiences(graph, 1)
    everyone = np.array([_node(graph, u) for u in "ABC"])
    plan = lazy_greedy(audiences, everyone, 2, required=[_node(graph, "B")])
    assert _names(graph, plan.picks) == ["B", "A"] and plan.marginal == [1, 2]
    with pytest.raises(ValueError, match="do not fit"):
        lazy_greedy(audiences, everyone, 1, required=[_node(graph, "B"), _node(graph, "C")])
    with pytest.raises(ValueError, match="at least 1"):
        lazy_greedy(audiences, everyone, 0)


def test_overlaps_count_the_shared_people_of_each_pair():
    graph = _graph({"A": ["f1", "f2", "f3"], "B": ["f2", "f3", "f4", "f5"], "C": ["f9"]})
    audiences = Audiences(graph, 1)
    a, b, c = (_node(graph, u) for u in "ABC")
    assert overlaps(audiences, [a, b, c]) == [(a, b, 3, 4, 2, 2 / 5), (a, c, 3, 1, 0, 0.0), (b, c, 4, 1, 0, 0.0)]


def _plain_greedy(audiences: Audiences, k: int) -> list[int]:
    """Greedy without laziness: every candidate evaluated at every pick, ties to the smaller node."""
    picks, covered = [], set()
    for _ in range(k):
        gains = [(len(set(audiences.of(v).tolist()) - covered), -v) for v in range(audiences.people) if v not in picks]
        gain, v = max(gains)
        if gain == 0:
            break
        picks.append(-v)
        covered |= set(audiences.of(-v).tolist())
    return picks


@pytest.mark.parametrize("seed", range(6))
def test_the_lazy_greedy_makes_the_same_picks_as_plain_greedy(seed):
    graph = random_graph(n=70, p=0.05, seed=300 + seed)
    audiences = Audiences(graph, 1 + seed % 2)
    assert lazy_greedy(audiences, np.arange(graph.n), 8).picks == _plain_greedy(audiences, 8)


def test_a_free_pick_comes_first_and_one_that_adds_nobody_is_not_taken():
    graph = _graph({"FREE": ["f1", "f2"], "COPY": ["f1"], "PAID": ["f3", "f4", "f5"]})
    costs = np.zeros(graph.n)
    costs[_node(graph, "PAID")] = 5.0  # FREE and COPY cost nothing; COPY adds nobody after FREE
    everyone = np.array([_node(graph, u) for u in ("FREE", "COPY", "PAID")])
    plan = lazy_greedy(Audiences(graph, 1), everyone, 3, costs=costs, budget=5.0)
    assert _names(graph, plan.picks) == ["FREE", "PAID"] and plan.reach == 5


def test_a_k_that_stops_a_budgeted_plan_first_claims_no_ratio():
    # Budget 30, k 3: three cheap picks of 10 people each fill k; the optimum books three of 990.
    audiences_of = {f"C{i}": [f"c{i}_{j}" for j in range(10)] for i in range(3)}
    audiences_of |= {f"B{i}": [f"b{i}_{j}" for j in range(990)] for i in range(3)}
    graph = _graph(audiences_of)
    costs = np.zeros(graph.n)
    for user in audiences_of:
        costs[_node(graph, user)] = 0.1 if user.startswith("C") else 10.0
    stars = np.array([_node(graph, u) for u in audiences_of])
    plan = lazy_greedy(Audiences(graph, 1), stars, 3, costs=costs, budget=30.0)
    assert "none proven" in plan.guarantee and plan.upper_bound >= 2_970
    unlimited = lazy_greedy(Audiences(graph, 1), stars, len(stars), costs=costs, budget=30.0)
    assert unlimited.reach >= 2_970 * BUDGETED_RATIO and costs[unlimited.picks].sum() <= 30


def test_with_every_pick_required_no_single_pick_is_added():
    graph = _graph({"A": ["f1"], "B": ["f2"], "BIG": [f"g{i}" for i in range(9)]})
    costs = np.ones(graph.n)
    required = [_node(graph, "A"), _node(graph, "B")]
    plan = lazy_greedy(Audiences(graph, 1), np.array([*required, _node(graph, "BIG")]), 2, required=required,
                       costs=costs, budget=5.0)
    assert _names(graph, plan.picks) == ["A", "B"]
