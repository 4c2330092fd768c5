"""The speed issue's before and after, side by side in one run, against the naive reference.

    .venv/bin/python -m bench.speed --before 39614f2 --scales sample,collegemsg,100k,1m --repeats 3 \\
        --out bench/results/speed.json

Two revisions of the project (``--before``, ``--after``: default the checked-out one) are
checked out into git worktrees in the work folder and run from the same environment (the
``influence`` package imported from each worktree). Per round and scale, for each revision
in turn (the order alternates between rounds, so drift on a shared machine hits both):
``ingest`` of the export into a new lake, ``score`` of it, and at the scales of ``--run-at``
``run`` (ingest and score in one process into another new lake), each a fresh process timed
from its start, with the CLI's steps timed inside it; then the naive reference
(``bench.naive``) on the same file.
The ``sample`` scale is ``influence run`` with no input (the built-in sample) on a lake it
ran on once before: the warm run of the issue's targets. ``--report`` prints the tables of
a results file again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.metrics import machine
from bench.profile import _step_name
from bench.run import BIN, COLLEGEMSG, COLLEGEMSG_INTERACTIONS, DAYS, SCALES

REPOSITORY = Path(__file__).resolve().parents[1]

# Runs ``influence`` from sys.argv[2:] in this process and records when each CLI step began
# (its ``_describe_jobs`` hook), the process's start and end, as JSON in sys.argv[1]. Code,
# not a module of this repository: the ``before`` revision has no such module.
CHILD = """
import json, sys, time
import psutil
started = psutil.Process().create_time()
import influence.cli as cli
marks, describe = [], cli._describe_jobs
def recording(name):
    marks.append((name, time.time()))
    return describe(name)
cli._describe_jobs = recording
out, sys.argv = sys.argv[1], ["influence", *sys.argv[2:]]
status = 0
try:
    cli.main()
except SystemExit as exit_:
    status = exit_.code or 0
ended = time.time()
steps = [(name, after - at) for (name, at), (_, after) in zip(marks, [*marks[1:], (None, ended)]) if name]
json.dump({"seconds": ended - started, "status": status, "steps": steps}, open(out, "w"))
"""


def timed_command(tree: Path, argv: list[str], work: Path) -> dict[str, Any]:
    """``influence ARGV`` from the worktree ``tree`` in a fresh process: its seconds from process
    start and each step's seconds."""
    out = work / "child.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": f"{tree / 'jobs'}{os.pathsep}{tree}"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(out), *argv], env=env, cwd=work, capture_output=True,
                          text=True)
    if not out.is_file():
        raise RuntimeError(f"influence {' '.join(argv)} from {tree} failed:\n{done.stderr[-3000:]}")
    recorded = json.loads(out.read_text())
    if recorded["status"] not in (0, None):
        raise RuntimeError(f"influence {' '.join(argv)} from {tree} exited {recorded['status']}:\n"
                           f"{done.stderr[-3000:]}")
    steps: dict[str, float] = {}
    for name, seconds in recorded["steps"]:
        steps[_step_name(name)] = steps.get(_step_name(name), 0.0) + seconds
    return {"seconds": recorded["seconds"], "steps": steps}


def naive(export: Path, work: Path) -> float:
    """The naive reference on ``export``, timed from its process's start as the commands are."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.naive", str(export), "--json"], cwd=REPOSITORY, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def worktree(revision: str, work: Path) -> Path:
    tree = work / f"tree-{revision}"
    if not tree.is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=REPOSITORY, check=True,
                       capture_output=True)
    return tree


def export_of(scale: str, work: Path) -> Path | None:
    """The export a scale reads (None for the built-in sample)."""
    if scale == "sample":
        return None
    if scale == "collegemsg":
        return COLLEGEMSG
    folder = work / f"export-{scale}"
    found = sorted(folder.glob("*.txt"))
    if found:
        return found[0]
    subprocess.run([str(BIN / "influence"), "generate", "--out", str(folder), "--users", str(SCALES[scale]),
                    "--days", str(DAYS), "--format", "snap"], check=True, capture_output=True)
    return sorted(folder.glob("*.txt"))[0]


def one_round(scale: str, tree: Path, export: Path | None, work: Path, with_run: bool) -> dict[str, Any]:
    """A revision's commands on a scale, each in a new lake (the sample's run: its warm lake);
    ``run`` of the export too where ``with_run``."""
    here = work / f"{scale}-{tree.name}"
    if export is None:
        lake = here / "lake"
        if not lake.is_dir():  # the first run generates and ingests the sample; later runs are warm
            here.mkdir(parents=True, exist_ok=True)
            timed_command(tree, ["run", "--lake", str(lake)], here)
        return {"run": timed_command(tree, ["run", "--lake", str(lake)], here)}
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    ingested = timed_command(tree, ["ingest", "--lake", str(here / "lake"), "--profile", "snap", str(export)], here)
    scored = timed_command(tree, ["score", "--lake", str(here / "lake")], here)
    timed = {"ingest": ingested, "score": scored}
    if with_run:
        timed["run"] = timed_command(tree, ["run", "--lake", str(here / "lake-run"), str(export)], here)
    shutil.rmtree(here, ignore_errors=True)
    return timed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the revision the work starts from")
    parser.add_argument("--after", default="HEAD", help="the revision measured against it (default HEAD)")
    parser.add_argument("--scales", default="sample,collegemsg,100k,1m")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--run-at", default="1m", help="the scales whose export `run` also takes (the sample's always)")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/results/speed.json"))
    parser.add_argument("--report", type=Path, default=None, help="only print the tables of a results file")
    args = parser.parse_args(argv)
    if args.report:
        print(tables(json.loads(args.report.read_text())))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    revisions = {"before": args.before, "after": args.after}
    resolved = {label: subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPOSITORY, check=True,
                                      capture_output=True, text=True).stdout.strip() for label, rev in revisions.items()}
    trees = {label: worktree(resolved[label], work) for label in revisions}
    scales, run_at = args.scales.split(","), set(args.run_at.split(","))
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.speed", *(argv if argv is not None else sys.argv[1:])]),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
        "revisions": resolved, "scales": {}}
    try:
        for number in range(args.repeats):
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for scale in scales:
                export = export_of(scale, work)
                entry = results["scales"].setdefault(scale, {"runs": {label: [] for label in trees}, "naive": []})
                if scale == "collegemsg":
                    entry["interactions"] = COLLEGEMSG_INTERACTIONS
                elif export is not None:
                    entry["interactions"] = sum(1 for _ in export.open())
                for label in order:
                    print(f"[{datetime.now().strftime('%H:%M:%S')}] round {number + 1}/{args.repeats} {scale} "
                          f"{label} ({resolved[label]})", flush=True)
                    entry["runs"][label].append(one_round(scale, trees[label], export, work, scale in run_at))
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    args.out.write_text(json.dumps(results, indent=1))
                if export is not None:
                    entry["naive"].append(naive(export, work))
        results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        args.out.write_text(json.dumps(results, indent=1))
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPOSITORY, capture_output=True)
    print(tables(results))


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _cell(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def tables(results: dict[str, Any]) -> str:
    """Per scale: each command's and each step's median seconds before and after, their
    ratio, and ingest + score (and run) against the naive reference of the same rounds."""
    before, after = results["revisions"]["before"], results["revisions"]["after"]
    lines = [f"`{results['command']}` (before {before}, after {after}; medians of each revision's runs)", ""]
    for scale, entry in results["scales"].items():
        runs = entry["runs"]
        naive_seconds = _median(entry.get("naive", []))
        lines += [f"**{scale}**" + (f" ({entry['interactions']:,} interactions)" if entry.get("interactions") else "")
                  + (f"; naive reference {naive_seconds:.2f} s" if naive_seconds else ""), "",
                  "| command: step | before (s) | after (s) | after / before |", "| --- | ---: | ---: | ---: |"]
        commands = list(dict.fromkeys(c for label in runs for r in runs[label] for c in r))
        for command in commands:
            total = {label: _median([r[command]["seconds"] for r in runs[label] if command in r]) for label in runs}
            ratio = total["after"] / total["before"] if total["before"] and total["after"] else None
            lines.append(f"| **{command}** | **{_cell(total['before'])}** | **{_cell(total['after'])}** | "
                         f"**{_cell(ratio, 2)}** |")
            names = list(dict.fromkeys(s for label in runs for r in runs[label] if command in r
                                       for s in r[command]["steps"]))
            for name in names:
                step = {label: _median([r[command]["steps"].get(name, 0.0) for r in runs[label] if command in r])
                        for label in runs}
                lines.append(f"| {command}: {name} | {_cell(step['before'])} | {_cell(step['after'])} | |")
        if naive_seconds:
            for label in ("before", "after"):
                ingest = _median([r["ingest"]["seconds"] for r in runs[label] if "ingest" in r])
                score = _median([r["score"]["seconds"] for r in runs[label] if "score" in r])
                ran = _median([r["run"]["seconds"] for r in runs[label] if "run" in r])
                if ingest and score:
                    lines.append(f"\n{label}: ingest + score {ingest + score:.1f} s = "
                                 f"**{(ingest + score) / naive_seconds:.1f}x** the naive reference" + (
                                     f"; run {ran:.1f} s = {ran / naive_seconds:.1f}x" if ran else "") + (
                                     f"; ingest {entry['interactions'] / ingest:,.0f} interactions/s"
                                     if entry.get("interactions") else ""))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
