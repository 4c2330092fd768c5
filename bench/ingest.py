"""Ingestion throughput: generated exports into a fresh lake, per format, side by side.

    .venv/bin/python -m bench.ingest [--users 30000] [--days 90] [--repeats 3] [--formats snap jsonl]

Writes each export once (same interactions in every format), then ingests it into a new
lake ``--repeats`` times per format, interleaving the formats, and reports the median
wall time, the interactions per second and the driver's peak memory, and checks that
the counts reconcile (every interaction accepted once, nothing quarantined).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--formats", nargs="+", default=["snap", "jsonl"])
    parser.add_argument("--out", type=Path, default=Path("bench/results/ingest.json"))
    args = parser.parse_args()

    from bench.metrics import machine
    from influence import tables
    from influence.config import load_config
    from influence.generate import write_export
    from influence.pipelines import ingest
    from influence.spark import get_spark

    settings = load_config(overrides={"spark": {"master": "local[2]", "shuffle_partitions": 4}})
    spark = get_spark(settings)
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    exports = {}
    for fmt in args.formats:
        started = time.perf_counter()
        exports[fmt] = write_export(work / "exports", users=args.users, days=args.days, end=date(2026, 6, 30),
                                    seed=7, fmt=fmt)
        print(f"wrote {exports[fmt].name} ({exports[fmt].stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - started:.0f} s")

    runs: dict[str, list[float]] = {fmt: [] for fmt in args.formats}
    counts: dict[str, dict] = {}
    for repeat in range(args.repeats):
        for fmt in args.formats:  # interleaved, so that machine noise hits every format alike
            lake = work / f"lake-{fmt}-{repeat}"
            started = time.perf_counter()
            (report,) = ingest.run(spark, settings, lake, [exports[fmt]], profile=fmt)
            runs[fmt].append(time.perf_counter() - started)
            bronze = spark.read.format("delta").load(str(lake / tables.INTERACTIONS)).count()
            counts[fmt] = {**report.as_dict(), "bronze_rows": bronze}
            assert report.rows_read == report.rows_accepted + report.rows_quarantined + report.rows_duplicate
            assert report.rows_quarantined == 0 and bronze == report.rows_accepted
            shutil.rmtree(lake)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    result = {"machine": machine(), "users": args.users, "days": args.days, "formats": {}}
    print(f"\n{machine()}; driver peak RSS {peak_mib:,.0f} MiB\n")
    print("| format | interactions | file (MiB) | median (s) | runs (s) | interactions / s |")
    print("| --- | ---: | ---: | ---: | --- | ---: |")
    for fmt in args.formats:
        median = statistics.median(runs[fmt])
        rows = counts[fmt]["rows_accepted"]
        size = exports[fmt].stat().st_size / 2**20
        result["formats"][fmt] = {"runs": runs[fmt], "median": median, "interactions": rows,
                                  "per_second": rows / median, "file_mib": size, "report": counts[fmt]}
        print(f"| {fmt} | {rows:,} | {size:,.0f} | {median:.1f} | {', '.join(f'{r:.1f}' for r in runs[fmt])} "
              f"| {rows / median:,.0f} |")
    result["driver_peak_rss_mib"] = peak_mib
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    shutil.rmtree(work)
    spark.stop()


if __name__ == "__main__":
    main()
