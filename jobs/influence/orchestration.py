"""What the Airflow tasks do, apart from the Spark jobs (those are CLI commands run through
``influence.submit``). Plain functions of plain values, so the DAG files stay wiring and
the logic is tested without a scheduler.

Nothing here starts a JVM: the pending-files check reads the ingest manifest with
delta-rs (``deltalake``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from influence.config import Settings, load_config
from influence.errors import InfluenceError

log = logging.getLogger(__name__)


def pull_sources(settings: Settings | None = None) -> list[str]:
    """Pull every configured source; fail (for Airflow to retry) after landing what was good."""
    from influence.io import sources

    settings = settings or load_config()
    if not settings.pull.sources:
        log.info("no sources configured (pull.sources): only files put into %s directly are ingested",
                 settings.pull.landing)
        return []
    report = sources.pull(settings.pull)
    for pulled in report.files:
        log.info("%s %s/%s (%d bytes)", pulled.status, pulled.source, pulled.name, pulled.size_bytes)
    if report.failures:
        raise InfluenceError("; ".join(report.failures))
    return [f.path for f in report.pulled]


def pending_files(settings: Settings | None = None) -> list[str]:
    """Files in the landing zone whose content is not in ``bronze/ingested_files`` yet."""
    from influence import tables
    from influence.io import exports, gold
    from influence.pipelines.ingest import file_identity

    settings = settings or load_config()
    landing = settings.pull.landing.expanduser()
    if not landing.is_dir():
        return []
    files = exports.discover([landing])
    seen = gold.column_values(settings.orchestration.lake.expanduser(), tables.INGESTED_FILES, "sha256")
    return [str(f) for f in files if file_identity(f) not in seen]


def as_of_for(run_type: str, data_interval_start: datetime | None) -> str:
    """The date a score run scores (SPEC section 3).

    A scheduled, backfilled or manual run with a data interval scores the day its interval
    starts; a run triggered by new data (the Asset) scores the latest event date.
    """
    if run_type == "asset_triggered" or data_interval_start is None:
        return "latest"
    return data_interval_start.date().isoformat()


def check_scored(as_of: str, settings: Settings | None = None) -> dict:
    """The published summary row of a date (fails when there is none): what the run produced."""
    from influence import tables
    from influence.io import gold

    settings = settings or load_config()
    lake = settings.orchestration.lake.expanduser()
    dates = gold.scored_dates(lake)
    day = (dates[-1] if dates else None) if as_of == "latest" else date.fromisoformat(as_of)
    rows = [] if day is None else gold.rows_of_date(
        lake, tables.NETWORK_SUMMARY, day,
        columns=["as_of_date", "users", "edges", "interactions", "engine", "run_id"]).to_dict("records")
    if not rows:
        raise InfluenceError(f"no gold/network_summary row for {as_of} after the score job")
    row = {k: (v.isoformat() if isinstance(v, date) else v.item() if hasattr(v, "item") else v)
           for k, v in rows[0].items()}
    log.info("published %s: %s users, %s edges, engine %s", row["as_of_date"], row["users"], row["edges"], row["engine"])
    return row
