"""A short run's cold process: `influence ingest` and `influence score` each in a JVM of their
own, on the 60-user sample, with the product's defaults, without the class archive set-up
made, and with the short-run tuning.

    .venv/bin/python -m bench.cold_start [--rounds 3]

The class archive (``influence.class_archive``) is what ``make setup`` makes: the classes a
driver loads, mapped from a file instead of parsed and verified at every start; the
"no class archive" variant runs with ``spark.class_archive: false``. The short-run tuning
(docs/operations.md) is ``spark.driver.extraJavaOptions = -XX:TieredStopAtLevel=1
-XX:ReservedCodeCacheSize=240m`` (the JIT's quick C1 compiler only, with the code cache the
full JIT gets) and ``spark.sql.codegen.factoryMode = NO_CODEGEN`` (expressions interpreted,
not compiled with Janino): a JVM that lives a minute on a few hundred rows spends much of its
CPU compiling. Each round runs every variant one after the other (ingest into a fresh lake,
then score a copy of one ingested lake), so the medians are side by side on this shared
machine. ``--master local[1]``, 1 GiB of driver memory and 2 shuffle partitions, as the
test suite's processes run. Figures go to ``bench/results/cold_start.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from influence.spark import QUICK_JIT

END = date(2026, 6, 30)
# name: (Spark settings, other settings as environment variables)
VARIANTS = {
    "no class archive": ({}, {"INFLUENCE_SPARK__CLASS_ARCHIVE": "false"}),
    "defaults": ({}, {}),
    "short-run tuning": ({"spark.driver.extraJavaOptions": QUICK_JIT, "spark.sql.codegen.factoryMode": "NO_CODEGEN"}, {}),
}


def _influence(args: list[str], variant: tuple[dict[str, str], dict[str, str]]) -> float:
    conf, settings = variant
    env = {**os.environ, "INFLUENCE_SPARK__DRIVER_MEMORY": "1g", "INFLUENCE_SPARK__SHUFFLE_PARTITIONS": "2",
           "INFLUENCE_SPARK__CONF": json.dumps(conf), **settings}
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("influence")), *args, "--master", "local[1]"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"influence {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return round(time.perf_counter() - started, 1)


def run(rounds: int, work: Path) -> dict:
    from influence import generate

    export = generate.write_export(work / "export", users=60, days=10, end=END, seed=5)
    ingested = work / "ingested"
    _influence(["ingest", "--lake", str(ingested), str(export)], VARIANTS["defaults"])
    seconds: dict[str, dict[str, list[float]]] = {name: {"ingest": [], "score": []} for name in VARIANTS}
    for number in range(rounds):
        for name, variant in VARIANTS.items():
            lake = work / f"{name.replace(' ', '-')}-{number}"
            seconds[name]["ingest"].append(_influence(["ingest", "--lake", str(lake), str(export)], variant))
            shutil.rmtree(lake)
            shutil.copytree(ingested, lake)
            seconds[name]["score"].append(_influence(["score", "--lake", str(lake), "--as-of", str(END)], variant))
    medians = {name: {command: statistics.median(values) for command, values in runs.items()}
               for name, runs in seconds.items()}
    base = medians["defaults"]
    return {"seconds": seconds, "median_s": medians,
            "over_defaults": {name: {command: round(median[command] / base[command], 2) for command in base}
                              for name, median in medians.items() if name != "defaults"}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/cold_start.json"))
    args = parser.parse_args(argv)

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-cold-") as tmp:
        result = run(args.rounds, Path(tmp))
    publish({**result, "variants": VARIANTS}, args.out, "bench.cold_start", argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
