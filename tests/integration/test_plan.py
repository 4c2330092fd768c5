"""influence plan on the scored sample: what it publishes, against audiences counted by hand."""

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from influence import tables
from influence.cli import app
from tests.conftest import SAMPLE_SECOND

pytestmark = pytest.mark.slow  # see tests/README.md: ten plans and a report; not in `make test-fast`


@pytest.fixture(scope="module")
def lake(two_date_lake, tmp_path_factory) -> Path:
    """A copy of the two-date lake that this module's plans write to."""
    copy = tmp_path_factory.mktemp("plans") / "lake"
    shutil.copytree(two_date_lake, copy)
    return copy


@pytest.fixture(scope="module")
def fans(spark, lake) -> dict[str, set[str]]:
    """Who engaged each user on the second date, from silver/edges."""
    edges = spark.read.format("delta").load(str(lake / tables.EDGES)).where(
        f"as_of_date = '{SAMPLE_SECOND}'").select("src", "dst").toPandas()
    return edges.groupby("dst")["src"].agg(set).to_dict()


def _two_hops(fans: dict[str, set[str]], user: str) -> set[str]:
    first = fans.get(user, set())
    return (first | set().union(*(fans.get(u, set()) for u in first))) - {user}


def _plan(*args: str) -> dict:
    result = CliRunner().invoke(app, ["plan", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


def _rows(spark, lake: Path, name: str, plan_id: str | None = None) -> pd.DataFrame:
    rows = spark.read.format("delta").load(str(lake / name)).toPandas()
    return rows[rows.plan_id == plan_id].sort_values("pick_order") if plan_id else rows


def _union(audiences, users) -> int:
    return len(set().union(*(audiences(u) for u in users)))


@pytest.mark.parametrize("hops", [1, 2])
def test_a_plan_reaches_what_its_picks_reach_by_hand_and_at_least_the_top_k(spark, lake, fans, hops):
    report = _plan("--lake", str(lake), "--k", "6", "--reach", str(hops))
    audience = (lambda u: fans.get(u, set())) if hops == 1 else (lambda u: _two_hops(fans, u))
    rows = _rows(spark, lake, tables.CAMPAIGN_PLANS, report["plan_id"])
    assert rows.pick_order.tolist() == list(range(1, 7)) and (rows.sizing == "exact").all()
    picks = rows.user_id.tolist()
    assert rows.cumulative_reach.tolist() == [_union(audience, picks[:i]) for i in range(1, 7)]
    assert rows.audience.tolist() == [len(audience(u)) for u in picks]
    assert rows.marginal_reach.cumsum().tolist() == rows.cumulative_reach.tolist()
    reach = report["method_reach"]
    assert report["method"] == "greedy" and reach["greedy"] >= max(reach["top_score"], reach["top_pagerank"])
    assert report["reach"] <= report["optimum_upper_bound"] <= report["reach"] / (1 - 1 / 2.718281828)
    # The top 6 by score, counted by hand, is what the plan says it reaches.
    scores = spark.read.format("delta").load(str(lake / tables.SCORES)).where(
        f"as_of_date = '{SAMPLE_SECOND}'").toPandas().sort_values("rank")
    assert reach["top_score"] == _union(audience, scores.user_id[:6])


def test_a_rerun_replaces_its_plan_and_other_parameters_add_another(spark, lake):
    first = _plan("--lake", str(lake), "--k", "4")
    again = _plan("--lake", str(lake), "--k", "4")
    other = _plan("--lake", str(lake), "--k", "3", "--exclude", first["picks"][0]["user_id"])
    assert again["plan_id"] == first["plan_id"] != other["plan_id"]
    rows = _rows(spark, lake, tables.CAMPAIGN_PLANS)
    assert len(rows[rows.plan_id == first["plan_id"]]) == 4 and set(rows.run_id[rows.plan_id == first["plan_id"]]) == {
        again["run_id"]}
    assert first["picks"][0]["user_id"] not in rows[rows.plan_id == other["plan_id"]].user_id.tolist()


def test_the_shortlists_overlap_is_counted_pair_by_pair(spark, lake, fans):
    _plan("--lake", str(lake), "--k", "2")
    segments = spark.read.format("delta").load(str(lake / tables.SEGMENTS)).where(
        f"as_of_date = '{SAMPLE_SECOND}' AND scope = 'global' AND segment = 'shortlist' AND change != 'exited'"
    ).toPandas()
    overlap = _rows(spark, lake, tables.AUDIENCE_OVERLAP).query("reach_hops == 1")
    members = sorted(segments.user_id)
    assert len(overlap) == len(members) * (len(members) - 1) // 2
    for row in overlap.itertuples():
        a, b = fans.get(row.user_a, set()), fans.get(row.user_b, set())
        assert row.user_a < row.user_b and row.shared == len(a & b) and row.audience_a == len(a)
        assert row.jaccard == pytest.approx(len(a & b) / len(a | b) if a | b else 0.0)
        assert pd.isna(row.shared_error)


@pytest.mark.parametrize("hops, precision", [(1, ""), (2, ""), (1, ", sketch_lg_k: 6, delta: 0.01")],
                         ids=["1-hop", "2-hops", "1-hop-coarse"])
def test_sketched_reach_lies_within_its_bound_of_the_exact(spark, lake, fans, tmp_path, hops, precision):
    # The coarse sketch (64 buckets) estimates where the default one still counts nearly exactly.
    config = tmp_path / "sketch.yaml"
    config.write_text(f"plan: {{sizing: sketch{precision}}}\n")
    report = _plan("--lake", str(lake), "--k", "5", "--reach", str(hops), "--config", str(config))
    assert report["sizing"] == "sketch" and "sketches' error" in report["guarantee"]
    audience = (lambda u: fans.get(u, set())) if hops == 1 else (lambda u: _two_hops(fans, u))
    rows = _rows(spark, lake, tables.CAMPAIGN_PLANS, report["plan_id"])
    picks = rows.user_id.tolist()
    for i, row in enumerate(rows.itertuples(), start=1):
        exact = _union(audience, picks[:i])
        assert 0 < row.reach_error and abs(row.cumulative_reach - exact) <= row.reach_error, (i, exact, row)


def test_a_budgeted_plan_spends_at_most_the_budget_on_listed_influencers(spark, lake, fans, tmp_path):
    listed = sorted(fans, key=lambda u: (-len(fans[u]), u))[:40]
    costs = tmp_path / "costs.csv"
    costs.write_text("user_id,cost\n" + "".join(f"{u},{5 + 3 * (i % 4)}\n" for i, u in enumerate(listed)))
    report = _plan("--lake", str(lake), "--costs", str(costs), "--budget", "30", "--require", listed[5])
    rows = _rows(spark, lake, tables.CAMPAIGN_PLANS, report["plan_id"])
    assert rows.user_id.iloc[0] == listed[5] and rows.required.tolist() == [True] + [False] * (len(rows) - 1)
    assert set(rows.user_id) <= set(listed) and rows.cost.sum() <= 30 and len(rows) >= 3
    assert rows.reach_per_cost.tolist() == pytest.approx((rows.marginal_reach / rows.cost).tolist())
    assert "Khuller" in report["guarantee"]
    people = spark.read.format("delta").load(str(lake / tables.SCORES)).where(
        f"as_of_date = '{SAMPLE_SECOND}'").count()
    assert report["optimum_upper_bound"] == pytest.approx(
        min(report["method_reach"]["greedy"] / (1 - math.exp(-0.5)), people))
    # An explicit k that stops the plan before the budget does: no ratio claimed.
    capped = _plan("--lake", str(lake), "--k", "2", "--costs", str(costs), "--budget", "30")
    assert len(capped["picks"]) == 2 and "none proven" in capped["guarantee"]
    assert capped["optimum_upper_bound"] == people


@pytest.mark.parametrize("args, costs, message", [
    (["--k", "0"], None, "at least 1"),
    (["--require", "nobody-here"], None, "not in the graph"),
    (["--budget", "10"], None, "go together"),
    (["--budget", "10"], "user_id,cost\nu0001,\n", "missing cost"),
    (["--budget", "10"], "user_id,cost\nu0001,-3\n", ">= 0"),
    (["--budget", "1"], "user_id,cost\n{listed},5\n", "below every candidate's cost"),
    (["--scope", "planet:mars"], None, "--scope is"),
], ids=["k", "unknown-user", "budget-alone", "missing-cost", "negative-cost", "budget-too-small", "scope"])
def test_bad_requests_fail_clearly_and_write_nothing(two_date_lake, fans, tmp_path, args, costs, message):
    lake = tmp_path / "lake"
    for name in (tables.SCORES, tables.EDGES, tables.SEGMENTS, tables.NETWORK_SUMMARY):
        (lake / name).parent.mkdir(parents=True, exist_ok=True)
        (lake / name).symlink_to(two_date_lake / name, target_is_directory=True)
    if costs is not None:
        (tmp_path / "costs.csv").write_text(costs.format(listed=sorted(fans)[0]))
        args = [*args, "--costs", str(tmp_path / "costs.csv")]
    result = CliRunner().invoke(app, ["plan", "--lake", str(lake), *args])
    assert result.exit_code == 1 and message in result.output, result.output
    assert not (lake / tables.CAMPAIGN_PLANS).exists() and not (lake / tables.AUDIENCE_OVERLAP).exists()


def test_the_report_shows_the_latest_plan_and_the_shortlists_overlap(spark, lake, tmp_path):
    latest = _plan("--lake", str(lake), "--k", "7")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--lake", str(lake), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    section = html[html.index('<section id="plan">'):html.index('<section id="illusion">')]
    assert latest["plan_id"] in section and section.count("<tr><td class=\"num\">") == 7
    curve = re.search(r'<polyline class="reach" points="([^"]+)"', section).group(1).split()
    assert len(curve) == 8  # the origin and one point per pick
    overlap = _rows(spark, lake, tables.AUDIENCE_OVERLAP).query("reach_hops == 1")
    members = len(set(overlap.user_a) | set(overlap.user_b))
    assert section.count("<rect ") == members * members


def test_the_dashboard_query_of_the_planning_doc_reads_the_latest_plan(spark, lake):
    latest = _plan("--lake", str(lake), "--k", "3", "--reach", "2")
    doc = (Path(__file__).resolve().parents[2] / "docs" / "planning.md").read_text()
    (sql,) = re.findall(r"```sql\n(.*?)```", doc, flags=re.S)
    rows = spark.sql(sql.replace("./lake/", f"{lake}/")).collect()
    assert [r["user_id"] for r in rows] == [p["user_id"] for p in latest["picks"]]


def test_a_scope_limits_the_candidates_to_its_people(spark, lake):
    scores = spark.read.format("delta").load(str(lake / tables.SCORES)).where(
        f"as_of_date = '{SAMPLE_SECOND}'").toPandas()
    community = scores.community_id.value_counts().index[0]
    report = _plan("--lake", str(lake), "--k", "4", "--scope", f"community:{community}")
    members = set(scores.user_id[scores.community_id == community])
    assert report["candidates"] == len(members) and {p["user_id"] for p in report["picks"]} <= members
    posts = spark.read.format("delta").load(str(lake / tables.INTERACTIONS)).where(
        f"event_date BETWEEN date_sub('{SAMPLE_SECOND}', 89) AND '{SAMPLE_SECOND}'").toPandas()
    tagged = posts[posts.topics.map(lambda topics: "launch" in list(topics))]
    users = (set(tagged.actor_id) | set(tagged.target_id)) & set(scores.user_id)
    report = _plan("--lake", str(lake), "--k", "4", "--scope", "topic:launch")
    assert report["candidates"] == len(users) > 4 and {p["user_id"] for p in report["picks"]} <= users
