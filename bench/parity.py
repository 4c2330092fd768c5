"""The graphframes engine against the driver engine and networkx, on CollegeMsg and a generated graph.

    .venv/bin/python -m bench.parity [--samples 1536] [--users 2000] [--out bench/results/parity.json]

In one Spark session (local[2], the default config otherwise), for CollegeMsg
(``../shared/data/collegemsg``, window 200 days up to 2004-10-27) and the generator's graph
of ``--users`` users: ingests once, then runs ``score`` with ``--engine networkit`` and
with ``--engine graphframes``, sampling forced (``paths.exact_max_work: 0``,
``paths.samples: --samples``). The published rows of each are compared with exact figures
(networkx PageRank at tolerance 1e-13, networkit's exact betweenness and harmonic
closeness, networkx reach and cores) and with each other: PageRank's largest difference,
betweenness top-100 overlap with exact and the share of users within their bound, harmonic
Spearman and bound coverage, reach, cores, modularity and the two partitions' normalised
mutual information. The must-show bars of the engine's issue are checked on CollegeMsg.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

COLLEGEMSG = Path(__file__).resolve().parents[2] / "shared" / "data" / "collegemsg" / "CollegeMsg.txt.gz"
COLLEGEMSG_AS_OF = date(2004, 10, 27)
GENERATED_END = date(2026, 6, 30)


def normalised_mutual_information(first: np.ndarray, second: np.ndarray) -> float:
    """NMI of two partitions (arithmetic mean of the entropies), 1 when they are the same."""
    _, a = np.unique(first, return_inverse=True)
    _, b = np.unique(second, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    pa, pb = joint.sum(axis=1), joint.sum(axis=0)
    nonzero = joint > 0
    mutual = float((joint[nonzero] * np.log(joint[nonzero] / np.outer(pa, pb)[nonzero])).sum())
    entropy = float(-(pa * np.log(pa)).sum() - (pb * np.log(pb)).sum()) / 2
    return mutual / entropy if entropy > 0 else 1.0


def compare(spark, lake: Path, as_of: date, window_days: int, settings, rows: dict) -> dict:
    """The figures of both engines' rows (``rows[engine]``: the published scores by user) on the lake's graph."""
    import networkx as nx
    from scipy.stats import spearmanr

    from influence import tables
    from influence.graph.structure import EdgeList
    from tests import oracles

    edges = spark.read.format("delta").load(str(lake / tables.EDGES)).where(f"as_of_date = '{as_of}'")
    graph = EdgeList.from_frame(edges.select("src", "dst", "weight").toPandas())
    exact_pagerank = oracles.as_array(nx.pagerank(oracles.digraph(graph), alpha=settings.pagerank.damping,
                                                  weight="weight", tol=1e-13, max_iter=1000), graph.n)
    exact_betweenness = oracles.networkit_betweenness(graph)
    exact_harmonic = oracles.networkit_harmonic(graph)
    exact_reach = oracles.reach_2hop(graph)
    exact_kcore = oracles.kcore(graph)
    figures: dict = {"users": graph.n, "edges": graph.m}
    for engine, frame in rows.items():
        got = frame.loc[graph.ids]
        within = np.abs(got.betweenness.to_numpy() - exact_betweenness) <= got.betweenness_error.to_numpy() + 1e-12
        harmonic_within = np.abs(got.harmonic.to_numpy() - exact_harmonic) <= got.harmonic_error.to_numpy() + 1e-12
        reach_within = np.abs(got.reach_2hop.to_numpy() - exact_reach) <= got.reach_2hop_error.to_numpy() + 1e-9
        membership = got.community_id.to_numpy()
        figures[engine] = {
            "pagerank_max_abs_error": float(np.abs(got.pagerank.to_numpy() - exact_pagerank).max()),
            "betweenness_top100_overlap": oracles.top_overlap(got.betweenness.to_numpy(), exact_betweenness),
            "betweenness_within_bound": float(within.mean()),
            "betweenness_max_error_bound": float(got.betweenness_error.max()),
            "harmonic_spearman": float(spearmanr(got.harmonic.to_numpy(), exact_harmonic).statistic),
            "harmonic_within_bound": float(harmonic_within.mean()),
            "harmonic_max_rel_error": float(np.max(np.abs(got.harmonic.to_numpy() - exact_harmonic)
                                                   / np.maximum(exact_harmonic, 1e-12))),
            "reach_within_bound": float(reach_within.mean()),
            "reach_max_abs_error": float(np.abs(got.reach_2hop.to_numpy() - exact_reach).max()),
            "kcore_equal": bool((got.kcore.to_numpy() == exact_kcore).all()),
            "modularity": float(oracles.modularity(graph, np.unique(membership, return_inverse=True)[1])),
            "communities": int(len(np.unique(membership))),
            "largest_community": int(np.unique(membership, return_counts=True)[1].max()),
        }
    first, second = (rows[e].loc[graph.ids] for e in ("networkit", "graphframes"))
    figures["between_engines"] = {
        "pagerank_max_abs_difference": float(np.abs(first.pagerank.to_numpy() - second.pagerank.to_numpy()).max()),
        "betweenness_equal": bool(np.allclose(first.betweenness, second.betweenness, rtol=1e-9, atol=1e-15)),
        "modularity_ratio": figures["graphframes"]["modularity"] / figures["networkit"]["modularity"],
        "nmi": normalised_mutual_information(first.community_id.to_numpy(), second.community_id.to_numpy()),
    }
    return figures


def score_both(spark, settings, lake: Path, as_of: date, window_days: int) -> tuple[dict, dict]:
    from influence import tables
    from influence.pipelines import score

    rows, seconds = {}, {}
    for engine in ("networkit", "graphframes"):
        began = time.perf_counter()
        score.run(spark, settings, lake, as_of=as_of, window_days=window_days, engine=engine)
        seconds[engine] = round(time.perf_counter() - began, 1)
        rows[engine] = (spark.read.format("delta").load(str(lake / tables.SCORES))
                        .where(f"as_of_date = '{as_of}'").toPandas().set_index("user_id"))
    return rows, seconds


def run(samples: int, users: int, work: Path) -> dict:
    from influence import generate
    from influence.config import load_config
    from influence.pipelines import ingest
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]"},
                                      "paths": {"exact_max_work": 0, "samples": samples}})
    spark = get_spark(settings)
    result: dict = {"samples": samples}
    cases = []
    if COLLEGEMSG.is_file():
        cases.append(("collegemsg", [COLLEGEMSG], COLLEGEMSG_AS_OF, 200))
    export = generate.write_export(work / "export", users=users, days=90, end=GENERATED_END, seed=11, fmt="snap")
    cases.append((f"generated_{users}", [export], GENERATED_END, settings.window_days))
    for name, inputs, as_of, window_days in cases:
        lake = work / name
        ingest.run(spark, settings, lake, inputs, profile="snap")
        rows, seconds = score_both(spark, settings, lake, as_of, window_days)
        result[name] = compare(spark, lake, as_of, window_days, settings, rows)
        result[name]["score_seconds"] = seconds
    spark.stop()
    if "collegemsg" in result:
        got = result["collegemsg"]["graphframes"]
        result["must_show"] = {
            "pagerank_within_1e-6": got["pagerank_max_abs_error"] <= 1e-6,
            "betweenness_top100_overlap_0.9": got["betweenness_top100_overlap"] >= 0.9,
            "betweenness_90pct_within_bound": got["betweenness_within_bound"] >= 0.9,
            "harmonic_spearman_0.99": got["harmonic_spearman"] >= 0.99,
            "modularity_0.9x_driver": result["collegemsg"]["between_engines"]["modularity_ratio"] >= 0.9,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1536)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench/results/parity.json"))
    args = parser.parse_args(argv)

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-parity-") as tmp:
        result = run(args.samples, args.users, Path(tmp))
    publish(result, args.out, "bench.parity", argv)
    return 0 if all(result.get("must_show", {}).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
