"""The graphframes engine's HyperBall, Louvain, participation and lineage cuts on tiny graphs,
against hand counts and networkx."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from influence.graph.communities import participation as driver_participation
from influence.graph.frames import step
from influence.graph.frames.communities import louvain, modularity, participation
from influence.graph.frames.hyperball import hyperball, relative_error
from influence.graph.frames.paths import exact_reach_2hop, two_hop_paths
from influence.graph.reach import two_hop_paths as driver_two_hop_paths
from influence.graph.structure import EdgeList
from tests import oracles
from tests.graphs import by_id, frames_of, random_graph



def test_a_cut_frame_has_no_size_estimate_to_multiply(spark):
    frame = spark.range(10).join(spark.range(10), "id")
    cut = step(step(frame, 1).join(spark.range(10), "id"), 2)
    assert sorted(r.id for r in cut.collect()) == list(range(10))
    default = int(spark.conf.get("spark.sql.defaultSizeInBytes", str(2**63 - 1)))
    # A checkpoint keeps its plan's estimate (10 rows x 10 rows per join); this scan has none.
    assert int(cut._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()) == default


def test_hyperball_counts_a_path_by_hand(spark):
    # a -> b -> c -> d: d is reached by c (1 hop), b (2) and a (3).
    edges = spark.createDataFrame([(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0)], "src long, dst long, weight double")
    result = hyperball(edges, spark.range(4), n=4)
    frame = result.frame.toPandas().sort_values("id")
    assert frame["harmonic"].tolist() == pytest.approx([0.0, 1 / 3, 1.5 / 3, (1 + 1 / 2 + 1 / 3) / 3])
    assert frame["reach_2hop"].tolist() == [0, 1, 2, 2]
    assert result.iterations == 4  # three hops grow d's ball, the fourth changes nothing
    # small sketches count exactly; the bounds are the stated r x (sum + 1) / (n - 1)
    r = relative_error(12, 2.0)
    assert frame["harmonic_error"].tolist() == pytest.approx([r * (h * 3 + 1) / 3 for h in frame["harmonic"]])
    assert frame["reach_2hop_error"].tolist() == pytest.approx([r * (c + 1) for c in frame["reach_2hop"]])


def test_hyperball_is_within_its_bounds_where_the_sketches_estimate(spark):
    # 128 registers for balls of up to 300 users: the sketches estimate (errors of several
    # per cent), where larger ones would still count exactly. The bound is z = 2 standard
    # errors per user, so a few users may fall outside; the failures of users whose balls
    # share most members go together, so the bar is 95%, not 100%.
    graph = random_graph(n=300, p=0.02, seed=4)
    edges, vertices = frames_of(spark, graph)
    frame = hyperball(edges, vertices, n=graph.n, lg_config_k=7).frame.toPandas().sort_values("id")
    harmonic, reach = oracles.harmonic(graph), oracles.reach_2hop(graph)
    assert np.abs(frame["harmonic"].to_numpy() / harmonic - 1).max() > 0.01  # estimated, not counted
    assert (np.abs(frame["harmonic"].to_numpy() - harmonic) <= frame["harmonic_error"]).mean() >= 0.95
    assert (np.abs(frame["reach_2hop"].to_numpy() - reach) <= frame["reach_2hop_error"]).mean() >= 0.95
    assert spearmanr(frame["harmonic"], harmonic).statistic >= 0.95


def test_exact_two_hop_reach_and_its_work_equal_the_driver_engines(spark):
    graph = random_graph(n=60, p=0.06, seed=8)
    edges, vertices = frames_of(spark, graph)
    assert (by_id(exact_reach_2hop(edges, vertices), "reach_2hop") == oracles.reach_2hop(graph)).all()
    assert two_hop_paths(edges) == driver_two_hop_paths(graph)


def two_triangles(spark):
    # Triangles {0, 1, 2} and {3, 4, 5} joined by the edge 2 -> 3; 6 has no contact.
    pairs = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3), (1, 0)]
    return spark.createDataFrame([(a, b, 1.0) for a, b in pairs], "src long, dst long, weight double")


def test_louvain_splits_two_triangles_at_their_bridge(spark):
    edges = two_triangles(spark)
    found = louvain(edges, spark.range(7))
    assert sorted(map(tuple, found.membership.collect())) == [(0, 0), (1, 0), (2, 0), (3, 3), (4, 3), (5, 3), (6, 6)]
    # Undirected weights: 0-1 is 2 (both ways), the other six contacts 1, so 2m = 16. Inside
    # (both directions): 2 x 4 and 2 x 3; the communities' degrees 9 and 7.
    assert found.modularity == pytest.approx(8 / 16 + 6 / 16 - (9 / 16) ** 2 - (7 / 16) ** 2)
    assert found.count == 3


def test_louvain_is_the_same_however_the_edges_are_partitioned(spark):
    graph = random_graph(n=90, p=0.05, seed=21)
    edges, vertices = frames_of(spark, graph)
    runs = [louvain(frame, vertices, seed=4) for frame in (edges.repartition(5), edges.coalesce(1))]
    memberships = [sorted(map(tuple, run.membership.collect())) for run in runs]
    assert memberships[0] == memberships[1]
    assert runs[0].modularity == pytest.approx(runs[1].modularity, abs=1e-12)
    membership = np.array([c for _, c in memberships[0]])
    assert runs[0].modularity == pytest.approx(oracles.modularity(graph, membership), abs=1e-12)
    assert runs[0].modularity >= 0.9 * oracles.louvain_modularity(graph)


def test_participation_counts_distinct_contacts_per_community(spark):
    edges = two_triangles(spark)
    membership = spark.createDataFrame([(i, 0 if i < 3 else 3) for i in range(6)] + [(6, 6)], "id long, community long")
    got = dict(map(tuple, participation(edges, membership).collect()))
    # 2's contacts: 0, 1 (its community) and 3: 1 - (2/3)^2 - (1/3)^2 = 4/9; 6 has none.
    assert got == pytest.approx({0: 0.0, 1: 0.0, 2: 4 / 9, 3: 4 / 9, 4: 0.0, 5: 0.0, 6: 0.0})
    graph = random_graph(n=50, p=0.08, seed=2)
    frame, vertices = frames_of(spark, graph)
    labels = np.arange(graph.n) % 4
    assigned = spark.createDataFrame(pd.DataFrame({"id": np.arange(graph.n), "community": labels}))
    assert np.abs(by_id(participation(frame, assigned), "participation")
                  - driver_participation(graph, labels)).max() < 1e-12
    assert modularity(frame, assigned) == pytest.approx(oracles.modularity(graph, labels), abs=1e-12)


def test_the_engine_gives_the_driver_engines_rows_within_their_errors(spark, settings):
    from influence.config import PageRankSettings, PathSettings
    from influence.graph.engines.graphframes import GraphFramesEngine
    from influence.graph.engines.networkit import compute_metrics

    graph = random_graph(n=70, p=0.05, seed=13)
    names = np.array([f"user{i:03d}" for i in range(graph.n)])
    rows = pd.DataFrame({"src": names[graph.src], "dst": names[graph.dst], "weight": graph.weight})
    sampled = settings.model_copy(update={
        "paths": PathSettings(exact_max_work=0, samples=40),  # fewer than the 70 users
        "pagerank": PageRankSettings(tolerance=1e-8, seeds=("user005", "user040"))})
    result = GraphFramesEngine().compute(spark, spark.createDataFrame(rows), sampled, seed=7)
    got = result.metrics.toPandas().set_index("user_id").loc[names]
    driver, driver_summary = compute_metrics(EdgeList.from_frame(rows), sampled, seed=7)
    driver = driver.set_index("user_id").loc[names]
    summary = result.summary
    assert summary["pagerank_seeds"] == ["user005", "user040"]
    for column in ("pagerank", "personalized_pagerank"):
        assert np.abs(got[column].to_numpy() - driver[column].to_numpy()).max() < 1e-9, column
    # betweenness: this engine from the driver's source draws, the driver engine from pairs;
    # both within their bounds of the exact values
    from influence.graph.paths import sampled_path_centralities

    from_sources = sampled_path_centralities(EdgeList.from_frame(rows), samples=40, delta=0.1, seed=7)
    for column in ("betweenness", "betweenness_error"):
        assert np.abs(got[column].to_numpy() - getattr(from_sources, column)).max() < 1e-9, column
    exact = oracles.betweenness(graph)
    for rows_of in (got, driver):
        assert (np.abs(rows_of["betweenness"].to_numpy() - exact) <= rows_of["betweenness_error"].to_numpy()).all()
    assert (summary["betweenness_estimator"], driver_summary["betweenness_estimator"]) == ("sources", "pairs")
    assert summary["betweenness_stop"] == "fixed_sources" and driver_summary["betweenness_pairs"] > 0
    assert summary["pagerank_iterations"] == driver_summary["pagerank_iterations"]
    assert (summary["betweenness_method"], summary["harmonic_method"]) == ("sampled", "hyperball")
    assert (got["kcore"].to_numpy() == driver["kcore"].to_numpy()).all()
    assert (got["reach_2hop"].to_numpy() == oracles.reach_2hop(graph)).all()  # exact: few two-hop paths
    assert summary["reach_method"] == "exact" and (got["reach_2hop_error"] == 0).all()
    assert (np.abs(got["harmonic"].to_numpy() - oracles.harmonic(graph)) <= got["harmonic_error"].to_numpy()).all()
    # communities: named by their smallest member, participation follows from them
    membership = got["community_id"].to_numpy()
    assert all(name == min(names[membership == name]) for name in set(membership))
    labels = np.unique(membership, return_inverse=True)[1]
    assert summary["modularity"] == pytest.approx(oracles.modularity(graph, labels), abs=1e-9)
    assert summary["modularity"] >= 0.95 * driver_summary["modularity"]
    # (the engine rounds its doubles to 10 significant digits)
    assert np.abs(got["participation"].to_numpy() - driver_participation(graph, labels)).max() < 1e-9
    assert summary["communities"] == len(set(membership))
    assert set(summary) >= set(driver_summary) - {"stage_seconds"}
