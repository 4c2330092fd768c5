"""Where a command's time goes: each CLI step's wall time, its Spark jobs and their time
(Spark's event log), the driver's Python profile (cProfile) and the rest (JVM start,
imports, planning and round trips outside jobs).

    .venv/bin/python -m bench.profile --scales sample,100k,1m --out bench/results/profile-before.json

Per scale: ``generate`` (not profiled; ``sample`` is the built-in sample that ``influence
run`` ingests by default, 60 users over 10 days), then ``ingest`` and ``score`` into a new
lake, each a fresh process timed from its start as a user runs them, with Spark's event log
on (``spark.eventLog.*`` through the config's ``spark.conf``) and under cProfile. The CLI
labels each step's Spark jobs with the step's name (``setJobDescription``), so jobs are
counted per step from the log. Single runs: this is a profile, not a timing; the timings
are ``bench.run``'s, medians of 3.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.metrics import machine
from bench.run import BIN, COLLEGEMSG, DAYS, SCALES

# The cProfile entries summed as "waiting on the JVM": py4j's blocking reads of its answers.
PY4J_WAIT = ("py4j/clientserver.py", "send_command")


def child(out: Path, argv: list[str]) -> None:
    """Run ``influence ARGV`` in this process under cProfile, recording when each step began."""
    import psutil

    import influence.cli as cli

    process_start = psutil.Process().create_time()
    marks: list[tuple[str | None, float]] = []
    describe = cli._describe_jobs

    def recording(name: str | None) -> bool:
        marks.append((name, time.time()))
        return describe(name)

    cli._describe_jobs = recording
    sys.argv = ["influence", *argv]
    profiler = cProfile.Profile()
    status = 0
    try:
        profiler.runcall(cli.main)
    except SystemExit as exit_:
        status = exit_.code or 0
    ended = time.time()
    profiler.dump_stats(str(out.with_suffix(".prof")))
    out.write_text(json.dumps({"process_start": process_start, "ended": ended, "marks": marks, "status": status}))


def steps_of(marks: list[list], ended: float) -> list[dict[str, Any]]:
    """Each step's name, start and end: a step ends at its closing mark or where the next begins."""
    steps = []
    for (name, at), (_, after) in zip(marks, [*marks[1:], (None, ended)]):
        if name is not None:
            steps.append({"step": name, "start": at, "end": after})
    return steps


def event_log_jobs(log_dir: Path) -> tuple[list[dict[str, Any]], float | None]:
    """Every Spark job of the event log in ``log_dir``: its description, submission and
    completion (epoch seconds) and its tasks' run time; and when the application started."""
    # Spark 4 writes a rolling log: a folder of numbered files (events_1_..., events_2_...).
    logs = sorted((p for p in log_dir.rglob("events_*") if p.is_file()), key=lambda p: int(p.name.split("_")[1]))
    jobs: dict[int, dict[str, Any]] = {}
    stage_job: dict[int, int] = {}
    app_start = None
    for line in (line for log in logs for line in log.open()):
        event = json.loads(line)
        kind = event["Event"]
        if kind == "SparkListenerApplicationStart":
            app_start = event["Timestamp"] / 1000
        elif kind == "SparkListenerJobStart":
            props = event.get("Properties") or {}
            jobs[event["Job ID"]] = {"description": props.get("spark.job.description"),
                                     "call_site": props.get("callSite.short"),
                                     "submitted": event["Submission Time"] / 1000, "task_seconds": 0.0,
                                     "tasks": 0}
            for stage in event.get("Stage IDs", []):
                stage_job[stage] = event["Job ID"]
        elif kind == "SparkListenerJobEnd":
            jobs[event["Job ID"]]["completed"] = event["Completion Time"] / 1000
        elif kind == "SparkListenerTaskEnd":
            job = jobs.get(stage_job.get(event["Stage ID"]))
            metrics = event.get("Task Metrics") or {}
            if job is not None:
                job["task_seconds"] += metrics.get("Executor Run Time", 0) / 1000
                job["tasks"] += 1
    return list(jobs.values()), app_start


def profile_command(argv: list[str], work: Path, name: str) -> dict[str, Any]:
    """One ``influence`` command in a fresh process: its steps with their jobs, and its profile."""
    log_dir = work / f"events-{name}"
    log_dir.mkdir(parents=True)
    out = work / f"{name}.json"
    conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": log_dir.as_uri(),
            "spark.eventLog.compress": "false"}
    env = {**os.environ, "INFLUENCE_SPARK__CONF": json.dumps(conf)}
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "bench.profile", "--child", str(out), "--", *argv], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"influence {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    recorded = json.loads(out.read_text())
    if recorded["status"]:
        raise RuntimeError(f"influence {' '.join(argv)} exited {recorded['status']}:\n{done.stderr[-3000:]}")
    jobs, app_start = event_log_jobs(log_dir)
    steps = steps_of(recorded["marks"], recorded["ended"])
    by_step: dict[str | None, list[dict]] = defaultdict(list)
    for job in jobs:
        by_step[job["description"]].append(job)
    rows = []
    for step in steps:
        own = by_step.pop(step["step"], [])
        rows.append({"step": step["step"], "seconds": step["end"] - step["start"], "jobs": len(own),
                     "job_seconds": sum(j.get("completed", j["submitted"]) - j["submitted"] for j in own),
                     "task_seconds": sum(j["task_seconds"] for j in own), "tasks": sum(j["tasks"] for j in own)})
    unlabelled = [j for js in by_step.values() for j in js]
    first_step = steps[0]["start"] if steps else recorded["ended"]
    return {"argv": argv, "seconds": recorded["ended"] - recorded["process_start"],
            "wall_seconds": time.time() - started,
            "before_first_step": first_step - recorded["process_start"],
            "jvm_application_start": None if app_start is None else app_start - recorded["process_start"],
            "jobs": len(jobs), "unlabelled_jobs": len(unlabelled), "steps": rows,
            "python": python_profile(out.with_suffix(".prof"))}


def python_profile(path: Path, top: int = 30) -> dict[str, Any]:
    """The driver's own time against its waits on the JVM, and the project's costliest functions."""
    stats = pstats.Stats(str(path))
    total = stats.total_tt
    waiting, round_trips = 0.0, 0
    ours = []
    for (file, _, function), (_, calls, own, cumulative, _) in stats.stats.items():
        if file.endswith(PY4J_WAIT[0]) and function == PY4J_WAIT[1]:
            waiting += cumulative
            round_trips += calls
        if "/influence/" in file and "/bench/" not in file:
            ours.append({"function": f"{Path(file).parent.name}/{Path(file).name}:{function}", "calls": calls,
                         "own_seconds": round(own, 3), "cumulative_seconds": round(cumulative, 3)})
    ours.sort(key=lambda f: -f["cumulative_seconds"])
    return {"profiled_seconds": total, "py4j_wait_seconds": waiting, "py4j_round_trips": round_trips,
            "top": ours[:top]}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        return child(Path(args[1]), args[3:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="sample,100k,1m")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/results/profile.json"))
    parser.add_argument("--report", type=Path, default=None, help="only print the tables of a results file")
    options = parser.parse_args(args)
    if options.report:
        print(tables(json.loads(options.report.read_text())))
        return
    work = options.work or Path(tempfile.mkdtemp(prefix="bench-profile-"))
    influence = str(BIN / "influence")
    results: dict[str, Any] = {"command": " ".join(["python -m bench.profile", *args]), "machine": machine(),
                               "scales": {}}
    for scale in options.scales.split(","):
        here = work / scale
        here.mkdir(parents=True, exist_ok=True)
        if scale == "collegemsg":
            export = COLLEGEMSG
        else:
            users, days = (60, 10) if scale == "sample" else (SCALES[scale], DAYS)
            generated = subprocess.run([influence, "generate", "--out", str(here / "export"), "--users", str(users),
                                        "--days", str(days), "--format", "snap", "--json"],
                                       check=True, stdout=subprocess.PIPE, text=True)
            export = Path(json.loads(generated.stdout)["path"])
        lake = here / "lake"
        entry = results["scales"][scale] = {}
        for command, argv in (("ingest", ["ingest", "--lake", str(lake), "--profile", "snap", str(export)]),
                              ("score", ["score", "--lake", str(lake)])):
            print(f"{scale}: {command}", flush=True)
            entry[command] = profile_command(argv, here, command)
            options.out.parent.mkdir(parents=True, exist_ok=True)
            options.out.write_text(json.dumps(results, indent=1))
    print(tables(results))


def _step_name(step: str) -> str:
    """A step's name without what varies between scales (the file, the engine's reason)."""
    if step.startswith("ingest "):
        return "ingest the file"
    return re.sub(r" \(.*\)$", "", step)


def tables(results: dict[str, Any]) -> str:
    """Per command, each step's seconds and Spark jobs at every scale; then the project's
    costliest functions in the driver at the largest scale."""
    scales = list(results["scales"])
    lines = [f"`{results['command']}`", ""]
    commands = list(dict.fromkeys(c for entry in results["scales"].values() for c in entry))
    for command in commands:
        profiles = {scale: results["scales"][scale].get(command) for scale in scales}
        lines += [f"**`{command}`**: seconds (Spark jobs) per step", "",
                  "| step | " + " | ".join(scales) + " |", "| --- |" + " ---: |" * len(scales)]
        steps = list(dict.fromkeys(_step_name(r["step"]) for p in profiles.values() if p for r in p["steps"]))
        for step in steps:
            cells = []
            for profile in profiles.values():
                rows = [r for r in (profile or {}).get("steps", []) if _step_name(r["step"]) == step]
                cells.append(f"{sum(r['seconds'] for r in rows):.1f} ({sum(r['jobs'] for r in rows)})"
                             if rows else "")
            lines.append(f"| {step} | " + " | ".join(cells) + " |")
        lines.append("| **from process start** | " + " | ".join(
            f"**{p['seconds']:.1f}** ({p['jobs']})" if p else "" for p in profiles.values()) + " |")
        lines.append("| driver's wait on the JVM (py4j round trips) | " + " | ".join(
            f"{p['python']['py4j_wait_seconds']:.1f} ({p['python']['py4j_round_trips']:,})" if p else ""
            for p in profiles.values()) + " |")
        largest = next((p for p in reversed(list(profiles.values())) if p), None)
        if largest:
            lines += ["", f"Costliest project functions at {scales[-1]} (cumulative seconds, calls):", ""]
            lines += [f"- `{f['function']}` {f['cumulative_seconds']:.1f} s ({f['calls']})"
                      for f in largest["python"]["top"] if not f["function"].startswith("influence/cli.py")][:12]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
