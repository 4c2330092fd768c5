"""The graphframes engine's own parts on tiny graphs: numbering, weighted PageRank, batched
betweenness and k-core, against hand counts and the driver engine's functions."""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.sql import functions as F

from influence.graph import paths as driver_paths
from influence.graph.frames.cores import core_numbers, number_users
from influence.graph.frames.pagerank import weighted_pagerank
from influence.graph.frames.paths import path_centralities
from influence.graph.pagerank import NotConverged
from influence.graph.pagerank import weighted_pagerank as driver_pagerank
from tests import oracles
from tests.graphs import by_id, frames_of, random_graph



def test_users_are_numbered_in_the_order_of_their_ids_whatever_the_partitioning(spark):
    edges = spark.createDataFrame([("carol", "al", 1.0), ("bo", "carol", 2.0), ("dee", "bo", 0.5)],
                                  "src string, dst string, weight double")
    for frame in (edges.repartition(3), edges.coalesce(1)):
        names, numbered = number_users(frame)
        assert sorted(map(tuple, names.select("user_id", "id").collect())) == \
            [("al", 0), ("bo", 1), ("carol", 2), ("dee", 3)]
        assert sorted(map(tuple, numbered.collect())) == [(1, 2, 2.0), (2, 0, 1.0), (3, 1, 0.5)]


def test_weighted_pagerank_matches_the_closed_form_with_a_dangling_node(spark):
    # As tests/unit/test_pagerank.py: a -> b (1), a -> c (3), b -> c (1); c dangles.
    d = 0.85
    t = 1 / (3 + 2 * d + d * d / 4)
    expected = [t, t * (1 + d / 4), 1 - t * (2 + d / 4)]
    edges = spark.createDataFrame([(0, 1, 1.0), (0, 2, 3.0), (1, 2, 1.0)], "src long, dst long, weight double")
    result = weighted_pagerank(edges, spark.range(3), damping=d, tolerance=1e-4)  # fewer iterations
    # within the stated guarantee: L1 distance to the fixed point <= tolerance * d / (1 - d)
    assert np.abs(by_id(result.scores, "pagerank") - expected).sum() <= 1e-4 * d / (1 - d)
    assert result.l1_change < 1e-4


def test_weighted_and_personalised_pagerank_equal_the_driver_engines(spark):
    graph = random_graph(n=60, p=0.06, seed=5)
    edges, vertices = frames_of(spark, graph)
    result = weighted_pagerank(edges, vertices, tolerance=1e-4)
    reference = driver_pagerank(graph.src, graph.dst, graph.weight, graph.n, tolerance=1e-4)
    assert np.abs(by_id(result.scores, "pagerank") - reference.scores).max() < 1e-12  # the same iterations
    assert result.iterations == reference.iterations
    seeds = np.zeros(graph.n)
    seeds[[3, 17]] = 1.0
    personal = weighted_pagerank(edges, vertices.withColumn("seed", F.col("id").isin(3, 17).cast("double")),
                                 personalization=F.col("seed"), tolerance=1e-4)
    expected = driver_pagerank(graph.src, graph.dst, graph.weight, graph.n, personalization=seeds,
                               tolerance=1e-4).scores
    assert np.abs(by_id(personal.scores, "pagerank") - expected).max() < 1e-12


def test_pagerank_that_cannot_converge_in_time_raises(spark):
    graph = random_graph(n=30, p=0.1, seed=2)
    edges, vertices = frames_of(spark, graph)
    with pytest.raises(NotConverged):
        weighted_pagerank(edges, vertices, max_iterations=3)


def test_exact_searches_give_networkx_betweenness_harmonic_and_reach(spark):
    graph = random_graph(n=50, p=0.07, seed=9)
    edges, vertices = frames_of(spark, graph)
    result = path_centralities(spark, edges, vertices, n=graph.n, m=graph.m, exact_max_work=1e12, samples=10,
                               delta=0.1, seed=1, batch_cells=1_500)  # two batches
    assert result.exact and result.batches > 1
    frame = result.frame.toPandas().sort_values("id")
    assert np.abs(frame["betweenness"].to_numpy() - oracles.betweenness(graph)).max() < 1e-12
    assert (frame["betweenness_error"] == 0).all()
    assert np.abs(frame["harmonic"].to_numpy() - oracles.harmonic(graph)).max() < 1e-12
    assert (frame["reach_2hop"].to_numpy() == oracles.reach_2hop(graph)).all()


def test_a_path_has_the_hand_counted_betweenness(spark):
    # a -> b -> c: b lies on the only path a..c, 1 of (n-1)(n-2) = 2 ordered pairs.
    edges = spark.createDataFrame([(0, 1, 1.0), (1, 2, 1.0)], "src long, dst long, weight double")
    result = path_centralities(spark, edges, spark.range(3), n=3, m=2, exact_max_work=1e12, samples=2,
                               delta=0.1, seed=1)
    frame = result.frame.toPandas().sort_values("id")
    assert frame["betweenness"].tolist() == pytest.approx([0.0, 0.5, 0.0])
    assert frame["harmonic"].tolist() == pytest.approx([0.0, 0.5, 0.75])  # c: (1 + 1/2) / 2
    assert frame["reach_2hop"].tolist() == [0, 1, 2]


def test_sampled_betweenness_equals_the_driver_engines_estimate_and_bound(spark):
    graph = random_graph(n=80, p=0.05, seed=4)
    edges, vertices = frames_of(spark, graph)
    result = path_centralities(spark, edges, vertices, n=graph.n, m=graph.m, exact_max_work=0, samples=24,
                               delta=0.1, seed=12)
    reference = driver_paths.sampled_path_centralities(graph, samples=24, delta=0.1, seed=12)
    frame = result.frame.toPandas().sort_values("id")
    assert not result.exact and result.draws == 24 and result.sources == reference.sources
    assert np.abs(frame["betweenness"].to_numpy() - reference.betweenness).max() < 1e-12
    assert np.abs(frame["betweenness_error"].to_numpy() - reference.betweenness_error).max() < 1e-12
    assert frame["harmonic"].isna().all() and frame["reach_2hop"].isna().all()


def test_core_numbers_equal_igraphs_coreness_with_reciprocated_pairs(spark):
    graph = random_graph(n=40, p=0.12, seed=6)  # G(n, p) directed: many pairs both ways
    edges, vertices = frames_of(spark, graph)
    assert (by_id(core_numbers(edges, vertices), "kcore") == oracles.kcore(graph)).all()
