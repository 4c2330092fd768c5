"""The authenticity detectors (issue 23): hand-made graphs with the exact members expected,
``detect``'s attribution (each account listed once, under the detector that explains it),
the generator's injected abuse recovered per detector, and nothing flagged on CollegeMsg."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from influence.config import AuthenticitySettings, LockstepSettings
from influence.generate import generate
from influence.graph.authenticity import (
    Engagement, Events, dense_blocks, detect, lockstep, lockstep_candidates, rings,
)
from tests.graphs import engagement_of

DAY, HOUR = 86_400, 3_600
START = 1_780_000_000 - 1_780_000_000 % DAY  # a midnight, UTC
DAYS = 30
DEFAULTS = AuthenticitySettings()


class Rows:
    """Interactions made by hand: ``add(actor, target, seconds, times)``."""

    def __init__(self, seed: int = 0) -> None:
        self.rows: list[tuple[str, str, int]] = []
        self.rng = np.random.default_rng(seed)

    def add(self, actor: str, target: str, seconds: int | None = None, times: int = 1) -> None:
        for _ in range(times):
            when = seconds if seconds is not None else START + int(self.rng.integers(0, DAYS * DAY))
            self.rows.append((actor, target, when))

    def engages_the_others(self, actor: str, group: list[str], times: int) -> None:
        """``actor`` engages every other member of ``group``, ``times`` times each."""
        for other in group:
            if other != actor:
                self.add(actor, other, times=times)

    def background(self, users: int = 300, per_user: int = 4, community: int = 30) -> None:
        """Organic-looking engagement: communities of ``community`` accounts engaging inside
        mostly, a few answers back, one interaction at a time at random times."""
        for u in range(users):
            home = u // community
            for _ in range(per_user):
                if self.rng.random() < 0.85:
                    v = home * community + int(self.rng.integers(0, community))
                else:
                    v = int(self.rng.integers(0, users))
                if v != u:
                    self.add(f"o{u:03d}", f"o{v:03d}")
                    if self.rng.random() < 0.25:
                        self.add(f"o{v:03d}", f"o{u:03d}")

    def engagement(self) -> tuple[Engagement, Events, np.ndarray]:
        actor, target, seconds = zip(*self.rows)
        return engagement_of(actor, target, seconds, window_days=DAYS,
                             as_of=date.fromtimestamp(START + (DAYS - 1) * DAY))


def with_popular_accounts(rows: "Rows") -> tuple["Rows", tuple[str, ...]]:
    """``rows`` with the organic background and three popular accounts that a third of the
    accounts engage, twice each (where camouflage goes)."""
    rows.background()
    stars = ("o000", "o031", "o062")
    for u in range(0, 300, 3):
        for star in stars:
            rows.add(f"o{u + 1:03d}", star, times=2)
    return rows, stars


def names(groups, ids, detector=None) -> list[list[str]]:
    return [sorted(ids[list(g.members)].tolist()) for g in groups if detector in (None, g.detector)]


# --- dense blocks -------------------------------------------------------------------------


def test_a_camouflaged_pod_is_one_dense_block_with_exactly_its_members():
    rows, stars = with_popular_accounts(Rows(1))
    pod = [f"p{i:02d}" for i in range(10)]
    for a in pod:
        rows.engages_the_others(a, pod, times=8)
        for star in stars:  # camouflage: as much again on the popular accounts
            rows.add(a, star, times=24)
    engagement, events, ids = rows.engagement()
    groups = dense_blocks(engagement, DEFAULTS.dense_block)
    assert names(groups, ids) == [pod]
    block = groups[0]
    assert block.detector == "dense_block" and ids[list(block.targets)].tolist() == pod
    assert block.density == 1.0 and block.synchrony is None and block.score >= DEFAULTS.dense_block.min_ratio
    assert block.interactions == 10 * 9 * 8
    assert block.reason.startswith("10 accounts engaged each other 720 times (100% of the possible pairs)")


def test_buyers_engaging_a_set_of_targets_are_a_dense_block_whose_targets_are_those():
    rows = Rows(2)
    rows.background()
    buyers, lifted = [f"b{i:02d}" for i in range(12)], [f"t{i}" for i in range(4)]
    for a in buyers:
        for t in lifted:
            rows.add(a, t, times=10)
    engagement, events, ids = rows.engagement()
    [block] = dense_blocks(engagement, DEFAULTS.dense_block)
    assert ids[list(block.members)].tolist() == buyers and ids[list(block.targets)].tolist() == lifted


def test_a_popular_account_with_many_organic_engagers_is_no_dense_block():
    rows = Rows(3)
    rows.background()
    for u in range(0, 300, 2):  # half the accounts engage the star, some of them often
        rows.add(f"o{u:03d}", "star", times=1 + u % 7)
    engagement, events, ids = rows.engagement()
    assert dense_blocks(engagement, DEFAULTS.dense_block) == []
    assert detect(engagement, events, DEFAULTS) == []


# --- lockstep -----------------------------------------------------------------------------


def test_a_burst_of_fresh_accounts_on_one_target_is_one_lockstep_group():
    rows = Rows(4)
    rows.background()
    hour = START + 12 * DAY + 20 * HOUR + 1_500  # crosses into the next bucket: the tolerance
    fresh = [f"f{i:03d}" for i in range(60)]
    for i, a in enumerate(fresh):
        rows.add(a, "o007", hour + 40 * i)
    rows.add("f000", "o100")  # almost no other history
    engagement, events, ids = rows.engagement()
    [group] = lockstep(engagement, events, DEFAULTS.lockstep)
    assert sorted(ids[list(group.members)].tolist()) == fresh
    assert ids[list(group.targets)].tolist() == ["o007"]
    assert group.window_start == hour and group.window_end == hour + 40 * 59
    assert group.synchrony == pytest.approx(60 / 61) and group.density is None and group.score > 100
    assert group.reason.startswith("60 accounts engaged 1 account in lockstep (1 burst within 2 hours")


def test_accounts_that_engage_together_again_and_again_are_one_lockstep_group():
    rows = Rows(5)
    rows.background()
    crew = [f"c{i:02d}" for i in range(12)]
    for k, target in enumerate(["o010", "o050", "o090", "o130", "o170"]):
        when = START + (3 + 5 * k) * DAY + 18 * HOUR
        for i, a in enumerate(crew):
            rows.add(a, target, when + 120 * i)
    for a in crew:  # and a life of their own, smaller than the lockstep
        rows.add(a, "o200", times=2)
    engagement, events, ids = rows.engagement()
    [group] = lockstep(engagement, events, DEFAULTS.lockstep)
    assert ids[list(group.members)].tolist() == crew
    assert ids[list(group.targets)].tolist() == ["o010", "o050", "o090", "o130", "o170"]
    assert group.synchrony == pytest.approx(5 / 7)


def test_a_busy_hour_on_a_popular_account_is_no_lockstep():
    rows = Rows(6)
    rows.background()
    fans = [f"o{u:03d}" for u in range(0, 300, 3)]
    for a in fans:  # the popular account's ordinary life: about 3 engagements an hour
        rows.add(a, "star", times=20)
    busy = START + 20 * DAY + 19 * HOUR
    for i, a in enumerate(fans[:30]):  # its busiest hour: 30 of its fans at once
        rows.add(a, "star", busy + 100 * i)
    engagement, events, ids = rows.engagement()
    assert lockstep(engagement, events, DEFAULTS.lockstep) == []
    assert detect(engagement, events, DEFAULTS) == []


def test_the_pre_filter_keeps_only_crowded_cells_and_changes_no_group():
    rows = Rows(7)
    rows.background()
    for i in range(60):
        rows.add(f"f{i:03d}", "o007", START + 5 * DAY + 30 * i)
    crew = [f"c{i:02d}" for i in range(12)]
    for k in range(4):
        for i, a in enumerate(crew):
            rows.add(a, f"o{40 * k:03d}", START + (4 + 6 * k) * DAY + 60 * i)
    engagement, events, ids = rows.engagement()
    settings = LockstepSettings(min_synchrony=0.0, min_members=2)
    kept = lockstep_candidates(events, engagement.window_start, settings, engagement.graph.n)
    assert len(kept.actor) == 60 + 4 * 12 < len(events.actor) / 10
    assert lockstep(engagement, kept, settings) == lockstep(engagement, events, settings)
    order = np.random.default_rng(0).permutation(len(events.actor))
    shuffled = Events(events.actor[order], events.target[order], events.seconds[order])
    assert lockstep(engagement, shuffled, settings) == lockstep(engagement, events, settings)


# --- rings --------------------------------------------------------------------------------


def test_a_reciprocal_ring_is_one_ring_with_exactly_its_members():
    rows = Rows(8)
    rows.background()
    ring = [f"r{i}" for i in range(6)]
    for a in ring:
        rows.engages_the_others(a, ring, times=3)
        rows.add(a, "o015", times=2)  # one-way engagement elsewhere
    engagement, events, ids = rows.engagement()
    groups = rings(engagement, DEFAULTS.ring)
    assert names(groups, ids) == [ring]
    assert groups[0].density == 1.0 and groups[0].targets == groups[0].members
    assert groups[0].reason.startswith("6 accounts engaged each other both ways in 15 of 15 pairs (90 engagements)")


def test_a_reciprocal_circle_of_friends_inside_its_community_is_no_ring():
    rows = Rows(9)
    rows.background()
    friends = [f"o{u:03d}" for u in range(60, 66)]  # six friends of one community of 30
    for a in friends:
        rows.engages_the_others(a, friends, times=3)
    for u in range(60, 90):  # who answer many of their community, as friends do
        for v in range(60, 90):
            if u != v and rows.rng.random() < 0.3:
                rows.add(f"o{u:03d}", f"o{v:03d}")
                rows.add(f"o{v:03d}", f"o{u:03d}")
    engagement, events, ids = rows.engagement()
    assert rings(engagement, DEFAULTS.ring) == []
    assert detect(engagement, events, DEFAULTS) == []


# --- attribution: each account once, under the detector that explains it --------------------


def pod_and_dense_ring() -> tuple[Rows, list[str], list[str]]:
    """A camouflaged pod of 14 that engages each post within the hour (a dense block, a
    reciprocal ring and a lockstep crew at once) and a heavy ring of 12 at its own times (a
    ring and a dense block)."""
    rows, stars = with_popular_accounts(Rows(11))
    pod = [f"p{i:02d}" for i in range(14)]
    for k, poster in enumerate(pod):
        for post in range(6):
            posted = START + (1 + 2 * post + k % 2) * DAY + (k * 97 % 24) * HOUR
            for i, a in enumerate(pod):
                if a != poster:
                    rows.add(a, poster, posted + 60 + 150 * i)
        for star in stars:
            rows.add(poster, star, times=12)
    ring = [f"r{i:02d}" for i in range(12)]
    for a in ring:
        rows.engages_the_others(a, ring, times=6)
    return rows, pod, ring


def test_a_pod_is_listed_once_as_a_dense_block_and_a_dense_ring_once_as_a_ring():
    rows, pod, ring = pod_and_dense_ring()
    engagement, events, ids = rows.engagement()
    # Alone, the detectors overlap: the pod is in all three, the ring in two.
    assert sorted(names(dense_blocks(engagement, DEFAULTS.dense_block), ids)) == [pod, ring]
    assert sorted(names(rings(engagement, DEFAULTS.ring), ids)) == [pod, ring]
    assert names(lockstep(engagement, events, DEFAULTS.lockstep), ids) == [pod]
    groups = detect(engagement, events, DEFAULTS)
    assert [(g.detector, sorted(ids[list(g.members)].tolist())) for g in groups] == [("dense_block", pod),
                                                                                    ("ring", ring)]
    block, loop = groups
    assert block.reason.endswith("; 100% of it came in waves (4 or more of them on one account within 2 hours)")
    assert block.reason.startswith("14 accounts engaged each other 1,092 times (100% of the possible pairs)")
    assert "; also a dense block (" in loop.reason and loop.reason.endswith("but at their own times (0% in waves)")
    # The same with the pre-filter detect's events need (cells of 4 or more accounts).
    kept = lockstep_candidates(events, engagement.window_start, DEFAULTS, engagement.graph.n)
    assert len(kept.actor) < len(events.actor) / 2 and detect(engagement, kept, DEFAULTS) == groups


def test_a_dense_community_of_real_accounts_is_no_group_of_detect():
    rows = Rows(12)
    rows.background()
    friends = [f"f{i}" for i in range(9)]
    for a in friends:
        rows.engages_the_others(a, friends, times=10)  # as heavy as a pod, at their own times
        for v in rows.rng.choice(300, 30, replace=False):  # and a life outside: 60% of what they do
            rows.add(a, f"o{v:03d}", times=4)
            rows.add(f"o{v:03d}", a)
    engagement, events, ids = rows.engagement()
    assert names(dense_blocks(engagement, DEFAULTS.dense_block), ids) == [friends]  # FRAUDAR alone
    assert rings(engagement, DEFAULTS.ring) == []  # their reciprocal ties are mostly outside
    assert detect(engagement, events, DEFAULTS) == []  # neither in waves nor focused on each other


# --- all three on real and generated data ---------------------------------------------------


KINDS = {"dense_block": "pod", "lockstep": "burst", "ring": "ring"}


@pytest.fixture(scope="module")
def injected():
    """A generated export of 2,500 users over 60 days with one pod, ring and burst."""
    export = generate(users=2_500, days=60, seed=21, inject="pods,rings,bursts")
    ids = export.user_ids
    engagement, events, node_ids = engagement_of(ids[export.actor], ids[export.target], export.seconds,
                                                 export.kind, window_days=60)
    truth = pd.DataFrame([(ids[a], g, k) for a, g, k in export.truth], columns=["account", "group", "kind"])
    return engagement, events, node_ids, truth


def test_injected_abuse_is_recovered_per_detector_at_the_default_settings(injected):
    engagement, events, ids, truth = injected
    kept = lockstep_candidates(events, engagement.window_start, DEFAULTS, engagement.graph.n)
    groups = detect(engagement, kept, DEFAULTS)
    members = [m for g in groups for m in g.members]
    assert len(members) == len(set(members))  # each account in one group at most
    kind = dict(zip(truth["account"], truth["kind"]))
    for detector, own in KINDS.items():
        flagged = {ids[m] for g in groups if g.detector == detector for m in g.members}
        labels = [kind.get(account, "organic") for account in flagged]
        mine = sum(label == own for label in labels)
        assert flagged and mine / len(flagged) >= 0.9, (detector, labels)  # precision against its own kind
        assert mine / (truth["kind"] == own).sum() >= 0.9, detector  # recall of its own kind
    for detector, own in KINDS.items():  # camouflage and all, nothing else
        listed = {ids[m] for g in groups if g.detector == detector for m in g.members}
        assert listed == set(truth.loc[truth["kind"] == own, "account"]), detector
    assert [g.detector for g in groups] == sorted((g.detector for g in groups), key=list(KINDS).index)
    assert detect(engagement, events, DEFAULTS) == groups  # the pre-filter changes nothing


def test_the_same_arrays_give_the_same_groups(injected):
    engagement, events, ids, truth = injected
    kept = lockstep_candidates(events, engagement.window_start, DEFAULTS, engagement.graph.n)
    assert detect(engagement, kept, DEFAULTS) == detect(engagement, kept, DEFAULTS)
    assert detect(engagement, kept, AuthenticitySettings(enabled=False)) == []


def test_no_group_on_collegemsg(collegemsg):
    frame = pd.read_csv(collegemsg, sep=" ", header=None, names=["src", "dst", "seconds"])
    assert len(frame) == 59_835
    engagement, events, ids = engagement_of(frame["src"], frame["dst"], frame["seconds"], None,
                                            as_of=date(2004, 10, 27), window_days=200)
    assert engagement.graph.n == 1_899
    assert detect(engagement, events, DEFAULTS) == []


def test_inputs_are_checked():
    rows = Rows(10)
    rows.background(users=60)
    engagement, events, _ = rows.engagement()
    with pytest.raises(ValueError, match="interactions has 1 entries"):
        dataclasses.replace(engagement, interactions=np.ones(1, dtype=np.int64))
    with pytest.raises(ValueError, match="one entry per interaction"):
        Events(events.actor, events.target[:-1], events.seconds)
