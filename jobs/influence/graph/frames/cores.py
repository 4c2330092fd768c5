"""Numbering the users, their core numbers with GraphFrames, and the check that GraphFrames is there."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from influence.errors import InfluenceError


def number_users(edges: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``names`` (``user_id, id``): each user's number, its rank in the order of user ids; and
    the edges as numbers (``src, dst, weight``).

    The numbers are the users' ranks, so the smallest number is the smallest id (which names
    a community) and the driver engine's numbering is the same. Counted per range partition
    and offset, without a window over one partition. Cost: one sort of the users, 2 jobs.
    """
    users = (edges.select(F.col("src").alias("user_id")).union(edges.select(F.col("dst").alias("user_id")))
             .distinct().repartitionByRange("user_id").sortWithinPartitions("user_id")
             .withColumn("partition", F.spark_partition_id())
             .withColumn("position", F.monotonically_increasing_id()).localCheckpoint(eager=True))
    counts = users.groupBy("partition").agg(F.count(F.lit(1)).alias("rows"), F.min("position").alias("first"))
    offsets = sorted((row["partition"], row["rows"], row["first"]) for row in counts.collect())
    start, shifts = 0, []
    for partition, rows, first in offsets:  # one row per partition
        shifts.append((partition, start - first))
        start += rows
    shift = users.sparkSession.createDataFrame(shifts, "partition int, shift long")
    names = (users.join(F.broadcast(shift), "partition")
             .select("user_id", (F.col("position") + F.col("shift")).alias("id")).localCheckpoint(eager=True))
    source = names.select(F.col("user_id").alias("src"), F.col("id").alias("src_id"))
    target = names.select(F.col("user_id").alias("dst"), F.col("id").alias("dst_id"))
    numbered = (edges.join(source, "src").join(target, "dst")
                .select(F.col("src_id").alias("src"), F.col("dst_id").alias("dst"),
                        F.col("weight").cast("double").alias("weight")).localCheckpoint(eager=True))
    return names, numbered


def core_numbers(edges: DataFrame, vertices: DataFrame) -> DataFrame:
    """``id, kcore``: each user's core number on the undirected simple graph, by GraphFrames'
    ``k_core`` (Mandal and Al Hasan, "A distributed k-core decomposition algorithm on Spark",
    IEEE BigData 2017), exact, as igraph's coreness. One edge per unordered pair: GraphFrames
    counts a reciprocated pair twice otherwise."""
    from graphframes import GraphFrame

    pairs = (edges.select(F.least("src", "dst").alias("src"), F.greatest("src", "dst").alias("dst"))
             .distinct())
    cores = GraphFrame(vertices, pairs).k_core(use_local_checkpoints=True)
    return vertices.join(cores.select("id", "kcore"), "id", "left").select(
        "id", F.coalesce("kcore", F.lit(0)).alias("kcore"))


def require_graphframes(spark: SparkSession) -> None:
    """Fails before any work when GraphFrames' JVM package is not on the session's classpath."""
    try:
        jvm = spark.sparkContext._jvm
        # spark.jars reach the thread's context class loader, not the system one
        jvm.java.lang.Class.forName("org.graphframes.GraphFrame", True,
                                    jvm.java.lang.Thread.currentThread().getContextClassLoader())
    except Exception:  # py4j wraps the JVM's ClassNotFoundException
        raise InfluenceError(
            "the graphframes engine needs GraphFrames' JVM package, which this session does not have: "
            "run `make setup` (or `python -m influence.spark --prefetch`) with spark.graphframes_package "
            "and, behind a mirror, spark.repositories set (README, 'JVM packages')") from None
