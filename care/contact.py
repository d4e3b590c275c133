"""Work ``Episode.last_contact_at`` out again from every source of contact (surveys/contact.py
gives the definition; the writers keep it current one episode at a time).

For bulk history written without the services (the demo's messages, care/demo.py) and for a
repair. The same statement fills the column when it is added (care/migrations/0002).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from surveys.sql import in_sql

CHUNK = 5000


def last_contact_sql(vendor: str, zone: str) -> str:
    """``UPDATE`` every episode's last contact to the latest of its referral, events, answers,
    messages sent and staff contacts: one statement (append ``AND id IN (...)`` to narrow).

    A date counts from its local midnight: exact on PostgreSQL; SQLite (local use and tests),
    which has no time zones, takes the UTC midnight, at most an hour out in summer.
    """

    def start_of(day: str) -> str:
        if vendor == "postgresql":
            return f"(({day})::timestamp AT TIME ZONE '{zone}')"
        return f"(({day}) || ' 00:00:00')"

    sources = [
        start_of("surveys_episode.referred_on"),
        start_of(
            "SELECT MAX(ev.occurred_on) FROM surveys_episodeevent ev "
            "WHERE ev.episode_id = surveys_episode.id"
        ),
        "(SELECT MAX(i.completed_at) FROM surveys_invitation i "
        "WHERE i.episode_id = surveys_episode.id AND i.status = 'completed')",
        "(SELECT MAX(n.sent_at) FROM notifications_notification n "
        "JOIN surveys_invitation i ON i.id = n.invitation_id "
        "WHERE i.episode_id = surveys_episode.id)",
        "(SELECT MAX(c.at) FROM care_staffcontact c WHERE c.episode_id = surveys_episode.id)",
    ]
    if vendor == "postgresql":
        latest = f"GREATEST({', '.join(sources)})"  # GREATEST skips NULLs
    else:
        latest = f"MAX({', '.join(f'COALESCE({s}, {sources[0]})' for s in sources)})"
    return f"UPDATE surveys_episode SET last_contact_at = {latest} WHERE 1 = 1"  # noqa: S608


def last_contact_refresh(*, episode_ids: Iterable[int] | None = None) -> int:
    """Set the last contact of these episodes (every episode if None) from their history."""
    sql = last_contact_sql(connection.vendor, settings.TIME_ZONE)
    with connection.cursor() as cursor:
        if episode_ids is None:
            cursor.execute(sql)
            return cursor.rowcount
        ids, done = list(episode_ids), 0
        for start in range(0, len(ids), CHUNK):  # a bound parameter list has its limits
            chunk = ids[start : start + CHUNK]
            cursor.execute(f"{sql} AND id {in_sql(chunk)}", chunk)
            done += cursor.rowcount
        return done
