"""The fingerprints that stand for a reference commit's rows see what SPEC counts as a
difference, and nothing else."""

from __future__ import annotations

from pyspark.sql import Row

from tests.reference import differences, fingerprint

ROWS = [Row(user_id="a", rank=1, score=0.5, shares={"x": 0.25}), Row(user_id="b", rank=2, score=0.125, shares={})]


def test_rows_in_another_order_or_floats_within_1e_9_are_the_same():
    again = [ROWS[1], Row(user_id="a", rank=1, score=0.5 * (1 + 1e-12), shares={"x": 0.25})]
    assert differences({"t": fingerprint(again)}, {"t": fingerprint(ROWS)}) == []


def test_a_changed_float_an_exchanged_float_a_changed_value_and_a_lost_row_are_seen():
    changed = [Row(user_id="a", rank=1, score=0.5 + 1e-6, shares={"x": 0.25}), ROWS[1]]
    exchanged = [Row(user_id="a", rank=1, score=0.125, shares={"x": 0.25}),
                 Row(user_id="b", rank=2, score=0.5, shares={})]
    renamed = [ROWS[0], Row(user_id="b", rank=3, score=0.125, shares={})]
    reference = {"t": fingerprint(ROWS)}
    assert differences({"t": fingerprint(changed)}, reference) == [
        f"t.score: sum {0.625 + 1e-6!r} against 0.625, weighted "
        f"{fingerprint(changed)['sums']['.score'][1]!r} against {reference['t']['sums']['.score'][1]!r}"]
    assert [d.split(":")[0] for d in differences({"t": fingerprint(exchanged)}, reference)] == ["t.score"]
    assert differences({"t": fingerprint(renamed)}, reference)[0] == (
        "t: the same number of rows, but values other than floats differ")
    assert differences({"t": fingerprint(ROWS[:1])}, reference)[0] == "t: 1 rows, 2 in the reference"
    assert differences({}, reference) == ["t: missing"]
