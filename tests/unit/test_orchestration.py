from datetime import datetime, timezone

from influence.orchestration import as_of_for


def test_a_dated_run_scores_the_day_its_interval_starts_and_new_data_the_latest_date():
    start = datetime(2026, 6, 30, tzinfo=timezone.utc)
    assert as_of_for("scheduled", start) == "2026-06-30"
    assert as_of_for("backfill", start) == "2026-06-30"
    assert as_of_for("manual", start) == "2026-06-30"
    assert as_of_for("asset_triggered", start) == "latest"
    assert as_of_for("manual", None) == "latest"
