import pytest
from pyspark.sql import types as T

from influence import quality, tables


def test_every_spec_table_of_this_stage_is_declared_with_its_partitioning():
    declared = tables.all_tables()
    assert set(declared) >= {tables.INTERACTIONS, tables.QUARANTINE, tables.INGESTED_FILES, tables.EDGES, tables.SCORES,
                             tables.NETWORK_SUMMARY}
    assert declared[tables.INTERACTIONS].partition_by == ("event_date",)
    assert declared[tables.EDGES].partition_by == ("as_of_date",)
    assert declared[tables.SCORES].partition_by == ("as_of_date",)


def test_schema_types_come_from_the_declaration():
    schema = tables.table(tables.INTERACTIONS).schema
    assert schema["occurred_at"].dataType == T.TimestampType()
    assert schema["topics"].dataType == T.ArrayType(T.StringType())
    assert schema["event_id"].nullable is False
    assert schema["audience_size"].nullable is True
    summary = tables.table(tables.NETWORK_SUMMARY).schema
    assert summary["stage_seconds"].dataType == T.MapType(T.StringType(), T.DoubleType())
    assert summary["pagerank_seeds"].dataType == T.ArrayType(T.StringType())


def test_edges_have_one_count_column_per_canonical_type():
    from influence.config import CANONICAL_TYPES

    names = tables.table(tables.EDGES).column_names
    assert [n for n in names if n.startswith("n_")] == [f"n_{t}" for t in CANONICAL_TYPES]


def test_expectations_are_derived_from_the_contract():
    contract = tables.table(tables.SCORES)
    found = quality.expectations_for(contract)
    kinds = [type(e).__name__ for e in found]
    assert kinds.count("ExpectColumnValuesToNotBeNull") == sum(not c.nullable for c in contract.columns)
    between = [e for e in found if type(e).__name__ == "ExpectColumnValuesToBeBetween"]
    assert {e.column for e in between} == {c.name for c in contract.columns if c.min is not None or c.max is not None}
    assert {"pagerank", "betweenness_error", "participation", "rank"} <= {e.column for e in between}
    assert kinds[-1] == "ExpectCompoundColumnsToBeUnique"


def test_unknown_types_and_tables_are_clear_errors():
    with pytest.raises(ValueError, match="unknown column type"):
        tables.parse_type("decimal")
    with pytest.raises(KeyError, match="no table"):
        tables.table("gold/nope")
