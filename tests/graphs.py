"""Graphs for metric tests: random ones, and ones from the project's own generator."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from influence.generate import generate
from influence.graph.structure import EdgeList


def random_graph(n: int = 80, p: float = 0.05, seed: int = 3) -> EdgeList:
    """A directed G(n, p) graph with weights uniform in [0.5, 3]."""
    g = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    rng = np.random.default_rng(seed)
    return EdgeList.from_pairs([(f"u{a:03d}", f"u{b:03d}", float(w)) for (a, b), w in
                                zip(g.edges(), rng.uniform(0.5, 3.0, g.number_of_edges()))])


def generated_graph(users: int, days: int, seed: int = 11) -> EdgeList:
    """The generator's interactions aggregated per (actor, target), weight = interactions."""
    export = generate(users=users, days=days, seed=seed)
    pairs = pd.DataFrame({"src": export.user_ids[export.actor], "dst": export.user_ids[export.target]})
    return EdgeList.from_frame(pairs.groupby(["src", "dst"]).size().rename("weight").reset_index())


def frames_of(spark, graph: EdgeList):
    """``graph`` as the graphframes engine's numbered ``edges`` and ``vertices`` frames."""
    edges = spark.createDataFrame(pd.DataFrame({"src": graph.src, "dst": graph.dst, "weight": graph.weight}))
    return edges, spark.range(graph.n)


def by_id(frame, column):
    """``column`` of a per-vertex frame, in vertex order."""
    return frame.toPandas().sort_values("id")[column].to_numpy()


# SPEC section 5's default type weights; snap lines without a type are messages.
TYPE_WEIGHTS = {"reshare": 3.0, "quote": 3.0, "reply": 2.0, "comment": 2.0, "mention": 1.5, "message": 1.0,
                "follow": 1.0, "like": 0.5}


def engagement_of(actor, target, seconds, kind=None, *, as_of=None, window_days: int = 90,
                  half_life_days: float = 30.0, reciprocity_boost: float = 1.5):
    """The detectors' inputs from raw interactions (user ids or numbers), built as the
    pipeline builds ``silver/edges`` (SPEC section 7) and communities (Leiden, seed 1):
    ``(Engagement, Events, ids)``, with Events holding every interaction of the window."""
    from datetime import datetime, time, timedelta, timezone

    from influence.graph.authenticity import Engagement, Events
    from influence.graph.communities import communities

    rows = pd.DataFrame({"src": np.asarray(actor).astype(str), "dst": np.asarray(target).astype(str),
                         "seconds": np.asarray(seconds, dtype=np.int64),
                         "kind": "message" if kind is None else np.asarray(kind)})
    rows = rows[rows["src"] != rows["dst"]]
    day = pd.to_datetime(rows["seconds"], unit="s", utc=True).dt.date
    as_of = as_of or day.max()
    window_end = int(datetime.combine(as_of + timedelta(days=1), time(), tzinfo=timezone.utc).timestamp())
    window_start = window_end - window_days * 86_400
    rows = rows[(rows["seconds"] >= window_start) & (rows["seconds"] < window_end)]
    age_days = (window_end - rows["seconds"]) / 86_400
    rows = rows.assign(weight=rows["kind"].map(TYPE_WEIGHTS) * 2.0 ** (-age_days / half_life_days))
    pairs = rows.groupby(["src", "dst"], as_index=False).agg(
        weight=("weight", "sum"), interactions=("weight", "size"), first_at=("seconds", "min"),
        last_at=("seconds", "max"))
    reverse = set(zip(pairs["dst"], pairs["src"]))
    reciprocal = np.array([pair in reverse for pair in zip(pairs["src"], pairs["dst"])], dtype=bool)
    pairs["weight"] *= np.where(reciprocal, reciprocity_boost, 1.0)
    graph = EdgeList.from_frame(pairs)
    index = pd.Series(np.arange(graph.n), index=graph.ids)
    labels = communities(graph, resolution=1.0, seed=1).community
    engagement = Engagement(graph=graph, interactions=pairs["interactions"].to_numpy(np.int64),
                            reciprocal=reciprocal, first_at=pairs["first_at"].to_numpy(np.int64),
                            last_at=pairs["last_at"].to_numpy(np.int64), community=labels,
                            window_start=window_start, window_end=window_end)
    events = Events(actor=index[rows["src"]].to_numpy(np.int64), target=index[rows["dst"]].to_numpy(np.int64),
                    seconds=rows["seconds"].to_numpy(np.int64))
    return engagement, events, graph.ids
