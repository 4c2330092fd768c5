"""Per-user metrics -> the gold scores rows (pure)."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from influence import tables


def assemble_scores(degrees: DataFrame, metrics: DataFrame, *, as_of: date, run_id: str) -> DataFrame:
    """Join degrees with the engine's metrics and rank users, in the gold schema.

    ``rank`` 1 is the highest PageRank; ties go to the smaller ``user_id`` so that a rerun
    ranks the same way.
    """
    by_pagerank = Window.orderBy(F.col("pagerank").desc(), F.col("user_id"))
    scored = (
        degrees.join(metrics, "user_id", "inner")
        .withColumn("rank", F.row_number().over(by_pagerank))
        .withColumn("as_of_date", F.lit(as_of))
        .withColumn("run_id", F.lit(run_id))
    )
    return tables.conform(scored, tables.SCORES)
