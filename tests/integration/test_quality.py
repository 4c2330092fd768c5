from datetime import date

import pytest
from pyspark.sql.types import StructField, StructType

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


def test_an_audit_leaves_the_candidate_rows_as_it_found_them_not_cached(spark):
    # GX caches a batch's frame by default and never releases it: in a backfill, every date's
    # candidate tables stayed in memory. Whoever passes the rows decides what is cached.
    good = [{"as_of_date": DAY, "user_id": "a", "pagerank": 0.6, "rank": 1}]
    candidate = rows(spark, tables.SCORES, good)
    assert quality.audit(candidate, tables.SCORES).success
    level = candidate.storageLevel
    assert not (level.useMemory or level.useDisk), level


def test_a_suite_prepared_in_the_background_is_the_one_that_audits(spark):
    for built in (quality._context, quality._suite, quality._batch, quality._validation):
        built.cache_clear()
    quality.prepare(tables.SCORES).join()
    prepared = sorted(f"{tables.SCORES} {kind}" for kind in ("verdict", "contract"))
    assert sorted(suite.name for suite in quality._context().suites.all()) == prepared
    broken = [{"as_of_date": DAY, "user_id": "a", "pagerank": 1.7, "rank": 1}]
    with pytest.raises(AuditFailed, match="expect_column_values_to_be_between on pagerank"):
        quality.require(rows(spark, tables.SCORES, broken), tables.SCORES)
    assert sorted(suite.name for suite in quality._context().suites.all()) == prepared


def _breaking(expectation, good: dict, contract) -> dict:
    """A row that breaks just this one column expectation: a null, a value out of range or set."""
    kind, column = type(expectation).__name__, expectation.column
    if kind == "ExpectColumnValuesToNotBeNull":
        return {**good, column: None}
    if kind == "ExpectColumnValuesToBeInSet":
        return {**good, column: "not-in-the-set"}
    outside = expectation.max_value + 1 if expectation.max_value is not None else expectation.min_value - 1
    numeric = {"double": float, "long": int, "int": int}[next(c.type for c in contract.columns if c.name == column)]
    return {**good, column: numeric(outside)}


@pytest.mark.parametrize("name", [tables.SCORES, tables.EDGES, tables.INTERACTIONS])
def test_the_verdict_catches_every_contract_expectation_broken_alone(spark, name):
    """The verdict's one query stands for the contract suite: each row below breaks one column
    expectation and nothing else (its own key), and the verdict counts every one of them, and
    only them; two copies of a good row are caught as a key held twice."""
    contract = tables.table(name)
    good = rows(spark, name, [{}]).first().asDict()
    text_keys = [c for c in contract.key if next(col.type for col in contract.columns if col.name == c) == "string"]
    assert text_keys, f"{name}: the test makes keys distinct through a text key column"
    column_expectations = [e for e in quality.expectations_for(contract) if hasattr(e, "column")
                           and "Unique" not in type(e).__name__]
    broken = [{**_breaking(e, good, contract), **{k: f"{good[k]}-{i}" for k in text_keys if k != e.column}}
              for i, e in enumerate(column_expectations)]
    # Every field nullable, so that the rows can carry the nulls the contract forbids.
    loose = StructType([StructField(f.name, f.dataType, True) for f in contract.schema.fields])
    candidate = spark.createDataFrame([tuple(r[c] for c in contract.column_names) for r in [good, *broken]], loose)
    verdict = quality._validation(name, "verdict").run(batch_parameters={"dataframe": candidate},
                                                       result_format="SUMMARY")
    [result] = verdict.results
    # Every key above is distinct, so a key wrongly counted as held twice would show here too.
    assert result.result["observed_value"] == len(broken)
    twice = quality._validation(name, "verdict").run(batch_parameters={"dataframe": rows(spark, name, [good, good])},
                                                     result_format="COMPLETE")
    [result] = twice.results
    assert not result.success and result.result["observed_value"] == 1
    assert [row["rule"] for row in result.result["details"]["unexpected_rows"]] == ["key held by two rows"]




def test_a_run_audits_its_tables_in_one_validation_and_names_the_table_that_breaks(spark):
    scores = rows(spark, tables.SCORES, [{"as_of_date": DAY, "user_id": "a", "pagerank": 0.6, "rank": 1}])
    edges = rows(spark, tables.EDGES, [{"as_of_date": DAY, "src": "a", "dst": "b", "weight": 1.0}])
    summary = rows(spark, tables.NETWORK_SUMMARY, [{"as_of_date": DAY, "users": 2, "edges": 1, "interactions": 1}])
    good = {tables.SCORES: scores, tables.EDGES: edges, tables.NETWORK_SUMMARY: summary}
    outcomes = quality.require_all(good)
    assert list(outcomes) == list(good) and all(o.success for o in outcomes.values())
    assert not any(spark.catalog.tableExists(quality._view(name)) for name in good), "the run's views are gone"

    # The same edge twice: the edges' key is held by two rows; the other tables are good.
    with pytest.raises(AuditFailed) as failed:
        quality.require_all({**good, tables.EDGES: edges.unionByName(edges)})
    assert failed.value.table == tables.EDGES
    assert "expect_compound_columns_to_be_unique on ['as_of_date', 'src', 'dst']" in str(failed.value)


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
