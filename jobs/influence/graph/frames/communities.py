"""Communities by Louvain local moves on DataFrames, and participation across them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from influence.graph.frames import step

# A move must gain more than this (relative to the total weight) to count: sums of the same
# weights in another order differ in the last bits, and a cluster must make the moves a
# local run makes.
GAIN_TOLERANCE = 1e-12


@dataclass(frozen=True)
class FrameCommunities:
    """``membership``: ``id, community`` (the smallest vertex number in it); the partition's
    modularity, the number of communities, and the levels and move rounds it took."""

    membership: DataFrame
    modularity: float
    count: int
    levels: int
    rounds: int


def undirected_links(edges: DataFrame) -> DataFrame:
    """``src, dst, weight`` in both directions, one row per ordered pair of distinct contacts,
    the weights of both directions summed (as the driver engine's undirected graph)."""
    pairs = (edges.where(F.col("src") != F.col("dst"))
             .select(F.least("src", "dst").alias("a"), F.greatest("src", "dst").alias("b"), "weight")
             .groupBy("a", "b").agg(F.sum("weight").alias("weight")))
    return (pairs.select(F.col("a").alias("src"), F.col("b").alias("dst"), "weight")
            .unionByName(pairs.select(F.col("b").alias("src"), F.col("a").alias("dst"), "weight")))


def louvain(edges: DataFrame, vertices: DataFrame, *, resolution: float = 1.0, max_levels: int = 10,
            max_rounds: int = 40, seed: int = 0) -> FrameCommunities:
    """Modularity communities of the undirected weighted graph, started from singletons.

    Output: ``membership`` with ``id, community``, one row per vertex; a community is named
    by its smallest member. Modularity as igraph's (``Graph.modularity`` with weights and
    ``resolution``), both directions of a contact counted once with their weights summed.

    Method: Louvain (Blondel, Guillaume, Lambiotte and Lefebvre, "Fast unfolding of
    communities in large networks", J. Stat. Mech. 2008) with the local moves made in
    parallel, as distributed Louvain implementations do (for example Que et al., "Scalable
    community detection with the Louvain algorithm", IPDPS 2015): in each round every vertex
    finds the neighbouring community of largest modularity gain, ties to the smallest name;
    of the vertices that would gain, a pseudo-random half (a hash of the vertex, the round and
    ``seed``) moves, so that two neighbours do not swap forever. A level ends when no vertex
    would gain; its communities then become the vertices of the next level (the weights
    between them summed, those inside kept as self-loops). It stops when a level moves
    nobody. Every choice depends on the data and ``seed`` only, so a cluster run equals a
    local one.

    Guarantee: none on optimality (modularity maximisation is NP-hard); every level ends at
    a partition no single move improves, and the modularity reached is returned to be checked
    against the driver engine's Leiden.

    Cost: per round about 4 shuffles of at most 2m rows (the links) and n rows (the
    vertices), 1 Spark job; rounds per level typically 10-30, levels 3-5, each level's
    graph smaller than the last.
    """
    links = step(undirected_links(edges), 1)
    degree = links.groupBy(F.col("src").alias("id")).agg(F.sum("weight").alias("degree"))
    nodes = step(vertices.select("id").join(degree, "id", "left").select(
        "id", F.coalesce("degree", F.lit(0.0)).alias("degree"), F.lit(0.0).alias("inner")), 1)
    two_m = nodes.agg(F.sum("degree")).first()[0] or 0.0
    membership = vertices.select("id", F.col("id").alias("community"))
    if two_m <= 0:
        return FrameCommunities(step(membership, 1), 0.0, vertices.count(), 0, 0)
    levels = rounds = 0
    for level in range(max_levels):
        assignment, level_rounds, moved = _local_moves(links, nodes, two_m=two_m, resolution=resolution,
                                                       max_rounds=max_rounds, seed=seed + 1000 * level)
        rounds += level_rounds
        levels = level + 1
        membership = step(membership.join(assignment.select(F.col("id").alias("community"),
                                                            F.col("community").alias("next")), "community")
                          .select("id", F.col("next").alias("community")), level + 1)
        if not moved:
            break
        links, nodes = _aggregate(links, nodes, assignment, level + 1)
    membership = step(membership.join(membership.groupBy("community").agg(F.min("id").alias("name")), "community")
                      .select("id", F.col("name").alias("community")), 1)
    count = membership.select("community").distinct().count()
    quality = modularity(edges, membership, resolution=resolution)
    return FrameCommunities(membership, quality, count, levels, rounds)


def _local_moves(links: DataFrame, nodes: DataFrame, *, two_m: float, resolution: float, max_rounds: int,
                 seed: int) -> tuple[DataFrame, int, bool]:
    """Parallel local moves on one level's graph until no vertex would gain (or ``max_rounds``).
    Returns the assignment (``id, community``), the rounds run and whether anyone moved."""
    scale = resolution / two_m
    assignment = step(nodes.select("id", F.col("id").alias("community"), "degree"), 1)
    moved_any = False
    rounds = 0
    for round_ in range(1, max_rounds + 1):
        rounds = round_
        totals = assignment.groupBy("community").agg(F.sum("degree").alias("total"))
        neighbour = assignment.select(F.col("id").alias("dst"), F.col("community").alias("candidate"))
        towards = (links.join(neighbour, "dst").groupBy("src", "candidate").agg(F.sum("weight").alias("towards"))
                   .join(totals.select(F.col("community").alias("candidate"), F.col("total").alias("candidate_total")),
                         "candidate"))
        here = assignment.alias("here")
        scored = (towards.join(here, towards["src"] == F.col("here.id"))
                  .select(F.col("here.id").alias("id"), "candidate", "towards",
                          F.when(F.col("candidate") == F.col("here.community"),
                                 F.col("candidate_total") - F.col("here.degree")).otherwise(
                              F.col("candidate_total")).alias("others"),
                          F.col("here.degree").alias("degree")))
        # Gain of sitting in a community, up to terms that are the same for all candidates.
        scored = scored.withColumn("gain", F.col("towards") - F.lit(scale) * F.col("degree") * F.col("others"))
        best = scored.groupBy("id").agg(F.max(F.struct("gain", (-F.col("candidate")).alias("order"))).alias("best"))
        current = assignment.join(totals, "community").select(
            "id", "community", "degree",
            # Staying where one is with no contact inside: gain 0 minus the others' total.
            (-F.lit(scale) * F.col("degree") * (F.col("total") - F.col("degree"))).alias("lonely_gain"))
        own = (scored.join(assignment.select("id", F.col("community").alias("own")), "id")
               .where(F.col("candidate") == F.col("own")).select("id", F.col("gain").alias("own_gain")))
        decided = (current.join(best, "id", "left").join(own, "id", "left")
                   .withColumn("stay_gain", F.coalesce("own_gain", "lonely_gain"))
                   .withColumn("wants", F.col("best").isNotNull()
                               & (F.col("best.gain") > F.col("stay_gain") + F.lit(GAIN_TOLERANCE * two_m))
                               & (-F.col("best.order") != F.col("community")))
                   .withColumn("moves", F.col("wants") & (F.xxhash64("id", F.lit(round_), F.lit(seed)) % 2 == 0)))
        counts = Observation(f"louvain-{uuid.uuid4().hex}")  # counted in the job that cuts the round
        observed = decided.observe(counts, F.sum(F.col("wants").cast("long")).alias("wanting"),
                                   F.sum(F.col("moves").cast("long")).alias("moving"))
        assignment = step(observed.select(
            "id", F.when(F.col("moves"), -F.col("best.order")).otherwise(F.col("community")).alias("community"),
            "degree"), round_)
        wanting, moving = counts.get["wanting"], counts.get["moving"]
        if moving:
            moved_any = True
        if not wanting:
            break
    return assignment.select("id", "community"), rounds, moved_any


def _aggregate(links: DataFrame, nodes: DataFrame, assignment: DataFrame, level: int) -> tuple[DataFrame, DataFrame]:
    """The next level's graph: one vertex per community, the weights between them summed."""
    source = assignment.select(F.col("id").alias("src"), F.col("community").alias("from"))
    target = assignment.select(F.col("id").alias("dst"), F.col("community").alias("to"))
    between = links.join(source, "src").join(target, "dst").groupBy("from", "to").agg(F.sum("weight").alias("weight"))
    inside = between.where(F.col("from") == F.col("to")).select(F.col("from").alias("id"),
                                                                 F.col("weight").alias("inside"))
    grouped = (nodes.join(assignment, "id").groupBy("community")
               .agg(F.sum("degree").alias("degree"), F.sum("inner").alias("inner"))
               .join(inside, F.col("community") == inside["id"], "left")
               .select(F.col("community").alias("id"), "degree",
                       (F.col("inner") + F.coalesce("inside", F.lit(0.0))).alias("inner")))
    next_links = between.where(F.col("from") != F.col("to")).select(
        F.col("from").alias("src"), F.col("to").alias("dst"), "weight")
    return step(next_links, level), step(grouped, level)


def modularity(edges: DataFrame, membership: DataFrame, *, resolution: float = 1.0) -> float:
    """Newman's modularity of ``membership`` on the undirected weighted graph of ``edges``:
    sum over communities of L_c / 2m - resolution (K_c / 2m)^2, where L_c sums the weights of
    the ordered pairs inside c and K_c its members' weighted degrees. One Spark job."""
    links = undirected_links(edges)
    source = membership.select(F.col("id").alias("src"), F.col("community").alias("from"))
    target = membership.select(F.col("id").alias("dst"), F.col("community").alias("to"))
    per_community = (links.join(source, "src").join(target, "dst")
                     .groupBy("from").agg(F.sum("weight").alias("degree"),
                                          F.sum(F.when(F.col("from") == F.col("to"), F.col("weight"))
                                                .otherwise(0.0)).alias("inside")))
    two_m, inside, squares = per_community.agg(
        F.sum("degree"), F.sum("inside"), F.sum(F.col("degree") * F.col("degree"))).first()
    if not two_m:
        return 0.0
    return float(inside / two_m - resolution * squares / (two_m * two_m))


def participation(edges: DataFrame, membership: DataFrame) -> DataFrame:
    """``id, participation``: ``1 - sum_c (k_vc / k_v)^2`` over the communities of v's distinct
    contacts in either direction (Guimera and Amaral, Nature 2005), 0 without contacts, as the
    driver engine's. Exact; one aggregation of the 2m links."""
    contacts = (undirected_links(edges).select("src", "dst")
                .join(membership.select(F.col("id").alias("dst"), "community"), "dst")
                .groupBy("src", "community").agg(F.count(F.lit(1)).alias("k"))
                .groupBy("src").agg(F.sum("k").alias("contacts"), F.sum(F.col("k") * F.col("k")).alias("squares")))
    return (membership.select("id").join(contacts, membership["id"] == contacts["src"], "left")
            .select("id", F.coalesce(F.lit(1.0) - F.col("squares") / (F.col("contacts") * F.col("contacts")),
                                     F.lit(0.0)).alias("participation")))
