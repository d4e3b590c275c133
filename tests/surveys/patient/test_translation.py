"""Every patient-facing string is ready for translation (a pseudo-locale proves it), and a
patient's preferred language picks a reviewed translation where one exists and says so where
none does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from surveys import services
from surveys.models import Invitation
from surveys.questionnaire import plan_for, render_items
from tests import pseudo_locale
from tests.factories import PatientFactory
from tests.surveys.patient.conftest import BIRTH_DATE, dob_form, enrol, first_answers, link_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pseudo(settings):
    with pseudo_locale.installed(settings):
        yield


def _escaped(html: str) -> list[str]:
    return pseudo_locale.untranslated(pseudo_locale.text_nodes(html))


def _walk(client, link) -> dict[str, str]:
    """Every page of the link as the patient meets it: HTML by page name."""
    seen = {"start": client.get(link.url()).content.decode()}
    seen["start with errors"] = client.post(link.url(), {"dob-day": "1"}).content.decode()
    seen["start, wrong date"] = client.post(link.url(), dob_form(dt.date(1950, 1, 1))).content
    seen["start, wrong date"] = seen["start, wrong date"].decode()
    client.post(link.url(), dob_form(BIRTH_DATE))
    for page in link.pages:
        url = link.page(page.number)
        if page.number in (1, len(link.pages)) or page.code == "eq-5d-5l":
            seen[f"page {page.number} with errors"] = client.post(url, {}).content.decode()
        seen[f"page {page.number}"] = client.get(url).content.decode()
        assert client.post(url, first_answers(page)).status_code == 302
    seen["check"] = client.get(link.url("check")).content.decode()
    client.post(link.url("submit"))
    seen["done"] = client.get(link.url("done")).content.decode()
    return seen


@pytest.mark.parametrize("pathway", ["knee-pain", "fibromyalgia"])
def test_no_patient_facing_string_escapes_translation(client, pseudo, pathway):
    patient = PatientFactory(date_of_birth=BIRTH_DATE, preferred_language=pseudo_locale.CODE)
    episode = enrol(pathway, patient=patient)
    baseline = episode.invitations.get(timepoint="baseline")
    worst = {}
    for page in link_for(baseline).pages:
        worst.setdefault(page.code, {}).update({i.id: min(i.allowed_codes()) for i in page.items})
    services.response_submit(invitation=baseline, answers=worst, mode="paper", by=None)
    follow_up = episode.invitations.get(timepoint="6-weeks")
    Invitation.objects.filter(pk=follow_up.pk).update(opens_on=timezone.localdate())
    link = link_for(follow_up)

    pages = _walk(client, link)

    assert "How you are getting on" not in pages["done"]  # the pseudo-locale was in use
    assert '<svg class="proms-chart"' in pages["done"]
    escaped = {name: _escaped(html) for name, html in pages.items()}
    assert {name: nodes for name, nodes in escaped.items() if nodes} == {}


def test_the_pages_around_the_questionnaire_are_translated_too(client, pseudo, settings):
    patient = PatientFactory(date_of_birth=BIRTH_DATE, preferred_language=pseudo_locale.CODE)
    link = link_for(enrol(patient=patient).invitations.get(timepoint="baseline"))
    for _attempt in range(services.MAX_DOB_ATTEMPTS):
        locked = client.post(link.url(), dob_form(dt.date(1950, 1, 1)))
    # Pages without a patient speak the browser's language (Accept-Language).
    browser = {"HTTP_ACCEPT_LANGUAGE": pseudo_locale.CODE}
    others = {
        name: client.get(url, **browser).content.decode()
        for name, url in (
            ("link problem", "/q/not-a-real-link/"),
            ("accessibility", reverse("accessibility")),
            ("privacy", reverse("privacy")),
            ("contact", reverse("contact")),
        )
    }
    escaped = {name: _escaped(html) for name, html in others.items()}
    escaped["locked"] = pseudo_locale.untranslated(
        pseudo_locale.text_nodes(locked.content.decode()), data={link.provider.name}
    )
    assert {name: nodes for name, nodes in escaped.items() if nodes} == {}


def test_a_reviewed_translation_is_used_without_a_notice(client, pseudo):
    patient = PatientFactory(date_of_birth=BIRTH_DATE, preferred_language=pseudo_locale.CODE)
    link = link_for(enrol(patient=patient).invitations.get(timepoint="baseline"))
    html = client.get(link.url()).content.decode()
    assert f'<html lang="{pseudo_locale.CODE}">' in html
    assert pseudo_locale.pseudo("Confirm your date of birth") in html
    assert "We do not have these pages in" not in html


def test_a_language_without_a_reviewed_translation_is_named_and_english_is_used(client):
    patient = PatientFactory(date_of_birth=BIRTH_DATE, preferred_language="cy")
    link = link_for(enrol(patient=patient).invitations.get(timepoint="baseline"))
    html = client.get(link.url()).content.decode()
    assert "Confirm your date of birth" in html
    assert "You asked for Welsh. We do not have these pages in Welsh yet" in html
    client.post(link.url(), dob_form(BIRTH_DATE))
    assert "You asked for Welsh." in client.get(link.page(1)).content.decode()


def test_english_speakers_see_no_language_notice(client, confirmed):
    assert "You asked for" not in client.get(confirmed.page(1)).content.decode()


def test_question_hints_follow_the_language_of_each_page_not_the_first_one_cached(client, pseudo):
    eq5d = plan_for([["eq-5d-5l", "1.0.0"]], False)[0]
    with translation.override("en-gb"):
        english = render_items(eq5d)
    with translation.override(pseudo_locale.CODE):
        pseudo = render_items(eq5d)
    assert "Enter a number from 0 to 100." in english
    assert (
        pseudo_locale.pseudo("Enter a number from %(min)s to %(max)s.")
        % {
            "min": 0,
            "max": 100,
        }
        in pseudo
    )
