"""The csv and jsonl profiles: the canonical rows they yield, and every bad row's reason."""

import json
from datetime import datetime, timezone

from influence.io import exports
from influence.profiles import load_profile
from influence.transforms.interactions import parse_lines

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
CSV_HEADER = "event_id,actor_id,target_id,interaction_type,occurred_at,audience_size,topics"


def _parse(spark, lines, profile, header=None):
    frame = spark.createDataFrame([(i, line, None) for i, line in enumerate(lines, start=1)],
                                  "line_no long, value string, problem string")
    accepted, quarantined = parse_lines(frame, load_profile(profile), source_file="f", run_id="r", now=NOW,
                                        max_future_days=1, header=header)
    return accepted.collect(), quarantined.collect()


def _csv(spark, rows):
    return _parse(spark, [CSV_HEADER, *rows], "csv", header=CSV_HEADER.split(","))


def test_csv_rows_map_columns_types_times_and_topics(spark):
    accepted, quarantined = _csv(spark, [
        'e1,a,b,RT,2026-06-30T12:00:00Z,1500,Launch|brand',
        'e2,"c, inc",d,,2026-06-30 14:00:00+02:00,,',
    ])
    assert quarantined == []
    first, second = sorted(accepted, key=lambda r: r["actor_id"])
    assert (first["interaction_type"], first["audience_size"], first["topics"]) == ("reshare", 1500, ["launch", "brand"])
    assert first["occurred_at"] == datetime(2026, 6, 30, 12, 0)
    assert second["actor_id"] == "c, inc"  # quoted delimiter
    assert second["interaction_type"] == "mention"  # empty type: the profile's default
    assert second["occurred_at"] == datetime(2026, 6, 30, 12, 0)  # the offset applied: UTC
    assert (second["audience_size"], second["topics"]) == (None, [])


def test_bad_csv_rows_are_quarantined_with_reasons(spark):
    _, quarantined = _csv(spark, [
        'e1,a,b,reply',                              # too few fields
        'e2,a,"b,reply,2026-06-30T12:00:00Z,1,x',    # unbalanced quote
        'e3,,b,reply,2026-06-30T12:00:00Z,1,x',      # no actor
        'e4,a,,reply,2026-06-30T12:00:00Z,1,x',      # no target
        'e5,a,b,reply,,1,x',                         # no time
        'e6,a,b,reply,yesterday,1,x',
        'e7,a,b,reply,1999-12-31T23:59:59Z,1,x',
        'e8,a,b,poke,2026-06-30T12:00:00Z,1,x',
        'e9,a,a,reply,2026-06-30T12:00:00Z,1,x',
    ])
    reasons = {r["source_line"]: r["reason"] for r in quarantined}
    assert reasons == {
        2: "malformed CSV: not 7 fields separated by ','",
        3: "malformed CSV: not 7 fields separated by ','",
        4: "missing actor", 5: "missing target", 6: "missing time",
        7: "unparseable time 'yesterday'", 8: "time before 2000-01-01",
        9: "unknown interaction type 'poke'", 10: "actor equals target",
    }


def test_odd_csv_headers_and_negative_audiences_are_data_not_failures(spark):
    # found by the fuzz test: a repeated header name was an ambiguous reference, a blank first
    # line an invalid schema, and a negative follower count failed the audit of the whole file
    repeated = ["event_id", "actor_id", "actor_id", "target_id", "occurred_at", "audience_size", ""]
    accepted, quarantined = _parse(spark, [",".join(repeated), "e1,a,x,b,2026-06-30T12:00:00Z,-5,"], "csv",
                                   header=repeated)
    assert quarantined == []
    assert (accepted[0]["actor_id"], accepted[0]["target_id"], accepted[0]["audience_size"]) == ("a", "b", None)
    accepted, quarantined = _parse(spark, ["", "a,b,2026-06-30T12:00:00Z"], "csv", header=[])
    assert accepted == [] and quarantined[0]["reason"].startswith("the header lacks the columns")


def test_a_csv_header_with_a_bare_carriage_return_is_read_not_raised(spark, tmp_path):
    # found by the fuzz test: Python's csv module raised on the header line, failing the ingest
    export = tmp_path / "export.csv"
    export.write_bytes(b"event_id,actor_id,\r,target_id,occurred_at\ne1,a,x,b,2026-06-30T12:00:00Z\n")
    staging = tmp_path / "staging.parquet"
    assert exports.frame_export(export, staging, exports.Limits()).status == "ok"
    header = exports.csv_header(staging, ",")
    assert header == ["event_id", "actor_id", "", "target_id", "occurred_at"]
    accepted, quarantined = _parse(spark, ["", "e1,a,x,b,2026-06-30T12:00:00Z"], "csv", header=header)
    assert quarantined == [] and (accepted[0]["actor_id"], accepted[0]["target_id"]) == ("a", "b")


def test_a_csv_header_without_the_required_columns_quarantines_every_row(spark):
    accepted, quarantined = _parse(spark, ["who,whom", "a,b"], "csv", header=["who", "whom"])
    assert accepted == []
    assert quarantined[0]["reason"] == "the header lacks the columns ['actor_id', 'target_id', 'occurred_at']"


POST = {
    "id": "p1", "created_at": "2026-06-30T10:00:00Z", "platform": "x",
    "author": {"id": "u1", "followers_count": 1200},
    "in_reply_to": {"id": "p0", "author": {"id": "u4"}},
    "quote_of": {"id": "p9", "author": {"id": "u5"}},
    "mentions": [{"id": "u2"}, {"id": "u3"}],
    "hashtags": ["#Launch", "brand", "launch"],
}


def test_one_post_yields_every_interaction_it_holds(spark):
    accepted, quarantined = _parse(spark, [json.dumps(POST)], "jsonl")
    assert quarantined == []
    got = sorted((r["interaction_type"], r["target_id"]) for r in accepted)
    assert got == [("mention", "u2"), ("mention", "u3"), ("quote", "u5"), ("reply", "u4")]
    for row in accepted:
        assert (row["actor_id"], row["platform"], row["content_id"]) == ("u1", "x", "p1")
        assert row["audience_size"] == 1200 and row["topics"] == ["launch", "brand"]
        assert row["occurred_at"] == datetime(2026, 6, 30, 10, 0)
    assert len({r["event_id"] for r in accepted}) == 4


def test_the_same_post_in_two_exports_is_the_same_events(spark):
    first, _ = _parse(spark, [json.dumps(POST)], "jsonl")
    again, _ = _parse(spark, ["", json.dumps(POST)], "jsonl")
    assert {r["event_id"] for r in first} == {r["event_id"] for r in again}


def test_the_same_post_twice_in_one_export_lands_once_and_the_repeat_names_its_line(spark):
    # found by the fuzz test: both copies were accepted with one event id, and the audit then
    # refused the whole file
    lines = [json.dumps(POST), json.dumps({**POST, "created_at": "2026-06-30T11:00:00Z"}), json.dumps(POST)]
    accepted, quarantined = _parse(spark, lines, "jsonl")
    assert len(accepted) == 4 == len({r["event_id"] for r in accepted})
    assert {r["occurred_at"] for r in accepted} == {datetime(2026, 6, 30, 10, 0)}  # the first copy is kept
    assert sorted((r["source_line"], r["reason"]) for r in quarantined) == \
        [(2, "repeats the event of line 1")] * 4 + [(3, "repeats the event of line 1")] * 4


def test_a_blank_author_is_missing_and_a_negative_follower_count_unknown(spark):
    accepted, quarantined = _parse(spark, [json.dumps({**POST, "author": {"id": " ", "followers_count": 3}}),
                                           json.dumps({**POST, "id": "p2", "author": {"id": "u1", "followers_count": -3},
                                                       "mentions": [{"id": ""}, {"id": "u2"}]})], "jsonl")
    assert {(r["source_line"], r["reason"]) for r in quarantined} == {(1, "missing actor")}
    assert sorted(r["target_id"] for r in accepted) == ["u2", "u4", "u5"]  # the blank mention is no one
    assert {r["audience_size"] for r in accepted} == {None}


def test_bad_posts_are_quarantined_with_reasons(spark):
    def post(**changes):
        return json.dumps({**POST, **changes})

    lines = [
        '{"id": "p2", "author": ',                              # malformed JSON
        "[1, 2]",                                               # not an object
        post(author={"followers_count": 3}),                    # no actor
        post(created_at=None),                                  # no time
        post(created_at="soon"),
        post(created_at="2031-01-01T00:00:00Z"),
        json.dumps({"id": "p3", "created_at": "2026-06-30T10:00:00Z", "author": {"id": "u1"}}),  # engages no one
        post(mentions=[{"id": "u1"}], in_reply_to=None, quote_of=None),  # mentions only its author
    ]
    accepted, quarantined = _parse(spark, lines, "jsonl")
    assert accepted == []
    reasons = {r["source_line"]: r["reason"] for r in quarantined}
    assert reasons == {
        1: "malformed JSON", 2: "not a JSON object", 3: "missing actor", 4: "missing time",
        5: "unparseable time 'soon'", 6: "time more than 1 day(s) in the future",
        7: "the post engages no one (no reply, reshare, quote, comment or mention)",
        8: "actor equals target",
    }
    # rows are interactions: a line that cannot be read is one row; a post without an
    # author is one row per interaction it holds (reply, quote, two mentions)
    items = {}
    for r in quarantined:
        items.setdefault(r["source_line"], []).append(r["source_item"])
    assert items[1] == items[2] == items[7] == [0]
    assert sorted(items[3]) == [0, 1, 2, 3]
