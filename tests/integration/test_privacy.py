"""Pseudonymisation: with a key set, no raw user id reaches any table, any file of the
lake, the logs or the output; and erasure works on pseudonyms."""

import json
import subprocess

import pyarrow.parquet as pq
import pytest

from pyspark.sql import functions as F
from typer.testing import CliRunner

from influence import tables
from influence.cli import app
from influence.privacy import KEY_VARIABLE, pseudonym
from tests.processes import SCRIPT, command_env

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

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
    # A process of its own, so that the JVM's own log lines are in what is scanned; `run`
    # ingests and scores in one JVM, so both commands' logs come from one start.
    done = subprocess.run([str(SCRIPT), "run", str(exports), "--lake", str(lake), "--config", str(config),
                           "--master", "local[1]", "--json"], env=command_env(**env), capture_output=True,
                          text=True, timeout=900)
    # 1: the broken post and the self-message exceed the quarantine share; the score still ran.
    assert done.returncode == 1 and "max_quarantine_share" in done.stderr, done.stderr[-3000:]
    summary = json.loads(done.stdout[done.stdout.index("{"):])
    assert sorted(r["status"] for r in summary["ingested"]) == ["ok", "ok"]
    assert summary["scored"]["users"] == 3

    found = []
    for name in tables.all_tables():
        if not (lake / name).exists():
            continue
        table = spark.read.format("delta").load(str(lake / name))
        rows = [row[0] for row in table.select(F.to_json(F.struct("*"))).collect()]
        found += [(name, raw) for raw in RAW_IDS for row in rows if raw in row]
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):  # logs, checksums, statistics, staging
        text = (json.dumps(pq.read_table(path).to_pylist(), default=str)
                if path.suffix == ".parquet" and not path.name.startswith(".") else path.read_text(errors="replace"))
        found += [(str(path.relative_to(lake)), raw) for raw in RAW_IDS if raw in text]
    found += [(f"run {stream}", raw) for raw in RAW_IDS
              for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)) if raw in text]
    assert found == []

    key = env[KEY_VARIABLE].encode()
    scores = {row["user_id"]: row for row in spark.read.format("delta").load(str(lake / tables.SCORES)).collect()}
    assert set(scores) == {pseudonym(u, key) for u in ("alice.raw", "bob.raw", "carol.raw")}  # dave excluded
    assert scores[pseudonym("alice.raw", key)]["personalized_pagerank"] is not None  # the seed, as a pseudonym
    quarantine = spark.read.format("delta").load(str(lake / tables.QUARANTINE)).collect()
    assert {row["reason"] for row in quarantine} == {"malformed JSON", "actor equals target"}
    assert all(row["raw"] is None for row in quarantine)


def test_forget_finds_people_by_their_pseudonym_and_refuses_without_the_key(spark, tmp_path):
    lake = tmp_path / "lake"
    export = tmp_path / "lines.txt"
    export.write_text("alice.raw bob.raw 1782727200 reply\ncarol.raw alice.raw 1782727300 mention\n"
                      "bob.raw carol.raw 1782727400 reply\ncarol.raw dave.raw 1782727500 reply\n")
    env = {KEY_VARIABLE: "the lake's key"}
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--lake", str(lake), "--profile", "snap", str(export)], env=env).exit_code == 0
    no_key = runner.invoke(app, ["forget", "--lake", str(lake), "alice.raw"], env={KEY_VARIABLE: ""})
    assert no_key.exit_code == 1 and "holds pseudonyms" in no_key.output
    # Two people who engaged each other: one row matches both (a merge that deletes allows that).
    erased = runner.invoke(app, ["forget", "--lake", str(lake), "--json", "alice.raw", "bob.raw"], env=env)
    assert erased.exit_code == 0, erased.output
    key = env[KEY_VARIABLE].encode()
    bronze = [tuple(row) for row in spark.read.format("delta").load(str(lake / tables.INTERACTIONS))
              .select("actor_id", "target_id").collect()]
    assert bronze == [(pseudonym("carol.raw", key), pseudonym("dave.raw", key))]
