import networkx as nx
import numpy as np
import pytest

from influence.graph.pagerank import NotConverged, weighted_pagerank


def test_three_nodes_with_a_dangling_node_match_the_closed_form():
    # a -> b (weight 1), a -> c (weight 3), b -> c (weight 1); c has no out-edges.
    # With t = x_a: x_a = t, x_b = t (1 + d/4), x_c = 1 - t (2 + d/4), where solving the
    # balance equations by hand gives t = 1 / (3 + 2d + d^2 / 4).
    d = 0.85
    t = 1 / (3 + 2 * d + d * d / 4)
    expected = [t, t * (1 + d / 4), 1 - t * (2 + d / 4)]
    result = weighted_pagerank(np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([1.0, 3.0, 1.0]), 3, damping=d)
    # within the stated guarantee: L1 distance to the fixed point <= tolerance * d / (1 - d)
    assert np.abs(result.scores - expected).sum() <= 1e-10 * d / (1 - d)
    assert result.scores == pytest.approx(expected, abs=1e-10)
    assert result.scores.sum() == pytest.approx(1.0, abs=1e-15)
    assert result.l1_change < 1e-10


def test_symmetric_cycle_is_uniform_and_weights_do_not_matter_on_a_cycle():
    result = weighted_pagerank(np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0]), np.array([5.0, 1.0, 2.0, 9.0]), 4)
    assert result.scores == pytest.approx([0.25] * 4, abs=1e-12)


def test_weight_shifts_rank_towards_the_heavier_edge():
    # star: 0 engages 1 (weight 9) and 2 (weight 1); 1 and 2 dangle.
    result = weighted_pagerank(np.array([0, 0]), np.array([1, 2]), np.array([9.0, 1.0]), 3)
    assert result.scores[1] > result.scores[2] > result.scores[0]


def test_agrees_with_networkx_on_a_random_weighted_graph():
    rng = np.random.default_rng(3)
    n, m = 300, 2000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = src != dst
    src, dst, weight = src[keep], dst[keep], rng.exponential(2.0, keep.sum())
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for s, t, w in zip(src, dst, weight):
        if graph.has_edge(s, t):
            graph[s][t]["weight"] += w
        else:
            graph.add_edge(s, t, weight=w)
    oracle = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-12)
    result = weighted_pagerank(src, dst, weight, n)
    assert np.max(np.abs(result.scores - np.array([oracle[i] for i in range(n)]))) < 1e-9


def test_refuses_to_return_scores_that_did_not_converge():
    with pytest.raises(NotConverged, match="after 2 iterations"):
        weighted_pagerank(np.array([0, 0]), np.array([1, 2]), np.array([1.0, 1.0]), 3, max_iterations=2)


def test_negative_weights_are_refused():
    with pytest.raises(ValueError, match="negative"):
        weighted_pagerank(np.array([0]), np.array([1]), np.array([-1.0]), 2)
