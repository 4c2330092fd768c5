"""The DAGs load with zero import errors, and dag.test() runs ingest then score on a small
generated sample, with Airflow's own SQLite metadata database in a temporary AIRFLOW_HOME.

Airflow runs in subprocesses: it configures itself (home, database, logging) on import,
which must not leak into the rest of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import deltalake
import pytest

from influence import generate
from tests.processes import SHORT_RUN_CONF

pytestmark = pytest.mark.slow  # see tests/README.md: not in `make test-fast`

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
BIN = Path(sys.executable).parent
END = date(2026, 6, 30)


def _airflow(env: dict[str, str], script: str, timeout: int = 900) -> dict:
    """Run ``script`` in a fresh interpreter; it prints ``RESULT <json>`` last."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True,
                          timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"exit {done.returncode}\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    """A migrated SQLite metadata database, an influence config with a folder source, the env."""
    root = tmp_path_factory.mktemp("airflow")
    exports = root / "exports"
    generate.write_export(exports, users=80, days=12, end=END, seed=3)
    config = root / "influence.yaml"
    config.write_text(json.dumps({
        "orchestration": {"lake": str(root / "lake")},
        "pull": {"landing": str(root / "landing"), "sources": [{"name": "sample", "kind": "folder", "path": str(exports)}]},
        "spark": {"driver_memory": "1g", "shuffle_partitions": 2, "conf": SHORT_RUN_CONF},
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INFLUENCE_CONFIG", "PYSPARK"))}
    env.update({
        "AIRFLOW_HOME": str(root / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "INFLUENCE_CONFIG": str(config),
        # spark-submit, from the same environment
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # the job's local master on this 2-core machine
        "AIRFLOW_CONN_INFLUENCE_SPARK": json.dumps({"conn_type": "spark", "host": "local[2]"}),
    })
    subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    return env, root


def test_dags_load_with_no_import_errors_and_no_heavy_imports(airflow):
    env, _ = airflow
    found = _airflow(env, f"""
        import json, sys
        from airflow.dag_processing.dagbag import DagBag
        bag = DagBag(dag_folder={str(DAGS)!r})
        heavy = sorted(m for m in ("pyspark", "great_expectations", "networkit", "pandas", "delta", "boto3")
                       if m in sys.modules)
        tasks = {{d.dag_id: {{t.task_id: t.retries for t in d.tasks}} for d in bag.dags.values()}}
        print("RESULT " + json.dumps({{"errors": {{k: str(v) for k, v in bag.import_errors.items()}},
                                       "tasks": tasks, "heavy": heavy}}))
    """)
    assert found["errors"] == {}
    assert found["tasks"] == {
        "influence_ingest": {"pull": 3, "new_files": 3, "ingest": 3},
        "influence_score": {"as_of": 2, "score": 2, "published": 2},
        "influence_maintenance": {"maintain": 1},
    }
    assert found["heavy"] == []


RUN_DAG = """
    import json
    from datetime import datetime, timezone
    from sqlalchemy import select
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    bag = DagBag(dag_folder={dags!r})
    assert not bag.import_errors, bag.import_errors
    results = []
    for day in {days!r}:
        run = bag.get_dag({dag_id!r}).test(logical_date=datetime.fromisoformat(day).replace(tzinfo=timezone.utc))
        with create_session() as session:
            events = session.scalars(select(AssetEvent).where(AssetEvent.source_run_id == run.run_id)).all()
            states = {{ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}}
            results.append({{"state": str(run.state), "tasks": states,
                            "asset_events": sorted(e.asset.name for e in events)}})
    print("RESULT " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def ingested(airflow):
    env, root = airflow
    runs = _airflow(env, RUN_DAG.format(dags=str(DAGS), dag_id="influence_ingest",
                                        days=["2026-07-01T00:00:00", "2026-07-01T00:15:00"]))
    return env, root, runs


def test_ingest_dag_pulls_ingests_and_updates_the_bronze_asset(ingested):
    _, root, (first, second) = ingested
    assert first == {"state": "success", "tasks": {"pull": "success", "new_files": "success", "ingest": "success"},
                     "asset_events": ["bronze/interactions"]}
    # The next run finds nothing new: the ingest is skipped and the Asset does not update.
    assert second == {"state": "success", "tasks": {"pull": "success", "new_files": "success", "ingest": "skipped"},
                      "asset_events": []}
    landed = sorted(str(p) for p in (root / "landing" / "sample").iterdir())
    manifest = deltalake.DeltaTable(str(root / "lake" / "bronze" / "ingested_files")).to_pyarrow_table().to_pylist()
    assert [row["path"] for row in manifest] == landed and manifest[0]["status"] == "ok"
    assert deltalake.DeltaTable(str(root / "lake" / "bronze" / "interactions")).to_pyarrow_table().num_rows > 0


def test_score_dag_scores_the_day_its_data_interval_starts(ingested):
    env, root, _ = ingested
    # The nightly run at 2026-07-01 00:00 covers 2026-06-30.
    (run,) = _airflow(env, RUN_DAG.format(dags=str(DAGS), dag_id="influence_score", days=["2026-07-01T00:00:00"]))
    assert run == {"state": "success", "tasks": {"as_of": "success", "score": "success", "published": "success"},
                   "asset_events": []}
    summary = deltalake.DeltaTable(str(root / "lake" / "gold" / "network_summary")).to_pyarrow_table().to_pylist()
    assert [(row["as_of_date"], row["engine"]) for row in summary] == [(END, "networkit")]
    scores = deltalake.DeltaTable(str(root / "lake" / "gold" / "influencer_scores")).to_pyarrow_table()
    assert scores.num_rows == summary[0]["users"] > 0


CONNECTIONS = {
    "none": (None, "local[*]"),
    "standalone": ({"conn_type": "spark", "host": "spark://10.0.0.5", "port": 7077}, "spark://10.0.0.5:7077"),
}


@pytest.fixture(scope="module")
def submit_commands(airflow) -> dict[str, list[str]]:
    """The spark-submit command the operator builds under each of CONNECTIONS, in one interpreter
    (Airflow reads the connection from the environment when the hook is made)."""
    env, root = airflow
    env = {k: v for k, v in env.items() if k != "AIRFLOW_CONN_INFLUENCE_SPARK"}
    connections = {name: json.dumps(connection) if connection else None
                   for name, (connection, _) in CONNECTIONS.items()}
    return _airflow(env, f"""
        import json, os
        from influence.submit import APPLICATION, InfluenceSubmitOperator
        built = {{}}
        for name, connection in {connections!r}.items():
            os.environ.pop("AIRFLOW_CONN_INFLUENCE_SPARK", None)
            if connection:
                os.environ["AIRFLOW_CONN_INFLUENCE_SPARK"] = connection
            op = InfluenceSubmitOperator(task_id="t", command="score",
                                         arguments=["--lake", {str(root / "lake")!r}, "--as-of", "latest"])
            op.prepare()
            built[name] = op._get_hook()._build_spark_submit_command(APPLICATION)
        print("RESULT " + json.dumps(built))
    """)


@pytest.mark.parametrize("connection", CONNECTIONS)
def test_the_spark_connection_chooses_the_master(airflow, submit_commands, connection):
    _, root = airflow
    built, master = submit_commands[connection], CONNECTIONS[connection][1]
    assert built[built.index("--master") + 1] == master
    conf = [built[i + 1] for i, arg in enumerate(built) if arg == "--conf"]
    assert any(c.startswith("spark.jars=") and "delta-spark" in c for c in conf)
    assert built[-6:] == [str(REPO / "jobs/influence/launcher/influence_app.py"), "score", "--lake",
                          str(root / "lake"), "--as-of", "latest"]
