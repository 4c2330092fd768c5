"""Graph metrics on tiny graphs with hand-computed answers, and networkx as an oracle."""

import networkx as nx
import numpy as np
import pytest

from influence.config import load_config
from influence.graph.communities import communities, participation
from influence.graph.engines.networkit import community_names, compute_metrics
from influence.graph.pagerank import weighted_pagerank
from influence.graph.paths import empirical_bernstein, exact_path_centralities, source_dependencies, top_resolved
from influence.graph.reach import exact_reach_2hop
from influence.graph.structure import EdgeList
from tests import oracles
from tests.graphs import random_graph


def both_ways(*pairs):
    return [e for a, b in pairs for e in ((a, b), (b, a))]


# Two directed triangles {a1, a2, a3} and {b1, b2, b3} (every edge both ways) joined by a1 <-> b1.
BRIDGED_CLIQUES = EdgeList.from_pairs(both_ways(
    ("a1", "a2"), ("a1", "a3"), ("a2", "a3"), ("b1", "b2"), ("b1", "b3"), ("b2", "b3"), ("a1", "b1")))


def by_id(graph: EdgeList, values) -> dict[str, float]:
    return dict(zip(graph.ids.tolist(), np.asarray(values).tolist()))


def test_a_path_has_its_middle_as_the_only_broker():
    path = EdgeList.from_pairs([("a", "b"), ("b", "c")])
    exact = exact_path_centralities(path)
    # b lies on the one path a -> c, of the (n-1)(n-2) = 2 ordered pairs it could lie on.
    assert by_id(path, exact.betweenness) == {"a": 0.0, "b": 0.5, "c": 0.0}
    # c is reached from b in 1 hop and from a in 2: (1 + 1/2) / (n - 1).
    assert by_id(path, exact.harmonic) == pytest.approx({"a": 0.0, "b": 0.5, "c": 0.75})
    assert by_id(path, exact_reach_2hop(path)) == {"a": 0, "b": 1, "c": 2}


def test_a_star_hub_brokers_every_pair_of_leaves():
    # x1, x2 engage the hub; the hub engages y1, y2: 4 ordered leaf pairs pass the hub.
    star = EdgeList.from_pairs([("x1", "h"), ("x2", "h"), ("h", "y1"), ("h", "y2")])
    exact = exact_path_centralities(star)
    assert by_id(star, exact.betweenness)["h"] == pytest.approx(4 / (4 * 3))
    assert by_id(star, exact.harmonic)["y1"] == pytest.approx((1 + 0.5 + 0.5) / 4)
    assert by_id(star, exact_reach_2hop(star)) == {"h": 2, "x1": 0, "x2": 0, "y1": 3, "y2": 3}


def test_block_search_counts_paths_and_dependencies_by_hand():
    # s reaches t two ways (via a and via b), then u through t; a reaches only t and u.
    diamond = EdgeList.from_pairs([("s", "a"), ("s", "b"), ("a", "t"), ("b", "t"), ("t", "u")])
    node = {name: i for i, name in enumerate(diamond.ids.tolist())}
    dependency, distance = source_dependencies(diamond.adjacency, diamond.adjacency.T.tocsr(),
                                               np.array([node["s"], node["a"]]))
    from_s, from_a = (dict(zip(diamond.ids.tolist(), row.tolist())) for row in dependency)
    # From s: t carries the one path to u; a and b carry half of the two paths to t and to u.
    assert from_s == pytest.approx({"s": 0.0, "a": 1.0, "b": 1.0, "t": 1.0, "u": 0.0})
    assert from_a == pytest.approx({"s": 0.0, "a": 0.0, "b": 0.0, "t": 1.0, "u": 0.0})
    assert dict(zip(diamond.ids.tolist(), distance[0].tolist())) == {"s": 0, "a": 1, "b": 1, "t": 2, "u": 3}
    assert dict(zip(diamond.ids.tolist(), distance[1].tolist())) == {"s": -1, "a": 0, "b": -1, "t": 1, "u": 2}


def test_block_search_matches_igraph_source_by_source():
    graph = random_graph(300, 0.012, seed=11)  # sparse: ties of shortest paths and unreachable users
    sources = np.array([0, 5, 17, 42, graph.n - 1])
    dependency, distance = source_dependencies(graph.adjacency, graph.adjacency.T.tocsr(), sources)
    directed = graph.igraph(directed=True)
    for row, source in enumerate(sources):
        expected = np.asarray(directed.betweenness(directed=True, sources=[int(source)]))
        np.testing.assert_allclose(dependency[row], expected, rtol=1e-9, atol=1e-9)
        hops = np.asarray(directed.distances(source=[int(source)], mode="out")[0], dtype=float)
        np.testing.assert_array_equal(distance[row], np.where(np.isfinite(hops), hops, -1))


def test_the_bridge_between_two_cliques():
    graph = BRIDGED_CLIQUES
    exact = exact_path_centralities(graph)
    # a1 carries a2, a3 -> b1, b2, b3 and back: 12 of the 5 x 4 = 20 ordered pairs.
    assert by_id(graph, exact.betweenness) == pytest.approx(
        {"a1": 0.6, "b1": 0.6, "a2": 0.0, "a3": 0.0, "b2": 0.0, "b3": 0.0})
    # a2 is reached from a1 and a3 in 1 hop, b1 in 2, b2 and b3 in 3: (2 + 1/2 + 2/3) / 5.
    assert by_id(graph, exact.harmonic)["a2"] == pytest.approx((2 + 1 / 2 + 2 / 3) / 5)
    assert by_id(graph, exact_reach_2hop(graph)) == {"a1": 5, "b1": 5, "a2": 3, "a3": 3, "b2": 3, "b3": 3}

    found = communities(graph, resolution=1.0, seed=7)
    names = by_id(graph, community_names(graph.ids, found.community))
    assert names == {"a1": "a1", "a2": "a1", "a3": "a1", "b1": "b1", "b2": "b1", "b3": "b1"}
    # a1's contacts: a2, a3 in its own community, b1 in the other: 1 - (2/3)^2 - (1/3)^2.
    assert by_id(graph, found.participation) == pytest.approx(
        {"a1": 4 / 9, "b1": 4 / 9, "a2": 0, "a3": 0, "b2": 0, "b3": 0})
    assert set(found.kcore.tolist()) == {2}
    assert found.modularity == pytest.approx(oracles.modularity(graph, found.community))


def test_exact_metrics_agree_with_networkx_on_a_random_graph():
    graph = random_graph()
    exact = exact_path_centralities(graph)
    np.testing.assert_allclose(exact.betweenness, oracles.betweenness(graph), atol=1e-12)
    np.testing.assert_allclose(exact.harmonic, oracles.harmonic(graph), atol=1e-12)
    np.testing.assert_array_equal(exact_reach_2hop(graph), oracles.reach_2hop(graph))
    found = communities(graph, resolution=1.0, seed=1)
    np.testing.assert_array_equal(found.kcore, oracles.kcore(graph))
    assert found.modularity >= 0.8 * oracles.louvain_modularity(graph)


def test_participation_counts_each_contact_once_whatever_the_direction():
    graph = EdgeList.from_pairs([("v", "a"), ("a", "v"), ("v", "b"), ("c", "v")])
    membership = np.array([0, 1, 2, 2])  # ids sorted: a, b, c, v
    # v's contacts a, b, c sit in communities 0, 1, 2: 1 - 3 x (1/3)^2.
    assert by_id(graph, participation(graph, membership))["v"] == pytest.approx(2 / 3)


def test_personalised_pagerank_matches_networkx():
    graph = random_graph()
    seeds = np.isin(np.arange(graph.n), [0, 5])
    ours = weighted_pagerank(graph.src, graph.dst, graph.weight, graph.n, personalization=seeds.astype(float))
    p = {i: float(s) for i, s in enumerate(seeds)}
    oracle = nx.pagerank(oracles.digraph(graph), weight="weight", personalization=p, dangling=p, tol=1e-12)
    np.testing.assert_allclose(ours.scores, oracles.as_array(oracle, graph.n), atol=1e-9)


def test_engine_core_returns_every_metric_and_is_deterministic():
    settings = load_config(environ={}, overrides={"pagerank": {"seeds": ["u000"]},
                                                  "paths": {"exact_max_work": 0, "samples": 40}})
    graph = random_graph()
    first, summary = compute_metrics(graph, settings, seed=5)
    again, _ = compute_metrics(graph, settings, seed=5)
    assert first.equals(again)
    assert summary["betweenness_method"] == "sampled" and summary["path_samples"] == 40
    assert first["personalized_pagerank"].sum() == pytest.approx(1.0)
    assert summary["pagerank_seeds"] == ["u000"]
    assert (first["betweenness_error"] > 0).any()


def test_empirical_bernstein_is_the_range_term_alone_for_constant_draws():
    k, delta = 101, 0.05
    bound = empirical_bernstein(np.array([k * 0.3]), np.array([k * 0.09]), k, 1.0, delta)
    assert bound[0] == pytest.approx(7 * np.log(4 / delta) / (3 * (k - 1)))
    # 50 draws of 0 and 50 of 1: unbiased sample variance 25 / 99
    k = 100
    bound = empirical_bernstein(np.array([50.0]), np.array([50.0]), k, 1.0, delta)
    variance = 25 / 99
    assert bound[0] == pytest.approx(np.sqrt(2 * variance * np.log(4 / delta) / k) + 7 * np.log(4 / delta) / (3 * 99))


def test_top_is_resolved_only_when_bounds_are_below_half_the_cut():
    values = np.array([0.5, 0.4, 0.3])
    assert top_resolved(values, np.array([0.1, 0.1, 0.1]), top=3)
    assert not top_resolved(values, np.array([0.1, 0.1, 0.2]), top=3)
    assert top_resolved(values, np.zeros(3), top=3)
