"""Lists with hysteresis, on hand-made rankings (pure Python: no Spark)."""

from influence.config import ListSettings
from influence.transforms.lists import Candidate, ranked_list, select_lists, with_pushed_out

SETTINGS = ListSettings(coi_core=4, coi_potential=3, net_of_influence=5, shortlist=4, hysteresis=0.5)


def _members(entries, segment):
    return [e.user_id for e in entries if e.segment == segment and e.change != "exited"]


def _by_user(entries, segment):
    return {e.user_id: e for e in entries if e.segment == segment}


def test_a_member_keeps_its_place_within_the_margin_and_leaves_beyond_it():
    ranking = ["a", "b", "c", "d", "e", "f", "g", "h"]
    # Size 4, hysteresis 0.5: margin 2, so a member stays while its rank is at most 6.
    entries = ranked_list("coi_core", ranking, previous={"e", "f", "g"}, size=4, hysteresis=0.5,
                          position_name="rank", why_absent=lambda u: "gone")
    by_user = {e.user_id: e for e in entries}
    assert [e.user_id for e in entries if e.change != "exited"] == ["a", "b", "e", "f"]
    assert by_user["e"].reason == "kept by hysteresis: rank 5 is past the cut 4 but within the margin of 2"
    assert by_user["e"].confidence == 1 - 1 / 3 and by_user["f"].confidence == 1 - 2 / 3
    assert by_user["g"].change == "exited" and by_user["g"].rank is None
    assert by_user["g"].reason == "exited: rank 7 passed the cut 4 by more than the margin of 2"
    assert by_user["a"].reason == "entered: rank 1 (cut 4)" and by_user["a"].change == "entered"
    assert [by_user[u].rank for u in "abef"] == [1, 2, 3, 4]


def test_without_a_previous_date_the_lists_are_the_plain_cuts():
    candidates = [Candidate(f"u{i}", i) for i in range(1, 11)]
    entries = select_lists(candidates, {}, SETTINGS)
    assert _members(entries, "coi_core") == ["u1", "u2", "u3", "u4"]
    assert _members(entries, "coi_potential") == ["u5", "u6", "u7"]
    assert _members(entries, "net_of_influence") == ["u1", "u2", "u3", "u4", "u5"]
    assert {e.change for e in entries} == {"entered"}


def test_moving_up_into_the_core_is_an_exit_from_potential_with_that_reason():
    candidates = [Candidate(f"u{i}", i) for i in range(1, 11)]
    previous = {"coi_core": {"u1", "u2", "u3", "u9"}, "coi_potential": {"u4", "u5", "u6"}}
    entries = select_lists(candidates, previous, SETTINGS)
    core, potential = _by_user(entries, "coi_core"), _by_user(entries, "coi_potential")
    assert _members(entries, "coi_core") == ["u1", "u2", "u3", "u4"]
    assert core["u9"].reason == "exited: rank 9 passed the cut 4 by more than the margin of 2"
    assert potential["u4"].change == "exited" and potential["u4"].reason == "exited: moved up to coi_core"
    assert _members(entries, "coi_potential") == ["u5", "u6", "u7"]
    assert potential["u5"].change == "kept" and potential["u7"].change == "entered"


def test_a_member_who_left_the_scope_exits_saying_so():
    entries = select_lists([Candidate("u1", 1)], {"net_of_influence": {"u1", "zz"}}, SETTINGS, scope="topic:x")
    net = _by_user(entries, "net_of_influence")
    assert net["zz"].reason == "exited: no longer in topic:x" and net["u1"].change == "kept"


def test_the_shortlist_splits_evenly_between_awareness_and_conversion():
    candidates = [Candidate(f"a{i}", i, awareness=True) for i in range(1, 5)] + [
        Candidate(f"c{i}", 10 + i, conversion=True) for i in range(1, 5)]
    entries = select_lists(candidates, {}, SETTINGS)
    assert _members(entries, "shortlist") == ["a1", "a2", "c1", "c2"]
    shortlist = _by_user(entries, "shortlist")
    assert shortlist["a2"].reason == "entered: awareness rank 2 (cut 2)"
    assert shortlist["c1"].reason == "entered: conversion rank 1 (cut 2)"
    assert [shortlist[u].rank for u in ("a1", "a2", "c1", "c2")] == [1, 2, 3, 4]


def test_a_short_side_is_filled_from_the_other_and_says_so():
    candidates = [Candidate("a1", 1, awareness=True)] + [Candidate(f"c{i}", 1 + i, conversion=True) for i in range(1, 6)]
    entries = select_lists(candidates, {}, SETTINGS)
    assert _members(entries, "shortlist") == ["a1", "c1", "c2", "c3"]
    conversion = [e for e in entries if e.segment == "shortlist" and e.user_id.startswith("c")]
    assert all(e.reason.endswith("filled from conversion: only 1 awareness influencers in global") for e in conversion)


def test_a_user_with_both_roles_goes_to_the_scarcer_side():
    # Three awareness, one conversion-only and one user holding both: conversion is scarcer.
    candidates = [Candidate("both", 1, awareness=True, conversion=True), Candidate("a1", 2, awareness=True),
                  Candidate("a2", 3, awareness=True), Candidate("c1", 4, conversion=True)]
    shortlist = _by_user(select_lists(candidates, {}, SETTINGS), "shortlist")
    assert shortlist["both"].reason.startswith("entered: conversion rank 1")
    assert sorted(shortlist) == ["a1", "a2", "both", "c1"]


def test_a_shortlist_member_who_lost_both_roles_exits_once():
    candidates = [Candidate("a1", 1, awareness=True), Candidate("c1", 2, conversion=True), Candidate("x", 3)]
    entries = select_lists(candidates, {"shortlist": {"x", "a1"}}, SETTINGS)
    exits = [e for e in entries if e.segment == "shortlist" and e.change == "exited"]
    assert [(e.user_id, e.reason) for e in exits] == [("x", "exited: no longer an awareness or conversion influencer")]


def test_a_member_the_authentic_score_pushes_out_exits_with_the_group_that_lifted_it():
    # By the score with raw PageRank, "x" (lifted by a pod) leads the shortlist's conversion
    # side; by the authentic score it is 9th of 9, past the 2 places; "p" was listed before.
    raw = [Candidate("x", 1, conversion=True), *(Candidate(f"c{i}", i + 1, conversion=True) for i in range(1, 8)),
           Candidate("p", 9, conversion=True), *(Candidate(f"a{i}", 9 + i, awareness=True) for i in range(1, 4))]
    authentic = [Candidate(c.user_id, {"x": 9, "p": 8}.get(c.user_id, c.scope_rank - (c.scope_rank <= 9)),
                           c.awareness, c.conversion) for c in raw]
    previous = {"shortlist": {"p"}}
    why = {"x": "100% of the engagement received came from flagged accounts, most from dense_block-1 (dense block "
                "of 20 accounts, 9.1x organic)"}
    entries = with_pushed_out(select_lists(authentic, previous, SETTINGS), select_lists(raw, previous, SETTINGS), why)
    shortlist = _by_user(entries, "shortlist")
    assert "x" not in _members(entries, "shortlist") and shortlist["x"].change == "exited"
    assert shortlist["x"].reason.startswith("exited: pushed out once flagged engagement is discounted (place 1 in "
                                            "shortlist by the score with raw PageRank)")
    assert "dense_block-1" in shortlist["x"].reason and shortlist["x"].rank is None
    # A member whose exit the authentic score does not explain keeps its own reason; the
    # lists the raw score would give otherwise are the same.
    unchanged = with_pushed_out(select_lists(raw, previous, SETTINGS), select_lists(raw, previous, SETTINGS), why)
    assert unchanged == select_lists(raw, previous, SETTINGS)
