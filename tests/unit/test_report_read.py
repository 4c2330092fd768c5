"""The report's reader on tiny lakes written with delta-rs: one written before engagement
authenticity (no anomalies table, no authenticity columns) and one with a flagged group."""

from datetime import date, datetime, timezone

import pandas as pd
import pyarrow as pa
from deltalake import write_deltalake

from influence import tables
from influence.pipelines import report
from influence.report import model

AS_OF = date(2026, 6, 30)


def _write(lake, name, rows):
    write_deltalake(str(lake / name), pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False),
                    partition_by=["as_of_date"])


def _older_lake(lake):
    _write(lake, tables.NETWORK_SUMMARY, [{"as_of_date": AS_OF, "users": 2}])
    _write(lake, tables.SCORES, [
        {"as_of_date": AS_OF, "user_id": u, "rank": r, "rank_change": None, "influence_score": 100.0 - r,
         "pagerank": 0.5, "betweenness": 0.0, "harmonic": 0.5, "community_id": "c1", "explanation": "."}
        for u, r in (("a", 1), ("b", 2))])
    _write(lake, tables.SEGMENTS, [{"as_of_date": AS_OF, "scope": "global", "segment": "shortlist", "user_id": "a",
                                    "rank": 1, "confidence": 1.0, "reason": "kept", "change": "kept"}])
    _write(lake, tables.EDGES, [{"as_of_date": AS_OF, "src": "b", "dst": "a"}])


def test_a_lake_written_before_authenticity_reads_as_not_assessed(tmp_path):
    _older_lake(tmp_path)
    data = report.read(tmp_path, AS_OF)
    assert data.anomalies.empty
    assert data.scores[list(report.AUTHENTICITY_COLUMNS)].isna().all().all()
    assert model.authenticity_view(data) == {"state": "not_assessed",
                                             "why": "this date was scored before the check existed"}


def test_the_flagged_groups_of_the_date_are_read_with_their_members(tmp_path):
    _older_lake(tmp_path)
    at = datetime(2026, 6, 29, 12, tzinfo=timezone.utc)
    group = {"group_id": "ring-1", "detector": "ring", "members": ["a", "b"], "targets": ["a", "b"], "density": 1.0,
             "synchrony": None, "interactions": 9, "window_start": at, "window_end": at, "score": 38.0,
             "reason": "a ring", "run_id": "r"}
    _write(tmp_path, tables.ANOMALIES, [{"as_of_date": AS_OF, **group},
                                        {"as_of_date": date(2026, 6, 29), **group, "group_id": "ring-2"}])
    rows = report.anomalies(tmp_path, AS_OF)
    assert rows["group_id"].tolist() == ["ring-1"]
    assert (rows["members"].iloc[0], rows["targets"].iloc[0]) == (["a", "b"], ["a", "b"])
