"""influence_maintenance: OPTIMIZE and VACUUM every table of the lake, weekly.

VACUUM keeps what table versions of the last ``maintenance.retain_hours`` (default 168)
need; the command refuses anything below 7 days, and this DAG never forces it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag

from influence.submit import InfluenceSubmitOperator


@dag(
    dag_id="influence_maintenance",
    schedule="0 3 * * 0",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=30)},
    tags=["influence"],
    doc_md=__doc__,
)
def influence_maintenance():
    InfluenceSubmitOperator(task_id="maintain", command="maintain", arguments=["--lake", "{lake}"])


influence_maintenance()
