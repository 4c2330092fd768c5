"""Which engine scores a graph, and the reason the run summary gives."""

import pytest

from influence.config import load_config
from influence.errors import InfluenceError
from influence.graph.engines import choose_engine


def test_auto_keeps_small_graphs_on_the_driver_and_gives_large_ones_to_graphframes():
    settings = load_config(environ={}, overrides={"driver_max_edges": 1_000})
    engine, reason = choose_engine("auto", 1_000, settings)
    assert (engine.name, reason) == ("networkit", "auto: 1,000 edges <= driver_max_edges 1,000")
    engine, reason = choose_engine("auto", 1_001, settings)
    assert (engine.name, reason) == ("graphframes", "auto: 1,001 edges > driver_max_edges 1,000")
    for requested in ("networkit", "graphframes"):
        engine, reason = choose_engine(requested, 10**9, settings)
        assert (engine.name, reason) == (requested, "requested")
    with pytest.raises(InfluenceError, match="unknown engine 'pandas'"):
        choose_engine("pandas", 10, settings)
