"""Questionnaire pages: progress, saving as you go, resuming, refusing tampered forms."""

from __future__ import annotations

import pytest

from surveys.models import Invitation
from tests.surveys.patient.conftest import answer_all, answer_until, first_answers

pytestmark = pytest.mark.django_db


def test_a_page_shows_its_number_of_the_total_and_a_progress_bar(client, confirmed):
    client.post(confirmed.page(1), first_answers(confirmed.pages[0]))
    html = client.get(confirmed.page(2)).content.decode()
    total = len(confirmed.pages)
    assert f"Page 2 of {total}" in html
    percent = 5 * round(20 / total)
    assert f'class="proms-progress__bar proms-progress__bar--{percent}"' in html
    assert "style=" not in html  # the Content-Security-Policy allows no inline styles


def test_the_first_page_is_the_common_questionnaire(client, confirmed):
    html = client.get(confirmed.page(1)).content.decode()
    assert "MSK Together outcomes questionnaire" in html
    assert 'name="qol1"' in html


def test_follow_up_questions_are_not_asked_at_baseline(client, confirmed):
    html = client.get(confirmed.page(1)).content.decode()
    assert 'name="qol1"' in html
    for follow_up_only in ("time1", "access1", "heard1", "team1"):
        assert f'name="{follow_up_only}"' not in html


def test_answers_are_saved_as_the_patient_goes(client, confirmed):
    response = client.post(confirmed.page(1), first_answers(confirmed.pages[0]))
    assert response["Location"] == confirmed.page(2)
    invitation = confirmed.refresh()
    assert invitation.status == Invitation.Status.PARTIAL
    assert invitation.draft_answers["mskt-core"]["qol1"] == 4


def test_missing_answers_get_the_error_summary_and_nothing_is_saved(client, confirmed):
    eq5d = answer_until(client, confirmed, lambda page: page.code == "eq-5d-5l")
    data = first_answers(eq5d)
    del data["ua"]
    html = client.post(confirmed.page(eq5d.number), data).content.decode()
    assert 'class="nhsuk-error-summary"' in html
    assert '<a href="#ua-1">Question 3: Select an answer</a>' in html
    assert 'id="ua-error"' in html
    # The summary's "Question 3" is written beside the question, so it can be found.
    assert '<span class="proms-question-number">Question 3</span>' in html
    assert 'id="mo-1" name="mo" type="radio" value="1" checked' in html  # choices are kept
    assert "eq-5d-5l" not in confirmed.refresh().draft_answers


def test_a_question_on_a_page_of_its_own_is_numbered_in_its_heading_and_summary(client, confirmed):
    second = confirmed.pages[1]
    assert second.code == "mskt-core" and second.parts > 1
    client.post(confirmed.page(1), first_answers(confirmed.pages[0]))
    html = client.post(confirmed.page(2), {}).content.decode()
    assert f"Question 2 of {second.parts}" in html
    assert f'<a href="#{second.items[0].id}-4">Question 2: Select an answer</a>' in html


@pytest.mark.parametrize(
    ("field", "value"),
    [("qol1", "7"), ("nonsense", "1"), ("qol1", "1; DROP TABLE")],
    ids=["unknown-option-code", "unknown-item", "not-a-number"],
)
def test_a_tampered_form_gets_a_polite_error_and_saves_nothing(client, confirmed, field, value):
    data = {**first_answers(confirmed.pages[0]), field: value}
    response = client.post(confirmed.page(1), data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert confirmed.refresh().draft_answers == {}


def test_an_out_of_range_number_on_a_scale_is_refused(client, confirmed):
    nrs = answer_until(client, confirmed, lambda page: page.code == "nrs-pain")
    response = client.post(confirmed.page(nrs.number), {"nrs01": "11"})
    assert "There is a problem" in response.content.decode()
    assert "nrs-pain" not in confirmed.refresh().draft_answers


def test_a_typed_health_score_over_100_is_an_error(client, confirmed):
    eq5d = answer_until(client, confirmed, lambda page: page.code == "eq-5d-5l")
    data = {**first_answers(eq5d), "vas": "150"}
    html = client.post(confirmed.page(eq5d.number), data).content.decode()
    assert "Enter a whole number from 0 to 100" in html
    assert 'value="150"' in html
    assert "eq-5d-5l" not in confirmed.refresh().draft_answers


def test_the_back_link_goes_to_the_previous_page_with_answers_kept(client, confirmed):
    client.post(confirmed.page(1), first_answers(confirmed.pages[0]))
    page_two = client.get(confirmed.page(2)).content.decode()
    assert f'class="nhsuk-back-link__link" href="{confirmed.page(1)}"' in page_two
    page_one = client.get(confirmed.page(1)).content.decode()
    assert 'id="qol1-4" name="qol1" type="radio" value="4" checked' in page_one


def test_the_patient_cannot_skip_ahead_of_what_is_answered(client, confirmed):
    response = client.get(confirmed.page(4))
    assert response["Location"] == confirmed.page(1)


def test_coming_back_later_resumes_where_the_patient_left_off(client, confirmed):
    for page in confirmed.pages[:2]:
        client.post(confirmed.page(page.number), first_answers(page))
    response = client.get(confirmed.url())
    assert response["Location"] == confirmed.page(3)


def test_a_page_number_out_of_range_goes_to_where_the_patient_is(client, confirmed):
    assert client.get(confirmed.page(99))["Location"] == confirmed.page(1)


def test_a_page_post_costs_at_most_three_queries(client, confirmed, django_assert_max_num_queries):
    page = answer_until(client, confirmed, lambda page: page.code == "eq-5d-5l")  # 6 questions
    client.get(confirmed.page(page.number))  # wording cached, as on a running server
    with django_assert_max_num_queries(3):
        response = client.post(confirmed.page(page.number), first_answers(page))
    assert response.status_code == 302
    assert "eq-5d-5l" in confirmed.refresh().draft_answers


def test_a_page_with_errors_also_costs_at_most_three_queries(
    client, confirmed, django_assert_max_num_queries
):
    client.get(confirmed.page(1))
    with django_assert_max_num_queries(3):
        response = client.post(confirmed.page(1), {})
    assert response.status_code == 200


def test_every_page_of_a_fibromyalgia_baseline_asks_one_fiqr_question(client, db):
    from tests.surveys.patient.conftest import BIRTH_DATE, dob_form, enrol, link_for

    link = link_for(enrol("fibromyalgia").invitations.get(timepoint="baseline"))
    client.post(link.url(), dob_form(BIRTH_DATE))
    fiqr = [page for page in link.pages if page.code == "fiqr"]
    assert len(fiqr) == 21
    answer_all(client, link)
    assert len(link.refresh().draft_answers["fiqr"]) == 21


def test_questions_come_in_the_patient_s_language_where_we_have_it(client, db):
    from outcomes.models import Instrument, InstrumentWording
    from tests.factories import PatientFactory
    from tests.surveys.patient.conftest import BIRTH_DATE, dob_form, enrol, link_for

    patient = PatientFactory(date_of_birth=BIRTH_DATE, preferred_language="pl")
    link = link_for(enrol(patient=patient).invitations.get(timepoint="baseline"))
    oks = next(page for page in link.pages if page.code == "oks")
    InstrumentWording.objects.create(
        instrument=Instrument.objects.get(code="oks", version=oks.instrument.version),
        language="pl",
        texts={
            "title": "Oksfordzka skala kolana",
            "items": {
                item.id: {
                    "text": f"Pytanie {item.id}",
                    "options": {str(c): f"Odp {c}" for c in range(5)},
                }
                for item in oks.instrument.items
            },
        },
        source_checksum="0" * 64,
    )
    client.post(link.url(), dob_form(BIRTH_DATE))
    answer_all_before = [page for page in link.pages if page.number < oks.number]
    for page in answer_all_before:
        client.post(link.page(page.number), first_answers(page))
    html = client.get(link.page(oks.number)).content.decode()
    assert "Oksfordzka skala kolana" in html
    assert "Pytanie oks01" in html
    common = client.get(link.page(1)).content.decode()
    assert "In the last 2 weeks" in common  # no Polish wording yet: English
