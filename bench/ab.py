"""One command of two or more revisions, side by side, each run in a fresh process: the way
each speed change is measured on its own before it goes in.

    .venv/bin/python -m bench.ab --revisions cbb1caf,HEAD --lake LAKE --repeats 3 -- score
    .venv/bin/python -m bench.ab --revisions cbb1caf,HEAD --warm --repeats 3 -- run

Each revision is checked out into a git worktree of the work folder and imported from the
same environment, as in ``bench.speed``. With ``--lake``, every run gets a fresh copy of
that lake (say, one where an export was ingested, for ``score``); with ``--warm``, each
revision keeps a lake of its own, and a first, untimed run fills it (``run`` with no input:
the warm run of the built-in sample). Rounds alternate the revisions' order, so drift on a
shared machine hits both. Prints each revision's median seconds from process start and per
CLI step; ``--out`` keeps every run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.metrics import machine
from bench.speed import REPOSITORY, _cell, _median, timed_command, worktree


def one_run(tree: Path, argv: list[str], template: Path | None, work: Path) -> dict[str, Any]:
    if template is None:  # warm: the revision's own lake, filled by an untimed first run
        lake = work / f"lake-{tree.name}"
        if not lake.is_dir():
            timed_command(tree, [*argv, "--lake", str(lake)], work)
        return timed_command(tree, [*argv, "--lake", str(lake)], work)
    lake = work / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(template, lake)
    try:
        return timed_command(tree, [*argv, "--lake", str(lake)], work)
    finally:
        shutil.rmtree(lake, ignore_errors=True)


def table(results: dict[str, Any]) -> str:
    runs = results["runs"]
    labels = list(runs)
    lines = [f"`{results['command']}` (medians of {results['repeats']})", "",
             "| step | " + " | ".join(labels) + " |", "| --- |" + " ---: |" * len(labels),
             "| **from process start** | " + " | ".join(
                 f"**{_cell(_median([r['seconds'] for r in runs[label]]))}**" for label in labels) + " |"]
    steps = list(dict.fromkeys(s for label in labels for r in runs[label] for s in r["steps"]))
    for step in steps:
        lines.append(f"| {step} | " + " | ".join(
            _cell(_median([r["steps"].get(step, 0.0) for r in runs[label]])) for label in labels) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", required=True, help="comma-separated revisions, first the baseline")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--lake", type=Path, help="a lake copied afresh for every run")
    source.add_argument("--warm", action="store_true", help="each revision's own lake, kept between runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the influence command, without --lake")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the influence command after --")
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-ab-"))
    work.mkdir(parents=True, exist_ok=True)
    trees = {revision: worktree(revision, work) for revision in args.revisions.split(",")}
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.ab", *(argv if argv is not None else sys.argv[1:])]),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
        "repeats": args.repeats, "runs": {revision: [] for revision in trees}}
    try:
        for number in range(args.repeats):
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for revision in order:
                run = one_run(trees[revision], command, args.lake, work)
                results["runs"][revision].append(run)
                print(f"round {number + 1}/{args.repeats} {revision}: {run['seconds']:.1f} s", flush=True)
                if args.out:
                    args.out.write_text(json.dumps(results, indent=1))
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPOSITORY, capture_output=True)
    print(table(results))


if __name__ == "__main__":
    main()
