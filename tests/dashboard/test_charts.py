"""The chart functions' two formats: SVG for the pages, PNG at print resolution for the pack."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

from dashboard import charts

POINTS = [
    {"label": "Q1", "value": 4.0, "lower": 2.0, "upper": 6.0},
    {"label": "Q5", "value": 9.0, "lower": 7.0, "upper": 11.0},
]


def draw() -> str:
    return charts.intervals_svg(POINTS, title="Gain", description="Two groups", x_label="Gain")


def test_a_chart_is_svg_text_with_its_title_unless_asked_for_print():
    svg = draw()

    assert svg.startswith("<svg") and "<title" in svg and "Gain" in svg


def test_a_chart_for_print_is_an_opaque_png_at_print_resolution():
    with charts.drawn_as("png"):
        uri = draw()

    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.mode == "RGB"  # no alpha channel for WeasyPrint to split off
    assert image.width == round(charts.WIDTH_IN * charts.PRINT_DPI)
    assert charts.image_format() == "svg"  # only inside the block


def test_an_unknown_chart_format_is_refused():
    with pytest.raises(ValueError), charts.drawn_as("gif"):
        pass


@pytest.mark.django_db
def test_the_chart_cache_keeps_a_print_png_apart_from_the_pages_svg():
    from dashboard.cache import chart_cached
    from dashboard.filters import Filters
    from dashboard.presentation import Part

    part = Part(figure="equity", key="imd_quintile", title="Gain", reading="", rows=[], draw=draw)
    filters = Filters(condition="knee-pain")

    svg = chart_cached("equity", filters=filters, part=part)
    png = chart_cached("equity", filters=filters, part=part, image_format="png")

    assert svg.startswith("<svg") and png.startswith("data:image/png;base64,")
    assert chart_cached("equity", filters=filters, part=part) == svg


@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_a_long_name_wraps_onto_lines_that_fit_beside_the_chart(size):
    name = "Nottinghamshire Healthcare NHS Foundation Trust"
    points = [{"label": name, "value": 41.2, "lower": 30.0, "upper": 52.0}, *POINTS]
    with charts.drawn_at(size):
        svg = charts.intervals_svg(points, title="No contact", description="d", x_label="%")

    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    first = next(i for i, text in enumerate(texts) if text and name.startswith(text))
    lines: list[str] = []
    for text in texts[first:]:
        lines.append(text)
        if " ".join(lines) == name:
            break
    margin = 0.45 * charts.SIZES[size]  # the most of its width a chart gives its labels
    assert " ".join(lines) == name
    assert len(lines) > 1
    assert all(0.25 + 0.085 * len(line) <= margin for line in lines)
