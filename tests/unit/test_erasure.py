"""The erasure expressions: which values name a person, and what they become."""

import re

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from influence import tables
from influence.privacy import id_pattern, mentions, redacted


@pytest.mark.parametrize("text, found", [
    ("bob", True), ("community:bob", True), ("engaged:bob", True), ("bob, then carol", True),
    ("bobby", False), ("abob", False), ("bob.smith", False), ("bob@example", False), ("bo", False),
])
def test_the_id_is_found_only_as_a_whole_token(text, found):
    assert bool(re.search(id_pattern("bob"), text)) is found


def test_ids_with_regex_characters_are_matched_literally():
    assert re.search(id_pattern("a+b (x)"), "community:a+b (x)")
    assert not re.search(id_pattern("a+b"), "aab")


def test_strings_are_replaced_at_any_depth_and_other_values_kept(spark):
    kind = T.StructType([T.StructField("trait", T.StringType()), T.StructField("contributors", T.ArrayType(T.StringType())),
                         T.StructField("counts", T.ArrayType(T.LongType()))])
    frame = spark.createDataFrame(
        [([("engaged:bob", ["bob", "bobby", "carol"], [3, 2, 1]), None],),
         ([("topic:x", ["carol"], [1])],)],
        T.StructType([T.StructField("illusions", T.ArrayType(kind))]))
    frame = frame.withColumns({"pattern": F.lit(id_pattern("bob")), "token": F.lit("erased:1")})
    column, data_type = F.col("illusions"), frame.schema["illusions"].dataType
    rows = frame.select(redacted(column, data_type, F.col("pattern"), F.col("token")).alias("out"),
                        mentions(column, data_type, F.col("pattern")).alias("found")).collect()
    assert rows[0]["found"] is True and rows[1]["found"] is False
    first = rows[0]["out"]
    assert first[0].asDict() == {"trait": "engaged:erased:1", "contributors": ["erased:1", "bobby", "carol"],
                                 "counts": [3, 2, 1]}
    assert first[1] is None  # a missing struct stays missing
    assert rows[1]["out"][0].asDict() == {"trait": "topic:x", "contributors": ["carol"], "counts": [1]}


def test_every_table_with_people_in_it_says_where_they_are():
    """Erasure follows the contracts: a table naming users must mark those columns."""
    marked = {name: {c.name: c.personal for c in t.columns if c.personal} for name, t in tables.all_tables().items()}
    assert marked[tables.INTERACTIONS] == {"actor_id": "subject", "target_id": "subject"}
    assert marked[tables.EDGES] == {"src": "subject", "dst": "subject"}
    assert marked[tables.QUARANTINE] == {"raw": "text"}
    for name in (tables.SCORES, tables.SEGMENTS, tables.IMPRESSIONS):
        assert marked[name]["user_id"] == "subject"
    assert marked[tables.SCORES]["community_id"] == "mention"
    assert {"majority_illusion", "pagerank_seeds"} <= set(marked[tables.NETWORK_SUMMARY])
    assert marked[tables.CAMPAIGN_PLANS] == {"user_id": "subject", "parameters": "mention"}
    assert marked[tables.AUDIENCE_OVERLAP] == {"user_a": "subject", "user_b": "subject"}
