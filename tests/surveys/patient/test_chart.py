"""The done page's chart: a true time axis with the year, lines told apart without colour,
and a table that says the same."""

from __future__ import annotations

import datetime as dt
import re

from surveys.guidance import ScorePoint, chart_svg, chart_table

POINTS = (
    ScorePoint(dt.date(2026, 11, 2), {"quality-of-life": 50, "pain": 50, "understanding": 50}),
    ScorePoint(dt.date(2026, 12, 14), {"quality-of-life": 62.5, "pain": 50, "understanding": 50}),
    ScorePoint(dt.date(2027, 5, 3), {"quality-of-life": 75, "pain": 50, "understanding": 75}),
)


def _xs_of_circles(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]


def test_questionnaires_sit_on_a_true_time_axis():
    svg = chart_svg(POINTS)
    first, second, third = _xs_of_circles(svg)
    # 42 days then 140 days: the gaps keep that proportion (not evenly spaced).
    assert abs((second - first) / (third - first) - 42 / 182) < 0.01


def test_the_axis_labels_carry_the_year():
    svg = chart_svg(POINTS)
    labels = re.findall(r'<text x="[\d.]+" y="192"[^>]*>([^<]+)<', svg)
    assert labels == ["Jan 2027", "Mar 2027", "May 2027"]


def test_coinciding_lines_keep_distinct_markers_and_dashes():
    svg = chart_svg(POINTS)
    # Pain and understanding are both 50 at the first two questionnaires: each still shows,
    # as a square and a diamond (nested), on lines with different dash patterns.
    assert svg.count("<rect") == 3  # pain: squares
    assert svg.count("<polygon") == 3  # understanding: diamonds
    dashes = re.findall(r'<polyline[^>]*?(?:stroke-dasharray="([^"]+)")?/>', svg)
    assert len(set(dashes)) == 3


def test_the_table_gives_the_same_scores_as_the_chart():
    table = chart_table(POINTS)
    assert table["dates"] == [point.when for point in POINTS]
    assert {row["name"]: row["values"] for row in table["rows"]} == {
        "Quality of life": ["50", "63", "75"],  # halves round up, as on the staff pages
        "Pain": ["50", "50", "50"],
        "Understanding": ["50", "50", "75"],
        "Managing": ["–", "–", "–"],
    }
