"""What a patient is told after sending their answers: their scores over time and self-care advice.

"Knowing helps me deal with it": from the second answered timepoint on, the done page says in
words how the common questionnaire's scores have moved since the first questionnaire, judged by
each score's minimal important change (``outcomes.harmonisation.classify_change``), and draws
them as a small inline SVG chart, rendered here so the page needs no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.template.loader import select_template
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.harmonisation import IMPROVED, WORSE, classify_change
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


@dataclass(frozen=True)
class ScorePoint:
    when: object  # date answered
    scores: dict[str, float | None]


@dataclass(frozen=True)
class ScoreHistory:
    points: tuple[ScorePoint, ...]
    sentences: tuple[str, ...]
    chart: SafeString


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
    return ScoreHistory(points, tuple(change_sentences(points)), chart_svg(points))


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


def chart_svg(points, width: int = 320, height: int = 200) -> SafeString:
    """A line per tracked score on a 0-100 axis; dates along the bottom. Pure SVG markup."""
    left, right, top, bottom = 34, 12, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(points)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - value / 100)

    title = escape(_("Your scores over time"))
    desc = escape(
        _("A line for each score from 0 (worst) to 100 (best), at each questionnaire you answered.")
    )
    parts = [
        f'<svg class="proms-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{title}</title><desc id="chart-desc">{desc}</desc>'
    ]
    for value in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#d8dde0"/><text x="{left - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end" font-size="12" fill="#4c6272">{value}</text>'
        )
    for i, point in enumerate(points):
        # The first and last dates line up with the ends of the axis so neither is cut off.
        anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="{anchor}" font-size="12" '
            f'fill="#4c6272">{escape(date_format(point.when, "j M"))}</text>'
        )
    for name, _words, colour, dash in TRACKED:
        coords = [
            (x(i), y(point.scores[name]))
            for i, point in enumerate(points)
            if point.scores.get(name) is not None
        ]
        if not coords:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        line = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="3"{dash_attr}/>'
        )
        parts.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>' for px, py in coords
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


def chart_key() -> list[tuple[str, str, str]]:
    """(name, colour, dash) for the chart's key."""
    return [(str(CHART_NAMES[name]), colour, dash) for name, _w, colour, dash in TRACKED]
