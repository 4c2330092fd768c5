"""The score's scale, the roles' confidence and the audience estimate, on hand-made frames
(the pure transforms, on the session's Spark)."""

import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from influence import tables
from influence.config import RoleSettings
from influence.transforms.impressions import posts_by_audience_source, visible_posts
from influence.transforms.roles import mass_premise_note, memberships, scoped
from influence.transforms.scores import log_rank_points, with_influence_score
from tests.fixtures import interactions, rows


def test_log_rank_points_are_a_log_scale_of_rank_with_ties_shared_and_the_lowest_at_zero(spark):
    frame = spark.createDataFrame([(u, v) for u, v in zip("abcde", [5.0, 3.0, 3.0, 1.0, 0.0])], "user_id string, x double")
    points = {r["user_id"]: r["p"] for r in frame.withColumn("p", log_rank_points("x")).collect()}
    n = 5  # ranks 1, 2, 2, 4 and the lowest value
    assert points["a"] == pytest.approx(100.0)
    assert points["b"] == points["c"] == pytest.approx(100 * math.log(n / 2) / math.log(n))
    assert points["d"] == pytest.approx(100 * math.log(n / 4) / math.log(n))
    assert points["e"] == 0.0


@pytest.fixture(scope="module")
def heavy_tailed(spark):
    """3,000 users whose metrics share a heavy-tailed popularity, as on a real export."""
    rng = np.random.default_rng(5)
    n = 3_000
    popularity = rng.pareto(1.2, n)
    users = pd.DataFrame({
        "user_id": [f"u{i:04d}" for i in range(n)],
        "pagerank": popularity * rng.lognormal(0, 1, n),
        "impressions": np.where(rng.random(n) < 0.5, 0, popularity * rng.lognormal(0, 1.5, n)).round(),
        "harmonic": rng.beta(2, 5, n) + 0.1 * np.log1p(popularity),
        "betweenness": np.where(rng.random(n) < 0.8, 0, popularity ** 1.5 * rng.lognormal(0, 1, n)),
    })
    return spark.createDataFrame(users)


WEIGHTS = {"pagerank": 0.35, "impressions": 0.25, "harmonic": 0.2, "betweenness": 0.2}


def test_the_score_separates_the_top_where_a_blend_of_percentiles_crowds_it(heavy_tailed):
    scored = with_influence_score(heavy_tailed, WEIGHTS).toPandas().sort_values("influence_score", ascending=False)
    shown = scored["influence_score"].round(1).to_numpy()
    assert len(set(shown[:10])) == 10 and shown[0] - shown[99] >= 5
    # The score is the blend's own log-rank points, the blend that of the metrics'.
    n = len(scored)
    blend_rank = scored["blend"].rank(method="min", ascending=False)
    expected = np.where(scored["blend"] == scored["blend"].min(), 0.0, 100 * np.log(n / blend_rank) / np.log(n))
    assert np.allclose(scored["influence_score"], expected, atol=1e-9)
    assert scored["influence_score"].between(0, 100).all() and shown[0] == 100.0

    # Distinct blends ten places apart at most: at least 100 ln(10/9) / ln(n) points apart.
    top = scored["influence_score"].to_numpy()[:10]
    assert scored["blend"].iloc[:10].is_unique
    assert np.diff(top).max() <= -100 * math.log(10 / 9) / math.log(n) + 1e-9


def _scores(spark, users):
    """Gold score rows for the roles, with the columns they read and the rest defaulted."""
    return rows(spark, tables.SCORES, [
        {"user_id": u, "community_id": "c", "influence_score": 100.0 - i, "pagerank": 1.0 / (i + 1), **figures}
        for i, (u, figures) in enumerate(users.items())])


def _scoped(spark, users, roles=RoleSettings()):
    scores = _scores(spark, users)
    everyone = memberships(scores, None, community_min_size=10**6, topics=())
    return {r["user_id"]: r for r in scoped(scores, everyone, roles).collect()}


def test_a_betweenness_bound_that_does_not_clear_the_threshold_gives_no_confidence(spark):
    # Twenty users; the top 10% by betweenness are b1 and p1, the threshold u18's 0.0018.
    users = {f"u{i}": {"betweenness": 0.0001 * i} for i in range(1, 19)}
    # Both bounds, 0.017, are wider than the values themselves: they do not clear 0.0018.
    users["b1"] = {"betweenness": 0.0033, "betweenness_error": 0.017}
    # p1's participation is in the top 10% too, and exact: it carries p1's awareness.
    users["p1"] = {"betweenness": 0.004, "betweenness_error": 0.017, "participation": 0.9}
    rows_ = _scoped(spark, users)
    b1, p1 = rows_["b1"], rows_["p1"]
    assert b1["is_awareness"] and b1["awareness_confidence"] == 0.0
    assert p1["is_awareness"] and p1["awareness_confidence"] == 1.0 and p1["betweenness_confidence"] == 0.0
    assert p1["awareness_reason"].startswith("contacts in ")  # the condition that carries it first
    assert "betweenness 0.0040 (± 0.0170)" in p1["awareness_reason"]


def test_a_tight_bound_gives_the_confidence_by_how_far_its_lower_end_clears(spark):
    users = {f"u{i}": {"betweenness": 0.01 * i, "betweenness_error": 0.0} for i in range(1, 20)}
    # The top 10% of 20 users: t1 and u19; the threshold is u18's 0.18.
    users["t1"] = {"betweenness": 0.21, "betweenness_error": 0.02}
    got = _scoped(spark, users)["t1"]
    assert got["awareness_confidence"] == pytest.approx((0.21 - 0.02 - 0.18) / 0.02)
    assert got["awareness_reason"].startswith("betweenness 0.2100 (± 0.0200)")


def test_mass_roles_are_not_labelled_when_the_few_are_most_of_the_active_users(spark):
    # Ten posting users with equal impressions: eight of them make 80%, far beyond 20%.
    even = {f"e{i}": {"posts": 1, "impressions": 100, "engagement_received": 0} for i in range(10)}
    got = _scoped(spark, even)
    assert {r["mass_set_size"] for r in got.values()} == {8} and {r["active_users"] for r in got.values()} == {10}
    assert not any(r["is_mass_connector"] or r["is_mass_maven"] or r["is_social_broadcaster"] for r in got.values())
    labelled, reason = mass_premise_note(8, 10, RoleSettings())
    assert not labelled and reason.startswith("not labelled: 8 users generate 80% of impressions, 80.0% of 10 active")

    # One user with most impressions among 20 posting users: a minority, labelled.
    skewed = {f"s{i}": {"posts": 1, "impressions": 10, "engagement_received": 1} for i in range(19)}
    skewed["star"] = {"posts": 1, "impressions": 10_000, "engagement_received": 50, "contacts": 40}
    got = _scoped(spark, skewed)
    assert got["star"]["mass_premise"] and got["star"]["mass_set_size"] == 1
    assert got["star"]["is_mass_connector"] or got["star"]["is_mass_maven"]
    assert mass_premise_note(1, 20, RoleSettings())[0]


def _at(hour):
    return datetime(2026, 3, 1, hour, tzinfo=timezone.utc)


@pytest.mark.parametrize("audience", ["export_or_estimate", "export_or_default"])
def test_a_posts_audience_comes_from_the_export_else_the_engaged_audience_else_the_default(spark, audience):
    window = interactions(spark, [
        ("a", "b", "mention", _at(1), 5_000),  # a's follower count is in the export
        ("b", "a", "reply", _at(2)),  # b's is not; a, c and d engaged b (d twice)
        ("c", "b", "like", _at(3)), ("d", "b", "reply", _at(4)), ("d", "b", "reply", _at(5)),
        ("b", "b", "reply", _at(6)),  # b answering itself is not an audience
        ("e", "a", "mention", _at(7)),  # nobody engaged e
    ])
    posts = visible_posts(window, visible_types=("mention", "reply"), audience=audience, default_audience=150,
                          publications=())
    got = {(r["user_id"], r["post_id"]): (r["audience"], r["audience_source"]) for r in posts.collect()}
    estimated = audience == "export_or_estimate"
    assert got[("a", "e0")] == (5_000, "export")
    assert got[("b", "e1")] == ((3, "estimate") if estimated else (150, "default"))
    assert got[("e", "e6")] == ((0, "estimate") if estimated else (150, "default"))
    counts = {r["audience_source"]: r["posts"] for r in posts_by_audience_source(posts).collect()}
    assert counts == ({"export": 1, "estimate": 5} if estimated else {"export": 1, "default": 5})
