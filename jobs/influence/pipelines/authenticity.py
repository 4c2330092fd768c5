"""Engagement authenticity in a score: the window's edges and its busy (target, time window)
cells from Spark to the driver, the detectors there (``influence.graph.authenticity``), and
back as ``gold/engagement_anomalies`` rows and per-user figures for the scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from influence import tables
from influence.config import AuthenticitySettings, Settings
from influence.graph.authenticity import DETECTORS, Engagement, Events, SuspiciousGroup, detect, discounted
from influence.graph.engines import timed
from influence.graph.structure import EdgeList
from influence.transforms.authenticity import lockstep_events
from influence.transforms.edges import window_bounds

PER_USER = T.StructType([
    T.StructField("user_id", T.StringType(), False),
    T.StructField("suspicious_share", T.DoubleType(), False),
    T.StructField("authentic_pagerank", T.DoubleType(), False),
    T.StructField("suspicious_reason", T.StringType(), True),
])


@dataclass(frozen=True)
class Assessment:
    """``per_user``: ``user_id, suspicious_share, authentic_pagerank, suspicious_reason`` for
    every user of the graph (None when authenticity did not run); ``anomalies``: the
    ``gold/engagement_anomalies`` rows; ``figures``: the summary's fields; ``seconds``: the
    stage times."""

    per_user: DataFrame | None
    anomalies: DataFrame
    figures: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def _unix(day: date) -> int:
    return int(datetime.combine(day, clock(), tzinfo=timezone.utc).timestamp())


def assess(spark: SparkSession, edges: DataFrame, metrics: DataFrame, window: DataFrame, *, as_of: date,
           window_days: int, n_edges: int, settings: Settings, run_id: str) -> Assessment:
    """Flag the window's suspicious groups and what they lifted (``Assessment``).

    The detectors need the edge list on the driver, as the networkit engine does: above
    ``driver_max_edges`` edges they are skipped, and the summary says so.
    """
    wanted = settings.authenticity
    empty = spark.createDataFrame([], tables.table(tables.ANOMALIES).schema)
    if not wanted.enabled:
        return Assessment(None, empty, {"authenticity": "off"})
    if n_edges > settings.driver_max_edges:
        return Assessment(None, empty, {"authenticity": (
            f"skipped: {n_edges:,} edges > driver_max_edges {settings.driver_max_edges:,} (the detectors run on "
            "the driver)")})
    seconds: dict[str, float] = {}
    with timed(seconds, "authenticity_to_driver"):
        graph, engagement, pagerank, events = _to_driver(edges, metrics, window, as_of, window_days, wanted)
    with timed(seconds, "authenticity_detect"):
        groups = detect(engagement, events, wanted)
    with timed(seconds, "authenticity_pagerank"):
        pr = settings.pagerank
        discount = discounted(graph, groups, pagerank, damping=pr.damping, tolerance=pr.tolerance,
                              max_iterations=pr.max_iterations)

    ids = group_ids(groups)
    per_user = pd.DataFrame({
        "user_id": graph.ids,
        "suspicious_share": discount.suspicious_share,
        "authentic_pagerank": discount.authentic_pagerank,
        "suspicious_reason": [None if g < 0 else lifted_reason(share, ids[g], groups[g])
                              for share, g in zip(discount.suspicious_share, discount.lifted_by)],
    })
    anomalies = anomaly_rows(groups, ids, graph.ids, as_of=as_of, run_id=run_id)
    counts = {detector: sum(g.detector == detector for g in groups) for detector in DETECTORS}
    figures = {"authenticity": "on", "anomaly_groups": counts,
               "flagged_accounts": int(sum(len(g.members) for g in groups))}
    return Assessment(spark.createDataFrame(per_user, PER_USER),
                      spark.createDataFrame(anomalies, tables.table(tables.ANOMALIES).schema) if anomalies else empty,
                      figures, seconds)


def _to_driver(edges: DataFrame, metrics: DataFrame, window: DataFrame, as_of: date, window_days: int,
               wanted: AuthenticitySettings) -> tuple[EdgeList, Engagement, np.ndarray, Events]:
    """The detectors' inputs: the edges with their counts and times, the engine's PageRank
    and communities per node, and the interactions of the busy cells (``lockstep_events``)."""
    first_day, _ = window_bounds(as_of, window_days)
    window_start, window_end = _unix(first_day), _unix(as_of + timedelta(days=1))
    pairs = edges.select("src", "dst", "weight", "interactions", "reciprocal", F.unix_seconds("first_at").alias("first"),
                         F.unix_seconds("last_at").alias("last")).toPandas()
    graph = EdgeList.from_frame(pairs)
    users = metrics.select("user_id", "pagerank", "community_id").toPandas()
    node = np.searchsorted(graph.ids, users["user_id"].to_numpy().astype(str))
    pagerank, community = np.zeros(graph.n), np.zeros(graph.n, dtype=np.int64)
    pagerank[node] = users["pagerank"].to_numpy()
    community[node] = pd.factorize(users["community_id"])[0]
    engagement = Engagement(graph, pairs["interactions"].to_numpy(np.int64), pairs["reciprocal"].to_numpy(bool),
                            pairs["first"].to_numpy(np.int64), pairs["last"].to_numpy(np.int64), community,
                            window_start, window_end)
    busy = lockstep_events(window, window_start=window_start, bucket_seconds=wanted.lockstep.bucket_seconds,
                           min_accounts=wanted.prefilter_accounts).toPandas()
    events = Events(np.searchsorted(graph.ids, busy["actor_id"].to_numpy().astype(str)),
                    np.searchsorted(graph.ids, busy["target_id"].to_numpy().astype(str)),
                    busy["seconds"].to_numpy(np.int64))
    return graph, engagement, pagerank, events



def group_ids(groups: list[SuspiciousGroup]) -> list[str]:
    """``<detector>-<n>``, n from 1 in each detector's order (``detect`` lists them so)."""
    seen: dict[str, int] = {}
    ids = []
    for group in groups:
        seen[group.detector] = seen.get(group.detector, 0) + 1
        ids.append(f"{group.detector}-{seen[group.detector]}")
    return ids


_DETECTOR_NAMES = {"dense_block": "dense block", "lockstep": "lockstep burst", "ring": "reciprocal ring"}


def lifted_reason(share: float, group_id: str, group: SuspiciousGroup) -> str:
    """Which detector and group lifted a user, and by how much, in words."""
    return (f"{share:.0%} of the engagement received came from flagged accounts, most from {group_id} "
            f"({_DETECTOR_NAMES[group.detector]} of {len(group.members):,} accounts, "
            f"{group.score:.1f}x organic)")


def anomaly_rows(groups: list[SuspiciousGroup], ids: list[str], user_ids: np.ndarray, *, as_of: date,
                 run_id: str) -> list[tuple]:
    """The ``gold/engagement_anomalies`` rows of the groups, in the contract's column order."""
    at = lambda seconds: datetime.fromtimestamp(seconds, tz=timezone.utc)  # noqa: E731
    return [(as_of, group_id, g.detector, user_ids[list(g.members)].tolist(), user_ids[list(g.targets)].tolist(),
             g.density, g.synchrony, int(g.interactions), at(g.window_start), at(g.window_end), float(g.score),
             g.reason, run_id)
            for group_id, g in zip(ids, groups)]
