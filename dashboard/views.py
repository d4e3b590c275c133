"""Dashboard pages: thin views over the figure functions (dashboard/figures) and their
presentation (dashboard/presentation.py). Every page works without JavaScript; charts are
separate SVG images (``chart``), each with its table on the page and its CSV (``figure_csv``).
"""

from __future__ import annotations

from dataclasses import fields
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from analytics import summaries
from outcomes.loading import catalogue
from outcomes.renderers import CsvRenderer
from proms.side_by_side import side_by_side
from surveys.models import Practice

from . import charts, presentation
from .access import viewer_for
from .cache import chart_cached
from .figures import FIGURES, figure_compute, figures_side_by_side
from .figures.services import no_contact_episodes
from .filters import Filters, filters_from
from .layout import AREAS, OVERVIEW, SELF_CARE, VALUE_AREAS

FILTER_NAMES = frozenset(field.name for field in fields(Filters))

PAGES = (
    ("dashboard:overview", "Overview"),
    ("dashboard:conditions", "Conditions"),
    ("dashboard:providers", "Providers"),
    ("dashboard:practices", "GP practices"),
    ("dashboard:between", "Between services"),
    ("dashboard:methods", "Methods and data quality"),
)


def dashboard_required(view):
    """Log-in and a dashboard role (or provider staff); otherwise a polite 403 page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        viewer = viewer_for(request.user)
        if viewer is None:
            return render(request, "dashboard/no_access.html", status=403)
        request.viewer = viewer
        return view(request, *args, **kwargs)

    return wrapped


def _filters(request, names: tuple[str, ...], **defaults):
    params = request.GET.copy()
    for key, value in defaults.items():
        if value and not params.get(key):
            params[key] = value
    return filters_from(params, fields=names)


def _fields(*figures: str) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for name in figures:
        for field in FIGURES[name].filters:
            names.setdefault(field)
    return tuple(names)


def _sections(filters: Filters, *names: str, only: dict[str, set] | None = None):
    """Each figure's parts with the URLs of their chart and CSV. A figure that cannot be
    answered for these filters gives its error instead (never a 500)."""
    figures_side_by_side(names, filters=filters)  # into the request's scope, read below
    sections = []
    for name in names:
        try:
            answer = figure_compute(name, filters=filters)
        except summaries.QueryError as error:
            sections.append({"name": name, "error": str(error), "parts": []})
            continue
        parts = presentation.figure_parts(name, answer)
        if only and name in only:
            parts = [p for p in parts if p.key in only[name]]
        query = filters.query_string()
        sections.append(
            {
                "name": name,
                "meta": answer["meta"],
                "csv_url": reverse("dashboard:figure_csv", args=[name]) + _q(query),
                "json_url": reverse("dashboard_api:figure", args=[name]) + _q(query),
                "parts": [
                    {
                        "part": part,
                        "anchor": slugify(f"{name}-{part.key or ''}"),
                        "chart_url": reverse("dashboard:chart", args=[name])
                        + _q(filters.query_string(part=part.key)),
                        "narrow_chart_url": reverse("dashboard:chart", args=[name])
                        + _q(filters.query_string(part=part.key, size="narrow")),
                    }
                    for part in parts
                ],
            }
        )
    return sections


def _q(query: str) -> str:
    return f"?{query}" if query else ""


def _page(request, template: str, context: dict, *, form, status: int | None = None):
    context = {
        "pages": PAGES,
        "viewer": request.viewer,
        "form": form,
        "as_of": next(
            (s["meta"]["as_of"] for s in context.get("sections", []) if s.get("meta")), None
        ),
        **context,
    }
    if status is None:
        status = 400 if form.errors else 200
    return render(request, template, context, status=status)


@require_GET
@dashboard_required
def overview(request):
    names = OVERVIEW
    filters, form = _filters(request, _fields(*names))
    return _page(
        request,
        "dashboard/overview.html",
        {
            "sections": _sections(filters, *names),
            "filters": filters,
            "condition_title": catalogue().conditions[filters.condition].title,
        },
        form=form,
    )


@require_GET
@dashboard_required
def conditions(request):
    return _page(
        request,
        "dashboard/conditions.html",
        {"conditions": catalogue().conditions.values()},
        form=filters_from({}, fields=())[1],
    )


@require_GET
@dashboard_required
def condition(request, code: str):
    """One value area of a condition at a time (``?area=``, the first by default), with links
    to the others: each area's figures are computed only when it is shown, so the page stays
    fast uncached (docs/benchmarks.md), and each area has its own bookmarkable address."""
    spec = catalogue().conditions.get(code)
    if spec is None or not spec.active:
        raise Http404("No such condition")
    area = AREAS.get(request.GET.get("area") or VALUE_AREAS[0].slug)
    if area is None:
        raise Http404("No such value area")
    filters, form = _filters(request, _fields(*area.figures), condition=code)
    filters = filters.replace(condition=code)
    # The other areas keep every filter given (each area validates the ones it uses).
    kept = [
        (key, value)
        for key, value in request.GET.items()
        if key in FILTER_NAMES and key != "condition" and value
    ]
    contents = [
        {
            "slug": other.slug,
            "title": other.title,
            "url": "?" + urlencode([("area", other.slug), *kept]),
            "current": other is area,
        }
        for other in VALUE_AREAS
    ]
    return _page(
        request,
        "dashboard/condition.html",
        {
            "condition": spec,
            "area": area,
            "contents": contents,
            "sections": _sections(filters, *area.figures, only=SELF_CARE),
            "filters": filters,
        },
        form=form,
    )


@require_GET
@dashboard_required
def providers(request):
    names = ("provider_funnel",)
    filters, form = _filters(request, _fields(*names))
    own = list(request.viewer.providers().values_list("ods_code", "name"))
    return _page(
        request,
        "dashboard/providers.html",
        {"sections": _sections(filters, *names), "filters": filters, "own_providers": own},
        form=form,
    )


@require_GET
@dashboard_required
def practices(request):
    names = ("practice_deciles", "practice_flags")
    viewer = request.viewer
    default = viewer.practice.ods_code if viewer.practice else None
    filters, form = _filters(request, _fields(*names), practice=default)
    return _page(
        request,
        "dashboard/practices.html",
        {"sections": _sections(filters, *names), "filters": filters},
        form=form,
    )


@require_GET
@dashboard_required
def practice(request, ods_code: str):
    chosen = get_object_or_404(Practice, ods_code=ods_code)
    names = ("practice_deciles", "practice_flags")
    filters, form = _filters(request, _fields(*names), practice=ods_code)
    filters = filters.replace(practice=ods_code)
    return _page(
        request,
        "dashboard/practice.html",
        {"sections": _sections(filters, *names), "filters": filters, "practice": chosen},
        form=form,
    )


@require_GET
@dashboard_required
def between(request):
    names = ("event_intervals", "no_contact", "loss_to_follow_up")
    filters, form = _filters(request, _fields(*names))
    viewer = request.viewer
    calls = [lambda: _sections(filters, *names)]
    if viewer.can_drill():
        calls.append(
            lambda: no_contact_episodes(
                filters=filters,
                providers=viewer.providers(),
                practice=viewer.practice.ods_code if viewer.practice else None,
            )
        )
    # The patient-level list is independent of the figures: read at the same time.
    sections, *drilled = side_by_side(calls)
    drill = None
    if drilled:
        episodes, total = drilled[0]
        drill = {"episodes": episodes, "total": total}
    return _page(
        request,
        "dashboard/between.html",
        {"sections": sections, "filters": filters, "drill": drill},
        form=form,
    )


@require_GET
@dashboard_required
def methods(request):
    names = ("data_completeness",)
    filters, form = _filters(request, _fields(*names))
    explained = [
        {"name": name, "text": (spec.function.__doc__ or "").strip()}
        for name, spec in FIGURES.items()
    ]
    from . import disclosure, spc
    from .cusum import H, K

    return _page(
        request,
        "dashboard/methods.html",
        {
            "sections": _sections(filters, *names),
            "filters": filters,
            "explained": explained,
            "policy": disclosure.policy(),
            "withheld_up_to": disclosure.min_cell() - 1,
            "rules": spc.RULE_TEXT,
            "cusum": {"k": K, "h": H},
        },
        form=form,
    )


# --- chart images and downloads -----------------------------------------------------------------


def _figure_for(request, name: str):
    if name not in FIGURES:
        raise Http404("No such figure")
    filters, form = filters_from(request.GET, fields=FIGURES[name].filters)
    if form.errors:
        return None, form
    return figure_compute(name, filters=filters), form


# A chart is an image: no script can run in it, so its own inline styles (matplotlib's SVG)
# are allowed in the chart response alone; everything else is forbidden.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@require_GET
@dashboard_required
def chart(request, name: str):
    size = request.GET.get("size") or "wide"
    try:
        if size not in charts.SIZES:
            raise LookupError
        answer, form = _figure_for(request, name)
        if answer is None:
            return HttpResponse("The filters are not valid.", status=400, content_type="text/plain")
        part = presentation.figure_part(name, answer, request.GET.get("part") or None)
        if not part.has_chart:
            raise LookupError
    except (LookupError, summaries.QueryError):
        raise Http404("No such chart") from None
    svg = chart_cached(name, filters=form.filters(), part=part, size=size)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = CHART_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_GET
@dashboard_required
def figure_csv(request, name: str):
    try:
        answer, form = _figure_for(request, name)
    except summaries.QueryError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    if answer is None:
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(
            f"The filters are not valid. {errors}", status=400, content_type="text/plain"
        )
    # The API's own CSV renderer (?format=csv): the same columns, the same formula defusing.
    body = CsvRenderer().render(answer)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
