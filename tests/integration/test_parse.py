from datetime import datetime, timezone

from influence.profiles import load_profile
from influence.transforms.interactions import parse_lines

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _lines(spark, lines):
    """Framed lines as the staging file holds them: numbered, no framing problem."""
    return spark.createDataFrame([(i, line, None) for i, line in enumerate(lines, start=1)],
                                 "line_no long, value string, problem string")


def _parse(spark, lines, source="f.txt", profile="snap"):
    accepted, quarantined = parse_lines(_lines(spark, lines), load_profile(profile), source_file=source, run_id="r",
                                       now=NOW, max_future_days=1)
    return accepted.collect(), quarantined.collect()


def test_good_lines_map_types_and_times(spark):
    accepted, quarantined = _parse(spark, ["1 2 1082040961", "3 4 1082040962 RT", "5 6 1082040963 quote"])
    assert quarantined == []
    by_actor = {r["actor_id"]: r for r in accepted}
    assert by_actor["1"]["interaction_type"] == "message"  # the profile's default type
    assert by_actor["3"]["interaction_type"] == "reshare"  # RT through the type map
    assert by_actor["5"]["interaction_type"] == "quote"    # a canonical name as is
    assert by_actor["1"]["occurred_at"] == datetime(2004, 4, 15, 14, 56, 1)  # UTC, naive
    assert str(by_actor["1"]["event_date"]) == "2004-04-15"
    assert by_actor["1"]["topics"] == [] and by_actor["1"]["audience_size"] is None


def test_every_bad_line_is_quarantined_with_its_reason(spark):
    future = int(NOW.timestamp()) + 2 * 86_400
    lines = ["", "# comment", "1 2", "1 2 3 4 5", "1 2 soon", "1 2 946684799", f"1 2 {future}",
             "1 2 1082040961 poke", "7 7 1082040961"]
    accepted, quarantined = _parse(spark, lines)
    assert accepted == []
    reasons = {r["source_line"]: r["reason"] for r in quarantined}
    assert reasons == {
        1: "blank line",
        2: "comment line",
        3: "expected 3 or 4 whitespace-separated fields, got 2",
        4: "expected 3 or 4 whitespace-separated fields, got 5",
        5: "unparseable time 'soon'",
        6: "time before 2000-01-01",
        7: "time more than 1 day(s) in the future",
        8: "unknown interaction type 'poke'",
        9: "actor equals target",
    }
    assert {r["raw"] for r in quarantined} == set(lines)


def test_times_beyond_what_a_timestamp_holds_are_unparseable_not_a_failed_job(spark):
    # unix seconds past year 9999 overflowed timestamp_seconds and failed the whole ingest (found by the fuzz test)
    lines = ["1 2 99999999999999", "1 2 9223372036854775807", "1 2 -9223372036854775808", "1 2 253402300799"]
    accepted, quarantined = _parse(spark, lines)
    reasons = {r["source_line"]: r["reason"] for r in quarantined}
    assert reasons == {1: "unparseable time '99999999999999'", 2: "unparseable time '9223372036854775807'",
                       3: "unparseable time '-9223372036854775808'", 4: "time more than 1 day(s) in the future"}
    assert accepted == []


def test_identical_lines_in_one_file_are_distinct_events_and_the_same_line_in_two_files_is_one(spark):
    twice, _ = _parse(spark, ["1 2 1082040961", "1 2 1082040961"], source="a.txt")
    elsewhere, _ = _parse(spark, ["1 2 1082040961"], source="b.txt")
    ids = {r["event_id"] for r in twice}
    assert len(ids) == 2
    assert elsewhere[0]["event_id"] in ids


def test_id_prefix_is_applied(spark, tmp_path):
    own = tmp_path / "p.yaml"
    own.write_text("profile: p\nformat: snap\nplatform: x\nid_prefix: 'x:'\n")
    accepted, _ = _parse(spark, ["1 2 1082040961"], source="f", profile=str(own))
    row = accepted[0]
    assert (row["actor_id"], row["target_id"], row["platform"]) == ("x:1", "x:2", "x")
