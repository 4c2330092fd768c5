"""How the suite starts ``influence`` in a process of its own, where the process is what is
tested (a SIGKILL, two commands at once, the JVM's own log lines)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from influence.spark import QUICK_JIT

SCRIPT = Path(sys.executable).with_name("influence")

# A JVM that lives a minute on a few hundred rows spends much of its CPU compiling: C2's JIT
# and Janino's generated code. The tuning docs/operations.md gives for short runs: C1 only,
# and interpreted expressions as in the suite's session (a cold score 56 s -> 39 s, python -m bench.cold_start).
# The cluster run keeps compiled expressions (only its JIT is C1), so compiled rows are
# still compared with the session's. Adaptive execution is left to the command: the short
# tuning turns it off for small inputs, under spark-submit too (a runtime setting).
SHORT_RUN_CONF = {"spark.driver.extraJavaOptions": QUICK_JIT, "spark.sql.codegen.factoryMode": "NO_CODEGEN"}


def command_env(**extra: str) -> dict[str, str]:
    """This process's environment, with the short-run tuning and ``extra`` on top."""
    conf = yaml.safe_dump(SHORT_RUN_CONF, default_flow_style=True).strip()
    return {**os.environ, "INFLUENCE_SPARK__CONF": conf, **extra}
