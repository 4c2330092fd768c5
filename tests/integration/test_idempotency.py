"""Every command run twice gives the same tables: rows compared, run ids, times and durations aside.

One small lake goes through the whole life of the pipeline, each command twice: generate,
pull (from a folder source), ingest, score, maintain and report. Elsewhere: `run` twice
(test_run.py) and `backfill` of a range twice (test_orchestration.py) compare every
table the same way; `generate` in every format (tests/unit/test_generate.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from influence import tables
from influence.cli import app
from tests.lakes import assert_same_rows, snapshot, versions

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

END = date(2026, 6, 30)


def influence(*args: str) -> dict | list:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def compared() -> dict[str, int]:
    """Rows compared after each command's second run, printed at the end (pytest -s shows it)."""
    counts: dict[str, int] = {}
    yield counts
    print(f"\nrows compared after a second run: {counts}")


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("twice")


@pytest.fixture(scope="module")
def config(root) -> Path:
    path = root / "influence.yaml"
    path.write_text(yaml.safe_dump({
        "pull": {"landing": str(root / "landing"), "sources": [{"name": "exports", "kind": "folder",
                                                                 "path": str(root / "exports"), "pattern": "*"}]},
        "ingest": {"max_quarantine_share": 1.0},  # the hostile file below is mostly bad lines
    }))
    return path


@pytest.fixture(scope="module")
def exports(root) -> Path:
    """A generated export (generated twice: the same bytes) and a file of bad lines beside it."""
    for copy in ("exports", "again"):
        influence("generate", "--out", str(root / copy), "--users", "60", "--days", "10", "--seed", "5")
    assert _hashes(root / "exports") == _hashes(root / "again") != {}
    (root / "exports" / "hostile.jsonl").write_text(
        '{"id": "h1", "created_at": "2026-06-29T10:00:00Z", "author": {"id": "u01"}, "mentions": [{"id": "u02"}]}\n'
        'not json\n{"id": "h1", "created_at": "2026-06-29T10:00:00Z", "author": {"id": "u01"}, '
        '"mentions": [{"id": "u02"}]}\n["a list"]\n')
    return root / "exports"


@pytest.fixture(scope="module")
def lake(spark, root, config, exports) -> Path:
    """The exports pulled into the landing zone and ingested: the lake the score tests build on."""
    landing = root / "landing"
    first = influence("pull", "--config", str(config))
    assert sorted(f["status"] for f in first["files"]) == ["pulled", "pulled"] and not first["failures"]
    landed = _hashes(landing)
    second = influence("pull", "--config", str(config))
    assert sorted(f["status"] for f in second["files"]) == ["already there", "already there"]
    assert _hashes(landing) == landed

    lake = root / "lake"
    reports = influence("ingest", "--lake", str(lake), "--config", str(config), "--landing", str(landing))
    assert sorted(r["status"] for r in reports) == ["ok", "ok"]
    return lake


def test_ingesting_the_same_files_again_changes_nothing(spark, root, config, lake, compared):
    before, at = snapshot(spark, lake), versions(spark, lake)
    assert set(before) == {tables.INTERACTIONS, tables.QUARANTINE, tables.INGESTED_FILES}
    assert len(before[tables.QUARANTINE]) == 3  # the hostile file's bad line, list and repeated post
    files = sorted(p for p in (root / "landing").rglob("*") if p.is_file())
    again = influence("ingest", "--lake", str(lake), "--config", str(config), *map(str, files))
    assert [r["status"] for r in again] == ["already ingested"] * 2
    result = CliRunner().invoke(app, ["ingest", "--lake", str(lake), "--landing", str(root / "landing")])
    assert result.exit_code == 0 and "nothing new" in result.output, result.output
    assert versions(spark, lake) == at  # not even an empty commit
    compared["ingest"] = assert_same_rows(snapshot(spark, lake), before)


@pytest.fixture(scope="module")
def scored(spark, lake) -> Path:
    influence("score", "--lake", str(lake), "--as-of", str(END))
    return lake


def test_scoring_a_date_again_gives_the_same_rows(spark, scored, compared):
    before, at = snapshot(spark, scored), versions(spark, scored)
    assert {tables.EDGES, tables.SCORES, tables.SEGMENTS, tables.IMPRESSIONS, tables.NETWORK_SUMMARY} < set(before)
    influence("score", "--lake", str(scored), "--as-of", str(END))
    after = versions(spark, scored)
    # Rewritten (a table with no rows for the date, as gold/engagement_anomalies on clean data,
    # gets no empty commit) ...
    assert [name for name in at if name.startswith(("silver/", "gold/")) and before[name] and after[name] <= at[name]] == []
    assert tables.ANOMALIES in at and not before[tables.ANOMALIES]
    compared["score"] = assert_same_rows(snapshot(spark, scored), before)  # ... to the same rows


def test_maintaining_twice_leaves_every_table_s_rows_as_they_were(spark, scored, compared):
    before = snapshot(spark, scored)
    for _ in range(2):
        done = influence("maintain", "--lake", str(scored))
        assert {d["table"] for d in done["tables"]} == set(before)
        compared["maintain"] = compared.get("maintain", 0) + assert_same_rows(snapshot(spark, scored), before)


def test_reporting_twice_writes_the_same_page(root, scored):
    pages = [root / "report-1.html", root / "report-2.html"]
    for page in pages:
        assert influence("report", "--lake", str(scored), "--out", str(page))["as_of"] == str(END)
    first, second = (p.read_bytes() for p in pages)
    assert b"Who moves the market" in first
    assert first == second  # the page carries no generation time

