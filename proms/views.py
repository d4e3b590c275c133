import hmac

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from notifications.selectors import outbox_health
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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for an address nothing matches: JSON under /api/ (clients parse it), else the
    patient-friendly page (a broken questionnaire link)."""
    if request.path.startswith("/api/"):
        return not_found_json(request)
    return views_patient.not_found(request, exception)


def _may_read_metrics(request: HttpRequest) -> bool:
    """A monitoring system with ``METRICS_TOKEN`` (Bearer), or a verified staff session."""
    header = request.headers.get("Authorization", "")
    if settings.METRICS_TOKEN and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].encode(), settings.METRICS_TOKEN.encode())
    user = request.user
    return (
        user.is_authenticated
        and (user.is_staff or user.is_superuser)
        and getattr(user, "is_verified", lambda: False)()
    )


def _broker() -> dict[str, object]:
    """Redis reachable, and the Celery queue's length (tasks waiting for a worker)."""
    if not settings.REDIS_URL:
        return {"redis": "not configured", "queue_length": None}
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        return {"redis": "ok", "queue_length": client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)}
    except (redis.exceptions.RedisError, OSError):
        return {"redis": "unreachable", "queue_length": None}


@require_safe
@never_cache
def metrics(request: HttpRequest) -> JsonResponse:
    """What to watch (docs/operations.md): database, Redis, queue length, outbox age.

    200 with the figures while the database answers (Redis down is a figure, not an error:
    the service degrades, it does not stop); 401 without a token or a verified staff session.
    """
    if not _may_read_metrics(request):
        return JsonResponse({"error": "A metrics token or a staff log-in is needed."}, status=401)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse(
        {"database": "ok", **_broker(), "outbox": outbox_health(now=timezone.now())}
    )
