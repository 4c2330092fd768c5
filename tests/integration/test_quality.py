from datetime import date

import pytest

from influence import quality, tables
from influence.errors import AuditFailed
from tests.fixtures import rows

DAY = date(2026, 1, 1)


def test_good_rows_pass_every_derived_expectation(spark):
    good = [{"as_of_date": DAY, "user_id": "a", "pagerank": 0.6, "rank": 1},
            {"as_of_date": DAY, "user_id": "b", "pagerank": 0.4, "rank": 2}]
    outcome = quality.audit(rows(spark, tables.SCORES, good), tables.SCORES)
    assert outcome.success, outcome.failures
    assert outcome.evaluated == len(quality.expectations_for(tables.table(tables.SCORES)))


def test_a_suite_prepared_in_the_background_is_the_one_that_audits(spark):
    for built in (quality._context, quality._suite, quality._validation):
        built.cache_clear()
    quality.prepare(tables.SCORES).join()
    assert [suite.name for suite in quality._context().suites.all()] == [f"{tables.SCORES} contract"]
    broken = [{"as_of_date": DAY, "user_id": "a", "pagerank": 1.7, "rank": 1}]
    with pytest.raises(AuditFailed, match="expect_column_values_to_be_between on pagerank"):
        quality.require(rows(spark, tables.SCORES, broken), tables.SCORES)
    assert [suite.name for suite in quality._context().suites.all()] == [f"{tables.SCORES} contract"]


def test_broken_rows_fail_with_a_readable_summary(spark):
    broken = [{"as_of_date": DAY, "user_id": "a", "pagerank": 1.7, "rank": 1},   # pagerank above 1
              {"as_of_date": DAY, "user_id": "a", "pagerank": 0.1, "rank": 2}]   # same user twice on one date
    with pytest.raises(AuditFailed) as failed:
        quality.require(rows(spark, tables.SCORES, broken), tables.SCORES)
    message = str(failed.value)
    assert message.startswith("audit of gold/influencer_scores failed, nothing published")
    assert "expect_column_values_to_be_between on pagerank" in message and "1 unexpected" in message
    assert "expect_compound_columns_to_be_unique on ['as_of_date', 'user_id']" in message


def test_a_summary_row_with_an_unknown_engine_fails(spark):
    summary = [{"as_of_date": DAY, "engine": "pandas", "users": 3, "edges": 2, "interactions": 2}]
    with pytest.raises(AuditFailed, match="expect_column_values_to_be_in_set on engine"):
        quality.require(rows(spark, tables.NETWORK_SUMMARY, summary), tables.NETWORK_SUMMARY)


def test_bronze_rows_are_audited_by_the_suite_derived_from_their_contract(spark):
    bad = [{"event_id": "e1", "interaction_type": "poke", "event_date": DAY},
           {"event_id": "e1", "interaction_type": "reply", "event_date": DAY}]
    with pytest.raises(AuditFailed) as failed:
        quality.require(rows(spark, tables.INTERACTIONS, bad), tables.INTERACTIONS)
    message = str(failed.value)
    assert message.startswith("audit of bronze/interactions failed, nothing published")
    assert "expect_column_values_to_be_in_set on interaction_type" in message
