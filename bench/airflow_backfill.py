"""Airflow 3's own backfill of influence_score, run by a real scheduler, equals `influence backfill`.

    .venv/bin/python -m bench.airflow_backfill [--users 80] [--days 12]

In a temporary AIRFLOW_HOME (SQLite, LocalExecutor): generates and ingests a sample,
creates a backfill of the sample's last three dates with ``airflow backfill create``,
runs ``airflow standalone`` (api-server, scheduler, dag-processor, triggerer) until the
three runs finish, stops it, and compares the gold rows with ``influence backfill`` of
the same dates on a copy of the same bronze. Slow (three spark-submits behind a
scheduler), so it is a documented check rather than a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.cluster import _free_port, compare

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
END = date(2026, 6, 30)


def _run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(list(args), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def run(users: int, days: int, work: Path, timeout: float) -> dict:
    from influence import generate
    from influence.tables import NETWORK_SUMMARY, SCORES, SEGMENTS

    started = time.perf_counter()
    start = END - timedelta(days=2)
    export = generate.write_export(work / "export", users=users, days=days, end=END, seed=3)
    airflow_lake, cli_lake = work / "airflow-lake", work / "cli-lake"
    config = work / "influence.yaml"
    config.write_text(json.dumps({"orchestration": {"lake": str(airflow_lake)},
                                  "spark": {"driver_memory": "1g", "shuffle_partitions": 2}}))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYSPARK"))}
    env.update({
        "AIRFLOW_HOME": str(work / "home"), "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW_CONN_INFLUENCE_SPARK": json.dumps({"conn_type": "spark", "host": "local[2]"}),
        "INFLUENCE_CONFIG": str(config), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    influence = str(BIN / "influence")
    _run(influence, "ingest", "--lake", str(airflow_lake), str(export), env=env)
    shutil.copytree(airflow_lake, cli_lake)

    airflow = str(BIN / "airflow")
    _run(airflow, "db", "migrate", env=env)
    _run(airflow, "dags", "reserialize", env=env)
    _run(airflow, "dags", "unpause", "influence_score", env=env)
    created = _run(airflow, "backfill", "create", "--dag-id", "influence_score", "--from-date", str(start),
                   "--to-date", str(END), "--max-active-runs", "1", env=env)
    log = (work / "standalone.log").open("wb")
    standalone = subprocess.Popen([airflow, "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    runs: list[dict] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(15)
            if standalone.poll() is not None:
                raise RuntimeError(f"airflow standalone exited with {standalone.returncode}; see {log.name}")
            listed = _run(airflow, "dags", "list-runs", "influence_score", "--output", "json", env=env)
            # Airflow prints warnings on stdout too; the JSON is the line that starts with "[".
            runs = json.loads(next((line for line in listed.splitlines() if line.startswith("[")), "[]"))
            # Unpausing also schedules today's interval (catchup is off); only the backfill counts here.
            runs = [r for r in runs if r["run_id"].startswith("backfill__")]
            if len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs):
                break
        else:
            raise RuntimeError(f"the backfill did not finish within {timeout:.0f} s: {runs}")
    finally:
        try:
            os.killpg(standalone.pid, signal.SIGTERM)
            standalone.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(standalone.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    airflow_seconds = round(time.perf_counter() - started, 1)
    _run(influence, "backfill", "--lake", str(cli_lake), "--start", str(start), "--end", str(END), env=env)
    differences = compare(airflow_lake, cli_lake, (SCORES, SEGMENTS, NETWORK_SUMMARY))
    return {"backfill_create": created.strip().splitlines()[-3:],
            "runs": [{k: r.get(k) for k in ("run_id", "state", "logical_date", "start_date", "end_date")} for r in runs],
            "differences": differences, "equal": all(v is None for v in differences.values()),
            "airflow_wall_s": airflow_seconds, "wall_s": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=80)
    parser.add_argument("--days", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (logs, lakes)")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args.users, args.days, args.keep, args.timeout)
    else:
        with tempfile.TemporaryDirectory(prefix="influence-airflow-") as tmp:
            result = run(args.users, args.days, Path(tmp), args.timeout)
    print(json.dumps(result, indent=2, default=str))
    ok = result["equal"] and all(r["state"] == "success" and r["run_id"].startswith("backfill__") for r in result["runs"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
