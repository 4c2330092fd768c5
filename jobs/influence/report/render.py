"""One date's report as one self-contained HTML page (pure: data in, text out).

Everything is inline (styles, charts as SVG, a few lines of script for sorting and
filtering), so the file opens with no network and can be mailed or attached as it is.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from influence.report import model, svg

SECTIONS = ("summary", "shortlist", "centers", "impressions", "roles", "plan", "illusion", "authenticity", "changes")
NETWORK_SIZE = 15


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def environment() -> Environment:
    """The report's templates, everything escaped."""
    return Environment(loader=PackageLoader("influence.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render(data: model.ReportData) -> str:
    summary: dict[str, Any] = data.summary
    illusions = [{**t, "contributors": list(zip(t["contributors"], t["contributor_counts"]))}
                 for t in summary.get("majority_illusion") or []]
    plan = model.plan_view(data)
    members, matrix = model.overlap_matrix(data)
    page = environment().get_template("report.html.j2").render(
        version=version("influence"), as_of=data.as_of, summary=summary,
        shortlist=model.list_rows(data, "shortlist"), coi_core=model.list_rows(data, "coi_core"),
        coi_potential=model.list_rows(data, "coi_potential"),
        lorenz_svg=Markup(svg.lorenz(list(summary.get("impressions_lorenz") or []),
                                     summary.get("impressions_top_share_80"))),
        scatter_svg=Markup(svg.scatter(model.scatter_points(data))),
        network_svg=Markup(svg.network(model.network(data, top=NETWORK_SIZE))), network_size=NETWORK_SIZE,
        colours=svg.SIDE_COLOURS, illusions=illusions, changes=model.changes(data), plan=plan,
        reach_svg=Markup(svg.reach_curve(plan)), overlap_svg=Markup(svg.heatmap(members, matrix)),
        overlap_members=len(members), authenticity=model.authenticity_view(data),
        pct=_percent, num=_number,
    )
    return page
