"""What the report shows, computed from one date's gold rows (pure: pandas in, plain
values out; no reads, no clock)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

ROLE_ORDER = ("awareness", "conversion", "mass_connector", "mass_maven", "social_broadcaster")
LIST_ORDER = ("coi_core", "coi_potential", "net_of_influence", "shortlist")
GLOBAL = "global"


@dataclass(frozen=True)
class ReportData:
    """One date's published rows, as the readers hand them over."""

    as_of: date
    previous: date | None
    summary: dict[str, Any]
    scores: pd.DataFrame  # every user of the date
    segments: pd.DataFrame  # the global scope's roles and lists, exits included
    contacts: pd.DataFrame  # user_id, community_id, contacts: the top users' contacts per community
    # The latest campaign plan of the date (its gold/campaign_plans rows) and the shortlist's
    # audience overlap at that plan's reach: empty when nothing was planned.
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    overlap: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The date's gold/engagement_anomalies rows (members and targets as lists): empty when no
    # group was flagged or the lake predates the table.
    anomalies: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Network:
    """The top influencers and the communities they reach, laid out on a circle."""

    communities: list[dict[str, Any]] = field(default_factory=list)  # id, members, x, y, r
    influencers: list[dict[str, Any]] = field(default_factory=list)  # user_id, rank, side, x, y, bridges
    links: list[dict[str, Any]] = field(default_factory=list)  # user_id, community_id, contacts


def current(segments: pd.DataFrame) -> pd.DataFrame:
    return segments[segments["change"] != "exited"]


def roles_by_user(segments: pd.DataFrame) -> dict[str, list[str]]:
    """The roles each user holds on the date, in a fixed order."""
    held = current(segments)
    held = held[held["segment"].isin(ROLE_ORDER)]
    roles: dict[str, list[str]] = {}
    for role in ROLE_ORDER:
        for user in held.loc[held["segment"] == role, "user_id"]:
            roles.setdefault(user, []).append(role)
    return roles


def side_of(roles: list[str]) -> str:
    aware, convert = "awareness" in roles, "conversion" in roles
    return "both" if aware and convert else "awareness" if aware else "conversion" if convert else "other"


def list_rows(data: ReportData, segment: str) -> list[dict[str, Any]]:
    """A list's members in order, with their roles, scores and the reason for their place."""
    members = current(data.segments)
    members = members[members["segment"] == segment].sort_values("rank")
    scores = data.scores.set_index("user_id")
    roles = roles_by_user(data.segments)
    rows = []
    for member in members.itertuples():
        user = scores.loc[member.user_id]
        shortlist_side = ("awareness" if "awareness rank" in member.reason else "conversion") \
            if segment == "shortlist" else None
        rows.append({
            "rank": int(member.rank), "user_id": member.user_id, "side": shortlist_side,
            "roles": roles.get(member.user_id, []), "score": float(user["influence_score"]),
            "pagerank": float(user["pagerank"]), "overall_rank": int(user["rank"]),
            "community_id": user["community_id"], "explanation": user["explanation"],
            "change": member.change, "reason": member.reason, "confidence": float(member.confidence),
        })
    return rows


def scatter_points(data: ReportData, *, limit: int = 2_000, labels: int = 10) -> list[dict[str, Any]]:
    """Betweenness against harmonic closeness for up to ``limit`` users (the best ranked,
    so the plot stays light on large graphs); the top ``labels`` carry their id."""
    roles = roles_by_user(data.segments)
    shown = data.scores.nsmallest(limit, "rank")
    return [{"user_id": r.user_id, "betweenness": float(r.betweenness), "harmonic": float(r.harmonic),
             "side": side_of(roles.get(r.user_id, [])), "rank": int(r.rank), "label": int(r.rank) <= labels}
            for r in shown.itertuples()]


def network(data: ReportData, *, top: int = 15, communities: int = 10) -> Network:
    """The ``top`` influencers and the ``communities`` largest communities they reach.

    Communities sit on a circle (area by members); each influencer sits at the mean of the
    communities it reaches, weighted by its contacts there, pushed out a little by rank so
    that two influencers with the same mix do not overlap.
    """
    leaders = data.scores.nsmallest(top, "rank")
    if leaders.empty:
        return Network()
    sizes = data.scores.groupby("community_id").size()
    reached = data.contacts[data.contacts["user_id"].isin(leaders["user_id"])]
    shown = sizes[sizes.index.isin(reached["community_id"])].sort_values(ascending=False).head(communities)
    n = len(shown)
    circle = []
    for i, (community, members) in enumerate(shown.items()):
        angle = 2 * math.pi * i / max(n, 1) - math.pi / 2
        circle.append({"id": community, "members": int(members), "x": 0.5 + 0.4 * math.cos(angle),
                       "y": 0.5 + 0.4 * math.sin(angle), "r": 0.015 + 0.05 * math.sqrt(members / shown.max())})
    where = {c["id"]: c for c in circle}
    roles = roles_by_user(data.segments)
    people, links = [], []
    for order, leader in enumerate(leaders.itertuples()):
        mine = reached[(reached["user_id"] == leader.user_id) & reached["community_id"].isin(where)]
        total = mine["contacts"].sum()
        if total:
            x = sum(where[c]["x"] * k for c, k in zip(mine["community_id"], mine["contacts"])) / total
            y = sum(where[c]["y"] * k for c, k in zip(mine["community_id"], mine["contacts"])) / total
        else:
            x = y = 0.5
        # Inside the ring, off the community circles, each at its own angle.
        spread = 2 * math.pi * order / len(leaders)
        people.append({"user_id": leader.user_id, "rank": int(leader.rank),
                       "side": side_of(roles.get(leader.user_id, [])),
                       "x": 0.5 + 0.7 * (x - 0.5) + 0.04 * math.cos(spread),
                       "y": 0.5 + 0.7 * (y - 0.5) + 0.04 * math.sin(spread),
                       "bridges": int((mine["contacts"] > 0).sum())})
        links += [{"user_id": leader.user_id, "community_id": c, "contacts": int(k)}
                  for c, k in zip(mine["community_id"], mine["contacts"])]
    return Network(circle, people, links)


def changes(data: ReportData, *, movers: int = 10) -> dict[str, Any]:
    """Entries and exits per role and list since the previous date, and the biggest rank moves."""
    by_segment = []
    for segment in (*LIST_ORDER, *ROLE_ORDER):
        rows = data.segments[data.segments["segment"] == segment]
        entered = rows.loc[rows["change"] == "entered", "user_id"].sort_values().tolist()
        exited = rows[rows["change"] == "exited"].sort_values("user_id")
        by_segment.append({"segment": segment, "entered": entered,
                           "exited": list(zip(exited["user_id"], exited["reason"])),
                           "kept": int((rows["change"] == "kept").sum())})
    moved = data.scores.dropna(subset=["rank_change"])
    up = moved[moved["rank_change"] > 0].nlargest(movers, "rank_change")
    down = moved[moved["rank_change"] < 0].nsmallest(movers, "rank_change")
    return {"previous": data.previous, "segments": by_segment, "up": _moves(up), "down": _moves(down)}


def _moves(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"user_id": r.user_id, "rank": int(r.rank), "rank_change": int(r.rank_change)} for r in frame.itertuples()]


def plan_view(data: ReportData) -> dict[str, Any] | None:
    """The latest plan: its picks in order with their reach, and what the top k would reach."""
    if data.plan.empty:
        return None
    rows = data.plan.sort_values("pick_order")
    first = rows.iloc[0]
    picks = [{"order": int(r.pick_order), "user_id": r.user_id, "required": bool(r.required),
              "audience": float(r.audience), "marginal": float(r.marginal_reach),
              "cumulative": float(r.cumulative_reach), "overlap_share": float(r.overlap_share),
              "cost": None if pd.isna(r.cost) else float(r.cost),
              "error": None if pd.isna(r.reach_error) else float(r.reach_error)} for r in rows.itertuples()]
    return {"plan_id": first.plan_id, "method": first.method, "guarantee": first.guarantee,
            "reach_hops": int(first.reach_hops), "sizing": first.sizing, "picks": picks,
            "method_reach": dict(first.method_reach), "upper_bound": float(first.optimum_upper_bound)}


def overlap_matrix(data: ReportData, *, limit: int = 50) -> tuple[list[str], list[list[float]]]:
    """The shortlist (by rank, at most ``limit``) and the Jaccard overlap of each pair (1 on the diagonal)."""
    if data.overlap.empty:
        return [], []
    members = current(data.segments)
    members = members[members["segment"] == "shortlist"].sort_values("rank")["user_id"].tolist()[:limit]
    jaccard = {(r.user_a, r.user_b): float(r.jaccard) for r in data.overlap.itertuples()}
    matrix = [[1.0 if a == b else jaccard.get((min(a, b), max(a, b)), 0.0) for b in members] for a in members]
    return members, matrix


DETECTOR_ORDER = ("dense_block", "lockstep", "ring")
DETECTOR_NAMES = {"dense_block": "dense block", "lockstep": "lockstep burst", "ring": "reciprocal ring"}


def authenticity_view(data: ReportData, *, lifted: int = 10, targets_shown: int = 3) -> dict[str, Any]:
    """Engagement authenticity on the date: the flagged groups, the influencers they lifted
    most, and how far the authentic score moved the ranking.

    ``state`` is ``not_assessed`` (with ``why``: the date was scored before the check
    existed, it was off, or skipped and why), ``none_flagged`` or ``flagged``. ``counts``:
    the groups per detector (the summary's); ``found`` says them in words.
    ``adjusted`` says whether ``influence_score`` is the authentic one
    (``authenticity.authentic_scores``); the summary's figures (``users_moved``,
    ``rank_shift_max``, ``rank_shift_median``, ``top100_pushed_out``) are None unless it is.

    ``groups``: each flagged group (by detector, then its number), its members and targets
    counted, ``lifts`` (its best-ranked targets by the score before, at most
    ``targets_shown``; ``more`` the rest), ``score`` (times organic), ``measure`` and
    ``value`` (density, or synchrony for lockstep), its interactions, window and reason.

    ``lifted``: the ``lifted`` influencers a marketer would have booked on the strength of
    flagged engagement: among the users who received some (``suspicious_share`` > 0) and
    whom the authentic score ranks lower, the best placed by the score before
    (``raw_rank``). Ordering by places lost instead would fill the table with users far down
    the ranking (a fall from 40,000 to 90,000 changes no booking); users the discount leaves
    in place keep a standing that does not rest on flagged engagement. Each has its share,
    score and rank before and after, and the reason. When the score is not adjusted there
    is no before and after: the users who received flagged engagement, best ranked first.
    ``received`` counts the users who received some, ``lost`` those the discount moved down
    (None when not adjusted).
    """
    summary = data.summary
    status = summary.get("authenticity")
    if status != "on":
        why = ("this date was scored before the check existed" if status is None
               else "it was off (authenticity.enabled)" if status == "off" else status)
        return {"state": "not_assessed", "why": why}
    scores = data.scores
    adjusted = bool(summary.get("authentic_scores") and "raw_rank" in scores and scores["raw_rank"].notna().any())
    figures = {k: summary.get(k) if adjusted else None
               for k in ("users_moved", "rank_shift_max", "rank_shift_median", "top100_pushed_out")}
    counts = {d: int((summary.get("anomaly_groups") or {}).get(d) or 0) for d in DETECTOR_ORDER}
    found = [f"{n:,} {DETECTOR_NAMES[d]}{'s' if n > 1 else ''}" for d, n in counts.items() if n]
    view = {"state": "none_flagged", "why": None, "adjusted": adjusted, "counts": counts,
            "found": ", ".join(found[:-1]) + " and " + found[-1] if len(found) > 1 else "".join(found),
            "flagged_accounts": int(summary.get("flagged_accounts") or 0), **figures,
            "groups": [], "lifted": [], "received": 0, "lost": 0 if adjusted else None}
    if data.anomalies.empty:
        return view

    before = scores.set_index("user_id")["raw_rank" if adjusted else "rank"].dropna()
    groups = data.anomalies.assign(
        order=data.anomalies["detector"].map({d: i for i, d in enumerate(DETECTOR_ORDER)}),
        number=data.anomalies["group_id"].str.rsplit("-", n=1).str[-1].astype(int))
    rows = []
    for g in groups.sort_values(["order", "number"]).itertuples():
        targets = sorted(g.targets, key=lambda user: (before.get(user, math.inf), user))
        lockstep = g.detector == "lockstep"
        value = g.synchrony if lockstep else g.density
        rows.append({"group_id": g.group_id, "detector": g.detector, "kind": DETECTOR_NAMES.get(g.detector, g.detector),
                     "members": len(g.members), "targets": len(g.targets), "lifts": targets[:targets_shown],
                     "more": max(len(targets) - targets_shown, 0), "score": float(g.score),
                     "measure": "synchrony" if lockstep else "density",
                     "value": None if pd.isna(value) else float(value), "interactions": int(g.interactions),
                     "window_start": pd.Timestamp(g.window_start).to_pydatetime(),
                     "window_end": pd.Timestamp(g.window_end).to_pydatetime(), "reason": g.reason})

    received = scores[scores["suspicious_share"].fillna(0) > 0]
    if adjusted:
        chosen = received[received["rank"] > received["raw_rank"]]
        lost, chosen = len(chosen), chosen.sort_values(["raw_rank", "user_id"])
    else:
        lost, chosen = None, received.sort_values(["rank", "user_id"])
    people = [{"user_id": r.user_id, "share": float(r.suspicious_share),
               "score_before": float(r.raw_influence_score) if adjusted else float(r.influence_score),
               "score_after": float(r.influence_score) if adjusted else None,
               "rank_before": int(r.raw_rank) if adjusted else int(r.rank),
               "rank_after": int(r.rank) if adjusted else None, "reason": r.suspicious_reason}
              for r in chosen.head(lifted).itertuples()]
    return {**view, "state": "flagged", "groups": rows, "lifted": people, "received": len(received), "lost": lost}
