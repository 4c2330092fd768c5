"""The lists a team works from, per scope, kept stable from one date to the next (pure).

- ``coi_core``: the top 12 by influence_score (centers of influence);
- ``coi_potential``: the next 100 outside the core;
- ``net_of_influence``: the top 150 (Dunbar's number);
- ``shortlist``: 50, half awareness and half conversion influencers. A user holding both
  roles counts on the side whose role is scarcer in the scope, which the other side can
  spare. When one side has too few, the other fills the places and the entries say so.

Hysteresis: against the lists of the previous scored date, a member keeps its place while
its position stays within the cut plus a margin (``ceil(hysteresis x size)``), so that
small moves around the cut do not churn the lists; the remaining places go to the
best-ranked newcomers. Every entry and exit is a row with its reason. Cost: O(c log c) on
the driver for the c candidates collected (a few hundred per scope).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from influence.config import ListSettings

LISTS = ("coi_core", "coi_potential", "net_of_influence", "shortlist")


@dataclass(frozen=True)
class Candidate:
    user_id: str
    scope_rank: int
    awareness: bool = False
    conversion: bool = False


@dataclass(frozen=True)
class Entry:
    segment: str
    user_id: str
    rank: int | None
    confidence: float
    reason: str
    change: str


def hysteresis_margin(size: int, hysteresis: float) -> int:
    return math.ceil(size * hysteresis)


def ranked_list(segment: str, eligible: list[str], previous: set[str], *, size: int, hysteresis: float,
                position_name: str, why_absent: Callable[[str], str], note: str = "") -> list[Entry]:
    """One list: ``size`` users of ``eligible`` (best first), previous members kept while
    their position is within ``size`` + margin; exits of previous members included.

    ``why_absent`` says why a previous member is not eligible any more; ``note`` is added
    to the reason of every member (for example that the list was filled from elsewhere).
    """
    margin = hysteresis_margin(size, hysteresis)
    position = {user: i + 1 for i, user in enumerate(eligible)}
    kept = [u for u in eligible if u in previous and position[u] <= size + margin][:size]
    newcomers = [u for u in eligible if u not in previous][:size - len(kept)]
    members = sorted([*kept, *newcomers], key=position.__getitem__)
    suffix = f"; {note}" if note else ""
    entries = []
    for rank, user in enumerate(members, start=1):
        at = position[user]
        if user not in previous:
            reason, change, confidence = f"entered: {position_name} {at} (cut {size})", "entered", 1.0
        elif at <= size:
            reason, change, confidence = f"kept: {position_name} {at} (cut {size})", "kept", 1.0
        else:
            reason = (f"kept by hysteresis: {position_name} {at} is past the cut {size} "
                      f"but within the margin of {margin}")
            change, confidence = "kept", 1.0 - (at - size) / (margin + 1)
        entries.append(Entry(segment, user, rank, confidence, reason + suffix, change))
    chosen = set(members)
    for user in sorted(previous - chosen):
        if user in position:
            reason = (f"exited: {position_name} {position[user]} passed the cut {size} "
                      f"by more than the margin of {margin}")
        else:
            reason = f"exited: {why_absent(user)}"
        entries.append(Entry(segment, user, None, 0.0, reason, "exited"))
    return entries


def select_lists(candidates: Iterable[Candidate], previous: Mapping[str, set[str]], settings: ListSettings,
                 scope: str = "global") -> list[Entry]:
    """Every list of one scope from its candidates (any order) and the previous members per list."""
    ordered = sorted(candidates, key=lambda c: c.scope_rank)
    ranked_users = [c.user_id for c in ordered]
    known = {c.user_id: c for c in ordered}

    def gone(user: str) -> str:
        return f"no longer in {scope}" if user not in known else f"rank {known[user].scope_rank} in {scope}"

    h = settings.hysteresis
    core = ranked_list("coi_core", ranked_users, previous.get("coi_core", set()), size=settings.coi_core,
                       hysteresis=h, position_name="rank", why_absent=gone)
    in_core = {e.user_id for e in core if e.change != "exited"}
    outside_core = [u for u in ranked_users if u not in in_core]
    potential = ranked_list(
        "coi_potential", outside_core, previous.get("coi_potential", set()), size=settings.coi_potential,
        hysteresis=h, position_name="position after the core",
        why_absent=lambda u: "moved up to coi_core" if u in in_core else gone(u))
    net = ranked_list("net_of_influence", ranked_users, previous.get("net_of_influence", set()),
                      size=settings.net_of_influence, hysteresis=h, position_name="rank", why_absent=gone)
    return [*core, *potential, *net, *_shortlist(ordered, previous.get("shortlist", set()), settings, scope)]


def _shortlist(ordered: list[Candidate], previous: set[str], settings: ListSettings, scope: str) -> list[Entry]:
    size = settings.shortlist
    both_to_awareness = sum(c.awareness for c in ordered) <= sum(c.conversion for c in ordered)
    aware = [c.user_id for c in ordered if c.awareness and (both_to_awareness or not c.conversion)]
    convert = [c.user_id for c in ordered if c.conversion and not (both_to_awareness and c.awareness)]
    half_aware, half_convert = size - size // 2, size // 2
    # A short side gives its places to the other.
    aware_places = min(half_aware, len(aware))
    convert_places = min(size - aware_places, len(convert))
    aware_places = min(size - convert_places, len(aware))
    notes = {"awareness": [], "conversion": []}
    if aware_places > half_aware:
        notes["awareness"].append(f"filled from awareness: only {len(convert)} conversion influencers in {scope}")
    if convert_places > half_convert:
        notes["conversion"].append(f"filled from conversion: only {len(aware)} awareness influencers in {scope}")
    if aware_places + convert_places < size:
        short = f"list short: {aware_places + convert_places} of {size} awareness and conversion influencers in {scope}"
        for side_notes in notes.values():
            side_notes.append(short)

    entries: list[Entry] = []
    for side, eligible, places in (("awareness", aware, aware_places), ("conversion", convert, convert_places)):
        entries += ranked_list("shortlist", eligible, previous & set(eligible), size=places,
                               hysteresis=settings.hysteresis, position_name=f"{side} rank",
                               why_absent=lambda _: "not eligible", note="; ".join(notes[side]))
    entries += [Entry("shortlist", user, None, 0.0, "exited: no longer an awareness or conversion influencer", "exited")
                for user in sorted(previous - set(aware) - set(convert))]
    # One ranking across both sides, by influence score.
    scope_rank = {c.user_id: c.scope_rank for c in ordered}
    members = sorted((e for e in entries if e.change != "exited"), key=lambda e: scope_rank[e.user_id])
    rank = {e.user_id: i for i, e in enumerate(members, start=1)}
    return [replace(e, rank=rank.get(e.user_id)) if e.change != "exited" else e for e in entries]


def with_pushed_out(entries: list[Entry], raw_entries: list[Entry], why: Mapping[str, str | None]) -> list[Entry]:
    """``entries`` (the lists by the authentic score) with an ``exited`` row for every member of
    ``raw_entries`` (the same lists by the score read with pagerank) whom discounting flagged
    engagement pushed out: a previous member's exit row takes that reason; a user who would
    have entered gets one. ``why`` is each user's ``suspicious_reason`` (which detector and
    group lifted them; null when they were lifted only through accounts that were)."""
    held = {(e.segment, e.user_id) for e in entries if e.change != "exited"}
    raw_place = {(e.segment, e.user_id): e.rank for e in raw_entries if e.change != "exited"}
    pushed = {key: place for key, place in raw_place.items() if key not in held}
    if not pushed:
        return entries

    def reason(segment: str, user: str) -> str:
        lifted = why.get(user) or "its PageRank came through accounts that flagged engagement lifted"
        return (f"exited: pushed out once flagged engagement is discounted (place {pushed[segment, user]} in "
                f"{segment} by the score with raw PageRank); {lifted}")

    out = [replace(e, reason=reason(e.segment, e.user_id)) if e.change == "exited" and (e.segment, e.user_id) in pushed
           else e for e in entries]
    exiting = {(e.segment, e.user_id) for e in entries if e.change == "exited"}
    out += [Entry(segment, user, None, 0.0, reason(segment, user), "exited")
            for segment, user in sorted(pushed) if (segment, user) not in exiting]
    return out


SEGMENT_ROW = T.StructType([
    T.StructField("scope", T.StringType(), False), T.StructField("segment", T.StringType(), False),
    T.StructField("user_id", T.StringType(), False), T.StructField("rank", T.IntegerType(), True),
    T.StructField("confidence", T.DoubleType(), False), T.StructField("reason", T.StringType(), False),
    T.StructField("change", T.StringType(), False),
])


def list_rows(scoped_users: DataFrame, previous_lists: DataFrame | None, settings: ListSettings) -> DataFrame:
    """Every list of every scope as segment rows (``scope, segment, user_id, rank, scope_rank,
    confidence, reason, change``), from the scoped users and the previous date's list members."""
    h = settings.hysteresis
    depth = max(settings.coi_core + settings.coi_potential, settings.net_of_influence)
    depth += hysteresis_margin(depth, h)
    side_depth = settings.shortlist + hysteresis_margin(settings.shortlist, h)
    raw = "raw_scope_rank" in scoped_users.columns  # the lists by the score with pagerank, to see who is pushed out
    ranks = ["scope_rank", "raw_scope_rank"] if raw else ["scope_rank"]
    ranked = scoped_users
    wanted = F.lit(False)
    for rank in ranks:
        ranked = ranked.withColumns({
            f"aware_pos_{rank}": F.when(F.col("is_awareness"), F.row_number().over(
                Window.partitionBy("scope", "is_awareness").orderBy(rank))),
            f"convert_pos_{rank}": F.when(F.col("is_conversion"), F.row_number().over(
                Window.partitionBy("scope", "is_conversion").orderBy(rank)))})
        wanted = (wanted | (F.col(rank) <= depth) | (F.col(f"aware_pos_{rank}") <= side_depth)
                  | (F.col(f"convert_pos_{rank}") <= side_depth))
    previous_members = None
    if previous_lists is not None:
        previous_members = previous_lists.select("scope", "user_id").distinct().withColumn("was_listed", F.lit(True))
        ranked = ranked.join(previous_members, ["scope", "user_id"], "left")
        wanted = wanted | F.col("was_listed").isNotNull()
    extra = ["raw_scope_rank", "suspicious_reason"] if raw else []
    rows = ranked.where(wanted).select("scope", "user_id", "scope_rank", "is_awareness", "is_conversion",
                                       *extra).collect()
    previous_rows = [] if previous_lists is None else previous_lists.select("scope", "segment", "user_id").collect()

    by_scope: dict[str, list[Candidate]] = {}
    raw_by_scope: dict[str, list[Candidate]] = {}
    why: dict[str, str | None] = {}
    for r in rows:
        by_scope.setdefault(r["scope"], []).append(
            Candidate(r["user_id"], r["scope_rank"], bool(r["is_awareness"]), bool(r["is_conversion"])))
        if raw:
            raw_by_scope.setdefault(r["scope"], []).append(
                Candidate(r["user_id"], r["raw_scope_rank"], bool(r["is_awareness"]), bool(r["is_conversion"])))
            why[r["user_id"]] = r["suspicious_reason"]
    before: dict[str, dict[str, set[str]]] = {}
    for r in previous_rows:
        before.setdefault(r["scope"], {}).setdefault(r["segment"], set()).add(r["user_id"])
    entries = []
    for scope in sorted(set(by_scope) | set(before)):
        chosen = select_lists(by_scope.get(scope, []), before.get(scope, {}), settings, scope)
        if raw:
            chosen = with_pushed_out(
                chosen, select_lists(raw_by_scope.get(scope, []), before.get(scope, {}), settings, scope), why)
        for e in chosen:
            entries.append((scope, e.segment, e.user_id, e.rank, float(e.confidence), e.reason, e.change))
    spark = scoped_users.sparkSession
    frame = spark.createDataFrame(entries, SEGMENT_ROW)
    ranks = scoped_users.select("scope", "user_id", "scope_rank")
    return frame.join(ranks, ["scope", "user_id"], "left")
