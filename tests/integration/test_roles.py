"""Roles and the majority illusion on hand-built graphs whose answer is obvious.

Each graph is written to bronze and scored by the real pipeline (Spark, the networkit
engine, the GX audit, Delta), then the published segments and summary are read back.
"""

from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F

from influence import tables
from influence.config import IllusionSettings
from influence.io.lake import Lake
from influence.pipelines import score
from tests.fixtures import interactions, utc

AS_OF = date(2026, 3, 1)


def _score(spark, settings, lake, rows, **illusion):
    Lake(spark, lake).append(interactions(spark, rows), tables.INTERACTIONS)
    settings = settings.model_copy(update={"illusion": IllusionSettings(**({"top_topics": 0} | illusion))})
    return score.run(spark, settings, lake, as_of=AS_OF, window_days=7)


def _segment(spark, lake, segment, scope="global"):
    rows = spark.read.format("delta").load(str(lake / tables.SEGMENTS)).where(
        (F.col("segment") == segment) & (F.col("scope") == scope)).collect()
    return {r["user_id"]: r for r in rows}


def _at(minute):
    return utc(2026, 3, 1, 8) + timedelta(minutes=minute)


def _both_ways(a, b, minute):
    return [(a, b, "mention", _at(minute)), (b, a, "reply", _at(minute + 1))]


@pytest.fixture(scope="module")
def two_groups(spark, settings, tmp_path_factory):
    """Groups a and b of 12: a hub (a0, b0) engaged both ways by everyone in its group, a
    ring of engagement inside each group, and x, the only link between the groups."""
    rows = []
    for group in "ab":
        members = [f"{group}{i}" for i in range(1, 12)]
        for i, member in enumerate(members):
            rows += _both_ways(member, f"{group}0", i)
            rows += [(member, members[(i + 1) % 11], "reply", _at(20 + i)),
                     (member, members[(i + 2) % 11], "comment", _at(40 + i))]
    rows += _both_ways("x", "a1", 60) + _both_ways("x", "b1", 62)
    lake = tmp_path_factory.mktemp("roles") / "lake"
    _score(spark, settings, lake, rows)
    return lake


def test_the_bridge_between_two_dense_groups_is_awareness(spark, two_groups):
    awareness, conversion = _segment(spark, two_groups, "awareness"), _segment(spark, two_groups, "conversion")
    assert "x" in awareness and "x" not in conversion  # two contacts: too few to convert
    assert awareness["x"]["confidence"] == 1.0  # exact betweenness: no error to clear
    assert "betweenness" in awareness["x"]["reason"] and "top" in awareness["x"]["reason"]
    scores = spark.read.format("delta").load(str(two_groups / tables.SCORES))
    (x,) = scores.where(F.col("user_id") == "x").collect()
    assert x["betweenness"] == scores.agg(F.max("betweenness")).first()[0]
    assert "bridges 2 communities" in x["explanation"]


def test_the_hub_inside_one_dense_group_is_conversion(spark, two_groups):
    conversion = _segment(spark, two_groups, "conversion")
    assert {"a0", "b0"} <= set(conversion)
    assert "11 contacts, participation 0.00" in conversion["a0"]["reason"]
    assert not {"x", "a5", "b5"} & set(conversion)
    assert all(row["change"] == "entered" for row in conversion.values())


@pytest.fixture(scope="module")
def audiences(spark, settings, tmp_path_factory):
    """A broadcaster with a huge audience who posts 30 mentions that nobody answers; a star
    with the same audience whose 30 mentions are all answered; 20 people talking in pairs."""
    people = [f"p{i:02d}" for i in range(20)]
    rows = []
    for i in range(0, 20, 2):
        rows += [(people[i], people[i + 1], "reply", _at(i), 100), (people[i + 1], people[i], "reply", _at(i + 1), 100)]
    for k in range(30):
        rows.append(("broadcaster", people[k % 20], "mention", _at(100 + k), 1_000_000))
        rows.append(("star", people[(k + 7) % 20], "mention", _at(200 + k), 1_000_000))
        rows.append((people[(k + 7) % 20], "star", "reply", _at(300 + k), 100))
    lake = tmp_path_factory.mktemp("audiences") / "lake"
    report = _score(spark, settings, lake, rows)
    return lake, report


def test_a_huge_audience_with_no_replies_is_a_social_broadcaster(spark, audiences):
    lake, _ = audiences
    broadcasters = _segment(spark, lake, "social_broadcaster")
    assert set(broadcasters) == {"broadcaster"}
    assert broadcasters["broadcaster"]["reason"].startswith("30,000,000 impressions from 30 posts (top")
    assert "0.00 engagements per post and 0% of contacts engaging back" in broadcasters["broadcaster"]["reason"]


def test_broadcasters_are_not_mass_influencers_but_the_answered_star_is(spark, audiences):
    lake, report = audiences
    mass = {**_segment(spark, lake, "mass_connector"), **_segment(spark, lake, "mass_maven")}
    assert set(mass) == {"star"}  # the two of them generate 80%; the broadcaster is taken out
    assert report.summary["mass_influencers"] == 1
    # 30M + 30M + 20 people x 100 (their replies) + 30 answers x 100 to the star.
    assert report.summary["impressions"] == 60_000_000 + 2_000 + 3_000
    assert report.summary["impressions_top_share_80"] == pytest.approx(2 / 22)
    # Every post's audience is in the export; 2 of 22 posting users generate 80%: a minority.
    assert report.summary["audience_sources"] == {"export": 110, "estimate": 0, "default": 0}
    assert report.summary["mass_roles_labelled"]
    assert report.summary["mass_roles_reason"].startswith("labelled: 2 users generate 80% of impressions, 9.1% of 22")


def test_impressions_daily_counts_posts_and_audiences(spark, audiences):
    lake, _ = audiences
    daily = {r["user_id"]: r for r in spark.read.format("delta").load(str(lake / tables.IMPRESSIONS)).collect()}
    assert daily["broadcaster"]["posts"] == 30 and daily["broadcaster"]["impressions"] == 30_000_000
    assert daily["broadcaster"]["influence_impressions"] == 30_000_000 and daily["broadcaster"]["influence_posts"] == 0
    assert daily["p07"]["posts"] == 1 + 2  # one reply in its pair, two answers to the star (k = 0 and 20)
    assert daily["p00"]["posts"] == 1 + 1
    assert {r["date"] for r in daily.values()} == {AS_OF}


@pytest.fixture(scope="module")
def illusion(spark, settings, tmp_path_factory):
    """Three holders of #x who engage each other; 20 others who each engage the three holders
    and one other non-holder: #x is rare, yet everyone sees a majority using it."""
    holders, others = ["h1", "h2", "h3"], [f"o{i:02d}" for i in range(20)]
    rows = [(h, holders[(i + 1) % 3], "mention", _at(i), None, ["x"]) for i, h in enumerate(holders)]
    for i, o in enumerate(others):
        rows += [(o, h, "reply", _at(10 + i)) for h in holders] + [(o, others[(i + 1) % 20], "reply", _at(40 + i))]
    lake = tmp_path_factory.mktemp("illusion") / "lake"
    return _score(spark, settings, lake, rows, traits=("topic:x", "engaged:o00"))


def test_a_few_well_connected_holders_create_a_majority_illusion(illusion):
    topic, engaged = illusion.summary["majority_illusion"]
    assert topic["trait"] == "topic:x"
    assert (topic["holders"], topic["engagers"], topic["under_illusion"]) == (3, 23, 23)
    assert topic["prevalence"] == pytest.approx(3 / 23) and topic["illusion_share"] == 1.0 and topic["meaningful"]
    assert topic["contributors"] == ["h1", "h2", "h3"] and topic["contributor_counts"] == [21, 21, 21]
    # Engaging o00 is just as rare, but no one sees a majority doing it.
    assert (engaged["holders"], engaged["under_illusion"], engaged["contributors"]) == (1, 0, [])
