"""Score one date: build the window's graph, compute metrics, audit, publish."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from influence import quality, tables
from influence.config import Settings
from influence.errors import InfluenceError
from influence.graph.engines import choose_engine
from influence.io.lake import Lake, Replacement, date_predicate
from influence.pipelines import Step, authenticity, new_run_id, no_progress
from influence.privacy import pseudonymization_key, with_pseudonymous_ids
from influence.spark import local_checkpoints_released
from influence.transforms.edges import build_edges, in_window, window_bounds
from influence.transforms.illusion import illusions, top_topics, topic_users
from influence.transforms.impressions import (AUDIENCE_SOURCES, concentration, impressions_daily,
                                              posts_by_audience_source, visible_posts)
from influence.transforms.lists import LISTS, list_rows
from influence.transforms.roles import GLOBAL, mass_premise_note, memberships, role_rows, scoped, with_role_changes
from influence.transforms.scores import (contact_figures, explained_scores, network_summary, rank_shifts,
                                         ranked_users, spearman, user_figures, with_authenticity)

# The summary's authenticity fields, null unless the detectors ran and the authentic score ruled.
AUTHENTICITY_FIGURES = ("anomaly_groups", "flagged_accounts", "users_moved", "rank_shift_max", "rank_shift_median",
                        "top100_pushed_out")
# The tables whose candidate rows a score audits before it publishes them.
AUDITED = (tables.EDGES, tables.IMPRESSIONS, tables.SCORES, tables.SEGMENTS, tables.ANOMALIES,
           tables.NETWORK_SUMMARY)


@dataclass(frozen=True)
class ScoreReport:
    run_id: str
    as_of: date
    window_days: int
    users: int
    edges: int
    interactions: int
    engine: str
    summary: dict[str, Any] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)


def latest_event_date(lake: Lake) -> date:
    latest = lake.latest_before(tables.INTERACTIONS, "event_date")
    if latest is None:
        raise InfluenceError(f"{tables.INTERACTIONS} holds no interactions: ingest an export first")
    return latest


def seed_for(as_of: date) -> int:
    """The seed of every randomised algorithm for a date: reruns give the same rows."""
    return as_of.year * 10_000 + as_of.month * 100 + as_of.day


# The tables whose rows of one date a score replaces (the impressions, the window's dates: prefetched apart).
PUBLISHED_BY_DATE = ((tables.EDGES, "as_of_date"), (tables.SCORES, "as_of_date"), (tables.SEGMENTS, "as_of_date"),
                     (tables.ANOMALIES, "as_of_date"), (tables.NETWORK_SUMMARY, "as_of_date"))


def run(spark: SparkSession, settings: Settings, lake_root: Path, as_of: date | None = None,
        window_days: int | None = None, engine: str | None = None, step: Step = no_progress) -> ScoreReport:
    with local_checkpoints_released(spark):
        return _run(spark, settings, lake_root, as_of, window_days, engine, step)


def _run(spark: SparkSession, settings: Settings, lake_root: Path, as_of: date | None, window_days: int | None,
         engine: str | None, step: Step) -> ScoreReport:
    lake = Lake(spark, lake_root)
    settings = with_pseudonymous_ids(settings, pseudonymization_key())
    window_days = window_days or settings.window_days
    run_id = new_run_id("score")
    with step("read bronze"):
        as_of = as_of or latest_event_date(lake)
        bounds = window_bounds(as_of, window_days)  # the window's first and last dates
        interactions = lake.read_range(tables.INTERACTIONS, "event_date", *bounds)
        lake.prefetch([(name, date_predicate(column, as_of, as_of)) for name, column in PUBLISHED_BY_DATE]
                      + [(tables.IMPRESSIONS, date_predicate("date", *bounds))])
    stage_seconds: dict[str, float] = {}
    started = time.perf_counter()

    # Freed also when a step fails (a failed audit, a conflict): a backfill or a long-lived
    # session goes on to the next date with nothing of this one held in memory.
    held: list[DataFrame] = []

    def kept(df: DataFrame) -> DataFrame:
        held.append(df.cache())
        return held[-1]

    try:
        # Where a row came from is not scored: kept out of the cache, which is then about a third smaller.
        window = kept(in_window(interactions, as_of, window_days, settings.exclude_users)
                      .drop("source_file", "ingest_run_id"))
        with step("build edges"):
            edges = kept(build_edges(
                window, as_of=as_of, window_days=window_days, type_weights=settings.type_weights,
                half_life_days=settings.half_life_days, reciprocity_boost=settings.reciprocity_boost,
            ))
            totals = edges.agg(F.count(F.lit(1)).alias("edges"), F.sum("interactions").alias("interactions")).first()
            n_edges, n_interactions = totals["edges"], totals["interactions"]
            if n_edges == 0:
                raise InfluenceError(f"no interactions in the {window_days} days up to {as_of}: nothing to score")
            chosen, reason = choose_engine(engine or settings.engine, n_edges, settings)
        stage_seconds["edges"] = _since(started)

        with step(f"compute metrics ({chosen.name}: {reason})"):
            result = chosen.compute(spark, edges, settings, seed=seed_for(as_of))
        stage_seconds.update({f"metrics_{k}": v for k, v in result.summary.get("stage_seconds", {}).items()})

        with step("engagement authenticity"):
            assessment = authenticity.assess(spark, edges, result.metrics, window, as_of=as_of,
                                             window_days=window_days, n_edges=n_edges, settings=settings,
                                             run_id=run_id)
        stage_seconds.update(assessment.seconds)
        authentic = assessment.per_user is not None and settings.authenticity.authentic_scores

        started = time.perf_counter()
        with step("impressions and scores"):
            impressions = settings.impressions
            contacts = kept(contact_figures(edges, result.metrics))
            posts = kept(visible_posts(window, visible_types=impressions.visible_types,
                                       audience=impressions.audience, default_audience=impressions.default_audience,
                                       publications=impressions.publications, engaged=contacts))
            # Audited, then written: clustered by date, so that each date's rows make one file.
            daily = kept(impressions_daily(posts, run_id=run_id).repartition("date"))
            previous = lake.latest_before(tables.SCORES, "as_of_date", as_of)
            previous_ranks = None if previous is None else F.broadcast(
                lake.read(tables.SCORES).where(F.col("as_of_date") == F.lit(previous)).select("user_id", "rank"))
            users = with_authenticity(user_figures(result.metrics, contacts, posts, window), assessment.per_user)
            ranked = in_one_partition(ranked_users(users.coalesce(1), settings.score_weights, authentic=authentic))
            scores = explained_scores(ranked, edges, previous_ranks=previous_ranks, as_of=as_of,
                                      run_id=run_id).localCheckpoint()
            n_users = scores.count()
            moved = rank_shifts(ranked) if authentic else {}
        stage_seconds["scores"] = _since(started)

        started = time.perf_counter()
        with step("roles and lists"):
            segments, mass_premise = _segments(lake, scores, authentic, window, settings, as_of, run_id)
            segments = segments.localCheckpoint()
        stage_seconds["segments"] = _since(started)

        started = time.perf_counter()
        with step("network figures"):
            figures = _figures(scores, segments, posts, window, edges, n_users, settings)
            figures["mass_roles_labelled"], figures["mass_roles_reason"] = mass_premise
            figures.update(dict.fromkeys(AUTHENTICITY_FIGURES), **assessment.figures, authentic_scores=authentic,
                           **moved)
        stage_seconds["figures"] = _since(started)

        summary = network_summary(
            result.summary, as_of=as_of, window_days=window_days, users=n_users, edges=n_edges,
            interactions=n_interactions, engine=chosen.name, engine_reason=reason, seed=seed_for(as_of),
            settings=settings, stage_seconds=stage_seconds, run_id=run_id, figures=figures)
        summary_frame = spark.createDataFrame([summary], schema=tables.table(tables.NETWORK_SUMMARY).schema)

        with step("audit"), quality.kept_on_failure(lake.root, as_of, run_id):
            quality.require_all({tables.EDGES: edges, tables.IMPRESSIONS: daily, tables.SCORES: scores,
                                 tables.SEGMENTS: segments, tables.ANOMALIES: assessment.anomalies,
                                 tables.NETWORK_SUMMARY: summary_frame})

        with step("publish"):
            lake.replace_concurrently([
                Replacement.of_partition(edges, tables.EDGES, "as_of_date", as_of),
                Replacement.of_range(daily, tables.IMPRESSIONS, "date", *bounds),
                Replacement.of_partition(scores, tables.SCORES, "as_of_date", as_of),
                Replacement.of_partition(segments, tables.SEGMENTS, "as_of_date", as_of),
                Replacement.of_partition(assessment.anomalies, tables.ANOMALIES, "as_of_date", as_of)])
            # Last, once the others have committed: a date with a summary row is published whole.
            lake.replace_partition(summary_frame, tables.NETWORK_SUMMARY, "as_of_date", as_of)

        top = [row.asDict() for row in scores.where(F.col("rank") <= settings.top).orderBy("rank").collect()]
    finally:
        for cached in held:
            cached.unpersist()
    return ScoreReport(run_id, as_of, window_days, n_users, n_edges, int(n_interactions), chosen.name,
                       {k: v for k, v in summary.items() if k not in ("run_id", "as_of_date")}, top)


def in_one_partition(df: DataFrame) -> DataFrame:
    """``df`` computed once, in one partition: windows over all its rows (percentiles, ranks)
    and joins with other one-partition frames then run where the rows are, with no shuffle.
    For the per-user frames: one row per user, far fewer than the interactions."""
    return df.coalesce(1).localCheckpoint()


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _segments(lake: Lake, scores: DataFrame, authentic: bool, window: DataFrame, settings: Settings,
              as_of: date, run_id: str) -> tuple[DataFrame, tuple[bool, str]]:
    """Roles and lists of every scope, with their changes since the previous scored date, and
    whether the global scope's mass roles are labelled (with the sentence that says why).
    When the ``authentic`` score ruled, list members it pushed out (by ``raw_rank``, the rank
    by the score with pagerank) get exit rows that say so."""
    previous_date = lake.latest_before(tables.SEGMENTS, "as_of_date", as_of)
    previous = None if previous_date is None else lake.read(tables.SEGMENTS).where(
        (F.col("as_of_date") == F.lit(previous_date)) & (F.col("change") != "exited"))
    members = memberships(scores, window, community_min_size=settings.scopes.community_min_size,
                          topics=settings.scopes.topics)
    ranked = scores if authentic else scores.drop("raw_rank")
    scoped_users = in_one_partition(scoped(ranked, members.coalesce(1), settings.roles))
    previous_roles = None if previous is None else previous.where(~F.col("segment").isin(list(LISTS)))
    previous_lists = None if previous is None else previous.where(F.col("segment").isin(list(LISTS)))
    roles = with_role_changes(role_rows(scoped_users), previous_roles, scoped_users)
    lists = list_rows(scoped_users, previous_lists, settings.lists)
    rows = roles.unionByName(lists).withColumn("as_of_date", F.lit(as_of)).withColumn("run_id", F.lit(run_id))
    premise = scoped_users.where(F.col("scope") == GLOBAL).select("mass_set_size", "active_users").first()
    return tables.conform(rows, tables.SEGMENTS), mass_premise_note(
        premise["mass_set_size"], premise["active_users"], settings.roles)


def _figures(scores: DataFrame, segments: DataFrame, posts: DataFrame, window: DataFrame, edges: DataFrame,
             n_users: int, settings: Settings) -> dict[str, Any]:
    """The date's summary figures: impressions concentration and their audiences' sources,
    honesty correlations, illusions."""
    # One small collect of per-user columns serves the concentration and both correlations.
    users = scores.select("impressions", "influence_score", "audience_size", "in_degree").toPandas()
    figures = concentration(users["impressions"].to_numpy(), share=settings.roles.mass_impressions_share)
    figures["mass_influencers"] = segments.where(
        (F.col("scope") == "global") & F.col("segment").isin("mass_connector", "mass_maven")
        & (F.col("change") != "exited")).count()
    by_source = {row["audience_source"]: row["posts"] for row in posts_by_audience_source(posts).collect()}
    figures["audience_sources"] = {source: int(by_source.get(source, 0)) for source in AUDIENCE_SOURCES}
    figures["followers_known"] = int(users["audience_size"].notna().sum())
    figures["score_spearman_followers"] = spearman(users["influence_score"], users["audience_size"])
    figures["score_spearman_in_degree"] = spearman(users["influence_score"], users["in_degree"])
    topics = topic_users(window).cache()  # the top topics, then their holders
    try:
        traits = [*settings.illusion.traits, *top_topics(topics, settings.illusion.top_topics)]
        figures["majority_illusion"] = illusions(traits, topics, edges, scores.select("user_id"), n_users,
                                                 contributors=settings.illusion.contributors)
    finally:
        topics.unpersist()
    return figures
