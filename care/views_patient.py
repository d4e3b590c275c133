"""The patient's "Please contact me" on their done page (``/q/<token>/contact/``).

The same gate as the done page (surveys.views_patient): the link must be used, and the
browser must hold the date-of-birth cookie of this link. Nothing is shown that the done page
does not already show.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from care.services import contact_request_create
from surveys import views_patient


@require_http_methods(["GET", "POST"])
@views_patient.patient_page
def contact_request(request, token: str):
    invitation, refusal = views_patient._gate(request, token, completed=True)
    if refusal is not None:
        return refusal
    if request.method != "POST":
        return redirect("patient:done", token)
    contact_request_create(invitation=invitation)
    provider = invitation.episode.provider
    with views_patient._override(invitation):
        return render(
            request,
            "care/patient_contact_requested.html",
            {"provider_name": provider.name, "phone": provider.contact_phone},
        )
