"""influence_ingest: pull new export files into the landing zone and ingest them into bronze.

Runs every 15 minutes (and when triggered). ``pull`` copies new files from the configured
sources (``pull.sources``) into the landing zone, whole or not at all; ``new_files`` looks
for landed files whose content is not in ``bronze/ingested_files`` yet (also after a
failed pull, so that one broken source does not hold back the others) and skips the rest
of the run when there are none; ``ingest`` ingests them on Spark and, on success, updates
the ``bronze/interactions`` Asset that schedules ``influence_score``. Every file is
ingested once however often this runs: ingestion skips content it has seen (sha256).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import TriggerRule, dag, task

from influence.submit import BRONZE_INTERACTIONS, InfluenceSubmitOperator


@dag(
    dag_id="influence_ingest",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True},
    tags=["influence"],
    doc_md=__doc__,
)
def influence_ingest():
    @task
    def pull() -> list[str]:
        from influence.orchestration import pull_sources

        return pull_sources()

    # Runs even when a source failed, so that what the other sources landed is ingested;
    # the run still fails (and alerts) on that source.
    @task.short_circuit(trigger_rule=TriggerRule.ALL_DONE)
    def new_files() -> list[str]:
        from influence.orchestration import pending_files

        return pending_files()

    ingest = InfluenceSubmitOperator(
        task_id="ingest",
        command="ingest",
        arguments=["--lake", "{lake}", "--landing", "{landing}"],
        outlets=[BRONZE_INTERACTIONS],
    )
    pull() >> new_files() >> ingest


influence_ingest()
