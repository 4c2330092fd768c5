"""Two ingests of overlapping files at the same time, in two processes: no row twice, none lost."""

import json
import subprocess
import sys
from pathlib import Path

from influence import tables


def test_two_simultaneous_ingests_land_every_event_once(spark, tmp_path):
    lake = tmp_path / "lake"
    lines = [f"u{i} u{i + 1} {1082040961 + i}\n" for i in range(400)]
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("".join(lines[:300]))    # events 0..299
    second.write_text("".join(lines[100:]))   # events 100..399: 200 in common
    script = Path(sys.executable).with_name("influence")
    runs = [subprocess.Popen([str(script), "ingest", "--lake", str(lake), "--profile", "snap", "--json",
                              "--master", "local[1]", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for path in (first, second)]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr[-2000:]
    reports = [json.loads(stdout[stdout.index("["):])[0] for stdout, _ in outputs]

    bronze = spark.read.format("delta").load(str(lake / tables.INTERACTIONS))
    assert bronze.count() == 400 == bronze.select("event_id").distinct().count()
    assert sum(r["rows_accepted"] for r in reports) == 400
    assert sum(r["rows_duplicate"] for r in reports) == 200
    for report in reports:
        assert report["rows_read"] == report["rows_accepted"] + report["rows_quarantined"] + report["rows_duplicate"]
    assert spark.read.format("delta").load(str(lake / tables.INGESTED_FILES)).count() == 2
