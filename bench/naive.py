"""The naive reference of the speed issue: what a user would write in one Python process.

    python -m bench.naive EXPORT [--as-of YYYY-MM-DD] [--json]

Fixed so that nobody tunes it: read the snap export (``src dst unix_seconds [type]``) with
``pandas.read_csv``, drop self-interactions, keep the window's 90 days up to ``--as-of``
(default: the last event's date), weigh each interaction by SPEC's
``type_weight * 2^(-age_days / 30)`` with the default type weights (no reciprocity boost),
sum per pair, and run ``networkx.pagerank(G, weight="weight")`` at networkx's default
tolerance. ``bench.run`` times it from process start, as it times the pipeline's commands,
so its imports count as theirs do. Nothing here is imported from the project.
"""

from __future__ import annotations

import argparse
import json
import time

STARTED = time.perf_counter()

import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402

# SPEC section 5's defaults; snap's fourth field maps RT, MT and RE, three fields are messages.
TYPE_WEIGHTS = {"reshare": 3.0, "quote": 3.0, "reply": 2.0, "comment": 2.0, "mention": 1.5, "message": 1.0,
                "follow": 1.0, "like": 0.5}
SNAP_TYPES = {"RT": "reshare", "MT": "mention", "RE": "reply"}
WINDOW_DAYS, HALF_LIFE_DAYS = 90, 30.0
SECONDS_PER_DAY = 86_400


def naive_edges(path: str, as_of: str | None = None, window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """``src, dst, weight`` per pair, from the export at ``path`` (the command keeps 90 days)."""
    rows = pd.read_csv(path, sep=" ", header=None, names=["src", "dst", "seconds", "type"],
                       dtype={"src": str, "dst": str, "type": str})
    rows = rows[rows["src"] != rows["dst"]]
    day = pd.to_datetime(rows["seconds"], unit="s", utc=True).dt.normalize()
    last = pd.Timestamp(as_of, tz="UTC") if as_of else day.max()
    rows = rows[(day > last - pd.Timedelta(days=window_days)) & (day <= last)]
    window_end = (last + pd.Timedelta(days=1)).timestamp()
    kind = rows["type"].fillna("message").replace(SNAP_TYPES)
    age_days = (window_end - rows["seconds"]) / SECONDS_PER_DAY
    rows = rows.assign(weight=kind.map(TYPE_WEIGHTS) * 2.0 ** (-age_days / HALF_LIFE_DAYS))
    return rows.groupby(["src", "dst"], as_index=False)["weight"].sum()


def naive_pagerank(edges: pd.DataFrame) -> dict[str, float]:
    graph = nx.from_pandas_edgelist(edges, "src", "dst", edge_attr="weight", create_using=nx.DiGraph)
    return nx.pagerank(graph, weight="weight")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.naive", description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    edges = naive_edges(args.export, args.as_of)
    ranks = naive_pagerank(edges)
    top = max(ranks, key=ranks.get)
    figures = {"users": len(ranks), "edges": len(edges), "top_user": top, "top_pagerank": ranks[top],
               "seconds_in_process": time.perf_counter() - STARTED}
    print(json.dumps(figures) if args.json else figures)


if __name__ == "__main__":
    main()
