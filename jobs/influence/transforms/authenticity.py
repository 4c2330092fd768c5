"""The window's interactions that lockstep detection reads (pure): ``influence.graph.authenticity``
detects on the driver, so Spark hands it only the interactions in busy (target, time window)
cells, about 5% of a window's interactions.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def lockstep_events(interactions: DataFrame, *, window_start: int, bucket_seconds: int,
                    min_accounts: int) -> DataFrame:
    """``actor_id, target_id, seconds`` (unix) of each interaction that falls in a (target,
    window) cell with at least ``min_accounts`` distinct actors, each interaction once.

    Time is cut into buckets of ``bucket_seconds`` from ``window_start`` (unix seconds);
    window w holds buckets w and w + 1, so an interaction in bucket b lies in windows b - 1
    and b (``influence.graph.authenticity.lockstep_candidates`` is the same filter in numpy,
    and the detectors give the same groups from these interactions as from all of them).
    Cost: one shuffle of the interactions by (target, window), twice each, and a join back.
    """
    seconds = F.unix_seconds("occurred_at")
    events = interactions.select(
        "event_id", "actor_id", "target_id", seconds.alias("seconds"),
        F.floor((seconds - F.lit(window_start)) / F.lit(bucket_seconds)).cast("long").alias("bucket"))
    in_windows = events.withColumn("window", F.explode(F.array(F.col("bucket") - 1, F.col("bucket"))))
    busy = (in_windows.groupBy("target_id", "window").agg(F.count_distinct("actor_id").alias("actors"))
            .where(F.col("actors") >= min_accounts).select("target_id", "window"))
    return (in_windows.join(busy, ["target_id", "window"], "left_semi")
            .select("event_id", "actor_id", "target_id", "seconds").distinct()
            .select("actor_id", "target_id", "seconds"))
