"""A patient answers a knee-pain baseline on a phone, in a real browser (issue 3, acceptance).

Every page the patient sees is checked with axe-core (WCAG 2.0/2.1 A and AA), for sideways
scrolling at 320 px and, on the first pages, for 44 px touch targets.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.utils import timezone

from outcomes.loading import catalogue
from surveys.models import InstrumentResult, Invitation, Response
from tests.system import pages
from tests.system.conftest import BIRTH_DATE

KNEE_BASELINE = {"mskt-core", "msk-hq", "oks", "eq-5d-5l", "nrs-pain"}


def check_page_layout(page, what: str) -> None:
    assert page.locator("h1").count() == 1, f"{what}: expected exactly one <h1>"
    assert page.locator("main#main").count() == 1, f"{what}: expected <main id='main'>"
    overflow = pages.horizontal_overflow(page, 320)
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at 320px wide"


def assert_response_stored(journey, given: list[pages.PageAnswers], mode: str = "self"):
    """One response with a result (scores and outcomes) per instrument, holding the answers."""
    response = Response.objects.get(invitation=journey.invitation)
    assert response.mode == mode
    assert Response.objects.filter(invitation__episode=journey.episode).count() == 1
    results = {
        result.instrument.code: result
        for result in InstrumentResult.objects.filter(response=response).select_related(
            "instrument"
        )
    }
    assert set(results) == KNEE_BASELINE
    for code, result in results.items():
        assert result.scores, f"no scores stored for {code}"
        if code != "mskt-core":  # its follow-up-only outcomes have no score at baseline
            assert None not in result.scores.values(), (code, result.scores)
        assert any(value is not None for value in result.scores.values()), (code, result.scores)
    journey.invitation.refresh_from_db()
    assert journey.invitation.status == Invitation.Status.COMPLETED

    # What was clicked and typed is what was stored.
    items = {
        item.id: code
        for code in KNEE_BASELINE
        for item in catalogue().instrument(code).items
        if item.asked_at == "all"
    }
    seen = set()
    for page_answers in given:
        for name, value in {**page_answers.radios, **page_answers.numbers}.items():
            item = next(
                (i for i in items if name == i or re.search(rf"[^a-z0-9]{re.escape(i)}$", name)),
                None,
            )
            assert item, f"form field {name!r} is no item of the knee-pain baseline"
            stored = response.answers[items[item]][item]
            assert str(stored) == value, f"{item}: chose {value}, stored {stored}"
            seen.add(item)
    assert seen == set(items), f"never asked: {sorted(set(items) - seen)}"
    return response


def open_link_and_confirm(page, journey, axe_check=None):
    page.goto(journey.link)
    assert page.locator("h1").count() == 1
    if axe_check:
        check_page_layout(page, "date of birth page")
        assert not pages.small_touch_targets(page), pages.small_touch_targets(page)
        axe_check(page, "date of birth page")
    pages.confirm_birth_date(page, BIRTH_DATE)
    assert pages.is_question_page(page), f"after the date of birth: {pages.path_of(page)}"


def test_patient_completes_knee_baseline_on_a_phone(page, journey, axe_check):
    open_link_and_confirm(page, journey, axe_check)

    seen_pages = []

    def check(page):
        what = f"question page {pages.path_of(page).rsplit('/page/', 1)[1]}"
        seen_pages.append(what)
        check_page_layout(page, what)
        small = pages.small_touch_targets(page)
        assert not small, f"{what}: touch targets under 44px: {small}"
        assert page.locator("main form fieldset legend").count() >= 1, f"{what}: no legend"
        axe_check(page, what)

    given = pages.complete_questionnaires(page, on_page=check)
    assert len(given) >= len(KNEE_BASELINE), "expected at least a page per instrument"

    check_page_layout(page, "check page")
    axe_check(page, "check page")
    pages.submit(page)
    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    check_page_layout(page, "done page")
    axe_check(page, "done page")

    assert_response_stored(journey, given)


def test_patient_completes_knee_baseline_without_javascript(context_factory, journey):
    page = context_factory(java_script_enabled=False).new_page()
    assert page.evaluate("() => 1") == 1  # Playwright's own evaluation still works
    open_link_and_confirm(page, journey)
    given = pages.complete_questionnaires(page, choose=lambda options: options[-1])
    pages.submit(page)
    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    # The back button and "Submit" again: still the done page and one response.
    page.go_back()
    if pages.CHECK_PAGE.search(pages.path_of(page)) and pages.primary_button(page).count():
        pages.submit(page)
    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    assert_response_stored(journey, given)


def test_patient_completes_knee_baseline_with_the_keyboard_only(page, journey):
    page.goto(journey.link)
    fields = pages.birth_date_fields(page)
    parts = pages.birth_date_parts(BIRTH_DATE)
    pages.keyboard_fill_and_submit(
        page, {locator.get_attribute("name"): parts[part] for part, locator in fields}
    )
    assert pages.is_question_page(page), pages.path_of(page)
    given = []
    for _ in range(pages.MAX_PAGES):
        if not pages.is_question_page(page):
            break
        given.append(pages.keyboard_answer_page(page))
        assert not page.locator(".nhsuk-error-summary").count(), page.content()[:2000]
    assert pages.CHECK_PAGE.search(pages.path_of(page)), pages.path_of(page)
    pages.keyboard_fill_and_submit(page, {})
    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    assert_response_stored(journey, given)


def test_wrong_birth_date_shows_the_error_summary_with_focus(page, journey, axe_check):
    page.goto(journey.link)
    pages.confirm_birth_date(page, BIRTH_DATE + dt.timedelta(days=1))
    summary = page.locator(".nhsuk-error-summary")
    assert summary.count() == 1
    assert summary.get_attribute("role") == "alert"
    assert "There is a problem" in summary.inner_text()
    assert "nhsuk-error-summary" in pages.focused_element(page)["cls"], pages.focused_element(page)
    assert summary.locator("a[href^='#']").count() >= 1, "the summary links to the field"
    assert page.locator(".nhsuk-error-message").count() >= 1
    check_page_layout(page, "date of birth page with an error")
    axe_check(page, "date of birth page with an error")
    journey.invitation.refresh_from_db()
    assert journey.invitation.dob_attempts == 1

    # An empty date is an error too (and no attempt used up).
    for _part, locator in pages.birth_date_fields(page):
        locator.fill("")
    pages.submit(page)
    assert page.locator(".nhsuk-error-summary").count() == 1
    axe_check(page, "date of birth page with an empty date")


def test_unanswered_question_page_shows_errors(page, journey, axe_check):
    open_link_and_confirm(page, journey)
    first = pages.path_of(page)
    pages.submit(page)  # nothing answered
    assert pages.path_of(page) == first
    summary = page.locator(".nhsuk-error-summary")
    assert summary.count() == 1
    assert "nhsuk-error-summary" in pages.focused_element(page)["cls"], pages.focused_element(page)
    assert summary.locator("a[href^='#']").count() >= 1
    assert page.locator(".nhsuk-error-message").count() >= 1
    check_page_layout(page, "question page with errors")
    axe_check(page, "question page with errors")
    # The links in the summary go to the first radio or input of each question.
    target = summary.locator("a[href^='#']").first.get_attribute("href")[1:]
    assert page.locator(f"[id='{target}']").count() == 1, f"error link #{target} goes nowhere"


def test_unknown_and_expired_links_get_a_friendly_page(page, journey, axe_check, live_server):
    page.goto(f"{live_server.url}/q/{secrets.token_urlsafe(22)}/")
    unknown = page.locator("main").inner_text()
    assert "Traceback" not in page.content()
    check_page_layout(page, "unknown link page")
    axe_check(page, "unknown link page")

    Invitation.objects.filter(pk=journey.invitation.pk).update(
        status=Invitation.Status.EXPIRED, closes_on=timezone.localdate() - dt.timedelta(days=1)
    )
    response = page.goto(journey.link)
    assert response.status < 500
    assert page.locator("main").inner_text() == unknown, "a used link must say no more"
    assert not page.locator("main form input").count()
    check_page_layout(page, "expired link page")
    axe_check(page, "expired link page")


def test_locked_link_says_whom_to_contact(page, journey, axe_check):
    page.goto(journey.link)
    for attempt in range(5):
        pages.confirm_birth_date(page, dt.date(1950, 1, 1 + attempt))
    journey.invitation.refresh_from_db()
    assert journey.invitation.locked_at is not None
    page.goto(journey.link)
    text = page.locator("main").inner_text()
    assert journey.provider.contact_phone in text, "the locked page gives the phone number"
    assert not page.locator("main form input[type=text], main form input[type=number]").count()
    check_page_layout(page, "locked page")
    axe_check(page, "locked page")


def test_the_thank_you_page_after_a_second_questionnaire_shows_the_chart(
    page, definitions, live_server, axe_check
):
    from bench.page_weight import second_questionnaire_link

    invitation, token = second_questionnaire_link(serial=11)
    page.goto(f"{live_server.url}/q/{token}/")
    pages.confirm_birth_date(page, BIRTH_DATE)
    pages.complete_questionnaires(page)
    pages.submit(page)

    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    assert "How you are getting on" in page.locator("main").inner_text()
    assert page.locator("main figure svg").first.is_visible()
    check_page_layout(page, "done page with the scores chart")
    axe_check(page, "done page with the scores chart")
    assert Response.objects.filter(invitation__episode=invitation.episode).count() == 2


def test_a_fibromyalgia_question_per_page_page_passes_the_checks(
    page, definitions, live_server, axe_check
):
    from bench.page_weight import demo_link
    from surveys.questionnaire import page_plan

    invitation, token = demo_link(pathway="fibromyalgia", serial=12)
    fiqr_pages = [p.number for p in page_plan(invitation) if p.code == "fiqr"]
    page.goto(f"{live_server.url}/q/{token}/")
    pages.confirm_birth_date(page, BIRTH_DATE)
    seen = []

    def check(page):
        number = int(pages.QUESTION_PAGE.search(pages.path_of(page)).group(1))
        if number == fiqr_pages[0]:
            seen.append(number)
            check_page_layout(page, "FIQR question page")
            assert page.locator("main form fieldset").count() == 1, "one question per page"
            assert not pages.small_touch_targets(page), pages.small_touch_targets(page)
            axe_check(page, "FIQR question page")

    pages.complete_questionnaires(page, on_page=check)
    assert seen == fiqr_pages[:1]
