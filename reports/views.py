"""Thin views: the staff reports page, downloads and the e-mail toggle."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from analytics.access import aggregate_staff_required
from outcomes.loading import catalogue
from reports import services
from reports.forms import PackRequestForm
from reports.models import BoardPack, ReportSubscription

LISTED = 60  # packs on the page, newest first


@aggregate_staff_required
@require_http_methods(["GET", "POST"])
def pack_list(request: HttpRequest) -> HttpResponse:
    form = PackRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pack = services.board_pack_request(filters=form.filters(), by=request.user)
        pack.refresh_from_db()
        if pack.status == BoardPack.Status.READY:
            messages.success(request, _("The board pack “%s” is ready to download.") % pack.title)
        elif pack.status == BoardPack.Status.FAILED:
            messages.error(request, pack.error)
        else:
            messages.success(
                request,
                _("The board pack “%s” is being prepared. Refresh this page in a minute.")
                % pack.title,
            )
        return redirect("reports:list")
    packs = BoardPack.objects.defer("pdf").select_related("requested_by")[:LISTED]
    return render(
        request,
        "reports/list.html",
        {
            "form": form,
            "monthly": [p for p in packs if p.kind == BoardPack.Kind.MONTHLY],
            "on_demand": [p for p in packs if p.kind == BoardPack.Kind.ON_DEMAND],
            "subscribed": ReportSubscription.objects.filter(user=request.user).exists(),
            "value_conditions": sorted(
                (c for c in catalogue().conditions.values() if c.active), key=lambda c: c.order
            ),
        },
        status=400 if form.errors else 200,
    )


@aggregate_staff_required
def pack_download(request: HttpRequest, pk: int) -> HttpResponse:
    pack = get_object_or_404(BoardPack, pk=pk)
    if pack.status != BoardPack.Status.READY or not pack.pdf:
        raise Http404
    services.board_pack_download_record(pack=pack, by=request.user)
    response = HttpResponse(bytes(pack.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@aggregate_staff_required
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    subscribe = request.POST.get("subscribe") == "1"
    if subscribe and not request.user.email:
        messages.error(
            request,
            _("Your log-in has no e-mail address. Ask an administrator to add one first."),
        )
        return redirect("reports:list")
    services.subscription_set(user=request.user, subscribed=subscribe)
    messages.success(
        request,
        _("You will get an e-mail when each monthly board pack is ready.")
        if subscribe
        else _("You will no longer get board pack e-mails."),
    )
    return redirect("reports:list")
