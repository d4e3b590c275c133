"""Pure time arithmetic for follow-ups: quiet hours, reminder offsets and window ends."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def parse_quiet_hours(text: str) -> tuple[dt.time, dt.time] | None:
    """``"20:00-08:00"`` -> (20:00, 08:00); an empty value or ``"off"`` means no quiet hours."""
    if not text or text.strip().lower() in {"off", "none"}:
        return None
    start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-", 1))
    return start, end


def quiet_hours_end(
    moment: dt.datetime, quiet: tuple[dt.time, dt.time] | None, zone: ZoneInfo
) -> dt.datetime | None:
    """When the quiet hours around ``moment`` end, or None when ``moment`` is not in them.

    Hours are UK wall-clock times, so the morning is 08:00 whether or not summer time applies.
    """
    if quiet is None:
        return None
    start, end = quiet
    local = moment.astimezone(zone)
    now = local.time()
    if start > end:  # spans midnight, e.g. 20:00-08:00
        if now >= start:
            day = local.date() + dt.timedelta(days=1)
        elif now < end:
            day = local.date()
        else:
            return None
    elif start <= now < end:
        day = local.date()
    else:
        return None
    return dt.datetime.combine(day, end, tzinfo=zone)


def day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)


def window_end(closes_on: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The moment a window closes: the end of its last day (UK time)."""
    return day_start(closes_on + dt.timedelta(days=1), zone)


def reminders_passed(
    first_sent: dt.datetime, reminder_days: tuple[int, ...], now: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many reminder offsets have passed since the first message, and when the next falls."""
    offsets = sorted(reminder_days)
    passed = [days for days in offsets if first_sent + dt.timedelta(days=days) <= now]
    upcoming = [days for days in offsets if first_sent + dt.timedelta(days=days) > now]
    following = first_sent + dt.timedelta(days=upcoming[0]) if upcoming else None
    return len(passed), following


def retry_delay(attempts: int, base_seconds: int, cap_seconds: int = 3600) -> dt.timedelta:
    """Exponential back-off after a temporary failure: base, 2x, 4x, ... capped at an hour."""
    return dt.timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))
