"""What a patient is told after sending their answers: their scores over time and self-care advice.

"Knowing helps me deal with it": from the second answered timepoint on, the done page says in
words how the common questionnaire's scores have moved since the first questionnaire, judged by
each score's minimal important change (``outcomes.harmonisation.classify_change``), and draws
them as a small inline SVG chart against the true date (markers and dash patterns tell the lines
apart where they coincide), with a table that says the same, rendered here so the page needs no
JavaScript.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from django.template.loader import select_template
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.harmonisation import IMPROVED, WORSE, classify_change, round_half_up
from outcomes.loading import catalogue
from surveys.models import InstrumentResult
from surveys.questionnaire import COMMON_QUESTIONNAIRE

# The common questionnaire's scores asked at every timepoint (0-100, higher is better), with the
# words used for them and a line colour and dash pattern each (told apart without colour too).
TRACKED = (
    ("quality-of-life", gettext_lazy("quality of life score"), "#005eb8", ""),
    ("pain", gettext_lazy("pain score"), "#d5281b", "6 4"),
    ("understanding", gettext_lazy("score for understanding your condition"), "#007f3b", "2 3"),
    ("self-management", gettext_lazy("score for managing your condition"), "#330072", "10 3 2 3"),
)
CHART_NAMES = {
    "quality-of-life": gettext_lazy("Quality of life"),
    "pain": gettext_lazy("Pain (higher means less pain)"),
    "understanding": gettext_lazy("Understanding your condition"),
    "self-management": gettext_lazy("Managing your condition"),
}

# Column headings of the chart's table: short, so four columns fit a 360 px phone.
TABLE_NAMES = {
    "quality-of-life": gettext_lazy("Quality of life"),
    "pain": gettext_lazy("Pain"),
    "understanding": gettext_lazy("Understanding"),
    "self-management": gettext_lazy("Managing"),
}


@dataclass(frozen=True)
class ScorePoint:
    when: object  # date answered
    scores: dict[str, float | None]


@dataclass(frozen=True)
class ScoreHistory:
    points: tuple[ScorePoint, ...]
    sentences: tuple[str, ...]
    chart: SafeString
    table: dict


def guidance_template(condition_code: str):
    """The self-care advice for a condition (``templates/patient/guidance/<condition>.html``)."""
    return select_template(
        [f"patient/guidance/{condition_code}.html", "patient/guidance/general.html"]
    )


def score_history(episode) -> ScoreHistory | None:
    """The patient's common-questionnaire scores over the episode; None before a second one."""
    results = (
        InstrumentResult.objects.filter(
            response__invitation__episode=episode, instrument__code=COMMON_QUESTIONNAIRE
        )
        .select_related("response", "instrument")
        .order_by("response__submitted_at", "pk")
    )
    points = tuple(
        ScorePoint(result.response.submitted_at.date(), dict(result.scores)) for result in results
    )
    if len(points) < 2:
        return None
    return ScoreHistory(
        points, tuple(change_sentences(points)), chart_svg(points), chart_table(points)
    )


def change_sentences(points) -> list[str]:
    spec = catalogue().instrument(COMMON_QUESTIONNAIRE)
    first, latest = points[0].scores, points[-1].scores
    sentences = []
    for name, words, _colour, _dash in TRACKED:
        change = classify_change(spec.score(name), first.get(name), latest.get(name))
        if change is None:
            continue
        if change == IMPROVED:
            text = _("Your %(score)s has improved since your first questionnaire.")
        elif change == WORSE:
            text = _("Your %(score)s is worse than at your first questionnaire.")
        else:
            text = _("Your %(score)s is about the same as at your first questionnaire.")
        sentences.append(text % {"score": words})
    return sentences


# A marker shape per line, drawn largest first and hollow, so where lines coincide every
# marker still shows (nested) and the lines are told apart by shape and dash, not colour alone.
MARKERS = ("circle", "square", "diamond", "triangle")
MARKER_SIZES = (8.0, 6.0, 5.5, 4.0)


def _marker(shape: str, cx: float, cy: float, size: float, colour: str, filled: bool) -> str:
    fill = colour if filled else "#fff"
    common = f'fill="{fill}" stroke="{colour}" stroke-width="2"'
    if shape == "circle":
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{size:.1f}" {common}/>'
    if shape == "square":
        return (
            f'<rect x="{cx - size:.1f}" y="{cy - size:.1f}" width="{2 * size:.1f}" '
            f'height="{2 * size:.1f}" {common}/>'
        )
    if shape == "diamond":
        points = [(cx, cy - size), (cx + size, cy), (cx, cy + size), (cx - size, cy)]
    else:  # triangle
        points = [(cx, cy - size), (cx + size, cy + size * 0.8), (cx - size, cy + size * 0.8)]
    coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polygon points="{coords}" {common}/>'


def _month_ticks(first: dt.date, last: dt.date, most: int = 4) -> list[dt.date]:
    """First days of months between the dates, every 1, 2, 3, 6 or 12 months: at most ``most``."""
    for step in (1, 2, 3, 6, 12):
        ticks = []
        year, month = first.year, first.month
        while True:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            tick = dt.date(year, month, 1)
            if tick > last:
                break
            if (month - 1) % step == 0:
                ticks.append(tick)
        if len(ticks) <= most:
            return ticks
    return ticks[:most]


def chart_svg(points, width: int = 320, height: int = 210) -> SafeString:
    """A line per tracked score on a 0-100 axis against the true date (so the gap between
    questionnaires reads as time), month ticks labelled with the year. Pure SVG markup."""
    left, right, top, bottom = 34, 14, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = points[0].when, points[-1].when
    span = max((last - first).days, 1)

    def x(when: dt.date) -> float:
        return left + plot_w * (when - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / 100)

    title = escape(_("Your scores over time"))
    desc = escape(
        _(
            "A line for each score from 0 (worst) to 100 (best), at each questionnaire you "
            "answered, against the date. The table below gives the same scores."
        )
    )
    grey = 'fill="#4c6272" font-size="12"'
    parts = [
        f'<svg class="proms-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{title}</title><desc id="chart-desc">{desc}</desc>'
    ]
    for value in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#d8dde0"/><text x="{left - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end" {grey}>{value}</text>'
        )
    base = top + plot_h
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="#4c6272"/>'
    )
    # A small tick at each questionnaire, month ticks with "Mar 2027" labels below.
    for point in points:
        px = x(point.when)
        parts.append(
            f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{base}" y2="{base + 5}" stroke="#4c6272"/>'
        )
    ticks = _month_ticks(first, last)
    if not ticks or span < 45:
        labels = [(first, "start"), (last, "end")] if span >= 1 else [(first, "start")]
        for when, anchor in labels:
            parts.append(
                f'<text x="{x(when):.1f}" y="{height - 18}" text-anchor="{anchor}" {grey}>'
                f"{escape(date_format(when, 'j M Y'))}</text>"
            )
    else:
        for tick in ticks:
            px = x(tick)
            anchor = "start" if px - left < 24 else "end" if width - right - px < 24 else "middle"
            parts.append(
                f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{base}" stroke="#eef1f2"/>'
                f'<text x="{px:.1f}" y="{height - 18}" text-anchor="{anchor}" {grey}>'
                f"{escape(date_format(tick, 'M Y'))}</text>"
            )
    for name, _words, colour, dash in TRACKED:
        coords = [
            (x(point.when), y(point.scores[name]))
            for point in points
            if point.scores.get(name) is not None
        ]
        if not coords:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        line = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="3"{dash_attr}/>'
        )
    # Markers after every line, largest first: coinciding points show as nested shapes.
    for index, (name, _words, colour, _dash) in enumerate(TRACKED):
        for point in points:
            value = point.scores.get(name)
            if value is not None:
                parts.append(
                    _marker(
                        MARKERS[index],
                        x(point.when),
                        y(value),
                        MARKER_SIZES[index],
                        colour,
                        filled=index == len(TRACKED) - 1,
                    )
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


def chart_table(points) -> dict:
    """The chart's text alternative: a row per score, a column per questionnaire (few columns,
    so it fits a phone), the values the chart draws rounded half up as on the staff pages."""
    return {
        "dates": [point.when for point in points],
        "rows": [
            {
                "name": str(TABLE_NAMES[name]),
                "values": [
                    "–"
                    if point.scores.get(name) is None
                    else f"{round_half_up(point.scores[name], 0):.0f}"
                    for point in points
                ],
            }
            for name, _w, _c, _d in TRACKED
        ],
    }


def chart_key() -> list[tuple[str, SafeString]]:
    """(name, a small SVG of its line, dash and marker) for the chart's key."""
    key = []
    for index, (name, _w, colour, dash) in enumerate(TRACKED):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        sample = (
            '<svg width="40" height="18" aria-hidden="true" focusable="false">'
            f'<line x1="0" x2="40" y1="9" y2="9" stroke="{colour}" stroke-width="3"{dash_attr}/>'
            + _marker(
                MARKERS[index],
                20,
                9,
                min(MARKER_SIZES[index], 6.5),
                colour,
                filled=index == len(TRACKED) - 1,
            )
            + "</svg>"
        )
        key.append((str(CHART_NAMES[name]), mark_safe(sample)))  # noqa: S308 - no text
    return key
