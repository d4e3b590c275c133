from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from outcomes.loading import catalogue


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


def _organisation() -> dict[str, str]:
    return dict(settings.SERVICE_ORGANISATION)


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (the GOV.UK model statement's sections)."""
    return render(request, "info/accessibility.html", {"organisation": _organisation()})


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice: who holds what about a patient, why, for how long, their rights."""
    return render(request, "info/privacy.html", {"organisation": _organisation()})


@require_safe
def contact(request: HttpRequest) -> HttpResponse:
    """How to reach the service, and where to go for medical help."""
    return render(request, "info/contact.html", {"organisation": _organisation()})


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and docker-compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
