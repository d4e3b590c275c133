"""The board pack's dashboard part covers the pack's own months (reports.figures)."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.figures import dashboard_filters, scope_words
from reports.packs import PackFilters


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        (dt.date(2025, 12, 1), dt.date(2026, 11, 30), "2025-12..2026-11"),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-11"),
        (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026Q3"),
        (dt.date(2026, 8, 1), dt.date(2026, 10, 31), "2026-08..2026-10"),
    ],
    ids=[
        "twelve months are a range",
        "one month stays a month",
        "a calendar quarter stays a quarter",
        "three months across two quarters are a range",
    ],
)
def test_a_packs_months_are_the_dashboard_period_of_its_dashboard_part(first, last, period):
    pack = PackFilters("knee-pain", first, last)

    assert dashboard_filters(pack).period == period


def test_the_pack_names_its_dashboard_months_in_plain_english():
    pack = PackFilters("knee-pain", dt.date(2025, 12, 1), dt.date(2026, 11, 30))

    assert scope_words(dashboard_filters(pack)) == (
        "December 2025 to November 2026 (period 2025-12..2026-11), "
        "as the dashboard shows them for the same filters"
    )
