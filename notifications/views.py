"""Thin views: Notify's callbacks, staff opt-outs and the letter batch."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import letters, services
from surveys.models import Patient

logger = logging.getLogger(__name__)


def _callback_authorised(request: HttpRequest) -> bool:
    """Notify sends the bearer token we gave it when setting up the callback."""
    expected = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _json(request: HttpRequest) -> dict | None:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def delivery_receipt(request: HttpRequest) -> JsonResponse:
    """Notify's delivery receipt: ``{"id", "reference", "status", "completed_at", ...}``."""
    if not _callback_authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    body = _json(request)
    if body is None or not body.get("status"):
        return JsonResponse({"error": "expected a JSON delivery receipt"}, status=400)
    matched = services.delivery_receipt_record(
        provider_id=str(body.get("id") or ""),
        reference=str(body.get("reference") or ""),
        status=str(body["status"]),
        completed_at=parse_datetime(str(body.get("completed_at") or "")),
    )
    if not matched:
        logger.info("Delivery receipt for an unknown notification (%s)", body.get("status"))
    return JsonResponse({"matched": matched})


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> JsonResponse:
    """Notify's received-text callback: STOP opts the sender out."""
    if not _callback_authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    body = _json(request)
    if body is None or "source_number" not in body:
        return JsonResponse({"error": "expected a JSON received text message"}, status=400)
    opted_out = services.inbound_sms_record(
        source_number=str(body["source_number"]), message=str(body.get("message", ""))
    )
    return JsonResponse({"opted_out": opted_out})


def _back(request: HttpRequest, patient: Patient) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    try:
        return reverse("staff:patient_detail", args=[patient.pk])
    except NoReverseMatch:
        return reverse("notifications:letters")


@login_required
@require_POST
def patient_opt_out(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff record that a patient does not want messages (told by phone, letter, in clinic)."""
    patient = get_object_or_404(Patient.objects.for_user(request.user), pk=pk)
    cancelled = services.patient_opt_out(patient=patient, by=request.user, source="staff")
    text = _("Messages stopped. %(count)s outstanding questionnaires cancelled.")
    messages.success(request, text % {"count": cancelled})
    return redirect(_back(request, patient))


@login_required
@require_http_methods(["GET", "POST"])
def letters_batch(request: HttpRequest) -> HttpResponse:
    """Today's letters: how many wait, and a button that prints them (one PDF, a page each)."""
    if request.method == "POST":
        printed = letters.letters_print(by=request.user)
        if printed is None:
            messages.info(request, _("There are no letters to print."))
            return redirect("notifications:letters")
        pdf, _pages = printed
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="letters.pdf"'
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "notifications/letters.html",
        {
            "waiting": letters.letters_waiting(request.user).count(),
            "recent": (
                letters.letters_printed(request.user)
                .values("provider_message_id", "sent_at")
                .order_by("-sent_at")
                .distinct()[:10]
            ),
        },
    )
