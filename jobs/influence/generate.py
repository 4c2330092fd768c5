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
from typing import Iterable

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
# Known abuse the generator can add (``inject``), and the kind each writes in the ground truth.
INJECT_KINDS = {"pods": "pod", "rings": "ring", "bursts": "burst"}
# Groups of each injected kind: one per this many users, at least one.
USERS_PER_INJECTED_GROUP = 4_000
POD_SIZE, RING_SIZE, BURST_SIZE = (10, 30), (5, 15), (50, 200)
# Share of a pod member's engagement spent on popular accounts as camouflage.
POD_CAMOUFLAGE = 0.3


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
    # With injected abuse: per row, whether it is injected (their topics come from a stream of
    # their own), and the ground truth as (user index, group, kind) rows.
    injected: np.ndarray | None = None
    truth: tuple[tuple[int, str, str], ...] = ()


def _user_ids(n: int) -> np.ndarray:
    width = len(str(n))
    return np.array([f"u{i:0{width}d}" for i in range(1, n + 1)])


def parse_inject(kinds: str | Iterable[str]) -> tuple[str, ...]:
    """The abuse kinds of ``--inject`` (a comma list or names), checked, in a fixed order."""
    names = [k.strip() for k in (kinds.split(",") if isinstance(kinds, str) else kinds)]
    names = [k for k in names if k]
    unknown = sorted(set(names) - set(INJECT_KINDS))
    if unknown:
        raise ValueError(f"unknown abuse kind(s) {', '.join(unknown)}: --inject takes a comma list of "
                         f"{', '.join(INJECT_KINDS)}")
    return tuple(k for k in INJECT_KINDS if k in names)


def generate(users: int = SAMPLE_USERS, days: int = SAMPLE_DAYS, end: date = DEFAULT_END, seed: int = SAMPLE_SEED,
             interactions_per_user_day: float = 0.3, inside_share: float = 0.9,
             reply_back_share: float = 0.25, insular_share: float = 0.6,
             inject: str | Iterable[str] = (), inject_seed: int | None = None) -> SyntheticExport:
    """The organic export of the module docstring; with ``inject`` (any of ``pods``, ``rings``,
    ``bursts``), known abuse added on new accounts (``inject_abuse``), drawn from streams of
    its own keyed by ``inject_seed`` (default ``seed``): the organic rows stay the same."""
    if users < 2 or days < 1:
        raise ValueError("need at least 2 users and 1 day")
    kinds_injected = parse_inject(inject)
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

    if not kinds_injected:
        order = np.lexsort((kind, target, actor, seconds))
        return SyntheticExport(
            actor=actor[order], target=target[order], seconds=seconds[order], kind=kinds[kind[order]],
            user_ids=_user_ids(users), community=community, followers=followers, seed=seed,
        )
    abuse = inject_abuse(kinds_injected, users=users, days=days, first_second=int(first_day.timestamp()),
                         attractiveness=attractiveness, received=np.bincount(target, minlength=users),
                         n_communities=n_communities, seed=seed,
                         inject_seed=seed if inject_seed is None else inject_seed)
    n_organic = len(actor)
    actor = np.concatenate([actor, abuse.actor])
    target = np.concatenate([target, abuse.target])
    seconds = np.concatenate([seconds, abuse.seconds])
    position = {name: i for i, name in enumerate(kinds.tolist())}
    kind = np.concatenate([kind, [position[k] for k in abuse.kind.tolist()]]).astype(np.int64)
    injected = np.arange(len(actor)) >= n_organic
    order = np.lexsort((kind, target, actor, seconds))
    ids = _user_ids(users)
    width = len(ids[0]) - 1
    return SyntheticExport(
        actor=actor[order], target=target[order], seconds=seconds[order], kind=kinds[kind[order]],
        user_ids=np.concatenate([ids, [f"u{i:0{width}d}" for i in range(users + 1, users + abuse.accounts + 1)]]),
        community=np.concatenate([community, abuse.community]),
        followers=np.concatenate([followers, abuse.followers]), seed=seed,
        injected=injected[order], truth=abuse.truth,
    )


@dataclass(frozen=True)
class InjectedAbuse:
    """Rows of injected abuse on ``accounts`` new users numbered from ``users`` on, their
    communities (for topics) and follower counts, and the ground truth rows."""

    actor: np.ndarray
    target: np.ndarray
    seconds: np.ndarray
    kind: np.ndarray
    accounts: int
    community: np.ndarray
    followers: np.ndarray
    truth: tuple[tuple[int, str, str], ...]


def _times(rng: np.random.Generator, count: int, days: int, first_second: int) -> np.ndarray:
    """``count`` instants on the export's days with the daily rhythm of organic activity."""
    day = rng.integers(0, days, count)
    hour = rng.choice(24, size=count, p=_HOURLY / _HOURLY.sum())
    return first_second + day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, count)


def inject_abuse(kinds: tuple[str, ...], *, users: int, days: int, first_second: int, attractiveness: np.ndarray,
                 received: np.ndarray, n_communities: int, seed: int, inject_seed: int) -> InjectedAbuse:
    """Known abuse on new accounts, ``max(1, round(users / 4000))`` groups of each kind.

    - ``pods`` (10-30 members): each member posts every 3 to 10 days and the others engage
      each post (comment, like, reply) with a probability of 0.7-0.95 per pod, a few minutes
      to an hour later; about 30% of each member's engagement goes to popular real accounts
      (the top 2% by attractiveness) at ordinary times, as camouflage.
    - ``rings`` (5-15 members): every member engages every other member 1 + Poisson(1-4)
      times over the window at ordinary times (all ties reciprocal, no synchrony); about
      20% of their engagement goes to real accounts drawn by attractiveness.
    - ``bursts`` (50-200 fresh accounts): each engages one real target (drawn among the
      accounts that received engagement) once, within one hour; a quarter of them also
      engage one popular account at some other time.

    Each kind draws from a stream of its own (``[seed, inject_seed, k]``), so that the rows
    of a kind do not depend on which other kinds are injected; the new accounts are
    numbered from ``users`` in a shuffled order, so that a group's ids are not consecutive.
    Truth rows: every member with its group (``pod1``, ``ring2``, ...) and kind (``pod``,
    ``ring``, ``burst``); a burst's target, a real account, with kind ``target``.
    """
    groups = max(1, round(users / USERS_PER_INJECTED_GROUP))
    last_second = first_second + days * 86_400 - 1
    popular = np.argsort(-attractiveness, kind="stable")[:max(20, users // 50)]
    popular_p = attractiveness[popular] / attractiveness[popular].sum()
    engaged = np.flatnonzero(received > 0)
    actor, target, seconds, kind = [], [], [], []
    truth: list[tuple[int, str, str]] = []
    members_of: list[np.ndarray] = []  # local account numbers, in creation order
    next_account = 0

    def new_accounts(count: int) -> np.ndarray:
        nonlocal next_account
        local = np.arange(next_account, next_account + count)
        next_account += count
        members_of.append(local)
        return local

    def add(a, t, s, k) -> None:
        actor.append(np.asarray(a, dtype=np.int64))
        target.append(np.asarray(t, dtype=np.int64))
        seconds.append(np.minimum(np.asarray(s, dtype=np.int64), last_second))
        kind.append(np.asarray(k))

    # Real targets are stored as -1 - user so that new accounts can be renumbered afterwards.
    for k, name in enumerate(INJECT_KINDS):
        if name not in kinds:
            continue
        rng = np.random.default_rng([seed, inject_seed, 100 + k])
        for g in range(1, groups + 1):
            label = f"{INJECT_KINDS[name]}{g}"
            if name == "pods":
                members = new_accounts(int(rng.integers(POD_SIZE[0], POD_SIZE[1] + 1)))
                per_day, engage = rng.uniform(0.1, 0.33), rng.uniform(0.7, 0.95)
                posts = np.maximum(1, rng.poisson(per_day * days, len(members)))
                poster = np.repeat(members, posts)
                posted = _times(rng, len(poster), days, first_second)
                engager = np.repeat(poster[None, :], len(members), axis=0)
                who = np.repeat(members[:, None], len(poster), axis=1)
                keep = (who != engager) & (rng.random(who.shape) < engage)
                when = np.repeat(posted[None, :], len(members), axis=0)[keep]
                delay = np.minimum(30 + rng.exponential(600, len(when)), 3_500).astype(np.int64)
                add(who[keep], engager[keep], when + delay,
                    rng.choice(["comment", "like", "reply"], len(when), p=[0.45, 0.35, 0.2]))
                per_member = np.bincount(np.searchsorted(members, who[keep]), minlength=len(members))
                cover = rng.poisson(per_member * POD_CAMOUFLAGE / (1 - POD_CAMOUFLAGE))
                cam = np.repeat(members, cover)
                add(cam, -1 - rng.choice(popular, len(cam), p=popular_p), _times(rng, len(cam), days, first_second),
                    rng.choice(list(TYPE_SHARES), len(cam), p=list(TYPE_SHARES.values())))
            elif name == "rings":
                members = new_accounts(int(rng.integers(RING_SIZE[0], RING_SIZE[1] + 1)))
                a, b = np.meshgrid(members, members, indexing="ij")
                pairs = a != b
                a, b = a[pairs], b[pairs]
                times = 1 + rng.poisson(rng.uniform(1.0, 4.0), len(a))
                a, b = np.repeat(a, times), np.repeat(b, times)
                add(a, b, _times(rng, len(a), days, first_second),
                    rng.choice(list(TYPE_SHARES), len(a), p=list(TYPE_SHARES.values())))
                cover = rng.poisson(np.bincount(np.searchsorted(members, a), minlength=len(members)) * 0.25)
                out = np.repeat(members, cover)
                add(out, -1 - rng.choice(users, len(out), p=attractiveness / attractiveness.sum()),
                    _times(rng, len(out), days, first_second),
                    rng.choice(list(TYPE_SHARES), len(out), p=list(TYPE_SHARES.values())))
            else:
                members = new_accounts(int(rng.integers(BURST_SIZE[0], BURST_SIZE[1] + 1)))
                lifted = int(rng.choice(engaged))
                start = int(_times(rng, 1, days, first_second)[0])
                add(members, np.full(len(members), -1 - lifted), start + rng.integers(0, 3_600, len(members)),
                    rng.choice(["like", "reshare", "comment", "follow"], len(members), p=[0.4, 0.25, 0.2, 0.15]))
                extra = members[rng.random(len(members)) < 0.25]
                add(extra, -1 - rng.choice(popular, len(extra), p=popular_p),
                    _times(rng, len(extra), days, first_second),
                    rng.choice(["like", "reshare", "comment"], len(extra), p=[0.5, 0.3, 0.2]))
                truth.append((-1 - lifted, label, "target"))
            truth.extend((int(m), label, INJECT_KINDS[name]) for m in members)

    accounts = next_account
    shuffle = np.random.default_rng([seed, inject_seed, 99]).permutation(accounts)
    number = lambda x: np.where(x < 0, -1 - x, users + shuffle[np.maximum(x, 0)])  # noqa: E731
    side = np.random.default_rng([seed, inject_seed, 98])
    communities = side.integers(0, n_communities, len(members_of))
    community = np.empty(accounts, dtype=np.int64)
    for group, local in enumerate(members_of):
        community[shuffle[local]] = communities[group]
    followers = np.round(side.lognormal(3.0, 1.0, accounts)).astype(np.int64)
    return InjectedAbuse(
        actor=number(np.concatenate(actor)), target=number(np.concatenate(target)),
        seconds=np.concatenate(seconds), kind=np.concatenate(kind), accounts=accounts,
        community=community, followers=followers,
        truth=tuple(sorted(((int(number(np.int64(a))), g, k) for a, g, k in truth), key=lambda r: (r[1], r[0]))),
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

    Drawn from a stream of their own, so the interactions are the same in every format;
    injected rows' from another one, so that the organic rows keep their topics.
    """
    rng = np.random.default_rng(export.seed + 1)
    community_topics = rng.integers(0, len(TOPICS), size=(int(export.community.max()) + 1, 2))
    if export.injected is None:
        return _topics(rng, community_topics, export.community[export.actor])
    topics: list[list[str]] = [[] for _ in range(len(export.actor))]
    for rows, stream in ((np.flatnonzero(~export.injected), rng),
                         (np.flatnonzero(export.injected), np.random.default_rng([export.seed + 1, 1]))):
        for row, tags in zip(rows.tolist(), _topics(stream, community_topics, export.community[export.actor[rows]])):
            topics[row] = tags
    return topics


def _topics(rng: np.random.Generator, community_topics: np.ndarray, communities: np.ndarray) -> list[list[str]]:
    own = community_topics[communities, rng.integers(0, 2, len(communities))]
    other = rng.integers(0, len(TOPICS), len(communities))
    how_many = rng.choice(3, size=len(communities), p=[0.4, 0.45, 0.15])
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


def write_truth(export: SyntheticExport, out_dir: Path, name: str) -> Path:
    """The injected abuse's ground truth, ``account,group,kind``, by group then account."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.truth.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["account", "group", "kind"])
        writer.writerows([export.user_ids[account], group, kind] for account, group, kind in export.truth)
    return path


def truth_path(export_path: Path) -> Path:
    """Where ``write_export`` put the ground truth of an export with injected abuse."""
    return export_path.with_name(export_path.name[:-len(export_path.suffix)] + ".truth.csv")


def write_export(out_dir: Path, *, users: int = SAMPLE_USERS, days: int = SAMPLE_DAYS, end: date = DEFAULT_END,
                 seed: int = SAMPLE_SEED, fmt: str = "jsonl", inject: str | Iterable[str] = (),
                 inject_seed: int | None = None) -> Path:
    """Write the export; with ``inject``, its ground truth beside it (``truth_path``)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")
    kinds = parse_inject(inject)
    export = generate(users=users, days=days, end=end, seed=seed, inject=kinds, inject_seed=inject_seed)
    name = f"interactions-{end.isoformat()}-u{users}-d{days}-s{seed}"
    if kinds:
        name += f"-{'-'.join(kinds)}-i{seed if inject_seed is None else inject_seed}"
        write_truth(export, out_dir, name)
    writer = {"jsonl": write_jsonl, "csv": write_csv, "snap": write_snap}[fmt]
    return writer(export, out_dir, name)
