"""Benchmark of the graph stage: the networkit engine against the bare library calls it
wraps, side by side on one generated graph, and its accuracy against exact algorithms.

    .venv/bin/python -m bench.metrics [--users 20000] [--days 30] [--repeats 3]

Prints Markdown tables (for BENCHMARKS.md) and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


def publish(result: dict[str, Any], out: Path, module: str, argv: list[str] | None) -> None:
    """Stamp a harness's figures with the machine and the command that made them, write
    them to ``out`` as JSON and print them."""
    import sys

    result.update(machine=machine(),
                  command=f"python -m {module} " + " ".join(argv if argv is not None else sys.argv[1:]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, indent=2, default=str))


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def bare_library_calls(graph, settings, seed: int, exact_paths: bool) -> None:
    """What a user would write by hand for the same metrics with the same libraries."""
    import random

    import igraph
    import networkit
    from scipy.sparse import csgraph

    n = graph.n
    directed = igraph.Graph(n=n, edges=np.column_stack([graph.src, graph.dst]), directed=True,
                            edge_attrs={"weight": graph.weight})
    directed.personalized_pagerank(damping=settings.pagerank.damping, weights="weight")
    adjacency = graph.adjacency
    if exact_paths:
        directed.betweenness(directed=True)
        directed.harmonic_centrality(mode="in", normalized=False)
    else:
        sources = np.unique(np.random.default_rng(seed).integers(0, n, settings.paths.samples))
        batch = max(1, 20_000_000 // n)
        for start in range(0, len(sources), batch):
            csgraph.shortest_path(adjacency, method="D", unweighted=True, indices=sources[start:start + batch])
        for source in sources:
            directed.betweenness(directed=True, sources=[int(source)])
        transposed = networkit.graph.GraphFromCoo((graph.dst.astype(np.uint64), graph.src.astype(np.uint64)),
                                                  n=n, directed=True)
        networkit.centrality.TopHarmonicCloseness(transposed, settings.paths.harmonic_exact_top, False).run()
    towards = adjacency.T.tocsr()
    (towards + towards @ towards).getnnz(axis=1)
    undirected = directed.as_undirected(combine_edges="sum")
    random.seed(seed)
    undirected.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
    undirected.simplify().coreness()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/metrics.json"))
    args = parser.parse_args()

    import networkx as nx
    import pandas as pd
    from scipy.stats import spearmanr

    from influence.config import load_config
    from influence.graph.engines.networkit import NetworkitEngine, compute_metrics
    from influence.graph.paths import exact_path_centralities
    from influence.spark import get_spark
    from tests import oracles
    from tests.graphs import generated_graph

    settings = load_config(overrides={"spark": {"master": "local[2]", "shuffle_partitions": 2}})
    seed = 20260630
    graph = generated_graph(users=args.users, days=args.days)
    print(f"graph: {graph.n:,} users, {graph.m:,} edges (generator: {args.users} users, {args.days} days); "
          f"machine: {machine()}")

    spark = get_spark(settings)
    edges = spark.createDataFrame(pd.DataFrame(
        {"src": graph.ids[graph.src], "dst": graph.ids[graph.dst], "weight": graph.weight})).cache()
    edges.count()

    exact_paths = graph.n * graph.m <= settings.paths.exact_max_work or settings.paths.samples >= graph.n
    engine_times, core_times, bare_times = [], [], []
    for _ in range(args.repeats):  # interleaved, so that machine noise hits both sides alike
        seconds, result = timed(lambda: NetworkitEngine().compute(spark, edges, settings, seed=seed))
        result.metrics.count()
        engine_times.append(seconds)
        core_times.append(timed(lambda: compute_metrics(graph, settings, seed=seed))[0])
        bare_times.append(timed(lambda: bare_library_calls(graph, settings, seed, exact_paths))[0])
    metrics, summary = compute_metrics(graph, settings, seed=seed)

    exact_seconds, exact = timed(lambda: exact_path_centralities(graph))
    pagerank = oracles.as_array(nx.pagerank(oracles.digraph(graph), weight="weight", tol=1e-12), graph.n)
    louvain = oracles.louvain_modularity(graph)
    betweenness, bound = metrics["betweenness"].to_numpy(), metrics["betweenness_error"].to_numpy()
    harmonic, harmonic_bound = metrics["harmonic"].to_numpy(), metrics["harmonic_error"].to_numpy()
    best = np.argsort(-betweenness)[:100]
    accuracy = {
        "pagerank_max_abs_diff_vs_networkx": float(np.abs(metrics["pagerank"].to_numpy() - pagerank).max()),
        "betweenness_method": summary["betweenness_method"],
        "path_samples": summary["path_samples"],
        "betweenness_top100_overlap": oracles.top_overlap(betweenness, exact.betweenness),
        "betweenness_within_bound_share": float(np.mean(np.abs(betweenness - exact.betweenness) <= bound)),
        "betweenness_top10_bound_below_value": int(np.sum(bound[best[:10]] < betweenness[best[:10]])),
        "betweenness_top100_bound_below_value": int(np.sum(bound[best] < betweenness[best])),
        "betweenness_median_bound_top100": float(np.median(bound[best])),
        "betweenness_median_value_top100": float(np.median(betweenness[best])),
        "harmonic_spearman": float(spearmanr(harmonic, exact.harmonic)[0]),
        "harmonic_top100_overlap": oracles.top_overlap(harmonic, exact.harmonic),
        "harmonic_within_bound_share": float(np.mean(np.abs(harmonic - exact.harmonic) <= harmonic_bound)),
        "modularity": summary["modularity"],
        "louvain_modularity_networkx": louvain,
        "modularity_ratio": summary["modularity"] / louvain,
        "exact_paths_seconds": exact_seconds,
    }
    timing = {
        "engine_seconds": engine_times, "engine_core_seconds": core_times, "bare_seconds": bare_times,
        "engine_median": statistics.median(engine_times), "core_median": statistics.median(core_times),
        "bare_median": statistics.median(bare_times),
    }
    timing["engine_over_bare"] = timing["engine_median"] / timing["bare_median"]
    result = {"graph": {"users": graph.n, "edges": graph.m, "generator_users": args.users,
                        "generator_days": args.days}, "machine": machine(), "timing": timing,
              "accuracy": accuracy, "stage_seconds": summary.get("stage_seconds")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=float))

    print("\n| graph stage | median of %d (s) | runs (s) |\n| --- | ---: | --- |" % args.repeats)
    for name, key, runs in (("engine, from Spark edges to Spark rows", "engine_median", engine_times),
                            ("engine core (numpy arrays in, frame out)", "core_median", core_times),
                            ("bare library calls (same algorithms)", "bare_median", bare_times)):
        print(f"| {name} | {timing[key]:.1f} | {', '.join(f'{t:.1f}' for t in runs)} |")
    print(f"\nengine / bare = {timing['engine_over_bare']:.2f}\n\n| accuracy | value |\n| --- | ---: |")
    for key, value in accuracy.items():
        print(f"| {key} | {value:.4g} |" if isinstance(value, float) else f"| {key} | {value} |")
    spark.stop()


if __name__ == "__main__":
    main()
