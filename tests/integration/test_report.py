"""`influence report` on the sample scored on two dates, looked at in a real browser
(Debian's Chromium through Playwright) the way a marketer sees it."""

import json
import os
import re
import shutil

import deltalake
import pytest
from typer.testing import CliRunner

from influence import tables
from influence.cli import app
from tests.conftest import SAMPLE_FIRST, SAMPLE_SECOND

CHROMIUM = shutil.which("chromium")
SECTIONS = ("summary", "shortlist", "centers", "impressions", "roles", "plan", "illusion", "authenticity", "changes")


@pytest.fixture(scope="module")
def report(two_date_lake, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", "--lake", str(two_date_lake), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


@pytest.fixture(scope="module")
def segments(two_date_lake):
    frame = deltalake.DeltaTable(str(two_date_lake / tables.SEGMENTS)).to_pandas()
    return frame[(frame.as_of_date == SAMPLE_SECOND) & (frame.scope == "global")]


@pytest.fixture(scope="module")
def page(report):
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing; `make test` installs it")
        pytest.skip("chromium not installed (make browser)")
    from playwright.sync_api import sync_playwright

    out, _ = report
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        # No network at all: the report must not need it.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        tab.on("request", lambda request: None if request.url.startswith(("file:", "data:")) else errors.append(
            f"request: {request.url}"))
        tab.goto(out.as_uri())
        tab.wait_for_function("document.body.dataset.ready === 'yes'")
        yield tab, errors
        browser.close()


def test_the_report_describes_the_latest_date_against_the_one_before(report):
    out, result = report
    assert result["path"] == str(out) and out.stat().st_size == result["bytes"]
    assert (result["as_of"], result["previous"]) == (str(SAMPLE_SECOND), str(SAMPLE_FIRST))
    assert 50_000 < result["bytes"] < 2_000_000


def test_the_file_is_self_contained(report):
    html = report[0].read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script src" not in html and "@import" not in html


def test_the_page_shows_every_section_without_script_errors(page, report, tmp_path):
    tab, errors = page
    for section in SECTIONS:
        assert tab.locator(f"#{section}").is_visible(), section
        assert tab.locator(f"#{section} h1, #{section} h2").first.inner_text().strip(), section
    assert tab.locator("#shortlist-table tbody tr").count() == 50
    assert tab.locator("#coi-core-table tbody tr").count() == 12
    assert tab.locator("#coi-potential-table tbody tr").count() == 100
    lorenz = tab.locator("#lorenz-chart polyline.lorenz").get_attribute("points")
    assert len(lorenz.split()) == 101
    assert tab.locator("#scatter-chart circle.point").count() == 986  # every user of the sample
    assert tab.locator("#network-chart circle.influencer").count() == 15
    assert tab.locator("#illusion-table tbody tr").count() >= 3  # the sample's three most used topics
    assert tab.locator("#changes-table tbody tr").count() == 9  # four lists and five roles
    assert "No campaign plan for this date" in tab.locator("#plan").inner_text()  # this lake has none
    # The sample has no pod, burst or ring: the section says so, with the summary's figures.
    authenticity = tab.locator("#authenticity")
    assert "No group flagged" in authenticity.inner_text()
    assert authenticity.locator("table").count() == 0
    assert authenticity.locator(".card").all_inner_texts()[:2] == ["0\ngroups flagged", "0\nflagged accounts"]
    screenshot = tab.screenshot(full_page=True)
    (tmp_path / "report.png").write_bytes(screenshot)
    if target := os.environ.get("REPORT_SCREENSHOT"):  # docs/img/report.jpg is made this way
        jpeg = target.endswith(".jpg")
        tab.screenshot(full_page=True, path=target, type="jpeg" if jpeg else "png", quality=60 if jpeg else None)
    assert len(screenshot) > 100_000  # a page of text and charts, not a blank one
    assert errors == []


def test_the_shortlist_is_the_published_one_and_filters_by_side(page, segments):
    tab, errors = page
    shortlist = segments[(segments.segment == "shortlist") & (segments.change != "exited")].sort_values("rank")
    shown = tab.locator("#shortlist-table tbody tr td:nth-child(2)").all_inner_texts()
    assert shown == list(shortlist.user_id)
    tab.get_by_role("button", name="conversion side").click()
    visible = tab.locator("#shortlist-table tbody tr:visible")
    assert visible.count() == 25
    assert set(visible.locator("td:nth-child(3)").all_inner_texts()) == {"conversion"}
    tab.get_by_role("button", name="all").click()
    assert tab.locator("#shortlist-table tbody tr:visible").count() == 50
    assert errors == []


def test_sorting_a_list_by_a_column(page):
    tab, errors = page
    table = tab.locator("#coi-core-table")
    table.locator("th", has_text="community").click()
    communities = table.locator("tbody tr td:nth-child(6)").all_inner_texts()
    assert communities == sorted(communities)
    table.locator("th", has_text="#").click()
    table.locator("th", has_text="#").click()  # ascending, then descending
    ranks = [int(r) for r in table.locator("tbody tr td:nth-child(1)").all_inner_texts()]
    assert ranks == list(range(12, 0, -1))
    assert errors == []


def test_what_changed_lists_the_published_entries_and_exits(page, segments):
    tab, _ = page
    rows = {cells[0]: cells for cells in (
        row.locator("td").all_inner_texts() for row in tab.locator("#changes-table tbody tr").all())}
    for segment, group in segments.groupby("segment"):
        kept, entered, exited = rows[segment][1:4]
        assert int(kept) == (group.change == "kept").sum(), segment
        assert sorted(filter(None, entered.split(", "))) == sorted(group.user_id[group.change == "entered"])
        for user in group.user_id[group.change == "exited"]:
            assert user in exited, segment


@pytest.mark.parametrize("args, message", [
    (["--lake", "{tmp}/nowhere"], "error: no lake at"),
    (["--as-of", "2026-06-20"], "error: 2026-06-20 has not been scored"),
    (["--out", "{tmp}"], "is a folder: give a file name"),
    (["--out", "{tmp}/missing/report.html"], "does not exist"),
])
def test_report_errors_are_one_clear_line(two_date_lake, tmp_path, args, message):
    base = {"--lake": str(two_date_lake), "--out": str(tmp_path / "r.html")}
    given = dict(zip(args[::2], (a.format(tmp=tmp_path) for a in args[1::2])))
    argv = ["report", *[x for k, v in {**base, **given}.items() for x in (k, v)]]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 1
    assert message in result.output.strip().splitlines()[-1]
