"""Staff page for bulk enrolment: upload a CSV of referrals, see what was enrolled and why rows
were rejected. The checking and enrolling is :mod:`surveys.bulk`; this view only shows it."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys import bulk
from surveys.models import Practice, Provider
from surveys.views_staff import staff_required

FILE_FIELD = "referrals"


@staff_required
@require_http_methods(["GET", "POST"])
def enrolment_upload(request):
    if request.method == "GET" and request.GET.get("template"):
        return _template_csv(request.user)
    errors: list[str] = []
    if request.method == "POST":
        uploaded = request.FILES.get(FILE_FIELD)
        if uploaded is None:
            errors = [_("Select a CSV file of referrals to upload.")]
        else:
            try:
                rows = bulk.referral_file_read(uploaded)
            except bulk.ReferralFileError as error:
                errors = error.messages
            else:
                result = bulk.referrals_enrol(rows=rows, user=request.user)
                return render(
                    request,
                    "staff/enrolment_upload_result.html",
                    {"result": result, "file_name": uploaded.name},
                )
    return render(
        request,
        "staff/enrolment_upload.html",
        {
            "errors": errors,
            "error_summary": [(FILE_FIELD, message) for message in errors],
            "required_columns": bulk.REQUIRED_COLUMNS,
            "optional_columns": bulk.OPTIONAL_COLUMNS,
            "max_rows": bulk.MAX_ROWS,
            "max_megabytes": bulk.MAX_FILE_BYTES // 1024**2,
        },
    )


def _template_csv(user) -> HttpResponse:
    """The header and one synthetic example row (a 999-range NHS number, never issued),
    with one of the user's providers and a known practice so the example row is accepted."""
    example = dict(bulk.TEMPLATE_EXAMPLE)
    provider = Provider.objects.for_user(user).order_by("ods_code").first()
    if provider is not None:
        example["provider_ods_code"] = provider.ods_code
    practice = Practice.objects.order_by("ods_code").first()
    example["practice_ods_code"] = practice.ods_code if practice is not None else ""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(bulk.COLUMNS)
    writer.writerow([example.get(column, "") for column in bulk.COLUMNS])
    # A byte-order mark so that Excel opens the file as UTF-8.
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="referrals-template.csv"'
    return response
