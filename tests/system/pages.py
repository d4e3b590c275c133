"""What a patient (or a member of staff) does on our pages, written once for every browser test.

The helpers rely only on the page conventions (context for issue 3): one ``<h1>``, ``<main
id="main">``, the NHS.UK error summary, radios in fieldsets with labels, submit buttons
``<button class="nhsuk-button" type="submit">``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from playwright.sync_api import Page

QUESTION_PAGE = re.compile(r"/q/[^/]+/page/(\d+)/?$")
CHECK_PAGE = re.compile(r"/q/[^/]+/check/?$")
DONE_PAGE = re.compile(r"/q/[^/]+/done/?$")
MAX_PAGES = 60


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url).split("?")[0]


def primary_button(page: Page):
    """The page's main submit button (not a secondary 'save and come back later' one)."""
    buttons = page.locator(
        "main button.nhsuk-button[type=submit]:not(.nhsuk-button--secondary):visible"
    )
    return buttons.first


def submit(page: Page) -> None:
    """Press the main button and wait for the next page (or the same page with errors)."""
    with page.expect_navigation():
        primary_button(page).click()


# ---------------------------------------------------------------------------------------------
# Date of birth


def birth_date_fields(page: Page) -> list[tuple[str, object]]:
    """The date-of-birth inputs, in order, with the part each takes ('day', 'month', 'year' or
    'date' for a single date field)."""
    form = page.locator("main form")
    day = form.get_by_label(re.compile(r"^\s*day\s*$", re.I))
    if day.count():
        return [
            ("day", day),
            ("month", form.get_by_label(re.compile(r"^\s*month\s*$", re.I))),
            ("year", form.get_by_label(re.compile(r"^\s*year\s*$", re.I))),
        ]
    return [("date", form.locator("input[type=date], input[name*=birth]").first)]


def birth_date_parts(date: dt.date) -> dict[str, str]:
    return {
        "day": str(date.day),
        "month": str(date.month),
        "year": str(date.year),
        "date": date.isoformat(),
    }


def confirm_birth_date(page: Page, date: dt.date) -> None:
    parts = birth_date_parts(date)
    for part, locator in birth_date_fields(page):
        locator.fill(parts[part])
    submit(page)


# ---------------------------------------------------------------------------------------------
# Questionnaire pages


@dataclass
class PageAnswers:
    path: str
    radios: dict[str, str] = field(default_factory=dict)  # input name -> value chosen
    numbers: dict[str, str] = field(default_factory=dict)  # input name -> value typed


def radio_groups(page: Page) -> list[str]:
    """Names of the radio groups in the main form, in page order."""
    return page.evaluate(
        """() => [...new Set([...document.querySelectorAll('main form input[type=radio]')]
                 .map(r => r.name))]"""
    )


def number_fields(page: Page) -> list[dict]:
    """Text/number inputs that take a number (the 0-100 health scale, for instance)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main form input')]
            .filter(i => i.type === 'number' || (i.type === 'text' && i.inputMode === 'numeric'))
            .map(i => ({name: i.name, id: i.id, min: i.min, max: i.max}))"""
    )


def number_for(field: dict) -> str:
    low = int(field["min"]) if field.get("min") not in (None, "") else 0
    high = int(field["max"]) if field.get("max") not in (None, "") else 10
    return str((low + high) // 2)


def answer_page(page: Page, choose=lambda options: options[0]) -> PageAnswers:
    """Answer every question on a questionnaire page by clicking labels (and typing numbers).

    ``choose`` picks one option value from each group's values, in page order.
    """
    answers = PageAnswers(path_of(page))
    for name in radio_groups(page):
        radios = page.locator(f'main form input[type=radio][name="{name}"]')
        values = radios.evaluate_all("rs => rs.map(r => r.value)")
        value = choose(values)
        radio = page.locator(f'main form input[type=radio][name="{name}"][value="{value}"]')
        radio_id = radio.get_attribute("id")
        assert radio_id, f"radio {name}={value} has no id, so no label can point at it"
        page.locator(f'label[for="{radio_id}"]').click()
        assert radio.is_checked(), f"clicking the label of {name}={value} did not select it"
        answers.radios[name] = value
    for number in number_fields(page):
        value = number_for(number)
        page.locator(f'main form input[name="{number["name"]}"]').fill(value)
        answers.numbers[number["name"]] = value
    return answers


def is_question_page(page: Page) -> bool:
    return bool(QUESTION_PAGE.search(path_of(page)))


def complete_questionnaires(page: Page, on_page=None, choose=lambda options: options[0]):
    """From the first question page to the check page; ``on_page(page)`` runs on each page
    before it is answered. Returns the answers given, page by page."""
    given: list[PageAnswers] = []
    for _ in range(MAX_PAGES):
        if CHECK_PAGE.search(path_of(page)):
            return given
        assert is_question_page(page), f"expected a question page, got {path_of(page)}"
        if on_page:
            on_page(page)
        given.append(answer_page(page, choose))
        before = path_of(page)
        submit(page)
        assert not page.locator(".nhsuk-error-summary").count(), (
            f"answering every question on {before} still gave errors: "
            + page.locator(".nhsuk-error-summary").inner_text()
        )
    raise AssertionError(f"no check page after {MAX_PAGES} pages")


# ---------------------------------------------------------------------------------------------
# Layout checks


def horizontal_overflow(page: Page, width: int) -> int:
    """How many pixels the page is wider than a ``width``-pixel screen (0 = no sideways scroll)."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        return page.evaluate(
            "(w) => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - w",
            width,
        )
    finally:
        page.set_viewport_size(size)


def small_touch_targets(page: Page, minimum: int = 44) -> list[str]:
    """Radios and buttons whose touch target is smaller than ``minimum`` CSS pixels.

    A radio's target is its input together with its label (a tap on either selects it)."""
    return page.evaluate(
        """(minimum) => {
            const small = [];
            const box = (el) => el.getBoundingClientRect();
            for (const radio of document.querySelectorAll('main input[type=radio]')) {
                const label = radio.id && document.querySelector(`label[for="${radio.id}"]`);
                const boxes = [box(radio)].concat(label ? [box(label)] : []);
                const height = Math.max(...boxes.map(b => b.height));
                const width = Math.max(...boxes.map(b => b.width));
                if (height < minimum || width < minimum) {
                    small.push(`radio ${radio.name}=${radio.value}: ${width}x${height}`);
                }
            }
            const buttons = document.querySelectorAll('main button, main input[type=submit]');
            for (const button of buttons) {
                const b = box(button);
                if (b.height < minimum || b.width < minimum) {
                    small.push(`button "${button.textContent.trim()}": ${b.width}x${b.height}`);
                }
            }
            return small;
        }""",
        minimum,
    )


def focused_element(page: Page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
                   return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '',
                           id: el.id || '', cls: el.className || '', checked: !!el.checked,
                           text: (el.textContent || '').trim().slice(0, 60)}; }"""
    )


# ---------------------------------------------------------------------------------------------
# Keyboard only


def is_primary_button(element: dict) -> bool:
    return (
        element["tag"] == "button"
        and element["type"] == "submit"
        and "nhsuk-button" in element["cls"]
        and "nhsuk-button--secondary" not in element["cls"]
    )


def keyboard_fill_and_submit(page: Page, values: dict[str, str], max_tabs: int = 120) -> None:
    """Tab through a form typing ``values`` (field name -> text) into the fields that take them,
    then press Enter on the main button. No mouse."""
    filled: set[str] = set()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        element = focused_element(page)
        if element["name"] in values and element["name"] not in filled:
            page.keyboard.type(values[element["name"]])
            filled.add(element["name"])
        elif is_primary_button(element) and filled == set(values):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError(f"keyboard: never reached the main button with {set(values) - filled}")


def keyboard_answer_page(page: Page, max_tabs: int = 300) -> PageAnswers:
    """Answer a question page with the keyboard only: Tab into each radio group, Space to pick
    the focused option, Arrow Down to move to the next one; type numbers; Enter on the button."""
    answers = PageAnswers(path_of(page))
    groups = set(radio_groups(page))
    numbers = {f["name"]: number_for(f) for f in number_fields(page)}
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        element = focused_element(page)
        name = element["name"]
        if element["type"] == "radio" and name in groups and name not in answers.radios:
            page.keyboard.press("Space")
            page.keyboard.press("ArrowDown")
            answers.radios[name] = page.evaluate(
                "(n) => document.querySelector(`main form input[name='${n}']:checked`).value", name
            )
        elif name in numbers and name not in answers.numbers:
            page.keyboard.press("Control+A")
            page.keyboard.type(numbers[name])
            answers.numbers[name] = numbers[name]
        elif (
            is_primary_button(element)
            and set(answers.radios) == groups
            and set(answers.numbers) == set(numbers)
        ):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return answers
    raise AssertionError(f"keyboard: could not answer every question on {answers.path}")


# ---------------------------------------------------------------------------------------------
# Staff log-in: password, then the second factor (setting up an authenticator on a first log-in)


def staff_log_in(page: Page, base_url: str, user, password: str, on_page=None) -> None:
    """Log in as ``user`` from the staff home page; ``on_page(page, what)`` sees each page."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.goto(f"{base_url}/staff/")
    assert "/accounts/login/" in page.url, "the staff pages need a log-in"
    page.get_by_label(re.compile("user ?name", re.I)).fill(user.username)
    page.get_by_label(re.compile("password", re.I)).fill(password)
    submit(page)
    if "/two-factor/set-up/" in page.url:
        if on_page:
            on_page(page, "authenticator set-up page")
        device = TOTPDevice.objects.get(user=user, confirmed=False)
    else:
        assert "/two-factor/" in page.url, page.url
        if on_page:
            on_page(page, "security code page")
        device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(device.bin_key, step=device.step, digits=device.digits)
    page.locator("main input[name=code]").fill(f"{code:06d}")
    submit(page)
    if page.locator("main .two-factor-codes").count():
        if on_page:
            on_page(page, "backup codes page")
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("saved my codes", re.I)).click()
    assert path_of(page) == "/staff/", path_of(page)
