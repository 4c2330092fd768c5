"""OPTIMIZE and VACUUM every table of the lake through delta-spark's ``DeltaTable`` API."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from influence import tables
from influence.errors import InfluenceError
from influence.io.lake import Lake, with_commit_retries
from influence.pipelines import Step, no_progress



@dataclass(frozen=True)
class Maintained:
    table: str
    files_before: int
    files_after: int
    version_before: int
    version_after: int

    def as_dict(self) -> dict:
        return asdict(self)


def check_retention(retain_hours: int, safe_hours: int, force: bool = False) -> None:
    """Refuse a VACUUM retention below the configured safe one (default 7 days) unless forced.

    Below it, VACUUM can delete files that a reader of an older version, or a writer still
    committing, needs: time travel and running jobs break.
    """
    if retain_hours < safe_hours and not force:
        raise InfluenceError(
            f"refusing to VACUUM with a retention of {retain_hours} h: below the safe retention of {safe_hours} h "
            "(maintenance.safe_retain_hours) it can delete files that readers of older versions or running writers "
            "still need; pass --force if you are sure")


def run(spark: SparkSession, lake_root: Path, retain_hours: int, safe_hours: int, force: bool = False,
        step: Step = no_progress) -> list[Maintained]:
    """Compact small files (OPTIMIZE), then delete files no version within ``retain_hours`` needs."""
    check_retention(retain_hours, safe_hours, force)
    lake = Lake(spark, lake_root)
    done = []
    for name in sorted(tables.all_tables()):
        if not lake.exists(name):
            continue
        with step(f"optimize and vacuum {name}"):
            table = DeltaTable.forPath(spark, lake.path(name))
            before = table.detail().select("numFiles").first()[0]
            version_before = table.history(1).select("version").first()[0]
            with_commit_retries(f"optimize {name}", lambda: table.optimize().executeCompaction())
            lake.vacuum(name, retain_hours)
            after = table.detail().select("numFiles").first()[0]
            version_after = table.history(1).select("version").first()[0]
        done.append(Maintained(name, before, after, version_before, version_after))
    return done

