"""Scopes and roles: who is an awareness or conversion influencer, a Mass Connector or Maven,
a Social Broadcaster, within each scope (pure).

A scope is a set of users ranked against each other: ``global`` (everyone in the graph),
``community:<id>`` (the members of a large community) and ``topic:<hashtag>`` (everyone who
used the topic or was engaged with it in the window). The metrics are the graph's; only the
percentiles, thresholds and ranks are taken within the scope.

Roles follow SPEC section 7 (after Forrester's Peer Influence Analysis for the mass roles
and the broadcaster, and the awareness/conversion split by network structure):

- *social_broadcaster*: impressions in the top ``broadcaster_top_share`` (16%) but
  engagement received per post and reciprocity in the bottom half.
- *mass_connector* / *mass_maven*: the fewest top users by impressions generating
  ``mass_impressions_share`` (80%) of the scope's impressions, broadcasters removed; a
  connector when the percentile of contacts exceeds that of engagement per post.
- Both need Forrester's premise, a minority generating most impressions: when that fewest
  set is more than ``max_mass_share`` (20%) of the scope's active users (users with a
  visible post), neither mass roles nor broadcasters are labelled in the scope.
- *awareness*: betweenness or participation in the top ``awareness_top_share`` (10%).
- *conversion*: at least ``conversion_min_contacts`` contacts, participation at or below
  the scope's median, harmonic closeness in the top ``conversion_top_share`` of its own
  community (communities of at least ``min_community_size`` in the scope).

``confidence`` is how surely a condition holds given its metric's error bound: 0 while the
bound does not clear the threshold (the largest value that does not qualify: estimate minus
error at or below it), rising linearly to 1 once estimate minus error clears it by a further
error. Only betweenness and harmonic closeness carry errors; the other figures are counted
exactly (confidence 1). A role that qualifies through either of two conditions (awareness:
betweenness or participation) takes the confidence of the one that carries it, and its
reason names that condition first. Cost: a few sorts of the scoped users (window functions), O(s n log n)
for s scopes.
"""

from __future__ import annotations

from typing import Iterable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from influence.config import RoleSettings

ROLES = ("awareness", "conversion", "mass_connector", "mass_maven", "social_broadcaster")
GLOBAL = "global"


def memberships(scores: DataFrame, window_interactions: DataFrame, *, community_min_size: int,
                topics: Iterable[str]) -> DataFrame:
    """``scope, user_id``: every user in ``global``, large communities, configured topics."""
    users = scores.select("user_id", "community_id")
    everyone = users.select(F.lit(GLOBAL).alias("scope"), "user_id")
    size = Window.partitionBy("community_id")
    communities = (users.withColumn("size", F.count(F.lit(1)).over(size))
                   .where(F.col("size") >= community_min_size)
                   .select(F.concat(F.lit("community:"), "community_id").alias("scope"), "user_id"))
    scopes = everyone.union(communities)
    wanted = [t.lower() for t in topics]
    if wanted:
        tagged = window_interactions.select("actor_id", "target_id", F.explode("topics").alias("topic")).where(
            F.col("topic").isin(wanted))
        participants = tagged.select("topic", F.col("actor_id").alias("user_id")).union(
            tagged.select("topic", F.col("target_id").alias("user_id")))
        in_graph = participants.join(users.select("user_id"), "user_id").distinct()
        scopes = scopes.union(in_graph.select(F.concat(F.lit("topic:"), "topic").alias("scope"), "user_id"))
    return scopes


def _margin(value: str, qualifies: Column, error: str, partition: list[str]) -> Column:
    """Confidence of one "top share" condition: (value - error - threshold) / error, in [0, 1],
    the threshold being the best value that does not qualify; 1 when the value is exact."""
    boundary = F.max(F.when(~qualifies, F.col(value))).over(Window.partitionBy(*partition))
    cleared = F.col(value) - F.col(error) - F.coalesce(boundary, F.lit(0.0))
    return F.when(F.col(error) <= 0, F.lit(1.0)).otherwise(
        F.least(F.lit(1.0), F.greatest(F.lit(0.0), cleared / F.col(error))))


def _top(pct_column: str) -> Column:
    return F.greatest(F.lit(1), F.ceil(F.lit(100) - F.col(pct_column) * 100)).cast("int")


def _carried_first(first: Column, second: Column, *, first_carries: Column) -> Column:
    """The two conditions' reasons, the one that carries the confidence first."""
    return F.when(first_carries, F.concat_ws("; ", first, second)).otherwise(F.concat_ws("; ", second, first))


def _of_scope() -> Column:
    return F.when(F.col("scope") == GLOBAL, F.lit("all users")).otherwise(F.col("scope"))


def scoped(scores: DataFrame, scope_members: DataFrame, roles: RoleSettings) -> DataFrame:
    """One row per (scope, user) with the scope's percentiles, each role's flag,
    confidence and reason, and ``scope_rank`` (1 = highest influence_score in the scope); and
    ``raw_scope_rank`` when ``scores`` has ``raw_rank`` (``transforms.scores.ranked_users``
    with ``authentic``): the scope's rank by the score read with pagerank."""
    scope = ["scope"]
    in_scope = Window.partitionBy(*scope)
    by_community = ["scope", "community_id"]

    def pct(column: str, partition: list[str] = scope) -> Column:
        return F.percent_rank().over(Window.partitionBy(*partition).orderBy(F.col(column)))

    rows = scope_members.join(scores, "user_id")
    if "raw_rank" in scores.columns:  # the scope's rank by the score with pagerank, when the authentic one rules
        rows = rows.withColumn("raw_scope_rank", F.row_number().over(in_scope.orderBy("raw_rank")))
    rows = (
        rows
        .withColumn("has_posts", F.col("posts") > 0)
        .withColumn("per_post", F.when(F.col("has_posts"), F.col("engagement_received") / F.col("posts")))
        # The global rank breaks ties as the scores did (PageRank, then user id).
        .withColumn("scope_rank", F.row_number().over(
            in_scope.orderBy(F.col("influence_score").desc(), F.col("rank"), F.col("user_id"))))
        .withColumn("scope_size", F.count(F.lit(1)).over(in_scope))
        .withColumn("p_impressions", pct("impressions"))
        .withColumn("p_reciprocity", pct("reciprocity"))
        .withColumn("p_betweenness", pct("betweenness"))
        .withColumn("p_participation", pct("participation"))
        .withColumn("p_contacts", pct("contacts"))
        # Engagement per post is compared among users who posted.
        .withColumn("p_per_post", F.when(F.col("has_posts"), pct("per_post", ["scope", "has_posts"])))
        .withColumn("median_participation", F.median("participation").over(in_scope))
        .withColumn("community_size", F.count(F.lit(1)).over(Window.partitionBy(*by_community)))
        .withColumn("p_harmonic_community", pct("harmonic", by_community))
    )

    # The fewest top users by impressions that reach the share, and whether they are a minority.
    by_impressions = in_scope.orderBy(F.col("impressions").desc(), F.col("user_id"))
    before = F.coalesce(F.sum("impressions").over(by_impressions.rowsBetween(Window.unboundedPreceding, -1)), F.lit(0))
    total = F.sum("impressions").over(in_scope)
    rows = (rows.withColumn("in_mass_set", (F.col("impressions") > 0)
                            & (before < F.lit(roles.mass_impressions_share) * total))
            .withColumn("mass_set_size", F.sum(F.col("in_mass_set").cast("long")).over(in_scope))
            .withColumn("active_users", F.sum(F.col("has_posts").cast("long")).over(in_scope))
            .withColumn("mass_premise", F.col("mass_set_size") <= F.lit(roles.max_mass_share) * F.col("active_users")))

    # Social Broadcaster.
    broadcaster = ((F.col("impressions") > 0) & (F.col("p_impressions") >= 1 - roles.broadcaster_top_share)
                   & (F.col("p_per_post") < 0.5) & (F.col("p_reciprocity") < 0.5) & F.col("mass_premise"))
    rows = rows.withColumn("is_social_broadcaster", F.coalesce(broadcaster, F.lit(False)))

    # Mass influencers: that set, broadcasters out.
    mass = F.col("in_mass_set") & F.col("mass_premise") & ~F.col("is_social_broadcaster")
    connector = F.col("p_contacts") > F.col("p_per_post")
    rows = (rows.withColumn("mass_users", F.sum(F.when(mass, 1).otherwise(0)).over(in_scope))
            .withColumn("is_mass_connector", mass & connector)
            .withColumn("is_mass_maven", mass & ~connector))

    # Awareness: between communities.
    top_awareness = 1 - roles.awareness_top_share
    by_betweenness = (F.col("p_betweenness") >= top_awareness) & (F.col("betweenness") > 0)
    by_participation = (F.col("p_participation") >= top_awareness) & (F.col("participation") > 0)
    rows = (rows.withColumn("is_awareness", by_betweenness | by_participation)
            .withColumn("betweenness_confidence", F.when(
                by_betweenness, _margin("betweenness", by_betweenness, "betweenness_error", scope)))
            .withColumn("participation_confidence", F.when(by_participation, F.lit(1.0)))
            .withColumn("awareness_confidence", F.greatest("betweenness_confidence", "participation_confidence")))

    # Conversion: deep inside one community.
    top_harmonic = ((F.col("p_harmonic_community") >= 1 - roles.conversion_top_share) & (F.col("harmonic") > 0)
                    & (F.col("community_size") >= roles.min_community_size))
    conversion = (top_harmonic & (F.col("contacts") >= roles.conversion_min_contacts)
                  & (F.col("participation") <= F.col("median_participation")))
    rows = (rows.withColumn("is_conversion", conversion)
            .withColumn("conversion_confidence", F.when(
                conversion, _margin("harmonic", top_harmonic, "harmonic_error", by_community))))

    share = F.lit(round(roles.mass_impressions_share * 100))
    reasons = {
        "awareness": _carried_first(
            F.when(by_betweenness, F.format_string(
                "betweenness %.4f (± %.4f) in the top %d%% of %s", F.col("betweenness"), F.col("betweenness_error"),
                _top("p_betweenness"), _of_scope())),
            F.when(by_participation, F.format_string(
                "contacts in %d communities (participation %.2f, top %d%%)", F.col("communities_reached"),
                F.col("participation"), _top("p_participation"))),
            first_carries=F.coalesce("betweenness_confidence", F.lit(-1.0))
            >= F.coalesce("participation_confidence", F.lit(-1.0))),
        "conversion": F.format_string(
            "harmonic closeness %.4f (± %.4f) in the top %d%% of community %s (%d members here); %d contacts, "
            "participation %.2f at or below the median %.2f", F.col("harmonic"), F.col("harmonic_error"),
            _top("p_harmonic_community"), F.col("community_id"), F.col("community_size"), F.col("contacts"),
            F.col("participation"), F.col("median_participation")),
        "social_broadcaster": F.format_string(
            "%s impressions from %s posts (top %d%%) but %.2f engagements per post and %.0f%% of contacts "
            "engaging back (both in the bottom half)", F.format_number("impressions", 0), F.format_number("posts", 0),
            _top("p_impressions"), F.col("per_post"), F.col("reciprocity") * 100),
        "mass_connector": F.format_string(
            "one of the %d users generating %d%% of impressions (%s); contacts percentile %d above "
            "engagement-per-post percentile %d", F.col("mass_users"), share, F.format_number("impressions", 0),
            (F.col("p_contacts") * 100).cast("int"), (F.col("p_per_post") * 100).cast("int")),
        "mass_maven": F.format_string(
            "one of the %d users generating %d%% of impressions (%s); engagement-per-post percentile %d at or "
            "above contacts percentile %d", F.col("mass_users"), share, F.format_number("impressions", 0),
            (F.col("p_per_post") * 100).cast("int"), (F.col("p_contacts") * 100).cast("int")),
    }
    for role, reason in reasons.items():
        rows = rows.withColumn(f"{role}_reason", reason)
    return rows


def mass_premise_note(mass_set_size: int, active_users: int, roles: RoleSettings) -> tuple[bool, str]:
    """Whether the mass roles are labelled in a scope, and the sentence that says why."""
    if not active_users:
        return True, "no visible posts in the window: no impressions to divide"
    share = mass_set_size / active_users
    figures = (f"{mass_set_size:,} users generate {roles.mass_impressions_share:.0%} of impressions, "
               f"{share:.1%} of {active_users:,} active users")
    if mass_set_size <= roles.max_mass_share * active_users:
        return True, f"labelled: {figures} (at most roles.max_mass_share {roles.max_mass_share:.0%})"
    return False, (f"not labelled: {figures}, more than roles.max_mass_share {roles.max_mass_share:.0%}; "
                   "Mass Influencers and Social Broadcasters need a minority generating most impressions")


def role_rows(scoped_users: DataFrame) -> DataFrame:
    """``scope, segment, user_id, scope_rank, rank, confidence, reason`` for every role held."""
    confidence = {"awareness": F.col("awareness_confidence"), "conversion": F.col("conversion_confidence")}
    held = None
    for role in ROLES:
        rows = scoped_users.where(F.col(f"is_{role}")).select(
            "scope", F.lit(role).alias("segment"), "user_id", "scope_rank",
            confidence.get(role, F.lit(1.0)).cast("double").alias("confidence"), F.col(f"{role}_reason").alias("reason"))
        held = rows if held is None else held.union(rows)
    in_segment = Window.partitionBy("scope", "segment").orderBy("scope_rank")
    return held.withColumn("rank", F.row_number().over(in_segment))


def with_role_changes(current: DataFrame, previous: DataFrame | None, scoped_users: DataFrame) -> DataFrame:
    """Mark role rows ``entered`` or ``kept`` against the previous date's, and add ``exited``
    rows for previous holders who lost the role, with the reason."""
    if previous is None:
        return current.withColumn("change", F.lit("entered"))
    before = previous.select("scope", "segment", "user_id", F.lit(True).alias("held_before"))
    marked = (current.join(before, ["scope", "segment", "user_id"], "left")
              .withColumn("change", F.when(F.col("held_before"), "kept").otherwise("entered")).drop("held_before"))
    now = current.select("scope", "segment", "user_id", F.lit(True).alias("holds"))
    ranks = scoped_users.select("scope", "user_id", "scope_rank")
    exited = (before.join(now, ["scope", "segment", "user_id"], "left").where(F.col("holds").isNull())
              .join(ranks, ["scope", "user_id"], "left")
              .select("scope", "segment", "user_id", "scope_rank", F.lit(None).cast("int").alias("rank"),
                      F.lit(0.0).alias("confidence"),
                      F.when(F.col("scope_rank").isNull(), F.format_string("exited: no longer in %s", F.col("scope")))
                      .otherwise(F.format_string("exited: no longer meets the %s conditions (rank %d in %s)",
                                                 F.col("segment"), F.col("scope_rank"), F.col("scope")))
                      .alias("reason"),
                      F.lit("exited").alias("change")))
    return marked.unionByName(exited)
