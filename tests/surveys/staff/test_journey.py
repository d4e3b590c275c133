import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from surveys import services
from surveys.models import Episode, EpisodeEvent, Invitation, Response
from surveys.questionnaire import instrument_pages, is_scale_box
from tests.factories import PatientFactory
from tests.surveys.staff.conftest import enrol

pytestmark = pytest.mark.django_db


def date_parts(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def answers_post(invitation, pick="first"):
    data = {}
    for page in instrument_pages(invitation.instruments, invitation.follow_up):
        for item in page.items:
            if item.kind == "choice":
                codes = [option.code for option in item.options]
                data[item.id] = str(codes[0] if pick == "first" else codes[-1])
            else:
                data[item.id] = str(item.minimum if pick == "first" else item.maximum)
    return data


def test_enrol_creates_episode_and_invitations(client_a, provider_a, knee):
    patient = PatientFactory()
    found = client_a.post(reverse("staff:patient_find"), {"nhs_number": patient.nhs_number})
    assert found.url == reverse("staff:episode_new", args=[patient.pk])
    page = client_a.get(found.url).content.decode()
    assert "Knee" in page
    referred = timezone.localdate() - dt.timedelta(days=3)
    response = client_a.post(
        found.url,
        {"pathway": knee.pk, "provider": provider_a.pk, **date_parts("referred_on", referred)},
    )
    episode = Episode.objects.get(patient=patient)
    assert response.url == reverse("staff:episode_detail", args=[episode.pk])
    assert episode.provider == provider_a and episode.referred_on == referred
    assert episode.invitations.filter(anchor_event__isnull=True).count() >= 5
    # the same referral again is refused politely and changes nothing
    again = client_a.post(
        found.url,
        {"pathway": knee.pk, "provider": provider_a.pk, **date_parts("referred_on", referred)},
    )
    assert "already enrolled" in again.content.decode()
    assert Episode.objects.filter(patient=patient).count() == 1


def test_enrol_refuses_future_date_and_other_provider(client_a, episode_a, provider_b, knee):
    url = reverse("staff:episode_new", args=[episode_a.patient.pk])
    future = timezone.localdate() + dt.timedelta(days=2)
    body = client_a.post(
        url, {"pathway": knee.pk, "provider": provider_b.pk, **date_parts("referred_on", future)}
    ).content.decode()
    assert "cannot be in the future" in body
    assert 'id="provider-error"' in body
    assert Episode.objects.filter(patient=episode_a.patient).count() == 1


def test_procedure_needs_its_type_and_a_knee_replacement_starts_timepoints(
    client_a, provider_a, staff_a
):
    # Referred 100 days ago: the operation's questionnaires do not coincide with the referral's.
    episode_a = enrol(
        provider_a, staff_a, referred_on=timezone.localdate() - dt.timedelta(days=100)
    )
    url = reverse("staff:event_new", args=[episode_a.pk])
    day = timezone.localdate()
    body = client_a.post(url, {"kind": "procedure", **date_parts("occurred_on", day)})
    assert 'id="procedure-error"' in body.content.decode()
    assert not episode_a.events.exists()
    client_a.post(
        url,
        {
            "kind": "procedure",
            "procedure": "total-knee-replacement",
            **date_parts("occurred_on", day),
        },
    )
    event = episode_a.events.get()
    assert event.invitations.count() == 2  # 6 and 12 months after the operation
    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).content.decode()
    assert "(Total knee replacement)" in page


def test_the_event_form_offers_the_pathways_procedure_types(client_a, episode_a):
    body = client_a.get(reverse("staff:event_new", args=[episode_a.pk])).content.decode()
    for label in ("Total knee replacement", "Partial knee replacement", "Arthroscopy", "Injection"):
        assert label in body
    assert 'value="injection"' in body


def test_an_injection_is_recorded_and_starts_no_timepoints(client_a, episode_a):
    url = reverse("staff:event_new", args=[episode_a.pk])
    day = timezone.localdate()
    response = client_a.post(
        url, {"kind": "procedure", "procedure": "injection", **date_parts("occurred_on", day)}
    )
    assert response.status_code == 302
    assert not episode_a.events.get().invitations.exists()


def test_a_procedure_type_not_offered_is_refused_with_an_inline_error(client_a, episode_a):
    url = reverse("staff:event_new", args=[episode_a.pk])
    day = timezone.localdate()
    body = client_a.post(
        url, {"kind": "procedure", "procedure": "hip", **date_parts("occurred_on", day)}
    ).content.decode()
    assert 'id="procedure-error"' in body
    assert "Select the type of procedure from the list." in body
    assert not episode_a.events.exists()


def test_an_event_form_dated_in_the_future_is_refused_and_saves_nothing(client_a, episode_a):
    url = reverse("staff:event_new", args=[episode_a.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    body = client_a.post(
        url, {"kind": "assessment", **date_parts("occurred_on", tomorrow)}
    ).content.decode()
    assert 'id="occurred_on-error"' in body
    assert "cannot be in the future" in body
    assert not episode_a.events.exists()


def test_an_event_form_dated_before_the_referral_is_refused_politely(client_a, staff_a, provider_a):
    from tests.surveys.staff.conftest import enrol

    episode = enrol(provider_a, staff_a, referred_on=timezone.localdate() - dt.timedelta(days=5))
    url = reverse("staff:event_new", args=[episode.pk])
    before = episode.referred_on - dt.timedelta(days=1)
    body = client_a.post(url, {"kind": "assessment", **date_parts("occurred_on", before)})
    assert "The event cannot be before the referral date." in body.content.decode()
    assert not episode.events.exists()


def test_closing_event_cancels_outstanding(client_a, episode_a):
    url = reverse("staff:event_new", args=[episode_a.pk])
    response = client_a.post(
        url, {"kind": "discharge", **date_parts("occurred_on", timezone.localdate())}
    )
    assert response.status_code == 302
    episode_a.refresh_from_db()
    assert episode_a.status == Episode.Status.DISCHARGED
    statuses = set(episode_a.invitations.values_list("status", flat=True))
    assert statuses == {Invitation.Status.CANCELLED}
    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).content.decode()
    assert "Cancelled" in page
    assert "Send a new link" not in page


def test_resend_makes_old_link_stop_working(client_a, episode_a, staff_a):
    invitation = episode_a.invitations.order_by("due_on").first()
    old = services.invitation_link_issue(invitation=invitation, by=staff_a)
    response = client_a.post(reverse("staff:invitation_resend", args=[invitation.pk]), follow=True)
    body = response.content.decode()
    assert "A new link was sent" in body
    assert old not in body
    assert services.invitation_for_token(old) is None
    invitation.refresh_from_db()
    assert invitation.token_hash
    assert Notification.objects.filter(
        invitation=invitation, kind=Notification.Kind.RESEND
    ).exists()


def test_resend_needs_post(client_a, episode_a):
    invitation = episode_a.invitations.first()
    url = reverse("staff:invitation_resend", args=[invitation.pk])
    assert client_a.get(url).status_code == 405


def test_staff_answer_entry_stores_mode_and_scores(client_a, episode_a, staff_a):
    invitation = episode_a.invitations.order_by("due_on").first()
    url = reverse("staff:invitation_answers", args=[invitation.pk])
    page = client_a.get(url).content.decode()
    assert "How were the answers given?" in page
    response = client_a.post(url, {"mode": "paper", **answers_post(invitation)})
    assert response.status_code == 302
    stored = Response.objects.get(invitation=invitation)
    assert stored.mode == Response.Mode.PAPER
    assert stored.entered_by == staff_a
    assert stored.results.count() == len(invitation.instruments)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED


def test_staff_answer_entry_errors_keep_values(client_a, episode_a):
    invitation = episode_a.invitations.order_by("due_on").first()
    url = reverse("staff:invitation_answers", args=[invitation.pk])
    data = answers_post(invitation)
    scale = next(
        item
        for page in instrument_pages(invitation.instruments, invitation.follow_up)
        for item in page.items
        if is_scale_box(item)
    )
    data[scale.id] = "999"
    response = client_a.post(url, data)  # no mode, a number out of range
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Select how the answers were given." in body
    assert 'value="999"' in body
    assert " checked" in body
    assert not Response.objects.filter(invitation=invitation).exists()


def test_a_blank_paper_entry_is_refused_with_an_error_for_each_questionnaire(client_a, episode_a):
    invitation = episode_a.invitations.order_by("due_on").first()
    url = reverse("staff:invitation_answers", args=[invitation.pk])
    response = client_a.post(url, {"mode": "staff"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    for page in instrument_pages(invitation.instruments, invitation.follow_up):
        assert f"Enter at least one answer for {page.instrument.title}" in body
    assert not Response.objects.filter(invitation=invitation).exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SCHEDULED


def test_a_paper_entry_with_gaps_is_stored_and_scored(client_a, episode_a):
    invitation = episode_a.invitations.order_by("due_on").first()
    url = reverse("staff:invitation_answers", args=[invitation.pk])
    data = answers_post(invitation)
    first_page = instrument_pages(invitation.instruments, invitation.follow_up)[0]
    del data[first_page.items[0].id]
    response = client_a.post(url, {"mode": "paper", **data})
    assert response.status_code == 302
    stored = Response.objects.get(invitation=invitation)
    assert stored.answers[first_page.code][first_page.items[0].id] is None


def test_the_service_refuses_a_blank_staff_entry_and_stores_nothing(episode_a, staff_a):
    invitation = episode_a.invitations.order_by("due_on").first()
    with pytest.raises(services.JourneyError, match="Enter at least one answer"):
        services.response_submit(invitation=invitation, answers={}, mode="paper", by=staff_a)
    assert not Response.objects.exists()


def test_answer_entry_before_the_window_opens_says_when_it_opens(client_a, episode_a):
    later = episode_a.invitations.order_by("due_on").last()
    url = reverse("staff:invitation_answers", args=[later.pk])
    response = client_a.post(url, {"mode": "paper", **answers_post(later)}, follow=True)
    body = response.content.decode()
    assert "This questionnaire opens on" in body
    assert not Response.objects.filter(invitation=later).exists()


def test_the_answer_page_is_not_shown_before_the_window_opens(client_a, episode_a):
    later = episode_a.invitations.order_by("due_on").last()
    response = client_a.get(reverse("staff:invitation_answers", args=[later.pk]))
    assert response["Location"] == reverse("staff:episode_detail", args=[episode_a.pk])


def test_the_service_refuses_answers_before_the_window_opens(episode_a, staff_a):
    later = episode_a.invitations.order_by("due_on").last()
    with pytest.raises(services.JourneyError, match="opens on"):
        services.response_submit(
            invitation=later, answers=_answers(later, "first"), mode="paper", by=staff_a
        )
    assert not Response.objects.exists()


def test_the_episode_page_offers_answer_entry_only_once_a_window_has_opened(client_a, episode_a):
    body = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).content.decode()
    open_now = episode_a.invitations.order_by("due_on").first()
    later = episode_a.invitations.order_by("due_on").last()
    assert reverse("staff:invitation_answers", args=[open_now.pk]) in body
    assert reverse("staff:invitation_answers", args=[later.pk]) not in body


def test_episode_page_shows_change_since_baseline(client_a, episode_a, staff_a):
    baseline, later = episode_a.invitations.order_by("due_on")[:2]
    services.response_submit(
        invitation=baseline,
        answers=_answers(baseline, "first"),
        mode="self",
    )
    noon = timezone.make_aware(dt.datetime.combine(later.due_on, dt.time(12)))
    with time_machine.travel(noon, tick=False):
        services.response_submit(invitation=later, answers=_answers(later, "last"), mode="staff")
    body = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).content.decode()
    assert "Change since baseline" in body
    assert "Oxford Knee Score" in body or "OKS" in body
    assert "staff-change--improved" in body or "staff-change--worse" in body
    assert "Staff-assisted (telephone)" in body


def _answers(invitation, pick):
    flat = answers_post(invitation, pick)
    out = {}
    for page in instrument_pages(invitation.instruments, invitation.follow_up):
        out.setdefault(page.code, {}).update({item.id: int(flat[item.id]) for item in page.items})
    return out


def test_event_kinds_cover_the_issue():
    assert {kind for kind, _ in EpisodeEvent.Kind.choices} == {
        "assessment",
        "procedure",
        "discharge",
        "withdrawal",
        "death",
    }


def test_resend_never_logs_the_token(client_a, episode_a, caplog):
    invitation = episode_a.invitations.order_by("due_on").first()
    with caplog.at_level("DEBUG"):
        client_a.post(reverse("staff:invitation_resend", args=[invitation.pk]))
    notification = Notification.objects.filter(invitation=invitation).first()
    assert notification is not None
    invitation.refresh_from_db()
    assert invitation.token_hash not in caplog.text
    assert "/q/" not in caplog.text


def test_resend_before_the_window_opens_says_when_it_opens_and_sends_nothing(client_a, episode_a):
    later = episode_a.invitations.order_by("due_on").last()
    response = client_a.post(reverse("staff:invitation_resend", args=[later.pk]), follow=True)
    body = response.content.decode()
    assert "This questionnaire opens on" in body
    assert not Notification.objects.filter(invitation=later).exists()
    later.refresh_from_db()
    assert later.status == Invitation.Status.SCHEDULED


def test_the_episode_page_offers_a_new_link_only_for_open_questionnaires(client_a, episode_a):
    body = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).content.decode()
    open_now = episode_a.invitations.order_by("due_on").first()
    later = episode_a.invitations.order_by("due_on").last()
    assert reverse("staff:invitation_resend", args=[open_now.pk]) in body
    assert reverse("staff:invitation_resend", args=[later.pk]) not in body
