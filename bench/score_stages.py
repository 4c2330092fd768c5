"""A score's fixed costs on a small sample, stage by stage, in one Spark session.

    .venv/bin/python -m bench.score_stages [--scores 3] [--conf KEY=VALUE ...]

Generates the 60-user, 10-day sample, ingests it, then scores the same date ``--scores``
times in the same session and reports each score's seconds per stage (the CLI's progress
steps), Spark jobs per stage and the driver's round trips into the JVM (py4j calls). It
then times one audit of each candidate table two ways: the verdict (one GX query, what a
score runs) and the contract suite expectation by expectation (what only a failed verdict
runs). ``--conf`` passes Spark settings to the session, e.g.
``spark.sql.codegen.cache.maxEntries=100`` for Spark's default code cache.
Figures go to ``bench/results/score_stages.json``; the machine is shared, so compare runs
made side by side.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

END = date(2026, 6, 30)


def run(scores: int, conf: dict[str, str], work: Path) -> dict:
    from influence import generate, quality, tables
    from influence.config import load_config
    from influence.pipelines import ingest, score
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]", "shuffle_partitions": 2, "ui": False,
                                                "conf": conf}})
    spark = get_spark(settings)
    tracker = spark.sparkContext.statusTracker()
    export = generate.write_export(work / "export", users=60, days=10, end=END, seed=5)
    lake = work / "lake"
    started = time.perf_counter()
    ingest.run(spark, settings, lake, [export])
    result = {"ingest_s": round(time.perf_counter() - started, 2), "scores": []}
    round_trips = _count_round_trips()
    for _ in range(scores):
        stages: dict[str, dict] = {}

        @contextmanager
        def step(name: str):
            jobs, began = len(tracker.getJobIdsForGroup(None)), time.perf_counter()
            yield
            stages[name.split(" (")[0]] = {"s": round(time.perf_counter() - began, 2),
                                           "jobs": len(tracker.getJobIdsForGroup(None)) - jobs}

        began, trips = time.perf_counter(), round_trips[0]
        score.run(spark, settings, lake, as_of=END, step=step)
        result["scores"].append({"total_s": round(time.perf_counter() - began, 2),
                                 "jvm_round_trips": round_trips[0] - trips, "stages": stages})
    audits = {}
    for name in (tables.EDGES, tables.SCORES, tables.SEGMENTS):
        rows = spark.read.format("delta").load(str(lake / name)).localCheckpoint()
        timed = {}
        for kind in ("verdict", "contract"):
            quality._validation(name, kind).run(batch_parameters={"dataframe": rows}, result_format="BOOLEAN_ONLY")
            began = time.perf_counter()
            quality._validation(name, kind).run(batch_parameters={"dataframe": rows}, result_format="BOOLEAN_ONLY")
            timed[f"{kind}_s"] = round(time.perf_counter() - began, 2)
        audits[name] = {**timed, "expectations": len(quality.expectations_for(tables.table(name)))}
    result["audit_per_table"] = audits
    spark.stop()
    return result


def _count_round_trips() -> list[int]:
    """A one-item counter of the driver's py4j calls into the JVM, from now on."""
    from py4j.clientserver import ClientServerConnection

    count, send = [0], ClientServerConnection.send_command

    def counted(self, command):
        count[0] += 1
        return send(self, command)

    ClientServerConnection.send_command = counted
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=3)
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=Path("bench/results/score_stages.json"))
    args = parser.parse_args(argv)
    conf = dict(item.split("=", 1) for item in args.conf)

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-stages-") as tmp:
        result = run(args.scores, conf, Path(tmp))
    publish({**result, "conf": conf}, args.out, "bench.score_stages", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
