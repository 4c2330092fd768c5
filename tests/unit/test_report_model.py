"""What the report shows, on hand-built rows whose answer is obvious."""

import re
from datetime import date

import pandas as pd
import pytest

from influence.report import model, svg


def _data(scores, segments=(), contacts=()):
    return model.ReportData(
        as_of=date(2026, 6, 30), previous=date(2026, 6, 29), summary={},
        scores=pd.DataFrame(scores), segments=pd.DataFrame(
            segments, columns=["segment", "user_id", "rank", "confidence", "reason", "change"]),
        contacts=pd.DataFrame(contacts, columns=["user_id", "community_id", "contacts"]))


def _user(user_id, rank, community="c1", rank_change=None):
    return {"user_id": user_id, "rank": rank, "rank_change": rank_change, "influence_score": 100 - rank,
            "pagerank": 0.1, "betweenness": 0.01 * rank, "harmonic": 0.5, "community_id": community,
            "explanation": f"{user_id} explained"}


def test_changes_count_entries_exits_and_the_biggest_moves():
    data = _data(
        [_user("a", 1, rank_change=3), _user("b", 2, rank_change=-1), _user("c", 3, rank_change=0),
         _user("d", 4)],
        [("coi_core", "a", 1, 1.0, "entered: rank 1 (cut 12)", "entered"),
         ("coi_core", "b", 2, 1.0, "kept: rank 2 (cut 12)", "kept"),
         ("coi_core", "z", None, 0.0, "exited: no longer in global", "exited")])
    changes = model.changes(data)
    core = next(s for s in changes["segments"] if s["segment"] == "coi_core")
    assert core == {"segment": "coi_core", "entered": ["a"], "kept": 1,
                    "exited": [("z", "exited: no longer in global")]}
    assert changes["up"] == [{"user_id": "a", "rank": 1, "rank_change": 3}]
    assert changes["down"] == [{"user_id": "b", "rank": 2, "rank_change": -1}]  # c did not move, d is new


def test_shortlist_rows_carry_their_side_roles_and_reason():
    data = _data(
        [_user("a", 1), _user("b", 2)],
        [("shortlist", "b", 2, 1.0, "entered: conversion rank 1 (cut 25)", "entered"),
         ("shortlist", "a", 1, 1.0, "kept: awareness rank 1 (cut 25)", "kept"),
         ("awareness", "a", 1, 0.5, "betweenness top 1%", "kept"),
         ("conversion", "b", 1, 1.0, "harmonic top 2% of c1", "entered"),
         ("mass_maven", "b", 1, 1.0, "impressions", "kept")])
    rows = model.list_rows(data, "shortlist")
    assert [(r["user_id"], r["side"], r["roles"]) for r in rows] == [
        ("a", "awareness", ["awareness"]), ("b", "conversion", ["conversion", "mass_maven"])]
    assert rows[0]["explanation"] == "a explained" and rows[1]["change"] == "entered"


def test_an_influencer_sits_toward_the_communities_it_reaches():
    data = _data(
        [_user("hub", 1, "c1"), *[_user(f"c1-{i}", 10 + i, "c1") for i in range(5)],
         *[_user(f"c2-{i}", 20 + i, "c2") for i in range(3)], _user("bridge", 2, "c2")],
        contacts=[("hub", "c1", 5), ("bridge", "c1", 2), ("bridge", "c2", 2)])
    net = model.network(data, top=2)
    where = {c["id"]: c for c in net.communities}
    assert {c["id"]: c["members"] for c in net.communities} == {"c1": 6, "c2": 4}
    assert where["c1"]["r"] > where["c2"]["r"]
    people = {p["user_id"]: p for p in net.influencers}
    assert people["hub"]["bridges"] == 1 and people["bridge"]["bridges"] == 2

    def distance(person, community):
        return ((people[person]["x"] - where[community]["x"]) ** 2
                + (people[person]["y"] - where[community]["y"]) ** 2) ** 0.5

    assert distance("hub", "c1") < distance("hub", "c2")
    # Halfway between the two (the communities are opposite on the circle): near the centre.
    assert abs(people["bridge"]["x"] - 0.5) < 0.06 and abs(people["bridge"]["y"] - 0.5) < 0.06


def test_the_lorenz_chart_draws_every_point_and_where_the_top_begins():
    chart = svg.lorenz([i / 100 for i in range(101)], top_share_80=0.25)
    (points,) = re.findall(r'class="lorenz" points="([^"]+)"', chart)
    assert len(points.split()) == 101
    cut = float(re.search(r'class="cut" x1="([\d.]+)"', chart).group(1))
    assert cut == pytest.approx(svg.PAD + 0.75 * (svg.WIDTH - 1.5 * svg.PAD), abs=0.1)
    assert "the top 25.0% of users generate 80%" in chart


def test_ids_are_escaped_in_the_charts():
    data = _data([_user("<script>", 1)])
    chart = svg.scatter(model.scatter_points(data))
    assert "<script>" not in chart and "&lt;script&gt;" in chart
