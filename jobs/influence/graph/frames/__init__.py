"""Graph algorithms on Spark DataFrames, for the ``graphframes`` engine.

Every function here takes the graph as DataFrames and returns DataFrames: nothing is
collected to the driver but scalars (convergence checks, counts). The graph's users are
numbered once by the engine, in the order of their ids, so that the smallest number is the
smallest id:

- ``vertices``: ``id: long``, one row per user;
- ``edges``: ``src: long, dst: long, weight: double``, one row per directed pair, no
  self-loops (``silver/edges`` aggregated as the engine receives it).

Iterative algorithms cut their lineage with ``step`` so that plans stay small and a lost
executor recomputes a few iterations, not all of them.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

# A reliable checkpoint (to the session's checkpoint directory) every this many iterations;
# a local one (executor storage) in between.
CHECKPOINT_EVERY = 5


def step(frame: DataFrame, iteration: int, *, every: int = CHECKPOINT_EVERY) -> DataFrame:
    """``frame`` materialised with its lineage cut: a checkpoint every ``every`` iterations,
    a local checkpoint otherwise. One Spark job.

    The result carries no size estimate. A checkpoint keeps its plan's estimate, and the
    estimate of a join is the product of its sides' estimates, so in a loop that joins its
    last result the estimates grow geometrically: on CollegeMsg, by the 30th iteration the
    planner spent minutes multiplying numbers millions of digits long and then failed.
    """
    cut = frame.checkpoint(eager=True) if every > 0 and iteration % every == 0 else frame.localCheckpoint(eager=True)
    return without_size_estimate(cut)


def without_size_estimate(frame: DataFrame) -> DataFrame:
    """The same rows over the same RDD, planned as a scan of unknown size (no extra job)."""
    session = frame._jdf.sparkSession()
    rebuilt = session.internalCreateDataFrame(frame._jdf.queryExecution().toRdd(), frame._jdf.schema(), False)
    return DataFrame(rebuilt, frame.sparkSession)
