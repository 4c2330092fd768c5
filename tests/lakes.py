"""Whole-lake snapshots for tests that compare what two runs left behind, row by row."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from influence import tables

# Differ between two runs that did the same work: run ids and wall-clock times.
VOLATILE = frozenset({"run_id", "ingest_run_id", "ingested_at", "quarantined_at", "stage_seconds"})


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isnan(value) else float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def table_rows(lake: Path, name: str, version: int | None = None) -> list[str] | None:
    """The table's rows as sorted JSON lines without volatile columns; None if it does not exist.

    Read with delta-rs, a second Delta implementation, so that what it reads is what any
    reader of the lake would.
    """
    import deltalake

    path = Path(lake) / name
    if not (path / "_delta_log").is_dir():
        return None
    rows = deltalake.DeltaTable(str(path), version=version).to_pyarrow_table().to_pylist()
    return sorted(json.dumps(_canonical({k: v for k, v in row.items() if k not in VOLATILE}), default=str,
                             sort_keys=True) for row in rows)


def lake_rows(lake: Path) -> dict[str, list[str] | None]:
    """Every table of the lake, as ``table_rows``."""
    return {name: table_rows(lake, name) for name in sorted(tables.all_tables())}
