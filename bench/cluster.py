"""Cluster harness: `influence score` on a real Spark standalone cluster equals a local run.

    .venv/bin/python -m bench.cluster [--users 300] [--days 30] [--engine networkit]

Starts a standalone master and two workers (one core each) on loopback from the
installed pyspark (``spark-class org.apache.spark.deploy.master.Master`` / ``...Worker``,
so no Spark download), generates and ingests a sample, then scores the same bronze twice:
``influence score --master spark://127.0.0.1:PORT`` and ``--master local[2]``. It checks
that both workers ran executors of the cluster run, that the gold rows of the two runs
are equal (run ids, timestamps and durations aside; floating values to 1e-9) and stops
every process it started, also when something fails.

The engine is a parameter. With ``networkit`` the graph stage runs on the driver while
Spark's executors on the cluster do the rest (reading bronze, the windowed edge
aggregation, impressions, roles, the Delta writes); with ``graphframes`` the graph stage
runs on the executors too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

END = date(2026, 6, 30)
VOLATILE_SUFFIXES = ("_at",)
VOLATILE = ("run_id", "stage_seconds")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def _env() -> dict[str, str]:
    import pyspark

    env = dict(os.environ)
    env.update({
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "SPARK_LOCAL_IP": "127.0.0.1",
        # Executors' Python workers run this interpreter (same machine, same packages).
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_NO_DAEMONIZE": "1",
    })
    env.pop("PYSPARK_GATEWAY_PORT", None)
    return env


@contextmanager
def standalone_cluster(work: Path, workers: int = 2, worker_memory: str = "1g",
                       timeout: float = 180) -> Iterator[dict]:
    """A master and ``workers`` workers on loopback; every process is stopped on exit."""
    port, ui = _free_port(), _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    env = _env()
    started: list[subprocess.Popen] = []
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def launch(name: str, *args: str) -> None:
        log = (logs / f"{name}.log").open("wb")
        # Own process group: stopping it stops the JVM and whatever it launched (executors).
        started.append(subprocess.Popen([str(_spark_class()), *args], env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))

    try:
        launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
               "--webui-port", str(ui))
        worker_dirs = []
        for i in range(1, workers + 1):
            worker_dir = work / f"worker{i}"
            worker_dir.mkdir(parents=True, exist_ok=True)
            worker_dirs.append(worker_dir)
            launch(f"worker{i}", "org.apache.spark.deploy.worker.Worker", master_url, "--host", "127.0.0.1",
                   "--cores", "1", "--memory", worker_memory, "--webui-port", str(_free_port()),
                   "--work-dir", str(worker_dir))
        state = _wait_for_workers(ui, workers, timeout, started, logs)
        yield {"master": master_url, "ui": f"http://127.0.0.1:{ui}", "worker_dirs": worker_dirs,
               "workers": state["aliveworkers"], "pids": [p.pid for p in started]}
    finally:
        for process in reversed(started):
            _stop(process)


def _wait_for_workers(ui: int, workers: int, timeout: float, started: list[subprocess.Popen], logs: Path) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p for p in started if p.poll() is not None]
        if dead:
            raise RuntimeError(f"a cluster process exited with {dead[0].returncode}; see {logs}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as response:
                state = json.load(response)
            if state.get("aliveworkers", 0) >= workers:
                return state
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{workers} workers did not register with the master within {timeout:.0f} s; see {logs}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass


def _influence(*args: str, env: dict[str, str]) -> dict:
    done = subprocess.run([str(Path(sys.executable).parent / "influence"), *args, "--json"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"influence {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def _gold(lake: Path, name: str):
    import deltalake

    frame = deltalake.DeltaTable(str(lake / name)).to_pandas()
    volatile = [c for c in frame.columns if c in VOLATILE or c.endswith(VOLATILE_SUFFIXES)]
    key = [c for c in ("as_of_date", "user_id", "segment", "scope") if c in frame.columns]
    return frame.drop(columns=volatile).sort_values(key).reset_index(drop=True)


def compare(local: Path, cluster: Path, tables: tuple[str, ...]) -> dict[str, str | None]:
    """Per table: None when the gold rows are equal, else what differs."""
    import pandas as pd

    found: dict[str, str | None] = {}
    for name in tables:
        ours, theirs = _gold(local, name), _gold(cluster, name)
        try:
            pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9, atol=1e-12)
            found[name] = None
        except AssertionError as exc:
            found[name] = str(exc)[:2000]
    return found


def run(users: int, days: int, engine: str, work: Path,
        run_local: Callable[..., dict | list] | None = None) -> dict:
    """The harness (module docstring). ``run_local`` runs the ingest and the local score: by
    default ``influence`` in a process of its own; the test suite passes one that runs the
    CLI in the calling process and its Spark session, as only the cluster run is under test there."""
    from influence import generate
    from influence.tables import NETWORK_SUMMARY, SCORES, SEGMENTS

    started = time.perf_counter()
    env = _env()
    export = generate.write_export(work / "export", users=users, days=days, end=END, seed=11)
    cluster = work / "cluster-lake"
    base = ["--config", str(_config(work))]
    on_local_master = run_local or (lambda *args: _influence(*args, "--master", "local[2]", env=env))
    local = work / "local-lake"
    on_local_master("ingest", "--lake", str(local), str(export), *base)
    shutil.copytree(local, cluster)
    timings = {}
    with standalone_cluster(work / "cluster") as spark_cluster:
        t = time.perf_counter()
        on_cluster = _influence("score", "--lake", str(cluster), "--as-of", str(END), "--engine", engine, *base,
                                "--master", spark_cluster["master"], env=env)
        timings["score_on_cluster_s"] = round(time.perf_counter() - t, 1)
        executors = {d.name: sorted(p.name for p in d.glob("app-*/*") if p.is_dir()) for d in spark_cluster["worker_dirs"]}
        pids = spark_cluster["pids"]
    t = time.perf_counter()
    on_local = on_local_master("score", "--lake", str(local), "--as-of", str(END), "--engine", engine, *base)
    timings["score_local_s"] = round(time.perf_counter() - t, 1)
    differences = compare(local, cluster, (SCORES, SEGMENTS, NETWORK_SUMMARY))
    still_running = [pid for pid in pids if _alive(pid)]
    return {
        "users": on_cluster["users"], "edges": on_cluster["edges"], "engine": on_cluster["engine"],
        "engine_requested": engine, "local_engine": on_local["engine"], "executors_per_worker": executors,
        "differences": differences, "equal": all(v is None for v in differences.values()),
        "processes_left_running": still_running, **timings,
        "wall_s": round(time.perf_counter() - started, 1),
    }


def _config(work: Path) -> Path:
    config = work / "influence.yaml"
    config.write_text(json.dumps({"spark": {"driver_memory": "1g", "shuffle_partitions": 2,
                                            "conf": {"spark.executor.memory": "768m"}}}))
    return config


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--engine", default="networkit", choices=["auto", "networkit", "graphframes"])
    parser.add_argument("--out", type=Path, default=Path("bench/results/cluster.json"))
    args = parser.parse_args(argv)

    from bench.metrics import publish

    with tempfile.TemporaryDirectory(prefix="influence-cluster-") as tmp:
        result = run(args.users, args.days, args.engine, Path(tmp))
    publish(result, args.out, "bench.cluster", argv)
    return 0 if result["equal"] and not result["processes_left_running"] else 1


if __name__ == "__main__":
    sys.exit(main())
