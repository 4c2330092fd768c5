from datetime import date

import pytest

from influence.config import Settings
from influence.transforms.edges import build_edges
from influence.transforms.scores import contact_figures
from tests.fixtures import interactions, utc

WEIGHTS = Settings().type_weights  # reshare 3, reply 2, mention 1.5, like 0.5 (SPEC defaults)


@pytest.fixture(scope="module")
def edges(spark):
    rows = interactions(spark, [
        ("a", "b", "reshare", utc(2026, 1, 10)),          # 1 day old
        ("a", "b", "mention", utc(2025, 12, 12)),         # 30 days old: half weight
        ("b", "a", "reply", utc(2026, 1, 9)),             # 2 days old; makes a<->b reciprocal
        ("c", "a", "like", utc(2025, 11, 12)),            # first day of the window, 60 days old
        ("c", "a", "like", utc(2025, 11, 11, 23, 59, 59)),  # the day before the window
        ("c", "a", "like", utc(2026, 1, 11)),             # the day after the as-of date
        ("brand", "a", "mention", utc(2026, 1, 5)),       # excluded account
    ])
    built = build_edges(rows, as_of=date(2026, 1, 10), window_days=60, type_weights=WEIGHTS,
                        half_life_days=30, reciprocity_boost=1.5, exclude_users=["brand"])
    return {(r["src"], r["dst"]): r.asDict() for r in built.collect()}, built


def test_only_the_window_and_no_excluded_user(edges):
    by_pair, _ = edges
    assert set(by_pair) == {("a", "b"), ("b", "a"), ("c", "a")}


def test_weights_are_type_weighted_decayed_and_boosted_when_reciprocal(edges):
    by_pair, _ = edges
    assert by_pair[("a", "b")]["weight"] == pytest.approx((3 * 2 ** (-1 / 30) + 1.5 * 0.5) * 1.5, rel=1e-12)
    assert by_pair[("b", "a")]["weight"] == pytest.approx(2 * 2 ** (-2 / 30) * 1.5, rel=1e-12)
    assert by_pair[("c", "a")]["weight"] == pytest.approx(0.5 * 2 ** (-60 / 30), rel=1e-12)
    assert by_pair[("a", "b")]["reciprocal"] and by_pair[("b", "a")]["reciprocal"]
    assert not by_pair[("c", "a")]["reciprocal"]


def test_counts_and_first_last_seen(edges):
    ab = edges[0][("a", "b")]
    assert (ab["n_reshare"], ab["n_mention"], ab["n_reply"], ab["interactions"]) == (1, 1, 0, 2)
    assert ab["first_at"] == utc(2025, 12, 12).replace(tzinfo=None)
    assert ab["last_at"] == utc(2026, 1, 10).replace(tzinfo=None)
    assert ab["as_of_date"] == date(2026, 1, 10) and ab["window_days"] == 60


def test_contact_figures_count_engagers_engaged_contacts_and_their_communities(spark, edges):
    _, built = edges
    communities = spark.createDataFrame([("a", "a"), ("b", "b"), ("c", "a")], "user_id string, community_id string")
    got = {r["user_id"]: (r["in_degree"], r["out_degree"], r["engagement_received"], r["engaged_audience"],
                          r["contacts"], r["reciprocity"], r["communities_reached"])
           for r in contact_figures(built, communities).collect()}
    # a: engaged by b (1 reply) and c (1 like in the window), engages b; contacts b (both ways) and c
    assert got == {"a": (2, 1, 2, 2, 2, 0.5, 2), "b": (1, 1, 2, 1, 1, 1.0, 1), "c": (0, 1, 0, 0, 1, 0.0, 1)}
