"""First working days in England and Wales (gov.uk bank holidays, checked by hand)."""

import datetime as dt

import pytest

from reports.calendar import first_working_day, is_working_day, previous_month


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2027, 1, dt.date(2027, 1, 4)),  # New Year's Day is a Friday, then a weekend
        (2029, 1, dt.date(2029, 1, 2)),  # New Year's Day is a Monday
        (2026, 5, dt.date(2026, 5, 1)),  # a Friday; the May Day holiday is Monday 4 May
        (2026, 8, dt.date(2026, 8, 3)),  # Saturday the 1st
        (2026, 6, dt.date(2026, 6, 1)),  # an ordinary Monday
        (2021, 6, dt.date(2021, 6, 1)),  # Tuesday after the late May holiday on the 31st
        (2022, 6, dt.date(2022, 6, 1)),  # the Jubilee holidays were the 2nd and 3rd
    ],
)
def test_the_first_working_day_skips_weekends_and_bank_holidays(year, month, expected):
    assert first_working_day(year, month) == expected


def test_a_substitute_bank_holiday_is_not_a_working_day():
    assert not is_working_day(dt.date(2026, 12, 28))  # Boxing Day falls on a Saturday


def test_one_off_bank_holidays_are_not_working_days():
    assert not is_working_day(dt.date(2023, 5, 8))  # the coronation of King Charles III


def test_previous_month_spans_the_whole_month_before():
    assert previous_month(dt.date(2027, 1, 4)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
