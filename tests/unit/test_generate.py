import csv
import hashlib
import json
from datetime import date, datetime, timezone

import numpy as np
import pytest

from influence.generate import generate, write_export


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "snap"])
def test_same_arguments_same_bytes_other_seed_other_bytes(tmp_path, fmt):
    first = write_export(tmp_path / "a", users=300, days=20, end=date(2026, 1, 31), seed=1, fmt=fmt)
    again = write_export(tmp_path / "b", users=300, days=20, end=date(2026, 1, 31), seed=1, fmt=fmt)
    other = write_export(tmp_path / "c", users=300, days=20, end=date(2026, 1, 31), seed=2, fmt=fmt)
    assert _sha(first) == _sha(again)
    assert _sha(first) != _sha(other)


def test_every_format_carries_the_same_interactions(tmp_path):
    kwargs = dict(users=200, days=10, end=date(2026, 3, 10), seed=5)
    snap = [line.split(" ") for line in write_export(tmp_path, fmt="snap", **kwargs).read_text().splitlines()]
    rows = list(csv.DictReader(write_export(tmp_path, fmt="csv", **kwargs).open()))
    posts = [json.loads(line) for line in write_export(tmp_path, fmt="jsonl", **kwargs).read_text().splitlines()]
    assert len(snap) == len(rows) == len(posts) > 500
    for (actor, target, seconds, kind), row, post in zip(snap, rows, posts):
        assert (row["actor_id"], row["target_id"], row["interaction_type"]) == (actor, target, kind)
        assert post["author"]["id"] == actor and post["author"]["followers_count"] == int(row["audience_size"])
        assert datetime.fromisoformat(post["created_at"]).timestamp() == int(seconds)
        assert post["hashtags"] == (row["topics"].split("|") if row["topics"] else [])
    assert any(post["hashtags"] for post in posts)


def test_lines_are_snap_shaped_inside_the_date_range_and_never_self_engagement(tmp_path):
    path = write_export(tmp_path, users=200, days=10, end=date(2026, 3, 10), seed=5, fmt="snap")
    start = datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()
    stop = datetime(2026, 3, 11, tzinfo=timezone.utc).timestamp()
    for line in path.read_text().splitlines():
        actor, target, seconds, kind = line.split(" ")
        assert actor != target
        assert start <= int(seconds) < stop
        assert kind in {"mention", "reply", "reshare", "quote", "comment", "like", "follow", "message"}


def test_activity_and_attention_are_heavy_tailed():
    export = generate(users=1000, days=30, seed=11)
    for counts in (np.bincount(export.actor), np.bincount(export.target)):
        top_tenth = np.sort(counts)[-100:].sum() / counts.sum()
        assert top_tenth > 0.4  # a uniform model would give about 0.1


def test_most_engagement_stays_inside_communities_but_not_all():
    export = generate(users=1000, days=30, seed=11)
    same = export.community[export.actor] == export.community[export.target]
    assert 0.5 < same.mean() < 0.98
