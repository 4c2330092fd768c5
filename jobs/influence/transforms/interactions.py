"""Export lines -> canonical interactions (pure: DataFrame in, DataFrames out).

Each format turns framed lines (``line_no, value, problem``) into *candidate* rows: one
per interaction a line holds (a jsonl post can hold several), or one for a line that
cannot be read at all. Shared checks then accept each candidate or quarantine it with
the first reason that applies, so every candidate lands in exactly one of the two.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from influence import tables
from influence.config import CANONICAL_TYPES
from influence.privacy import pseudonymize_ids
from influence.profiles import Profile

EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=timezone.utc)
# Unix seconds a Spark timestamp can hold (microseconds in a long), years 0001 to 9999;
# timestamp_seconds overflows, and fails the whole job, outside them.
_UNIX_SECONDS_RANGE = (-62_135_596_800, 253_402_300_799)
_FIELD_SEPARATOR = "\u001f"  # cannot occur inside a whitespace-separated field
_CORRUPT = "_corrupt_record"


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


def exported_event_id(platform: Column, export_id: Column, kind: Column, target: Column) -> Column:
    """sha256 of the export's own id with the type and target (one post, several events); null without one."""
    return F.when(export_id.isNotNull(), F.sha2(F.concat_ws(_FIELD_SEPARATOR, platform, export_id, kind, target), 256))


def parse_lines(lines: DataFrame, profile: Profile, *, source_file: str, run_id: str, now: datetime,
                max_future_days: float, header: list[str] | None = None,
                pseudonymize_with: bytes | None = None) -> tuple[DataFrame, DataFrame]:
    """``split_checked(check_lines(...))``: accepted and quarantined rows of framed lines."""
    checked = check_lines(lines, profile, now=now, max_future_days=max_future_days, header=header,
                          pseudonymize_with=pseudonymize_with)
    return split_checked(checked, profile, source_file=source_file, run_id=run_id, now=now)


def check_lines(lines: DataFrame, profile: Profile, *, now: datetime, max_future_days: float,
                header: list[str] | None = None, pseudonymize_with: bytes | None = None) -> DataFrame:
    """Framed lines of one export -> candidate rows, each with the reason it is refused or null,
    and ``value`` (the raw line) only when refused.

    Materialise the result when both halves of ``split_checked`` are used: parsing then runs
    once. ``header`` is a csv export's column names (its first
    line, which is not a row). A line whose ``problem`` is set (framing found it over-long
    or not UTF-8) is quarantined with that reason.

    With ``pseudonymize_with`` (a key), user ids are replaced by their keyed hash before
    anything is derived from them (event ids included), and quarantined lines keep their
    reason but not their raw text.
    """
    candidates = {"snap": _snap, "csv": _csv, "jsonl": _jsonl}[profile.format](lines, profile, header)
    if pseudonymize_with is not None:
        candidates = pseudonymize_ids(candidates, ["actor_id", "target_id"], pseudonymize_with) \
            .withColumn("value", F.lit(None).cast("string"))
    latest = now + timedelta(days=max_future_days)
    seconds = F.unix_seconds("occurred_at")
    checked = candidates.withColumn("reason", _first_reason(
        (F.col("reason").isNotNull(), F.col("reason")),
        (F.col("actor_id").isNull(), F.lit("missing actor")),
        (F.col("target_id").isNull(), F.lit("missing target")),
        (F.col("time_text").isNull() | (F.trim("time_text") == ""), F.lit("missing time")),
        (F.col("occurred_at").isNull(), F.format_string("unparseable time '%s'", F.col("time_text"))),
        (seconds < int(EARLIEST_EVENT.timestamp()), F.lit("time before 2000-01-01")),
        (seconds > int(latest.timestamp()), F.lit(f"time more than {max_future_days:g} day(s) in the future")),
        (F.col("interaction_type").isNull(), F.format_string("unknown interaction type '%s'", F.col("raw_type"))),
        (F.col("actor_id") == F.col("target_id"), F.lit("actor equals target")),
    ))
    checked = _repeats_quarantined(checked) if "event_id" in profile.fields else checked
    # The raw line is kept for the quarantine only: an accepted row carries its parsed fields.
    return checked.withColumn("value", F.when(F.col("reason").isNotNull(), F.col("value")))


def _repeats_quarantined(checked: DataFrame) -> DataFrame:
    """Quarantine a row whose export event id an earlier good row of the file already has.

    The export's id, type and target make the event id, so the same post twice in one
    file would land as two rows with one key; the first is kept, a repeat names its line.
    """
    first = F.min(F.struct("line_no", "item")).over(
        Window.partitionBy("platform", "export_id", "interaction_type", "target_id", F.col("reason").isNull()))
    repeat = F.col("reason").isNull() & F.col("export_id").isNotNull() & (F.struct("line_no", "item") != first)
    return checked.withColumn("reason", F.when(repeat, F.format_string("repeats the event of line %d", first["line_no"]))
                              .otherwise(F.col("reason")))


def _prefixed(profile: Profile, column: Column) -> Column:
    return F.concat(F.lit(profile.id_prefix), column) if profile.id_prefix else column


def _mapped_type(profile: Profile, raw: Column) -> Column:
    """The canonical type for a raw one: through type_map, else a canonical name, else null."""
    type_map = F.create_map(*[F.lit(x) for pair in profile.type_map.items() for x in pair]) \
        if profile.type_map else F.create_map().cast("map<string,string>")
    return F.coalesce(type_map[raw], F.when(raw.isin(*CANONICAL_TYPES), raw))


def _unix(text: Column) -> Column:
    """A UTC timestamp from unix seconds, null when they do not parse or lie outside years 1-9999."""
    seconds = text.try_cast("long")
    return F.when(seconds.between(*_UNIX_SECONDS_RANGE), F.timestamp_seconds(seconds))


def _time(profile: Profile, text: Column) -> Column:
    """A UTC timestamp from the export's time text, null when it does not parse."""
    if profile.time_format == "unix":
        return _unix(text)
    if profile.time_format == "iso8601":
        return F.coalesce(F.when(text.rlike(r"^\d+$"), _unix(text)), text.try_cast("timestamp"))
    return F.try_to_timestamp(text, F.lit(profile.time_format))


def _audience(value: Column) -> Column:
    """Follower counts: a negative one is as unknown as one that does not parse (null)."""
    return F.when(value >= 0, value)


def _blank(value: Column) -> Column:
    return F.trim(value) == ""


def _snap(lines: DataFrame, profile: Profile, header: list[str] | None) -> DataFrame:
    # Split once in its own projection: an expression repeated inside CASE branches is
    # evaluated every time (measured: 3x slower on 1M lines).
    split = lines.select("line_no", "value", "problem", F.trim(F.col("value")).alias("trimmed")) \
        .withColumn("fields", F.split(F.col("trimmed"), r"\s+"))
    fields = F.col("fields")
    n_fields = F.when(F.col("trimmed") == "", 0).otherwise(F.size(fields))
    raw_type = F.when(n_fields == 4, F.get(fields, 3))
    kind = F.when(n_fields == 3, F.lit(profile.default_type)).otherwise(_mapped_type(profile, raw_type))
    return split.select(
        "line_no", F.lit(0).alias("item"), "value",
        F.when(n_fields >= 1, _prefixed(profile, F.get(fields, 0))).alias("actor_id"),
        F.when(n_fields >= 2, _prefixed(profile, F.get(fields, 1))).alias("target_id"),
        raw_type.alias("raw_type"), kind.alias("interaction_type"),
        F.get(fields, 2).alias("time_text"), _time(profile, F.get(fields, 2)).alias("occurred_at"),
        F.lit(None).cast("string").alias("export_id"), F.lit(None).cast("string").alias("content_id"),
        F.lit(None).cast("long").alias("audience_size"), F.array().cast("array<string>").alias("topics"),
        F.lit(profile.platform).alias("platform"),
        _first_reason(
            (F.col("problem").isNotNull(), F.col("problem")),
            (n_fields == 0, F.lit("blank line")),
            (F.col("trimmed").startswith("#"), F.lit("comment line")),
            (~n_fields.isin(3, 4), F.format_string("expected 3 or 4 whitespace-separated fields, got %d", n_fields)),
        ).alias("reason"),
    )


def _csv(lines: DataFrame, profile: Profile, header: list[str] | None) -> DataFrame:
    header = header or []
    missing = [column for field, column in profile.fields.items()
               if field in ("actor", "target", "time") and column not in header]
    # Columns by position: a header's own names may be blank, repeated or anything else.
    ddl = ", ".join([*(f"_c{i} string" for i in range(len(header))), f"{_CORRUPT} string"])
    record = F.from_csv(F.col("value"), ddl, {"sep": profile.delimiter, "mode": "PERMISSIVE",
                                                "columnNameOfCorruptRecord": _CORRUPT})

    def field(name: str) -> Column:
        column = profile.fields.get(name)
        return record[f"_c{header.index(column)}"] if column in header else F.lit(None).cast("string")

    raw_type = F.nullif(F.trim(field("type")), F.lit(""))
    topics = F.when(field("topics").isNull() | (F.trim(field("topics")) == ""), F.array().cast("array<string>")) \
        .otherwise(F.split(F.lower(F.trim(field("topics"))), "\\s*" + _regex_escape(profile.topics_separator) + "\\s*"))
    rows = lines.where(F.col("line_no") > 1)  # line 1 is the header
    return rows.select(
        "line_no", F.lit(0).alias("item"), "value",
        _prefixed(profile, F.nullif(F.trim(field("actor")), F.lit(""))).alias("actor_id"),
        _prefixed(profile, F.nullif(F.trim(field("target")), F.lit(""))).alias("target_id"),
        raw_type.alias("raw_type"),
        F.when(raw_type.isNull(), F.lit(profile.default_type)).otherwise(_mapped_type(profile, raw_type))
        .alias("interaction_type"),
        field("time").alias("time_text"), _time(profile, F.trim(field("time"))).alias("occurred_at"),
        F.nullif(field("event_id"), F.lit("")).alias("export_id"),
        F.nullif(field("content_id"), F.lit("")).alias("content_id"),
        _audience(field("audience_size").try_cast("long")).alias("audience_size"),
        F.filter(topics, lambda t: t != "").alias("topics"),
        F.coalesce(F.nullif(field("platform"), F.lit("")), F.lit(profile.platform)).alias("platform"),
        _first_reason(
            (F.col("problem").isNotNull(), F.col("problem")),
            (F.lit(bool(missing)), F.lit(f"the header lacks the columns {missing}")),
            (_blank(F.col("value")), F.lit("blank line")),
            (record[_CORRUPT].isNotNull(),
             F.lit(f"malformed CSV: not {len(header)} fields separated by '{profile.delimiter}'")),
        ).alias("reason"),
    )


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?{}[]\|()" else c for c in text)


def _jsonl(lines: DataFrame, profile: Profile, header: list[str] | None) -> DataFrame:
    post = F.try_parse_json(F.col("value"))

    def field(name: str, kind: str = "string") -> Column:
        path = profile.fields.get(name)
        return F.try_variant_get(post, path, kind) if path else F.lit(None).cast(kind)

    def engaged(kind: str, where) -> Column:
        if where.list:
            items = F.try_variant_get(post, where.path, "array<variant>")
            ids = F.coalesce(F.transform(items, lambda x: F.try_variant_get(x, where.item or "$", "string")),
                             F.array().cast("array<string>"))
        else:
            ids = F.array(F.try_variant_get(post, where.path, "string"))
        return F.transform(F.filter(ids, lambda i: i.isNotNull() & ~_blank(i)),
                           lambda i: F.struct(F.lit(kind).alias("kind"), i.alias("target")))

    candidates = F.flatten(F.array(*[engaged(kind, where) for kind, where in profile.engages.items()]))
    hashtags = F.coalesce(field("topics", "array<string>"), F.array().cast("array<string>"))
    topics = F.array_distinct(F.filter(F.transform(hashtags, lambda t: F.lower(F.regexp_replace(F.trim(t), "^#", ""))),
                                       lambda t: t != ""))
    parsed = lines.select(
        "line_no", "value", "problem", post.alias("post"), candidates.alias("candidates"),
        _prefixed(profile, F.when(~_blank(field("actor")), field("actor"))).alias("actor_id"),
        field("time").alias("time_text"),
        field("event_id").alias("export_id"), field("content_id").alias("content_id"),
        _audience(field("audience_size", "long")).alias("audience_size"), topics.alias("topics"),
        F.coalesce(field("platform"), F.lit(profile.platform)).alias("platform"),
    )
    line_reason = _first_reason(
        (F.col("problem").isNotNull(), F.col("problem")),
        (_blank(F.col("value")), F.lit("blank line")),
        (F.col("post").isNull(), F.lit("malformed JSON")),
        (~F.schema_of_variant("post").startswith("OBJECT"), F.lit("not a JSON object")),
        (F.size("candidates") == 0, F.lit("the post engages no one (no reply, reshare, quote, comment or mention)")),
    )
    exploded = parsed.withColumn("line_reason", line_reason).select(
        "*", F.posexplode_outer(F.when(F.col("line_reason").isNull(), F.col("candidates"))).alias("item", "engaged"))
    return exploded.select(
        "line_no", F.coalesce("item", F.lit(0)).alias("item"), "value", "actor_id",
        _prefixed(profile, F.col("engaged.target")).alias("target_id"),
        F.col("engaged.kind").alias("raw_type"), F.col("engaged.kind").alias("interaction_type"),
        "time_text", _time(profile, F.col("time_text")).alias("occurred_at"),
        "export_id", "content_id", "audience_size", "topics", "platform",
        F.col("line_reason").alias("reason"),
    )


def split_checked(checked: DataFrame, profile: Profile, *, source_file: str, run_id: str,
                  now: datetime) -> tuple[DataFrame, DataFrame]:
    """``(interactions, quarantine)`` in the ``bronze/interactions`` and ``bronze/quarantine`` schemas."""

    quarantine = checked.where(F.col("reason").isNotNull()).select(
        F.lit(source_file).alias("source_file"),
        F.col("line_no").alias("source_line"),
        F.col("item").alias("source_item"),
        F.col("value").alias("raw"),
        "reason",
        F.lit(profile.profile).alias("profile"),
        F.lit(run_id).alias("ingest_run_id"),
        F.lit(now).cast("timestamp").alias("quarantined_at"),
    )

    identity = ["platform", "actor_id", "target_id", "interaction_type", "occurred_at", "content_id"]
    ordinal = F.row_number().over(Window.partitionBy(*identity).orderBy("line_no", "item"))
    derived = event_id(F.col("platform"), F.col("actor_id"), F.col("target_id"), F.col("interaction_type"),
                       F.col("occurred_at"), F.col("content_id"), F.col("ordinal"))
    accepted = (
        checked.where(F.col("reason").isNull())
        .withColumn("ordinal", ordinal)
        .select(
            F.coalesce(exported_event_id(F.col("platform"), F.col("export_id"), F.col("interaction_type"),
                                         F.col("target_id")), derived).alias("event_id"),
            "platform", "actor_id", "target_id", "interaction_type", "occurred_at",
            F.to_date("occurred_at").alias("event_date"),
            "content_id", "audience_size", "topics",
            F.lit(source_file).alias("source_file"),
            F.lit(run_id).alias("ingest_run_id"),
        )
    )
    return tables.conform(accepted, tables.INTERACTIONS), tables.conform(quarantine, tables.QUARANTINE)
