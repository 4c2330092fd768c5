"""The cluster harness on a small sample: a real standalone master and two workers."""

import pytest

from bench import cluster

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`


@pytest.mark.cluster
def test_score_on_a_standalone_cluster_equals_a_local_run(tmp_path):
    result = cluster.run(users=60, days=10, engine="networkit", work=tmp_path)
    assert result["equal"], result["differences"]
    assert result["engine"] == result["local_engine"] == "networkit"
    # Both workers ran executors of the cluster run, and nothing the harness started is left.
    assert all(result["executors_per_worker"].values()), result["executors_per_worker"]
    assert len(result["executors_per_worker"]) == 2
    assert result["processes_left_running"] == []
