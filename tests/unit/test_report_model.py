"""What the report shows, on hand-built rows whose answer is obvious."""

import re
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from influence.report import model, render, svg


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


# Engagement authenticity: six users ranked before (raw_rank) and after (rank) the flagged
# engagement is left out; p1 and p2 were lifted, c received a little and still rose.
RAW = {"a": 1, "p1": 2, "b": 3, "p2": 4, "c": 5, "x": 6}
AFTER = {"a": 1, "b": 2, "c": 3, "x": 4, "p1": 5, "p2": 6}
SHARE = {"p1": 0.62, "p2": 0.5, "c": 0.05}
REASON = ("62% of the engagement received came from flagged accounts, most from dense_block-1 (dense block of 3 "
          "accounts, 9.1x organic)")


def _scored(user_id, *, adjusted=True):
    rank = AFTER[user_id] if adjusted else RAW[user_id]
    return {**_user(user_id, rank), "suspicious_share": SHARE.get(user_id, 0.0),
            "raw_influence_score": 100.0 - RAW[user_id] if adjusted else None,
            "raw_rank": RAW[user_id] if adjusted else None,
            "suspicious_reason": REASON if user_id == "p1" else "<b>lifted</b>" if user_id in SHARE else None}


def _group(group_id, members, targets, *, density=None, synchrony=None, score=9.1, reason="a pod"):
    return {"group_id": group_id, "detector": group_id.rsplit("-", 1)[0], "members": members, "targets": targets,
            "density": density, "synchrony": synchrony, "interactions": 40,
            "window_start": pd.Timestamp("2026-06-28 10:00", tz="UTC"),
            "window_end": pd.Timestamp("2026-06-29 22:30", tz="UTC"), "score": score, "reason": reason}


FIGURES = {"authenticity": "on", "anomaly_groups": {"dense_block": 2, "lockstep": 1, "ring": 1},
           "flagged_accounts": 12, "authentic_scores": True, "users_moved": 5, "rank_shift_max": 3,
           "rank_shift_median": 2.0, "top100_pushed_out": 0}


def _flagged(*, adjusted=True, groups=()):
    return model.ReportData(
        as_of=date(2026, 6, 30), previous=None,
        summary={**FIGURES, "authentic_scores": adjusted, **({} if adjusted else dict.fromkeys(
            ("users_moved", "rank_shift_max", "rank_shift_median", "top100_pushed_out")))},
        scores=pd.DataFrame([_scored(u, adjusted=adjusted) for u in RAW]), segments=pd.DataFrame(),
        contacts=pd.DataFrame(), anomalies=pd.DataFrame(groups))


GROUPS = [_group("ring-1", ["r1", "r2", "r3"], ["r1", "r2", "r3"], density=1.0, score=38.0, reason="a ring"),
          _group("dense_block-2", ["m4", "m5"], ["x"], density=0.7, score=5.0),
          _group("lockstep-1", ["l1", "l2", "l3", "l4"], ["c"], synchrony=0.79, score=524.0, reason="a burst"),
          _group("dense_block-1", ["m1", "m2", "m3"], ["zz", "p2", "p1"], density=0.9, reason="<script>pod</script>")]


def test_authenticity_lists_the_groups_and_the_influencers_they_lifted():
    view = model.authenticity_view(_flagged(groups=GROUPS), targets_shown=2)
    assert [g["group_id"] for g in view["groups"]] == ["dense_block-1", "dense_block-2", "lockstep-1", "ring-1"]
    assert view["groups"][0] == {
        "group_id": "dense_block-1", "detector": "dense_block", "kind": "dense block", "members": 3, "targets": 3,
        "lifts": ["p1", "p2"], "more": 1, "score": 9.1, "measure": "density", "value": 0.9, "interactions": 40,
        "window_start": datetime(2026, 6, 28, 10, 0, tzinfo=timezone.utc),
        "window_end": datetime(2026, 6, 29, 22, 30, tzinfo=timezone.utc), "reason": "<script>pod</script>"}
    assert (view["groups"][2]["measure"], view["groups"][2]["value"]) == ("synchrony", 0.79)
    # The best placed before among those who fell; c received flagged engagement but rose.
    assert view["lifted"] == [
        {"user_id": "p1", "share": 0.62, "score_before": 98.0, "score_after": 95.0, "rank_before": 2,
         "rank_after": 5, "reason": REASON},
        {"user_id": "p2", "share": 0.5, "score_before": 96.0, "score_after": 94.0, "rank_before": 4,
         "rank_after": 6, "reason": "<b>lifted</b>"}]
    assert {k: v for k, v in view.items() if k not in ("groups", "lifted")} == {
        "state": "flagged", "why": None, "adjusted": True, "received": 3, "lost": 2,
        "counts": {"dense_block": 2, "lockstep": 1, "ring": 1},
        "found": "2 dense blocks, 1 lockstep burst and 1 reciprocal ring", "flagged_accounts": 12,
        "users_moved": 5, "rank_shift_max": 3, "rank_shift_median": 2.0, "top100_pushed_out": 0}
    assert [r["user_id"] for r in model.authenticity_view(_flagged(groups=GROUPS), lifted=1)["lifted"]] == ["p1"]


def test_authenticity_without_authentic_scores_has_no_before_and_after():
    view = model.authenticity_view(_flagged(adjusted=False, groups=GROUPS))
    assert (view["adjusted"], view["users_moved"], view["lost"], view["received"]) == (False, None, None, 3)
    assert [(r["user_id"], r["rank_before"], r["rank_after"], r["score_before"], r["score_after"])
            for r in view["lifted"]] == [("p1", 2, None, 98.0, None), ("p2", 4, None, 96.0, None),
                                         ("c", 5, None, 95.0, None)]


def test_authenticity_with_no_group_flagged():
    data = model.ReportData(
        as_of=date(2026, 6, 30), previous=None,
        summary={"authenticity": "on", "anomaly_groups": {"dense_block": 0, "lockstep": 0, "ring": 0},
                 "flagged_accounts": 0, "authentic_scores": True, "users_moved": 0, "rank_shift_max": 0,
                 "rank_shift_median": None, "top100_pushed_out": 0},
        scores=pd.DataFrame([{**_user("a", 1), "suspicious_share": 0.0, "raw_influence_score": 99.0, "raw_rank": 1,
                              "suspicious_reason": None}]),
        segments=pd.DataFrame(), contacts=pd.DataFrame())
    assert model.authenticity_view(data) == {
        "state": "none_flagged", "why": None, "adjusted": True, "counts": {"dense_block": 0, "lockstep": 0, "ring": 0},
        "found": "",
        "flagged_accounts": 0, "users_moved": 0, "rank_shift_max": 0, "rank_shift_median": None,
        "top100_pushed_out": 0, "groups": [], "lifted": [], "received": 0, "lost": 0}


@pytest.mark.parametrize("summary, why", [
    ({}, "this date was scored before the check existed"),  # a lake written before issue 23
    ({"authenticity": None}, "this date was scored before the check existed"),
    ({"authenticity": "off"}, "it was off (authenticity.enabled)"),
    ({"authenticity": "skipped: 30,000,000 edges > driver_max_edges 20,000,000 (the detectors run on the driver)"},
     "skipped: 30,000,000 edges > driver_max_edges 20,000,000 (the detectors run on the driver)"),
])
def test_authenticity_not_assessed_says_why(summary, why):
    data = _data([_user("a", 1)])  # scores without the authenticity columns, as older rows
    assert model.authenticity_view(model.ReportData(**{**data.__dict__, "summary": summary})) == {
        "state": "not_assessed", "why": why}


def _section(view):
    return str(render.environment().get_template("authenticity.html.j2").module.section(view))


def test_the_authenticity_section_shows_each_state_escaped():
    page = _section(model.authenticity_view(_flagged(groups=GROUPS)))
    assert page.count("<tr>") == 1 + 4 + 1 + 2  # two headers, four groups, two lifted
    assert "<script>" not in page and "&lt;script&gt;pod&lt;/script&gt;" in page and "&lt;b&gt;lifted" in page
    assert "<td>p1, p2, zz</td>" in page
    assert '>2026-06-28 10:00</span> to <span class="nowrap">2026-06-29 22:30<' in page
    assert "groups flagged: 2 dense blocks, 1 lockstep burst and 1 reciprocal ring" in page
    assert '<td class="num">62.0%</td>' in page and "rank before" in page and "pushed out of the top 100" in page
    plain = _section(model.authenticity_view(_flagged(adjusted=False, groups=GROUPS)))
    assert "rank before" not in plain and "are not adjusted" in plain and plain.count("<tr>") == 1 + 4 + 1 + 3
    none = _section(model.authenticity_view(_flagged()))
    assert "No group flagged" in none and "<table" not in none
    assert "Not assessed for this date: it was off" in _section({"state": "not_assessed",
                                                                 "why": "it was off (authenticity.enabled)"})
