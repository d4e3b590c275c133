"""The browser tools work: Chromium renders our home page and axe-core runs on it."""


def test_home_page_renders_without_violations(page, live_server, definitions, axe_check):
    page.goto(live_server.url + "/")
    assert page.locator("h1").count() == 1
    axe_check(page, "home page")
