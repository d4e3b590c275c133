"""A board pack carries the API's figures for the same filters, and new responses at once."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from analytics import summaries
from outcomes.models import AuditEvent
from reports import services
from reports.models import BoardPack
from reports.packs import PAIRED_OUTCOMES, PackFilters, number, pack_build
from surveys.models import Invitation
from surveys.services import response_submit
from tests.factories import UserFactory
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db

FILTERS = PackFilters("knee-pain", dt.date(2025, 11, 1), dt.date(2026, 10, 31))
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><title>Funnel</title></svg>'
NOW = dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)


@pytest.fixture
def analyst_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    return client


@pytest.fixture
def built(population, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        pack = services.board_pack_request(filters=FILTERS, by=None)
    pack.refresh_from_db()
    assert pack.status == BoardPack.Status.READY, pack.error
    return pack


def ci(row, key):
    """A figure and its interval as the pack (and the dashboard's tables) write them."""
    return f"{number(row[key])} ({number(row[key + '_lower'])} to {number(row[key + '_upper'])})"


def test_the_pack_carries_the_provider_figures_the_api_gives_for_the_same_filters(
    built, analyst_client
):
    answer = analyst_client.get("/api/v1/outcomes/summary/", built.api_query()).json()
    text = pdf_text(bytes(built.pdf))

    published = [row for row in answer["results"] if not row["suppressed"]]
    assert len(published) >= 3
    for row in published:
        assert ci(row, "mean_change") in text
        if row["pct_improved"] is None:  # a class count of 1-7 is withheld with its percentage
            assert "withheld" in text
        else:
            assert f"{number(row['pct_improved'])}%" in text
        if row["adjusted_change"] is not None:
            assert number(row["adjusted_change"]) in text


def test_the_pack_carries_each_outcome_overall_as_the_api_gives_it(built, analyst_client):
    text = pdf_text(bytes(built.pdf))

    for outcome in PAIRED_OUTCOMES:
        query = built.api_query() | {"outcome": outcome, "group_by": "none"}
        (row,) = analyst_client.get("/api/v1/outcomes/summary/", query).json()["results"]
        assert f"{row['n']:,}" in text
        assert ci(row, "mean_change") in text


def test_the_pack_carries_the_equity_and_practice_figures_the_api_gives(built, analyst_client):
    equity = analyst_client.get("/api/v1/outcomes/equity/", built.api_query()).json()
    practices = analyst_client.get("/api/v1/outcomes/practices/", built.api_query()).json()
    text = pdf_text(bytes(built.pdf))

    sii = next(r for r in equity["results"] if r["table"] == "slope_index_of_inequality")
    assert (
        f"slope index of inequality {number(sii['sii'])}, 95% CI {number(sii['sii_lower'])} to"
        in text
    )
    by_quintile = [
        r
        for r in equity["results"]
        if r["table"] == "outcomes" and r["dimension"] == "imd_quintile" and not r["suppressed"]
    ]
    assert by_quintile
    for row in by_quintile:
        assert ci(row, "mean_change") in text
    shown = [r for r in practices["results"] if r["mean_change"] is not None]
    if not shown:  # the test population's practices are all under the disclosure threshold
        assert "withheld" in text
    for row in shown:
        assert ci(row, "mean_change") in text


def test_the_summary_says_whether_each_outcome_changed_beyond_chance(built):
    text = pdf_text(bytes(built.pdf))

    assert "What changed and what is flagged" in text
    assert text.count("than chance would explain") + text.count("what chance would explain") >= 4
    assert "in the 12 months to October 2025" in text


def test_a_response_submitted_by_a_patient_shows_in_the_pack_at_once(population):
    filters = PackFilters("knee-pain", dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    invitation = (
        Invitation.objects.filter(
            episode__pathway__code="knee-pain",
            timepoint="6-months",
            status=Invitation.Status.SENT,
            episode__invitations__timepoint="baseline",
            episode__invitations__status=Invitation.Status.COMPLETED,
        )
        .order_by("pk")
        .first()
    )
    assert invitation is not None
    with time_machine.travel(NOW, tick=False):
        before = pack_build(filters).sections[0].figure["results"]
        response_submit(
            invitation=invitation, answers=best_answers(invitation), mode="self", by=None
        )
        after = pack_build(filters).sections[0].figure["results"]

    assert after != before  # no nightly job between: the pack reads the new pair at once
    quality = summaries.outcome_summary(filters.query(outcome="quality-of-life", group_by="none"))
    assert after[0] == {"outcome": "quality-of-life", **quality["results"][0]}


def best_answers(invitation):
    from outcomes.loading import catalogue

    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        answers[code] = {
            item.id: (item.options[0].code if item.kind == "choice" else item.minimum)
            for item in spec.items
        }
    return answers


def test_building_a_pack_is_audited_without_patient_details(built):
    event = AuditEvent.objects.get(action="board_pack.generate", object_id=str(built.pk))

    assert event.details["condition"] == "knee-pain"
    assert event.details["pages"] == built.pages
    assert set(event.details) <= {"condition", "timepoint", "from", "to", "pages", "seconds"}


def test_a_pack_is_built_once_however_often_its_task_runs(built):
    made = built.built_at

    again = services.board_pack_build(pack_id=built.pk)

    assert again.built_at == made
    assert AuditEvent.objects.filter(action="board_pack.generate").count() == 1


def test_a_pack_that_cannot_be_built_is_marked_failed_with_a_reason(
    population, django_capture_on_commit_callbacks
):
    filters = PackFilters("knee-pain", dt.date(2026, 1, 1), dt.date(2026, 1, 31), "no-such")

    with django_capture_on_commit_callbacks(execute=True):
        pack = services.board_pack_request(filters=filters, by=None)

    pack.refresh_from_db()
    assert pack.status == BoardPack.Status.FAILED
    assert "no-such" in pack.error
    assert pack.pdf is None


def test_a_chart_registered_for_a_section_is_drawn_in_the_pack(population, monkeypatch):
    from reports import packs

    drawn = []

    def funnel(figure):
        drawn.append(figure)
        return SVG

    monkeypatch.setitem(packs.CHARTS, "providers", funnel)
    with time_machine.travel(NOW, tick=False):
        content = pack_build(FILTERS)

    providers = next(s for s in content.sections if s.key == "providers")
    assert drawn == [providers.figure]
    assert providers.svg.startswith("<svg")
    pdf, _pages = services.board_pack_pdf(content)
    assert pdf.startswith(b"%PDF")
