"""Run an ``influence`` command as a Spark application from Airflow.

``InfluenceSubmitOperator`` is the Apache Spark provider's ``SparkSubmitOperator`` with the
application set to this package's command line (``influence/launcher/influence_app.py``), the lake from
the config, and the JVM options and Delta JARs the command needs at launch. The Spark
master comes from the Airflow connection ``influence_spark`` (``spark://host:7077``,
``yarn``, ``k8s://...``); when that connection is not defined, the job runs in
``local[*]`` inside the worker.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Asset

SPARK_CONN_ID = "influence_spark"
# Updated by influence_ingest when new interactions land; schedules influence_score.
BRONZE_INTERACTIONS = Asset(name="bronze/interactions", uri="influence://lake/bronze/interactions", group="influence")
LOCAL_MASTER = "local[*]"
APPLICATION = str(Path(__file__).with_name("launcher") / "influence_app.py")

log = logging.getLogger(__name__)


def ensure_spark_connection(conn_id: str = SPARK_CONN_ID) -> None:
    """Define ``conn_id`` as ``local[*]`` for this process when Airflow knows no such connection."""
    from airflow.sdk import BaseHook

    try:
        BaseHook.get_connection(conn_id)
    except Exception:  # Airflow's not-found error; its class moved between versions
        log.info("connection %s is not defined: running Spark in %s", conn_id, LOCAL_MASTER)
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = f'{{"conn_type": "spark", "host": "{LOCAL_MASTER}"}}'


class InfluenceSubmitOperator(SparkSubmitOperator):
    """``influence COMMAND ARGUMENTS...`` through spark-submit.

    ``{lake}`` and ``{landing}`` in the arguments become the config's ``orchestration.lake``
    and ``pull.landing`` when the task runs (Jinja templates are rendered before that).
    """

    template_fields: Sequence[str] = (*SparkSubmitOperator.template_fields, "arguments")

    def __init__(self, *, command: str, arguments: Sequence[str] = (), conn_id: str = SPARK_CONN_ID,
                 **kwargs: Any) -> None:
        kwargs.setdefault("name", f"influence-{command}")
        super().__init__(application=APPLICATION, conn_id=conn_id, **kwargs)
        self.command = command
        self.arguments = list(arguments)

    def execute(self, context: Any) -> None:
        self.prepare()
        return super().execute(context)

    def prepare(self) -> None:
        """Fill in the command, the launch options and the environment from the config."""
        from influence.config import load_config
        from influence.spark import launch_conf

        settings = load_config()
        ensure_spark_connection(self._conn_id)
        places = {"lake": str(settings.orchestration.lake.expanduser()),
                  "landing": str(settings.pull.landing.expanduser())}
        self.application_args = [self.command, *(a.format(**places) for a in self.arguments)]
        self.conf = {**launch_conf(settings), **(self.conf or {})}
        # The driver runs here (client mode): the worker's interpreter has the project installed.
        self.conf.setdefault("spark.pyspark.driver.python", sys.executable)
        self.env_vars = {"PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable), **(self.env_vars or {})}
