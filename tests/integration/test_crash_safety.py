"""SIGKILL in the middle of an ingest and of a publish, at several points.

Each kill takes the whole process group (the Python driver and its JVM) at a moment
seen from outside, in the lake folder: a staging file, a data file written but not yet
committed, a commit of one table before the next. Afterwards every table must read and
hold its old rows or its new rows, never a mix, and rerunning the same command must
leave exactly the rows of an undisturbed run.

The points of one command share one process: at each but the last the group is stopped
(SIGSTOP), the lake folder copied and the group continued; at the last it is killed.
A stopped process writes nothing more and a killed one flushes nothing, so the copy
holds exactly the files a SIGKILL at that moment would leave; the copy's lock files are
held by no one, as a dead process's are (the kernel drops flocks with the process).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

from influence import generate, tables
from influence.cli import app
from influence.io.claims import CLAIMS_FOLDER, STAGING_FOLDER
from tests.lakes import lake_rows
from tests.processes import SCRIPT, command_env

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

AS_OF = "2026-06-30"
BAD_LINES = "this is not an interaction\nu1 u2 not-a-time\nu3 u3 1782727200 message\n"
# The killed runs use the settings of the test session's Spark, so that their rows can be
# compared with the undisturbed runs made in it.
CONFIG = "spark: {shuffle_partitions: 2}\n"


def _invoke(*args: str) -> int:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output  # 1: files with quarantined lines, by design
    return result.exit_code


@pytest.fixture(scope="module")
def stages(spark, tmp_path_factory) -> dict[str, Path]:
    """before_ingest: the first export ingested and the date scored; before_score: the second
    export ingested too; scored: the date scored again. Each an undisturbed lake."""
    root = tmp_path_factory.mktemp("crash")
    lines = generate.write_export(root / "generated", users=80, days=14, fmt="snap").read_text().splitlines(True)
    exports = root / "exports"
    exports.mkdir()
    (exports / "first.txt").write_text("".join(lines[: len(lines) * 6 // 10]) + BAD_LINES)
    (exports / "second.txt").write_text("".join(lines[len(lines) * 4 // 10:]) + BAD_LINES.replace("u1", "u7"))
    (root / "config.yaml").write_text(CONFIG)
    lakes = {name: root / name for name in ("before_ingest", "before_score", "scored")}
    config = ("--config", str(root / "config.yaml"))
    lake = lakes["before_ingest"]
    _invoke("ingest", "--lake", str(lake), "--profile", "snap", *config, str(exports / "first.txt"))
    _invoke("score", "--lake", str(lake), "--as-of", AS_OF, *config)
    shutil.copytree(lake, lakes["before_score"])
    _invoke("ingest", "--lake", str(lakes["before_score"]), "--profile", "snap", *config, str(exports / "second.txt"))
    shutil.copytree(lakes["before_score"], lakes["scored"])
    _invoke("score", "--lake", str(lakes["scored"]), "--as-of", AS_OF, *config)
    return {**lakes, "exports": exports, "config": root / "config.yaml"}


def _commits(table: Path) -> int:
    return len(list((table / "_delta_log").glob("*.json")))


def _data_files(table: Path) -> int:
    return sum(1 for f in table.rglob("*.parquet") if "_delta_log" not in f.parts)


def _stop_at(args: list[str], points: dict[str, Callable[[], bool]], lake: Path, log: Path,
             timeout: float = 900) -> dict[str, Path]:
    """Start ``influence ARGS`` in its own process group; at each point in turn, once it is
    reached, stop the group and copy ``lake``, then continue it; at the last, SIGKILL it.

    Returns each point's lake: the copies, and ``lake`` itself for the last. Fails when the
    command finishes before a point, or runs past ``timeout``.
    """
    with open(log, "w") as output:
        process = subprocess.Popen([str(SCRIPT), *args], stdout=output, stderr=output, start_new_session=True,
                                   env=command_env())
    deadline, held = time.monotonic() + timeout, {}
    try:
        for number, (point, reached) in enumerate(points.items(), start=1):
            while not reached():
                assert process.poll() is None, f"influence {' '.join(args)} finished before {point}; see {log}"
                assert time.monotonic() < deadline, f"influence {' '.join(args)} ran past {timeout} s"
                time.sleep(0.005)
            if number == len(points):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                held[point] = lake
            else:
                os.killpg(process.pid, signal.SIGSTOP)
                held[point] = lake.with_name(f"{lake.name}-{number}")
                shutil.copytree(lake, held[point], symlinks=True)
                os.killpg(process.pid, signal.SIGCONT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return held


def _old_or_new(lake: Path, old: dict, new: dict) -> dict[str, str]:
    """Per table, which version it holds; fails on a table that reads as neither."""
    found = {}
    for name, rows in lake_rows(lake).items():
        rows = rows or []  # a table not created yet holds no rows, like an empty one
        versions = [v for v, reference in (("old", old[name]), ("new", new[name])) if rows == (reference or [])]
        assert versions, f"{name} holds neither its old nor its new rows after the kill ({len(rows)} rows)"
        found[name] = versions[0] if len(versions) == 1 else "unchanged"
    return found


def _reads_in_spark(spark, lake: Path) -> None:
    for name in tables.all_tables():
        if (lake / name / "_delta_log").is_dir():
            spark.read.format("delta").load(str(lake / name)).count()


def _reached(lake: Path, table: str | None, moment: str) -> Callable[[], bool]:
    """From now on: true once the command has staged lines (no table), or written or
    committed ``table`` beyond what it holds at this call."""
    if table is None:
        return lambda: any((lake / STAGING_FOLDER).glob("*/*.parquet"))
    commits, files = _commits(lake / table), _data_files(lake / table)
    if moment == "committed":
        return lambda: _commits(lake / table) > commits
    return lambda: _data_files(lake / table) > files


INGEST_POINTS = {
    "framing into staging": (None, "staged"),
    "bronze data written, not committed": (tables.INTERACTIONS, "written"),
    "bronze committed, quarantine not": (tables.INTERACTIONS, "committed"),
    "quarantine committed, manifest not": (tables.QUARANTINE, "committed"),
}


@pytest.fixture(scope="module")
def killed_ingest(stages, tmp_path_factory) -> dict[str, Path]:
    """One ingest of the second export, stopped at each of INGEST_POINTS: each point's lake."""
    lake = tmp_path_factory.mktemp("killed-ingest") / "lake"
    shutil.copytree(stages["before_ingest"], lake)
    points = {point: _reached(lake, *where) for point, where in INGEST_POINTS.items()}
    return _stop_at(_ingest_args(stages, lake), points, lake, lake.parent / "killed.log")


def _ingest_args(stages: dict[str, Path], lake: Path) -> list[str]:
    return ["ingest", "--lake", str(lake), "--profile", "snap", "--config", str(stages["config"]),
            str(stages["exports"] / "second.txt")]


@pytest.mark.parametrize("point", INGEST_POINTS)
def test_an_ingest_killed_midway_leaves_old_or_new_tables_and_its_rerun_completes_them(spark, stages, point,
                                                                                         killed_ingest):
    lake = killed_ingest[point]
    table, moment = INGEST_POINTS[point]
    _reads_in_spark(spark, lake)
    held = _old_or_new(lake, lake_rows(stages["before_ingest"]), lake_rows(stages["before_score"]))
    if moment == "committed":
        assert held[table] == "new" and held[tables.INGESTED_FILES] == "old", held
    elif moment == "written":  # written files, not yet in the log
        assert _data_files(lake / table) > _data_files(stages["before_ingest"] / table) and held[table] != "new"
    _invoke(*_ingest_args(stages, lake))
    assert lake_rows(lake) == lake_rows(stages["before_score"])
    assert not [p for p in (lake / STAGING_FOLDER).iterdir() if p.is_dir()], "the killed run's raw lines remain"
    assert not list((lake / CLAIMS_FOLDER).glob("*.intent"))


# Edges, impressions, scores and segments are written at once, in any order; the summary
# last. Each point waits for its table, so the later points may find other tables new too.
PUBLISH_POINTS = {
    "edges data written, not committed": (tables.EDGES, "written"),
    "edges committed, summary not": (tables.EDGES, "committed"),
    "scores committed, summary not": (tables.SCORES, "committed"),
    "segments committed, summary not": (tables.SEGMENTS, "committed"),
}


@pytest.fixture(scope="module")
def killed_publish(stages, tmp_path_factory) -> dict[str, Path]:
    """One score of the date, stopped at each of PUBLISH_POINTS: each point's lake."""
    lake = tmp_path_factory.mktemp("killed-publish") / "lake"
    shutil.copytree(stages["before_score"], lake)
    points = {point: _reached(lake, *where) for point, where in PUBLISH_POINTS.items()}
    return _stop_at(_score_args(stages, lake), points, lake, lake.parent / "killed.log")


def _score_args(stages: dict[str, Path], lake: Path) -> list[str]:
    return ["score", "--lake", str(lake), "--as-of", AS_OF, "--config", str(stages["config"])]


@pytest.mark.parametrize("point", PUBLISH_POINTS)
def test_a_publish_killed_midway_leaves_old_or_new_tables_and_its_rerun_completes_them(spark, stages, point,
                                                                                        killed_publish):
    lake = killed_publish[point]
    table, moment = PUBLISH_POINTS[point]
    _reads_in_spark(spark, lake)
    held = _old_or_new(lake, lake_rows(stages["before_score"]), lake_rows(stages["scored"]))
    assert held[tables.NETWORK_SUMMARY] == "old", "the summary, written last, marks a date published"
    if moment == "committed":
        assert held[table] == "new", held
    else:  # written files, not yet in the log
        assert _data_files(lake / table) > _data_files(stages["before_score"] / table) and held[table] == "old"
    assert _invoke(*_score_args(stages, lake)) == 0
    assert lake_rows(lake) == lake_rows(stages["scored"])
