"""Staff pages: find or create patients, enrol them, follow their episodes, enter answers.

Every page needs a log-in; staff see only their providers' patients and episodes (404 for the
rest). Writes go through :mod:`surveys.services` and :mod:`notifications.services`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notifications.services import invitation_resend
from outcomes.audit import audit_read
from outcomes.harmonisation import classify_change, round_half_up
from outcomes.loading import catalogue
from outcomes.selectors import (
    instruments_without_patient_wording,
    pathways_awaiting_wording,
    placeholder_wording_allowed,
    wording_gaps,
)
from surveys import questionnaire
from surveys.forms import AnswerModeForm, EnrolForm, EventForm, FindPatientForm, PatientForm
from surveys.models import Episode, Invitation, Patient, Provider, Response
from surveys.services import (
    JourneyError,
    episode_enrol,
    event_record,
    pathway_spec,
    patient_create,
    response_submit,
)
from surveys.validators import nhs_number_normalise

FOUND_KEY = "staff_found_patients"  # patients this user looked up by NHS number (may enrol)
# NHS numbers travel between the find and add pages in the session, never in an address: a query
# string ends up in access logs, browser history and proxies.
NEW_NUMBER_KEY = "staff_new_patient_nhs_number"  # searched for, not found: prefill "Add a patient"
FIND_NUMBER_KEY = "staff_find_nhs_number"  # a duplicate on "Add a patient": prefill the search


def staff_required(view):
    """Log-in required; a user with no provider sees a polite notice instead of the page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not works_for_a_provider(request.user):
            return render(request, "staff/no_provider.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def works_for_a_provider(user) -> bool:
    """Whether the user cares for a provider's patients (a superuser sees all). Programme
    analysts (Django staff with no provider) do not: they read figures, never patients. Kept
    on the user for the request, so the staff menu asks the database at most once."""
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    known = getattr(user, "_works_for_a_provider", None)
    if known is None:
        known = Provider.objects.for_user(user).exists()
        user._works_for_a_provider = known
    return known


def visible_patients(user):
    """Patients with an episode at one of the user's providers, or created by the user."""
    if user.is_superuser:
        return Patient.objects.all()
    return Patient.objects.filter(Q(episodes__provider__staff=user) | Q(created_by=user)).distinct()


def _enrollable_patient(request, pk):
    found = request.session.get(FOUND_KEY, [])
    patient = visible_patients(request.user).filter(pk=pk).first()
    if patient is None and pk in found:
        patient = Patient.objects.filter(pk=pk).first()
    if patient is None:
        raise Http404
    return patient


@staff_required
def home(request):
    providers = list(Provider.objects.for_user(request.user))
    # Newest referral first (date order staff expect), then the latest enrolled that day: for
    # one provider the first 20 entries of the index episode_recent, for several a top-20 sort
    # of theirs (not a sort of every episode joined to the staff table).
    recent = (
        Episode.objects.filter(provider__in=[provider.pk for provider in providers])
        .select_related("patient", "pathway", "provider")
        .order_by("-referred_on", "-created_at", "-pk")[:20]
    )
    return render(
        request,
        "staff/home.html",
        {
            "find_form": FindPatientForm(),
            "recent": recent,  # the worklist counts come from care's template tag
            "providers": providers,
            "held_pathways": pathways_awaiting_wording(),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def patient_find(request):
    """Find a patient by NHS number: a POST, so the number never reaches an address or a log."""
    if request.method != "POST":
        # The number carried over from a duplicate on "Add a patient" (never in the address).
        initial = {"nhs_number": request.session.pop(FIND_NUMBER_KEY, "")}
        return render(
            request, "staff/patient_find.html", {"find_form": FindPatientForm(initial=initial)}
        )
    form = FindPatientForm(request.POST)
    if not form.is_valid():
        return render(request, "staff/patient_find.html", {"find_form": form}, status=400)
    number = form.cleaned_data["nhs_number"]
    patient = Patient.objects.filter(nhs_number=number).first()
    if patient is None:
        request.session[NEW_NUMBER_KEY] = number
        messages.info(request, _("No patient has this NHS number yet. You can add them now."))
        return redirect("staff:patient_new")
    if visible_patients(request.user).filter(pk=patient.pk).exists():
        return redirect("staff:patient_detail", pk=patient.pk)
    # Found at another service: the next page shows this patient's name and date of birth.
    audit_read(request=request, obj=patient, details={"found_by": "nhs_number"})
    found = request.session.get(FOUND_KEY, [])
    if patient.pk not in found:
        request.session[FOUND_KEY] = [*found[-49:], patient.pk]
    messages.info(
        request,
        _("This patient is already registered with another service. Enrol them with yours."),
    )
    return redirect("staff:episode_new", pk=patient.pk)


@staff_required
def patient_new(request):
    if request.method == "POST":
        form = PatientForm(request.POST)
        if form.is_valid():
            try:
                patient = patient_create(by=request.user, **form.cleaned_data)
            except JourneyError as error:
                form.add_error("nhs_number", str(error))
            else:
                messages.success(request, _("Patient added. Now enrol them on a pathway."))
                if patient.area_id is None:
                    messages.warning(
                        request,
                        _(
                            "We could not find this postcode's area, so deprivation will not be "
                            "recorded. Check the postcode with the patient."
                        ),
                    )
                return redirect("staff:episode_new", pk=patient.pk)
        if form.has_error("nhs_number", code="duplicate"):
            # "Go to this patient" opens the find page with this number ready to search.
            request.session[FIND_NUMBER_KEY] = nhs_number_normalise(form.data["nhs_number"])
    else:
        form = PatientForm(initial={"nhs_number": request.session.pop(NEW_NUMBER_KEY, "")})
    return render(request, "staff/patient_form.html", {"form": form})


@staff_required
def patient_detail(request, pk):
    patient = get_object_or_404(visible_patients(request.user).select_related("practice"), pk=pk)
    episodes = (
        Episode.objects.for_user(request.user)
        .filter(patient=patient)
        .select_related("pathway", "provider")
    )
    audit_read(request=request, obj=patient)
    return render(request, "staff/patient_detail.html", {"patient": patient, "episodes": episodes})


@staff_required
def episode_new(request, pk):
    patient = _enrollable_patient(request, pk)
    form = EnrolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            episode = episode_enrol(patient=patient, by=request.user, **form.cleaned_data)
        except JourneyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Patient enrolled. Their questionnaires are scheduled."))
            return redirect("staff:episode_detail", pk=episode.pk)
    return render(
        request,
        "staff/episode_form.html",
        {"form": form, "patient": patient, "held_pathways": pathways_awaiting_wording()},
    )


def _episode_for(request, pk):
    return get_object_or_404(
        Episode.objects.for_user(request.user).select_related("patient", "pathway", "provider"),
        pk=pk,
    )


def _number(value, decimals):
    if value is None:
        return None
    if isinstance(value, int | float):
        shown = round_half_up(value, decimals)
        return f"{shown:.{decimals}f}" if decimals else f"{int(shown)}"
    return str(value)


def _score_range(score) -> str:
    """ "0 to 48, higher is better": what a number means, beside it."""
    if score.minimum is None or score.maximum is None:
        return ""
    low, high = (_number(v, score.decimals if v % 1 else 0) for v in (score.minimum, score.maximum))
    if score.higher_is_better is None:
        return _("%(low)s to %(high)s") % {"low": low, "high": high}
    better = _("higher is better") if score.higher_is_better else _("lower is better")
    return _("%(low)s to %(high)s, %(better)s") % {"low": low, "high": high, "better": better}


def status_label(invitation: Invitation) -> str:
    """The status in words; a link locked by wrong dates of birth says so, whatever its status."""
    if invitation.locked_at is not None and invitation.status in Invitation.OUTSTANDING:
        return _("Locked (wrong dates of birth)")
    return invitation.get_status_display()


def timeline(episode: Episode) -> list[dict]:
    """Each invitation with its label, window, status in words and scores with change.

    Change is shown against the pathway's baseline questionnaire only (its first timepoint), as
    in the outcome figures: when the baseline was never answered (it expired), no change since
    baseline exists, and none is worked out against a later answer.
    """
    spec_pathway = pathway_spec(episode.pathway)
    labels = {tp.code: tp.label for tp in spec_pathway.timepoints}
    baseline_code = spec_pathway.timepoints[0].code
    invitations = list(
        episode.invitations.select_related("response", "anchor_event").prefetch_related(
            "response__results__instrument"
        )
    )
    definitions = catalogue()
    today = timezone.localdate()
    unworded = (
        frozenset() if placeholder_wording_allowed() else instruments_without_patient_wording()
    )
    baseline: dict[str, dict] = {}  # instrument code -> scores of the baseline answers
    for invitation in invitations:
        is_baseline = invitation.timepoint == baseline_code and invitation.anchor_event_id is None
        if is_baseline and _has_response(invitation):
            for result in invitation.response.results.all():
                baseline[result.instrument.code] = result.scores
    rows = []
    for invitation in sorted(invitations, key=lambda i: (i.due_on, i.pk)):
        response = getattr(invitation, "response", None) if _has_response(invitation) else None
        is_baseline = invitation.timepoint == baseline_code and invitation.anchor_event_id is None
        scores = []
        if response is not None:
            for result in sorted(response.results.all(), key=lambda r: r.instrument.code):
                spec = definitions.instrument(result.instrument.code, result.instrument.version)
                first = None if is_baseline else baseline.get(spec.code)
                for score in spec.scores:
                    value = result.scores.get(score.name)
                    if value is None or score.kind == "label":
                        continue
                    row = {
                        "instrument": spec.short_title or spec.title,
                        "label": score.label,
                        "value": _number(value, score.decimals),
                        "range": _score_range(score),
                        "change": None,
                        "direction": None,
                    }
                    before = first.get(score.name) if first is not None else None
                    if (
                        first is not None
                        and isinstance(value, int | float)
                        and isinstance(before, int | float)
                    ):
                        diff = value - before
                        sign = "+" if diff > 0 else ""
                        row["change"] = sign + _number(diff, score.decimals)
                        row["direction"] = classify_change(score, before, value)
                    scores.append(row)
        rows.append(
            {
                "invitation": invitation,
                "label": labels.get(invitation.timepoint, invitation.timepoint),
                "status": status_label(invitation),
                "is_baseline": is_baseline,
                "no_baseline": bool(scores) and not is_baseline and not baseline,
                "response": response,
                "scores": scores,
                "outstanding": invitation.status in Invitation.OUTSTANDING,
                "open_now": invitation.opens_on <= today <= invitation.closes_on,
                # A paper form that arrives late may still be entered until the window expires.
                "has_opened": invitation.opens_on <= today,
                # Why the scheduler holds it (production, licensed wording not loaded).
                "wording_gaps": wording_gaps(invitation.instruments, unworded)
                if invitation.status in Invitation.OUTSTANDING and unworded
                else [],
            }
        )
    return rows


def _has_response(invitation) -> bool:
    try:
        invitation.response  # noqa: B018 - the reverse one-to-one raises when there is none
    except Response.DoesNotExist:
        return False
    return True


def _events(episode: Episode) -> list[dict]:
    """Each event with its procedure in words (a pathway's procedure type code, or free text)."""
    labels = {p.code: p.label for p in pathway_spec(episode.pathway).procedure_types}
    return [
        {"event": event, "procedure": labels.get(event.procedure, event.procedure)}
        for event in episode.events.all()
    ]


@staff_required
def episode_detail(request, pk):
    episode = _episode_for(request, pk)
    audit_read(request=request, obj=episode, details={"patient": episode.patient_id})
    return render(
        request,
        "staff/episode_detail.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "rows": timeline(episode),
            "baseline_label": pathway_spec(episode.pathway).timepoints[0].label,
            "events": _events(episode),
            "active": episode.status == Episode.Status.ACTIVE,
        },
    )


@staff_required
def event_new(request, pk):
    episode = _episode_for(request, pk)
    form = EventForm(request.POST or None, pathway=pathway_spec(episode.pathway))
    if request.method == "POST" and form.is_valid():
        try:
            event_record(episode=episode, by=request.user, **form.cleaned_data)
        except JourneyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Event recorded."))
            return redirect("staff:episode_detail", pk=episode.pk)
    return render(request, "staff/event_form.html", {"form": form, "episode": episode})


def _invitation_for(request, pk):
    return get_object_or_404(
        Invitation.objects.filter(
            episode__in=Episode.objects.for_user(request.user)
        ).select_related("episode__patient", "episode__pathway"),
        pk=pk,
    )


def _not_open_yet(invitation) -> str:
    return _("This questionnaire opens on %(date)s. You can send a link or enter answers then.") % {
        "date": date_format(invitation.opens_on, "j F Y")
    }


@require_POST
@staff_required
def invitation_resend_view(request, pk):
    invitation = _invitation_for(request, pk)
    if invitation.opens_on > timezone.localdate():
        # A link before the window opens would only show the patient a "not open yet" page.
        messages.error(request, _not_open_yet(invitation))
        return redirect("staff:episode_detail", pk=invitation.episode_id)
    try:
        invitation_resend(invitation=invitation, by=request.user)
    except JourneyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link was sent"))
    return redirect("staff:episode_detail", pk=invitation.episode_id)


@staff_required
def invitation_answers(request, pk):
    invitation = _invitation_for(request, pk)
    episode = invitation.episode
    if invitation.status not in Invitation.OUTSTANDING:
        messages.error(request, _("This questionnaire is no longer open for answers."))
        return redirect("staff:episode_detail", pk=episode.pk)
    if invitation.opens_on > timezone.localdate():
        messages.error(request, _not_open_yet(invitation))
        return redirect("staff:episode_detail", pk=episode.pk)
    pages = questionnaire.instrument_pages(invitation.instruments, invitation.follow_up)
    language = episode.patient.preferred_language
    mode_form = AnswerModeForm(request.POST or None)
    parsed = {}
    error_summary: list[tuple[str, str]] = []
    if request.method == "POST":
        all_ids = {"mode"} | {item.id for page in pages for item in page.items}
        for page in pages:
            parsed[page.code] = questionnaire.parse_page(
                page, request.POST, require_answers=False, extra_fields=all_ids
            )
        if not mode_form.is_valid():
            error_summary.append(("mode_0", mode_form.errors["mode"][0]))
        for page in pages:
            result = parsed[page.code]
            if not result.errors and all(value is None for value in result.values.values()):
                # Gaps are fine on paper, but a questionnaire with no answers at all is not one.
                result.errors[page.items[0].id] = _(
                    "Enter at least one answer for %(title)s, or leave it until the patient "
                    "has answered"
                ) % {"title": page.instrument.title}
            error_summary += questionnaire.error_summary(page, result.errors)
        if not error_summary:
            answers = {code: result.values for code, result in parsed.items()}
            try:
                response_submit(
                    invitation=invitation,
                    answers=answers,
                    mode=mode_form.cleaned_data["mode"],
                    by=request.user,
                )
            except JourneyError as error:
                error_summary.append(("main", str(error)))
            else:
                messages.success(request, _("Answers saved and scored."))
                return redirect("staff:episode_detail", pk=episode.pk)
    sections = []
    for page in pages:
        result = parsed.get(page.code)
        values = result.raw if result is not None else invitation.draft_answers.get(page.code, {})
        sections.append(
            {
                "page": page,
                "title": page.instrument.title,
                "questions": questionnaire.render_items(
                    page,
                    language=language,
                    values=values,
                    errors=result.errors if result is not None else None,
                ),
            }
        )
    labels = {tp.code: tp.label for tp in pathway_spec(episode.pathway).timepoints}
    return render(
        request,
        "staff/invitation_answers.html",
        {
            "invitation": invitation,
            "episode": episode,
            "patient": episode.patient,
            "label": labels.get(invitation.timepoint, invitation.timepoint),
            "mode_form": mode_form,
            "sections": sections,
            "error_summary": error_summary,
        },
        status=400 if error_summary else 200,
    )
