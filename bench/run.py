"""The benchmark at fixed scales: every stage's wall time and peak memory, and the graph
stage side by side with the libraries a user would pick instead, on the same graph.

    .venv/bin/python -m bench.run --scales 100k,1m,10m --repeats 3 --out bench/results/scale.json

A scale is ``100k``, ``1m`` or ``10m`` (3,000, 30,000 or 300,000 users of the project's
generator over 90 days: about 0.1, 1 and 10 million interactions), ``u<N>`` (N users) or
``collegemsg`` (the real export in ``../shared``, not generated);
``NAME:K`` runs that scale K times instead of ``--repeats`` (in the last K rounds). Each
round runs, per scale, as subprocesses of the ``influence`` command (snap format, the
default config): ``generate``, ``ingest`` into a new lake, ``score`` it (its summary holds
the graph stage's own times), the naive reference ``bench.naive`` on the same file, then, in this process, the graph metrics of the
``silver/edges`` that score published with the engine's core, the bare library calls a
user would write by hand and each baseline library; and last ``run`` (ingest and score
end to end into another new lake). Rounds interleave the scales and the contenders, so
machine noise hits all alike. Each subprocess's peak memory is sampled from /proc
(psutil) every 0.2 s over its whole process tree: the Python driver and the JVM it
starts. The raw figures are written to ``--out`` after every step; the Markdown tables
are printed at the end (``--report`` prints them again from a results file).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bench.metrics import bare_library_calls, machine, timed

DAYS = 90
SCALES = {"100k": 3_000, "1m": 30_000, "10m": 300_000}
STAGES = ("generate", "ingest", "score", "naive", "graph", "run")
# The real export of the suite, a scale of its own (the naive reference takes about a second on it).
COLLEGEMSG = Path(__file__).resolve().parents[2] / "shared" / "data" / "collegemsg" / "CollegeMsg.txt.gz"
COLLEGEMSG_INTERACTIONS = 59_835
BASELINES = ("networkx", "igraph", "networkit")
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    repeats: int


def parse_scales(text: str, repeats: int) -> list[Scale]:
    scales = []
    for item in text.split(","):
        name, _, count = item.strip().partition(":")
        users = SCALES.get(name) or (int(name[1:]) if name.startswith("u") and name[1:].isdigit() else None)
        if name == "collegemsg":
            users = 1_899
        if users is None:
            raise SystemExit(f"error: unknown scale {name!r} (100k, 1m, 10m, u<users> or collegemsg)")
        scales.append(Scale(name, users, int(count) if count else repeats))
    return scales


# --- one stage as a subprocess: wall time and the peak memory of its process tree ---

class TreeMemory:
    """Peak RSS of a process and its descendants, sampled every ``interval`` seconds.

    Also the CPU seconds (user + system) of every process of the tree as last sampled:
    less sensitive than wall time to other work on a shared machine.

    ``driver``: the root process's RSS (the Python driver); ``jvm``: its ``java``
    descendants' RSS; ``tree``: the largest sum over the whole tree at one sample of each
    process's PSS (proportional set size: pages shared between processes, like those of
    PySpark's forked Python workers, counted once). Sampling can miss a peak
    shorter than the interval; the kernel's exact peak of the largest single process comes
    from ``os.wait4`` alongside.
    """

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.peak = {"driver": 0, "jvm": 0, "tree": 0}
        self.cpu: dict[int, float] = {}  # per process: user + system seconds when last seen
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                processes = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                return
            sizes = {"driver": 0, "jvm": 0, "tree": 0}
            for process in processes:
                try:
                    rss = process.memory_info().rss
                    is_java = process.name() == "java"
                    share = process.memory_full_info().pss  # shared pages split between the processes
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                self.cpu[process.pid] = times.user + times.system
                sizes["tree"] += share
                if process.pid == self._root.pid:
                    sizes["driver"] = rss
                elif is_java:
                    sizes["jvm"] += rss
            self.peak = {k: max(v, sizes[k]) for k, v in self.peak.items()}
            self._stop.wait(self._interval)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {**{f"peak_{k}_mib": v / 2**20 for k, v in self.peak.items()}, "cpu_seconds": sum(self.cpu.values())}


def run_stage(argv: list[str], work: Path) -> dict[str, Any]:
    """Run one ``influence`` command; its wall time, memory and parsed ``--json`` output."""
    out, err = work / "stage.out", work / "stage.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr)
        memory = TreeMemory(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    figures = {"seconds": seconds, **memory.stop(), "max_process_rss_mib": usage.ru_maxrss / 1024}
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}:\n{err.read_text()[-3000:]}")
    figures["output"] = json.loads(out.read_text())
    return figures


# --- the graph stage: the engine, the bare calls by hand, and the libraries users pick ---

def sampled_sources(n: int, samples: int, seed: int) -> np.ndarray:
    """The distinct sources the engine's sampled estimators search (same draw)."""
    return np.unique(np.random.default_rng(seed).integers(0, n, size=samples))


def read_edges(lake: Path):
    from deltalake import DeltaTable

    from influence import tables
    from influence.graph.structure import EdgeList

    return EdgeList.from_frame(DeltaTable(str(lake / tables.EDGES)).to_pandas(columns=["src", "dst", "weight"]))


def with_networkx(graph, settings, sources: np.ndarray | None, seed: int) -> dict[str, tuple[float, Any]]:
    """networkx as its documentation suggests; sampled like the engine when it samples."""
    import networkx as nx

    from tests import oracles

    out: dict[str, tuple[float, Any]] = {}
    directed = oracles.digraph(graph)
    out["pagerank"] = timed(lambda: oracles.as_array(
        nx.pagerank(directed, alpha=settings.pagerank.damping, weight="weight"), graph.n))
    k = None if sources is None else len(sources)
    out["betweenness"] = timed(lambda: oracles.as_array(
        nx.betweenness_centrality(directed, k=k, seed=seed), graph.n))
    out["harmonic"] = timed(lambda: oracles.as_array(nx.harmonic_centrality(
        directed, sources=None if sources is None else sources.tolist()), graph.n))
    undirected = oracles.undirected(graph)

    def louvain() -> np.ndarray:
        membership = np.zeros(graph.n, dtype=np.int64)
        for label, members in enumerate(nx.community.louvain_communities(undirected, weight="weight", seed=seed)):
            membership[list(members)] = label
        return membership

    out["communities"] = timed(louvain)
    return out


def with_igraph(graph, settings, sources: np.ndarray | None, seed: int) -> dict[str, tuple[float, Any]]:
    """igraph alone: PRPACK PageRank, (subset) Brandes, harmonic from BFS, Louvain."""
    directed = graph.igraph(directed=True)
    out: dict[str, tuple[float, Any]] = {}
    out["pagerank"] = timed(lambda: np.asarray(directed.pagerank(damping=settings.pagerank.damping, weights="weight")))
    out["betweenness"] = timed(lambda: np.asarray(directed.betweenness(
        directed=True, sources=None if sources is None else sources.tolist())))

    def harmonic() -> np.ndarray:
        if sources is None:
            return np.asarray(directed.harmonic_centrality(mode="in", normalized=False))
        total = np.zeros(graph.n)
        batch = max(1, 20_000_000 // graph.n)
        for start in range(0, len(sources), batch):
            distances = np.asarray(directed.distances(source=sources[start:start + batch].tolist(), mode="out"))
            with np.errstate(divide="ignore"):
                total += np.where(distances > 0, 1.0 / distances, 0.0).sum(axis=0)
        return total

    out["harmonic"] = timed(harmonic)
    undirected = graph.igraph(directed=False)
    out["communities"] = timed(lambda: np.asarray(undirected.community_multilevel(weights="weight").membership))
    return out


def with_networkit(graph, settings, sources: np.ndarray | None, seed: int) -> dict[str, tuple[float, Any]]:
    """networkit alone: PageRank, exact or sampled (Geisberger) betweenness, harmonic
    (exact, or the exact top 100 when the engine samples), PLM (Louvain)."""
    import networkit

    networkit.engineering.setSeed(seed, True)
    a, b, w = graph.undirected
    weighted = networkit.graph.GraphFromCoo((graph.weight, (graph.src.astype(np.uint64), graph.dst.astype(np.uint64))),
                                            n=graph.n, weighted=True, directed=True)
    plain, transposed = graph.networkit(), graph.networkit(transposed=True)
    undirected = networkit.graph.GraphFromCoo((w, (a.astype(np.uint64), b.astype(np.uint64))), n=graph.n,
                                              weighted=True, directed=False)
    out: dict[str, tuple[float, Any]] = {}

    def run(algorithm) -> np.ndarray:
        algorithm.run()
        return np.asarray(algorithm.scores())

    out["pagerank"] = timed(lambda: run(networkit.centrality.PageRank(weighted, damp=settings.pagerank.damping)))
    out["betweenness"] = timed(lambda: run(
        networkit.centrality.Betweenness(plain) if sources is None
        else networkit.centrality.EstimateBetweenness(plain, len(sources), False, True)))

    def harmonic() -> np.ndarray:
        if sources is None:
            return run(networkit.centrality.HarmonicCloseness(transposed, normalized=False))
        top = networkit.centrality.TopHarmonicCloseness(transposed, 100, False)
        top.run()
        values = np.zeros(graph.n)  # only the top 100 are known: rank them first
        values[np.asarray(top.topkNodesList(), dtype=np.int64)] = top.topkScoresList()
        return values

    out["harmonic"] = timed(harmonic)

    def plm() -> np.ndarray:
        algorithm = networkit.community.PLM(undirected, refine=True)
        algorithm.run()
        return np.asarray(algorithm.getPartition().getVector())

    out["communities"] = timed(plm)
    return out


CONTENDERS: dict[str, Callable[..., dict[str, tuple[float, Any]]]] = {
    "networkx": with_networkx, "igraph": with_igraph, "networkit": with_networkit}


def graph_round(graph, settings, seed: int, baselines: list[str], bare: bool = True) -> dict[str, Any]:
    """One interleaved round on one graph: engine core, bare calls, each baseline."""
    from influence.graph.engines.networkit import compute_metrics

    exact_paths = graph.n * graph.m <= settings.paths.exact_max_work or settings.paths.samples >= graph.n
    sources = None if exact_paths else sampled_sources(graph.n, settings.paths.samples, seed)
    stages: dict[str, float] = {}
    seconds, (metrics, summary) = timed(lambda: compute_metrics(graph, settings, seed=seed, stage_seconds=stages))
    result: dict[str, Any] = {
        "exact_paths": exact_paths, "sources": 0 if sources is None else len(sources),
        "engine_core": {"seconds": seconds, "stages": stages, "summary": summary,
                        "values": {"pagerank": metrics["pagerank"].to_numpy(),
                                   "betweenness": metrics["betweenness"].to_numpy(),
                                   "harmonic": metrics["harmonic"].to_numpy(),
                                   "communities": metrics["community_id"].to_numpy()}},
    }
    if bare:
        result["bare"] = {"seconds": timed(lambda: bare_library_calls(graph, settings, seed, exact_paths))[0]}
    for name in baselines:
        measured = CONTENDERS[name](graph, settings, sources, seed)
        result[name] = {"seconds": sum(s for s, _ in measured.values()),
                        "stages": {k: s for k, (s, _) in measured.items()},
                        "values": {k: v for k, (_, v) in measured.items()}}
    return result


def accuracy(graph, round_: dict[str, Any], exact_max_work: float, settings) -> dict[str, Any]:
    """Every contender against the references: PageRank against igraph's PRPACK (a direct
    solve), paths against exact Brandes and harmonic closeness (igraph) when ``n * m`` is
    within ``exact_max_work``, communities by their modularity on the same weighted graph."""
    from scipy.stats import spearmanr

    from influence.graph.paths import exact_path_centralities
    from tests.oracles import top_overlap

    directed = graph.igraph(directed=True)
    undirected = graph.igraph(directed=False)
    reference = np.asarray(directed.pagerank(damping=settings.pagerank.damping, weights="weight",
                                             implementation="prpack"))
    exact = None
    exact_seconds = None
    if graph.n * graph.m <= exact_max_work:
        exact_seconds, exact = timed(lambda: exact_path_centralities(graph))
    out: dict[str, Any] = {"exact_paths_seconds": exact_seconds, "contenders": {}}
    for name, entry in round_.items():
        if not isinstance(entry, dict) or "values" not in entry:
            continue
        values = entry["values"]
        pagerank = values["pagerank"] / values["pagerank"].sum()
        labels = np.unique(values["communities"], return_inverse=True)[1]
        figures = {"pagerank_max_abs_diff": float(np.abs(pagerank - reference).max()),
                   "modularity": float(undirected.modularity(labels.tolist(), weights="weight"))}
        if exact is not None:
            figures["betweenness_top100_overlap"] = top_overlap(values["betweenness"], exact.betweenness)
            figures["harmonic_top100_overlap"] = top_overlap(values["harmonic"], exact.harmonic)
            if name != "networkit" or round_["exact_paths"]:  # networkit's sampled harmonic is a top 100 only
                figures["harmonic_spearman"] = float(spearmanr(values["harmonic"], exact.harmonic)[0])
        out["contenders"][name] = figures
    return out


# --- GraphFrames' built-ins: only when its JVM package can be had ---

GRAPHFRAMES_PROBE = """
import json, sys, time
from influence.config import load_config
from influence.spark import get_spark
settings = load_config()  # GraphFrames' package is among the session's (spark.graphframes_package)
package = settings.spark.graphframes_package
try:
    spark = get_spark(settings)
    from influence.graph.frames.cores import require_graphframes
    require_graphframes(spark)
except Exception as exc:
    print(json.dumps({"status": "unavailable", "package": package, "reason": str(exc).strip().splitlines()[0][:300]}))
    sys.exit(0)
from graphframes import GraphFrame
from pyspark.sql import functions as F
edges = spark.read.format("delta").load(sys.argv[1]).select("src", "dst", "weight").cache()
vertices = edges.select(F.col("src").alias("id")).union(edges.select(F.col("dst").alias("id"))).distinct().cache()
graph = GraphFrame(vertices, edges)
out = {"status": "ran", "package": package, "edges": edges.count()}
for name, call in (("pageRank", lambda: graph.pageRank(resetProbability=0.15, maxIter=20).vertices.count()),
                   ("labelPropagation", lambda: graph.labelPropagation(maxIter=5).count())):
    started = time.perf_counter(); call(); out[name + "_seconds"] = time.perf_counter() - started
print(json.dumps(out))
"""


def graphframes_builtins(edges_table: Path) -> dict[str, Any]:
    """GraphFrames' pageRank and labelPropagation on ``silver/edges``, in their own Spark
    process; ``status: unavailable`` with the resolver's reason when the JARs cannot be had."""
    from influence.config import load_config

    done = subprocess.run([sys.executable, "-c", GRAPHFRAMES_PROBE, str(edges_table)],
                          capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return {"status": "unavailable", "package": load_config().spark.graphframes_package, "reason": tail}
    result = json.loads(lines[-1])
    if result["status"] == "unavailable":  # the resolver's own words are on stderr
        said = [line.strip() for line in done.stderr.splitlines()
                if "not found" in line or "UNRESOLVED" in line or "unresolved dependency" in line]
        result["resolver"] = said[:3]
    return result


# --- the rounds ---

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100k,1m,10m")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stages", default=",".join(STAGES), help="of " + ", ".join(STAGES))
    parser.add_argument("--baselines", default=",".join(BASELINES))
    parser.add_argument("--networkx-max-edges", type=int, default=100_000, help="networkx on graphs up to this size")
    parser.add_argument("--baseline-max-edges", type=int, default=10**9,
                        help="igraph and networkit baselines on graphs up to this size")
    parser.add_argument("--exact-max-work", type=float, default=2e10,
                        help="exact betweenness and harmonic (accuracy) while users x edges is within this")
    parser.add_argument("--bare", action=argparse.BooleanOptionalAction, default=True,
                        help="time the bare library calls a user would write by hand (--no-bare: only the engine)")
    parser.add_argument("--graphframes", action="store_true", help="try GraphFrames' pageRank and labelPropagation")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/scale.json"))
    parser.add_argument("--report", type=Path, nargs="+", default=None,
                        help="only print the tables of these results files (scales in order)")
    args = parser.parse_args(argv)
    if args.report:
        print(tables(merge_results(args.report)))
        return

    from influence.config import load_config
    from influence.generate import DEFAULT_END, SAMPLE_SEED
    from influence.pipelines.score import seed_for
    from tests.graphs import generated_graph

    scales = parse_scales(args.scales, args.repeats)
    stages = [s for s in args.stages.split(",") if s]
    baselines = [b for b in args.baselines.split(",") if b]
    unknown = set(stages) - set(STAGES) | set(baselines) - set(BASELINES)
    if unknown:
        raise SystemExit(f"error: unknown stage or baseline: {', '.join(sorted(unknown))}")
    settings = load_config()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-run-"))
    work.mkdir(parents=True, exist_ok=True)
    influence = str(BIN / "influence")
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
        "days": DAYS, "engine": settings.engine, "spark_master": settings.spark.master,
        "driver_memory": settings.spark.driver_memory, "scales": {}}

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1, default=_plain))

    rounds = max(s.repeats for s in scales)
    for round_number in range(rounds):
        for scale in scales:
            if round_number < rounds - scale.repeats:
                continue
            entry = results["scales"].setdefault(scale.name, {"users": scale.users, "stages": {}, "graph": []})
            runs = entry["stages"]
            here = work / scale.name
            shutil.rmtree(here, ignore_errors=True)
            here.mkdir(parents=True)
            print(f"[{_now()}] round {round_number + 1}/{rounds}, scale {scale.name}", flush=True)
            export = here / "export"
            if scale.name == "collegemsg":
                export_file, entry["interactions"] = COLLEGEMSG, COLLEGEMSG_INTERACTIONS
            else:
                generated = run_stage([influence, "generate", "--out", str(export), "--users", str(scale.users),
                                       "--days", str(DAYS), "--format", "snap", "--json"], here)
                entry["interactions"] = generated["output"]["interactions"]
                export_file = Path(generated["output"]["path"])
                if "generate" in stages:
                    runs.setdefault("generate", []).append(_strip(generated))
            lake = here / "lake"
            if {"ingest", "score"} & set(stages):
                runs.setdefault("ingest", []).append(_strip(run_stage(
                    [influence, "ingest", "--lake", str(lake), "--profile", "snap", str(export_file), "--json"], here)))
            if "score" in stages:
                scored = run_stage([influence, "score", "--lake", str(lake), "--json"], here)
                summary = scored["output"]["summary"]
                scored["graph_stage_seconds"] = graph_stage_seconds(summary)
                scored["stage_seconds"] = summary["stage_seconds"]
                entry.update(users_scored=scored["output"]["users"], edges=scored["output"]["edges"],
                             as_of=scored["output"]["as_of"],
                             engine_used=scored["output"]["engine"], betweenness_method=summary["betweenness_method"])
                runs.setdefault("score", []).append(_strip(scored))
                save()
            if "naive" in stages:  # the speed issue's reference, between the pipeline's commands
                runs.setdefault("naive", []).append(_strip(run_stage(
                    [sys.executable, "-m", "bench.naive", str(export_file), "--json"], here)))
                save()
            if "run" in stages:
                ran = run_stage([influence, "run", "--lake", str(here / "lake-run"), str(export_file), "--json"], here)
                summary = ran["output"]["scored"]["summary"]
                ran["stage_seconds"] = summary["stage_seconds"]
                ran["graph_stage_seconds"] = graph_stage_seconds(summary)
                entry.update(users_scored=ran["output"]["scored"]["users"], edges=ran["output"]["scored"]["edges"],
                             engine_used=ran["output"]["scored"]["engine"], as_of=ran["output"]["scored"]["as_of"],
                             betweenness_method=summary["betweenness_method"])
                runs.setdefault("run", []).append(_strip(ran))
                save()
            if "graph" in stages:
                scored_lake = lake if "score" in stages else here / "lake-run"
                if {"score", "run"} & set(stages):
                    graph = read_edges(scored_lake)
                    entry["graph_source"] = "silver/edges"
                else:  # no Spark: the same pairs, weighted by their interaction counts (no time decay)
                    graph = generated_graph(scale.users, DAYS, seed=SAMPLE_SEED)
                    entry.update(as_of=DEFAULT_END.isoformat(), graph_source="generator pairs, weight = interactions",
                                 users_scored=graph.n, edges=graph.m)
                seed = seed_for(date.fromisoformat(str(entry["as_of"])))
                chosen = [b for b in baselines if graph.m <= (
                    args.networkx_max_edges if b == "networkx" else args.baseline_max_edges)]
                contenders = ["engine core", *(["bare calls"] if args.bare else []), *chosen]
                print(f"[{_now()}]   graph: {graph.n:,} users, {graph.m:,} edges; {', '.join(contenders)}", flush=True)
                measured = graph_round(graph, settings, seed, chosen, bare=args.bare)
                if "accuracy" not in entry:
                    entry["accuracy"] = accuracy(graph, measured, args.exact_max_work, settings)
                if args.graphframes and "graphframes" not in entry and {"score", "run"} & set(stages):
                    from influence import tables as contracts
                    entry["graphframes"] = graphframes_builtins(scored_lake / contracts.EDGES)
                entry["graph"].append({k: {kk: vv for kk, vv in v.items() if kk != "values"}
                                       if isinstance(v, dict) else v for k, v in measured.items()})
            save()
            shutil.rmtree(here, ignore_errors=True)
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    save()
    print(tables(results))


def merge_results(paths: list[Path]) -> dict[str, Any]:
    """Several results files as one: more rounds of a scale measured the same way (same
    users, same graph source) join its runs; a scale measured another way keeps its own
    row, named by its file."""
    loaded = [json.loads(path.read_text()) for path in paths]
    merged: dict[str, Any] = {**loaded[0], "scales": {}}
    for path, result in zip(paths, loaded):
        for name, entry in result["scales"].items():
            known = merged["scales"].get(name)
            if known is None:
                merged["scales"][name] = json.loads(json.dumps(entry))
            elif (known["users"], _graph_source(known)) == (entry["users"], _graph_source(entry)):
                for stage, runs in entry["stages"].items():
                    known["stages"].setdefault(stage, []).extend(runs)
                known["graph"].extend(entry["graph"])
            else:
                merged["scales"][f"{name} ({path.stem})"] = entry
    merged["command"] = "; ".join(f"`{r['command']}`" for r in loaded).strip("`")
    return merged


def _graph_source(entry: dict[str, Any]) -> str:
    # Files written before graph_source was recorded took the graph from the pipeline's edges.
    return entry.get("graph_source") or ("silver/edges" if {"score", "run"} & set(entry["stages"]) else "none")


def graph_stage_seconds(summary: dict[str, Any]) -> float:
    """The graph stage inside a score: the engine's own times (edges to the driver,
    metrics, rows back to Spark), from the run's summary."""
    return sum(v for k, v in summary["stage_seconds"].items() if k.startswith("metrics_"))


def _strip(figures: dict[str, Any]) -> dict[str, Any]:
    """A stage's figures without the command's full output."""
    return {k: v for k, v in figures.items() if k != "output"}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%H:%M:%S")


# --- the tables ---

def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _listed(runs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['seconds']:.1f}" for r in runs)


def slope(x0: float, y0: float, x1: float, y1: float) -> float:
    """The log-log slope of y against x between two points."""
    return math.log(y1 / y0) / math.log(x1 / x0)


def tables(results: dict[str, Any]) -> str:
    """The Markdown tables of a results file: stages, slopes, graph stage, accuracy."""
    scales = results["scales"]
    return "\n".join([f"Command: `{results['command']}`; started {results['started']}; {results['machine']}.", "",
                      *_stage_table(scales), "", *_naive_table(scales), "", *_slope_table(scales), "",
                      *_graph_table(scales), "", *_accuracy_table(scales)])


def _naive_table(scales: dict[str, Any]) -> list[str]:
    """The pipeline's commands against the naive reference (``bench.naive``) of the same round."""
    lines = ["| scale | naive reference (s) | ingest + score (s) | / naive | run (s) | / naive |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, entry in scales.items():
        stages = entry["stages"]
        if "naive" not in stages:
            continue
        naive = _median(stages["naive"], "seconds")
        pipeline = (_median(stages["ingest"], "seconds") + _median(stages["score"], "seconds")
                    if "ingest" in stages and "score" in stages else math.nan)
        ran = _median(stages["run"], "seconds") if "run" in stages else math.nan
        lines.append(f"| {name} | {naive:.1f} | {pipeline:.1f} | {pipeline / naive:.1f}x | {ran:.1f} "
                     f"| {ran / naive:.1f}x |")
    return lines


def _stage_table(scales: dict[str, Any]) -> list[str]:
    lines = ["| scale | interactions | users | edges | stage | runs | median (s) | runs (s) | CPU (s) "
             "| peak tree PSS (MiB) | driver RSS (MiB) | JVM RSS (MiB) | interactions / s |",
             "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, entry in scales.items():
        for stage, runs in entry["stages"].items():
            median = _median(runs, "seconds")
            lines.append(
                f"| {name} | {entry['interactions']:,} | {entry.get('users_scored', 0):,} | {entry.get('edges', 0):,} "
                f"| {stage} | {len(runs)} | {median:.1f} | {_listed(runs)} | {_median(runs, 'cpu_seconds'):.0f} "
                f"| {_median(runs, 'peak_tree_mib'):,.0f} | {_median(runs, 'peak_driver_mib'):,.0f} "
                f"| {_median(runs, 'peak_jvm_mib'):,.0f} | {entry['interactions'] / median:,.0f} |")
    return lines


def _slope_table(scales: dict[str, Any]) -> list[str]:
    lines = ["| from | to | what | slope of wall time | slope of CPU time |", "| --- | --- | --- | ---: | ---: |"]
    names = list(scales)
    for a, b in zip(names, names[1:]):
        x0, x1 = scales[a]["interactions"], scales[b]["interactions"]
        if x0 == x1:
            continue
        for stage in scales[a]["stages"]:
            if stage in scales[b]["stages"]:
                wall, cpu = (slope(x0, _median(scales[a]["stages"][stage], key),
                                   x1, _median(scales[b]["stages"][stage], key)) for key in ("seconds", "cpu_seconds"))
                lines.append(f"| {a} | {b} | {stage} | {wall:.2f} | {cpu:.2f} |")
        for stage in ("score", "run"):
            if stage in scales[a]["stages"] and stage in scales[b]["stages"]:
                y0, y1 = (_median(scales[x]["stages"][stage], "graph_stage_seconds") for x in (a, b))
                lines.append(f"| {a} | {b} | graph stage in {stage} | {slope(x0, y0, x1, y1):.2f} | |")
        for contender in ("engine_core", "bare"):
            rounds = [scales[x]["graph"] for x in (a, b)]
            if all(rounds) and all(contender in r for found in rounds for r in found):
                y0, y1 = (statistics.median(r[contender]["seconds"] for r in found) for found in rounds)
                lines.append(f"| {a} | {b} | graph metrics, {_LABELS[contender]} | {slope(x0, y0, x1, y1):.2f} | |")
    return lines


# The engine no longer calls igraph per source for sampled paths (it searches blocks of
# sources itself), so "bare" is what a user would write by hand, not what it wraps.
_LABELS = {"engine_core": "engine core (arrays in, frame out)", "bare": "bare library calls, by hand"}


def _graph_table(scales: dict[str, Any]) -> list[str]:
    lines = ["| scale | contender | runs | median (s) | PageRank | betweenness | harmonic | communities "
             "| / engine core | / engine in the pipeline |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, entry in scales.items():
        rounds = entry["graph"]
        if not rounds:
            continue
        scored = next((s for s in ("score", "run") if s in entry["stages"]), None)
        in_pipeline = _median(entry["stages"][scored], "graph_stage_seconds") if scored else math.nan
        core = statistics.median(r["engine_core"]["seconds"] for r in rounds)
        if scored:
            lines.append(f"| {name} | engine in `{scored}` (Spark edges in, Spark rows out) "
                         f"| {len(entry['stages'][scored])} | {in_pipeline:.1f} | | | | "
                         f"| {in_pipeline / core:.2f} | 1.00 |")
        for contender in ("engine_core", "bare", *BASELINES):
            measured = [r[contender] for r in rounds if contender in r]
            if not measured:
                continue
            median = statistics.median(m["seconds"] for m in measured)
            cells = []
            for metric in ("pagerank", "betweenness", "harmonic", "communities"):
                if contender == "engine_core" and metric in ("betweenness", "harmonic"):
                    metric = "paths"  # the engine finds both in the same searches
                found = [m.get("stages", {}).get(metric) for m in measured]
                cells.append("" if None in found else f"{statistics.median(found):.1f}")
            versus_pipeline = f"{median / in_pipeline:.2f}" if scored else "-"
            lines.append(f"| {name} | {_LABELS.get(contender, contender)} | {len(measured)} | {median:.1f} "
                         f"| {' | '.join(cells)} | {median / core:.2f} | {versus_pipeline} |")
    return lines


def _accuracy_table(scales: dict[str, Any]) -> list[str]:
    keys = ("betweenness_top100_overlap", "harmonic_top100_overlap", "harmonic_spearman", "modularity")
    lines = ["| scale | contender | PageRank max abs diff vs PRPACK | betweenness top-100 overlap "
             "| harmonic top-100 overlap | harmonic Spearman | modularity |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    notes = []
    for name, entry in scales.items():
        for contender, figures in entry.get("accuracy", {}).get("contenders", {}).items():
            cells = [f"{figures['pagerank_max_abs_diff']:.1e}", *(f"{figures[k]:.3f}" if k in figures else "-"
                                                                  for k in keys)]
            lines.append(f"| {name} | {_LABELS.get(contender, contender)} | {' | '.join(cells)} |")
        if "graphframes" in entry:
            notes.append(f"{name}: GraphFrames built-ins: {json.dumps(entry['graphframes'])}")
    return lines + ([""] + notes if notes else [])

if __name__ == "__main__":
    main()
