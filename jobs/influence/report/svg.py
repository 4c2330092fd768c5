"""The report's charts as inline SVG (pure: values in, markup out). Inline SVG needs no
plotting library and no network, and stays sharp when printed."""

from __future__ import annotations

import math
from html import escape
from typing import Any, Sequence

from influence.report.model import Network

WIDTH, HEIGHT, PAD = 560, 400, 48
SIDE_COLOURS = {"awareness": "#e07b00", "conversion": "#1f6fb2", "both": "#7b3fa0", "other": "#b0b0b0"}


def _frame(title: str, x_label: str, y_label: str, body: str, chart_id: str) -> str:
    return (
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title>{escape(title)}</title>'
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD / 2}" y2="{HEIGHT - PAD}"/>'
        f'<line class="axis" x1="{PAD}" y1="{PAD / 2}" x2="{PAD}" y2="{HEIGHT - PAD}"/>'
        f'<text class="label" x="{(WIDTH + PAD) / 2}" y="{HEIGHT - 10}" text-anchor="middle">{escape(x_label)}</text>'
        f'<text class="label" x="14" y="{HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {HEIGHT / 2})">{escape(y_label)}</text>{body}</svg>'
    )


def _x(share: float) -> float:
    return PAD + share * (WIDTH - 1.5 * PAD)


def _y(share: float) -> float:
    return HEIGHT - PAD - share * (HEIGHT - 1.5 * PAD)


def _ticks(values: Sequence[float], labels: Sequence[str], axis: str) -> str:
    marks = []
    for value, label in zip(values, labels):
        if axis == "x":
            marks.append(f'<text class="tick" x="{_x(value):.1f}" y="{HEIGHT - PAD + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
        else:
            marks.append(f'<text class="tick" x="{PAD - 6}" y="{_y(value) + 4:.1f}" '
                         f'text-anchor="end">{escape(label)}</text>')
    return "".join(marks)


def lorenz(points: Sequence[float], top_share_80: float | None) -> str:
    """The Lorenz curve of impressions (poorest users first), the line of equality, and
    where the top users that generate 80% of impressions begin."""
    shares = [i / 4 for i in range(5)]
    percent = [f"{s:.0%}" for s in shares]
    body = _ticks(shares, percent, "x") + _ticks(shares, percent, "y")
    body += f'<line class="equality" x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}"/>'
    if points:
        path = " ".join(f"{_x(i / (len(points) - 1)):.1f},{_y(v):.1f}" for i, v in enumerate(points))
        body += f'<polyline class="lorenz" points="{path}"/>'
    if top_share_80 is not None:
        start = 1 - top_share_80
        body += (f'<line class="cut" x1="{_x(start):.1f}" y1="{_y(0)}" x2="{_x(start):.1f}" y2="{_y(1)}"/>'
                 f'<line class="cut" x1="{_x(0)}" y1="{_y(0.2):.1f}" x2="{_x(1)}" y2="{_y(0.2):.1f}"/>'
                 f'<text class="note" x="{_x(start) - 6:.1f}" y="{_y(0.9):.1f}" text-anchor="end">'
                 f'the top {top_share_80:.1%} of users generate 80%</text>')
    return _frame("Lorenz curve of impressions", "share of users, fewest impressions first",
                  "share of impressions", body, "lorenz-chart")


def scatter(points: list[dict[str, Any]]) -> str:
    """Betweenness (log scale) against harmonic closeness, coloured by role."""
    if not points:
        return _frame("Awareness and conversion", "betweenness", "harmonic closeness", "", "scatter-chart")
    floor = min((p["betweenness"] for p in points if p["betweenness"] > 0), default=1e-6)
    low, high = math.log10(floor), math.log10(max(max(p["betweenness"] for p in points), floor * 10))
    # Harmonic closeness from the smallest value shown to the largest: the spread is what matters.
    low_h, high_h = min(p["harmonic"] for p in points), max(p["harmonic"] for p in points)
    span_h = max(high_h - low_h, 1e-12)

    def bx(value: float) -> float:
        return (math.log10(max(value, floor)) - low) / (high - low)

    decades = range(math.ceil(low), math.floor(high) + 1)
    body = _ticks([(d - low) / (high - low) for d in decades], [f"1e{d}" for d in decades], "x")
    body += _ticks([0, 0.5, 1], [f"{low_h + span_h * t:.3f}" for t in (0, 0.5, 1)], "y")
    # The best ranked last, so they are drawn on top.
    for p in sorted(points, key=lambda p: -p["rank"]):
        x, y = _x(bx(p["betweenness"])), _y((p["harmonic"] - low_h) / span_h)
        body += (f'<circle class="point {p["side"]}" cx="{x:.1f}" cy="{y:.1f}" r="{4 if p["label"] else 2.5}" '
                 f'fill="{SIDE_COLOURS[p["side"]]}"><title>{escape(p["user_id"])} (rank {p["rank"]}, '
                 f'{p["side"]})</title></circle>')
        if p["label"]:
            body += f'<text class="point-label" x="{x + 6:.1f}" y="{y - 4:.1f}">{escape(p["user_id"])}</text>'
    return _frame("Awareness (bridges, right) and conversion (close to their group, up)",
                  "betweenness (log scale; zero drawn at the smallest value)", "harmonic closeness", body,
                  "scatter-chart")


def network(net: Network) -> str:
    """Communities as circles (area by members), the top influencers between the
    communities their contacts belong to, a line per community reached."""
    size = 560
    where = {c["id"]: c for c in net.communities}
    heaviest = max((link["contacts"] for link in net.links), default=1)
    body = ""
    for p in net.influencers:
        for link in (link for link in net.links if link["user_id"] == p["user_id"]):
            c = where[link["community_id"]]
            body += (f'<line class="link" x1="{p["x"] * size:.1f}" y1="{p["y"] * size:.1f}" '
                     f'x2="{c["x"] * size:.1f}" y2="{c["y"] * size:.1f}" '
                     f'stroke-width="{0.5 + 3 * link["contacts"] / heaviest:.2f}"/>')
    for c in net.communities:
        body += (f'<circle class="community" cx="{c["x"] * size:.1f}" cy="{c["y"] * size:.1f}" '
                 f'r="{c["r"] * size:.1f}"><title>community {escape(c["id"])}: {c["members"]:,} members</title>'
                 f'</circle><text class="community-label" x="{c["x"] * size:.1f}" '
                 f'y="{(c["y"] + c["r"]) * size + 12:.1f}" text-anchor="middle">{escape(c["id"])} '
                 f'({c["members"]:,})</text>')
    for p in net.influencers:
        body += (f'<circle class="influencer" cx="{p["x"] * size:.1f}" cy="{p["y"] * size:.1f}" r="6" '
                 f'fill="{SIDE_COLOURS[p["side"]]}"><title>{escape(p["user_id"])}: rank {p["rank"]}, reaches '
                 f'{p["bridges"]} of these communities</title></circle>'
                 f'<text class="point-label" x="{p["x"] * size + 8:.1f}" y="{p["y"] * size + 4:.1f}">'
                 f'{p["rank"]}. {escape(p["user_id"])}</text>')
    return (f'<svg id="network-chart" class="chart" viewBox="0 0 {size} {size}" role="img" '
            f'aria-label="Top influencers and the communities they reach" xmlns="http://www.w3.org/2000/svg">'
            f'<title>Top influencers and the communities they reach</title>{body}</svg>')


_PLAN_NAMES = {"greedy": "the greedy plan", "top_score": "the top by score", "top_pagerank": "the top by PageRank"}


def reach_curve(plan: dict[str, Any] | None) -> str:
    """Distinct people reached against picks, with what the top k by score and by PageRank reach."""
    title = "Unique reach of the plan, pick by pick"
    if not plan:
        return _frame(title, "picks", "distinct people reached", "", "reach-chart")
    picks = plan["picks"]
    others = {m: v for m, v in plan["method_reach"].items() if m != plan["method"]}
    top = max([p["cumulative"] for p in picks] + list(others.values()) + [1.0])
    k = len(picks)
    xs = [i / k for i in range(k + 1)]
    body = _ticks(xs, [str(i) for i in range(k + 1)] if k <= 20 else [str(i) if i % 10 == 0 else "" for i in
                                                                        range(k + 1)], "x")
    body += _ticks([0, 0.5, 1], [f"{top * t:,.0f}" for t in (0, 0.5, 1)], "y")
    path = " ".join(f"{_x(x):.1f},{_y(v / top):.1f}" for x, v in zip(xs, [0.0] + [p["cumulative"] for p in picks]))
    body += f'<polyline class="reach" points="{path}"/>'
    for p, x in zip(picks, xs[1:]):
        body += (f'<circle class="pick" cx="{_x(x):.1f}" cy="{_y(p["cumulative"] / top):.1f}" r="3.5">'
                 f'<title>{p["order"]}. {escape(p["user_id"])}: adds {p["marginal"]:,.0f}, '
                 f'{p["cumulative"]:,.0f} reached, {p["overlap_share"]:.0%} of its audience already reached'
                 f'</title></circle>')
    for i, (method, value) in enumerate(sorted(others.items())):
        body += (f'<line class="cut" x1="{_x(0)}" y1="{_y(value / top):.1f}" x2="{_x(1)}" y2="{_y(value / top):.1f}"/>'
                 f'<text class="note" x="{_x(1) - 10:.1f}" y="{_y(value / top) + (14 if i else -5):.1f}" '
                 f'text-anchor="end">{_PLAN_NAMES[method]}: {value:,.0f}</text>')
    return _frame(title, "picks", "distinct people reached", body, "reach-chart")


def heatmap(members: list[str], matrix: list[list[float]]) -> str:
    """The Jaccard overlap of each pair's audiences, darker for more shared people."""
    size, margin = 560, 90
    title = "Audience overlap of the shortlist (Jaccard)"
    n = len(members)
    cell = (size - margin - 24) / max(n, 1)
    body = ""
    for i, (member, row) in enumerate(zip(members, matrix)):
        y = margin + i * cell
        body += (f'<text class="tick" x="{margin - 4}" y="{y + cell * 0.75:.1f}" text-anchor="end" '
                 f'font-size="{min(10.0, cell):.1f}">{escape(member)}</text>')
        for j, value in enumerate(row):
            x = margin + j * cell
            body += (f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.2f}" height="{cell:.2f}" fill="#1f6fb2" '
                     f'fill-opacity="{value:.3f}"><title>{escape(member)} and {escape(members[j])}: '
                     f'{value:.0%}</title></rect>')
    for j, member in enumerate(members):
        x = margin + j * cell + cell * 0.75
        body += (f'<text class="tick" x="{x:.1f}" y="{margin - 4}" transform="rotate(-60 {x:.1f} {margin - 4})" '
                 f'font-size="{min(10.0, cell):.1f}">{escape(member)}</text>')
    return (f'<svg id="overlap-chart" class="chart" viewBox="0 0 {size} {size}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
            f'{body}</svg>')
