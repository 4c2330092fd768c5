import csv
import hashlib
import json
from datetime import date, datetime, timezone

import numpy as np
import pytest

import pandas as pd

from influence.generate import generate, parse_inject, truth_path, write_export


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


# sha256 of the exports as the generator wrote them before injection existed (users=300,
# days=20, end 2026-01-31, seed 1): without inject, not one byte may change.
BEFORE_INJECTION = {
    "jsonl": "6fd6b74af6b132a6b69e73cd897ac2704726ec9347b800563e8464fd73d8cfee",
    "csv": "8814cfb4dc84e4ea97bf9c763424ad554b85d874dd8214fa7add7c3e300be840",
    "snap": "cdd6dfc3fcb748d25bdca5a8bb05ba214544d77ce1ca8d342e1f34d641266f99",
}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "snap"])
def test_without_inject_the_bytes_are_those_of_before(tmp_path, fmt):
    path = write_export(tmp_path, users=300, days=20, end=date(2026, 1, 31), seed=1, fmt=fmt)
    assert _sha(path) == BEFORE_INJECTION[fmt]
    assert not list(tmp_path.glob("*.truth.csv"))


def test_injected_abuse_is_deterministic_and_follows_its_own_seed(tmp_path):
    kwargs = dict(users=400, days=15, end=date(2026, 2, 15), seed=3, fmt="snap", inject="pods,rings,bursts")
    first = write_export(tmp_path / "a", **kwargs)
    again = write_export(tmp_path / "b", **kwargs)
    other = write_export(tmp_path / "c", inject_seed=99, **kwargs)
    assert _sha(first) == _sha(again) and _sha(first) != _sha(other)
    assert _sha(truth_path(first)) == _sha(truth_path(again)) != _sha(truth_path(other))
    # The organic rows are the export without injection, in the same order.
    plain = write_export(tmp_path / "d", **{**kwargs, "inject": ()}).read_text().splitlines()
    organic = set(plain)
    assert [line for line in first.read_text().splitlines() if line in organic] == plain


def test_unknown_abuse_kinds_are_a_clear_error():
    with pytest.raises(ValueError, match="unknown abuse kind.*bogus.*pods, rings, bursts"):
        generate(users=100, days=5, inject="pods,bogus")
    assert parse_inject(" bursts,pods ,") == ("pods", "bursts")


def _truth(export):
    frame = pd.DataFrame(list(export.truth), columns=["account", "group", "kind"])
    return frame, {g: rows["account"].to_numpy() for g, rows in frame[frame["kind"] != "target"].groupby("group")}


def test_injected_groups_have_the_stated_sizes_and_shapes():
    export = generate(users=8000, days=30, seed=5, inject="pods,rings,bursts")
    truth, members = _truth(export)
    organic = 8000
    assert (truth.loc[truth["kind"] != "target", "account"] >= organic).all()  # new accounts only
    assert (truth.loc[truth["kind"] == "target", "account"] < organic).all()   # lifting real ones
    assert truth.groupby("kind")["group"].nunique().to_dict() == {"burst": 2, "pod": 2, "ring": 2, "target": 2}
    rows = pd.DataFrame({"actor": export.actor, "target": export.target, "seconds": export.seconds})
    start = datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp()
    assert rows["seconds"].between(start, start + 30 * 86_400 - 1).all()
    for group, accounts in members.items():
        mine = rows[rows["actor"].isin(accounts)]
        inside = mine["target"].isin(accounts)
        pairs = set(zip(mine.loc[inside, "actor"], mine.loc[inside, "target"]))
        if group.startswith("pod"):
            assert 10 <= len(accounts) <= 30
            assert len(pairs) >= 0.9 * len(accounts) * (len(accounts) - 1)  # nearly everyone engages everyone
            assert 0.2 < 1 - inside.mean() < 0.4  # about 30% camouflage, on real accounts
            assert mine.loc[~inside, "target"].lt(organic).all()
        elif group.startswith("ring"):
            assert 5 <= len(accounts) <= 15
            assert len(pairs) == len(accounts) * (len(accounts) - 1)  # every tie reciprocal
        else:
            assert 50 <= len(accounts) <= 200
            lifted = truth.loc[(truth["group"] == group) & (truth["kind"] == "target"), "account"].item()
            burst = mine[mine["target"] == lifted]
            assert burst["actor"].nunique() == len(accounts)
            assert burst["seconds"].max() - burst["seconds"].min() < 3_600
            assert len(mine) - len(burst) < 0.5 * len(accounts)  # almost no other history
            assert not rows["target"].isin(accounts).any()  # nobody engages them


def test_groups_scale_with_the_export_and_other_kinds_do_not_change_a_kind_s_rows():
    def ring_rows(export):
        _, members = _truth(export)
        mine = np.isin(export.actor, members["ring1"])
        return sorted(zip(export.seconds[mine].tolist(), export.kind[mine].tolist()))

    small = generate(users=1000, days=10, seed=2, inject="rings")
    both = generate(users=1000, days=10, seed=2, inject="rings,bursts")
    assert {g for _, g, _ in small.truth} == {"ring1"}
    assert {g for _, g, _ in both.truth} == {"ring1", "burst1"}
    assert ring_rows(small) == ring_rows(both)
    assert len({g for _, g, _ in generate(users=12_000, days=2, seed=2, inject="rings").truth}) == 3


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "snap"])
def test_the_truth_file_names_accounts_as_every_format_writes_them(tmp_path, fmt):
    path = write_export(tmp_path, users=300, days=10, end=date(2026, 3, 10), seed=4, fmt=fmt, inject="pods,bursts")
    truth = list(csv.DictReader(truth_path(path).open()))
    assert truth and set(truth[0]) == {"account", "group", "kind"}
    if fmt == "snap":
        accounts = {field for line in path.read_text().splitlines() for field in line.split(" ")[:2]}
    elif fmt == "csv":
        accounts = {row[key] for row in csv.DictReader(path.open()) for key in ("actor_id", "target_id")}
    else:
        accounts = {json.loads(line)["author"]["id"] for line in path.read_text().splitlines()}
    members = {row["account"] for row in truth if row["kind"] != "target"}
    assert members <= accounts
    organic = {f"u{i:03d}" for i in range(1, 301)}
    assert not members & organic and {row["account"] for row in truth if row["kind"] == "target"} <= organic


def test_the_command_injects_on_request_and_names_a_wrong_kind(tmp_path):
    from typer.testing import CliRunner

    from influence.cli import app

    bad = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--inject", "pods,bots"])
    assert bad.exit_code == 2 and "unknown abuse kind(s) bots" in bad.output
    assert not list(tmp_path.iterdir())
    done = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--users", "200", "--days", "5",
                                    "--format", "csv", "--inject", "rings", "--inject-seed", "3", "--json"])
    assert done.exit_code == 0, done.output
    figures = json.loads(done.output)
    assert figures["path"].endswith("-rings-i3.csv") and figures["truth"].endswith("-rings-i3.truth.csv")
    assert {row["kind"] for row in csv.DictReader(open(figures["truth"]))} == {"ring"}
