"""Check your answers, submitting once, the done page, and links that no longer work."""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from outcomes.loading import catalogue
from outcomes.services import definitions_load
from surveys import services
from surveys.models import InstrumentResult, Invitation, Response
from tests.factories import PatientFactory
from tests.row_locks import holder_then_waiter, needs_row_locks
from tests.surveys.patient.conftest import (
    BIRTH_DATE,
    answer_all,
    answer_until,
    dob_form,
    enrol,
    first_answers,
    link_for,
)

pytestmark = pytest.mark.django_db

KNEE_BASELINE = {"mskt-core", "msk-hq", "oks", "eq-5d-5l", "nrs-pain"}


def test_the_check_page_lists_every_answer_with_change_links(client, confirmed):
    answer_all(client, confirmed)
    html = client.get(confirmed.url("check")).content.decode()
    assert "Check your answers" in html
    rows = sum(len(page.items) for page in confirmed.pages)
    assert html.count('class="nhsuk-summary-list__row"') == rows
    assert html.count(">Change<") == rows
    assert f'href="{confirmed.page(3)}?return=check"' in html


def test_a_change_link_returns_to_the_check_page(client, confirmed):
    answer_all(client, confirmed)
    data = {**first_answers(confirmed.pages[0]), "qol1": "0"}
    response = client.post(confirmed.page(1) + "?return=check", data)
    assert response["Location"] == confirmed.url("check")
    assert confirmed.refresh().draft_answers["mskt-core"]["qol1"] == 0


def test_the_check_page_sends_an_unfinished_patient_back_to_the_missing_page(client, confirmed):
    client.post(confirmed.page(1), first_answers(confirmed.pages[0]))
    assert client.get(confirmed.url("check"))["Location"] == confirmed.page(2)


def test_submitting_stores_one_response_with_scores_for_every_instrument(client, confirmed):
    answer_all(client, confirmed)
    response = client.post(confirmed.url("submit"))
    assert response["Location"] == confirmed.url("done")
    stored = Response.objects.get(invitation=confirmed.invitation)
    assert stored.mode == Response.Mode.SELF_PHONE
    results = InstrumentResult.objects.filter(response=stored).select_related("instrument")
    assert {result.instrument.code for result in results} == KNEE_BASELINE
    assert all(result.scores for result in results)
    assert confirmed.refresh().status == Invitation.Status.COMPLETED


def test_submitting_twice_stores_one_response_and_the_second_goes_to_done(client, confirmed):
    answer_all(client, confirmed)
    client.post(confirmed.url("submit"))
    again = client.post(confirmed.url("submit"))
    assert again.status_code == 302
    assert again["Location"] == confirmed.url("done")
    assert Response.objects.filter(invitation=confirmed.invitation).count() == 1
    assert InstrumentResult.objects.filter(response__invitation=confirmed.invitation).count() == 5


def test_the_back_button_after_submitting_goes_to_the_done_page(client, confirmed):
    answer_all(client, confirmed)
    client.post(confirmed.url("submit"))
    for url in (confirmed.page(2), confirmed.url("check"), confirmed.url()):
        assert client.get(url)["Location"] == confirmed.url("done")
    assert client.post(confirmed.page(2), first_answers(confirmed.pages[1]))["Location"] == (
        confirmed.url("done")
    )
    assert Response.objects.filter(invitation=confirmed.invitation).count() == 1


def test_submitting_unfinished_answers_goes_to_the_missing_page(client, confirmed):
    client.post(confirmed.page(1), first_answers(confirmed.pages[0]))
    assert client.post(confirmed.url("submit"))["Location"] == confirmed.page(2)
    assert not Response.objects.exists()


def test_the_done_page_says_thank_you_what_happens_next_and_gives_knee_advice(client, confirmed):
    answer_all(client, confirmed)
    client.post(confirmed.url("submit"))
    html = client.get(confirmed.url("done")).content.decode()
    assert "Your answers have been sent" in html
    six_weeks = confirmed.invitation.episode.invitations.get(timepoint="6-weeks")
    assert six_weeks.opens_on.strftime("%-d %B %Y") in html
    assert "knee exercises" in html
    assert "How you are getting on" not in html  # nothing to compare with yet


@pytest.mark.parametrize(
    ("pathway", "words"),
    [("back-pain", "back exercises"), ("fibromyalgia", "Pace yourself")],
)
def test_the_done_page_gives_advice_for_the_patient_s_condition(client, pathway, words):
    link = link_for(enrol(pathway).invitations.get(timepoint="baseline"))
    client.post(link.url(), dob_form(BIRTH_DATE))
    answer_all(client, link)
    client.post(link.url("submit"))
    assert words in client.get(link.url("done")).content.decode()


def test_the_done_page_shows_scores_over_time_from_the_second_questionnaire(client, db):
    episode = enrol()
    baseline = episode.invitations.get(timepoint="baseline")
    worst: dict[str, dict] = {}
    for page in link_for(baseline).pages:
        worst.setdefault(page.code, {}).update(
            {item.id: min(item.allowed_codes()) for item in page.items}
        )
    worst["mskt-core"] = dict.fromkeys(worst["mskt-core"], 0)
    services.response_submit(invitation=baseline, answers=worst, mode="paper", by=None)
    six_weeks = episode.invitations.get(timepoint="6-weeks")
    Invitation.objects.filter(pk=six_weeks.pk).update(opens_on=timezone.localdate())
    link = link_for(six_weeks)
    client.post(link.url(), dob_form(BIRTH_DATE))
    answer_all(client, link)  # first options: the best answers of the common questionnaire
    client.post(link.url("submit"))
    html = client.get(link.url("done")).content.decode()
    assert "How you are getting on" in html
    assert "Your pain score has improved since your first questionnaire." in html
    assert '<svg class="proms-chart"' in html
    assert html.count("<polyline") == 4


def test_follow_up_questions_are_asked_at_a_follow_up(client, db):
    episode = enrol()
    six_weeks = episode.invitations.get(timepoint="6-weeks")
    Invitation.objects.filter(pk=six_weeks.pk).update(opens_on=timezone.localdate())
    link = link_for(six_weeks)
    client.post(link.url(), dob_form(BIRTH_DATE))
    time1 = answer_until(client, link, lambda page: "time1" in page.item_ids)
    assert 'name="time1"' in client.get(link.page(time1.number)).content.decode()


# ---------------------------------------------------------------------------------------------
# Links that no longer work


def _problem(client, url):
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_unknown_expired_used_and_cancelled_links_get_the_same_page(client, db):
    unknown = _problem(client, f"/q/{secrets.token_urlsafe(32)}/")
    assert unknown[0] == 404
    assert "This link is not working" in unknown[1]

    patient = PatientFactory(date_of_birth=BIRTH_DATE)

    def fresh():  # one patient, a new referral to another service each time
        return link_for(enrol(patient=patient).invitations.get(timepoint="baseline"))

    expired = fresh()
    Invitation.objects.filter(pk=expired.invitation.pk).update(
        status=Invitation.Status.EXPIRED, closes_on=timezone.localdate() - dt.timedelta(days=1)
    )
    cancelled = fresh()
    Invitation.objects.filter(pk=cancelled.invitation.pk).update(status=Invitation.Status.CANCELLED)
    used = fresh()
    Invitation.objects.filter(pk=used.invitation.pk).update(status=Invitation.Status.COMPLETED)
    window_closed = fresh()
    Invitation.objects.filter(pk=window_closed.invitation.pk).update(
        closes_on=timezone.localdate() - dt.timedelta(days=1)
    )
    for link in (expired, cancelled, used, window_closed):
        for url in (link.url(), link.page(1), link.url("check"), link.url("done")):
            assert _problem(client, url) == unknown, url


def test_a_used_link_in_a_new_browser_says_nothing_of_the_answers(client, confirmed):
    from django.test import Client

    answer_all(client, confirmed)
    client.post(confirmed.url("submit"))
    status, html = _problem(Client(), confirmed.url("done"))
    assert status == 404
    assert "This link is not working" in html


def test_a_closed_episode_cancels_the_link(client, confirmed):
    services.event_record(
        episode=confirmed.invitation.episode,
        kind="discharge",
        occurred_on=timezone.localdate(),
        by=None,
    )
    assert client.get(confirmed.page(1)).status_code == 404


def test_dead_and_locked_links_leave_no_token_in_the_logs(client, link, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client.get(f"/q/{link.token}x/")
    for day in range(1, 7):
        client.post(link.url(), dob_form(dt.date(1950, 1, day)))
    assert client.get(link.url()).status_code == 403
    assert link.token not in caplog.text


# ---------------------------------------------------------------------------------------------
# At the same moment as another writer, on PostgreSQL


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_answers_sent_while_another_writer_deadlocks_with_them_are_stored_once():
    """The nightly rebuild refreshing the same episode can hold a row the submission needs
    while waiting for one the submission holds. PostgreSQL then fails one of them; when it is
    the submission, it is run again and the patient sees the done page, not an error."""
    definitions_load(definitions=catalogue())  # transactional tests start from a flushed db
    link = link_for(enrol().invitations.get(timepoint="baseline"))
    patient = Client()
    patient.post(link.url(), dob_form(BIRTH_DATE))
    answer_all(patient, link)
    holding, submission_waits = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def other_writer():  # holds the invitation's cohort row, then asks for the invitation's
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL deadlock_timeout = '20s'")  # the submission notices
                cursor.execute(
                    "SELECT 1 FROM surveys_invitationcohort WHERE invitation_id = %s FOR UPDATE",
                    [link.invitation.pk],
                )
                holding.set()
                assert submission_waits.wait(timeout=10)
                cursor.execute(
                    "SELECT 1 FROM surveys_invitation WHERE id = %s FOR UPDATE",
                    [link.invitation.pk],
                )
            outcomes["other writer"] = "committed"
        except Exception as error:  # reported by the assertion below
            outcomes["other writer"] = error
        finally:
            connection.close()  # each thread has its own connection

    def submit():
        try:
            outcomes["submission"] = patient.post(link.url("submit"))
        except Exception as error:
            outcomes["submission"] = error
        finally:
            connection.close()

    assert holder_then_waiter(
        holder=other_writer, holding=holding, waiter=submit, waiting=submission_waits
    )
    assert outcomes["other writer"] == "committed"
    sent = outcomes["submission"]
    assert not isinstance(sent, Exception), sent
    assert sent["Location"] == link.url("done")
    assert Response.objects.filter(invitation=link.invitation).count() == 1
    assert link.refresh().status == Invitation.Status.COMPLETED
