"""Pair-sampled betweenness against exact Brandes, and its paths stage against the sources'.

    .venv/bin/python -m bench.betweenness [--scales 100k,1m] [--repeats 3] [--out bench/results/betweenness.json]

On the generated graphs of ``bench.run`` (``100k``: 3,000 users over 90 days; ``1m``:
30,000), the trust issue's must-shows: the engine's paths stage at the default settings
(``100k`` with sampling forced, ``paths.exact_max_work: 0``, since it would be exact)
against exact Brandes (igraph), checked for

- the top resolved (each of the top 100 within half its own estimate, the top 20 within
  half the 20th-largest) within the default budget;
- at least 1 - delta of users within their bound;
- the top-100 overlap with exact at least 0.95;
- the median bound over the exact top 100 at most 10x the largest actual error there;
- the paths stage (pairs for betweenness, sources for harmonic closeness) at most 2x the
  previous one (every estimate from the same sources, with Brandes' dependency pass),
  medians of ``--repeats`` rounds run alternately in one process.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

SCALES = {"100k": 3_000, "1m": 30_000}
DAYS = 90


def scale_figures(users: int, repeats: int, sampling_forced: bool) -> dict[str, Any]:
    import os

    from influence.config import load_config
    from influence.generate import SAMPLE_SEED
    from influence.graph.betweenness import resolution
    from influence.graph.paths import exact_path_centralities, path_centralities
    from tests.graphs import generated_graph
    from tests.oracles import top_overlap

    graph = generated_graph(users, DAYS, seed=SAMPLE_SEED)
    paths = load_config(environ={}).paths
    exact_max_work = 0.0 if sampling_forced else paths.exact_max_work
    workers = paths.workers or os.cpu_count() or 1
    seed = 20260630
    if graph.n * graph.m <= exact_max_work:
        raise SystemExit(f"error: {users} users would be exact at the default settings; force sampling")

    def new() -> Any:
        return path_centralities(graph, exact_max_work=exact_max_work, samples=paths.samples, delta=paths.delta,
                                 seed=seed, harmonic_exact_top=paths.harmonic_exact_top, workers=workers,
                                 pair_budget=paths.pair_budget,
                                 pair_time_budget_seconds=paths.pair_time_budget_seconds)

    def previous() -> Any:
        return path_centralities(graph, exact_max_work=exact_max_work, samples=paths.samples, delta=paths.delta,
                                 seed=seed, harmonic_exact_top=paths.harmonic_exact_top, workers=workers)

    new()  # compiles (or loads) the kernel outside the timings
    timings: dict[str, list[float]] = {"pairs": [], "sources": []}
    last: dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in (("sources", previous), ("pairs", new)):
            started = time.perf_counter()
            last[name] = run()
            timings[name].append(time.perf_counter() - started)
    ours, theirs = last["pairs"], last["sources"]
    started = time.perf_counter()
    exact = exact_path_centralities(graph).betweenness
    exact_seconds = time.perf_counter() - started

    def checks(result) -> dict[str, Any]:
        estimate, error = result.betweenness, result.betweenness_error
        top = np.argsort(-exact)[:100]
        actual = np.abs(estimate - exact)
        figures = resolution(estimate, error)
        return {
            **figures,
            "within_bound": float(np.mean(actual <= error)),
            "top100_overlap": top_overlap(estimate, exact),
            "median_bound_exact_top100": float(np.median(error[top])),
            "largest_error_exact_top100": float(actual[top].max()),
            "bound_over_actual": float(np.median(error[top]) / max(actual[top].max(), 1e-300)),
        }

    pairs = ours.pairs
    medians = {name: statistics.median(values) for name, values in timings.items()}
    result = {
        "users": graph.n, "edges": graph.m, "sampling_forced": sampling_forced,
        "exact": {"b1": float(np.sort(exact)[-1]), "b20": float(np.sort(exact)[-20]),
                  "b100": float(np.sort(exact)[-100]), "seconds": exact_seconds},
        "pairs": {"drawn": pairs.pairs, "stop": pairs.stop, "checkpoints": pairs.checkpoints,
                  "pairs_for_top100": pairs.pairs_for_top100, "seconds": pairs.seconds, **checks(ours)},
        "sources": {"samples": paths.samples, **checks(theirs)},
        "paths_seconds": {name: {"median": medians[name], "all": values} for name, values in timings.items()},
        "paths_ratio": medians["pairs"] / medians["sources"],
    }
    pair_checks = result["pairs"]
    result["checks"] = {
        "top_resolved": pair_checks["top_resolved"],
        "within_bound_at_least_1_minus_delta": pair_checks["within_bound"] >= 1 - paths.delta,
        "top100_overlap_at_least_0.95": pair_checks["top100_overlap"] >= 0.95,
        "median_bound_at_most_10x_largest_error": pair_checks["bound_over_actual"] <= 10,
        "paths_at_most_2x": result["paths_ratio"] <= 2,
    }
    return result


def main(argv: list[str] | None = None) -> None:
    from bench.metrics import publish

    parser = argparse.ArgumentParser(prog="bench.betweenness", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100k,1m")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/betweenness.json"))
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"scales": {}}
    for scale in args.scales.split(","):
        if scale not in SCALES:
            raise SystemExit(f"error: unknown scale {scale!r} ({', '.join(SCALES)})")
        result["scales"][scale] = scale_figures(SCALES[scale], args.repeats, sampling_forced=scale == "100k")
        print(scale, result["scales"][scale]["checks"], flush=True)
    publish(result, args.out, "bench.betweenness", argv)


if __name__ == "__main__":
    main()
