from datetime import date

import pytest

from influence import quality, tables
from influence.errors import AuditFailed


def _scores(spark, rows):
    return spark.createDataFrame(rows, tables.table(tables.SCORES).schema)


def test_good_rows_pass_every_derived_expectation(spark):
    rows = [(date(2026, 1, 1), "a", 0.6, 1, 0, 1, "r"), (date(2026, 1, 1), "b", 0.4, 0, 1, 2, "r")]
    outcome = quality.audit(_scores(spark, rows), tables.SCORES)
    assert outcome.success, outcome.failures
    assert outcome.evaluated == len(quality.expectations_for(tables.table(tables.SCORES)))


def test_broken_rows_fail_with_a_readable_summary(spark):
    rows = [(date(2026, 1, 1), "a", 1.7, 1, 0, 1, "r"),   # pagerank above 1
            (date(2026, 1, 1), "a", 0.1, 0, 1, 2, "r")]   # same user twice on one date
    with pytest.raises(AuditFailed) as failed:
        quality.require(_scores(spark, rows), tables.SCORES)
    message = str(failed.value)
    assert message.startswith("audit of gold/influencer_scores failed, nothing published")
    assert "expect_column_values_to_be_between on pagerank" in message and "1 unexpected" in message
    assert "expect_compound_columns_to_be_unique on ['as_of_date', 'user_id']" in message
