"""In production a licensed instrument without its licensee's wording never reaches a patient:
its pathway cannot be enrolled on, its invitations are held, staff see why, ``manage.py check``
says so; and once the wording is imported everything goes ahead. The demo shows placeholder
labels instead, with a notice."""

from __future__ import annotations

import json

import pytest
from django.core.checks import run_checks
from django.urls import reverse

from notifications.models import Notification
from notifications.services import dispatch_due, invitation_resend
from outcomes.loading import catalogue
from outcomes.services import licensed_wording_import
from surveys.forms import EnrolForm
from surveys.models import Invitation
from surveys.questionnaire import page_plan, wording_cache_clear
from surveys.services import JourneyError, invitation_link_issue, pathways_current
from tests.surveys.patient.conftest import BIRTH_DATE, dob_form, first_answers

KNEE_LICENSED = ("MSK-HQ 1.1.0", "OKS 1.1.0", "EQ-5D-5L 1.0.0")  # in pathway order


@pytest.fixture
def production(settings):
    settings.ALLOW_PLACEHOLDER_WORDING = False
    wording_cache_clear()
    yield settings
    wording_cache_clear()


def import_test_wording(*codes: str) -> None:
    """Stand-in wording files for the current versions (test words, not the licensed text)."""
    definitions = catalogue()
    for code in codes:
        spec = definitions.instrument(code)
        content = {
            "instrument": code,
            "version": spec.version,
            "language": "en",
            "title": f"{spec.title} (test wording)",
            "items": {
                item.id: {
                    "text": f"Test question {item.id}",
                    **(
                        {"options": {str(o.code): f"Test answer {o.code}" for o in item.options}}
                        if item.kind == "choice"
                        else {}
                    ),
                }
                for item in spec.items
            },
        }
        licensed_wording_import(definitions=definitions, content=json.dumps(content).encode())


def test_a_pathway_whose_instruments_lack_wording_cannot_be_enrolled_on(production, staff):
    codes = set(pathways_current().values_list("code", flat=True))
    assert "knee-pain" not in codes and "fibromyalgia" not in codes
    form = EnrolForm({}, user=staff)
    assert not form.fields["pathway"].queryset.filter(code="knee-pain").exists()


def test_staff_see_why_a_pathway_cannot_be_used(production, client, enrol, staff):
    episode = enrol()  # enrolled before the wording went missing
    client.force_login(staff)
    enrol_page = client.get(reverse("staff:episode_new", args=[episode.patient.pk]))
    html = enrol_page.content.decode()
    assert "Pathways waiting for licensed wording" in html
    assert (
        "Knee pain cannot be used yet: the licensed patient wording of "
        + ", ".join(KNEE_LICENSED)
        + " has not been loaded."
    ) in " ".join(html.split())
    assert (
        "Pathways waiting for licensed wording"
        in client.get(reverse("staff:home")).content.decode()
    )


def test_the_scheduler_holds_invitations_and_staff_see_the_hold(
    production, daytime, enrol, client, staff
):
    episode = enrol()

    report = dispatch_due(enqueue=False)

    invitation = episode.invitations.get(timepoint="baseline")
    assert (report.opened, report.held) == (0, 1)
    assert not Notification.objects.exists()
    assert invitation.status == Invitation.Status.SCHEDULED
    assert invitation.token_hash is None
    client.force_login(staff)
    html = client.get(reverse("staff:episode_detail", args=[episode.pk])).content.decode()
    assert "Held: not sent to the patient because the licensed patient wording of" in html
    with pytest.raises(JourneyError, match="cannot be sent yet"):
        invitation_resend(invitation=invitation, by=staff)


def test_the_system_check_names_each_held_pathway(production, db):
    warnings = [m for m in run_checks(databases=["default"]) if m.id == "outcomes.W001"]
    held = {m.msg.split()[1] for m in warnings}
    assert {"knee-pain", "fibromyalgia", "back-pain"} <= held
    assert "import_licensed_wording" in warnings[0].hint


def test_the_system_check_is_quiet_in_the_demo(db):
    assert not [m for m in run_checks(databases=["default"]) if m.id == "outcomes.W001"]


def test_once_the_wording_is_imported_the_pathway_and_its_invitations_go_ahead(
    production, daytime, enrol
):
    episode = enrol()
    assert dispatch_due(enqueue=False).held == 1

    import_test_wording("eq-5d-5l", "msk-hq", "oks")
    daytime.shift(3600)
    report = dispatch_due(enqueue=False)

    assert (report.opened, report.held) == (1, 0)
    assert "knee-pain" in set(pathways_current().values_list("code", flat=True))
    assert not [m for m in run_checks(databases=["default"]) if "knee-pain" in m.msg]
    assert episode.invitations.get(timepoint="baseline").status == Invitation.Status.SENT


def _first_licensed_page(client, enrol):
    """A patient's link, confirmed, answered up to the first page of a licensed instrument."""
    invitation = enrol(date_of_birth=BIRTH_DATE).invitations.get(timepoint="baseline")
    token = invitation_link_issue(invitation=invitation)
    client.post(reverse("patient:start", args=[token]), dob_form(BIRTH_DATE))
    pages = page_plan(invitation)
    licensed = next(page for page in pages if page.instrument.licence.wording_licensed)
    for page in pages[: licensed.number - 1]:
        client.post(reverse("patient:page", args=[token, page.number]), first_answers(page))
    return reverse("patient:page", args=[token, licensed.number]), pages[0]


def test_a_link_to_placeholder_wording_shows_the_not_ready_page_in_production(
    production, client, enrol
):
    url, _first = _first_licensed_page(client, enrol)  # a link sent before the wording went

    response = client.get(url)

    assert response.status_code == 503
    assert "This questionnaire is not ready yet" in response.content.decode()
    assert "(best)" not in response.content.decode()


def test_the_demo_says_placeholder_labels_stand_in_for_licensed_wording(client, enrol):
    url, _first = _first_licensed_page(client, enrol)
    html = client.get(url).content.decode()
    assert "placeholder labels stand in for this questionnaire's licensed wording" in html
    common = client.get(url.replace(f"/page/{url.rstrip('/').split('/')[-1]}/", "/page/1/"))
    assert "placeholder labels" not in common.content.decode()  # our own wording: no notice
