"""Write the HTML report of one scored date: read its gold rows (no Spark), render, write."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from influence import tables
from influence.errors import InfluenceError
from influence.io import gold
from influence.pipelines import Step, no_progress
from influence.report.model import GLOBAL, ReportData
from influence.report.render import NETWORK_SIZE, SECTIONS, render

SCORE_COLUMNS = ("user_id", "rank", "rank_change", "influence_score", "pagerank", "betweenness", "harmonic",
                 "community_id", "explanation")
# Engagement authenticity's columns (issue 23): rows written before them lack them.
AUTHENTICITY_COLUMNS = ("suspicious_share", "raw_influence_score", "raw_rank", "suspicious_reason")


@dataclass(frozen=True)
class ReportResult:
    path: str
    as_of: date
    previous: date | None
    bytes: int
    sections: tuple[str, ...]


def read(lake_root: Path, as_of: date | None = None) -> ReportData:
    """The rows the report shows for ``as_of`` (default: the latest scored date)."""
    dates = gold.scored_dates(lake_root)
    if not dates:
        raise InfluenceError(f"{lake_root} has no scored date: run influence score first")
    as_of = as_of or dates[-1]
    if as_of not in dates:
        raise InfluenceError(f"{as_of} has not been scored in {lake_root}; scored dates: "
                             f"{', '.join(str(d) for d in dates[-5:])}{' ...' if len(dates) > 5 else ''}")
    earlier = [d for d in dates if d < as_of]
    (summary,) = gold.rows_of_date(lake_root, tables.NETWORK_SUMMARY, as_of).to_dict("records")
    scores = score_rows(lake_root, as_of)
    segments = gold.rows_of_date(lake_root, tables.SEGMENTS, as_of, where=ds.field("scope") == GLOBAL)
    leaders = scores.nsmallest(NETWORK_SIZE, "rank")["user_id"].tolist()
    plan, overlap = latest_plan(lake_root, as_of)
    return ReportData(as_of, earlier[-1] if earlier else None, _plain(summary), scores, segments,
                      contacts_by_community(lake_root, as_of, leaders, scores), plan, overlap,
                      anomalies(lake_root, as_of))


def score_rows(lake_root: Path, as_of: date) -> pd.DataFrame:
    """The date's scores with the columns the report shows; the authenticity columns a lake
    written before them lacks are there, null."""
    present = set(gold.column_names(lake_root, tables.SCORES))
    wanted = [*SCORE_COLUMNS, *(c for c in AUTHENTICITY_COLUMNS if c in present)]
    scores = gold.rows_of_date(lake_root, tables.SCORES, as_of, columns=wanted)
    return scores.assign(**{c: None for c in AUTHENTICITY_COLUMNS if c not in present})


def anomalies(lake_root: Path, as_of: date) -> pd.DataFrame:
    """The date's flagged groups (gold/engagement_anomalies), members and targets as lists;
    empty when none was flagged or the lake predates the table."""
    if not gold.exists(lake_root, tables.ANOMALIES):
        return pd.DataFrame()
    groups = gold.rows_of_date(lake_root, tables.ANOMALIES, as_of)
    return groups.assign(members=groups["members"].map(_plain), targets=groups["targets"].map(_plain))


def latest_plan(lake_root: Path, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the date's latest campaign plan, and the shortlist's overlap at its reach."""
    if not gold.exists(lake_root, tables.CAMPAIGN_PLANS):
        return pd.DataFrame(), pd.DataFrame()
    plans = gold.rows_of_date(lake_root, tables.CAMPAIGN_PLANS, as_of)
    if plans.empty:
        return plans, pd.DataFrame()
    plan = plans[plans["plan_id"] == plans.sort_values(["planned_at", "plan_id"])["plan_id"].iloc[-1]]
    plan = plan.assign(method_reach=plan["method_reach"].map(_plain))
    overlap = (gold.rows_of_date(lake_root, tables.AUDIENCE_OVERLAP, as_of,
                                 where=ds.field("reach_hops") == int(plan["reach_hops"].iloc[0]))
               if gold.exists(lake_root, tables.AUDIENCE_OVERLAP) else pd.DataFrame())
    return plan, overlap


def contacts_by_community(lake_root: Path, as_of: date, users: list[str], scores: pd.DataFrame) -> pd.DataFrame:
    """``user_id, community_id, contacts``: how many distinct contacts each user has in each community."""
    edges = gold.rows_of_date(lake_root, tables.EDGES, as_of, columns=["src", "dst"],
                              where=ds.field("src").isin(users) | ds.field("dst").isin(users))
    pairs = pd.concat([edges.rename(columns={"src": "user_id", "dst": "contact"}),
                       edges.rename(columns={"dst": "user_id", "src": "contact"})])
    pairs = pairs[pairs["user_id"].isin(users) & (pairs["user_id"] != pairs["contact"])].drop_duplicates()
    community = scores.set_index("user_id")["community_id"]
    pairs = pairs.assign(community_id=pairs["contact"].map(community)).dropna(subset=["community_id"])
    return pairs.groupby(["user_id", "community_id"]).size().rename("contacts").reset_index()


def _plain(value):
    """Arrow's nested values (numpy arrays, key-value lists) as plain Python."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):  # an Arrow map
            return {k: _plain(v) for k, v in value}
        return [_plain(v) for v in value]
    return value


def run(lake_root: Path, out: Path, as_of: date | None = None, step: Step = no_progress) -> ReportResult:
    out = Path(out)
    if out.is_dir():
        raise InfluenceError(f"{out} is a folder: give a file name, for example {out / 'report.html'}")
    if not out.parent.is_dir():
        raise InfluenceError(f"{out.parent} does not exist: create it or write the report elsewhere")
    with step("read the gold tables"):
        data = read(lake_root, as_of)
    with step("render"):
        page = render(data).encode("utf-8")
    # Write beside the target, then rename: a reader never sees half a report.
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False) as part:
        part.write(page)
    os.chmod(part.name, 0o644)
    os.replace(part.name, out)
    return ReportResult(str(out), data.as_of, data.previous, len(page), SECTIONS)
