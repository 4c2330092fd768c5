"""The window's interactions that lockstep detection reads (pure): ``influence.graph.authenticity``
detects on the driver, so Spark hands it only the interactions around busy (target, hour)
cells, a few percent of a window's interactions.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def lockstep_events(interactions: DataFrame, *, window_start: int, bucket_seconds: int,
                    min_accounts: int) -> DataFrame:
    """``actor_id, target_id, seconds`` (unix) of every interaction whose target received at
    least ``min_accounts`` interactions in its bucket and the two next to it.

    Time is cut into buckets of ``bucket_seconds`` from ``window_start`` (unix seconds). The
    detectors read single interactions only in (target, window) cells, a window being two
    neighbouring buckets, with at least ``min_accounts`` distinct actors
    (``influence.graph.authenticity.lockstep_candidates``, the exact filter in numpy); every
    interaction of such a cell has at least that many interactions on its target in its
    bucket and its neighbours, so this keeps all of them (and a few more, which change no
    group). Counting interactions rather than distinct actors, and three buckets rather
    than each window's two, is what makes it cheap: one aggregation with map-side
    combining, a window over the (target, bucket) counts, and a join back. Cost: O(m) for m
    interactions, one shuffle of them and one of their (target, bucket) counts.
    """
    seconds = F.unix_seconds("occurred_at")
    events = interactions.select(
        "actor_id", "target_id", seconds.alias("seconds"),
        F.floor((seconds - F.lit(window_start)) / F.lit(bucket_seconds)).cast("long").alias("bucket"))
    around = Window.partitionBy("target_id").orderBy("bucket").rangeBetween(-1, 1)
    busy = (events.groupBy("target_id", "bucket").count()
            .withColumn("around", F.sum("count").over(around))
            .where(F.col("around") >= min_accounts)
            .select("target_id", "bucket"))
    return events.join(busy, ["target_id", "bucket"], "left_semi").select("actor_id", "target_id", "seconds")
