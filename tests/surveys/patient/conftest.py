"""A patient with a knee-pain baseline link, made with the services as staff would."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from surveys import services
from surveys.questionnaire import page_plan, wording_cache_clear
from tests.factories import PatientFactory, ProviderFactory, pathway_current

BIRTH_DATE = dt.date(1948, 3, 14)


@dataclass
class Link:
    invitation: object
    token: str
    provider: object
    patient: object

    def url(self, name: str = "start", *args) -> str:
        return reverse(f"patient:{name}", args=[self.token, *args])

    def page(self, n: int) -> str:
        return self.url("page", n)

    @property
    def pages(self):
        return page_plan(self.invitation)

    def refresh(self):
        self.invitation.refresh_from_db()
        return self.invitation


@pytest.fixture(autouse=True)
def _fresh_wording():
    wording_cache_clear()
    yield
    wording_cache_clear()


def enrol(pathway="knee-pain", referred_on=None, patient=None, provider=None):
    provider = provider or ProviderFactory()
    patient = patient or PatientFactory(date_of_birth=BIRTH_DATE)
    return services.episode_enrol(
        patient=patient,
        pathway=pathway_current(pathway),
        provider=provider,
        referred_on=referred_on or dt.date.today(),
        by=None,
    )


def link_for(invitation) -> Link:
    token = services.invitation_link_issue(invitation=invitation)
    invitation.refresh_from_db()
    episode = invitation.episode
    return Link(invitation, token, episode.provider, episode.patient)


@pytest.fixture
def link(db) -> Link:
    episode = enrol()
    return link_for(episode.invitations.get(timepoint="baseline"))


def dob_form(date: dt.date) -> dict:
    return {"dob-day": str(date.day), "dob-month": str(date.month), "dob-year": str(date.year)}


@pytest.fixture
def confirmed(client, link) -> Link:
    """The link with the date of birth confirmed in this client (the cookie is set)."""
    response = client.post(link.url(), dob_form(BIRTH_DATE))
    assert response.status_code == 302, response.content[:500]
    return link


def first_answers(page) -> dict:
    """A valid POST for a page: the first option of each radio item, the middle of a box."""
    data = {}
    for item in page.items:
        if item.kind == "choice":
            data[item.id] = str(item.options[0].code)
        else:
            data[item.id] = str((item.minimum + item.maximum) // 2)
    return data


def answer_until(client, link, found):
    """Answer every page before the first page for which ``found(page)`` is true; return it."""
    target = next(page for page in link.pages if found(page))
    for page in link.pages[: target.number - 1]:
        response = client.post(link.page(page.number), first_answers(page))
        assert response.status_code == 302, response.content.decode()[:2000]
    return target


def answer_all(client, link) -> None:
    for page in link.pages:
        response = client.post(link.page(page.number), first_answers(page))
        assert response.status_code == 302, response.content.decode()[:2000]
