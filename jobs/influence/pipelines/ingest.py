"""Ingest export files into ``bronze``: every line accepted, quarantined or a duplicate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from influence import tables
from influence.config import Settings
from influence.io import exports
from influence.io.lake import Lake
from influence.profiles import infer_profile, load_profile
from influence.pipelines import Step, new_run_id, no_progress
from influence.transforms.interactions import parse_snap


@dataclass(frozen=True)
class FileReport:
    path: str
    profile: str
    status: str  # ingested | already ingested
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _already_ingested(lake: Lake, sha256: str) -> bool:
    if not lake.exists(tables.INGESTED_FILES):
        return False
    return lake.read(tables.INGESTED_FILES).where(F.col("sha256") == sha256).limit(1).count() > 0


def run(spark: SparkSession, settings: Settings, lake_root: Path, inputs: list[Path],
        profile: str | None = None, step: Step = no_progress) -> list[FileReport]:
    """Ingest every file of ``inputs`` (files or folders) into the lake at ``lake_root``.

    A file whose content (sha256) is already in ``bronze/ingested_files`` is skipped and
    reported; an event already in bronze (same ``event_id``) is counted as a duplicate.
    """
    lake = Lake(spark, lake_root)
    run_id = new_run_id("ingest")
    reports = []
    for path in exports.discover(inputs):
        chosen = load_profile(profile) if profile else infer_profile(path)
        with step(f"ingest {path.name}"):
            reports.append(_ingest_file(spark, lake, settings, path, chosen, run_id))
    return reports


def _ingest_file(spark, lake: Lake, settings: Settings, path: Path, profile, run_id: str) -> FileReport:
    sha256 = exports.sha256_of(path)
    if _already_ingested(lake, sha256):
        return FileReport(str(path), profile.profile, "already ingested")
    now = datetime.now(timezone.utc)
    lines = exports.read_lines(spark, path).cache()
    accepted, quarantined = parse_snap(lines, profile, source_file=str(path), run_id=run_id, now=now,
                                       max_future_days=settings.max_future_days)
    accepted = accepted.cache()
    rows_read = lines.count()
    valid = accepted.agg(F.count(F.lit(1)).alias("n"), F.min("event_date").alias("lo"),
                         F.max("event_date").alias("hi")).first()
    n_valid = valid["n"]
    n_quarantined = quarantined.count()
    # Checked before anything is written: a line lost here must not reach the lake.
    if rows_read != n_valid + n_quarantined:
        raise RuntimeError(f"{path}: {rows_read} lines read but {n_valid} valid and {n_quarantined} quarantined")
    inserted = lake.insert_new(accepted, tables.INTERACTIONS, "event_date") if n_valid else 0
    if n_quarantined:
        lake.append(quarantined, tables.QUARANTINE)
    report = FileReport(str(path), profile.profile, "ingested", rows_read, inserted, n_quarantined, n_valid - inserted)
    manifest = spark.createDataFrame(
        [(str(path), path.stat().st_size, sha256, profile.profile, rows_read, inserted, n_quarantined,
          n_valid - inserted, "ok", run_id, now, valid["lo"], valid["hi"])],
        tables.table(tables.INGESTED_FILES).schema,
    )
    lake.append(manifest, tables.INGESTED_FILES)
    lines.unpersist()
    accepted.unpersist()
    return report
