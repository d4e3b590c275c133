"""The browser tools work: Chromium renders our home page and axe-core runs on it."""

import pytest


def test_home_page_renders_without_violations(page, live_server, definitions, axe_check):
    page.goto(live_server.url + "/")
    assert page.locator("h1").count() == 1
    axe_check(page, "home page")


def test_axe_check_reports_violations(page, live_server, definitions, axe_check):
    """The check really fails on a broken page (an image without alternative text)."""
    page.goto(live_server.url + "/")
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    with pytest.raises(AssertionError, match="image-alt"):
        axe_check(page, "home page with an unlabelled image")
