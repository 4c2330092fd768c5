"""Shared fixtures: one local SparkSession for the whole run, a fresh lake per test."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import pytest

from influence.config import Settings, load_config

pytest_plugins = ["tests.budget"]

# The generated sample scored on two dates two weeks apart, so that lists, rank changes and
# the report have a previous date to compare with.
SAMPLE_FIRST, SAMPLE_SECOND = date(2026, 6, 16), date(2026, 6, 30)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COLLEGEMSG = SHARED_DATA / "collegemsg" / "CollegeMsg.txt.gz"


@pytest.fixture(scope="session")
def settings() -> Settings:
    # Interpreted, not compiled, expressions: on rows this few, compiling generated code
    # (Janino) was over a third of the JVM's CPU. No adaptive query execution: on rows this
    # few its re-planning is overhead (a score of the sample makes 60 Spark jobs instead of
    # 156 and uses about a sixth less JVM CPU; BENCHMARKS.md). The product keeps both by default;
    # the cluster run (test_cluster.py) and the crash tests' killed processes score with its
    # defaults and compare their rows with rows made here, so both paths are checked
    # against each other. Delta keeps the log and state of the last 1,000 tables it opened, and
    # the suite opens thousands, one lake a module or a test: 64 keep a test's tables. One
    # JVM runs every test's pipelines, hence more heap than a command's default.
    return load_config(overrides={
        "spark": {"master": "local[2]", "shuffle_partitions": 2, "driver_memory": "3g", "ui": False,
                  "conf": {"spark.sql.codegen.factoryMode": "NO_CODEGEN", "spark.sql.adaptive.enabled": "false",
                           "spark.databricks.delta.delta.log.cacheSize": "64"}},
    })


@pytest.fixture(scope="session")
def spark(settings, tmp_path_factory):
    from influence.spark import get_spark

    session = get_spark(settings)
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()
    # Airflow's logging config points handlers at streams pytest closes at exit, where py4j's
    # finalizers would log "Closing down clientserver connection" into them.
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture
def lake(tmp_path) -> Path:
    return tmp_path / "lake"


@pytest.fixture(scope="session")
def collegemsg() -> Path:
    """The real CollegeMsg export; required in CI, skipped with a reason elsewhere."""
    if not COLLEGEMSG.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{COLLEGEMSG} is missing; CI must have ../shared beside the repository")
        pytest.skip(f"{COLLEGEMSG} not found (../shared is not beside the repository)")
    return COLLEGEMSG


@pytest.fixture(scope="session")
def two_date_lake(spark, tmp_path_factory) -> Path:
    """The built-in sample, ingested and scored on SAMPLE_FIRST, then scored on SAMPLE_SECOND."""
    from typer.testing import CliRunner

    from influence.cli import app

    lake = tmp_path_factory.mktemp("two-dates") / "lake"
    first = CliRunner().invoke(app, ["run", "--lake", str(lake), "--as-of", SAMPLE_FIRST.isoformat()])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, ["score", "--lake", str(lake), "--as-of", SAMPLE_SECOND.isoformat()])
    assert second.exit_code == 0, second.output
    return lake
