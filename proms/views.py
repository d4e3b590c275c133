from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from outcomes.loading import catalogue
from proms.api import not_found_json
from surveys import views_patient


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """A front page for people who open the service: what it is and where to go."""
    definitions = catalogue()
    return render(
        request,
        "home.html",
        {
            "instruments": definitions.current_instruments(),
            "pathways": definitions.current_pathways(),
            "outcomes": definitions.outcomes.values(),
        },
    )


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for an address nothing matches: JSON under /api/ (clients parse it), else the
    patient-friendly page (a broken questionnaire link)."""
    if request.path.startswith("/api/"):
        return not_found_json(request)
    return views_patient.not_found(request, exception)
