"""Delta Lake reads and writes. Tables are created from their contract in ``schemas/``."""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from delta import exceptions as delta_errors
from delta.tables import DeltaTable
from pyspark import inheritable_thread_target
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from influence import tables
from influence.config import MIN_RETAIN_HOURS
from influence.errors import InfluenceError
from influence.io import gold


log = logging.getLogger(__name__)
Result = TypeVar("Result")
COMMIT_ATTEMPTS = 6
RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
# delta-spark's conflict exceptions share no base class of their own.
CONFLICTS = (
    delta_errors.DeltaConcurrentModificationException, delta_errors.ConcurrentWriteException,
    delta_errors.MetadataChangedException, delta_errors.ProtocolChangedException,
    delta_errors.ConcurrentAppendException, delta_errors.ConcurrentDeleteReadException,
    delta_errors.ConcurrentDeleteDeleteException, delta_errors.ConcurrentTransactionException,
)


# What Delta raises while another process is creating the same table: its folder exists but
# not its log yet, or its log folder exists but not its first commit yet.
RACING_CREATE = ("DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION", "DELTA_TABLE_NOT_FOUND")


def with_commit_retries(what: str, commit: Callable[[], Result],
                        racing: tuple[str, ...] = RACING_CREATE[:1]) -> Result:
    """Run a Delta commit, retrying when another writer committed first.

    Delta's optimistic concurrency refuses a commit that conflicts with one made since
    it read the table; running it again re-reads the table, so a merge then sees the
    rows the other writer inserted (and counts them as duplicates). After the last
    attempt the conflict is an error, never swallowed.
    """
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return commit()
        except (*CONFLICTS, AnalysisException) as exc:
            if isinstance(exc, AnalysisException) and not any(code in str(exc) for code in racing):
                raise
            if attempt == COMMIT_ATTEMPTS:
                raise InfluenceError(f"{what}: another writer kept committing first ({attempt} attempts): "
                                     f"{type(exc).__name__}") from exc
            pause = 0.2 * 2 ** attempt * (0.5 + random.random())
            log.warning("%s conflicted with a concurrent commit (%s); retrying in %.1f s",
                        what, type(exc).__name__, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")


def date_predicate(column: str, first: date, last: date) -> str:
    return (f"{column} = '{first.isoformat()}'" if first == last
            else f"{column} >= '{first.isoformat()}' AND {column} <= '{last.isoformat()}'")


# The (lake, table) pairs whose logs this process has prefetched (Lake.prefetch).
_PREFETCHED: set[tuple[Path, str]] = set()
_PREFETCHED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Replacement:
    """Rows ``df`` that replace every row of table ``name`` matching the SQL predicate ``where``."""

    df: DataFrame
    name: str
    where: str

    @classmethod
    def of_range(cls, df: DataFrame, name: str, column: str, first: date, last: date) -> "Replacement":
        """The rows whose ``column`` lies in [first, last]."""
        return cls(df, name, date_predicate(column, first, last))

    @classmethod
    def of_partition(cls, df: DataFrame, name: str, column: str, value: date) -> "Replacement":
        """The rows whose ``column`` equals ``value``."""
        return cls.of_range(df, name, column, value, value)


class Lake:
    """A lake folder: ``<root>/<layer>/<table>``, one Delta table each."""

    def __init__(self, spark: SparkSession, root: Path | str):
        self.spark = spark
        self.root = Path(root).expanduser().resolve()

    def path(self, name: str) -> str:
        return tables.table(name).path(self.root)

    def exists(self, name: str) -> bool:
        return DeltaTable.isDeltaTable(self.spark, self.path(name))

    def committed(self, name: str) -> bool:
        """Whether the table has a first commit, from its log folder alone (no JVM call)."""
        log_folder = Path(self.path(name)) / "_delta_log"
        return log_folder.is_dir() and any(
            entry.name.split(".")[0].isdigit() for entry in log_folder.iterdir() if entry.is_file())

    def ensure(self, name: str) -> None:
        """Create the table empty from its contract unless it has a commit already.

        A write then goes to a table with the contract's partitioning, nullability and
        comment; columns added to the contract since reach it through the write's
        ``mergeSchema``. Checking the log folder first spares a Delta call per write.
        """
        if self.committed(name):
            return
        contract = tables.table(name)
        builder = (
            DeltaTable.createIfNotExists(self.spark)
            .location(self.path(name))
            .addColumns(contract.schema)
            .comment(contract.description)
        )
        if contract.partition_by:
            builder = builder.partitionedBy(*contract.partition_by)
        with_commit_retries(f"create {name}", builder.execute, racing=RACING_CREATE)

    def read(self, name: str) -> DataFrame:
        if not self.exists(name):
            raise InfluenceError(f"{self.path(name)} does not exist yet: nothing has been written to {name}")
        return self.spark.read.format("delta").load(self.path(name))

    def read_range(self, name: str, column: str, first: date, last: date) -> DataFrame:
        """The rows of the latest version whose partition ``column`` lies in [first, last].

        The data files come from the Delta log through delta-rs and Spark reads them as
        Parquet: Spark's Delta reader would first replay the log in Spark jobs, 6 to 7 s of a
        cold process (``bench/results/window-cache.md``). A table with deletion vectors, or
        with folders not named by their partition value, is read through the Delta reader.
        """
        if not self.committed(name):
            raise InfluenceError(f"{self.path(name)} does not exist yet: nothing has been written to {name}")
        files = gold.files_in_range(self.root, name, column, first, last)
        if files is None or any(f"/{column}=" not in file for file in files):  # a folder not named by its value
            return self.read(name).where(F.col(column).between(F.lit(first), F.lit(last)))
        schema = tables.table(name).schema
        if not files:
            return self.spark.createDataFrame([], schema)
        # The partition column, which Parquet files do not hold, comes from the folders' names.
        return self.spark.read.schema(schema).option("basePath", self.path(name)).parquet(*files) \
            .select(*schema.fieldNames())

    def append(self, df: DataFrame, name: str) -> None:
        self.ensure(name)
        rows = tables.conform(df, name)
        with_commit_retries(f"append to {name}", lambda: rows.write.format("delta").mode("append")
                            .option("mergeSchema", "true").save(self.path(name)))

    def replace_partition(self, df: DataFrame, name: str, column: str, value: date) -> None:
        """Atomically replace every row whose ``column`` equals ``value`` with ``df``.

        Rerunning a date replaces its rows instead of adding to them: the write is
        idempotent per date, and readers see the old rows or the new ones, never a mix.
        """
        self.replace_range(df, name, column, value, value)

    def replace_range(self, df: DataFrame, name: str, column: str, first: date, last: date) -> None:
        """Atomically replace every row whose ``column`` lies in [first, last] with ``df``."""
        self.replace_where(df, name, date_predicate(column, first, last))

    def replace_concurrently(self, replacements: Sequence[Replacement]) -> None:
        """Each replacement as :meth:`replace_where` does it, all at once: one thread each, so
        that one table's commit and log reading overlap another's write (a commit is mostly
        the driver waiting on the file system and on small Spark jobs). Each table still
        commits once, atomically; the first failure is raised once every write has ended."""
        if len(replacements) <= 1:
            for r in replacements:
                self.replace_where(r.df, r.name, r.where)
            return
        write = inheritable_thread_target(self.spark)(lambda r: self.replace_where(r.df, r.name, r.where))
        with ThreadPoolExecutor(len(replacements), thread_name_prefix="publish") as pool:
            futures = [pool.submit(write, r) for r in replacements]
            wait(futures)
        for future in futures:
            future.result()

    def prefetch(self, reads: Sequence[tuple[str, str]]) -> threading.Thread:
        """Make, in a background thread, the reads that later writes will make of these
        ``(table, SQL predicate)``: each committed table's log replayed into a snapshot, and
        the files the predicate selects planned (with a one-row read). A cold JVM's first Delta
        calls take seconds of one core, mostly planning; a command starts them while it
        computes, when the other core is mostly idle, and its writes then find the snapshots
        loaded. Each table once per process: Delta keeps the snapshots it has loaded (a
        backfill's later dates, a test session). A failure here only leaves the work to the
        write."""
        with _PREFETCHED_LOCK:
            reads = [(name, where) for name, where in reads
                     if self.committed(name) and (self.root, name) not in _PREFETCHED]
            _PREFETCHED.update((self.root, name) for name, _ in reads)

        def load() -> None:
            for name, where in reads:
                try:
                    self.spark.read.format("delta").load(self.path(name)).where(where).isEmpty()
                except Exception as error:  # the write will read the log itself, and report what fails
                    log.debug("prefetch of %s failed: %s", name, error)

        thread = threading.Thread(target=inheritable_thread_target(self.spark)(load), name="prefetch", daemon=True)
        thread.start()
        return thread

    def replace_where(self, df: DataFrame, name: str, where: str) -> None:
        """Atomically replace every row matching the SQL predicate ``where`` with ``df``."""
        self.ensure(name)
        # Delta itself refuses rows that fall outside the replaceWhere predicate.
        # mergeSchema: a table written by an earlier version gains the columns added since.
        writer = (tables.conform(df, name).write.format("delta").mode("overwrite").option("replaceWhere", where)
                  .option("mergeSchema", "true"))
        with_commit_retries(f"replace {name} {where}", lambda: writer.save(self.path(name)))

    def partition_values(self, name: str, column: str) -> set:
        """The values of the table's partition column ``column``, from its Delta log (delta-rs:
        no Spark job, which on a short run's cold JVM costs seconds); through Spark for a table
        with deletion vectors. Empty for a table not created yet."""
        if column not in tables.table(name).partition_by:
            raise ValueError(f"{column} is not a partition column of {name}")
        values = gold.partition_values(self.root, name, column)
        if values is None:
            values = {row[0] for row in self.read(name).select(column).distinct().collect()}
        return values

    def column_values(self, name: str, column: str) -> set:
        """Every value of ``column`` in a small table (a manifest), read with delta-rs."""
        return gold.column_values(self.root, name, column)

    def latest_before(self, name: str, column: str, before: date | None = None) -> date | None:
        """The latest value of the partition column ``column`` below ``before`` (the previous
        scored date; None: the latest of all), or None when there is none."""
        values = [v for v in self.partition_values(name, column) if before is None or v < before]
        return max(values, default=None)

    def insert_new(self, df: DataFrame, name: str, partition_column: str, first: date, last: date) -> int:
        """Insert the rows whose key is not in the table yet; return how many were inserted.

        ``first`` and ``last`` bound the rows' ``partition_column``. The merge matches on the
        table's key and its partition column within those bounds, so it reads only those
        partitions of the table, however long its history (without the bounds, Delta reads
        every file to join them).
        """
        contract = tables.table(name)
        self.ensure(name)
        condition = " AND ".join([*(f"t.{c} = s.{c}" for c in (*contract.key, partition_column)),
                                  date_predicate(f"t.{partition_column}", first, last)])
        source = tables.conform(df, name)

        def merge() -> Row:
            # Built afresh each attempt, from the table as it is then: a retry after another
            # writer's commit (or while its creation of the table completes) plans against
            # that commit, not the snapshot the first attempt read. The merge reports its own
            # metrics: right even when it commits nothing, or when another writer commits in
            # between (the table's history would not be).
            target = DeltaTable.forPath(self.spark, self.path(name))
            return target.alias("t").merge(source.alias("s"), condition).whenNotMatchedInsertAll().execute().first()

        metrics = with_commit_retries(f"merge into {name}", merge, racing=RACING_CREATE)
        return int(metrics["num_inserted_rows"])

    def vacuum(self, name: str, retain_hours: float) -> None:
        """Delete the files no version of the last ``retain_hours`` needs.

        Below 168 h Delta refuses unless its own check is off; callers decide that first
        (``maintain --force``, ``forget``), so here it is switched off for this call only.
        """
        table = DeltaTable.forPath(self.spark, self.path(name))
        if retain_hours >= MIN_RETAIN_HOURS:
            table.vacuum(float(retain_hours))
            return
        previous = self.spark.conf.get(RETENTION_CHECK, "true")
        self.spark.conf.set(RETENTION_CHECK, "false")
        try:
            table.vacuum(float(retain_hours))
        finally:
            self.spark.conf.set(RETENTION_CHECK, previous)

    def merge_delete(self, name: str, source: DataFrame, condition: str) -> int:
        """Delete the rows that match a row of ``source``; return how many.

        A merge rather than a DELETE with the values in its predicate: Delta writes a
        DELETE's predicate into the table's log, and the values may be what is erased.
        """
        merge = DeltaTable.forPath(self.spark, self.path(name)).alias("t").merge(source.alias("s"), condition)
        metrics = with_commit_retries(f"delete from {name}", lambda: merge.whenMatchedDelete().execute().first())
        return int(metrics["num_deleted_rows"])

    def merge_update(self, name: str, source: DataFrame, condition: str, values: dict) -> int:
        """Update the rows that match ``source`` (one row) with ``values``; return how many."""
        merge = DeltaTable.forPath(self.spark, self.path(name)).alias("t").merge(source.alias("s"), condition)
        metrics = with_commit_retries(f"update {name}", lambda: merge.whenMatchedUpdate(set=values).execute().first())
        return int(metrics["num_updated_rows"])

    def drop_history(self, name: str) -> int:
        """Make the current version the only one: no older version can be read afterwards.

        Deletion vectors are purged into rewritten files, files no current row needs are
        vacuumed at once, and the log is cut at a checkpoint of the current version (the
        older commits and checkpoints hold column statistics, which name values). Returns
        how many older versions were dropped. Readers of an older version, and writers
        committing meanwhile, fail: run it when nothing else uses the table.
        """
        path = self.path(name)
        table = f"delta.`{path.replace('`', '``')}`"
        self.spark.sql(f"REORG TABLE {table} APPLY (PURGE)").collect()
        log.warning("VACUUM %s with a retention of 0 h: the %d h guard is overridden for erasure, so no "
                    "version before now stays readable", name, MIN_RETAIN_HOURS)
        self.vacuum(name, 0)
        # With an interval of 1, the commit that sets it is checkpointed as it lands.
        self.spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ('delta.checkpointInterval' = '1')")
        version = DeltaTable.forPath(self.spark, path).history(1).select("version").first()[0]
        folder = Path(path) / "_delta_log"
        if not list(folder.glob(f"{version:020d}.checkpoint*.parquet")):
            raise InfluenceError(f"{name}: no checkpoint of version {version} was written; its history was kept")
        dropped = set()
        for entry in folder.iterdir():
            digits = entry.name.lstrip(".")[:20]
            if entry.is_file() and digits.isdigit() and int(digits) < version:
                dropped.add(int(digits))
                entry.unlink()
        self.spark.sql(f"ALTER TABLE {table} UNSET TBLPROPERTIES ('delta.checkpointInterval')")
        return len(dropped)
