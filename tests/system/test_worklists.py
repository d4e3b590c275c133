"""Staff act on what patients tell them, in a real browser at a laptop's 1280 x 800 and a phone's
360 x 740: each worklist and its action, an alert's states, a patient's "Please contact me"
reaching the worklist, and the patient details page. axe-core checks every page (WCAG A/AA).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from care.models import Alert, ContactRequest, StaffContact
from notifications.models import Notification
from surveys import services
from surveys.models import Invitation, Patient
from tests.factories import PatientFactory, ProviderFactory, UserFactory, pathway_current
from tests.surveys.answering import answers_for
from tests.system import pages

PASSWORD = "a-long-test-password"
SIZES = {
    "laptop": {"viewport": {"width": 1280, "height": 800}, "is_mobile": False},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(params=sorted(SIZES))
def size(request):
    return request.param


@pytest.fixture
def staff(definitions):
    provider = ProviderFactory(ods_code="RK5", name="Sherwood Forest Hospitals MSK")
    user = UserFactory(username="sfh.clinician")
    provider.staff.add(user)
    return user, provider


@pytest.fixture
def browser_page(context_factory, size):
    return context_factory(**SIZES[size]).new_page()


def check(page, axe_check, what: str, width: int | None = None) -> None:
    assert page.locator("h1").count() == 1, f"{what}: expected exactly one <h1>"
    assert "Traceback" not in page.content()
    if width:
        assert pages.horizontal_overflow(page, width) <= 0, f"{what}: wider than the screen"
    axe_check(page, what)


def log_in(page, live_server, user) -> None:
    pages.staff_log_in(page, live_server.url, user, PASSWORD)


def enrol(provider, *, family_name: str, referred_days_ago: int = 0, **patient):
    return services.episode_enrol(
        patient=PatientFactory(family_name=family_name, **patient),
        pathway=pathway_current("knee-pain"),
        provider=provider,
        referred_on=timezone.localdate() - dt.timedelta(days=referred_days_ago),
        by=None,
    )


def open_from_home(page, live_server, link_text: str) -> None:
    page.goto(f"{live_server.url}/staff/")
    with page.expect_navigation():
        page.locator("main .staff-counts a", has_text=link_text).click()


@pytest.fixture
def worklist_items(staff):
    """One patient on each worklist of the user's provider."""
    _, provider = staff
    today = timezone.localdate()
    overdue = enrol(provider, family_name="Overdue")
    overdue.invitations.filter(timepoint="baseline").update(
        status="sent",
        opens_on=today - dt.timedelta(days=10),
        due_on=today - dt.timedelta(days=10),
        closes_on=today + dt.timedelta(days=18),
    )
    locked = enrol(provider, family_name="Locked")
    locked.invitations.filter(timepoint="baseline").update(
        status="sent", locked_at=timezone.now(), dob_attempts=5
    )
    bounced = enrol(provider, family_name="Bounced")
    Notification.objects.create(
        invitation=bounced.invitations.get(timepoint="baseline"),
        patient=bounced.patient,
        channel="sms",
        kind="invite",
        status="permanent-failure",
        idempotency_key="bounced",
        not_before=timezone.now(),
    )
    quiet = enrol(provider, family_name="Quiet", referred_days_ago=200)
    quiet.invitations.all().update(status="expired")
    asked = enrol(provider, family_name="Asked")
    ContactRequest.objects.create(episode=asked, provider=provider, requested_at=timezone.now())
    return {
        "overdue": overdue,
        "locked": locked,
        "bounced": bounced,
        "quiet": quiet,
        "asked": asked,
    }


WORKLISTS = [
    ("questionnaires overdue", "Overdue", "Questionnaires overdue"),
    ("links locked", "Locked", "Links locked after wrong dates of birth"),
    ("messages not delivered", "Bounced", "Messages not delivered"),
    ("no contact", "Quiet", "No contact for 12 weeks"),
    ("asked to be contacted", "Asked", "Patients who asked to be contacted"),
]


def test_each_worklist_opens_from_its_count_on_the_staff_home(
    browser_page, live_server, staff, worklist_items, axe_check, size
):
    page = browser_page
    log_in(page, live_server, staff[0])
    check(page, axe_check, f"staff home ({size})", SIZES[size]["viewport"]["width"])
    for link_text, family_name, heading in WORKLISTS:
        open_from_home(page, live_server, link_text)
        assert page.locator("h1").inner_text() == heading
        assert page.locator("main .staff-worklist__item", has_text=family_name).count() == 1
        check(page, axe_check, f"{heading} ({size})", SIZES[size]["viewport"]["width"])


def test_staff_unlock_a_locked_link_from_its_worklist(
    browser_page, live_server, staff, worklist_items, axe_check, size
):
    page = browser_page
    log_in(page, live_server, staff[0])
    open_from_home(page, live_server, "links locked")

    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Unlock this link")).click()

    assert "The link works again" in page.locator("main").inner_text()
    check(page, axe_check, f"locked links after unlocking ({size})")
    invitation = worklist_items["locked"].invitations.get(timepoint="baseline")
    assert invitation.locked_at is None


def test_staff_record_a_call_to_a_patient_who_asked_and_to_one_with_no_contact(
    browser_page, live_server, staff, worklist_items, axe_check, size
):
    page = browser_page
    log_in(page, live_server, staff[0])
    open_from_home(page, live_server, "asked to be contacted")
    page.get_by_label(re.compile("How did you contact them")).fill("Phoned; booked a review")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Mark as contacted")).click()
    assert "Nobody is waiting to be contacted" in page.locator("main").inner_text()
    check(page, axe_check, f"contact requests after closing one ({size})")

    open_from_home(page, live_server, "no contact")
    page.locator("summary", has_text="Record a contact").click()
    page.get_by_label(re.compile("How did you contact them")).fill("Left a voicemail")
    with page.expect_navigation():
        page.get_by_role("button", name="Save contact").click()
    assert "Contact recorded" in page.locator("main").inner_text()
    assert StaffContact.objects.count() == 2


def test_a_clinician_moves_an_alert_from_new_to_closed(
    browser_page, live_server, staff, axe_check, size
):
    user, provider = staff
    episode = enrol(provider, family_name="Alerted")
    baseline = episode.invitations.get(timepoint="baseline")
    services.response_submit(invitation=baseline, answers=answers_for(baseline, ad=5), mode="self")
    page = browser_page
    log_in(page, live_server, user)
    open_from_home(page, live_server, "score alerts")
    check(page, axe_check, f"score alerts ({size})", SIZES[size]["viewport"]["width"])
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Extremely anxious or depressed")).click()
    check(page, axe_check, f"alert, new ({size})", SIZES[size]["viewport"]["width"])

    with page.expect_navigation():
        page.get_by_role("button", name="Mark as seen").click()
    assert "Alert marked as seen" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the action taken").click()  # no note
    assert "Say what was done for the patient" in page.locator(".nhsuk-error-summary").inner_text()
    check(page, axe_check, f"alert, note missing ({size})")
    page.get_by_label(re.compile("What was done")).fill("Phoned; GP asked to review mood")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the action taken").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Close").click()

    history = page.locator(".staff-history").inner_text()
    assert "acted on, sfh.clinician" in history and "Phoned; GP asked to review mood" in history
    assert "closed, sfh.clinician" in history
    check(page, axe_check, f"alert, closed ({size})")
    assert Alert.objects.get().state == "closed"


def test_please_contact_me_on_the_done_page_reaches_the_worklist(
    context_factory, live_server, staff, axe_check, size
):
    user, provider = staff
    birth = dt.date(1948, 3, 14)
    episode = enrol(provider, family_name="Patient", date_of_birth=birth)
    invitation = episode.invitations.get(timepoint="baseline")
    token = services.invitation_link_issue(invitation=invitation)
    patient_page = context_factory(**SIZES[size]).new_page()
    patient_page.goto(f"{live_server.url}/q/{token}/")
    pages.confirm_birth_date(patient_page, birth)
    pages.complete_questionnaires(patient_page)
    pages.submit(patient_page)
    assert pages.DONE_PAGE.search(pages.path_of(patient_page))

    with patient_page.expect_navigation():
        patient_page.get_by_role("button", name="Please contact me").click()

    assert "We have asked your care team to contact you" in patient_page.locator("h1").inner_text()
    check(patient_page, axe_check, f"contact requested ({size})", SIZES[size]["viewport"]["width"])
    staff_page = context_factory(**SIZES[size]).new_page()
    log_in(staff_page, live_server, user)
    open_from_home(staff_page, live_server, "asked to be contacted")
    assert staff_page.locator(".staff-worklist__item", has_text=episode.patient.full_name).count()


def test_staff_change_a_patients_details_and_consent_wakes_their_questionnaire(
    browser_page, live_server, staff, axe_check, size
):
    user, provider = staff
    episode = enrol(provider, family_name="Details", contact_consent=False, mobile="", email="")
    Patient.objects.filter(pk=episode.patient_id).update(preferred_channel="letter")
    Invitation.objects.filter(episode=episode, timepoint="baseline").update(
        next_action_at=timezone.now() + dt.timedelta(days=20)
    )
    page = browser_page
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/staff/patients/{episode.patient_id}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Change details").click()
    check(page, axe_check, f"patient details ({size})", SIZES[size]["viewport"]["width"])

    page.get_by_label("Mobile phone number").fill("07700 900 456")
    page.get_by_label("Text message").check()
    page.get_by_label(re.compile("agrees to be contacted")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save details").click()

    assert "Details saved" in page.locator("main").inner_text()
    assert "+447700900456" in page.locator("main").inner_text()
    check(page, axe_check, f"patient page after saving ({size})")
    baseline = Invitation.objects.get(episode=episode, timepoint="baseline")
    assert baseline.next_action_at <= timezone.now()
