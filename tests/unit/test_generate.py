import hashlib
from datetime import date, datetime, timezone

import numpy as np

from influence.generate import generate, write_export


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_arguments_same_bytes_other_seed_other_bytes(tmp_path):
    first = write_export(tmp_path / "a", users=300, days=20, end=date(2026, 1, 31), seed=1)
    again = write_export(tmp_path / "b", users=300, days=20, end=date(2026, 1, 31), seed=1)
    other = write_export(tmp_path / "c", users=300, days=20, end=date(2026, 1, 31), seed=2)
    assert _sha(first) == _sha(again)
    assert _sha(first) != _sha(other)


def test_lines_are_snap_shaped_inside_the_date_range_and_never_self_engagement(tmp_path):
    path = write_export(tmp_path, users=200, days=10, end=date(2026, 3, 10), seed=5)
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
