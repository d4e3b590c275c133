import datetime as dt
from zoneinfo import ZoneInfo

from notifications import timing

LONDON = ZoneInfo("Europe/London")
QUIET = timing.parse_quiet_hours("20:00-08:00")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def test_an_evening_moment_is_held_to_eight_the_next_morning():
    assert timing.quiet_hours_end(at(10, 20, 0), QUIET, LONDON) == at(11, 8)


def test_an_early_morning_moment_is_held_to_eight_the_same_morning():
    assert timing.quiet_hours_end(at(10, 5, 30), QUIET, LONDON) == at(10, 8)


def test_daytime_is_not_quiet():
    assert timing.quiet_hours_end(at(10, 8, 0), QUIET, LONDON) is None
    assert timing.quiet_hours_end(at(10, 19, 59), QUIET, LONDON) is None


def test_quiet_hours_are_uk_wall_clock_times_in_summer_too():
    utc_evening = dt.datetime(2026, 7, 1, 19, 30, tzinfo=dt.UTC)  # 20:30 BST

    assert timing.quiet_hours_end(utc_evening, QUIET, LONDON) == at(2, 8, month=7)


def test_quiet_hours_can_be_switched_off_or_not_span_midnight():
    assert timing.parse_quiet_hours("off") is None
    lunch = timing.parse_quiet_hours("12:00-13:00")

    assert timing.quiet_hours_end(at(10, 12, 30), lunch, LONDON) == at(10, 13)


def test_reminders_count_the_offsets_passed_since_the_first_message():
    first = at(1, 10)

    assert timing.reminders_passed(first, (3, 7), at(3, 10)) == (0, at(4, 10))
    assert timing.reminders_passed(first, (3, 7), at(4, 10)) == (1, at(8, 10))
    assert timing.reminders_passed(first, (3, 7), at(9, 10)) == (2, None)


def test_retry_delay_doubles_and_is_capped_at_an_hour():
    delays = [timing.retry_delay(n, 60).total_seconds() for n in (1, 2, 3, 10)]

    assert delays == [60, 120, 240, 3600]


def test_a_window_ends_at_midnight_after_its_last_day():
    assert timing.window_end(dt.date(2026, 3, 10), LONDON) == at(11, 0)
