"""Staff sessions end after a configurable time without activity."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client

from tests.factories import ProviderFactory, UserFactory


def test_a_staff_session_idle_past_the_limit_is_logged_out_with_a_message(db, settings):
    settings.STAFF_IDLE_MINUTES = 30
    user = UserFactory(is_staff=True)
    ProviderFactory().staff.add(user)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    client = Client()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(user)
        assert client.get("/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200  # activity keeps it alive
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))

        response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/")
    page = client.get(response["Location"])
    assert "logged out after 30 minutes without activity" in page.content.decode()
    assert "_auth_user_id" not in client.session
