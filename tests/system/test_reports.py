"""Staff open the board packs page, make a pack and download its PDF in a real browser, on a
laptop and on a phone; axe-core checks the page (WCAG 2.0/2.1 A and AA)."""

from __future__ import annotations

import re

import pytest

from tests.factories import ProviderFactory, UserFactory
from tests.reports.conftest import pdf_text
from tests.system import pages

PASSWORD = "a-long-test-password"
LAPTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture(autouse=True)
def eager_tasks():
    from proms.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def lead(definitions):
    user = UserFactory(username="programme.lead", email="lead@example.nhs.uk")
    ProviderFactory(ods_code="RK5", name="Sherwood Forest Hospitals MSK").staff.add(user)
    return user


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_staff_make_and_download_a_board_pack(
    context_factory, live_server, axe_check, lead, device
):
    page = context_factory(**(LAPTOP if device == "laptop" else PHONE)).new_page()
    pages.staff_log_in(page, live_server.url, lead, PASSWORD)  # password, then second factor
    page.goto(f"{live_server.url}/staff/reports/")
    axe_check(page, f"board packs page ({device})")

    page.get_by_label("Last month").fill("2026-13")
    page.get_by_role("button", name="Make the pack").click()
    assert "There is a problem" in page.content()
    axe_check(page, f"board packs page with an error ({device})")

    page.get_by_label("Last month").fill("2026-10")
    page.get_by_label("Period").select_option("3")
    page.get_by_role("button", name="Make the pack").click()
    assert "is ready to download" in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download")).first.click()
    pdf = download.value.path().read_bytes()
    text = pdf_text(pdf)
    assert "MSK Together board pack: Back pain" in text
    assert "What changed and what is flagged" in text
    assert "The triple aim at a glance" in text  # the dashboard's pages, charts and tables
    assert "Methods" in text and "Disclosure control" in text
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= page.viewport_size["width"], f"reports page wider than the screen ({device})"

    page.get_by_role("button", name="E-mail me when a pack is ready").click()
    assert "Stop these e-mails" in page.content()
    axe_check(page, f"board packs page, subscribed ({device})")
