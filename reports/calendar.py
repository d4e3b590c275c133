"""Working days in England and Wales: the board pack is built on the first of each month."""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays


@cache
def _bank_holidays(year: int) -> frozenset[dt.date]:
    # The "holidays" package (docs/adr/0005): England's list is England and Wales's, with
    # substitute days ("observed") when a holiday falls at a weekend, and one-off days such as
    # a coronation; a hand-kept file would need editing every year.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def first_working_day(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def previous_month(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last days of the calendar month before ``day``'s."""
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last
