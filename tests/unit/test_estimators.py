"""The sampled estimators against exact values: accuracy, and bounds that hold and mean something."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from influence.graph.paths import (
    exact_path_centralities, exact_top_harmonic, path_centralities, sampled_path_centralities,
)
from influence.graph.reach import estimated_reach_2hop, exact_reach_2hop
from tests import oracles
from tests.graphs import generated_graph

DELTA = 0.1


@pytest.fixture(scope="module")
def graph():
    g = generated_graph(users=3_000, days=30)
    assert g.m > 15_000  # big enough for the top 100 to mean something
    return g


@pytest.fixture(scope="module")
def exact(graph):
    return exact_path_centralities(graph)


@pytest.fixture(scope="module")
def sampled(graph):
    return sampled_path_centralities(graph, samples=1_000, delta=DELTA, seed=20260630)


def test_bounds_hold_for_all_but_a_delta_share_of_users(exact, sampled):
    for estimate, bound, truth in ((sampled.betweenness, sampled.betweenness_error, exact.betweenness),
                                   (sampled.harmonic, sampled.harmonic_error, exact.harmonic)):
        assert np.mean(np.abs(estimate - truth) <= bound) >= 1 - DELTA


def test_sampled_rankings_agree_with_exact(exact, sampled):
    assert oracles.top_overlap(sampled.betweenness, exact.betweenness) >= 0.9
    assert oracles.top_overlap(sampled.harmonic, exact.harmonic) >= 0.95
    assert spearmanr(sampled.harmonic, exact.harmonic)[0] >= 0.99


def test_bounds_are_narrower_than_the_values_they_bound_at_the_top(sampled):
    # The range term 7 R ln(4n/delta) / 3(k-1) is a floor of ~0.03 at k = 1,000: betweenness
    # values fall under it past the first few ranks; harmonic values stay well above it.
    for estimate, bound, top in ((sampled.betweenness, sampled.betweenness_error, 5),
                                 (sampled.harmonic, sampled.harmonic_error, 100)):
        best = np.argsort(-estimate)[:top]
        assert np.all(bound[best] < estimate[best])
    # and far narrower than a uniform Hoeffding bound over the same draws
    hoeffding = np.sqrt(np.log(2 * len(sampled.betweenness) / DELTA) / (2 * sampled.draws))
    assert np.median(sampled.betweenness_error) < hoeffding / 2 and np.max(sampled.betweenness_error) < hoeffding


def test_users_who_cannot_broker_are_exactly_zero(graph, sampled):
    sinks = (graph.in_degree == 0) | (graph.out_degree == 0)
    assert sinks.any()
    assert np.all(sampled.betweenness[sinks] == 0) and np.all(sampled.betweenness_error[sinks] == 0)


def test_the_same_seed_gives_the_same_estimates(graph, sampled):
    again = sampled_path_centralities(graph, samples=1_000, delta=DELTA, seed=20260630)
    np.testing.assert_array_equal(again.betweenness, sampled.betweenness)
    np.testing.assert_array_equal(again.harmonic_error, sampled.harmonic_error)


def test_worker_processes_share_the_sources_and_agree(graph, sampled):
    shared = sampled_path_centralities(graph, samples=1_000, delta=DELTA, seed=20260630, workers=2)
    for name in ("betweenness", "betweenness_error", "harmonic", "harmonic_error"):
        np.testing.assert_allclose(getattr(shared, name), getattr(sampled, name), rtol=1e-12, atol=1e-15)
    assert (shared.draws, shared.sources) == (sampled.draws, sampled.sources)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_compiled_searches_give_the_batched_searches_harmonic_estimates(graph, sampled, workers):
    # Without betweenness, the sources' searches run in compiled code (threads) instead of
    # the batched sparse products: the same draws, the same sums up to rounding.
    harmonic_only = sampled_path_centralities(graph, samples=1_000, delta=DELTA, seed=20260630, workers=workers,
                                              betweenness=False)
    for name in ("harmonic", "harmonic_error"):
        np.testing.assert_allclose(getattr(harmonic_only, name), getattr(sampled, name), rtol=1e-12, atol=1e-15)
    assert not harmonic_only.betweenness.any() and (harmonic_only.draws, harmonic_only.sources) == (
        sampled.draws, sampled.sources)


def test_reach_sketch_bounds_hold_and_track_the_exact_count(graph):
    exact = exact_reach_2hop(graph)
    estimate, error = estimated_reach_2hop(graph, sketch_size=256, delta=DELTA, seed=3)
    assert np.mean(np.abs(estimate - exact) <= error) >= 1 - DELTA
    reached = exact > 50
    relative = np.abs(estimate[reached] - exact[reached]) / exact[reached]
    assert np.median(relative) < 0.1
    assert spearmanr(estimate, exact)[0] >= 0.98
    assert np.all(estimate[graph.in_degree == 0] == 0)


def test_exact_top_harmonic_matches_the_exact_values(graph, exact):
    nodes, values = exact_top_harmonic(graph, 50)
    np.testing.assert_allclose(values, exact.harmonic[nodes], atol=1e-12)
    assert np.isclose(values.min(), np.sort(exact.harmonic)[-50])


def test_sampled_paths_keep_the_exact_top_harmonic_users(graph, exact):
    mixed = path_centralities(graph, exact_max_work=0, samples=1_000, delta=DELTA, seed=20260630,
                              harmonic_exact_top=100)
    assert mixed.method == "sampled" and mixed.harmonic_exact_top == 100
    assert oracles.top_overlap(mixed.harmonic, exact.harmonic) >= 0.99
    assert np.mean(np.abs(mixed.harmonic - exact.harmonic) <= mixed.harmonic_error) >= 1 - DELTA
    assert (mixed.harmonic_error == 0).sum() >= 100
