"""Staff pages about a patient's own record: edit their details, find them by name and date of
birth. Scoped like every staff page (surveys.views_staff.visible_patients); writes go through
surveys.services.patient_update, which audits and lets waiting questionnaires go out."""

from __future__ import annotations

from django.contrib import messages
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.forms import FindByNameForm, FindPatientForm, PatientDetailsForm
from surveys.services import PATIENT_EDITABLE, patient_update
from surveys.views_staff import staff_required, visible_patients


@require_http_methods(["GET", "POST"])
@staff_required
def patient_edit(request, pk):
    patient = get_object_or_404(visible_patients(request.user), pk=pk)
    if request.method == "POST":
        form = PatientDetailsForm(request.POST)
        if form.is_valid():
            changed = patient_update(patient=patient, by=request.user, **form.cleaned_data)
            if changed:
                messages.success(request, _("Details saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("staff:patient_detail", pk=patient.pk)
    else:
        initial = model_to_dict(patient, fields=PATIENT_EDITABLE)
        form = PatientDetailsForm(initial=initial)
    return render(request, "staff/patient_edit.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
@staff_required
def patient_search(request):
    """Name and date of birth arrive by POST: they never reach an address or a log."""
    form = FindByNameForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        results = visible_patients(request.user).filter(
            family_name__iexact=data["family_name"].strip(),
            date_of_birth=data["date_of_birth"],
        )
        if data["given_name"].strip():
            results = results.filter(given_name__istartswith=data["given_name"].strip())
        results = list(results.order_by("family_name", "given_name", "pk")[:50])
        if len(results) == 1:
            return redirect("staff:patient_detail", pk=results[0].pk)
    return render(
        request,
        "staff/patient_find.html",
        {"find_form": FindPatientForm(), "name_form": form, "results": results},
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )
