"""Staff pages under /staff/value/: the STAR report, its chart, and the resources behind it.

Thin views: the report comes from ``value.analysis.value_report`` (the API's function), writes
from ``value.services``. Server-rendered, no JavaScript; the chart is an ``<img>`` of an SVG
with no inline styles. Unit costs and budgets are programme-level: Django staff (``is_staff``)
and superusers change them; activity files only for the uploader's own providers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from analytics.access import aggregate_staff_required
from outcomes.loading import catalogue
from reports.services import board_pack_pdf
from surveys.models import Provider
from value import reading
from value.activity import activity_types
from value.analysis import cached_value_report, reallocation
from value.api import ReallocationQuerySerializer, ValueQuerySerializer
from value.charts import star_svg
from value.models import ActivityImport, Budget, Scenario, UnitCostSchedule
from value.pdf import value_pack
from value.selectors import ValueQueryError, value_sets
from value.services import (
    ValueInputError,
    activity_import,
    budget_set,
    scenario_save,
    unit_costs_current,
    unit_costs_load,
)

DEFAULT_QUERY = {"condition": "back-pain"}
SCENARIO_OPTION_ROWS = 5


def _params(request):
    data = request.GET.copy()
    for key, value in DEFAULT_QUERY.items():
        data.setdefault(key, value)
    if "replicates" not in data:
        data["replicates"] = "1000"
    return data


def _programme_staff(user) -> bool:
    return user.is_staff or user.is_superuser


@aggregate_staff_required
def report(request):
    data = _params(request)
    params = ValueQuerySerializer(data=data)
    context = {
        "query": data,
        "conditions": sorted(catalogue().conditions.items()),
        "value_sets": value_sets(),
        "timepoints": ["6-weeks", "3-months", "6-months", "12-months"],
    }
    if not params.is_valid():
        context["error_summary"] = [
            (name, " ".join(str(e) for e in errors)) for name, errors in params.errors.items()
        ]
        return render(request, "value/report.html", context, status=400)
    try:
        answer = cached_value_report(params.query())
    except (ValueQueryError, ValueError) as error:
        context["error_summary"] = [("condition", str(error))]
        return render(request, "value/report.html", context, status=400)
    move, context["move_error"] = _reallocation(answer, data)
    query_string = data.urlencode()
    context |= {
        "report": answer,
        "meta": answer["meta"],
        "rows": answer["results"],
        "published": [r for r in answer["results"] if not r["suppressed"] and not r["comparator"]],
        "equity": answer["equity"],
        "reading": reading.report_reading(answer),
        "move": move,
        "move_reading": reading.move_reading(move, answer) if move else None,
        "query_string": query_string,
        "chart_alt": reading.chart_alt(answer),
    }
    return render(request, "value/report.html", context)


def _reallocation(answer, data) -> tuple[dict | None, str | None]:
    """The what-if move the query asks for (``source``, ``target``, ``amount``), or why not."""
    if not data.get("source"):
        return None, None
    moving = ReallocationQuerySerializer(data=data)
    if not moving.is_valid():
        return None, " ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in moving.errors.items()
        )
    try:
        move = reallocation(
            answer,
            source=moving.validated_data["source"],
            target=moving.validated_data["target"],
            amount=moving.validated_data["amount"],
        )
    except ValueQueryError as error:
        return None, str(error)
    return move, None


@aggregate_staff_required
def report_pdf(request):
    """The page's report as a PDF, for the same query: the same report dict (cached), laid out
    by the board pack's WeasyPrint template (value/pdf.py)."""
    params = ValueQuerySerializer(data=_params(request))
    if not params.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in params.errors.items()
        )
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    try:
        answer = cached_value_report(params.query())
    except (ValueQueryError, ValueError) as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    move, _ = _reallocation(answer, _params(request))
    pdf, _pages = board_pack_pdf(value_pack(answer, move=move, made_at=timezone.now()))
    meta = answer["meta"]
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="value-{meta["condition"]}-{meta["referred_to"]}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@aggregate_staff_required
def chart(request):
    params = ValueQuerySerializer(data=_params(request))
    if not params.is_valid():
        return HttpResponse("The query is not valid.", status=400, content_type="text/plain")
    try:
        answer = cached_value_report(params.query())
    except (ValueQueryError, ValueError) as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    response = HttpResponse(star_svg(answer), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@aggregate_staff_required
@require_http_methods(["GET", "POST"])
def unit_costs(request):
    errors = []
    if request.method == "POST":
        if not _programme_staff(request.user):
            raise PermissionDenied
        upload = request.FILES.get("costs")
        if upload is None:
            errors = ["Choose a CSV file of unit costs."]
        else:
            try:
                schedule = unit_costs_load(
                    data=upload.read(),
                    name=request.POST.get("name", ""),
                    file_name=upload.name,
                    illustrative=bool(request.POST.get("illustrative")),
                    by=request.user,
                )
            except ValueInputError as error:
                errors = error.errors
            else:
                messages.success(request, f"Unit costs version {schedule.version} loaded.")
                return redirect("value:unit_costs")
    current = unit_costs_current()
    return render(
        request,
        "value/unit_costs.html",
        {
            "current": current,
            "costs": list(current.costs.all()) if current else [],
            "schedules": UnitCostSchedule.objects.all()[:20],
            "types": activity_types(),
            "errors": errors,
            "can_load": _programme_staff(request.user),
            "error_summary": [("costs", e) for e in errors],
        },
        status=400 if errors else 200,
    )


@aggregate_staff_required
@require_http_methods(["GET", "POST"])
def activity(request):
    providers = Provider.objects.for_user(request.user)
    errors = []
    if request.method == "POST":
        provider = providers.filter(pk=request.POST.get("provider") or 0).first()
        upload = request.FILES.get("activity")
        month = _month(request.POST.get("month", ""))
        if provider is None:
            errors.append("Choose one of your services.")
        if month is None:
            errors.append("Give the month as YYYY-MM, e.g. 2026-09.")
        if upload is None:
            errors.append("Choose a CSV file of activity.")
        if not errors:
            try:
                batch = activity_import(
                    provider=provider,
                    month=month,
                    data=upload.read(),
                    file_name=upload.name,
                    by=request.user,
                )
            except ValueInputError as error:
                errors = error.errors
            else:
                messages.success(request, f"{batch.rows} activity rows loaded for {month:%B %Y}.")
                return redirect("value:activity")
    return render(
        request,
        "value/activity.html",
        {
            "providers": providers,
            "imports": ActivityImport.objects.filter(provider__in=providers).select_related(
                "provider"
            )[:30],
            "types": activity_types(),
            "errors": errors,
            "error_summary": [("activity", e) for e in errors],
        },
        status=400 if errors else 200,
    )


def _month(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        return None


@aggregate_staff_required
@require_http_methods(["GET", "POST"])
def budgets(request):
    errors = []
    if request.method == "POST":
        if not _programme_staff(request.user):
            raise PermissionDenied
        try:
            amount = Decimal(request.POST.get("amount", "").replace(",", "").replace("£", ""))
            year = int(request.POST.get("year", ""))
        except (InvalidOperation, ValueError):
            errors = ["Give the year as a number (e.g. 2026) and the amount in pounds."]
        else:
            try:
                budget_set(
                    year=year,
                    condition=request.POST.get("condition", ""),
                    service=request.POST.get("service", ""),
                    amount=amount,
                    by=request.user,
                )
            except ValueInputError as error:
                errors = error.errors
            else:
                messages.success(request, "Budget saved.")
                return redirect("value:budgets")
    today = timezone.localdate()
    return render(
        request,
        "value/budgets.html",
        {
            "budgets": Budget.objects.all()[:100],
            "conditions": sorted(catalogue().conditions.items()),
            "this_year": today.year if today.month >= 4 else today.year - 1,
            "errors": errors,
            "can_edit": _programme_staff(request.user),
            "error_summary": [("amount", e) for e in errors],
        },
        status=400 if errors else 200,
    )


def _scenario_content(post) -> dict:
    options = []
    for i in range(SCENARIO_OPTION_ROWS):
        label = post.get(f"option-{i}-label", "").strip()
        if not label:
            continue
        options.append(
            {
                "label": label,
                "patients_per_year": post.get(f"option-{i}-patients", ""),
                "cost_per_patient": post.get(f"option-{i}-cost", ""),
                "benefit_per_patient": post.get(f"option-{i}-benefit", ""),
                "basis": post.get(f"option-{i}-basis", ""),
            }
        )
    return {
        "counterfactual": {
            "kind": "assumption",
            "change": post.get("change", ""),
            "low": post.get("low", ""),
            "high": post.get("high", ""),
        },
        "options": options,
    }


@aggregate_staff_required
@require_http_methods(["GET", "POST"])
def scenarios(request):
    errors = []
    if request.method == "POST":
        try:
            version = scenario_save(
                content=_scenario_content(request.POST),
                name=request.POST.get("name", ""),
                condition=request.POST.get("condition", ""),
                note=request.POST.get("note", ""),
                by=request.user,
            )
        except ValueInputError as error:
            errors = error.errors
        else:
            messages.success(request, "Scenario saved as version 1.")
            return redirect("value:scenario", pk=version.scenario_id)
    return render(
        request,
        "value/scenarios.html",
        {
            "scenarios": Scenario.objects.prefetch_related("versions")[:50],
            "conditions": sorted(catalogue().conditions.items()),
            "rows": range(SCENARIO_OPTION_ROWS),
            "post": request.POST,
            "errors": errors,
            "error_summary": [("name", e) for e in errors],
        },
        status=400 if errors else 200,
    )


@aggregate_staff_required
@require_http_methods(["GET", "POST"])
def scenario(request, pk: int):
    item = get_object_or_404(Scenario, pk=pk)
    errors = []
    if request.method == "POST":
        try:
            version = scenario_save(
                scenario=item,
                content=_scenario_content(request.POST),
                note=request.POST.get("note", ""),
                by=request.user,
            )
        except ValueInputError as error:
            errors = error.errors
        else:
            messages.success(request, f"Scenario saved as version {version.number}.")
            return redirect("value:scenario", pk=item.pk)
    versions = list(item.versions.all())
    chosen = _chosen_version(request, versions)
    comparison = reading.scenario_comparison(item, chosen) if chosen else None
    return render(
        request,
        "value/scenario.html",
        {
            "scenario": item,
            "versions": versions,
            "chosen": chosen,
            "comparison": comparison,
            "rows": range(SCENARIO_OPTION_ROWS),
            "prefill": _prefill(chosen),
            "errors": errors,
            "error_summary": [("note", e) for e in errors],
        },
        status=400 if errors else 200,
    )


def _chosen_version(request, versions):
    wanted = request.GET.get("version", "")
    for version in versions:
        if str(version.number) == wanted:
            return version
    return versions[0] if versions else None


def _prefill(version) -> dict:
    if version is None:
        return {}
    content = version.content
    # Strings, so a saved 0 shows as "0" and not as an empty box.
    values = {
        key: f"{value:g}" if isinstance(value, float | int) else str(value)
        for key, value in content["counterfactual"].items()
    }
    for i, option in enumerate(content["options"]):
        values |= {
            f"option-{i}-label": option["label"],
            f"option-{i}-patients": f"{option['patients_per_year']:g}",
            f"option-{i}-cost": f"{option['cost_per_patient']:g}",
            f"option-{i}-benefit": f"{option['benefit_per_patient']:g}",
            f"option-{i}-basis": option["basis"],
        }
    return values


@aggregate_staff_required
def scenario_csv(request, pk: int):
    item = get_object_or_404(Scenario, pk=pk)
    versions = list(item.versions.all())
    chosen = _chosen_version(request, versions)
    if chosen is None:
        return HttpResponse(
            "This scenario has no saved version.", status=404, content_type="text/plain"
        )
    rows = reading.scenario_comparison(item, chosen)["rows"]
    buffer = io.StringIO()
    columns = [
        "scenario",
        "version",
        "source",
        "option",
        "patients_per_year",
        "cost_per_patient",
        "benefit_per_patient",
        "total_cost",
        "total_benefit",
        "qalys_per_million",
        "cost_per_qaly",
        "value_set",
        "counterfactual",
        "basis",
    ]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {key: _defused(value) for key, value in row.items()}
            | {"scenario": _defused(item.name), "version": chosen.number}
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="scenario-{item.pk}-v{chosen.number}.csv"'
    )
    return response


def _defused(value):
    """A spreadsheet never runs a cell as a formula (as outcomes.renderers does)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
