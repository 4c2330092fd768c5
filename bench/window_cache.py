"""How long a score takes to have its window of bronze cached, by how bronze is read and cached.

    .venv/bin/python -m bench.window_cache --lake LAKE --as-of 2026-06-30 --repeats 3

Variants, each in a fresh process as a score is (Spark started, then timed):
- ``delta``: Spark's Delta reader, which replays the table's log in Spark jobs first;
- ``files``: the data files the log names, listed by delta-rs and read as Parquet
  (``Lake.read_range``, what a score does);
each cached compressed or not (``spark.sql.inMemoryColumnarStorage.compressed``). Per
variant: seconds to plan the read and cache it, to fill the cache (a count), and the cache's
size. Rounds alternate the variants; medians. LAKE is any lake, such as one that
``python -m bench.profile --work DIR`` leaves in DIR/<scale>/lake.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = [("delta", "true"), ("files", "true"), ("delta", "false"), ("files", "false")]


def child(reader: str, compressed: str, lake: Path, as_of: str, window_days: int) -> dict:
    from datetime import date, timedelta

    from influence import tables
    from influence.config import load_config
    from influence.io.lake import Lake
    from influence.spark import get_spark

    spark = get_spark(load_config())
    spark.conf.set("spark.sql.inMemoryColumnarStorage.compressed", compressed)
    last = date.fromisoformat(as_of)
    first = last - timedelta(days=window_days - 1)
    store = Lake(spark, lake)
    started = time.perf_counter()
    rows = (store.read_range(tables.INTERACTIONS, "event_date", first, last) if reader == "files"
            else store.read(tables.INTERACTIONS).where(f"event_date BETWEEN '{first}' AND '{last}'"))
    window = rows.drop("source_file", "ingest_run_id").cache()
    planned = time.perf_counter()
    n = window.count()
    filled = time.perf_counter()
    size = sum(info.memSize() + info.diskSize() for info in spark.sparkContext._jsc.sc().getRDDStorageInfo())
    return {"plan_and_cache_s": planned - started, "fill_s": filled - planned, "rows": n, "cache_mib": size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--window-days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.lake, args.as_of, args.window_days)))
        return
    runs: dict[tuple[str, str], list[dict]] = {variant: [] for variant in VARIANTS}
    for round_ in range(args.repeats):
        for variant in VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]:
            out = subprocess.run([sys.executable, "-m", "bench.window_cache", "--lake", str(args.lake),
                                  "--as-of", args.as_of, "--window-days", str(args.window_days),
                                  "--child", *variant], capture_output=True, text=True, check=True)
            runs[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"`python -m bench.window_cache --lake {args.lake} --as-of {args.as_of} --repeats {args.repeats}` "
          f"({runs[VARIANTS[0]][0]['rows']:,} rows; medians)\n")
    print("| reader | cache compressed | plan and cache (s) | fill (s) | together (s) | cache (MiB) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (reader, compressed), results in runs.items():
        plan = statistics.median(r["plan_and_cache_s"] for r in results)
        fill = statistics.median(r["fill_s"] for r in results)
        both = statistics.median(r["plan_and_cache_s"] + r["fill_s"] for r in results)
        size = statistics.median(r["cache_mib"] for r in results)
        print(f"| {reader} | {compressed} | {plan:.2f} | {fill:.2f} | {both:.2f} | {size:.0f} |")


if __name__ == "__main__":
    main()
