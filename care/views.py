"""Staff worklists, score alerts and the daily e-mail setting (thin: selectors in worklists.py,
writes in services.py and alerts.py). Scoped to the user's providers: anything else is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from care import worklists
from care.alerts import TRANSITIONS, alert_transition, note_required
from care.forms import AlertEmailForm, AlertStateForm, NoteForm, WeeksForm
from care.models import Alert, AlertEmailSubscription, ContactRequest
from care.services import contact_request_done, staff_contact_record
from surveys.models import Episode
from surveys.services import JourneyError, invitation_unlock, pathway_spec
from surveys.views_staff import staff_required

PAGE_SIZE = 50


def _page(request, queryset):
    """One page of a worklist, running its (filtered, ordered) query once: the ids in order (a
    worklist holds thousands at most), then the page's rows with their related records.
    Paginating the queryset itself would run the filters twice, for the count and the rows."""
    ids = list(queryset.values_list("pk", flat=True))
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    by_pk = {row.pk: row for row in _with_related(queryset, page.object_list)}
    page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    return page


def _with_related(queryset, ids):
    """The rows of ``ids`` with the same select_related as ``queryset`` (no filters again)."""
    rows = queryset.model.objects.filter(pk__in=list(ids))
    related = queryset.query.select_related
    if isinstance(related, dict):
        rows = rows.select_related(*_paths(related))
    return rows


def _paths(tree: dict, prefix: str = "") -> list[str]:
    paths = []
    for name, children in tree.items():
        path = f"{prefix}{name}"
        paths += _paths(children, f"{path}__") if children else [path]
    return paths


def _labels(invitations) -> dict:
    """Label each invitation with its timepoint's words ("3 months after your referral")."""
    labels = {}
    for invitation in invitations:
        pathway = invitation.episode.pathway
        key = (pathway.code, pathway.version)
        if key not in labels:
            labels[key] = {t.code: t.label for t in pathway_spec(pathway).timepoints}
        invitation.label = labels[key].get(invitation.timepoint, invitation.timepoint)
    return invitations


@staff_required
def home(request):
    return render(request, "care/home.html")  # the counts come from care_tags.worklist_counts


@staff_required
def overdue(request):
    page = _page(
        request,
        worklists.overdue(request.user).select_related(
            "episode__patient", "episode__pathway", "episode__provider"
        ),
    )
    _labels(page.object_list)
    return render(request, "care/overdue.html", {"page": page})


@staff_required
def locked(request):
    page = _page(
        request,
        worklists.locked_links(request.user).select_related(
            "episode__patient", "episode__pathway", "episode__provider"
        ),
    )
    _labels(page.object_list)
    return render(request, "care/locked.html", {"page": page})


@require_POST
@staff_required
def unlock(request, pk):
    invitation = get_object_or_404(worklists.locked_links(request.user), pk=pk)
    try:
        invitation_unlock(invitation=invitation, by=request.user)
    except JourneyError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The link works again. The patient can use the message they already have.")
        )
    return redirect("care:locked")


@staff_required
def failed_messages(request):
    page = _page(
        request,
        worklists.failed_messages(request.user).select_related(
            "invitation__episode__patient",
            "invitation__episode__pathway",
            "invitation__episode__provider",
        ),
    )
    for notification in page.object_list:
        notification.episode = notification.invitation.episode
    _labels([n.invitation for n in page.object_list])
    return render(request, "care/failed_messages.html", {"page": page})


@staff_required
def no_contact(request):
    form = WeeksForm(request.GET or None, initial={"weeks": worklists.no_contact_weeks_default()})
    weeks = form.cleaned_data["weeks"] if form.is_valid() else worklists.no_contact_weeks_default()
    page = _page(
        request,
        worklists.no_contact(request.user, weeks).select_related("patient", "pathway", "provider"),
    )
    return render(
        request,
        "care/no_contact.html",
        {"page": page, "form": form, "weeks": weeks, "query": f"weeks={weeks}"},
    )


@require_POST
@staff_required
def contact_record(request, pk):
    episode = get_object_or_404(Episode.objects.for_user(request.user), pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            staff_contact_record(episode=episode, by=request.user, note=form.cleaned_data["note"])
        except JourneyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Contact recorded."))
    else:
        messages.error(request, form.errors["note"][0])
    weeks = request.POST.get("weeks", "")
    target = redirect("care:no_contact")
    if weeks.isdigit():
        target["Location"] += f"?weeks={weeks}"
    return target


@staff_required
def contact_requests(request):
    page = _page(
        request,
        worklists.contact_requests(request.user).select_related(
            "episode__patient", "episode__pathway", "episode__provider"
        ),
    )
    return render(request, "care/contact_requests.html", {"page": page})


@require_POST
@staff_required
def contact_request_close(request, pk):
    contact_request = get_object_or_404(ContactRequest.objects.for_user(request.user), pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["note"][0])
        return redirect("care:contact_requests")
    try:
        contact_request_done(
            contact_request=contact_request, by=request.user, note=form.cleaned_data["note"]
        )
    except JourneyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Contact recorded. The request is off the list."))
    return redirect("care:contact_requests")


ALERT_FILTERS = {
    "open": (Alert.State.NEW, Alert.State.SEEN),
    "acted": (Alert.State.ACTED,),
    "closed": (Alert.State.CLOSED,),
}


@staff_required
def alerts(request):
    shown = request.GET.get("state", "open")
    if shown not in ALERT_FILTERS:
        shown = "open"
    queryset = (
        worklists.alerts_open(request.user, ALERT_FILTERS[shown])
        .select_related("episode__patient", "episode__pathway", "episode__provider")
        .order_by("level", "-raised_at", "-pk")  # "routine" sorts after "urgent"
    )
    return render(
        request,
        "care/alerts.html",
        {"page": _page(request, queryset), "shown": shown, "query": f"state={shown}"},
    )


def _actions(alert: Alert) -> list[dict]:
    labels = {
        Alert.State.SEEN: _("Mark as seen"),
        Alert.State.ACTED: _("Record the action taken"),
        Alert.State.CLOSED: _("Close"),
    }
    return [
        {
            "to_state": state,
            "label": labels[state],
            "note": note_required(alert.state, state),
            "form": AlertStateForm(initial={"to_state": state}, prefix=state),
        }
        for state in TRANSITIONS[alert.state]
    ]


@require_http_methods(["GET", "POST"])
@staff_required
def alert_detail(request, pk):
    alert = get_object_or_404(
        Alert.objects.for_user(request.user).select_related(
            "episode__patient", "episode__pathway", "episode__provider", "response__invitation"
        ),
        pk=pk,
    )
    error = None
    if request.method == "POST":
        state = request.POST.get("to_state", "")
        form = AlertStateForm(request.POST, prefix=state if state in Alert.State.values else None)
        if form.is_valid():
            try:
                alert_transition(
                    alert=alert,
                    to_state=form.cleaned_data["to_state"],
                    by=request.user,
                    note=form.cleaned_data["note"],
                )
            except JourneyError as problem:
                error = str(problem)
            else:
                messages.success(
                    request,
                    _("Alert marked as %(state)s.")
                    % {"state": Alert.State(form.cleaned_data["to_state"]).label.lower()},
                )
                return redirect("care:alert_detail", pk=alert.pk)
        else:
            error = _("Choose what to do with this alert.")
    _labels([alert.response.invitation])
    alert.response.invitation.episode = alert.episode
    return render(
        request,
        "care/alert_detail.html",
        {
            "alert": alert,
            "label": getattr(alert.response.invitation, "label", ""),
            "changes": alert.changes.select_related("by"),
            "actions": _actions(alert),
            "error": error,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def alert_email(request):
    subscription = AlertEmailSubscription.objects.filter(user=request.user).first()
    enabled = bool(subscription and subscription.enabled)
    form = AlertEmailForm(request.POST or None, initial={"enabled": enabled})
    if request.method == "POST" and form.is_valid():
        wanted = form.cleaned_data["enabled"]
        if wanted and not request.user.email:
            form.add_error(
                "enabled", _("Your log-in has no e-mail address. Ask an administrator to add one.")
            )
        else:
            AlertEmailSubscription.objects.update_or_create(
                user=request.user, defaults={"enabled": wanted}
            )
            messages.success(
                request,
                _("You will get the daily e-mail.") if wanted else _("Daily e-mail turned off."),
            )
            return redirect("care:home")
    return render(request, "care/alert_email.html", {"form": form})
