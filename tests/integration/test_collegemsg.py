"""The real CollegeMsg export (SNAP): known figures, and every metric against peer implementations."""

from datetime import date

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from pyspark.sql import functions as F

from influence import tables
from influence.config import IllusionSettings, ImpressionSettings, PlanSettings
from influence.graph.paths import path_centralities
from influence.graph.structure import EdgeList
from influence.pipelines import ingest, plan, score
from tests import oracles
from tests.reference import check_against_reference

pytestmark = [pytest.mark.collegemsg, pytest.mark.slow]  # slow: ingests and scores 59,835 messages
AS_OF = date(2004, 10, 27)


@pytest.fixture(scope="module")
def messages(collegemsg) -> pd.DataFrame:
    """The raw export read by pandas, independently of the pipeline: one row per message."""
    return pd.read_csv(collegemsg, sep=" ", names=["src", "dst", "unix_time"], dtype={"src": str, "dst": str})


@pytest.fixture(scope="module")
def most_engaged(messages) -> str:
    """The account the most users message (ties by id)."""
    senders = messages[messages.src != messages.dst].drop_duplicates(["src", "dst"]).groupby("dst").size()
    return senders.sort_index().idxmax()


@pytest.fixture(scope="module")
def scored(spark, settings, collegemsg, most_engaged, tmp_path_factory):
    # Messages count as posts here, so impressions have something to measure; the trait is
    # messaging the most messaged user.
    settings = settings.model_copy(update={
        "impressions": ImpressionSettings(visible_types=("message",)),
        "illusion": IllusionSettings(traits=(f"engaged:{most_engaged}",)),
    })
    lake = tmp_path_factory.mktemp("collegemsg") / "lake"
    reports = ingest.run(spark, settings, lake, [collegemsg], profile="snap")
    report = score.run(spark, settings, lake, as_of=AS_OF, window_days=200)
    return lake, reports, report


@pytest.fixture(scope="module")
def graph(spark, scored) -> EdgeList:
    lake, _, _ = scored
    return EdgeList.from_frame(spark.read.format("delta").load(str(lake / tables.EDGES)).toPandas())


@pytest.fixture(scope="module")
def gold(spark, scored, graph):
    """The published scores, in the node order of ``graph``."""
    lake, _, _ = scored
    rows = spark.read.format("delta").load(str(lake / tables.SCORES)).toPandas().set_index("user_id")
    return rows.loc[graph.ids]


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


def test_the_graph_has_the_known_users_and_pairs(spark, scored, graph):
    _, _, report = scored
    assert (report.users, report.edges, report.interactions) == (1_899, 20_296, 59_835)
    assert (graph.n, graph.m) == (1_899, 20_296)


def test_pagerank_agrees_with_networkx_per_user(graph, gold):
    oracle = oracles.as_array(nx.pagerank(oracles.digraph(graph), alpha=0.85, weight="weight", tol=1e-12), graph.n)
    assert np.abs(gold["pagerank"].to_numpy() - oracle).max() < 1e-6
    assert np.isclose(gold["pagerank"].sum(), 1.0, atol=1e-9)


def test_path_metrics_are_exact_here_and_agree_with_networkit(graph, gold):
    np.testing.assert_allclose(gold["betweenness"], oracles.networkit_betweenness(graph), atol=1e-9)
    np.testing.assert_allclose(gold["harmonic"], oracles.networkit_harmonic(graph), atol=1e-9)
    assert (gold["betweenness_error"] == 0).all() and (gold["harmonic_error"] == 0).all()


def test_reach_and_cores_agree_with_networkx(graph, gold):
    np.testing.assert_array_equal(gold["reach_2hop"], oracles.reach_2hop(graph))
    assert (gold["reach_2hop_error"] == 0).all()
    np.testing.assert_array_equal(gold["kcore"], oracles.kcore(graph))


def test_communities_reach_louvains_modularity_and_read_the_same_on_reruns(spark, scored, graph, gold):
    lake, _, _ = scored
    summary = spark.read.format("delta").load(str(lake / tables.NETWORK_SUMMARY)).first()
    membership = np.unique(gold["community_id"].to_numpy(), return_inverse=True)[1]
    ours = oracles.modularity(graph, membership)
    assert summary["modularity"] == pytest.approx(ours, abs=1e-9)
    assert ours >= 0.8 * oracles.louvain_modularity(graph)
    largest = np.bincount(membership).max()
    assert largest < graph.n / 2  # not one giant community, as label propagation gives
    named = gold.groupby("community_id").apply(lambda g: g.index.min(), include_groups=False)
    assert (named.index == named.to_numpy()).all()  # each community is named by its smallest member
    assert summary["engine"] == "networkit" and summary["betweenness_method"] == "exact"
    assert summary["users"] == 1_899 and summary["edges"] == 20_296


def test_sampled_path_metrics_meet_their_bounds_on_real_data(graph, gold):
    delta = 0.1
    sampled = path_centralities(graph, exact_max_work=0, samples=1_536, delta=delta, seed=score.seed_for(AS_OF),
                                harmonic_exact_top=100)
    exact_b, exact_h = gold["betweenness"].to_numpy(), gold["harmonic"].to_numpy()
    assert oracles.top_overlap(sampled.betweenness, exact_b) >= 0.9
    assert oracles.top_overlap(sampled.harmonic, exact_h) >= 0.95
    assert np.mean(np.abs(sampled.betweenness - exact_b) <= sampled.betweenness_error) >= 1 - delta
    assert np.mean(np.abs(sampled.harmonic - exact_h) <= sampled.harmonic_error) >= 1 - delta
    best = np.argsort(-sampled.betweenness)[:5]
    assert np.all(sampled.betweenness_error[best] < sampled.betweenness[best])


def test_pair_sampled_betweenness_resolves_the_top_on_real_data(graph, gold):
    delta = 0.1
    sampled = path_centralities(graph, exact_max_work=0, samples=64, delta=delta, seed=score.seed_for(AS_OF),
                                pair_budget=4_194_304)
    exact = gold["betweenness"].to_numpy()
    assert sampled.pairs.stop == "resolved" and sampled.pairs.top_resolved
    actual = np.abs(sampled.betweenness - exact)
    assert np.mean(actual <= sampled.betweenness_error) >= 1 - delta
    assert oracles.top_overlap(sampled.betweenness, exact) >= 0.95
    top = np.argsort(-exact)[:100]  # a bound that holds must also be tight
    assert np.median(sampled.betweenness_error[top]) <= 10 * actual[top].max()


def test_the_naive_reference_weighs_the_same_pairs_as_silver_edges(spark, settings, scored, collegemsg):
    """``bench.naive`` (the speed issue's yardstick) must compute what the pipeline does, less
    the reciprocity boost it leaves out."""
    from bench.naive import naive_edges

    lake, _, _ = scored
    ours = spark.read.format("delta").load(str(lake / tables.EDGES)).toPandas()
    ours["weight"] /= np.where(ours["reciprocal"], settings.reciprocity_boost, 1.0)
    naive = naive_edges(str(collegemsg), AS_OF.isoformat(), window_days=200)
    joined = ours.merge(naive, on=["src", "dst"], how="outer", suffixes=("", "_naive"), indicator=True)
    assert (joined["_merge"] == "both").all() and len(joined) == 20_296
    np.testing.assert_allclose(joined["weight_naive"], joined["weight"], rtol=1e-9)


def test_reingesting_the_same_file_is_a_no_op(spark, settings, scored, collegemsg):
    lake, _, _ = scored
    (again,) = ingest.run(spark, settings, lake, [collegemsg], profile="snap")
    assert again.status == "already ingested"
    manifest = spark.read.format("delta").load(str(lake / tables.INGESTED_FILES))
    assert manifest.count() == 1
    row = manifest.first()
    assert row["sha256"] == "21f10c8e472482914795c5ad5646b9c1ab1faefda6b494fcfec5252ffc3f0e02"
    assert (str(row["min_event_date"]), str(row["max_event_date"])) == ("2004-04-15", "2004-10-26")


@pytest.fixture(scope="module")
def summary(spark, scored):
    lake, _, _ = scored
    return spark.read.format("delta").load(str(lake / tables.NETWORK_SUMMARY)).first()


def test_impressions_and_their_concentration_equal_a_hand_count(spark, scored, messages, gold, summary):
    lake, _, _ = scored
    # No follower counts here: every message is a post seen by its sender's engaged audience,
    # the distinct other people who messaged the sender.
    posts = messages.groupby("src").size().reindex(gold.index, fill_value=0)
    engaged_by = (messages[messages.src != messages.dst].drop_duplicates(["src", "dst"]).groupby("dst").size()
                  .reindex(gold.index, fill_value=0))
    by_hand = posts * engaged_by
    assert summary["impressions"] == by_hand.sum() < 59_835 * 150
    assert (gold["impressions"] == by_hand).all() and (gold["posts"] == posts).all()
    assert summary["audience_sources"] == {"export": 0, "estimate": 59_835, "default": 0}
    active = int((posts > 0).sum())
    descending = np.sort(by_hand.to_numpy())[::-1]
    fewest = int(np.argmax(np.cumsum(descending) >= 0.8 * descending.sum())) + 1
    assert summary["mass_roles_labelled"] == (fewest <= 0.2 * active)
    assert f"{fewest:,} users generate 80% of impressions" in summary["mass_roles_reason"]
    daily = spark.read.format("delta").load(str(lake / tables.IMPRESSIONS)).toPandas()
    # Every sender has daily rows, those nobody messaged with 0 impressions.
    daily_sums = daily.groupby("user_id")["impressions"].sum().sort_index()
    assert (daily_sums == by_hand[posts > 0].sort_index()).all()

    values = by_hand.to_numpy(dtype=float)
    n = len(values)
    mean_abs_difference = np.abs(values[:, None] - values[None, :]).mean()
    assert summary["impressions_gini"] == pytest.approx(mean_abs_difference / (2 * values.mean()), rel=1e-9)
    descending = np.sort(values)[::-1]
    top_users = int(np.argmax(np.cumsum(descending) >= 0.8 * values.sum())) + 1
    assert summary["impressions_top_share_80"] == top_users / n
    ascending = np.cumsum(np.sort(values)) / values.sum()
    for percent in (10, 50, 90):
        users = percent * n / 100
        below, fraction = int(users), users - int(users)
        held = (ascending[below - 1] if below else 0.0) * (1 - fraction) + ascending[below] * fraction
        assert summary["impressions_lorenz"][percent] == pytest.approx(held, abs=1e-12)


def test_popularity_correlations_equal_scipys(messages, gold, summary):
    in_degree = (messages[messages.src != messages.dst].drop_duplicates(["src", "dst"])
                 .groupby("dst").size().reindex(gold.index, fill_value=0))
    assert (gold["in_degree"] == in_degree).all()
    assert summary["score_spearman_in_degree"] == pytest.approx(
        spearmanr(gold["influence_score"], in_degree)[0], abs=1e-12)
    # The snap export has no follower counts: no correlation with audience size to report.
    assert summary["followers_known"] == 0 and summary["score_spearman_followers"] is None


def test_majority_illusion_equals_a_hand_count(messages, most_engaged, summary):
    pairs = messages[messages.src != messages.dst].drop_duplicates(["src", "dst"])
    holders = set(pairs.src[pairs.dst == most_engaged])
    per_engager = pairs.assign(holds=pairs.dst.isin(holders)).groupby("src")["holds"].agg(["size", "sum"])
    under = per_engager[per_engager["sum"] * 2 > per_engager["size"]].index
    seen_by = pairs[pairs.src.isin(under) & pairs.dst.isin(holders)].groupby("dst").size()
    top = seen_by.reset_index(name="n").sort_values(["n", "dst"], ascending=[False, True]).head(10)

    (trait,) = summary["majority_illusion"]
    assert trait["trait"] == f"engaged:{most_engaged}"
    assert (trait["holders"], trait["engagers"], trait["under_illusion"]) == (len(holders), len(per_engager), len(under))
    assert trait["prevalence"] == pytest.approx(len(holders) / 1_899)
    assert trait["illusion_share"] == pytest.approx(len(under) / len(per_engager))
    assert list(trait["contributors"]) == list(top.dst) and list(trait["contributor_counts"]) == list(top.n)


@pytest.fixture(scope="module")
def plans(spark, settings, scored) -> dict[str, plan.PlanReport]:
    """Ten picks on the whole export, with exact audiences and with sketches, one hop."""
    lake, _, _ = scored
    found = {}
    for sizing in ("exact", "sketch"):
        sized = settings.model_copy(update={"plan": PlanSettings(sizing=sizing)})
        found[sizing] = plan.run(spark, sized, lake, plan.request(sized, k=10, reach=1), AS_OF)
    return found


def test_a_plan_of_ten_reaches_what_pandas_counts_and_more_than_the_top_ten(messages, gold, plans):
    pairs = messages[messages.src != messages.dst].drop_duplicates(["src", "dst"])
    senders = pairs.groupby("dst")["src"].agg(set)
    reached = lambda users: len(set().union(*(senders.get(u, set()) for u in users)))  # noqa: E731
    exact = plans["exact"]
    picks = [p["user_id"] for p in exact.picks]
    assert [p["cumulative_reach"] for p in exact.picks] == [reached(picks[:i]) for i in range(1, 11)]
    by_score = gold.sort_values("rank").index[:10]
    by_pagerank = gold.reset_index().sort_values(["pagerank", "user_id"], ascending=[False, True]).user_id[:10]
    assert exact.method_reach == {"greedy": reached(picks), "top_score": reached(by_score),
                                  "top_pagerank": reached(by_pagerank)}
    assert exact.method == "greedy" and exact.reach > max(reached(by_score), reached(by_pagerank))
    assert exact.reach <= exact.optimum_upper_bound <= exact.reach / (1 - 1 / np.e)


def test_sketched_reach_on_real_data_lies_within_its_bound(messages, plans):
    pairs = messages[messages.src != messages.dst].drop_duplicates(["src", "dst"])
    senders = pairs.groupby("dst")["src"].agg(set)
    sketch = plans["sketch"]
    picks = [p["user_id"] for p in sketch.picks]
    for i, pick in enumerate(sketch.picks, start=1):
        exact = len(set().union(*(senders.get(u, set()) for u in picks[:i])))
        assert abs(pick["cumulative_reach"] - exact) <= pick["reach_error"], (i, exact, pick)
    # Sketches choose almost as well as exact sets.
    assert sketch.reach >= 0.97 * plans["exact"].reach


def test_no_engagement_is_flagged_and_the_authentic_figures_are_the_plain_ones(spark, scored, gold, summary):
    # Real students messaging each other: the authenticity defaults raise no alarm here.
    lake, _, _ = scored
    assert summary["authenticity"] == "on" and summary["flagged_accounts"] == 0
    assert all(count == 0 for count in summary["anomaly_groups"].values())
    assert spark.read.format("delta").load(str(lake / tables.ANOMALIES)).count() == 0
    assert (gold["authentic_pagerank"] == gold["pagerank"]).all() and (gold["suspicious_share"] == 0).all()
    assert gold["suspicious_reason"].isna().all() and summary["users_moved"] == 0


def test_collegemsg_publishes_the_same_rows_as_the_reference_commit(spark, scored):
    lake, _, _ = scored
    assert check_against_reference(spark, lake, "collegemsg") >= 6
