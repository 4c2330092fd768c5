"""The graphframes engine's benchmarks: PageRank and communities against GraphFrames'
built-ins, and the engine's time and driver memory against the size of the graph.

    .venv/bin/python -m bench.graphframes baselines [--users 30000] [--repeats 3] [--iterations 20]
    .venv/bin/python -m bench.graphframes scale [--scales 1m,5m,10m] [--samples 256]

``baselines``, in one Spark session (local[2], the default config otherwise), on CollegeMsg
(``../shared/data/collegemsg``, window 200 days up to 2004-10-27) and the generator's graph
of ``--users`` users over 90 days, each scored once by the product so that ``silver/edges``
is the graph: per round, the engine's weighted PageRank and GraphFrames' ``pageRank``
(unweighted) for ``--iterations`` iterations each, then GraphFrames' ``labelPropagation``
(5 iterations) and the engine's Louvain, with the modularity of both partitions. Rounds
repeat the four side by side; medians and ratios are of one run.

``scale``: per scale (``1m``, ``5m``, ``10m``: 30,000, 150,000 or 300,000 users over 90 days,
about 1, 5 and 10 million interactions, or ``u<N>``): generate and ingest in one process,
then ``score`` with ``--engine graphframes`` and with ``--engine networkit``, each in a fresh
process of its own, sampling forced at ``--samples`` sources (``paths.exact_max_work: 0``).
It records both engines' graph-stage times (the summary's ``metrics_*`` stages), the
betweenness cost per source, and each scoring process's own peak RSS (``VmHWM``: the Python
driver's alone, since nothing else ran in it; the JVM, which hosts the executors in local
mode, is another process). The parent fits the log-log slope of the
graphframes engine's time against edges.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

COLLEGEMSG = Path(__file__).resolve().parents[2] / "shared" / "data" / "collegemsg" / "CollegeMsg.txt.gz"
COLLEGEMSG_AS_OF = date(2004, 10, 27)
GENERATED_END = date(2026, 6, 30)
SCALES = {"1m": 30_000, "5m": 150_000, "10m": 300_000}


def _users(scale: str) -> int:
    return int(scale[1:]) if scale.startswith("u") else SCALES[scale]


def _scored_edges(spark, settings, lake: Path, inputs: list[Path], as_of: date, window_days: int):
    from influence import tables
    from influence.pipelines import ingest, score

    ingest.run(spark, settings, lake, inputs, profile="snap")
    score.run(spark, settings, lake, as_of=as_of, window_days=window_days, engine="networkit")
    return spark.read.format("delta").load(str(lake / tables.EDGES)).select("src", "dst", "weight")


def _pagerank_seconds_per_iteration(numbered, vertices, iterations: int) -> float:
    from influence.graph.frames.pagerank import weighted_pagerank
    from influence.graph.pagerank import NotConverged

    began = time.perf_counter()
    try:  # a tolerance of 0 is never met: exactly `iterations` iterations
        weighted_pagerank(numbered, vertices, tolerance=0.0, max_iterations=iterations)
    except NotConverged:
        pass
    return (time.perf_counter() - began) / iterations


def baselines(users: int, repeats: int, iterations: int, work: Path) -> dict:
    from graphframes import GraphFrame
    from pyspark.sql import functions as F

    from influence import generate
    from influence.config import load_config
    from influence.graph.frames.communities import louvain, modularity
    from influence.graph.frames.cores import number_users
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]"}})
    spark = get_spark(settings)
    graphs = []
    if COLLEGEMSG.is_file():
        graphs.append(("collegemsg", _scored_edges(spark, settings, work / "collegemsg", [COLLEGEMSG],
                                                    COLLEGEMSG_AS_OF, 200)))
    export = generate.write_export(work / "export", users=users, days=90, end=GENERATED_END, seed=11, fmt="snap")
    graphs.append((f"generated_{users}", _scored_edges(spark, settings, work / "generated", [export],
                                                         GENERATED_END, 90)))
    result: dict = {"iterations": iterations, "repeats": repeats}
    for name, edges in graphs:
        _, numbered = number_users(edges)
        numbered = numbered.cache()
        vertices = (numbered.select(F.col("src").alias("id")).union(numbered.select(F.col("dst").alias("id")))
                    .distinct().cache())
        figures: dict = {"users": vertices.count(), "edges": numbered.count(), "rounds": []}
        builtin_graph = GraphFrame(vertices, numbered.select("src", "dst"))
        for _ in range(repeats):
            round_: dict = {"engine_pagerank_s_per_iteration": _pagerank_seconds_per_iteration(
                numbered, vertices, iterations)}
            began = time.perf_counter()
            builtin_graph.pageRank(resetProbability=0.15, maxIter=iterations).vertices.count()
            round_["builtin_pagerank_s_per_iteration"] = (time.perf_counter() - began) / iterations
            began = time.perf_counter()
            labels = builtin_graph.labelPropagation(maxIter=5).select("id", F.col("label").alias("community"))
            labels = labels.localCheckpoint(eager=True)
            round_["label_propagation_s"] = time.perf_counter() - began
            round_["label_propagation_modularity"] = modularity(numbered, labels)
            sizes = labels.groupBy("community").count()
            round_["label_propagation_communities"], round_["label_propagation_largest"] = (
                sizes.agg(F.count(F.lit(1)), F.max("count")).first())
            began = time.perf_counter()
            found = louvain(numbered, vertices)
            round_["louvain_s"] = time.perf_counter() - began
            round_.update(louvain_modularity=found.modularity, louvain_communities=found.count,
                          louvain_largest=found.membership.groupBy("community").count().agg(F.max("count")).first()[0],
                          louvain_levels=found.levels, louvain_rounds=found.rounds)
            figures["rounds"].append(round_)
            print(json.dumps({name: round_}), flush=True)
        medians = {key: statistics.median(r[key] for r in figures["rounds"]) for key in figures["rounds"][0]}
        medians["pagerank_ratio_engine_to_builtin"] = (medians["engine_pagerank_s_per_iteration"]
                                                       / medians["builtin_pagerank_s_per_iteration"])
        figures["medians"] = medians
        result[name] = figures
    spark.stop()
    return result


def prepare(users: int, work: Path) -> dict:
    """Generate ``users`` users' export and ingest it into ``work / "lake"``, in this process."""
    from influence import generate
    from influence.config import load_config
    from influence.pipelines import ingest
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]"}})
    spark = get_spark(settings)
    began = time.perf_counter()
    export = generate.write_export(work / "export", users=users, days=90, end=GENERATED_END, seed=11, fmt="snap")
    generated = time.perf_counter()
    ingest.run(spark, settings, work / "lake", [export], profile="snap")
    spark.stop()
    return {"users_generated": users, "generate_s": round(generated - began, 1),
            "ingest_s": round(time.perf_counter() - generated, 1)}


def score_once(engine: str, samples: int, work: Path) -> dict:
    """``score`` of the lake at ``work / "lake"`` with ``engine``, in a process that does nothing else."""
    from influence import tables
    from influence.config import load_config
    from influence.pipelines import score
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]"},
                                      "paths": {"exact_max_work": 0, "samples": samples}})
    spark = get_spark(settings)
    lake = work / "lake"
    began = time.perf_counter()
    report = score.run(spark, settings, lake, as_of=GENERATED_END, engine=engine)
    wall = time.perf_counter() - began
    row = (spark.read.format("delta").load(str(lake / tables.NETWORK_SUMMARY))
           .where(f"as_of_date = '{GENERATED_END}'").first().asDict(recursive=True))
    spark.stop()
    stages = {k: v for k, v in row["stage_seconds"].items() if k.startswith("metrics_")}
    figures = {"users": report.users, "edges": report.edges, "interactions": report.interactions,
               "score_s": round(wall, 1), "graph_stage_s": round(sum(stages.values()), 1), "stages": stages,
               "path_sources": row["path_sources"], "modularity": row["modularity"],
               "python_peak_rss_mib": _peak_rss_mib()}
    figures["paths_s_per_source"] = stages.get("metrics_paths", 0.0) / max(1, row["path_sources"])
    return figures


def _in_subprocess(*args: str) -> dict:
    """``python -m bench.graphframes ARGS`` in a fresh process; its last JSON line, or why it failed."""
    done = subprocess.run([sys.executable, "-m", "bench.graphframes", *args], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    return {"failed": (done.stderr.strip().splitlines() or ["no output"])[-1][:500]}


def one_scale(users: int, samples: int, work: Path) -> dict:
    """One scale: generate and ingest in one process, then each engine's ``score`` in its own
    (graphframes first), so that the Python peak RSS is the scoring's alone."""
    out = _in_subprocess("prepare", "--users", str(users), "--work", str(work))
    if "failed" in out:
        return out
    out["samples"] = samples
    for engine in ("graphframes", "networkit"):
        figures = _in_subprocess("score", "--engine", engine, "--samples", str(samples), "--work", str(work))
        if "failed" in figures:
            return {**out, "failed": f"{engine}: {figures['failed']}"}
        for key in ("users", "edges", "interactions"):
            out[key] = figures.pop(key)
        out[engine] = figures
    out["python_peak_rss_mib"] = out["graphframes"]["python_peak_rss_mib"]
    return out


def _peak_rss_mib() -> float:
    """This process's own peak resident memory (the JVM is another process)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024


def scale(scales: list[str], samples: int, work: Path, out: Path) -> dict:
    result: dict = {"samples": samples, "scales": {}}
    for name in scales:
        result["scales"][name] = one_scale(_users(name), samples, work / name)
        out.write_text(json.dumps(result, indent=2) + "\n")  # every scale as it ends
        print(json.dumps({name: result["scales"][name]}), flush=True)
    ran = [s for s in result["scales"].values() if "failed" not in s]
    if len(ran) >= 2:
        xs = [math.log(s["edges"]) for s in ran]
        ys = [math.log(s["graphframes"]["graph_stage_s"]) for s in ran]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        result["log_log_slope"] = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
                                   / sum((x - mean_x) ** 2 for x in xs))
        rss = [s["python_peak_rss_mib"] for s in ran]
        result["python_peak_rss_ratio"] = max(rss) / min(rss)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["baselines", "scale", "prepare", "score"])
    parser.add_argument("--engine", choices=["graphframes", "networkit"], default="graphframes")
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--scales", default="1m,5m,10m")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.what == "prepare":
        print(json.dumps(prepare(args.users, args.work)))
        return 0
    if args.what == "score":
        print(json.dumps(score_once(args.engine, args.samples, args.work)))
        return 0

    from bench.metrics import publish

    out = args.out or Path(f"bench/results/graphframes-{args.what}.json")
    with tempfile.TemporaryDirectory(prefix="influence-graphframes-") as tmp:
        if args.what == "baselines":
            result = baselines(args.users, args.repeats, args.iterations, Path(tmp))
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            result = scale(args.scales.split(","), args.samples, Path(tmp), out)
    publish(result, out, "bench.graphframes", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
