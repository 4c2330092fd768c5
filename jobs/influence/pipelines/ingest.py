"""Ingest export files into ``bronze``: every line accepted, quarantined or a duplicate."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import Observation, SparkSession
from pyspark.sql import functions as F

from influence import quality, tables
from influence.config import Settings
from influence.errors import InfluenceError
from influence.io import claims, exports
from influence.io.lake import Lake
from influence.pipelines import Step, new_run_id, no_progress
from influence.privacy import pseudonymization_key
from influence.profiles import infer_profile, load_profile
from influence.spark import local_checkpoints_released
from influence.transforms.interactions import check_lines, split_checked

AUDITED = (tables.INTERACTIONS,)  # the tables whose candidate rows an ingest audits


@dataclass(frozen=True)
class FileReport:
    path: str
    profile: str
    status: str  # ok | partial | refused | already ingested
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    reason: str | None = None
    max_quarantine_share: float = 1.0

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def quarantined_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    @property
    def problem(self) -> str | None:
        """Why this file should alert whoever runs the ingest, or None."""
        if self.status in ("partial", "refused"):
            return f"{self.path} is {self.status}: {self.reason}"
        if self.quarantined_share > self.max_quarantine_share:
            return (f"{self.path}: {self.rows_quarantined:,} of {self.rows_read:,} lines quarantined "
                    f"({self.quarantined_share:.1%} > max_quarantine_share {self.max_quarantine_share:.1%}); "
                    "the good lines landed, see bronze/quarantine")
        return None


def _already_ingested(lake: Lake, sha256: str) -> bool:
    return sha256 in lake.column_values(tables.INGESTED_FILES, "sha256")


def not_yet_ingested(spark: SparkSession, lake_root: Path, folder: Path) -> list[Path]:
    """The files under a landing folder whose content is not in the manifest yet."""
    files = exports.discover([folder])
    seen = Lake(spark, lake_root).column_values(tables.INGESTED_FILES, "sha256") if files else set()
    return [f for f in files if file_identity(f) not in seen]


def run(spark: SparkSession, settings: Settings, lake_root: Path, inputs: list[Path],
        profile: str | None = None, step: Step = no_progress) -> list[FileReport]:
    """Ingest every file of ``inputs`` (files or folders) into the lake at ``lake_root``.

    A file whose content (sha256) is already in ``bronze/ingested_files`` is skipped and
    reported; an event already in bronze (same ``event_id``) is counted as a duplicate.
    """
    lake = Lake(spark, lake_root)
    run_id = new_run_id("ingest")
    files = exports.discover(inputs)
    chosen = load_profile(profile) if profile else None
    profiles = {path: chosen or infer_profile(path) for path in files}  # fail on any name before ingesting
    reports = []
    with claims.staging_area(lake.root, run_id) as staging:
        for number, path in enumerate(files, start=1):
            with step(f"ingest {path.name} ({number}/{len(files)})"), local_checkpoints_released(spark):
                reports.append(_ingest_file(spark, lake, settings, path, profiles[path], run_id,
                                            staging / f"{number}.parquet"))
    return reports


def file_identity(path: Path) -> str:
    """sha256 of the content; a symlink is identified by where it points, never followed."""
    if path.is_symlink():
        return hashlib.sha256(f"symlink:{path}->{path.readlink()}".encode()).hexdigest()
    return exports.sha256_of(path)


def _ingest_file(spark, lake: Lake, settings: Settings, path: Path, profile, run_id: str,
                 staging: Path) -> FileReport:
    sha256 = file_identity(path)
    # One process at a time per content: a concurrent ingest of the same file waits here,
    # then finds it in the manifest.
    with claims.content_claim(lake.root, sha256) as claim:
        if _already_ingested(lake, sha256):
            claim.done()  # an attempt killed after its manifest row left its marker behind
            return FileReport(str(path), profile.profile, "already ingested")
        report = _ingest_claimed(spark, lake, settings, path, sha256, profile, run_id, staging, claim)
        claim.done()
        return report


def _ingest_claimed(spark, lake: Lake, settings: Settings, path: Path, sha256: str, profile, run_id: str,
                    staging: Path, claim: claims.ContentClaim) -> FileReport:
    now = datetime.now(timezone.utc)
    limits = exports.Limits(settings.ingest.max_line_bytes, settings.ingest.max_decompressed_bytes)
    # The tables this file goes to, loaded while it is framed and parsed (Lake.prefetch).
    lake.prefetch([(name, "true") for name in (tables.INTERACTIONS, tables.QUARANTINE, tables.INGESTED_FILES)])
    framed = exports.frame_export(path, staging, limits)
    header = exports.csv_header(staging, profile.delimiter) if profile.format == "csv" else None
    lines = spark.read.parquet(str(staging))
    # Parsed once, kept for both halves; the accepted rows kept too (the audit and the merge read
    # them), with their count and dates observed as they are kept (no second pass).
    checked = check_lines(lines, profile, now=now, max_future_days=settings.max_future_days, header=header,
                          pseudonymize_with=pseudonymization_key()).localCheckpoint()
    accepted, quarantined = split_checked(checked, profile, source_file=str(path), run_id=run_id, now=now)
    observed = Observation("accepted")
    accepted = accepted.observe(observed, F.count(F.lit(1)).alias("n"), F.min("event_date").alias("lo"),
                                F.max("event_date").alias("hi")).localCheckpoint()
    valid = observed.get
    n_valid = valid["n"]
    n_quarantined = quarantined.count()
    rows_read = n_valid + n_quarantined
    # Checked before anything is written: every line (but a csv header) yields a row, and a
    # snap or csv line exactly one; a line lost here must not reach the lake.
    data_lines = framed.lines - (1 if header is not None and framed.lines else 0)
    if rows_read < data_lines or (profile.format != "jsonl" and rows_read != data_lines):
        raise InfluenceError(f"{path}: {data_lines} lines read but {n_valid} valid and {n_quarantined} quarantined")
    if n_valid:
        quality.require_all({tables.INTERACTIONS: accepted})
    claim.begin(run_id, path)
    inserted = lake.insert_new(accepted, tables.INTERACTIONS, "event_date", valid["lo"], valid["hi"]) if n_valid else 0
    # Rows an interrupted attempt at this content inserted are this file's, not duplicates.
    inserted += _written_by(lake, tables.INTERACTIONS, claim.interrupted, valid["lo"], valid["hi"]) if n_valid else 0
    if n_quarantined and not _written_by(lake, tables.QUARANTINE, claim.interrupted):
        lake.append(quarantined, tables.QUARANTINE)
    size = path.lstat().st_size
    manifest = spark.createDataFrame(
        [(str(path), size, sha256, profile.profile, framed.lines, rows_read, inserted, n_quarantined, n_valid - inserted,
          framed.status, framed.reason, run_id, now, valid["lo"], valid["hi"])],
        tables.table(tables.INGESTED_FILES).schema,
    )
    lake.append(manifest, tables.INGESTED_FILES)
    return FileReport(str(path), profile.profile, framed.status, rows_read, inserted, n_quarantined,
                      n_valid - inserted, framed.reason, settings.ingest.max_quarantine_share)


def _written_by(lake: Lake, name: str, attempts: tuple[claims.Attempt, ...], first=None, last=None) -> int:
    """Rows of ``name`` that interrupted attempts wrote (bronze: within the dates [first, last])."""
    if not attempts or not lake.exists(name):
        return 0
    rows = lake.read(name)
    if first is not None:
        rows = rows.where(F.col("event_date").between(first, last))
    theirs = F.lit(False)
    for attempt in attempts:
        theirs = theirs | ((F.col("ingest_run_id") == attempt.run_id) & (F.col("source_file") == attempt.path))
    return rows.where(theirs).count()
