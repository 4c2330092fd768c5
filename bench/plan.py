"""Campaign planning: unique reach of the plan against the top k, and the time to plan.

    .venv/bin/python -m bench.plan [--users 30000] [--repeats 3] [--ks 10,50,100] [--out bench/results/plan.json]

In one Spark session (local[2], the default config otherwise): ingests and scores CollegeMsg
(``../shared/data/collegemsg``, the whole export: window 200 days up to 2004-10-27) and the
generator's graph of ``--users`` users over 90 days (30,000: about 1M interactions, the
``1m`` scale of ``bench.run``), then plans on each. For every plan it records the unique
reach of the kept plan and of the top k by influence_score and by PageRank. On the
generated graph it times ``plan.run`` for each k, ``--repeats`` times, the ks interleaved:
the whole command in the session (reading the date's rows, planning, audit, the two Delta
writes) and the planning alone (greedy, the two top-k plans and the shortlist's overlap).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

COLLEGEMSG = Path(__file__).resolve().parents[2] / "shared" / "data" / "collegemsg" / "CollegeMsg.txt.gz"
COLLEGEMSG_AS_OF = date(2004, 10, 27)
GENERATED_END = date(2026, 6, 30)


def _plan(spark, settings, lake: Path, as_of: date, k: int, reach: int, sizing: str = "auto") -> dict:
    from influence.config import PlanSettings
    from influence.pipelines import plan

    sized = settings.model_copy(update={"plan": PlanSettings(sizing=sizing)})
    began = time.perf_counter()
    report = plan.run(spark, sized, lake, plan.request(sized, k=k, reach=reach), as_of)
    greedy, by_score, by_pagerank = (report.method_reach[m] for m in ("greedy", "top_score", "top_pagerank"))
    return {"k": k, "reach_hops": reach, "sizing": report.sizing, "method": report.method,
            "candidates": report.candidates, "reach": report.reach, "top_score_reach": by_score,
            "top_pagerank_reach": by_pagerank, "greedy_reach": greedy,
            "more_than_top_score": report.reach - by_score, "more_than_top_pagerank": report.reach - by_pagerank,
            "optimum_upper_bound": report.optimum_upper_bound, "command_s": round(time.perf_counter() - began, 2),
            "plan_s": report.plan_seconds}


def run(users: int, repeats: int, ks: list[int], work: Path) -> dict:
    from influence import generate
    from influence.config import load_config
    from influence.pipelines import ingest, score
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]"}})
    spark = get_spark(settings)
    result: dict = {"collegemsg": [], "generated": {"users": users, "plans": [], "runs": []}}
    if COLLEGEMSG.is_file():
        lake = work / "collegemsg"
        ingest.run(spark, settings, lake, [COLLEGEMSG], profile="snap")
        score.run(spark, settings, lake, as_of=COLLEGEMSG_AS_OF, window_days=200)
        for reach in (1, 2):
            result["collegemsg"].append(_plan(spark, settings, lake, COLLEGEMSG_AS_OF, 10, reach))
        result["collegemsg"].append(_plan(spark, settings, lake, COLLEGEMSG_AS_OF, 10, 1, "sketch"))
    export = generate.write_export(work / "export", users=users, days=90, end=GENERATED_END, seed=11, fmt="snap")
    lake = work / "generated"
    ingest.run(spark, settings, lake, [export], profile="snap")
    scored = score.run(spark, settings, lake, as_of=GENERATED_END)
    result["generated"].update(edges=scored.edges, interactions=scored.interactions, scored_users=scored.users)
    for reach, sizing in ((1, "auto"), (2, "auto"), (1, "sketch")):
        result["generated"]["plans"].append(_plan(spark, settings, lake, GENERATED_END, 10, reach, sizing))
    for _ in range(repeats):
        for k in ks:
            result["generated"]["runs"].append(_plan(spark, settings, lake, GENERATED_END, k, 1))
    result["generated"]["medians"] = {
        k: {figure: statistics.median(r[figure] for r in result["generated"]["runs"] if r["k"] == k)
            for figure in ("command_s", "plan_s")} for k in ks}
    spark.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ks", default="10,50,100")
    parser.add_argument("--out", type=Path, default=Path("bench/results/plan.json"))
    args = parser.parse_args(argv)

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-plan-") as tmp:
        result = run(args.users, args.repeats, [int(k) for k in args.ks.split(",")], Path(tmp))
    publish(result, args.out, "bench.plan", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
