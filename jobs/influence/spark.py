"""The only place a SparkSession is built.

``local[*]`` by default; ``--master`` or ``SPARK_MASTER`` for a cluster. Delta's SQL
extension and catalog are on. The JVM packages, Delta's (at the version that matches the
installed ``delta-spark``) and GraphFrames' (``spark.graphframes_package``), come through
Spark's own resolver (``spark.jars.packages``, from Maven Central and any
``spark.repositories``). ``python -m influence.spark --prefetch`` resolves them once into the
cache and records the resolved files, so later sessions start without a resolver round, and
proves them with a Delta write and a GraphFrames PageRank. It does so in a child process
whose console output it keeps, and shows the resolver's log only when resolution fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pyspark
from pyspark.sql import SparkSession

from influence.config import Settings, load_config

SCALA_BINARY = "2.13"
_LOG4J = Path(__file__).with_name("log4j2.properties")


def jvm_packages(settings: Settings) -> list[str]:
    """Maven coordinates of the JVM packages: Delta's, derived from the installed Python
    packages, then GraphFrames' (``spark.graphframes_package``)."""
    spark_minor = ".".join(metadata.version("pyspark").split(".")[:2])
    delta = metadata.version("delta-spark")
    return [f"io.delta:delta-spark_{spark_minor}_{SCALA_BINARY}:{delta}", settings.spark.graphframes_package]


def _jars_cache(settings: Settings) -> Path:
    return settings.spark.jars_cache.expanduser()


def _resolved_listing(settings: Settings) -> Path:
    digest = hashlib.sha256(",".join(jvm_packages(settings)).encode()).hexdigest()[:16]
    return _jars_cache(settings) / f"resolved-{digest}.txt"


def _resolved_jars(settings: Settings) -> list[str] | None:
    listing = _resolved_listing(settings)
    if not listing.is_file():
        return None
    jars = [line for line in listing.read_text().splitlines() if line]
    if not jars or not all(Path(j.removeprefix("file:")).is_file() for j in jars):
        return None
    return jars


def submitted() -> bool:
    """True in a driver that spark-submit started (the Airflow tasks): its JVM is already up,
    and spark-submit's --master, --jars and --conf stand."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


# JVM options: the product's own (UTC, its log4j config) come first, and a config's
# ``spark.conf`` entry for the same key is added after them, not in their place.
_JAVA_OPTIONS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")


def _java_options(settings: Settings, key: str, ours: str) -> str:
    return f"{ours} {settings.spark.conf.get(key, '')}".strip()


# The JIT's quick C1 compiler only, for short runs (docs/operations.md). C1 alone gets a
# 48 MiB code cache by default, which a cold score fills, after which nothing is compiled.
QUICK_JIT = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"

# Interpreted expressions: on a few hundred thousand rows, compiling the generated code
# (Janino) costs more than it saves. No adaptive re-planning either: on so few rows it has no
# partitions to coalesce nor skew to split, and each exchange it plans apart is one more Spark job.
SHORT_RUN_SQL = {"spark.sql.codegen.factoryMode": "NO_CODEGEN", "spark.sql.adaptive.enabled": "false"}


def for_input(settings: Settings, export_bytes: int | None, bronze_bytes: int | None) -> Settings:
    """The settings for a command that reads ``export_bytes`` of export files and
    ``bronze_bytes`` of bronze (None: unknown, taken as long): with the short-run tuning
    when ``spark.tuning`` is ``short``, or ``auto`` and both are within
    ``spark.short_run_max_export_bytes`` and ``short_run_max_bronze_bytes``. The config's
    own ``spark.conf`` entries stand, its JVM options after the tuning's."""
    spark = settings.spark
    small = (export_bytes is not None and export_bytes <= spark.short_run_max_export_bytes
             and bronze_bytes is not None and bronze_bytes <= spark.short_run_max_bronze_bytes)
    if not (spark.tuning == "short" or (spark.tuning == "auto" and small)):
        return settings
    theirs = spark.conf.get("spark.driver.extraJavaOptions", "")
    java = theirs if QUICK_JIT in theirs else f"{QUICK_JIT} {theirs}".strip()
    conf = {**SHORT_RUN_SQL, **spark.conf, "spark.driver.extraJavaOptions": java}
    return settings.model_copy(update={"spark": spark.model_copy(update={"conf": conf})})


# CDS warns of a stale archive on every start, and of each class it skips while archiving.
QUIET_CDS = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def class_archive_path(settings: Settings) -> Path:
    """Where set-up puts the driver's class archive (``influence.class_archive``): in this
    Python environment, named by a digest of what it is valid for (the ``java`` that
    spark-submit runs, Spark's own JARs and the resolved packages)."""
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else shutil.which("java")
    java = Path(java or "java").resolve()
    stamp = java.stat() if java.is_file() else None
    spark_home = Path(pyspark.__file__).parent
    parts = [str(java), str(stamp and (stamp.st_size, stamp.st_mtime_ns)), str(spark_home),
             metadata.version("pyspark"), *(_resolved_jars(settings) or jvm_packages(settings))]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return Path(sys.prefix) / "share" / "influence" / f"classes-{digest}.jsa"


def _class_sharing(settings: Settings) -> str:
    if not settings.spark.class_archive:
        return ""
    archive = class_archive_path(settings)
    return f" -XX:SharedArchiveFile={archive} {QUIET_CDS}" if archive.is_file() else ""


def launch_conf(settings: Settings) -> dict[str, str]:
    """What must be set when the driver's JVM starts, for spark-submit's --conf."""
    conf = {
        "spark.driver.memory": settings.spark.driver_memory,
        "spark.driver.extraJavaOptions": _java_options(
            settings, "spark.driver.extraJavaOptions",
            f"-Duser.timezone=UTC -Dlog4j.configurationFile={_LOG4J.as_uri()}{_class_sharing(settings)}"),
        "spark.jars.ivy": str(_jars_cache(settings)),
        "spark.ui.enabled": str(settings.spark.ui).lower(),
    }
    resolved = _resolved_jars(settings)
    if resolved:
        conf["spark.jars"] = ",".join(resolved)
    else:
        conf["spark.jars.packages"] = ",".join(jvm_packages(settings))
        if settings.spark.repositories:
            conf["spark.jars.repositories"] = ",".join(settings.spark.repositories)
    return conf


def get_spark(settings: Settings | None = None) -> SparkSession:
    """The session for this process: created on first call, reused afterwards.

    Under spark-submit (``submitted()``) the master and JARs are spark-submit's; otherwise
    the config's (``--master``, ``SPARK_MASTER``).
    """
    settings = settings or load_config()
    conf = settings.spark
    builder = SparkSession.builder
    if not submitted():
        if conf.master.startswith("local"):
            # Local Python workers run this interpreter, so they import what the driver does
            # (pandas UDFs); a cluster's executors get the packages from the job image.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.master(conf.master).appName(conf.app_name)
        for key, value in launch_conf(settings).items():
            builder = builder.config(key, value)
    for key, value in _session_conf(settings).items():
        builder = builder.config(key, value)
    existing = SparkSession.getActiveSession()
    spark = builder.getOrCreate()
    if existing is None:
        checkpoint_dir = conf.checkpoint_dir or Path(tempfile.gettempdir()) / "influence-checkpoints"
        spark.sparkContext.setCheckpointDir(str(Path(checkpoint_dir).expanduser()))
    return spark


@contextmanager
def local_checkpoints_released(spark: SparkSession) -> Iterator[None]:
    """Within the block, ``localCheckpoint`` as usual; at its end (failed or not), the blocks of
    every RDD checkpointed in it are dropped.

    Spark keeps a local checkpoint's blocks after its DataFrame is gone (the RDD stays
    referenced inside the JVM), so a long-lived session (a backfill, the test suite) gained
    memory with every ingest and score and ended in back-to-back full garbage collections.
    Frames checkpointed in the block must not be used after it.
    """
    context = spark.sparkContext._jsc
    before = set(context.getPersistentRDDs().keySet())
    try:
        yield
    finally:
        for rdd_id, rdd in context.getPersistentRDDs().items():
            if rdd_id not in before and rdd.rdd().isCheckpointed():
                rdd.unpersist(False)


def _session_conf(settings: Settings) -> dict[str, str]:
    """Options that take effect on a running JVM too, with the config's own spark.* keys last."""
    conf = settings.spark
    return {
        "spark.executor.extraJavaOptions": _java_options(settings, "spark.executor.extraJavaOptions",
                                                          "-Duser.timezone=UTC"),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(conf.shuffle_partitions),
        # Local lakes are written without Hadoop's checksum files (.crc beside every file), as
        # on object stores: without Hadoop's native library each file it creates costs a
        # chmod process and each rename two readlink processes, about 300 per score of the
        # sample, and the checksum files double them. Parquet and Delta keep their own checks.
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.hadoop.fs.AbstractFileSystem.file.impl": "org.apache.hadoop.fs.local.RawLocalFs",
        # Delta replays its log with 50 tasks by default: seconds of overhead per write here.
        "spark.databricks.delta.snapshotPartitions": str(conf.shuffle_partitions),
        # No per-file column statistics: every read here prunes by partition (dates), never by
        # a column's min and max, and ids are random, so the statistics skip nothing; they cost
        # a pass over every written row (about 3 s of a score of the sample) and would keep
        # ids in the log, which erasure then has to rewrite (docs/operations.md).
        "spark.databricks.delta.stats.collect": "false",
        # VACUUM lists a table's folders in this many tasks, 10,000 by default: about 30 s per
        # table on 2 cores, for a lake whose tables have tens of folders.
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": str(conf.shuffle_partitions),
        # Compiled query code is kept for 100 plans by default, fewer than one score makes:
        # the next date in the same session (a backfill, Airflow's long runs) compiled it
        # all again: a second score of a date 28 s -> 18 s (bench/score_stages.py). Static.
        "spark.sql.codegen.cache.maxEntries": "5000",
        "spark.sql.adaptive.enabled": "true",
        # Cached frames kept uncompressed: a score's window of 1M interactions fills its cache in
        # 2.6 s rather than 4.6 s and takes 133 MiB rather than 109 (bench/results/window-cache.md).
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        # PySpark's query-context capture costs three JVM round trips and a stack walk per
        # column expression: 19,400 round trips in a score of the sample instead of 8,400.
        # Errors keep the JVM side's context; the config's spark.conf can turn it back on.
        "spark.python.sql.dataFrameDebugging.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        **{key: value for key, value in conf.conf.items() if key not in _JAVA_OPTIONS},
    }


def run_quietly(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` in a child process, with its console output (its JVM's and
    the resolver's, which a JVM writes to the process's own stdout and stderr) captured."""
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)


class PrefetchFailed(RuntimeError):
    """The JVM packages could not be resolved or proven; ``log`` is the child's console output."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message)
        self.log = log


def prefetch(settings: Settings | None = None) -> list[str]:
    """Resolve the JVM packages into the cache, prove and record them, in a child process
    (``--resolve-here``) whose output is kept; one line per package, or ``PrefetchFailed``."""
    settings = settings or load_config()
    done = run_quietly("influence.spark", "--resolve-here", settings.model_dump_json())
    reports = [line for line in done.stdout.splitlines() if line.startswith("{")]
    jars = _resolved_jars(settings)
    if done.returncode != 0 or not reports or not jars:
        raise PrefetchFailed(failure_message(done.stderr, settings, done.returncode), done.stdout + done.stderr)
    return package_lines(done.stderr, json.loads(reports[-1]), jars)


def resolve_and_prove(settings: Settings) -> dict[str, str]:
    """In this process: resolve the JVM packages (the resolver logging to stderr), prove each
    with a real call, then record the resolved files. Returns what proved each package."""
    listing = _resolved_listing(settings)
    listing.unlink(missing_ok=True)
    spark = get_spark(settings)
    jars = [j for j in spark.sparkContext.getConf().get("spark.jars", "").split(",") if j]
    if not jars:
        raise RuntimeError(f"Spark resolved no JARs for {jvm_packages(settings)}")
    delta, graphframes = jvm_packages(settings)
    proofs = {delta: _prove_delta(spark), graphframes: _prove_graphframes(spark)}
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(jars) + "\n")
    return proofs


def _prove_delta(spark: SparkSession) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        table = f"{tmp}/proof"
        spark.range(3).write.format("delta").save(table)
        if spark.read.format("delta").load(table).count() != 3:
            raise RuntimeError("Delta round trip returned the wrong row count")
    return "Delta write proven"


def _prove_graphframes(spark: SparkSession) -> str:
    from graphframes import GraphFrame

    vertices = spark.createDataFrame([("a",), ("b",), ("c",), ("d",)], ["id"])
    edges = spark.createDataFrame([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")], ["src", "dst"])
    ranked = GraphFrame(vertices, edges).pageRank(resetProbability=0.15, maxIter=5).vertices.collect()
    ranks = [row["pagerank"] for row in ranked]
    if len(ranks) != 4 or not all(rank > 0 for rank in ranks):
        raise RuntimeError(f"GraphFrames' PageRank of 4 vertices returned {ranks}")
    return f"GraphFrames PageRank proven ({len(ranks)} vertices, ranks {min(ranks):.2f}-{max(ranks):.2f})"


# What Spark's resolver (Ivy) logs: each module found, depth first from each package given;
# the repositories it tried for a module it did not find; the repositories added by
# spark.jars.repositories, named repo-1, repo-2...; and what stayed unresolved.
_FOUND = re.compile(r"^\s*found (\S+?)#(\S+?);(\S+) in ", re.MULTILINE)
_TRIED = re.compile(r"^\s*==== (\S+): tried", re.MULTILINE)
_ADDED = re.compile(r"^(\S+) added as a remote repository with the name: (\S+)", re.MULTILINE)
_UNRESOLVED = re.compile(r"unresolved dependency: (\S+?)#(\S+?);([^:\s]+): ")


def jars_by_package(log: str, packages: list[str], jars: list[str]) -> dict[str, list[str]]:
    """Each package's resolved JARs, from the resolver's log: a module belongs to the package
    last found before it (one that two packages share, to the first). Spark names a JAR
    ``<group>_<artifact>-<version>[-<classifier>].jar``."""
    owned: dict[str, list[str]] = {package: [] for package in packages}
    roots = {package.rsplit(":", 1)[0]: package for package in packages}
    unowned = list(jars)
    owner = None
    for group, artifact, version in _FOUND.findall(log):
        owner = roots.get(f"{group}:{artifact}", owner)
        if owner is None:
            continue
        stem = f"{group}_{artifact}-{version}"
        mine = [j for j in unowned if Path(j).name == f"{stem}.jar" or Path(j).name.startswith(f"{stem}-")]
        owned[owner] += mine
        unowned = [j for j in unowned if j not in mine]
    return owned


def package_lines(log: str, proofs: dict[str, str], jars: list[str]) -> list[str]:
    """One line per package: how many JARs it resolved to and what proved it."""
    owned = jars_by_package(log, list(proofs), jars)
    return [f"{package}: resolved ({len(owned[package])} JARs), {proof}" for package, proof in proofs.items()]


def failure_message(log: str, settings: Settings, returncode: int) -> str:
    """What failed, named from the resolver's log, and how to add a repository."""
    packages = ", ".join(jvm_packages(settings))
    unresolved = list(dict.fromkeys(":".join(module) for module in _UNRESOLVED.findall(log)))
    if not unresolved:
        return (f"the JVM packages ({packages}) were not resolved and proven (exit {returncode}); "
                "the child's output is above")
    urls = {name: url for url, name in _ADDED.findall(log)}
    tried = [f"{name} ({urls[name]})" if name in urls else name for name in dict.fromkeys(_TRIED.findall(log))]
    tried = tried or ["Maven Central", *settings.spark.repositories]
    return (f"Spark's resolver found no {', '.join(unresolved)} (for {packages}) in {', '.join(tried)}. "
            "To add a company mirror or a local repository, set spark.repositories in the config "
            "(spark: {repositories: [https://mirror.example/maven2]}) or "
            "INFLUENCE_SPARK__REPOSITORIES='[\"https://mirror.example/maven2\"]'; "
            "spark.graphframes_package (INFLUENCE_SPARK__GRAPHFRAMES_PACKAGE) names another GraphFrames build.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefetch", action="store_true", help="resolve, prove and cache the JVM packages")
    parser.add_argument("--no-class-archive", dest="class_archive", action="store_false",
                        help="with --prefetch: do not make the drivers' class archive (influence.class_archive)")
    parser.add_argument("--resolve-here", metavar="SETTINGS_JSON",
                        help="what --prefetch runs in a child: resolve and prove in this process, the resolver "
                             "logging to stderr; prints the proofs as JSON")
    args = parser.parse_args(argv)
    if args.resolve_here:
        print(json.dumps(resolve_and_prove(Settings.model_validate_json(args.resolve_here))))
        return 0
    if not args.prefetch:
        parser.print_help()
        return 0
    try:
        lines = prefetch()
    except PrefetchFailed as failure:
        sys.stderr.write(f"{failure.log.rstrip()}\n\nerror: {failure}\n")
        return 1
    print("\n".join(lines))
    if args.class_archive:
        from influence import class_archive

        started = time.perf_counter()
        made = class_archive.build()
        if made is not None:
            print(f"JVM class archive ready: {made} ({made.stat().st_size / 2**20:.0f} MiB, "
                  f"{time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
