"""influence_score: build the window's graph, compute the metrics, audit, publish.

Scheduled nightly (a run for the day D starts after D ends and scores D) and whenever the
``bronze/interactions`` Asset updates (a run then scores the latest event date). The
``score`` task is one Spark application that builds ``silver/edges``, computes the graph
metrics, audits every candidate gold row with Great Expectations and only then publishes:
a failed audit publishes nothing and keeps the validation result under ``<lake>/_audits/``.
Rerunning a date replaces its rows, so runs, reruns and backfills give the same rows:

    airflow backfill create --dag-id influence_score --from-date 2026-06-01 --to-date 2026-06-30 \\
        --max-active-runs 1
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import AssetOrTimeSchedule, CronDataIntervalTimetable, dag, get_current_context, task

from influence.submit import BRONZE_INTERACTIONS, InfluenceSubmitOperator


@dag(
    dag_id="influence_score",
    schedule=AssetOrTimeSchedule(timetable=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
                                 assets=BRONZE_INTERACTIONS),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    # Dates in order: lists and rank changes build on the previous scored date.
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["influence"],
    doc_md=__doc__,
)
def influence_score():
    @task
    def as_of() -> str:
        from influence.orchestration import as_of_for

        context = get_current_context()
        return as_of_for(context["dag_run"].run_type, context.get("data_interval_start"))

    date = as_of()
    score = InfluenceSubmitOperator(
        task_id="score",
        command="score",
        arguments=["--lake", "{lake}", "--as-of", "{{ ti.xcom_pull(task_ids='as_of') }}"],
    )

    @task
    def published(scored: str) -> dict:
        from influence.orchestration import check_scored

        return check_scored(scored)

    date >> score >> published(date)


influence_score()
