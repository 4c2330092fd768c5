"""The whole pipeline: (generate the sample,) ingest, score, publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pyspark.sql import SparkSession

from influence import generate
from influence.config import Settings
from influence.pipelines import Step, ingest, no_progress, score

AUDITED = ingest.AUDITED + score.AUDITED

SAMPLE_FOLDER = "_sample"


@dataclass(frozen=True)
class RunReport:
    inputs: list[str]
    ingested: list[ingest.FileReport]
    scored: score.ScoreReport


def run(spark: SparkSession, settings: Settings, lake_root: Path, inputs: list[Path] | None = None,
        as_of: date | None = None, engine: str | None = None, step: Step = no_progress) -> RunReport:
    """With no inputs, the built-in sample is generated into ``<lake>/_sample`` first.

    The sample is the same bytes every time, so a second run ingests nothing new and
    rescores the same date to the same rows.
    """
    if not inputs:
        with step("generate the built-in sample"):
            inputs = [generate.write_export(Path(lake_root) / SAMPLE_FOLDER)]
    ingested = ingest.run(spark, settings, lake_root, inputs, step=step)
    scored = score.run(spark, settings, lake_root, as_of=as_of, engine=engine, step=step)
    return RunReport([str(p) for p in inputs], ingested, scored)
