"""Thin views: Notify's callbacks, staff opt-outs and the letter batch."""

from __future__ import annotations

import hmac
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
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from notifications import letter_codes, letters, services
from notifications.models import Notification
from notifications.sealing import unseal
from proms.clients import client_address
from proms.parsers import json_loads_bounded
from surveys.models import Patient
from surveys.views_patient import patient_page

logger = logging.getLogger(__name__)


def _callback_authorised(request: HttpRequest) -> bool:
    """Notify sends the bearer token we gave it when setting up the callback."""
    expected = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _json(request: HttpRequest) -> dict | None:
    try:
        body = json_loads_bounded(request.body)
    except (ValueError, UnicodeDecodeError):  # incl. nesting deep enough to exhaust the stack
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
    services.patient_opt_out(patient=patient, by=request.user, source="staff")
    messages.success(
        request,
        _("Messages stopped. Questionnaires stay open for answers taken by phone or on paper."),
    )
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
        return _pdf(printed[0], "letters.pdf")
    return render(
        request,
        "notifications/letters.html",
        {
            "waiting": letters.letters_waiting(request.user).count(),
            "batches": letters.letter_batches(request.user)[:20],
        },
    )


@login_required
@require_http_methods(["GET"])
def letter_batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A printed batch again (the same links and codes), for a print run that went wrong."""
    batch = get_object_or_404(letters.letter_batches(request.user), pk=pk)
    printed = letters.letters_reprint(batch=batch, by=request.user)
    if printed is None:
        messages.info(
            request,
            _("No letter in that batch can still be answered, so there is nothing to print."),
        )
        return redirect("notifications:letters")
    return _pdf(printed[0], f"letters-{batch.printed_at:%Y-%m-%d-%H%M}.pdf")


def _pdf(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- The short code on a letter -------------------------------------------------------------


@patient_page
@csrf_protect
@require_http_methods(["GET", "POST"])
def letter_code(request: HttpRequest, code: str = "") -> HttpResponse:
    """``/l/ABCD-EFGH`` from a letter, or the code typed at ``/l/``: find the letter's link and
    go to it, where the date-of-birth check applies as for any link."""
    typed = request.POST.get("code", "") if request.method == "POST" else code
    context = {"code": typed, "error": "", "error_summary": []}
    if not typed:
        return render(request, "notifications/letter_code.html", context)
    client = letter_codes.code_client(client_address(request))
    if letter_codes.code_tries_exhausted(client=client):
        return render(request, "notifications/letter_code_wait.html", status=429)
    token = letter_link_for_code(typed)
    if token is not None:
        return redirect("patient:start", token)
    letter_codes.code_try_record(client=client)
    logger.info("Letter code not recognised")
    context["error"] = _(
        "We could not find that code. Check it against your letter: it has 8 letters and numbers, "
        "like ABCD-1234."
    )
    context["error_summary"] = [("code", context["error"])]
    return render(request, "notifications/letter_code.html", context, status=404)


def letter_link_for_code(typed: str) -> str | None:
    """The link token of the letter carrying the code ``typed``, or None."""
    code = letter_codes.code_normalise(typed)
    if code is None:
        return None
    sealed = (
        Notification.objects.filter(
            channel=Notification.Channel.LETTER,
            short_code_hash__in=letter_codes.code_hashes(code),
        )
        .exclude(short_code_hash="")
        .values_list("link_token", flat=True)
        .first()
    )
    return unseal(sealed) if sealed else None
