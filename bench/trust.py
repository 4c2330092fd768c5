"""What a marketer reads on a large sparse export without audience sizes, checked.

    .venv/bin/python -m bench.trust [--users 300000] [--days 5] [--out bench/results/trust-300k.json]

Generates ``--users`` users over ``--days`` days (the project's generator: heavy-tailed
activity and attractiveness) as a snap export, which carries no follower counts, as the
half-million-interaction public export of the trust issue did not; ingests it and runs
``score`` at the default settings (local[2]) in one process. From the published rows it
checks what that export got wrong:

- the score separates the top: the top 10 distinct at one decimal (as the console and the
  report show them), and #1 and #100 at least 5 points apart;
- mass influencers are at most ``roles.max_mass_share`` of active users, or not labelled
  with the reason in the summary;
- where the audiences came from (``audience_sources``);
- betweenness: whether the top is resolved (each of the top 100 with a bound below half its
  own estimate, the top 20 below half the 20th-largest) and SPEC's top-100 sense, with the
  largest and median bounds against the largest estimate;
- awareness rows whose confidence comes from a betweenness bound that clears its threshold,
  against those carried by participation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

END = date(2026, 6, 30)


def betweenness_resolution(estimate, error) -> dict:
    """The trust issue's "resolved" (top 100 each within half its own estimate, top 20 within
    half the 20th-largest) and SPEC's top-100 sense, from per-user estimates and bounds."""
    import numpy as np

    from influence.graph.betweenness import resolution

    order = np.argsort(-estimate, kind="stable")
    top100, top20 = order[:100], order[:20]
    senses = resolution(estimate, error)
    return {
        "top_resolved": senses["top_resolved"],
        "top100_strict_resolved": senses["top100_resolved"],
        "largest_estimate": float(estimate[order[0]]),
        "estimate_20th": float(estimate[top20[-1]]),
        "estimate_100th": float(estimate[top100[-1]]),
        "largest_error": float(error.max()),
        "median_error_top100": float(np.median(error[top100])),
    }


def run(users: int, days: int, work: Path) -> dict:
    from pyspark.sql import functions as F

    from influence import generate, tables
    from influence.config import load_config
    from influence.pipelines import ingest, score
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]"}})
    spark = get_spark(settings)
    began = time.perf_counter()
    export = generate.write_export(work / "export", users=users, days=days, end=END, seed=13, fmt="snap")
    lake = work / "lake"
    ingest.run(spark, settings, lake, [export], profile="snap")
    ingested = time.perf_counter()
    report = score.run(spark, settings, lake, as_of=END)
    scored = time.perf_counter()

    gold = (spark.read.format("delta").load(str(lake / tables.SCORES))
            .select("user_id", "rank", "influence_score", "betweenness", "betweenness_error", "posts").toPandas()
            .sort_values("rank"))
    segments = spark.read.format("delta").load(str(lake / tables.SEGMENTS)).where(
        (F.col("scope") == "global") & (F.col("change") != "exited"))
    awareness = segments.where(F.col("segment") == "awareness").select("confidence", "reason").toPandas()
    mass = segments.where(F.col("segment").isin("mass_connector", "mass_maven")).count()
    broadcasters = segments.where(F.col("segment") == "social_broadcaster").count()
    spark.stop()

    shown = gold["influence_score"].round(1).to_numpy()
    active = int((gold["posts"] > 0).sum())
    summary = report.summary
    led_by_betweenness = awareness["reason"].str.startswith("betweenness")
    result = {
        "users": report.users, "edges": report.edges, "interactions": report.interactions,
        "ingest_s": round(ingested - began, 1), "score_s": round(scored - ingested, 1),
        "engine": report.engine, "betweenness_method": summary["betweenness_method"],
        "path_samples": summary["path_samples"],
        "score": {"top10": shown[:10].tolist(), "top10_distinct": len(set(shown[:10])) == 10,
                  "first_minus_100th": round(float(shown[0] - shown[99]), 1)},
        "mass": {"labelled": summary["mass_roles_labelled"], "reason": summary["mass_roles_reason"],
                 "mass_influencers": mass, "social_broadcasters": broadcasters, "active_users": active,
                 "share_of_active": mass / active if active else None,
                 "impressions_top_share_80": summary["impressions_top_share_80"]},
        "audience_sources": summary["audience_sources"],
        "betweenness": {**betweenness_resolution(gold["betweenness"].to_numpy(), gold["betweenness_error"].to_numpy()),
                        "summary_top100_resolved": summary["betweenness_top100_resolved"],
                        **{key: summary.get(f"betweenness_{key}") for key in (
                            "estimator", "pairs", "stop", "top_resolved", "top_error_ratio", "pairs_for_top100")}},
        "awareness": {"rows": len(awareness), "led_by_betweenness": int(led_by_betweenness.sum()),
                      "led_by_betweenness_with_confidence": int((led_by_betweenness & (awareness["confidence"] > 0)).sum()),
                      "confidence_1": int((awareness["confidence"] == 1).sum())},
    }
    result["checks"] = {
        "top10_distinct_at_one_decimal": result["score"]["top10_distinct"],
        "first_and_100th_5_points_apart": result["score"]["first_minus_100th"] >= 5,
        "mass_at_most_max_share_or_not_labelled": (not summary["mass_roles_labelled"] and mass == 0
                                                   and broadcasters == 0) or mass <= settings.roles.max_mass_share * active,
        "betweenness_top_resolved": result["betweenness"]["top_resolved"],
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/trust-300k.json"))
    args = parser.parse_args(argv)

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-trust-") as tmp:
        result = run(args.users, args.days, Path(tmp))
    publish(result, args.out, "bench.trust", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
