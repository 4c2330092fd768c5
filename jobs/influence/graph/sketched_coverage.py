"""Campaign planning with HyperLogLog sketches in Spark, for audiences too large for exact
sets on the driver (``influence.graph.coverage`` holds the exact planner and the guarantees).
Like the engines, it runs Spark jobs and collects small results; it reads and writes nothing.

Each candidate's audience is one HyperLogLog sketch (Spark's ``hll_sketch_agg``, Apache
DataSketches, 2^lg_k buckets); a plan's reach is the estimate of the union of its picks'
sketches (``hll_union``). The greedy then makes the same kind of choice as the exact one on
estimated gains, so its guarantee (1 - 1/e, or 1 - 1/sqrt(e) with a budget) holds up to the
sketches' error. Error: a union's estimate has a relative standard error of about
1.04 / sqrt(2^lg_k) (Flajolet, Fusy, Gandouet & Meunier, "HyperLogLog", AofA 2007; 1.6% at
lg_k = 12); ``reach_error`` is that times the normal quantile for the configured delta.
Cost: one Spark job over every candidate's sketch to size them, then per pick one or a few
jobs over the best-bounded 64 (lazy evaluation).

With two hops, a sketch is the union of {u} and u's engagers over v's engagers u, so it
counts v itself when one of v's edges is reciprocated (one person, well within the error).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from influence.graph.coverage import BUDGETED_RATIO, FREE, GREEDY_RATIO, NO_GUARANTEE_WITH_K, Plan, guarantee_of


def relative_error(lg_k: int, delta: float) -> float:
    """Bound on |estimate - exact| / exact that holds with probability about 1 - delta."""
    return NormalDist().inv_cdf(1 - delta / 2) * 1.04 / math.sqrt(2 ** lg_k)


def audience_sketches(edges: DataFrame, hops: int, lg_k: int) -> DataFrame:
    """``user_id, audience``: one sketch of the people who engaged each user (``hops`` = 1) or
    reach them in at most two hops, from ``silver/edges``-shaped rows (``src`` engaged ``dst``)."""
    engaged = edges.select(F.col("dst").alias("user_id"), F.col("src").alias("member"))
    if hops == 1:
        return engaged.groupBy("user_id").agg(F.hll_sketch_agg("member", lg_k).alias("audience"))
    own = edges.select(F.col("src").alias("user_id"), F.col("src").alias("member")).distinct()
    balls = engaged.unionByName(own).groupBy(F.col("user_id").alias("via")).agg(
        F.hll_sketch_agg("member", lg_k).alias("ball"))
    return (edges.select(F.col("src").alias("via"), F.col("dst").alias("user_id")).join(balls, "via")
            .groupBy("user_id").agg(F.hll_union_agg("ball").alias("audience")))


def _with(state: bytes | None) -> Column:
    return F.col("audience") if state is None else F.hll_union(F.lit(state), F.col("audience"))


# Candidates whose gains are estimated at once while looking for the next pick.
EVALUATED_AT_ONCE = 64


def sketched_greedy(candidates: DataFrame, k: int, *, required: Sequence[str] = (), budget: float | None = None,
                    required_cost: float = 0.0) -> Plan:
    """Lazy greedy on estimated gains over ``user_id, audience[, cost]`` rows (cached by the
    caller): required picks first, then the most new people (per unit of cost, within
    ``budget``). The bounds live on the driver; each step estimates the gains of the
    ``EVALUATED_AT_ONCE`` best-bounded candidates in one Spark job, until the best fresh gain
    beats every stale bound (CELF, as in ``influence.graph.coverage``, on estimates). With a
    budget (``required_cost`` of it already spent on the required picks), the best single
    affordable pick is kept instead when it reaches more."""
    budgeted = budget is not None
    plan = Plan("greedy", guarantee_of(budgeted))
    state = _take(candidates, plan, required, None)
    after_required, start = plan.reach, state
    spent = required_cost if budgeted else 0.0
    bounds = candidates.select("user_id", F.hll_sketch_estimate("audience").alias("gain"),
                               *(["cost"] if budgeted else [])).toPandas()
    bounds = bounds[~bounds["user_id"].isin(plan.picks)].assign(size=lambda b: b["gain"], evaluated=-1)
    unions: dict[str, bytes] = {}  # the union with the plan so far, of the candidates evaluated since the last pick
    while len(plan.picks) < k:
        if budgeted:
            bounds = bounds[bounds["cost"] <= budget - spent]
        bounds = bounds.assign(priority=_priority(bounds, budgeted)).sort_values(
            ["priority", "user_id"], ascending=[False, True])
        if bounds.empty or bounds["gain"].iloc[0] <= 0:
            break
        if bounds["evaluated"].iloc[0] != len(plan.picks):
            stale = bounds[bounds["evaluated"] != len(plan.picks)].head(EVALUATED_AT_ONCE)
            fresh = candidates.where(F.col("user_id").isin(stale["user_id"].tolist())).select(
                "user_id", _with(state).alias("union"), F.hll_sketch_estimate(_with(state)).alias("after")).collect()
            unions.update((row["user_id"], row["union"]) for row in fresh)
            after = {row["user_id"]: row["after"] for row in fresh}
            stale_rows = bounds["user_id"].isin(list(after))
            bounds.loc[stale_rows, "gain"] = bounds.loc[stale_rows, "user_id"].map(after) - plan.reach
            bounds.loc[stale_rows, "evaluated"] = len(plan.picks)
            continue
        best = bounds.iloc[0]
        spent += float(best["cost"]) if budgeted else 0.0
        state = unions[best["user_id"]]
        _append(plan, best["user_id"], best["gain"], best["size"])
        unions.clear()
        bounds = bounds.iloc[1:]
    if not budgeted:
        plan.upper_bound = plan.reach / GREEDY_RATIO
        return plan
    if len(plan.picks) >= k:
        plan.guarantee, plan.upper_bound = NO_GUARANTEE_WITH_K, None  # see influence.graph.coverage
        return plan
    single = _best_single(candidates, required, start, after_required, budget - required_cost) \
        if len(required) < k else None
    if single is not None and after_required + single[1] > plan.reach:
        alone = Plan("greedy", plan.guarantee)
        for user, gain, size in zip(plan.picks[:len(required)], plan.marginal, plan.audience):
            _append(alone, user, gain, size)
        _append(alone, *single)
        plan = alone
    plan.upper_bound = plan.reach / BUDGETED_RATIO
    return plan


def _priority(bounds, budgeted: bool):
    if not budgeted:
        return bounds["gain"]
    # Free picks first, the one that adds most first (as in influence.graph.coverage).
    return (bounds["gain"] / bounds["cost"].clip(lower=FREE)).where(bounds["gain"] > 0, 0.0)


def _append(plan: Plan, user_id: str, gain: float, size: float) -> None:
    plan.picks.append(user_id)
    plan.marginal.append(max(0.0, float(gain)))
    plan.cumulative.append((plan.cumulative[-1] if plan.cumulative else 0.0) + plan.marginal[-1])
    plan.audience.append(float(size))


def _take(candidates: DataFrame, plan: Plan, users: Sequence[str], state: bytes | None) -> bytes | None:
    """Add ``users`` to the plan in order, one estimate each; the sketch of the union after them."""
    for user in users:
        row = candidates.where(F.col("user_id") == user).select(
            _with(state).alias("union"), F.hll_sketch_estimate(_with(state)).alias("after"),
            F.hll_sketch_estimate("audience").alias("size")).first()
        if row is None:  # nobody engaged them: they reach no one
            _append(plan, user, 0.0, 0.0)
            continue
        state = row["union"]
        _append(plan, user, row["after"] - plan.reach, row["size"])
    return state


def _best_single(candidates: DataFrame, required: Sequence[str], state: bytes | None, before: float,
                 room: float) -> tuple[str, float, float] | None:
    """``(user_id, gain, size)`` of the affordable candidate that adds the most, or None."""
    rows = candidates.where(F.col("cost") <= F.lit(room))
    if required:
        rows = rows.where(~F.col("user_id").isin(list(required)))
    best = rows.select("user_id", (F.hll_sketch_estimate(_with(state)) - F.lit(float(before))).alias("gain"),
                       F.hll_sketch_estimate("audience").alias("size")).orderBy(F.desc("gain"), "user_id").first()
    if best is None or best["gain"] <= 0:
        return None
    return best["user_id"], float(best["gain"]), float(best["size"])


def sketched_in_order(candidates: DataFrame, order: Sequence[str], method: str) -> Plan:
    """The estimated reach of ``order`` taken as given (the caller applied k and the budget):
    every prefix's union in one Spark job."""
    plan = Plan(method, "none of its own: the top by one metric, taken in order")
    if not order:
        return plan
    spark = candidates.sparkSession
    positions = spark.createDataFrame(list(enumerate(order, start=1)), "position int, user_id string")
    picked = positions.join(candidates.select("user_id", "audience"), "user_id", "left")
    prefixes = spark.range(1, len(order) + 1).select(F.col("id").cast("int").alias("prefix"))
    reach = dict(picked.join(prefixes, F.col("position") <= F.col("prefix")).groupBy("prefix").agg(
        F.coalesce(F.hll_sketch_estimate(F.hll_union_agg("audience")), F.lit(0.0)).alias("reach")).collect())
    sizes = dict(picked.select("user_id", F.coalesce(F.hll_sketch_estimate("audience"), F.lit(0.0))).collect())
    for position, user in enumerate(order, start=1):
        # A prefix's estimate can dip below the one before it: a pick never takes anyone away.
        _append(plan, user, max(reach[position], plan.reach) - plan.reach, sizes[user])
    return plan
