"""A realistic synthetic interaction export, deterministic for a given seed.

The model: users belong to communities of heavy-tailed sizes, a few bridge users belong
to two or three; activity (how often a user acts) and attractiveness (how often a user
is engaged) are Pareto-distributed, follower counts log-normal around attractiveness.
Most engagement stays inside the actor's communities; some of it is answered (reply
back), so relationships are reciprocal where they are strong. Times fall on the last
``days`` days up to ``end`` with a daily rhythm.

Same arguments, same bytes: the pinned numpy's PCG64 stream drives every draw, and rows
are written in a total order.
"""

from __future__ import annotations

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
FORMATS = ("snap",)
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


def _user_ids(n: int) -> np.ndarray:
    width = len(str(n))
    return np.array([f"u{i:0{width}d}" for i in range(1, n + 1)])


def generate(users: int = SAMPLE_USERS, days: int = SAMPLE_DAYS, end: date = DEFAULT_END, seed: int = SAMPLE_SEED,
             interactions_per_user_day: float = 0.3, inside_share: float = 0.85,
             reply_back_share: float = 0.25) -> SyntheticExport:
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

    n_events = max(1, int(users * days * interactions_per_user_day))
    actor = rng.choice(users, size=n_events, p=activity / activity.sum())
    home = np.where(rng.random(n_events) < 0.5, community[actor], second[actor])
    inside = rng.random(n_events) < inside_share
    target = rng.choice(users, size=n_events, p=attractiveness / attractiveness.sum())
    for c in range(n_communities):
        members = np.flatnonzero((community == c) | (second == c))
        chosen = np.flatnonzero(inside & (home == c))
        if len(members) and len(chosen):
            w = attractiveness[members]
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
        user_ids=_user_ids(users), community=community, followers=followers,
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


def write_export(out_dir: Path, *, users: int = SAMPLE_USERS, days: int = SAMPLE_DAYS, end: date = DEFAULT_END,
                 seed: int = SAMPLE_SEED, fmt: str = "snap") -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not supported yet (supported: {', '.join(FORMATS)})")
    export = generate(users=users, days=days, end=end, seed=seed)
    name = f"interactions-{end.isoformat()}-u{users}-d{days}-s{seed}"
    return write_snap(export, out_dir, name)
