"""A class-data-sharing archive of the classes a driver loads, made once at set-up.

Every command starts a JVM that loads and verifies some 20,000 classes of Spark, Scala,
Hadoop and Delta before it does any work. JDK 17's dynamic archive (JEP 350) records the
classes one real run loads (``-XX:ArchiveClassesAtExit``); later JVMs map them from the
file (``-XX:SharedArchiveFile``) instead of parsing and verifying them again. The training
run (``train``) does what every command does at least once, so the archive holds most of
what the commands load. ``influence.spark.launch_conf`` adds it to the driver's JVM options
when it exists (``spark.class_archive: false`` turns that off). ``make setup`` makes it,
through ``python -m influence.spark --prefetch``; measured in ``python -m bench.cold_start``.

The archive is only valid for the JVM and classpath that made it, so its name carries a
digest of both (``influence.spark.class_archive_path``); a JVM that finds it stale anyway
runs without it, silently.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from influence.config import Settings, load_config
from influence.spark import QUICK_JIT, QUIET_CDS, class_archive_path, get_spark, run_quietly


def build(settings: Settings | None = None) -> Path | None:
    """Make the archive for this JVM and classpath unless it exists; None where it cannot be
    written (the environment's folder is read-only) or the training run fails."""
    settings = settings or load_config()
    target = class_archive_path(settings)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    except OSError as error:
        sys.stderr.write(f"class archive not made ({error}); commands start without it\n")
        return None
    done = run_quietly("influence.class_archive", "--train", str(partial))
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        sys.stderr.write(f"class archive not made (exit {done.returncode}); commands start without it:\n"
                         f"{done.stderr[-2000:]}\n")
        return None
    partial.replace(target)
    for stale in target.parent.glob("classes-*.jsa"):  # made for a JVM or JARs no longer here
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def train(archive: Path) -> None:
    """Run, in a JVM that writes ``archive`` as it exits, what every command does at least
    once: read an export, write, replace and read Delta tables, aggregate, join, rank and
    collect; then wait for that JVM to finish writing. A whole ingest and score archives a
    few more classes, but made set-up's training about twice as long."""
    from pyspark import SparkContext
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    settings = load_config(overrides={"spark": {
        "master": "local[1]", "shuffle_partitions": 2, "driver_memory": "1g", "class_archive": False,
        # The quick JIT only: the run is short, and what is archived is classes, not compiled code.
        "conf": {"spark.driver.extraJavaOptions": f"-XX:ArchiveClassesAtExit={archive} {QUIET_CDS} {QUICK_JIT}"}}})
    spark = get_spark(settings)
    with tempfile.TemporaryDirectory(prefix="influence-class-archive-") as tmp:
        export = Path(tmp) / "export.jsonl"
        export.write_text("".join(f'{{"actor": "u{i % 7}", "target": "u{i % 5}", "day": "2026-06-{10 + i % 3}"}}\n'
                                  for i in range(40)))
        events = spark.read.json(str(export)).withColumn("day", F.to_date("day"))
        table = f"{tmp}/table"
        events.write.format("delta").partitionBy("day").save(table)
        replaced = events.where(F.col("day") == "2026-06-11").withColumn("actor", F.upper("actor"))
        replaced.write.format("delta").mode("overwrite").option("replaceWhere", "day = '2026-06-11'").save(table)
        edges = spark.read.format("delta").load(table).groupBy("actor", "target").agg(F.count("*").alias("n"))
        ranked = edges.join(edges.groupBy("actor").agg(F.sum("n").alias("out")), "actor") \
            .withColumn("rank", F.row_number().over(Window.partitionBy("actor").orderBy(F.desc("n"))))
        ranked.write.format("delta").mode("overwrite").save(f"{tmp}/ranked")
        spark.read.format("delta").load(f"{tmp}/ranked").toPandas()
    gateway = SparkContext._gateway
    jvm = gateway.proc
    spark.stop()
    gateway.shutdown()
    jvm.stdin.close()  # the gateway JVM exits on end of input, writing the archive on its way out
    jvm.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True, metavar="ARCHIVE",
                        help="run the training job in this process, its JVM writing ARCHIVE")
    train(parser.parse_args(argv).train)
    return 0


if __name__ == "__main__":
    sys.exit(main())
