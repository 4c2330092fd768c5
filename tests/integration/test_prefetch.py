"""``Lake.prefetch``: the reads a later write makes, made early in a background thread."""

from __future__ import annotations

from influence import tables
from influence.io.lake import Lake
from tests.fixtures import interactions, utc


def _jobs_of(spark, group: str, work) -> list[int]:
    """The Spark jobs that ``work`` starts, its threads' included (they inherit the group)."""
    spark.sparkContext.setJobGroup(group, group)
    try:
        work()
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    return list(spark.sparkContext.statusTracker().getJobIdsForGroup(group))


def test_a_prefetch_reads_each_committed_table_once_in_a_thread_and_skips_the_others(spark, lake):
    store = Lake(spark, lake)
    store.append(interactions(spark, [("a", "b", "reply", utc(2026, 3, 1, 9))]), tables.INTERACTIONS)

    def prefetched(lake_store, reads):
        return lambda: lake_store.prefetch(reads).join(timeout=120)

    on_date = "event_date = '2026-03-01'"
    assert _jobs_of(spark, "prefetch-none", prefetched(store, [(tables.SCORES, "as_of_date = '2026-03-01'")])) == []
    assert _jobs_of(spark, "prefetch-bronze", prefetched(store, [(tables.INTERACTIONS, on_date)]))
    assert _jobs_of(spark, "prefetch-again", prefetched(store, [(tables.INTERACTIONS, on_date)])) == []
    # A predicate that cannot be read fails in the thread only: the write reports its own errors.
    other = Lake(spark, lake / "other")
    other.append(interactions(spark, [("a", "b", "reply", utc(2026, 3, 1, 9))]), tables.INTERACTIONS)
    thread = other.prefetch([(tables.INTERACTIONS, "no_such_column = 1")])
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert other.read(tables.INTERACTIONS).count() == 1
