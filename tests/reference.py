"""The rows a lake held at a reference commit, kept as fingerprints, so that work on speed
can show it publishes the same rows (SPEC section 6: run ids, ``*_at`` times and durations
dropped, floating values equal to 1e-9) without a copy of the data in the repository.

A table's fingerprint is its row count, a digest of its rows with every floating value
taken out (so everything else must match exactly), and for each floating field two sums:
of the values, and of the values weighted by a hash of the rest of their row. A changed
value moves both sums, a value moved to another row moves the weighted one; either is
compared to 1e-9 of the sum of magnitudes, plus 1e-8 a row.

    REFERENCE_ROWS=write .venv/bin/python -m pytest tests/integration/test_same_rows.py \
        tests/integration/test_collegemsg.py -k same_rows

rewrites ``tests/reference/*.json`` from the checked-out code (only at the commit the
comparison starts from; the files name it).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import zlib
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from influence import tables
from tests.lakes import stable_rows

REFERENCE = Path(__file__).parent / "reference"
WRITE = os.environ.get("REFERENCE_ROWS") == "write"  # not INFLUENCE_*: that prefix is the config's
# The tables an ingest and a score publish. bronze/ingested_files names the files by where
# they were, which differs between checkouts; planning's tables are another command's.
COMPARED = (tables.INTERACTIONS, tables.QUARANTINE, tables.EDGES, tables.SCORES, tables.SEGMENTS,
            tables.IMPRESSIONS, tables.NETWORK_SUMMARY)
# As pyspark.testing.assertDataFrameEqual compares rows (tests.lakes.assert_same_rows): a
# relative 1e-9, and its absolute 1e-8 for values near zero (a convergence residual).
RTOL, ATOL = 1e-9, 1e-8
# Where the export file was: differs between checkouts and temporary folders, not a result.
LOCATIONS = ("source_file",)


def _split(value: Any, path: str, floats: list[tuple[str, float]]) -> Any:
    """The value with each finite float replaced by a marker, the floats collected by path."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        floats.append((path, value))
        return "<float>"
    if isinstance(value, dict):
        return {k: _split(v, f"{path}.{k}", floats) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_split(v, f"{path}[]", floats) for v in value]
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    return value


def fingerprint(rows: list) -> dict[str, Any]:
    """The fingerprint of a table's rows (pyspark Rows)."""
    digests, sums = [], defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in rows:
        floats: list[tuple[str, float]] = []
        rest = json.dumps(_split(row.asDict(recursive=True), "", floats), sort_keys=True, default=str)
        digests.append(hashlib.sha256(rest.encode()).hexdigest())
        weight = 0.5 + zlib.crc32(rest.encode()) / 2**32
        for path, value in floats:
            total = sums[path]
            total[0] += value
            total[1] += weight * value
            total[2] += abs(value)
    return {"rows": len(digests), "digest": hashlib.sha256("".join(sorted(digests)).encode()).hexdigest(),
            "sums": {path: total for path, total in sorted(sums.items())}}


# What the tables gained after the reference commit (engagement authenticity, issue 23): new
# columns and the summary's new parameters, left out so that the rows the reference knows
# are compared; the values they hold are tested where they are made.
ADDED_COLUMNS = {
    tables.SCORES: ("suspicious_share", "authentic_pagerank", "raw_influence_score", "raw_rank", "suspicious_reason"),
    tables.NETWORK_SUMMARY: ("authenticity", "anomaly_groups", "flagged_accounts", "authentic_scores", "users_moved",
                             "rank_shift_max", "rank_shift_median", "top100_pushed_out"),
}
ADDED_PARAMETERS = "authenticity_"


def _as_referenced(df, name: str):
    df = df.drop(*LOCATIONS, *ADDED_COLUMNS.get(name, ()))
    if "parameters" in df.columns:
        df = df.withColumn("parameters", F.map_filter("parameters", lambda k, _: ~k.startswith(ADDED_PARAMETERS)))
    return df


def lake_fingerprints(spark: SparkSession, lake: Path) -> dict[str, dict[str, Any]]:
    return {name: fingerprint(_as_referenced(stable_rows(spark, lake, name), name).collect()) for name in COMPARED
            if (Path(lake) / name / "_delta_log").is_dir()}


def differences(now: dict[str, dict], then: dict[str, dict]) -> list[str]:
    """What differs between two lakes' fingerprints, in words; empty when they hold the same rows."""
    found = [f"{name}: {'missing' if name in then else 'not in the reference'}"
             for name in sorted(set(now) ^ set(then))]
    for name in sorted(set(now) & set(then)):
        a, b = now[name], then[name]
        if a["rows"] != b["rows"]:
            found.append(f"{name}: {a['rows']} rows, {b['rows']} in the reference")
        elif a["digest"] != b["digest"]:
            found.append(f"{name}: the same number of rows, but values other than floats differ")
        if set(a["sums"]) != set(b["sums"]):
            found.append(f"{name}: floating fields {sorted(set(a['sums']) ^ set(b['sums']))} differ")
        for path in sorted(set(a["sums"]) & set(b["sums"])):
            (s, w, m), (s0, w0, m0) = a["sums"][path], b["sums"][path]
            scale = max(m, m0) * RTOL + ATOL * max(a["rows"], b["rows"])
            if abs(s - s0) > scale or abs(w - w0) > scale:
                found.append(f"{name}{path}: sum {s!r} against {s0!r}, weighted {w!r} against {w0!r}")
    return found


def check_against_reference(spark: SparkSession, lake: Path, name: str) -> int:
    """Assert that the lake holds the reference rows ``name`` (or write them); the tables compared."""
    now = lake_fingerprints(spark, lake)
    path = REFERENCE / f"{name}.json"
    if WRITE:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent).stdout.strip()
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({"commit": commit, "tables": now}, indent=1) + "\n")
    reference = json.loads(path.read_text())
    found = differences(now, reference["tables"])
    assert not found, f"rows differ from those of {reference['commit'][:10]}:\n" + "\n".join(found)
    return len(now)
