"""Plan a campaign on a scored date: the influencers whose audiences together reach the most
distinct people, against the top k by score and by PageRank; publish the kept plan and the
shortlist's pairwise audience overlap (docs/planning.md)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from influence import quality, tables
from influence.config import Settings
from influence.errors import InfluenceError
from influence.graph.coverage import Audiences, Plan, in_order, lazy_greedy, overlaps
from influence.graph.structure import EdgeList
from influence.io.lake import Lake
from influence.pipelines import Step, new_run_id, no_progress
from influence.privacy import pseudonymization_key, pseudonyms
from influence.graph import sketched_coverage as sketched
from influence.transforms.edges import in_window
from influence.transforms.roles import GLOBAL, memberships

AUDITED = (tables.CAMPAIGN_PLANS, tables.AUDIENCE_OVERLAP)
METHODS = ("greedy", "top_score", "top_pagerank")


@dataclass(frozen=True)
class Request:
    """What a plan is asked for; ids as the lake holds them (pseudonymised when it is)."""

    k: int | None  # None: as many as the budget affords
    reach: int
    scope: str = GLOBAL
    budget: float | None = None
    costs: dict[str, float] | None = None
    costs_sha256: str | None = None
    require: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # The ids as the user wrote them, by lake id: what messages show in a pseudonymised lake.
    names: dict[str, str] = field(default_factory=dict, compare=False)

    def named(self, users) -> str:
        return ", ".join(self.names.get(u, u) for u in users)

    def limit(self, candidates: int) -> int:
        return self.k if self.k is not None else len(self.require) + candidates

    def parameters(self) -> str:
        return json.dumps({"k": self.k, "reach": self.reach, "scope": self.scope, "budget": self.budget,
                           "costs_sha256": self.costs_sha256, "require": list(self.require),
                           "exclude": sorted(self.exclude)}, sort_keys=True)

    def plan_id(self, as_of: date) -> str:
        digest = hashlib.sha256(f"{as_of.isoformat()} {self.parameters()}".encode()).hexdigest()
        return f"plan-{digest[:16]}"


@dataclass(frozen=True)
class PlanReport:
    run_id: str
    plan_id: str
    as_of: date
    method: str
    guarantee: str
    sizing: str
    reach_hops: int
    candidates: int
    reach: float
    optimum_upper_bound: float
    method_reach: dict[str, float]
    picks: list[dict[str, Any]] = field(default_factory=list)
    overlap_pairs: int = 0
    plan_seconds: float = 0.0


def read_costs(path: Path, key: bytes | None) -> tuple[dict[str, float], str]:
    """``user_id,cost`` rows (a header naming both) as lake ids -> cost, and the file's sha256."""
    if not path.is_file():
        raise InfluenceError(f"costs file {path} not found")
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    if not rows or not {"user_id", "cost"} <= set(rows[0]):
        raise InfluenceError(f"{path}: a costs file is CSV with a header naming user_id and cost")
    costs: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        user, value = (row.get("user_id") or "").strip(), (row.get("cost") or "").strip()
        if not user or not value:
            raise InfluenceError(f"{path}:{line}: missing {'user_id' if not user else 'cost'}")
        try:
            cost = float(value)
        except ValueError:
            raise InfluenceError(f"{path}:{line}: cost {value!r} is not a number") from None
        if not math.isfinite(cost) or cost < 0:
            raise InfluenceError(f"{path}:{line}: cost {value!r} must be a finite number >= 0")
        if user in costs:
            raise InfluenceError(f"{path}:{line}: {user} has a cost already")
        costs[user] = cost
    lake_ids = pseudonyms(costs, key)
    return dict(zip(lake_ids, costs.values())), hashlib.sha256(raw).hexdigest()


def request(settings: Settings, *, k: int | None = None, reach: int | None = None, scope: str | None = None,
            costs_file: Path | None = None, budget: float | None = None, require: Sequence[str] = (),
            exclude: Sequence[str] = ()) -> Request:
    """The request from the command's options and the config, checked before Spark starts."""
    # With a budget and no --k, the budget alone decides how many (the guarantee is for that case).
    k = (None if budget is not None else settings.plan.k) if k is None else k
    reach = settings.plan.reach if reach is None else reach
    if k is not None and k < 1:
        raise InfluenceError(f"--k must be at least 1, not {k}")
    if reach not in (1, 2):
        raise InfluenceError(f"--reach is 1 (engaged them) or 2 (within two hops), not {reach}")
    if (costs_file is None) != (budget is None):
        raise InfluenceError("--costs and --budget go together: costs say what each pick costs, the budget what "
                             "the plan may spend")
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        raise InfluenceError(f"--budget must be a positive number, not {budget}")
    key = pseudonymization_key()
    costs, digest = read_costs(costs_file, key) if costs_file else (None, None)
    required = tuple(dict.fromkeys(pseudonyms(require, key)))
    excluded = tuple(dict.fromkeys(pseudonyms(exclude, key)))
    names = dict(zip(pseudonyms([*require, *exclude], key), [*require, *exclude]))
    if both := sorted(set(required) & set(excluded)):
        raise InfluenceError(f"required and excluded at once: {', '.join(names[u] for u in both)}")
    if k is not None and len(required) > k:
        raise InfluenceError(f"{len(required)} required influencers do not fit in --k {k}")
    return Request(k, reach, scope or GLOBAL, budget, costs, digest, required, excluded, names)


def run(spark: SparkSession, settings: Settings, lake_root: Path, wanted: Request, as_of: date | None = None,
        step: Step = no_progress) -> PlanReport:
    lake = Lake(spark, lake_root)
    run_id = new_run_id("plan")
    with step("read the scored date"):
        as_of = as_of or _latest_scored(lake)
        scores = lake.read(tables.SCORES).where(F.col("as_of_date") == F.lit(as_of)).select(
            "user_id", "rank", "pagerank", "community_id", "reach_2hop", "in_degree").toPandas()
        if scores.empty:
            raise InfluenceError(f"no scores for {as_of} in {lake.root}: score it first (influence score --lake "
                                 f"{lake_root} --as-of {as_of})")
        candidates = _candidates(lake, settings, scores, wanted, as_of)
        edges = lake.read(tables.EDGES).where(F.col("as_of_date") == F.lit(as_of)).select("src", "dst")
        shortlist = sorted(lake.read(tables.SEGMENTS).where(
            (F.col("as_of_date") == F.lit(as_of)) & (F.col("scope") == GLOBAL) & (F.col("segment") == "shortlist")
            & (F.col("change") != "exited")).select("user_id").toPandas()["user_id"])
    memberships_needed = float(scores.set_index("user_id").loc[candidates,
                                                               "in_degree" if wanted.reach == 1 else "reach_2hop"].sum())
    sizing = settings.plan.sizing
    if sizing == "auto":
        sizing = "exact" if memberships_needed <= settings.plan.exact_max_memberships else "sketch"
    by_rank = scores.sort_values("rank")["user_id"]
    by_pagerank = scores.sort_values(["pagerank", "user_id"], ascending=[False, True])["user_id"]
    pickable = set(candidates)
    orders = {"top_score": [u for u in by_rank if u in pickable],
              "top_pagerank": [u for u in by_pagerank if u in pickable]}
    started = time.perf_counter()
    picks = f"{wanted.k} picks" if wanted.k is not None else "within the budget"
    with step(f"plan {picks} ({sizing} audiences, {wanted.reach} hop{'s' if wanted.reach == 2 else ''})"):
        if sizing == "exact":
            plans, pairs = _exact(edges, wanted, candidates, orders, shortlist)
            error = 0.0
        else:
            plans, pairs = _sketched(edges, wanted, candidates, orders, shortlist, settings)
            error = sketched.relative_error(settings.plan.sketch_lg_k, settings.plan.delta)
    plan_seconds = round(time.perf_counter() - started, 3)
    kept = max(plans, key=lambda p: p.reach)  # the first of equals: greedy, which carries the guarantee
    greedy = plans[0]
    # Nobody reaches more people than the graph holds.
    bound = min(greedy.upper_bound if greedy.upper_bound is not None else float(len(scores)), float(len(scores)))
    if kept is not greedy:
        kept.guarantee = (greedy.guarantee if greedy.guarantee.startswith("none proven")
                          else f"at least the greedy plan's reach, so {greedy.guarantee}")
    if sizing == "sketch":
        kept.guarantee += f"; with sketched audiences, up to the sketches' error (reach_error, delta {settings.plan.delta})"
    frame = _plan_rows(kept, wanted, as_of, run_id, sizing, error, max(bound, kept.reach),
                       {p.method: float(p.reach) for p in plans}, datetime.now(timezone.utc))
    overlap = _overlap_rows(pairs, as_of, wanted.reach, run_id, sizing, error)
    plans_df = spark.createDataFrame(frame, schema=tables.table(tables.CAMPAIGN_PLANS).schema)
    overlap_df = spark.createDataFrame(overlap, schema=tables.table(tables.AUDIENCE_OVERLAP).schema)
    plan_id = wanted.plan_id(as_of)
    with step("audit"), quality.kept_on_failure(lake.root, as_of, run_id):
        quality.require_all({tables.CAMPAIGN_PLANS: plans_df, tables.AUDIENCE_OVERLAP: overlap_df})
    with step("publish"):
        lake.replace_where(plans_df, tables.CAMPAIGN_PLANS, f"as_of_date = '{as_of.isoformat()}' AND plan_id = '{plan_id}'")
        lake.replace_where(overlap_df, tables.AUDIENCE_OVERLAP,
                           f"as_of_date = '{as_of.isoformat()}' AND reach_hops = {wanted.reach}")
    picks = frame[["pick_order", "user_id", "required", "audience", "marginal_reach", "cumulative_reach",
                   "overlap_share", "cost", "reach_per_cost", "reach_error"]].to_dict("records")
    return PlanReport(run_id, plan_id, as_of, kept.method, kept.guarantee, sizing, wanted.reach, len(candidates),
                      float(kept.reach), float(frame["optimum_upper_bound"].iloc[0]),
                      {p.method: float(p.reach) for p in plans}, picks, len(overlap), plan_seconds)


def _latest_scored(lake: Lake) -> date:
    if not lake.exists(tables.NETWORK_SUMMARY):
        raise InfluenceError(f"nothing scored in {lake.root}: run influence score first")
    return lake.read(tables.NETWORK_SUMMARY).agg(F.max("as_of_date")).first()[0]


def _candidates(lake: Lake, settings: Settings, scores: pd.DataFrame, wanted: Request, as_of: date) -> list[str]:
    """The scope's users, without the excluded; with costs, only those with one."""
    in_graph = set(scores["user_id"])
    named = [*wanted.require, *wanted.exclude]
    if unknown := [u for u in named if u not in in_graph]:
        keyed = " (is INFLUENCE_PSEUDONYMIZE_KEY the lake's key?)" if pseudonymization_key() else ""
        raise InfluenceError(f"not in the graph of {as_of}: {wanted.named(unknown[:5])}"
                             f"{' ...' if len(unknown) > 5 else ''} (ids as the exports write them{keyed})")
    scope = wanted.scope
    if scope == GLOBAL:
        users = in_graph
    elif scope.startswith("community:"):
        users = set(scores.loc[scores["community_id"] == scope.removeprefix("community:"), "user_id"])
    elif scope.startswith("topic:"):
        window_days = lake.read(tables.NETWORK_SUMMARY).where(F.col("as_of_date") == F.lit(as_of)).first()["window_days"]
        window = in_window(lake.read(tables.INTERACTIONS), as_of, window_days, settings.exclude_users)
        scored = lake.spark.createDataFrame(scores[["user_id", "community_id"]])
        users = set(memberships(scored, window, community_min_size=len(scores) + 1,
                                topics=[scope.removeprefix("topic:")]).where(F.col("scope") == scope)
                    .toPandas()["user_id"])
    else:
        raise InfluenceError(f"--scope is global, community:<id> or topic:<hashtag>, not {scope!r}")
    if not users:
        raise InfluenceError(f"nobody in scope {scope} on {as_of}")
    users -= set(wanted.exclude) | set(wanted.require)
    if wanted.costs is not None:
        if missing := [u for u in wanted.require if u not in wanted.costs]:
            raise InfluenceError(f"required but without a cost in the costs file: {wanted.named(missing)}")
        spent = sum(wanted.costs[u] for u in wanted.require)
        if spent > wanted.budget:
            raise InfluenceError(f"the required influencers cost {spent:g}, over the budget {wanted.budget:g}")
        users &= set(wanted.costs)
        if not users:
            raise InfluenceError(f"nobody in scope {scope} has a cost in the costs file")
        cheapest = min(wanted.costs[u] for u in users)
        if spent + cheapest > wanted.budget:
            raise InfluenceError(f"the budget {wanted.budget:g} is below every candidate's cost (the cheapest costs "
                                 f"{cheapest:g}{f' beside the required {spent:g}' if spent else ''})")
    return sorted(users)


def _fitting(order: list[str], wanted: Request, candidates: set[str]) -> list[str]:
    """``order`` cut as a plan would take it: required first, then candidates within k and the budget."""
    taken, spent = list(wanted.require), sum((wanted.costs or {}).get(u, 0.0) for u in wanted.require)
    for user in order:
        if len(taken) >= wanted.limit(len(candidates)):
            break
        if user in taken or user not in candidates:
            continue
        if wanted.costs is not None:
            if spent + wanted.costs[user] > wanted.budget:
                continue
            spent += wanted.costs[user]
        taken.append(user)
    return taken


def _exact(edges: DataFrame, wanted: Request, candidates: list[str], orders: dict[str, list[str]],
           shortlist: list[str]) -> tuple[list[Plan], list[tuple[str, str, float, float, float, float]]]:
    graph = EdgeList.from_frame(edges.withColumn("weight", F.lit(1.0)).toPandas())
    audiences = Audiences(graph, wanted.reach)

    def nodes(users: Sequence[str]) -> np.ndarray:
        users = np.asarray(list(users), dtype=str)
        found = np.searchsorted(graph.ids, users)
        known = found < graph.n
        known[known] = graph.ids[found[known]] == users[known]
        if not known.all():
            raise InfluenceError(f"not among the engaged or engaging people of the date's edges: "
                                 f"{', '.join(users[~known][:5])}")
        return found

    costs = None
    if wanted.costs is not None:
        costs = np.zeros(graph.n)
        in_graph = set(graph.ids.tolist())
        listed = [u for u in wanted.costs if u in in_graph]
        costs[nodes(listed)] = [wanted.costs[u] for u in listed]
    required = nodes(wanted.require).tolist()
    options = {"required": required, "costs": costs, "budget": wanted.budget}
    k, pickable = wanted.limit(len(candidates)), set(candidates)
    plans = [lazy_greedy(audiences, nodes(candidates), k, **options)]
    for method, order in orders.items():
        plans.append(in_order(audiences, nodes(_fitting(order, wanted, pickable)), k, method, **options))
    for plan in plans:
        plan.picks = [str(graph.ids[v]) for v in plan.picks]
    pairs = [(str(graph.ids[a]), str(graph.ids[b]), float(size_a), float(size_b), float(shared), jaccard)
             for a, b, size_a, size_b, shared, jaccard in overlaps(audiences, nodes(shortlist).tolist())]
    return plans, pairs


def _sketched(edges: DataFrame, wanted: Request, candidates: list[str], orders: dict[str, list[str]],
              shortlist: list[str], settings: Settings):
    spark = edges.sparkSession
    pool, pickable = {*candidates, *wanted.require, *shortlist}, set(candidates)
    people = spark.createDataFrame(
        [(u, (wanted.costs or {}).get(u), u in pickable) for u in sorted(pool)],
        "user_id string, cost double, candidate boolean")
    sketches = people.join(sketched.audience_sketches(edges, wanted.reach, settings.plan.sketch_lg_k), "user_id",
                           "left").cache()
    try:
        plans = [_with_required(sketches, wanted, wanted.limit(len(candidates)))]
        for method, order in orders.items():
            plans.append(sketched.sketched_in_order(sketches.where(F.col("audience").isNotNull()),
                                                    _fitting(order, wanted, pickable), method))
        pairs = _sketched_pairs(sketches.where(F.col("user_id").isin(shortlist)))
    finally:
        sketches.unpersist()
    return plans, pairs


def _with_required(sketches: DataFrame, wanted: Request, k: int) -> Plan:
    # Required picks are taken from every sketch, the rest only from the scope's candidates.
    pickable = F.col("candidate") | F.col("user_id").isin(list(wanted.require))
    spent = sum((wanted.costs or {}).get(u, 0.0) for u in wanted.require)
    return sketched.sketched_greedy(sketches.where(pickable & F.col("audience").isNotNull()), k,
                                    required=wanted.require, budget=wanted.budget, required_cost=spent)


def _sketched_pairs(shortlist: DataFrame) -> list[tuple[str, str, float, float, float, float]]:
    a = shortlist.select(F.col("user_id").alias("a"), F.col("audience").alias("sa"))
    b = shortlist.select(F.col("user_id").alias("b"), F.col("audience").alias("sb"))
    size_a, size_b = F.coalesce(F.hll_sketch_estimate("sa"), F.lit(0.0)), F.coalesce(F.hll_sketch_estimate("sb"), F.lit(0.0))
    union = F.coalesce(F.hll_sketch_estimate(F.hll_union("sa", "sb")), F.greatest(size_a, size_b))
    rows = a.crossJoin(b).where(F.col("a") < F.col("b")).select(
        "a", "b", size_a.alias("size_a"), size_b.alias("size_b"),
        F.greatest(F.lit(0.0), size_a + size_b - union).alias("shared"), union.alias("union")).collect()
    return [(r["a"], r["b"], float(r["size_a"]), float(r["size_b"]), float(r["shared"]),
             float(r["shared"] / r["union"]) if r["union"] else 0.0) for r in rows]


def _plan_rows(plan: Plan, wanted: Request, as_of: date, run_id: str, sizing: str, error: float, bound: float,
               method_reach: dict[str, float], planned_at: datetime) -> pd.DataFrame:
    rows = []
    for order, (user, gain, total, size) in enumerate(zip(plan.picks, plan.marginal, plan.cumulative, plan.audience),
                                                      start=1):
        cost = None if wanted.costs is None else wanted.costs.get(user)
        rows.append({
            "as_of_date": as_of, "plan_id": wanted.plan_id(as_of), "parameters": wanted.parameters(),
            "method": plan.method, "guarantee": plan.guarantee, "method_reach": method_reach,
            "reach_hops": wanted.reach, "sizing": sizing, "pick_order": order, "user_id": user,
            "required": user in wanted.require, "audience": float(size), "marginal_reach": float(gain),
            "cumulative_reach": float(total),
            "overlap_share": float(min(1.0, max(0.0, 1 - gain / size))) if size else 0.0,
            "cost": cost, "reach_per_cost": float(gain / cost) if cost else None,
            "reach_error": float(error * total) if sizing == "sketch" else None,
            "optimum_upper_bound": float(bound), "planned_at": planned_at, "run_id": run_id,
        })
    return pd.DataFrame(rows, columns=tables.table(tables.CAMPAIGN_PLANS).column_names)


def _overlap_rows(pairs, as_of: date, hops: int, run_id: str, sizing: str, error: float) -> pd.DataFrame:
    rows = [{"as_of_date": as_of, "reach_hops": hops, "user_a": a, "user_b": b, "audience_a": size_a,
             "audience_b": size_b, "shared": shared, "jaccard": min(1.0, jaccard),
             # shared = |A| + |B| - |A u B|: the three estimates' errors add up.
             "shared_error": float(error * (size_a + size_b + size_a + size_b - shared)) if sizing == "sketch" else None,
             "run_id": run_id}
            for a, b, size_a, size_b, shared, jaccard in pairs]
    return pd.DataFrame(rows, columns=tables.table(tables.AUDIENCE_OVERLAP).column_names)
