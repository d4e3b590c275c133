"""Staff enrol a patient in a real browser: log in, find, create, enrol, see the timeline, upload
a CSV of referrals. axe-core checks every enrolment page (WCAG 2.0/2.1 A and AA).

Staff use laptops and tablets: these run at a tablet's 768 x 1024 (the forms also fit a phone).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from surveys.models import Episode, Invitation, Patient
from tests.factories import (
    PatientFactory,
    ProviderFactory,
    UserFactory,
    nhs_number_for,
    pathway_current,
)
from tests.system import pages

PASSWORD = "a-long-test-password"
TABLET = {"viewport": {"width": 768, "height": 1024}, "is_mobile": False, "has_touch": True}


@pytest.fixture
def staff(definitions):
    provider = ProviderFactory(ods_code="RK5", name="Sherwood Forest Hospitals MSK")
    user = UserFactory(username="hub.admin")
    provider.staff.add(user)
    return user, provider


@pytest.fixture
def tablet(context_factory):
    return context_factory(**TABLET).new_page()


def check(page, axe_check, what: str) -> None:
    assert page.locator("h1").count() == 1, f"{what}: expected exactly one <h1>"
    assert "Traceback" not in page.content()
    axe_check(page, what)


def log_in(page, live_server, axe_check, user) -> None:
    page.goto(f"{live_server.url}/staff/")
    assert "/accounts/login/" in page.url, "the staff pages need a log-in"
    check(page, axe_check, "login page")
    page.get_by_label(re.compile("user ?name", re.I)).fill(user.username)
    page.get_by_label(re.compile("password", re.I)).fill("not the password")
    pages.submit(page)
    assert "/accounts/login/" in page.url
    check(page, axe_check, "login page with an error")
    # A first log-in sets up the authenticator app, then shows the backup codes.
    pages.staff_log_in(
        page,
        live_server.url,
        user,
        PASSWORD,
        on_page=lambda page, what: check(page, axe_check, what),
    )


def fill_date(page, group: str, day: dt.date) -> None:
    fieldset = page.get_by_role("group", name=re.compile(group, re.I))
    fieldset.get_by_label(re.compile(r"^\s*day\s*$", re.I)).fill(str(day.day))
    fieldset.get_by_label(re.compile(r"^\s*month\s*$", re.I)).fill(str(day.month))
    fieldset.get_by_label(re.compile(r"^\s*year\s*$", re.I)).fill(str(day.year))


def assert_error_summary_focused(page, what: str) -> None:
    summary = page.locator(".nhsuk-error-summary")
    assert summary.count() == 1, f"{what}: no error summary"
    assert "There is a problem" in summary.inner_text()
    assert "nhsuk-error-summary" in pages.focused_element(page)["cls"], pages.focused_element(page)
    for link in summary.locator("a[href^='#']").all():
        target = link.get_attribute("href")[1:]
        assert page.locator(f"[id='{target}']").count() == 1, f"{what}: #{target} goes nowhere"


def test_staff_find_create_enrol_and_see_the_timeline(tablet, live_server, staff, axe_check):
    page = tablet
    user, provider = staff
    known = PatientFactory(given_name="Robin", family_name="Existing", created_by=user)
    Episode.objects.create(
        patient=known,
        pathway=pathway_current("back-pain"),
        provider=provider,
        referred_on=timezone.localdate(),
    )

    log_in(page, live_server, axe_check, user)
    check(page, axe_check, "staff dashboard")

    # Find an existing patient by NHS number (spaces as people type them).
    number = known.nhs_number
    page.get_by_label("NHS number").fill(f"{number[:3]} {number[3:6]} {number[6:]}")
    pages.submit(page)
    assert "Existing" in page.locator("main").inner_text()
    check(page, axe_check, "patient found")

    # Not found: the page says so and offers to add the patient.
    new_number = nhs_number_for(900_001)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_label("NHS number").fill(new_number)
    pages.submit(page)
    check(page, axe_check, "patient not found")

    # New patient: empty form first (errors), then a good one.
    page.goto(f"{live_server.url}/staff/patients/new/")
    check(page, axe_check, "new patient form")
    pages.submit(page)
    assert_error_summary_focused(page, "new patient form")
    check(page, axe_check, "new patient form with errors")

    page.get_by_label("NHS number").fill(new_number)
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Newpatient")
    fill_date(page, "Date of birth", dt.date(1961, 7, 2))
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Postcode").fill("ng18 1aa")
    page.get_by_label("Mobile phone number").fill("07700 900456")
    page.get_by_label("Text message").check()
    page.get_by_label(re.compile("agrees to be contacted")).check()
    pages.submit(page)
    assert not page.locator(".nhsuk-error-summary").count(), page.locator("main").inner_text()
    patient = Patient.objects.get(nhs_number=new_number)
    assert patient.postcode == "NG18 1AA" and patient.mobile == "+447700900456"
    check(page, axe_check, "patient page")

    # Enrol on the knee-pain pathway.
    page.goto(f"{live_server.url}/staff/patients/{patient.pk}/enrol/")
    check(page, axe_check, "enrol form")
    pages.submit(page)
    assert_error_summary_focused(page, "enrol form")
    check(page, axe_check, "enrol form with errors")
    page.get_by_label("Knee pain", exact=True).check()
    select = page.get_by_label("Service")
    if select.evaluate("s => s.value") == "":
        select.select_option(str(provider.pk))
    fill_date(page, "Referral date", timezone.localdate())
    pages.submit(page)
    episode = Episode.objects.get(patient=patient)
    assert episode.pathway.code == "knee-pain"
    assert pages.path_of(page) == f"/staff/episodes/{episode.pk}/", pages.path_of(page)
    timeline = page.locator("main").inner_text()
    assert Invitation.objects.filter(episode=episode).count() >= 1
    assert "Before your first appointment" in timeline, timeline[:2000]
    check(page, axe_check, "episode page")


def csv_text(rows: list[dict]) -> str:
    from surveys.bulk import COLUMNS

    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(str(row.get(column, "")) for column in COLUMNS))
    return "\n".join(lines) + "\n"


def test_staff_upload_referrals(tablet, live_server, staff, axe_check):
    page = tablet
    user, provider = staff
    log_in(page, live_server, axe_check, user)
    good = {
        "nhs_number": nhs_number_for(900_100),
        "given_name": "Kit",
        "family_name": "Upload",
        "date_of_birth": "14/03/1958",
        "sex": "female",
        "postcode": "NG18 1AA",
        "mobile": "07700 900123",
        "preferred_channel": "sms",
        "pathway": "knee-pain",
        "provider_ods_code": provider.ods_code,
        "referred_on": timezone.localdate().strftime("%d/%m/%Y"),
        "consent": "yes",
    }
    bad = {**good, "nhs_number": "1234567890", "postcode": "NOT A POSTCODE"}
    page.goto(f"{live_server.url}/staff/enrolments/upload/")
    check(page, axe_check, "CSV upload page")
    pages.submit(page)
    check(page, axe_check, "CSV upload page with an error")
    page.locator("main input[type=file]").set_input_files(
        {"name": "referrals.csv", "mimeType": "text/csv", "buffer": csv_text([good, bad]).encode()}
    )
    pages.submit(page)
    text = page.locator("main").inner_text()
    assert "NHS number" in text and "postcode" in text.lower(), text[:2000]
    assert Episode.objects.filter(patient__nhs_number=good["nhs_number"]).count() == 1
    check(page, axe_check, "CSV upload result page")


def test_staff_record_a_procedure_and_enter_paper_answers(tablet, live_server, staff, axe_check):
    from surveys import services

    page = tablet
    user, provider = staff
    episode = services.episode_enrol(
        patient=PatientFactory(given_name="Jo", family_name="Paper", created_by=user),
        pathway=pathway_current("knee-pain"),
        provider=provider,
        referred_on=timezone.localdate(),
        by=user,
    )
    log_in(page, live_server, axe_check, user)

    # Record an event: empty first (errors), then a knee replacement from the pathway's list.
    page.goto(f"{live_server.url}/staff/episodes/{episode.pk}/events/new/")
    check(page, axe_check, "record an event form")
    pages.submit(page)
    assert_error_summary_focused(page, "record an event form")
    check(page, axe_check, "record an event form with errors")
    page.get_by_label("Procedure", exact=True).check()
    page.get_by_label("Total knee replacement").check()
    fill_date(page, "Date", timezone.localdate())
    pages.submit(page)
    assert pages.path_of(page) == f"/staff/episodes/{episode.pk}/", pages.path_of(page)
    assert "Total knee replacement" in page.locator("main").inner_text()
    # knee-pain 1.2.0: an operation on the referral day would put its 6- and 12-month
    # questionnaires on the referral's, which ask all their questions: none is added.
    assert episode.invitations.filter(anchor_event__isnull=False).count() == 0
    assert episode.invitations.count() == 5

    # Enter answers given on paper: a blank form is refused with an error per questionnaire.
    invitation = episode.invitations.get(timepoint="baseline")
    page.goto(f"{live_server.url}/staff/invitations/{invitation.pk}/answers/")
    check(page, axe_check, "answer entry page")
    pages.submit(page)
    assert_error_summary_focused(page, "answer entry page")
    check(page, axe_check, "answer entry page with errors")
    pages.answer_page(page)  # every radio group, the mode's included
    page.get_by_label("On a paper form").check()
    pages.submit(page)
    assert pages.path_of(page) == f"/staff/episodes/{episode.pk}/", pages.path_of(page)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED
    assert invitation.response.mode == "paper"
