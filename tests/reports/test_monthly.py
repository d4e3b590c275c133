"""The monthly packs: made on the first working day, once, and announced by a link only."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from outcomes.models import AuditEvent
from reports import services, tasks
from reports.models import BoardPack
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_YEARS_DAY = dt.datetime(2027, 1, 1, 6, tzinfo=dt.UTC)  # a Friday and a bank holiday
FIRST_WORKING_DAY = dt.datetime(2027, 1, 4, 6, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    """The figures are computed for real; the layout is test_packs.py's concern."""
    monkeypatch.setattr(services, "board_pack_pdf", lambda pack: (b"%PDF-1.7 figures", 1))


@pytest.fixture
def subscriber():
    user = UserFactory(is_staff=True, email="analyst@example.nhs.uk")
    services.subscription_set(user=user, subscribed=True)
    return user


def run_monthly(when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return tasks.monthly_board_packs.delay().get()


def test_no_pack_is_made_on_a_bank_holiday(population, django_capture_on_commit_callbacks):
    assert run_monthly(NEW_YEARS_DAY, django_capture_on_commit_callbacks) == 0
    assert not BoardPack.objects.exists()


def test_one_pack_per_condition_is_made_on_the_first_working_day_for_the_month_just_ended(
    population, django_capture_on_commit_callbacks
):
    assert run_monthly(FIRST_WORKING_DAY, django_capture_on_commit_callbacks) == 3

    packs = BoardPack.objects.order_by("condition")
    assert [p.condition for p in packs] == ["back-pain", "fibromyalgia", "knee-pain"]
    assert {(p.date_from, p.date_to) for p in packs} == {
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    }
    assert {p.status for p in packs} == {BoardPack.Status.READY}
    assert {p.kind for p in packs} == {BoardPack.Kind.MONTHLY}


def test_the_monthly_packs_are_made_once_however_often_beat_runs(
    population, django_capture_on_commit_callbacks
):
    run_monthly(FIRST_WORKING_DAY, django_capture_on_commit_callbacks)

    assert run_monthly(FIRST_WORKING_DAY, django_capture_on_commit_callbacks) == 0
    assert BoardPack.objects.count() == 3


def test_subscribers_get_one_email_per_pack_with_a_link_and_no_figures(
    population, subscriber, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_BASE_URL = "https://proms.example.nhs.uk"
    UserFactory(is_staff=True, email="not-subscribed@example.nhs.uk")

    run_monthly(FIRST_WORKING_DAY, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 3
    assert {tuple(m.to) for m in mail.outbox} == {("analyst@example.nhs.uk",)}
    for message in mail.outbox:
        assert "https://proms.example.nhs.uk/staff/reports/" in message.body
        assert not message.attachments
        pack = BoardPack.objects.get(title=message.subject.split(": ", 1)[1])
        rest = message.body.replace(pack.title, "").replace("https://proms.example.nhs.uk", "")
        assert not any(c.isdigit() for c in rest)  # no figure, count or identifier
    assert AuditEvent.objects.filter(action="board_pack.announce").count() == 3


def test_an_on_demand_pack_is_not_announced(
    population, subscriber, django_capture_on_commit_callbacks
):
    from reports.packs import PackFilters

    filters = PackFilters("knee-pain", dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    with django_capture_on_commit_callbacks(execute=True):
        services.board_pack_request(filters=filters, by=subscriber)

    assert mail.outbox == []


def test_a_pack_is_announced_once(population, subscriber, django_capture_on_commit_callbacks):
    run_monthly(FIRST_WORKING_DAY, django_capture_on_commit_callbacks)
    pack = BoardPack.objects.first()

    assert services.board_pack_announce(pack_id=pack.pk) == 0
    assert len(mail.outbox) == 3
