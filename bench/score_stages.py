"""A score's fixed costs on a small sample, stage by stage, in one Spark session.

    .venv/bin/python -m bench.score_stages [--scores 3] [--conf KEY=VALUE ...]

Generates the 60-user, 10-day sample, ingests it, then scores the same date ``--scores``
times in the same session and reports each score's seconds per stage (the CLI's progress
steps), Spark jobs per stage, the driver JVM's CPU seconds (with local executors', steadier
than wall time on a shared machine), the Python driver's, and its round trips into the JVM
(py4j calls). It then times one audit of each candidate table two ways: the verdict (one GX
query, what a score runs) and the contract suite expectation by expectation (what only a
failed verdict runs). ``--conf`` passes Spark settings to the session, e.g.
``spark.sql.codegen.cache.maxEntries=100`` for Spark's default code cache. ``--alternate
KEY=A,B`` compares two values of a runtime SQL setting side by side in the one session:
after two warm-up scores, ``--scores`` rounds score once with each value (A B, B A, ...),
and the medians are reported.
Figures go to ``bench/results/score_stages.json``; the machine is shared, so compare runs
made side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

END = date(2026, 6, 30)
# Scores that warm the session up before an alternation is measured (the first is about
# twice as slow as the third).
WARM_UP = 2


def run(scores: int, conf: dict[str, str], work: Path, alternate: tuple[str, list[str]] | None = None) -> dict:
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
    settings_per_score = _alternation(scores, alternate)
    for setting in settings_per_score:
        if setting is not None:
            spark.conf.set(alternate[0], setting)
        stages: dict[str, dict] = {}

        @contextmanager
        def step(name: str):
            jobs, began = _jobs_so_far(tracker, round_trips), time.perf_counter()
            yield
            stages[name.split(" (")[0]] = {"s": round(time.perf_counter() - began, 2),
                                           "jobs": _jobs_so_far(tracker, round_trips) - jobs}

        began, cpu, python_cpu, trips = time.perf_counter(), _jvm_cpu_seconds(spark), time.process_time(), round_trips[0]
        score.run(spark, settings, lake, as_of=END, step=step)
        result["scores"].append({"total_s": round(time.perf_counter() - began, 2),
                                 "jvm_cpu_s": round(_jvm_cpu_seconds(spark) - cpu, 2),
                                 "python_cpu_s": round(time.process_time() - python_cpu, 2),
                                 "jvm_round_trips": round_trips[0] - trips, "stages": stages,
                                 **({"setting": f"{alternate[0]}={setting}"} if setting is not None else {})})
    if alternate:
        measured = result["scores"][WARM_UP:]
        result["alternate_medians"] = {
            value: {figure: statistics.median(s[figure] for s in measured if s["setting"].endswith(f"={value}"))
                    for figure in ("total_s", "jvm_cpu_s", "python_cpu_s")}
            for value in alternate[1]}
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


def _alternation(scores: int, alternate: tuple[str, list[str]] | None) -> list[str | None]:
    """Each score's value of the alternated setting: WARM_UP scores with the first value, then
    rounds of both values, the order reversed every other round (A B B A ...)."""
    if not alternate:
        return [None] * scores
    first, second = alternate[1]
    rounds = [(first, second) if r % 2 == 0 else (second, first) for r in range(scores)]
    return [first] * WARM_UP + [value for pair in rounds for value in pair]


def _count_round_trips() -> list[int]:
    """A counter of the driver's py4j calls into the JVM, from now on: ``[calls, paused]``."""
    from py4j.clientserver import ClientServerConnection

    count, send = [0, False], ClientServerConnection.send_command

    def counted(self, command):
        if not count[1]:
            count[0] += 1
        return send(self, command)

    ClientServerConnection.send_command = counted
    return count


def _jobs_so_far(tracker, round_trips: list) -> int:
    """Spark jobs started so far, without counting the harness's own calls: PySpark's status
    tracker fetches the job ids one round trip each, and they grow with every score."""
    round_trips[1] = True
    try:  # the tracker keeps the latest spark.ui.retainedJobs jobs, so count from the highest id
        return max(tracker.getJobIdsForGroup(None), default=-1) + 1
    finally:
        round_trips[1] = False


def _jvm_cpu_seconds(spark) -> float:
    """CPU time the driver's JVM has used so far (in local mode its executors' too): steadier
    than wall time on a shared machine."""
    return spark._jvm.java.lang.ProcessHandle.current().info().totalCpuDuration().get().toNanos() / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=3)
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--alternate", metavar="KEY=A,B",
                        help="a runtime Spark SQL setting alternated between two values: two warm-up "
                             "scores, then --scores rounds of both values (A B, B A, ...), medians compared")
    parser.add_argument("--out", type=Path, default=Path("bench/results/score_stages.json"))
    args = parser.parse_args(argv)
    conf = dict(item.split("=", 1) for item in args.conf)
    alternate = None
    if args.alternate:
        key, _, values = args.alternate.partition("=")
        alternate = (key, values.split(","))
        if not key or len(alternate[1]) != 2:
            parser.error(f"--alternate takes KEY=A,B (two values), not {args.alternate!r}")

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-stages-") as tmp:
        result = run(args.scores, conf, Path(tmp), alternate)
    publish({**result, "conf": conf}, args.out, "bench.score_stages", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
