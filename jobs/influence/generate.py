"""A realistic synthetic interaction export, deterministic for a given seed.

The model: users belong to communities of heavy-tailed sizes, a few bridge users belong
to two or three; activity (how often a user acts), attractiveness (how often the whole
market engages a user) and local standing (how often its own community does) are
Pareto-distributed, follower counts log-normal around attractiveness. Most engagement
stays inside the actor's communities, drawn by local standing; some of it is answered (reply
back), so relationships are reciprocal where they are strong. Times fall on the last
``days`` days up to ``end`` with a daily rhythm.

Same arguments, same bytes: the pinned numpy's PCG64 stream drives every draw, and rows
are written in a total order.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np

DEFAULT_END = date(2026, 6, 30)
# The built-in sample that `influence run` scores when given no input.
SAMPLE_USERS, SAMPLE_DAYS, SAMPLE_SEED = 1000, 90, 7
TYPE_SHARES = {
    "mention": 0.25, "reply": 0.20, "reshare": 0.15, "like": 0.12,
    "comment": 0.10, "message": 0.08, "quote": 0.05, "follow": 0.05,
}
FORMATS = ("jsonl", "csv", "snap")
EXTENSIONS = {"jsonl": ".jsonl", "csv": ".csv", "snap": ".txt"}
# Hashtags: each community talks about two of these; a post carries up to two tags.
TOPICS = ("launch", "pricing", "support", "outage", "sustainability", "recipes", "travel", "fitness", "gaming",
          "music", "ai", "crypto", "football", "fashion", "parenting", "jobs", "movies", "books", "diy", "pets")
# Share of each hour of the UTC day (evening peak, night trough).
_HOURLY = np.array([2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 6, 6, 5, 5, 5, 6, 7, 8, 8, 7, 5, 3], dtype=float)


@dataclass(frozen=True)
class SyntheticExport:
    """Columns of the generated interactions, one array each, in time order."""

    actor: np.ndarray
    target: np.ndarray
    seconds: np.ndarray
    kind: np.ndarray
    user_ids: np.ndarray
    community: np.ndarray
    followers: np.ndarray
    seed: int = SAMPLE_SEED


def _user_ids(n: int) -> np.ndarray:
    width = len(str(n))
    return np.array([f"u{i:0{width}d}" for i in range(1, n + 1)])


def generate(users: int = SAMPLE_USERS, days: int = SAMPLE_DAYS, end: date = DEFAULT_END, seed: int = SAMPLE_SEED,
             interactions_per_user_day: float = 0.3, inside_share: float = 0.9,
             reply_back_share: float = 0.25, insular_share: float = 0.6) -> SyntheticExport:
    if users < 2 or days < 1:
        raise ValueError("need at least 2 users and 1 day")
    rng = np.random.default_rng(seed)

    n_communities = max(2, users // 60)
    sizes = rng.pareto(1.5, n_communities) + 1
    community = rng.choice(n_communities, size=users, p=sizes / sizes.sum())
    # Bridges: ~3% of users also belong to one or two other communities.
    bridges = rng.random(users) < 0.03
    second = np.where(bridges, rng.integers(0, n_communities, users), community)

    activity = rng.pareto(1.3, users) + 0.05
    attractiveness = rng.pareto(1.2, users) + 0.05
    followers = np.round(rng.lognormal(4.0, 1.0, users) * attractiveness * 5).astype(np.int64)
    # Inside its community a user is engaged by local standing, not by market-wide fame:
    # local heroes (conversion influencers) differ from the stars everyone engages. A
    # stream of its own keeps every other draw of the seed unchanged.
    local = np.random.default_rng([seed, 1])
    local_standing = local.pareto(1.2, users) + 0.05
    # Insular users engage only inside their community: with local standing, they become
    # the community's own hubs, whose ties are deep rather than wide.
    insular = local.random(users) < insular_share

    n_events = max(1, int(users * days * interactions_per_user_day))
    actor = rng.choice(users, size=n_events, p=activity / activity.sum())
    home = np.where(rng.random(n_events) < 0.5, community[actor], second[actor])
    inside = (rng.random(n_events) < inside_share) | insular[actor]
    target = rng.choice(users, size=n_events, p=attractiveness / attractiveness.sum())
    for c in range(n_communities):
        members = np.flatnonzero((community == c) | (second == c))
        chosen = np.flatnonzero(inside & (home == c))
        if len(members) and len(chosen):
            w = local_standing[members]
            target[chosen] = rng.choice(members, size=len(chosen), p=w / w.sum())
    # A self-engagement becomes engagement of the next user: keeps the count exact.
    target = np.where(target == actor, (target + 1) % users, target)

    kinds = np.array(list(TYPE_SHARES))
    kind = rng.choice(len(kinds), size=n_events, p=np.array(list(TYPE_SHARES.values())))

    first_day = datetime.combine(end - timedelta(days=days - 1), time(), tzinfo=timezone.utc)
    day = rng.integers(0, days, n_events)
    hour = rng.choice(24, size=n_events, p=_HOURLY / _HOURLY.sum())
    seconds = int(first_day.timestamp()) + day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n_events)

    # Some engagement is answered: a reply back within the hour, still inside the window.
    answered = np.flatnonzero(rng.random(n_events) < reply_back_share)
    last_second = int(first_day.timestamp()) + days * 86_400 - 1
    back_seconds = np.minimum(seconds[answered] + rng.integers(30, 3_600, len(answered)), last_second)
    actor, target = np.concatenate([actor, target[answered]]), np.concatenate([target, actor[answered]])
    seconds = np.concatenate([seconds, back_seconds])
    kind = np.concatenate([kind, np.full(len(answered), list(kinds).index("reply"))])

    order = np.lexsort((kind, target, actor, seconds))
    return SyntheticExport(
        actor=actor[order], target=target[order], seconds=seconds[order], kind=kinds[kind[order]],
        user_ids=_user_ids(users), community=community, followers=followers, seed=seed,
    )


def write_snap(export: SyntheticExport, out_dir: Path, name: str) -> Path:
    """``ACTOR TARGET UNIXTS TYPE`` lines, the shape of the SNAP temporal networks."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.txt"
    ids = export.user_ids
    lines = [
        f"{a} {t} {s} {k}\n"
        for a, t, s, k in zip(ids[export.actor], ids[export.target], export.seconds.tolist(), export.kind)
    ]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def post_topics(export: SyntheticExport) -> list[list[str]]:
    """Up to two lower-case hashtags per interaction, mostly from the actor's community's two topics.

    Drawn from a stream of their own, so the interactions are the same in every format.
    """
    rng = np.random.default_rng(export.seed + 1)
    community_topics = rng.integers(0, len(TOPICS), size=(int(export.community.max()) + 1, 2))
    own = community_topics[export.community[export.actor], rng.integers(0, 2, len(export.actor))]
    other = rng.integers(0, len(TOPICS), len(export.actor))
    how_many = rng.choice(3, size=len(export.actor), p=[0.4, 0.45, 0.15])
    return [[] if k == 0 else [TOPICS[a]] if k == 1 or a == b else [TOPICS[a], TOPICS[b]]
            for k, a, b in zip(how_many.tolist(), own.tolist(), other.tolist())]


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# Where a post of each type names the account it engages, as the jsonl profile reads it.
_ENGAGED = {
    "reply": lambda post, target: {"in_reply_to": {"id": post, "author": {"id": target}}},
    "reshare": lambda post, target: {"reshare_of": {"id": post, "author": {"id": target}}},
    "quote": lambda post, target: {"quote_of": {"id": post, "author": {"id": target}}},
    "comment": lambda post, target: {"comment_on": {"id": post, "author": {"id": target}}},
    "like": lambda post, target: {"liked": {"id": post, "author": {"id": target}}},
    "mention": lambda post, target: {"mentions": [{"id": target}]},
    "follow": lambda post, target: {"followed": {"id": target}},
    "message": lambda post, target: {"message_to": {"id": target}},
}


def write_jsonl(export: SyntheticExport, out_dir: Path, name: str) -> Path:
    """One post per line in the shape the ``jsonl`` profile reads: author with followers, hashtags."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.jsonl"
    ids, followers = export.user_ids, export.followers
    with path.open("w", encoding="utf-8") as stream:
        for i, (a, t, s, k, tags) in enumerate(zip(export.actor.tolist(), export.target.tolist(),
                                                   export.seconds.tolist(), export.kind.tolist(), post_topics(export))):
            post = {"id": f"p{i + 1}", "created_at": _iso(s), "platform": "synthetic",
                    "author": {"id": str(ids[a]), "followers_count": int(followers[a])},
                    **_ENGAGED[k](f"p{i}", str(ids[t])), "hashtags": tags}
            stream.write(json.dumps(post, separators=(",", ":")) + "\n")
    return path


def write_csv(export: SyntheticExport, out_dir: Path, name: str) -> Path:
    """A header and one row per interaction, in the columns the ``csv`` profile reads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.csv"
    ids, followers = export.user_ids, export.followers
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["event_id", "actor_id", "target_id", "interaction_type", "occurred_at", "audience_size",
                         "topics"])
        for i, (a, t, s, k, tags) in enumerate(zip(export.actor.tolist(), export.target.tolist(),
                                                   export.seconds.tolist(), export.kind.tolist(), post_topics(export))):
            writer.writerow([f"e{i + 1}", ids[a], ids[t], k, _iso(s), int(followers[a]), "|".join(tags)])
    return path


def write_export(out_dir: Path, *, users: int = SAMPLE_USERS, days: int = SAMPLE_DAYS, end: date = DEFAULT_END,
                 seed: int = SAMPLE_SEED, fmt: str = "jsonl") -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")
    export = generate(users=users, days=days, end=end, seed=seed)
    name = f"interactions-{end.isoformat()}-u{users}-d{days}-s{seed}"
    writer = {"jsonl": write_jsonl, "csv": write_csv, "snap": write_snap}[fmt]
    return writer(export, out_dir, name)
