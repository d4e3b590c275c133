"""Issue 14 in a real browser at 360 x 740: knee-pain and fibromyalgia questionnaires one
question per page where the definition asks for it, with read-aloud present (a recording
speechSynthesis) and absent, a pseudo-locale run, axe-core on every kind of page, the check
page short, and the home and support pages without sideways scrolling."""

from __future__ import annotations

import pytest

from outcomes.loading import catalogue
from surveys.models import Patient
from surveys.questionnaire import page_plan
from tests import pseudo_locale
from tests.system import pages
from tests.system.conftest import BIRTH_DATE
from tests.system.test_patient_journey import check_page_layout

# A speechSynthesis that records what it is asked to say, installed before any page script.
SPEECH_PRESENT = """
window.__spoken = [];
const fakeSynthesis = {
  speaking: false, pending: false, paused: false,
  speak(utterance) {
    window.__spoken.push({text: utterance.text, lang: utterance.lang});
    setTimeout(() => utterance.onend && utterance.onend(), 0);
  },
  cancel() {}, pause() {}, resume() {}, getVoices() { return []; },
};
Object.defineProperty(window, 'speechSynthesis', {value: fakeSynthesis, configurable: true});
if (typeof window.SpeechSynthesisUtterance !== 'function') {
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
}
"""
# A browser without speech synthesis (many older phones, some privacy settings).
SPEECH_ABSENT = """
try { delete Window.prototype.speechSynthesis; } catch (e) {}
Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});
Object.defineProperty(window, 'SpeechSynthesisUtterance', {value: undefined, configurable: true});
"""
CHECK_PAGE_MAX_PX = 7000


def _link(pathway: str, serial: int, language: str = ""):
    from bench.page_weight import demo_link

    invitation, token = demo_link(pathway=pathway, serial=serial)
    if language:
        Patient.objects.filter(pk=invitation.episode.patient_id).update(preferred_language=language)
    return invitation, token


def _walk(page, live_server, invitation, token, axe_check, on_page=None, on_other=None):
    """Date of birth, every question page, the check page: checks each kind of page once."""
    plan = page_plan(invitation)
    firsts = {p.number for p in plan if p.part == 1} | {plan[-1].number}
    page.goto(f"{live_server.url}/q/{token}/")
    for part in ("day", "month", "year"):  # by id: the labels may be in any language
        page.locator(f"#dob-{part}").fill(str(getattr(BIRTH_DATE, part)))
    pages.submit(page)

    def check(page):
        number = int(pages.QUESTION_PAGE.search(pages.path_of(page)).group(1))
        this = plan[number - 1]
        fieldsets = page.locator("main form fieldset").count()
        assert fieldsets == len(this.items), f"page {number}: {fieldsets} questions"
        if this.instrument.paging == "item":
            assert fieldsets == 1, f"{this.code} asks one question per page"
        if on_page:
            on_page(page, this)
        if number in firsts:
            what = f"{this.code} page {number}"
            check_page_layout(page, what)
            assert not pages.small_touch_targets(page), pages.small_touch_targets(page)
            axe_check(page, what)

    given = pages.complete_questionnaires(page, on_page=check)
    check_page_layout(page, "check page")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < CHECK_PAGE_MAX_PX, f"the check page is {height}px long"
    details = page.locator("main details.proms-answers")
    assert details.count() == len({p.code for p in plan})
    axe_check(page, "check page")
    details.first.locator("summary").click()  # unfolds without any script of ours
    assert details.first.locator(".nhsuk-summary-list__actions a").first.is_visible()
    axe_check(page, "check page with a questionnaire open")
    if on_other:
        on_other(page, "check")
    pages.submit(page)
    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    axe_check(page, "done page")
    if on_other:
        on_other(page, "done")
    return given


def test_knee_pain_one_question_per_page_with_read_aloud(
    context_factory, definitions, live_server, axe_check
):
    context = context_factory()
    context.add_init_script(SPEECH_PRESENT)
    page = context.new_page()
    invitation, token = _link("knee-pain", 21)
    assert {p.code for p in page_plan(invitation) if p.instrument.paging == "item"} >= {
        "mskt-core",
        "msk-hq",
        "oks",
    }
    spoken_pages = []

    def listen(page, this):
        buttons = page.locator("main form button.proms-listen")
        assert buttons.count() == len(this.items), "a Listen button on every question"
        buttons.last.click()
        spoken = page.evaluate("() => window.__spoken.at(-1)")
        legend = page.locator("main form legend").last.inner_text()
        assert " ".join(legend.split()) in spoken["text"]
        assert spoken["lang"] == "en-gb"
        spoken_pages.append(this.number)

    _walk(page, live_server, invitation, token, axe_check, on_page=listen)
    assert len(spoken_pages) == len(page_plan(invitation))


def test_fibromyalgia_without_speech_synthesis_works_the_same(
    context_factory, definitions, live_server, axe_check
):
    context = context_factory()
    context.add_init_script(SPEECH_ABSENT)
    page = context.new_page()
    invitation, token = _link("fibromyalgia", 22)
    assert catalogue().instrument("fiqr").paging == "item"

    def no_listen(page, this):
        assert page.evaluate("() => window.speechSynthesis") is None
        assert page.locator("button.proms-listen").count() == 0

    given = _walk(page, live_server, invitation, token, axe_check, on_page=no_listen)
    assert len(given) == len(page_plan(invitation))


def test_a_pseudo_locale_run_shows_no_untranslated_text(
    context_factory, definitions, live_server, axe_check, settings
):
    context = context_factory()
    context.add_init_script(SPEECH_PRESENT)
    page = context.new_page()
    with pseudo_locale.installed(settings):
        invitation, token = _link("knee-pain", 23, language=pseudo_locale.CODE)
        escaped = {}

        def visible_text(page, this):
            text_check(page, this.number)
            listen = page.locator("main form button.proms-listen").first
            assert listen.inner_text() == pseudo_locale.pseudo("Listen")

        def text_check(page, name):
            nodes = page.evaluate(
                """() => { const out = []; const walk = document.createTreeWalker(
                     document.body, NodeFilter.SHOW_TEXT);
                   while (walk.nextNode()) { const n = walk.currentNode;
                     const el = n.parentElement;
                     if (!el || ['SCRIPT', 'STYLE'].includes(el.tagName)) continue;
                     const t = n.textContent.replace(/\\s+/g, ' ').trim(); if (t) out.push(t); }
                   return out; }"""
            )
            found = pseudo_locale.untranslated(nodes)
            if found:
                escaped[name] = found

        _walk(
            page,
            live_server,
            invitation,
            token,
            axe_check,
            on_page=visible_text,
            on_other=text_check,
        )
        assert page.locator("html").get_attribute("lang") == pseudo_locale.CODE
        assert escaped == {}


@pytest.mark.parametrize("path", ["/", "/accessibility/", "/privacy/", "/contact/"])
def test_home_and_support_pages_fit_a_small_phone(page, definitions, live_server, axe_check, path):
    page.goto(live_server.url + path)
    overflow = pages.horizontal_overflow(page, 360)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
    footer = page.locator("footer")
    for words in ("Accessibility statement", "Privacy notice", "Contact us"):
        assert footer.get_by_role("link", name=words).count() == 1
    if path == "/":
        assert page.get_by_role("link", name="Staff sign in").is_visible()
    axe_check(page, path)
