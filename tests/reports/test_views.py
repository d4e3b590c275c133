"""The staff reports page: list, make on demand, download (audited), e-mail toggle."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from outcomes.models import AuditEvent
from reports import services
from reports.models import BoardPack, ReportSubscription
from tests.factories import ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/staff/reports/"
NOW = dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    monkeypatch.setattr(services, "board_pack_pdf", lambda pack: (b"%PDF-1.7 figures", 2))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff():
    user = UserFactory(email="lead@example.nhs.uk")
    ProviderFactory(ods_code="RZZ99").staff.add(user)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def make(client, capture, **fields):
    data = {"condition": "knee-pain", "timepoint": "6-months", "month": "2026-10", "months": "12"}
    with capture(execute=True):
        return client.post(PAGE, data | fields)


def test_someone_not_logged_in_is_sent_to_log_in():
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_log_in_that_is_not_staff_gets_a_polite_refusal():
    client = Client()
    client.force_login(UserFactory())

    response = client.get(PAGE)

    assert response.status_code == 403
    assert b"not linked to a service" in response.content


def test_staff_make_a_pack_for_a_filter_set_and_see_it_listed(
    population, staff, django_capture_on_commit_callbacks
):
    response = make(staff, django_capture_on_commit_callbacks, provider="RK5")

    assert response.status_code == 302
    pack = BoardPack.objects.get()
    assert pack.status == BoardPack.Status.READY
    assert pack.requested_by == staff.user
    assert pack.api_query() == {
        "condition": "knee-pain",
        "timepoint": "6-months",
        "from": "2025-11-01",
        "to": "2026-10-31",
        "provider": "RK5",
    }
    page = staff.get(PAGE).content.decode()
    assert "Knee pain: 12 months to October 2026, RK5" in page
    assert f"/staff/reports/{pack.pk}/" in page


def test_one_month_packs_cover_that_month_only(
    population, staff, django_capture_on_commit_callbacks
):
    make(staff, django_capture_on_commit_callbacks, months="1", month="2026-03")

    pack = BoardPack.objects.get()
    assert (pack.date_from, pack.date_to) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"month": "October"}, "like 2026-11"),
        ({"month": "2026-13"}, "like 2026-11"),
        ({"month": "2027-01"}, "cannot be in the future"),
        ({"condition": "gout"}, "Select a valid choice"),
        ({"condition": "back-pain", "timepoint": "post-op-6-months"}, "has no"),
    ],
)
def test_a_bad_filter_set_is_refused_with_a_reason_and_nothing_made(
    population, staff, django_capture_on_commit_callbacks, fields, message
):
    response = make(staff, django_capture_on_commit_callbacks, **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BoardPack.objects.exists()


def test_downloading_a_pack_gives_the_pdf_and_is_audited(
    population, staff, django_capture_on_commit_callbacks
):
    make(staff, django_capture_on_commit_callbacks)
    pack = BoardPack.objects.get()

    response = staff.get(f"/staff/reports/{pack.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 figures"
    assert "board-pack-knee-pain-2025-11-to-2026-10.pdf" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="board_pack.download")
    assert (event.actor, event.object_id) == (staff.user, str(pack.pk))


def test_a_pack_still_being_prepared_cannot_be_downloaded(staff):
    pack = BoardPack.objects.create(
        kind=BoardPack.Kind.ON_DEMAND,
        condition="knee-pain",
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 1, 31),
        title="Knee pain: January 2026",
    )

    assert staff.get(f"/staff/reports/{pack.pk}/").status_code == 404
    assert staff.get("/staff/reports/999999/").status_code == 404


def test_staff_turn_board_pack_emails_on_and_off(staff):
    staff.post(f"{PAGE}subscription/", {"subscribe": "1"})
    assert ReportSubscription.objects.filter(user=staff.user).exists()
    assert "Stop these e-mails" in staff.get(PAGE).content.decode()

    staff.post(f"{PAGE}subscription/", {"subscribe": "0"})
    assert not ReportSubscription.objects.exists()
    events = AuditEvent.objects.filter(actor=staff.user, action__startswith="board_pack.")
    events = events.order_by("pk")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["board_pack.subscribe", "board_pack.unsubscribe"]


def test_staff_without_an_email_address_cannot_subscribe(staff):
    staff.user.email = ""
    staff.user.save()

    response = staff.post(f"{PAGE}subscription/", {"subscribe": "1"}, follow=True)

    assert "no e-mail address" in response.content.decode()
    assert not ReportSubscription.objects.exists()


def test_the_staff_menu_links_to_the_board_packs(staff):
    assert 'href="/staff/reports/"' in staff.get("/staff/").content.decode()


def test_the_reports_page_lists_a_value_report_pdf_for_each_active_condition(staff):
    page = staff.get(PAGE).content.decode()
    assert 'href="/staff/value/report.pdf?condition=back-pain"' in page
    assert 'href="/staff/value/report.pdf?condition=knee-pain"' in page
