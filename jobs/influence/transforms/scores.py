"""Per-user metrics -> the gold scores rows and the network summary row (pure)."""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

import pandas as pd
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from influence import tables
from influence.config import SCORED_METRICS, Settings

TOP_ENGAGERS = 20


def contact_figures(edges: DataFrame, communities: DataFrame) -> DataFrame:
    """One row per user on an edge: ``in_degree`` (distinct users who engaged them),
    ``out_degree`` (distinct users they engaged), ``engagement_received`` (interactions aimed
    at them), ``engaged_audience`` (distinct other users who engaged them), ``contacts`` (users engaged with in either direction), ``reciprocity`` (share of
    contacts with edges both ways) and ``communities_reached`` (distinct communities among the
    contacts; ``communities``: ``user_id, community_id``).

    Each edge is seen from both ends and grouped by user in one shuffle: edges are unique per
    (src, dst) and ``reciprocal`` says the reverse edge exists, so distinct contacts are the
    out-edges plus the in-edges not answered, without a distinct count.
    """
    ends = edges.select(F.explode(F.array(
        F.struct(F.col("src").alias("user_id"), F.col("dst").alias("contact"), F.lit(True).alias("engages"),
                 F.lit(0).cast("long").alias("received"), "reciprocal"),
        F.struct(F.col("dst").alias("user_id"), F.col("src").alias("contact"), F.lit(False).alias("engages"),
                 F.col("interactions").cast("long").alias("received"), "reciprocal"))).alias("end")).select("end.*")
    community = communities.select(F.col("user_id").alias("contact"), F.col("community_id").alias("contact_community"))
    other = F.col("user_id") != F.col("contact")
    new_contact = other & (F.col("engages") | ~F.col("reciprocal"))  # an answered in-edge repeats an out-edge
    both_ways = other & F.col("engages") & F.col("reciprocal")
    figures = ends.join(community, "contact").groupBy("user_id").agg(
        F.count_if(~F.col("engages")).cast("long").alias("in_degree"),
        F.count_if(F.col("engages")).cast("long").alias("out_degree"),
        F.sum("received").alias("engagement_received"),
        F.count_if(~F.col("engages") & other).alias("engaged_audience"),
        F.count_if(new_contact).alias("contacts"),
        F.count_if(both_ways).alias("both_ways"),
        F.count_distinct(F.when(other, F.col("contact_community"))).alias("communities_reached"),
    )
    return figures.select("user_id", "in_degree", "out_degree", "engagement_received", "engaged_audience", "contacts",
                          F.when(F.col("contacts") > 0, F.col("both_ways") / F.col("contacts")).alias("reciprocity"),
                          "communities_reached")


def percentile_rank(column: str, partition: list[str] | None = None) -> Column:
    """0-100: the share of users (in the partition) whose value is strictly lower."""
    window = Window.partitionBy(*(partition or [])).orderBy(F.col(column))
    return F.percent_rank().over(window) * 100


def log_rank_points(column: str) -> Column:
    """0-100 on a log scale of rank: ``100 * ln(n / r) / ln(n)``, where ``r`` is one plus
    the number of users with a strictly higher value and ``n`` the number of users.

    Each tenfold step down the ranking costs the same points (``100 / log10(n)``: about
    18 on 300,000 users), so the top stays apart where percentiles crowd at 100. Users at
    the lowest value (nobody strictly below them) get 0, as their percentile does.
    """
    users = F.count(F.lit(1)).over(Window.partitionBy())
    higher_first = Window.orderBy(F.col(column).desc())
    position = F.rank().over(higher_first)  # 1 + users strictly higher: ties share it
    lowest = F.col(column) == F.min(column).over(Window.partitionBy())
    # 1 - ln(r)/ln(n) rather than ln(n/r)/ln(n): exactly 100 at r = 1, never above it.
    points = F.when(users <= 1, F.lit(100.0)).otherwise(100 * (1 - F.log(position) / F.log(users)))
    return F.when(lowest & (users > 1), F.lit(0.0)).otherwise(points)


def with_influence_score(users: DataFrame, weights: Mapping[str, float], prefix: str = "") -> DataFrame:
    """Adds ``blend`` (the weighted mean of the weighted metrics' :func:`log_rank_points`,
    ``weights`` normalised to sum to 1) and ``influence_score`` (the blend's own log-rank
    points, 0-100), both named with ``prefix``. Cost: one sort of the users per weighted
    metric, and one more."""
    total_weight = sum(weights.values())
    blend = f"{prefix}blend"
    return (users.withColumn(blend, sum(
        (log_rank_points(m) * (w / total_weight) for m, w in weights.items() if w), F.lit(0.0)))
        .withColumn(f"{prefix}influence_score", log_rank_points(blend)))


def _top_percent(pct: str) -> Column:
    """``97.4`` -> ``3``: the "top N%" a percentile puts the user in."""
    return F.greatest(F.lit(1), F.ceil(F.lit(100) - F.col(pct))).cast("int")


def _explanation(top_engagers: Column) -> Column:
    """A sentence naming the strongest reasons for the user's rank, strongest kinds first."""
    parts = [
        F.when(F.col("pagerank_pct") >= 75, F.format_string("PageRank in the top %d%%", _top_percent("pagerank_pct"))),
        F.when((F.col("communities_reached") >= 2) & (F.col("betweenness_pct") >= 75),
               F.format_string("bridges %d communities", F.col("communities_reached"))),
        F.when((F.col("impressions") > 0) & (F.col("impressions_pct") >= 75),
               F.format_string("%s impressions from %s posts (top %d%%)", F.format_number("impressions", 0),
                               F.format_number("posts", 0), _top_percent("impressions_pct"))),
        F.when(top_engagers > 0, F.format_string(f"engaged by %d of the top {TOP_ENGAGERS}", top_engagers)),
        F.when(F.col("harmonic_pct") >= 90,
               F.format_string("reached in few steps from across the network (harmonic closeness top %d%%)",
                               _top_percent("harmonic_pct"))),
        F.when(F.col("reach_2hop_pct") >= 90,
               F.format_string("%s people within two steps", F.format_number("reach_2hop", 0))),
    ]
    said = F.concat_ws("; ", *parts)
    fallback = F.format_string("engaged by %d people, engages %d; no measure in the top quarter",
                               F.col("in_degree"), F.col("out_degree"))
    flagged = F.when(F.col("suspicious_share") > 0, F.format_string(
        "%.1f%% of the engagement received came from flagged accounts", F.col("suspicious_share") * 100))
    return F.concat_ws("; ", F.when(said == "", fallback).otherwise(said), flagged)


def user_figures(metrics: DataFrame, contacts: DataFrame, posts: DataFrame, interactions: DataFrame) -> DataFrame:
    """One row per user of the graph with every figure the score reads: the engine's
    ``metrics``, the ``contacts`` figures (:func:`contact_figures`), ``posts`` and
    ``impressions`` (from the visible ``posts``), and ``audience_size`` (the largest follower
    count the window's ``interactions`` give for the user as an actor, null when none does);
    posts and impressions 0 for users without posts. Two shuffles: the posts by author, the
    interactions by actor."""
    made = posts.groupBy("user_id").agg(F.count(F.lit(1)).alias("posts"), F.sum("audience").alias("impressions"))
    audience = interactions.groupBy(F.col("actor_id").alias("user_id")).agg(F.max("audience_size").alias("audience_size"))
    return (metrics.join(contacts, "user_id")
            .join(made, "user_id", "left")
            .join(audience, "user_id", "left")
            .fillna(0, subset=["posts", "impressions", "contacts", "reciprocity", "communities_reached"]))


def with_authenticity(users: DataFrame, per_user: DataFrame | None) -> DataFrame:
    """``users`` with ``suspicious_share, authentic_pagerank, suspicious_reason`` from
    engagement authenticity's ``per_user`` figures, or null ones when it did not run."""
    if per_user is None:
        return users.withColumns({"suspicious_share": F.lit(None).cast("double"),
                                  "authentic_pagerank": F.lit(None).cast("double"),
                                  "suspicious_reason": F.lit(None).cast("string")})
    return users.join(per_user, "user_id", "left")


def ranked_users(users: DataFrame, weights: Mapping[str, float], *, authentic: bool = False) -> DataFrame:
    """``users`` with each metric's ``<metric>_pct``, ``blend``, ``influence_score`` and ``rank``.

    ``<metric>_pct`` is the percentile rank (share of users strictly below, 0-100) of each
    metric of ``SCORED_METRICS``. The blend is the weighted mean (``weights``, normalised
    to sum to 1) of the metrics' :func:`log_rank_points`, and ``influence_score`` is the
    blend's own log-rank points: 100 for the top blend, and every tenfold step down costs
    ``100 / log10(users)``. A blend of percentiles crowds the top of a large graph at 100.0
    (the top 33 of 300,000 users read the same); this keeps the top ten apart by at least
    ``100 * log(10/9) / log(users)`` (0.8 points on 300,000 users). ``rank`` 1 is the
    highest score (ties: higher PageRank, then smaller ``user_id``, so that a rerun ranks
    the same way).

    With ``authentic``, the blend reads ``authentic_pagerank`` where the weights name
    ``pagerank`` (engagement from flagged groups discounted), and ``raw_influence_score``
    and ``raw_rank`` are the score and rank with ``pagerank`` itself, to show what moved.

    Every figure here is a window over all the users: give it ``users`` in one partition,
    so that the windows sort where the rows are instead of each moving them (the score
    pipeline does). Cost: a sort of the users per window, O(w n log n) for w windows.
    """
    users = users.withColumns({f"{metric}_pct": percentile_rank(metric) for metric in SCORED_METRICS})
    if authentic:
        users = _scored(users, weights, "pagerank", prefix="raw_")
    return _scored(users, weights, "authentic_pagerank" if authentic else "pagerank")


def _scored(users: DataFrame, weights: Mapping[str, float], pagerank: str, prefix: str = "") -> DataFrame:
    """``<prefix>blend``, ``<prefix>influence_score`` and ``<prefix>rank``, the blend's PageRank
    term read from the column ``pagerank``."""
    weights = {pagerank if metric == "pagerank" else metric: weight for metric, weight in weights.items()}
    scored = with_influence_score(users, weights, prefix=prefix)
    by_score = Window.orderBy(F.col(f"{prefix}influence_score").desc(), F.col(pagerank).desc(), F.col("user_id"))
    return scored.withColumn(f"{prefix}rank", F.row_number().over(by_score))


def rank_shifts(ranked: DataFrame) -> dict[str, Any]:
    """How far the authentic figures moved the users (:func:`ranked_users` with ``authentic``):
    ``users_moved``, ``rank_shift_max``, ``rank_shift_median`` (among those who moved) and
    ``top100_pushed_out``, the network summary's fields. One small aggregation."""
    shift = F.abs(F.col("rank") - F.col("raw_rank"))
    row = ranked.agg(F.count_if(shift > 0).alias("users_moved"), F.max(shift).alias("rank_shift_max"),
                     F.median(F.when(shift > 0, shift)).alias("rank_shift_median"),
                     F.count_if((F.col("raw_rank") <= 100) & (F.col("rank") > 100)).alias("top100_pushed_out")).first()
    return {**row.asDict(), "rank_shift_max": int(row["rank_shift_max"] or 0)}


def explained_scores(ranked: DataFrame, edges: DataFrame, *, previous_ranks: DataFrame | None, as_of: date,
                     run_id: str) -> DataFrame:
    """The ``gold/influencer_scores`` rows of the ``ranked`` users (:func:`ranked_users` of
    :func:`user_figures`). ``explanation`` names the figures behind the rank, including how
    many of the top 20 engaged the user; ``rank_change`` is the rank on the previous scored
    date (``previous_ranks``: ``user_id, rank``) minus today's, null for users new since then."""
    top = ranked.where(F.col("rank") <= TOP_ENGAGERS).select(F.col("user_id").alias("src"))
    engaged_by_top = (edges.join(F.broadcast(top), "src").where(F.col("src") != F.col("dst"))
                      .groupBy(F.col("dst").alias("user_id")).agg(F.count(F.lit(1)).alias("top_engagers")))
    scored = (ranked.join(engaged_by_top, "user_id", "left")
              .withColumn("explanation", _explanation(F.coalesce("top_engagers", F.lit(0)))))
    if "raw_rank" not in scored.columns:  # the authentic score did not rule: nothing to compare with
        scored = scored.withColumns({"raw_influence_score": F.lit(None).cast("double"),
                                     "raw_rank": F.lit(None).cast("int")})
    if previous_ranks is None:
        scored = scored.withColumn("rank_change", F.lit(None).cast("int"))
    else:
        before = previous_ranks.select("user_id", F.col("rank").alias("previous_rank"))
        scored = scored.join(before, "user_id", "left").withColumn("rank_change", F.col("previous_rank") - F.col("rank"))
    scored = scored.withColumns({"as_of_date": F.lit(as_of), "run_id": F.lit(run_id)})
    return tables.conform(scored, tables.SCORES)


def spearman(x: Sequence[float | None], y: Sequence[float | None]) -> float | None:
    """Spearman's rank correlation of paired values, pairs with a missing side dropped.

    Ties get their average rank (Pearson's correlation of the ranks); null below 3 pairs
    or when a side is constant. O(n log n) on the driver, for per-user columns.
    """
    pairs = pd.DataFrame({"x": x, "y": y}, dtype="float64").dropna()
    if len(pairs) < 3:
        return None
    correlation = pairs.rank().corr().loc["x", "y"]
    return None if pd.isna(correlation) else float(correlation)


def _flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as one level: ``{"ring": {"min_members": 5}}`` -> ``{"ring_min_members": 5}``."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{name}_"))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def network_summary(engine_summary: dict[str, Any], *, as_of: date, window_days: int, users: int, edges: int,
                    interactions: int, engine: str, engine_reason: str, seed: int, settings: Settings,
                    stage_seconds: dict[str, float], run_id: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    """The ``gold/network_summary`` row of a date: sizes, engine, parameters, bounds and
    the date's figures (impressions concentration, honesty correlations, majority illusion)."""
    parameters = {
        "window_days": window_days,
        "half_life_days": settings.half_life_days,
        "reciprocity_boost": settings.reciprocity_boost,
        "exclude_users": len(settings.exclude_users),
        **{f"type_weight_{t}": w for t, w in sorted(settings.type_weights.items())},
        **{f"score_weight_{m}": w for m, w in sorted(settings.score_weights.items())},
        "visible_types": ",".join(settings.impressions.visible_types),
        "default_audience": settings.impressions.default_audience,
        "publications": ",".join(settings.impressions.publications),
        **{f"roles_{k}": v for k, v in settings.roles.model_dump().items()},
        **{f"lists_{k}": v for k, v in settings.lists.model_dump().items()},
        "scopes_community_min_size": settings.scopes.community_min_size,
        "scopes_topics": ",".join(settings.scopes.topics),
        **{f"authenticity_{name}": value for name, value in _flat(settings.authenticity.model_dump()).items()},
        **engine_summary.get("parameters", {}),
    }
    row = {k: v for k, v in engine_summary.items() if k not in ("parameters", "stage_seconds")}
    row.update(figures)
    row.update(
        as_of_date=as_of, window_days=window_days, users=users, edges=edges, interactions=interactions,
        engine=engine, engine_reason=engine_reason, seed=seed,
        parameters={k: str(v) for k, v in parameters.items()},
        stage_seconds={k: float(v) for k, v in stage_seconds.items()}, run_id=run_id,
    )
    missing = set(tables.table(tables.NETWORK_SUMMARY).column_names) - set(row)
    if missing:
        raise ValueError(f"the network summary lacks {sorted(missing)}")
    return row
