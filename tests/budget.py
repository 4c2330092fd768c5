"""The suite's time budget, printed at the end of every run so that a slow new test shows at once.

Prints the whole run's wall time against the budget (tests/README.md), the time per module
and the ten slowest tests (setup, call and teardown together: a module-scoped fixture's
cost lands on the first test that needs it), and how many JVMs the run started, counted
from /proc: Spark drivers (the session's, ``influence`` subprocesses, spark-submit under
Airflow) and a standalone cluster's masters, workers and executors.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

BUDGET_SECONDS = 25 * 60
SLOWEST = 10
# The main class of each kind of JVM, as it appears on the java command line.
JVM_KINDS = {
    "org.apache.spark.deploy.SparkSubmit": "spark driver",
    "org.apache.spark.deploy.master.Master": "standalone master",
    "org.apache.spark.deploy.worker.Worker": "standalone worker",
    "org.apache.spark.executor.CoarseGrainedExecutorBackend": "executor",
}
# spark-class runs this first, only to print the real command line.
LAUNCHER = "org.apache.spark.launcher.Main"


class JvmCounter(threading.Thread):
    """Samples /proc for new java processes; every JVM lives for seconds, far longer than a sample."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(daemon=True, name="jvm-counter")
        self.interval = interval
        self.seen: dict[int, str] = {}
        self.root = os.getpid()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) in self.seen:
                    continue
                try:
                    args = (entry / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if not args or not args[0].endswith(b"java") or LAUNCHER.encode() in args:
                    continue
                kind = next((k for main, k in JVM_KINDS.items() if main.encode() in args), "other java")
                if self.seen.get(_parent(entry)) == kind:
                    continue  # a JVM's child between fork and exec (Hadoop runs shell commands so)
                if not _descends_from(entry, self.root):
                    continue  # another run's JVM on the same machine
                self.seen[int(entry.name)] = kind

    def stop(self) -> Counter:
        self._done.set()
        return Counter(self.seen.values())


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _descends_from(entry: Path, root: int) -> bool:
    pid = _parent(entry)
    while pid and pid != root:
        pid = _parent(Path("/proc") / str(pid))
    return pid == root


class Budget:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.per_test: dict[str, float] = defaultdict(float)
        self.jvms = JvmCounter()
        if Path("/proc/self/cmdline").exists():
            self.jvms.start()

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.per_test[report.nodeid] += report.duration

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        wall = time.monotonic() - self.started
        jvms = self.jvms.stop()
        write = terminalreporter.write_line
        terminalreporter.section("time budget")
        per_module: dict[str, float] = defaultdict(float)
        for nodeid, seconds in self.per_test.items():
            per_module[nodeid.split("::")[0]] += seconds
        write("seconds  module")
        for module, seconds in sorted(per_module.items(), key=lambda item: -item[1]):
            write(f"{seconds:7.1f}  {module}")
        write(f"the {SLOWEST} slowest tests (setup + call + teardown):")
        for nodeid, seconds in sorted(self.per_test.items(), key=lambda item: -item[1])[:SLOWEST]:
            write(f"{seconds:7.1f}  {nodeid}")
        if jvms:
            write("JVMs started (sampled, approximate): " + ", ".join(f"{n} {kind}" for kind, n in sorted(jvms.items())))
        verdict = "within" if wall <= BUDGET_SECONDS else "OVER"
        write(f"suite wall time {wall:.0f} s, {verdict} the budget of {BUDGET_SECONDS} s "
              f"({len(self.per_test)} tests; see tests/README.md)")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Budget(), "influence-budget")
