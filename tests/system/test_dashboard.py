"""The dashboard in a real browser at 1280x800 and 360x740: every page opens, every chart image
loads, every CSV downloads, axe-core finds no WCAG 2.1 A/AA violation, and nothing breaks under
the strict Content-Security-Policy (default-src 'self'; script-src 'self'; style-src 'self';
img-src 'self' data:) that every HTML page is served with here."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.models import DashboardRole
from dashboard.views import VALUE_AREAS
from surveys import reference, synthetic
from surveys.cohorts import cohorts_rebuild
from tests.factories import UserFactory
from tests.system import pages

PASSWORD = "a-long-test-password"
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PAGES = [
    "/staff/dashboard/",
    "/staff/dashboard/conditions/",
    "/staff/dashboard/conditions/back-pain/",
    "/staff/dashboard/conditions/knee-pain/",
    "/staff/dashboard/conditions/fibromyalgia/",
    *(f"/staff/dashboard/conditions/knee-pain/?area={area.slug}" for area in VALUE_AREAS[1:]),
    "/staff/dashboard/providers/",
    "/staff/dashboard/practices/",
    "/staff/dashboard/practices/C84009/",
    "/staff/dashboard/between-services/",
    "/staff/dashboard/methods/",
]


@pytest.fixture
def analyst(definitions):
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    synthetic.providers_ensure()
    context = synthetic.context_from_database(11)
    plans = synthetic.population_plan(context, patients=250, today=dt.date.today())
    synthetic.population_write(plans, context=context)
    cohorts_rebuild()  # as after any bulk load
    user = UserFactory(username="programme.analyst")
    DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
    return user


def strict_page(context_factory, options):
    """A page whose HTML responses carry the strict policy; CSP violations are collected."""
    context = context_factory(**options)
    policy = {"on": True}

    def add_policy(route):
        response = route.fetch(max_redirects=0)  # the browser follows redirects itself
        headers = dict(response.headers)
        if policy["on"] and headers.get("content-type", "").startswith("text/html"):
            headers["content-security-policy"] = STRICT_CSP
        route.fulfill(response=response, headers=headers)

    context.route("**/*", add_policy)
    page = context.new_page()
    page.policy = policy  # axe-core is injected as an inline script: off while it runs
    page.violations = []
    page.on(
        "console",
        lambda message: (
            page.violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return page


def log_in(page, live_server, user) -> None:
    pages.staff_log_in(page, live_server.url, user, PASSWORD)
    page.goto(f"{live_server.url}/staff/dashboard/")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280x800", "360x740"])
def test_every_dashboard_page_chart_and_csv_in_the_browser(
    context_factory, live_server, analyst, axe_check, size
):
    page = strict_page(context_factory, size)
    log_in(page, live_server, analyst)
    downloads: set[str] = set()
    for path in PAGES:
        page.goto(live_server.url + path, wait_until="load")
        what = f"{path} at {size['viewport']['width']}px"
        assert page.locator("h1").count() == 1, what
        broken = page.evaluate(
            "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        assert not broken, f"{what}: images that did not load: {broken}"
        page.policy["on"] = False
        page.reload(wait_until="load")
        axe_check(page, what)
        page.policy["on"] = True
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= size["viewport"]["width"], f"{what}: page wider than the screen"
        # Every chart fits the screen whole (a phone gets the narrow drawing): none is cut off
        # at the right or needs scrolling sideways.
        cut = page.evaluate(
            "() => [...document.querySelectorAll('img.dash-chart')].filter(i => "
            "i.getBoundingClientRect().right > document.documentElement.clientWidth "
            "|| i.parentElement.parentElement.scrollWidth > "
            "i.parentElement.parentElement.clientWidth).map(i => i.currentSrc)"
        )
        assert not cut, f"{what}: charts wider than the screen: {cut}"
        downloads.update(
            page.eval_on_selector_all("a[href*='/data/'][download]", "els => els.map(e => e.href)")
        )
    assert not page.violations, page.violations
    assert len(downloads) >= 10
    for url in sorted(downloads):
        response = page.request.get(url)
        assert response.status == 200, url
        assert response.headers["content-type"].startswith("text/csv"), url
        assert response.text().count("\n") >= 1, url
    # One download through the browser itself, as a person would click it.
    page.goto(live_server.url + "/staff/dashboard/between-services/")
    with page.expect_download() as download:
        page.locator("a[href*='/data/'][download]").first.click()
    assert download.value.suggested_filename.endswith(".csv")


def test_the_dashboard_works_without_javascript_and_prints_without_its_controls(
    context_factory, live_server, analyst
):
    page = strict_page(context_factory, {**DESKTOP, "java_script_enabled": False})
    log_in(page, live_server, analyst)
    page.goto(live_server.url + "/staff/dashboard/between-services/")
    page.select_option("#id_condition", "back-pain")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "condition=back-pain" in page.url  # a bookmarkable address
    assert page.locator("#id_condition").input_value() == "back-pain"
    page.emulate_media(media="print")
    assert not page.locator("form.dash-filters").is_visible()
    assert not page.locator(".dash-nav").is_visible()
    assert page.locator("img.dash-chart").first.is_visible()


def test_a_condition_pages_value_areas_are_links_that_keep_the_filters_without_javascript(
    context_factory, live_server, analyst
):
    page = strict_page(context_factory, {**DESKTOP, "java_script_enabled": False})
    log_in(page, live_server, analyst)
    page.goto(live_server.url + "/staff/dashboard/conditions/knee-pain/")
    page.fill("#id_period", "2026Q1")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Optimising key procedures").click()
    assert "area=procedures" in page.url and "period=2026Q1" in page.url  # bookmarkable
    assert page.get_by_role("heading", name="Optimising key procedures", level=2).is_visible()
    page.select_option("#id_provider", index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "area=procedures" in page.url  # the filters keep the value area shown
    current = page.locator(".dash-areas a[aria-current=page]")
    assert current.inner_text() == "Optimising key procedures"
