"""The cluster harness on a small sample: a real standalone master and two workers."""

import json

import pytest
from typer.testing import CliRunner

from bench import cluster
from influence.cli import app
from tests.processes import QUICK_JIT

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`


def _in_this_process(*args: str) -> dict:
    """The ingest and the local score, on the suite's Spark session: the cluster run is what is under test."""
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[min(i for i in (result.stdout.find("["), result.stdout.find("{")) if i >= 0):])


@pytest.mark.cluster
def test_score_on_a_standalone_cluster_equals_a_local_run(spark, tmp_path, monkeypatch):
    # The quick JIT in the cluster run's driver and executors (tests/processes.py); its
    # expressions stay compiled, the product's default for large inputs (the long-run tuning,
    # forced here on the small sample), against the session's interpreted ones.
    monkeypatch.setenv("INFLUENCE_SPARK__CONF", json.dumps({"spark.driver.extraJavaOptions": QUICK_JIT,
                                                            "spark.executor.extraJavaOptions": QUICK_JIT}))
    monkeypatch.setenv("INFLUENCE_SPARK__TUNING", "long")
    result = cluster.run(users=60, days=10, engine="networkit", work=tmp_path, run_local=_in_this_process)
    assert result["equal"], result["differences"]
    assert result["engine"] == result["local_engine"] == "networkit"
    # Both workers ran executors of the cluster run, and nothing the harness started is left.
    assert all(result["executors_per_worker"].values()), result["executors_per_worker"]
    assert len(result["executors_per_worker"]) == 2
    assert result["processes_left_running"] == []
