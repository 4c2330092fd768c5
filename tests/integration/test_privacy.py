"""Pseudonymisation: with a key set, no raw user id reaches any table, Delta log or output."""

import json

from pyspark.sql import functions as F
from typer.testing import CliRunner

from influence import tables
from influence.cli import app
from influence.privacy import KEY_VARIABLE, pseudonym

RAW_IDS = ["alice.raw", "bob.raw", "carol.raw", "dave.raw"]


def test_no_raw_id_reaches_a_table_a_log_or_the_output(spark, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    post = {"id": "p1", "created_at": "2026-06-29T10:00:00Z", "author": {"id": "alice.raw", "followers_count": 5},
            "in_reply_to": {"author": {"id": "bob.raw"}}, "mentions": [{"id": "carol.raw"}], "hashtags": ["x"]}
    (exports / "posts.jsonl").write_text(json.dumps(post) + "\n" + '{"author": {"id": "dave.raw"}, broken\n')
    (exports / "lines.txt").write_text("carol.raw bob.raw 1782727200 RT\ndave.raw dave.raw 1782727200\n")
    config = tmp_path / "config.yaml"
    config.write_text("exclude_users: [dave.raw]\npagerank: {seeds: [alice.raw]}\n")
    lake = tmp_path / "lake"
    env = {KEY_VARIABLE: "a secret key only the deployment knows"}
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", "--lake", str(lake), "--config", str(config), str(exports)], env=env)
    scored = runner.invoke(app, ["score", "--lake", str(lake), "--config", str(config), "--json"], env=env)
    assert scored.exit_code == 0, scored.output
    assert ingested.exit_code == 1  # the broken post and the self-message exceed the quarantine share

    found = []
    for name in tables.all_tables():
        path = lake / name
        if not path.exists():
            continue
        table = spark.read.format("delta").load(str(path))
        rows = [row[0] for row in table.select(F.to_json(F.struct("*"))).collect()]
        found += [(name, raw) for raw in RAW_IDS for row in rows if raw in row]
        for log in (path / "_delta_log").glob("*.json"):  # data-skipping statistics included
            found += [(f"{name} log", raw) for raw in RAW_IDS if raw in log.read_text()]
    found += [("output", raw) for raw in RAW_IDS for text in (ingested.output, scored.output) if raw in text]
    assert found == []

    key = env[KEY_VARIABLE].encode()
    scores = {row["user_id"]: row for row in spark.read.format("delta").load(str(lake / tables.SCORES)).collect()}
    assert set(scores) == {pseudonym(u, key) for u in ("alice.raw", "bob.raw", "carol.raw")}  # dave excluded
    assert scores[pseudonym("alice.raw", key)]["personalized_pagerank"] is not None  # the seed, as a pseudonym
    quarantine = spark.read.format("delta").load(str(lake / tables.QUARANTINE)).collect()
    assert {row["reason"] for row in quarantine} == {"malformed JSON", "actor equals target"}
    assert all(row["raw"] is None for row in quarantine)
