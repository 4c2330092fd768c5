"""The built-in sample's tables hold the rows they held where the speed work started
(SPEC section 6's sense; ``tests/reference.py``). The CollegeMsg counterpart is in
``test_collegemsg.py``, beside the lake it reuses."""

from __future__ import annotations

from tests.reference import check_against_reference


def test_the_sample_run_publishes_the_same_rows_as_the_reference_commit(spark, two_date_lake):
    assert check_against_reference(spark, two_date_lake, "sample-two-dates") == 6  # no quarantine: every line of the sample is good
