"""The patient's hot path: the link's invitation read by SQL compiled once (surveys/links.py),
and a submit that reads the invitation once, locked, and writes only what it must."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from surveys import links
from surveys.models import Episode, Invitation, Response
from tests.row_locks import needs_row_locks
from tests.surveys.patient.conftest import answer_all, dob_form, enrol, link_for

pytestmark = pytest.mark.django_db


def test_the_compiled_read_gives_what_the_orm_query_gives(confirmed):
    fast = links.invitation_for_token(confirmed.token)
    orm = Invitation.objects.select_related("episode__patient").get(pk=confirmed.invitation.pk)

    for field in Invitation._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(orm, field.attname), field.name
    for field in Episode._meta.concrete_fields:
        assert getattr(fast.episode, field.attname) == getattr(orm.episode, field.attname)
    assert fast.episode.patient.preferred_language == orm.episode.patient.preferred_language


def test_the_compiled_read_takes_one_query_and_loads_the_rest_only_when_asked(
    confirmed, django_assert_num_queries
):
    with django_assert_num_queries(1):
        invitation = links.invitation_for_token(confirmed.token)
        assert invitation.draft_answers == {} and invitation.episode.status == "active"
    with django_assert_num_queries(1):  # the provider, for the locked-link page only
        assert invitation.episode.provider == confirmed.provider


def test_the_compiled_read_refuses_unknown_empty_and_overlong_tokens(db):
    assert links.invitation_for_token("no-such-token") is None
    assert links.invitation_for_token("") is None
    assert links.invitation_for_token("x" * 101) is None


def test_the_locked_read_needs_a_transaction_and_says_whether_the_episode_has_responses(
    confirmed,
):
    with transaction.atomic():
        invitation = links.invitation_for_token(confirmed.token, lock=True)
    assert invitation.pk == confirmed.invitation.pk
    assert invitation.episode_responded is False


def test_the_final_submit_reads_once_and_writes_response_results_and_invitation(
    client, confirmed, django_assert_num_queries
):
    answer_all(client, confirmed)

    # SELECT ... FOR UPDATE, INSERT response, INSERT results, UPDATE invitation, UPDATE the
    # episode's last contact (surveys/contact.py); the test's own transaction turns the view's
    # BEGIN/COMMIT into one SAVEPOINT and its RELEASE. Then the score-alert rules (care, on
    # surveys.signals.response_stored, in the same transaction) read the episode, the response,
    # its results and their instruments: 4 reads that could reuse the objects just written (a
    # known follow-up, docs/benchmarks.md). The episode's cohort rows (surveys/cohorts.py) are
    # refreshed by two INSERT ... SELECT ... ON CONFLICT and the tally's differences by one
    # INSERT ... SELECT, and the episode is noted for a nightly rebuild running meanwhile
    # (surveys/rebuild.py).
    with django_assert_num_queries(15) as captured:
        response = client.post(confirmed.url("submit"))

    assert response["Location"] == confirmed.url("done")
    sql = [query["sql"] for query in captured.captured_queries]
    assert sum("SAVEPOINT" in statement for statement in sql) == 2
    assert "FOR UPDATE" in sql[1] or connection.vendor != "postgresql"
    assert sum("INSERT INTO surveys_episodecohort" in statement for statement in sql) == 1
    assert sum("INSERT INTO surveys_invitationcohort" in statement for statement in sql) == 1
    assert sum("INSERT INTO surveys_invitationtally" in statement for statement in sql) == 1
    assert Response.objects.filter(invitation=confirmed.invitation).count() == 1


def test_a_follow_up_submit_still_pairs_with_the_baseline(client, db):
    from surveys.models import PairedResult
    from tests.surveys.patient.conftest import BIRTH_DATE

    episode = enrol()
    baseline = episode.invitations.get(timepoint="baseline")
    first = link_for(baseline)
    client.post(first.url(), dob_form(BIRTH_DATE))
    answer_all(client, first)
    client.post(first.url("submit"))
    follow_up = episode.invitations.get(timepoint="6-weeks")
    Invitation.objects.filter(pk=follow_up.pk).update(
        opens_on=baseline.opens_on, closes_on=baseline.closes_on, status="sent"
    )
    follow_up.refresh_from_db()
    second = link_for(follow_up)
    browser = Client()
    browser.post(second.url(), dob_form(BIRTH_DATE))
    answer_all(browser, second)

    assert browser.post(second.url("submit"))["Location"] == second.url("done")
    assert PairedResult.objects.filter(episode=episode).exists()


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_taps_of_submit_at_once_store_one_response_and_both_see_done(definitions):
    from outcomes.services import definitions_load
    from tests.surveys.patient.conftest import BIRTH_DATE

    definitions_load(definitions=definitions)
    link = link_for(enrol().invitations.get(timepoint="baseline"))
    phone = Client()
    phone.post(link.url(), dob_form(BIRTH_DATE))
    answer_all(phone, link)
    ready = threading.Barrier(2)
    locations: list = []

    def tap():
        try:
            ready.wait(timeout=10)
            locations.append(phone.post(link.url("submit")).get("Location"))
        finally:
            connection.close()

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for thread in taps:
        thread.start()
    for thread in taps:
        thread.join(timeout=30)

    assert locations == [link.url("done")] * 2
    assert Response.objects.filter(invitation=link.invitation).count() == 1
