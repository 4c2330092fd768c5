"""Export lines -> canonical interactions (pure: DataFrame in, DataFrames out)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from influence import tables
from influence.config import CANONICAL_TYPES
from influence.profiles import Profile

EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=timezone.utc)
_FIELD_SEPARATOR = "\u001f"  # cannot occur inside a whitespace-separated field


def _first_reason(*checks: tuple[Column, Column | str]) -> Column:
    """The message of the first check that fails, else null (the line is accepted)."""
    return F.coalesce(*[F.when(failed, message) for failed, message in checks])


def event_id(platform: Column, actor: Column, target: Column, kind: Column, occurred_at: Column,
             content_id: Column, ordinal: Column) -> Column:
    """sha256 of the event's identity and its ordinal among identical rows of one file.

    Two identical lines in one file are two events (ordinals 1 and 2); the same line in
    two files is one event (both files give it ordinal 1).
    """
    parts = [platform, actor, target, kind, F.unix_micros(occurred_at).cast("string"),
             F.coalesce(content_id, F.lit("")), ordinal.cast("string")]
    return F.sha2(F.concat_ws(_FIELD_SEPARATOR, *parts), 256)


def parse_snap(lines: DataFrame, profile: Profile, *, source_file: str, run_id: str,
               now: datetime, max_future_days: float) -> tuple[DataFrame, DataFrame]:
    """Split ``(line_no, value, problem)`` rows of a SNAP export into accepted and quarantined rows.

    A row whose ``problem`` is set (framing found it over-long or not UTF-8) is quarantined
    with that reason.

    Returns ``(interactions, quarantine)``: the first in the ``bronze/interactions``
    schema, the second in ``bronze/quarantine``'s. Every input row lands in exactly one.
    """
    fields = F.split(F.trim(F.col("value")), r"\s+")
    n_fields = F.when(F.trim(F.col("value")) == "", 0).otherwise(F.size(fields))
    raw_type = F.when(n_fields == 4, fields.getItem(3))
    type_map = F.create_map(*[F.lit(x) for pair in profile.type_map.items() for x in pair]) \
        if profile.type_map else F.create_map().cast("map<string,string>")
    mapped_type = F.when(n_fields == 3, F.lit(profile.default_type)).otherwise(
        F.coalesce(type_map[raw_type], F.when(raw_type.isin(*CANONICAL_TYPES), raw_type))
    )
    seconds = fields.getItem(2).try_cast("long")
    latest = now + timedelta(days=max_future_days)

    parsed = lines.select(
        "line_no", "value",
        F.concat(F.lit(profile.id_prefix), fields.getItem(0)).alias("actor_id"),
        F.concat(F.lit(profile.id_prefix), fields.getItem(1)).alias("target_id"),
        mapped_type.alias("interaction_type"),
        F.timestamp_seconds(seconds).alias("occurred_at"),
        _first_reason(
            (F.col("problem").isNotNull(), F.col("problem")),
            (n_fields == 0, F.lit("blank line")),
            (F.trim(F.col("value")).startswith("#"), F.lit("comment line")),
            (~n_fields.isin(3, 4),
             F.format_string("expected 3 or 4 whitespace-separated fields, got %d", n_fields)),
            (seconds.isNull(), F.lit("time is not a whole number of seconds")),
            (seconds < int(EARLIEST_EVENT.timestamp()), F.lit("time before 2000-01-01")),
            (seconds > int(latest.timestamp()),
             F.lit(f"time more than {max_future_days:g} day(s) in the future")),
            (mapped_type.isNull(), F.format_string("unknown interaction type '%s'", raw_type)),
            (fields.getItem(0) == fields.getItem(1), F.lit("actor equals target")),
        ).alias("reason"),
    )

    quarantine = parsed.where(F.col("reason").isNotNull()).select(
        F.lit(source_file).alias("source_file"),
        F.col("line_no").alias("source_line"),
        F.col("value").alias("raw"),
        "reason",
        F.lit(profile.profile).alias("profile"),
        F.lit(run_id).alias("ingest_run_id"),
        F.lit(now).cast("timestamp").alias("quarantined_at"),
    )

    identity = ["actor_id", "target_id", "interaction_type", "occurred_at"]
    ordinal = F.row_number().over(Window.partitionBy(*identity).orderBy("line_no"))
    platform = F.lit(profile.platform)
    no_content = F.lit(None).cast("string")
    accepted = (
        parsed.where(F.col("reason").isNull())
        .withColumn("ordinal", ordinal)
        .select(
            event_id(platform, F.col("actor_id"), F.col("target_id"), F.col("interaction_type"),
                     F.col("occurred_at"), no_content, F.col("ordinal")).alias("event_id"),
            platform.alias("platform"),
            *identity[:3],
            "occurred_at",
            F.to_date("occurred_at").alias("event_date"),
            no_content.alias("content_id"),
            F.lit(None).cast("long").alias("audience_size"),
            F.array().cast("array<string>").alias("topics"),
            F.lit(source_file).alias("source_file"),
            F.lit(run_id).alias("ingest_run_id"),
        )
    )
    return tables.conform(accepted, tables.INTERACTIONS), tables.conform(quarantine, tables.QUARANTINE)

