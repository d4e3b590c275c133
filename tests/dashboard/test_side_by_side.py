"""A page's figures computed side by side are the figures computed one by one."""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import threading

import pytest
import time_machine
from django.db import connection  # noqa: F401 (read by the skip condition)
from django.urls import reverse

from dashboard import views
from dashboard.cache import cached, computed_once
from dashboard.figures import figure_compute, figures_side_by_side
from dashboard.filters import Filters
from dashboard.layout import OVERVIEW
from outcomes.loading import catalogue
from outcomes.services import definitions_load
from proms.side_by_side import threads_stop
from surveys import reference, synthetic
from surveys.cohorts import cohorts_rebuild
from tests.factories import UserFactory

needs_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="side by side is PostgreSQL's only"
)


def test_two_threads_asking_for_one_value_compute_it_once(db, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    computing, release = threading.Event(), threading.Event()
    computed: list[str] = []
    answers: list = []

    def slow() -> dict:
        computed.append(threading.current_thread().name)
        computing.set()
        release.wait(timeout=10)
        return {"series": [1, 2, 3]}

    def ask() -> None:
        answers.append(cached("shared-series", ["x"], slow))

    with computed_once():
        # Threads start with an empty context: each is given the page's, as the pool's are.
        first = threading.Thread(target=contextvars.copy_context().run, args=(ask,))
        first.start()
        assert computing.wait(timeout=10)
        second = threading.Thread(target=contextvars.copy_context().run, args=(ask,))
        second.start()
        release.set()
        first.join(timeout=10)
        second.join(timeout=10)

    assert len(computed) == 1
    assert answers == [{"series": [1, 2, 3]}] * 2


def test_inside_a_transaction_a_page_computes_its_figures_itself(db):
    with computed_once():
        assert figures_side_by_side(OVERVIEW, filters=Filters(condition="knee-pain")) == 0


@pytest.fixture
def committed_population(transactional_db):
    """Committed rows (transactional tests start from a flushed database), as a served page
    sees them: other threads' connections cannot see a test's uncommitted rows."""
    definitions_load(definitions=catalogue())
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    synthetic.providers_ensure()
    context = synthetic.context_from_database(5)
    plans = synthetic.population_plan(context, patients=120, today=dt.date(2026, 11, 20))
    synthetic.population_write(plans, context=context)
    cohorts_rebuild()
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        yield
    threads_stop()  # their connections closed, so the test database can be flushed and dropped


def _without_computed_at(answer: dict) -> dict:
    meta = dict(answer["meta"])
    meta["as_of"] = {k: v for k, v in meta.get("as_of", {}).items() if k != "computed_at"}
    return answer | {"meta": meta}


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_overviews_figures_side_by_side_are_the_figures_one_by_one(
    committed_population, settings
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    filters = Filters(condition="knee-pain")
    with computed_once():
        helpers = figures_side_by_side(OVERVIEW, filters=filters)
        side_by_side = {name: figure_compute(name, filters=filters) for name in OVERVIEW}
    settings.FIGURE_THREADS = 1
    with computed_once():
        assert figures_side_by_side(OVERVIEW, filters=filters) == 0
        one_by_one = {name: figure_compute(name, filters=filters) for name in OVERVIEW}

    assert helpers == 1  # FIGURE_THREADS = 2: the request's thread and one more
    assert all(answer["results"] for answer in one_by_one.values())
    assert {n: _without_computed_at(a) for n, a in side_by_side.items()} == {
        n: _without_computed_at(a) for n, a in one_by_one.items()
    }


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_between_services_lists_the_same_patients_read_beside_its_figures(
    committed_population, settings, client, monkeypatch
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client.force_login(UserFactory(is_superuser=True))
    threads: dict[str, list[str]] = {"figures": [], "patients": []}

    def noting_its_thread(part, function):
        def noted(*args, **kwargs):
            threads[part].append(threading.current_thread().name)
            return function(*args, **kwargs)

        return noted

    monkeypatch.setattr(views, "_sections", noting_its_thread("figures", views._sections))
    monkeypatch.setattr(
        views, "no_contact_episodes", noting_its_thread("patients", views.no_contact_episodes)
    )
    url = reverse("dashboard:between") + "?condition=knee-pain"
    beside = client.get(url).content.decode()
    settings.FIGURE_THREADS = 1
    alone = client.get(url).content.decode()

    first, second = zip(threads["figures"], threads["patients"], strict=True)
    assert first[0] != first[1]  # the figures and the patient list read at the same time
    assert second[0] == second[1]
    links = re.escape(reverse("staff:episode_detail", args=[0])).replace("0", r"\d+")
    assert re.findall(links, beside)
    assert re.findall(links, beside) == re.findall(links, alone)
    shown = r"(\d[\d,]*) open episodes? at your providers"
    assert re.findall(shown, beside)
    assert re.findall(shown, beside) == re.findall(shown, alone)
