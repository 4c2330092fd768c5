"""Pair-sampled betweenness: hand-counted graphs, bounds against networkx, the stopping rule."""

import math

import networkx as nx
import numpy as np
import pytest

from influence.graph.betweenness import (
    betweenness_figures, checkpoint_schedule, kl_interval, pair_betweenness, resolution,
)
from influence.graph.structure import EdgeList
from tests import oracles
from tests.graphs import random_graph

DELTA = 0.1


def sample(graph, budget=200_000, **options):
    settings = {"delta": DELTA, "seed": 3, "pair_budget": budget, "time_budget_seconds": 600.0}
    return pair_betweenness(graph, **{**settings, **options})


def test_a_diamond_splits_its_pairs_evenly_between_the_two_middle_nodes():
    # s -> a -> t and s -> b -> t: of the 3 x 3 - 2 ordered pairs from an engager to someone
    # engaged, only (s, t) passes a middle node, half its paths through each. Exact
    # betweenness is 0.5 / ((4 - 1)(4 - 2)) = 1/12 for a and b.
    graph = EdgeList.from_pairs([("s", "a"), ("a", "t"), ("s", "b"), ("b", "t")])
    result = sample(graph, threads=2)
    assert result.stop == "resolved" and result.top_resolved
    by_id = dict(zip(graph.ids, zip(result.betweenness, result.betweenness_error)))
    assert by_id["s"] == by_id["t"] == (0.0, 0.0)  # no in-edges, no out-edges: exactly 0
    for middle in ("a", "b"):
        estimate, error = by_id[middle]
        assert abs(estimate - 1 / 12) <= error < 0.5 * estimate


def test_a_path_graph_counts_every_inner_node_of_every_pair():
    # a -> b -> c -> d: b lies on (a, c) and (a, d), c on (a, d) and (b, d): 2 / 6 each.
    # b and c are sources and targets both: a sampler that redrew only a target equal to its
    # source would favour pairs from b and c, and put b on 0.22 of the draws, not 2/7.
    graph = EdgeList.from_pairs([("a", "b"), ("b", "c"), ("c", "d")])
    result = sample(graph)
    by_id = dict(zip(graph.ids, zip(result.betweenness, result.betweenness_error)))
    for inner in ("b", "c"):
        estimate, error = by_id[inner]
        assert abs(estimate - 1 / 3) <= error < 0.5 * estimate
    assert by_id["a"] == (0.0, 0.0) and by_id["d"] == (0.0, 0.0)


def test_every_user_is_within_the_bound_and_the_bound_is_tight_against_networkx():
    graph = random_graph(n=150, p=0.03, seed=8)
    exact = oracles.as_array(nx.betweenness_centrality(oracles.digraph(graph), normalized=True), graph.n)
    result = sample(graph, budget=300_000)
    missed = np.abs(result.betweenness - exact) > result.betweenness_error
    assert not missed.any(), f"{missed.sum()} users outside their bound"
    # variance-aware: the bound follows each user's own value, far below a uniform one
    top = np.argsort(-exact)[:20]
    assert np.all(result.betweenness_error[top] < 0.5 * exact[top])
    hoeffding = math.sqrt(math.log(2 * graph.n / DELTA) / (2 * result.pairs))
    assert np.median(result.betweenness_error[exact > 0]) < hoeffding / 2
    assert np.median(result.betweenness_error[top]) <= 10 * np.abs(result.betweenness - exact)[top].max()


def test_the_counts_follow_the_seed_and_not_the_threads():
    graph = random_graph(n=120, p=0.04, seed=5)
    one = sample(graph, budget=20_000, threads=1)
    two = sample(graph, budget=20_000, threads=2)
    np.testing.assert_array_equal(one.betweenness, two.betweenness)
    other = sample(graph, budget=20_000, seed=4)
    assert not np.array_equal(one.betweenness, other.betweenness)


def test_sampling_stops_when_the_top_is_resolved_or_a_budget_runs_out():
    graph = random_graph(n=150, p=0.03, seed=8)
    resolved = sample(graph, budget=4_000_000)
    assert resolved.stop == "resolved" and resolved.top_resolved
    assert resolved.pairs in checkpoint_schedule(4_000_000) and resolved.pairs < 4_000_000
    short = sample(graph, budget=4096)
    assert short.stop == "pair_budget" and short.pairs == 4096 and not short.top_resolved
    assert short.pairs_for_top100 > short.pairs
    timed_out = sample(graph, budget=4_000_000, time_budget_seconds=1e-9)
    assert timed_out.stop == "time_budget" and timed_out.pairs == 4096


def test_checkpoints_grow_by_root_two_and_end_at_the_budget():
    points = checkpoint_schedule(20_000)
    assert points == [4096, 5793, 8192, 11585, 16384, 20_000]
    assert checkpoint_schedule(4096) == [4096]


def test_the_kl_interval_inverts_the_chernoff_bound():
    k, log_term = 1_000, 5.0
    low, high = kl_interval(np.array([0.0, 0.3, 1.0]), k, log_term)
    # from 0: k ln(1 / (1 - q)) = L
    assert high[0] == pytest.approx(1 - math.exp(-log_term / k), rel=1e-9) and low[0] == 0
    assert high[2] == 1 and low[2] == pytest.approx(math.exp(-log_term / k), rel=1e-9)
    for q in (low[1], high[1]):
        relative_entropy = 0.3 * math.log(0.3 / q) + 0.7 * math.log(0.7 / (1 - q))
        assert k * relative_entropy == pytest.approx(log_term, rel=1e-6)
    # about sqrt(2 p (1 - p) L / k) wide near the middle
    assert high[1] - 0.3 == pytest.approx(math.sqrt(2 * 0.21 * log_term / k), rel=0.15)


def test_resolution_reads_both_senses_from_the_top_rows():
    estimate = np.array([0.4, 0.1, 0.05, 0.0])
    assert resolution(estimate, np.array([0.01, 0.02, 0.02, 0.01])) == {
        "top_resolved": True, "top100_resolved": True, "top_error_ratio": pytest.approx(0.4)}
    # the leader's bound is below half its own value but not below half the third's
    wide_top = resolution(estimate, np.array([0.03, 0.02, 0.02, 0.01]))
    assert wide_top["top_resolved"] is False and wide_top["top100_resolved"] is False
    assert resolution(estimate, np.zeros(4))["top_resolved"] is True
    figures = betweenness_figures(estimate, np.zeros(4), None, "exact")
    assert figures["betweenness_stop"] == "exact" and figures["betweenness_pairs"] == 0


def test_the_console_says_how_far_pair_sampling_got():
    from influence.cli import _betweenness_line

    summary = {"betweenness_pairs": 185_364, "betweenness_stop": "pair_budget", "betweenness_top_error_ratio": 0.62,
               "betweenness_top100_resolved": False, "betweenness_pairs_for_top100": 1_204_866}
    assert _betweenness_line(summary) == (
        "betweenness from 185,364 sampled pairs: paths.pair_budget stopped it, the top not resolved (the widest "
        "bound among the top 100 is 62% of its estimate; every bound below half the 100th value would take "
        "about 1,204,866)")
    resolved = {**summary, "betweenness_stop": "resolved", "betweenness_top100_resolved": True}
    assert _betweenness_line(resolved).endswith("the top is resolved (the widest bound among the top 100 is 62% "
                                                "of its estimate)")
