"""Score every date of a range, in order: what Airflow's backfill of the score DAG does."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pyspark.sql import SparkSession

from influence.config import Settings
from influence.errors import InfluenceError
from influence.pipelines import Step, no_progress, score

AUDITED = score.AUDITED

MAX_DATES = 3660


def dates(start: date, end: date) -> list[date]:
    """``start`` to ``end``, both included."""
    if end < start:
        raise InfluenceError(f"--end {end} is before --start {start}")
    count = (end - start).days + 1
    if count > MAX_DATES:
        raise InfluenceError(f"{count:,} dates from {start} to {end}: backfill at most {MAX_DATES:,} at a time")
    return [start + timedelta(days=i) for i in range(count)]


def run(spark: SparkSession, settings: Settings, lake_root: Path, start: date, end: date,
        window_days: int | None = None, engine: str | None = None,
        step: Step = no_progress) -> list[score.ScoreReport]:
    """Score each date from ``start`` to ``end`` in order (lists and rank changes build on the
    previous date). Each date's gold rows are replaced, never added to, so running the same
    range again gives the same rows."""
    reports = []
    for day in dates(start, end):
        with step(f"score {day}"):
            reports.append(score.run(spark, settings, lake_root, as_of=day, window_days=window_days, engine=engine))
    return reports
