"""The real CollegeMsg export (SNAP): known figures, and PageRank against networkx."""

from datetime import date

import networkx as nx
import numpy as np
import pytest
from pyspark.sql import functions as F

from influence import tables
from influence.pipelines import ingest, score

pytestmark = pytest.mark.collegemsg


@pytest.fixture(scope="module")
def scored(spark, settings, collegemsg, tmp_path_factory):
    lake = tmp_path_factory.mktemp("collegemsg") / "lake"
    reports = ingest.run(spark, settings, lake, [collegemsg], profile="snap")
    report = score.run(spark, settings, lake, as_of=date(2004, 10, 27), window_days=200)
    return lake, reports, report


def test_every_message_is_ingested_as_one_event(spark, scored):
    lake, reports, _ = scored
    (file,) = reports
    assert (file.rows_read, file.rows_accepted, file.rows_quarantined, file.rows_duplicate) == (59_835, 59_835, 0, 0)
    bronze = spark.read.format("delta").load(str(lake / tables.INTERACTIONS))
    users = bronze.select(F.col("actor_id").alias("u")).union(bronze.select("target_id")).distinct().count()
    assert bronze.count() == 59_835
    assert bronze.select("event_id").distinct().count() == 59_835  # identical lines stay distinct events
    assert users == 1_899
    assert {r[0] for r in bronze.select("interaction_type").distinct().collect()} == {"message"}


def test_the_graph_has_the_known_users_and_pairs(spark, scored):
    lake, _, report = scored
    assert (report.users, report.edges, report.interactions) == (1_899, 20_296, 59_835)
    edges = spark.read.format("delta").load(str(lake / tables.EDGES))
    assert edges.where(F.col("as_of_date") == date(2004, 10, 27)).count() == 20_296


def test_pagerank_agrees_with_networkx_per_user(spark, scored):
    lake, _, _ = scored
    edges = spark.read.format("delta").load(str(lake / tables.EDGES)).select("src", "dst", "weight").toPandas()
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(edges.itertuples(index=False, name=None))
    oracle = nx.pagerank(graph, alpha=0.85, weight="weight", tol=1e-12)
    gold = spark.read.format("delta").load(str(lake / tables.SCORES)).select("user_id", "pagerank").toPandas()
    ours = dict(zip(gold["user_id"], gold["pagerank"]))
    assert set(ours) == set(oracle)
    worst = max(abs(ours[u] - oracle[u]) for u in oracle)
    assert worst < 1e-6
    assert np.isclose(sum(ours.values()), 1.0, atol=1e-9)


def test_reingesting_the_same_file_is_a_no_op(spark, settings, scored, collegemsg):
    lake, _, _ = scored
    (again,) = ingest.run(spark, settings, lake, [collegemsg], profile="snap")
    assert again.status == "already ingested"
    manifest = spark.read.format("delta").load(str(lake / tables.INGESTED_FILES))
    assert manifest.count() == 1
    row = manifest.first()
    assert row["sha256"] == "21f10c8e472482914795c5ad5646b9c1ab1faefda6b494fcfec5252ffc3f0e02"
    assert (str(row["min_event_date"]), str(row["max_event_date"])) == ("2004-04-15", "2004-10-26")
