"""Engagement authenticity through the pipeline: injected abuse found by its detector, what it
lifted discounted, and an influencer lifted only by a pod out of the shortlist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence import generate, tables
from influence.pipelines import ingest, score
from tests.lakes import stable_rows

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

OWN_KIND = {"dense_block": "pod", "lockstep": "burst", "ring": "ring"}


def _scored(spark, settings, root: Path, export: Path) -> Path:
    lake = root / "lake"
    ingest.run(spark, settings, lake, [export])
    score.run(spark, settings, lake)
    return lake


def _rows(spark, lake: Path, name: str) -> pd.DataFrame:
    return stable_rows(spark, lake, name).toPandas()


@pytest.fixture(scope="module")
def injected(spark, settings, tmp_path_factory):
    """2,000 generated users over 45 days with a pod, a ring and a burst injected, scored."""
    root = tmp_path_factory.mktemp("injected")
    export = generate.write_export(root / "export", users=2_000, days=45, fmt="snap", inject="pods,rings,bursts")
    truth = pd.read_csv(export.with_name(export.name.removesuffix(".txt") + ".truth.csv"))
    return _scored(spark, settings, root, export), truth


def test_each_detector_finds_its_injected_kind_and_nothing_else(spark, injected):
    lake, truth = injected
    anomalies = _rows(spark, lake, tables.ANOMALIES)
    assert sorted(anomalies["detector"]) == ["dense_block", "lockstep", "ring"]
    listed = [account for members in anomalies["members"] for account in members]
    assert len(listed) == len(set(listed)), "an account is in one group at most"
    for detector, groups in anomalies.groupby("detector"):
        flagged = {account for members in groups["members"] for account in members}
        own = set(truth.loc[truth["kind"] == OWN_KIND[detector], "account"])
        precision, recall = len(flagged & own) / len(flagged), len(flagged & own) / len(own)
        assert precision >= 0.9 and recall >= 0.9, (detector, precision, recall)
    burst = anomalies[anomalies["detector"] == "lockstep"].iloc[0]
    assert set(burst["targets"]) == set(truth.loc[truth["kind"] == "target", "account"])
    assert (burst["synchrony"] > 0.5 and np.isnan(burst["density"]) and burst["window_end"] > burst["window_start"]
            and "in lockstep" in burst["reason"])


def test_sparks_lockstep_filter_keeps_every_interaction_the_detectors_read(spark, settings, injected):
    """The filter hands the driver a superset of the interactions in busy cells: the exact
    filter (numpy, over every interaction) keeps no interaction it drops, and the detectors
    find the same groups from either."""
    from datetime import timedelta

    from influence.graph.authenticity import Events, detect, lockstep_candidates
    from influence.pipelines import authenticity
    from influence.transforms.edges import in_window

    lake, _ = injected
    summary = _rows(spark, lake, tables.NETWORK_SUMMARY).iloc[0]
    as_of, days = summary["as_of_date"], int(summary["window_days"])
    window = in_window(spark.read.format("delta").load(str(lake / tables.INTERACTIONS)), as_of, days)
    edges = spark.read.format("delta").load(str(lake / tables.EDGES))
    metrics = spark.read.format("delta").load(str(lake / tables.SCORES)).select("user_id", "pagerank", "community_id")
    graph, engagement, _, filtered = authenticity._to_driver(edges, metrics, window, as_of, days,
                                                             settings.authenticity)
    every = window.select("actor_id", "target_id", "occurred_at").toPandas()
    start = authenticity._unix(as_of - timedelta(days=days - 1))
    everything = Events(np.searchsorted(graph.ids, every["actor_id"].to_numpy().astype(str)),
                        np.searchsorted(graph.ids, every["target_id"].to_numpy().astype(str)),
                        every["occurred_at"].astype("int64").to_numpy() // 10**9)
    exact = lockstep_candidates(everything, start, settings.authenticity, graph.n)
    kept = set(zip(filtered.actor.tolist(), filtered.target.tolist(), filtered.seconds.tolist()))
    assert set(zip(exact.actor.tolist(), exact.target.tolist(), exact.seconds.tolist())) <= kept
    assert len(filtered.actor) < 0.5 * len(everything.actor)
    assert detect(engagement, filtered, settings.authenticity) == detect(engagement, exact, settings.authenticity)


def test_the_lifted_accounts_carry_the_flagged_share_and_lose_their_lift(spark, injected):
    lake, truth = injected
    scores = _rows(spark, lake, tables.SCORES).set_index("user_id")
    (target,) = truth.loc[truth["kind"] == "target", "account"]
    lifted = scores.loc[target]
    assert lifted["suspicious_share"] > 0.5 and "lockstep-1" in lifted["suspicious_reason"]
    assert lifted["authentic_pagerank"] < lifted["pagerank"] / 2
    assert "from flagged accounts" in lifted["explanation"]
    organic = scores[scores["suspicious_share"] == 0]
    assert organic["suspicious_reason"].isna().all() and len(organic) > 0.9 * len(scores)
    assert np.isclose(scores["authentic_pagerank"].sum(), 1.0)

    summary = _rows(spark, lake, tables.NETWORK_SUMMARY).iloc[0]
    assert summary["authenticity"] == "on" and summary["authentic_scores"]
    assert dict(summary["anomaly_groups"]) == {"dense_block": 1, "lockstep": 1, "ring": 1}
    assert summary["flagged_accounts"] == (truth["kind"] != "target").sum()
    assert 0 < summary["users_moved"] <= summary["users"] and summary["rank_shift_max"] >= summary["rank_shift_median"]


def _pod_on_one_creator(first_second: int, days: int, members: int, rounds: int) -> list[str]:
    """Snap lines of a pod: in each round one member posts and the others reply within the
    hour, ``x-creator`` posts (a reply to the first member) and every member comments on it within
    the hour; nobody else engages ``x-creator``."""
    rng = np.random.default_rng(3)
    pod = [f"pod{i:02d}" for i in range(1, members + 1)]
    lines = []
    for r in range(rounds):
        at = first_second + int((r + 0.5) * days * 86_400 / rounds)
        lines.append(f"x-creator {pod[0]} {at} reply\n")
        for member in pod:
            lines.append(f"{member} x-creator {at + int(rng.integers(60, 3_600))} comment\n")
            if member != pod[r % members]:
                lines.append(f"{member} {pod[r % members]} {at + int(rng.integers(60, 3_600))} reply\n")
    return lines


def test_an_influencer_lifted_only_by_a_pod_falls_out_of_the_shortlist(spark, settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("pod")
    export = generate.write_export(root / "export", users=1_000, days=30, fmt="snap")
    first_day = (generate.DEFAULT_END - pd.Timedelta(days=29)).isoformat()
    export.write_text(export.read_text() + "".join(_pod_on_one_creator(
        int(pd.Timestamp(first_day, tz="UTC").timestamp()), 30, members=30, rounds=120)))
    # A thousand users have about fifteen conversion influencers: a shortlist of 24 (12 of them)
    # makes its conversion side a choice, as a market's shortlist of 50 is.
    lake = _scored(spark, settings.model_copy(update={"lists": settings.lists.model_copy(update={"shortlist": 24})}),
                   root, export)

    (pod,) = _rows(spark, lake, tables.ANOMALIES).itertuples()
    assert pod.detector == "dense_block" and "x-creator" in pod.targets and "x-creator" not in pod.members
    segments = _rows(spark, lake, tables.SEGMENTS)
    global_shortlist = segments[(segments["scope"] == "global") & (segments["segment"] == "shortlist")]
    creator = global_shortlist[global_shortlist["user_id"] == "x-creator"]
    assert creator["change"].tolist() == ["exited"]
    (reason,) = creator["reason"]
    assert reason.startswith("exited: pushed out once flagged engagement is discounted (place ")
    assert "from flagged accounts, most from dense_block-1 (dense block of 30 accounts" in reason
    assert len(global_shortlist[global_shortlist["change"] != "exited"]) == 24
