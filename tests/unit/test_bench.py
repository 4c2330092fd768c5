"""The benchmark harness runs end to end on a tiny scale and writes well-formed figures
(no timing is asserted: only that the figures exist, add up and agree with each other)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import run as bench
from influence.config import load_config
from influence.generate import generate
from tests.graphs import generated_graph


def test_stages_at_a_tiny_scale_give_medians_memory_and_tables(tmp_path):
    out = tmp_path / "scale.json"
    bench.main(["--scales", "u12:2", "--repeats", "1", "--stages", "generate", "--work", str(tmp_path / "work"),
                "--out", str(out)])

    results = json.loads(out.read_text())
    entry = results["scales"]["u12"]
    assert entry["interactions"] == len(generate(users=12, days=bench.DAYS).actor)
    runs = entry["stages"]["generate"]
    assert len(runs) == 2  # u12:2 overrides --repeats 1
    for figures in runs:
        assert figures["seconds"] > 0 and figures["peak_driver_mib"] > 0
        assert figures["peak_tree_mib"] > 0 and figures["max_process_rss_mib"] > 0
        assert figures["peak_jvm_mib"] == 0  # generate starts no JVM
    assert results["machine"] and results["finished"]
    table = bench.tables(results)
    assert f"| u12 | {entry['interactions']:,} |" in table and "| generate | 2 |" in table
    assert not (tmp_path / "work" / "u12").exists()  # scratch removed after each round

    more = tmp_path / "more.json"
    bench.main(["--scales", "u12,u20", "--repeats", "1", "--stages", "generate", "--work", str(tmp_path / "work"),
                "--out", str(more)])
    merged = bench.merge_results([out, more])
    assert len(merged["scales"]["u12"]["stages"]["generate"]) == 3  # rounds of the same scale join
    assert list(merged["scales"]) == ["u12", "u20"]
    assert "| u12 | u20 | generate |" in bench.tables(merged)  # a slope between consecutive scales


@pytest.mark.parametrize("exact", [True, False])
def test_graph_round_and_accuracy_cover_every_contender(exact):
    graph = generated_graph(users=150, days=20)
    settings = load_config(overrides={"paths": {"exact_max_work": 1e12 if exact else 0, "samples": 60}})
    measured = bench.graph_round(graph, settings, seed=5, baselines=list(bench.BASELINES))

    assert measured["exact_paths"] is exact and measured["sources"] == (0 if exact else len(
        bench.sampled_sources(graph.n, 60, 5)))
    for name in ("engine_core", *bench.BASELINES):
        assert set(measured[name]["values"]) == {"pagerank", "betweenness", "harmonic", "communities"}
        assert all(len(v) == graph.n for v in measured[name]["values"].values())
    assert measured["bare"]["seconds"] > 0

    figures = bench.accuracy(graph, measured, exact_max_work=1e12, settings=settings)["contenders"]
    assert set(figures) == {"engine_core", *bench.BASELINES}
    for name, values in figures.items():
        assert values["pagerank_max_abs_diff"] < 1e-3, name  # networkx's default tolerance is the loosest
        assert 0.2 < values["modularity"] < 1, name
    if exact:  # every contender computed the same exact values
        assert all(figures[name]["betweenness_top100_overlap"] == 1.0 for name in figures)
        assert all(figures[name]["harmonic_spearman"] > 0.9999 for name in figures)  # ties in float order
    else:
        assert figures["engine_core"]["harmonic_top100_overlap"] >= 0.9  # exact top 100 over the sample
        assert "harmonic_spearman" not in figures["networkit"]  # networkit gives a top 100 only


def test_slope_is_the_log_log_exponent():
    assert bench.slope(1e5, 2.0, 1e6, 20.0) == pytest.approx(1.0)
    assert bench.slope(1e6, 10.0, 1e7, 10.0) == pytest.approx(0.0)
    assert np.isclose(bench.slope(1e6, 1.0, 1e7, 100.0), 2.0)


def test_an_alternation_warms_up_then_reverses_the_order_every_other_round():
    from bench.score_stages import WARM_UP, _alternation

    assert _alternation(3, None) == [None, None, None]
    assert _alternation(3, ("k", ["a", "b"])) == ["a"] * WARM_UP + ["a", "b", "b", "a", "a", "b"]


def test_bench_trust_calls_the_top_resolved_only_when_the_bounds_are_within_half(tmp_path):
    from bench.trust import betweenness_resolution

    estimate = np.linspace(1.0, 0.01, 200)  # the 20th largest is 0.9055, the 100th 0.5075
    tight = betweenness_resolution(estimate, np.full(200, 0.2))
    assert tight["top_resolved"] and tight["top100_strict_resolved"]
    # 0.26 is past half the 100th (0.2537): SPEC's sense fails; the 100th's own half fails too.
    loose = betweenness_resolution(estimate, np.full(200, 0.26))
    assert not loose["top100_strict_resolved"] and not loose["top_resolved"]
    wide = betweenness_resolution(estimate, np.where(np.arange(200) == 99, 0.3, 0.2))
    assert not wide["top_resolved"] and wide["median_error_top100"] == 0.2


def test_the_side_by_side_table_gives_each_revision_s_medians_per_step():
    from bench import ab

    def run(seconds: float, publish: float) -> dict:
        return {"seconds": seconds, "steps": {"build edges": 1.0, "publish": publish}}

    results = {"command": "python -m bench.ab", "repeats": 3,
               "runs": {"old": [run(30, 5), run(50, 9), run(40, 7)], "new": [run(20, 2), run(25, 4), run(90, 3)]}}
    lines = ab.table(results).splitlines()
    assert "| **from process start** | **40.0** | **25.0** |" in lines
    assert "| publish | 7.0 | 3.0 |" in lines and "| build edges | 1.0 | 1.0 |" in lines
