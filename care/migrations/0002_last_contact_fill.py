"""Fill Episode.last_contact_at from every source of contact: the referral, events, answers,
messages sent and staff contacts, in one UPDATE (the statement care.contact.last_contact_sql
writes today, copied so that this migration keeps doing what it did)."""

from django.conf import settings
from django.db import migrations


def fill_sql(vendor: str, zone: str) -> str:
    def start_of(day: str) -> str:
        if vendor == "postgresql":
            return f"(({day})::timestamp AT TIME ZONE '{zone}')"
        return f"(({day}) || ' 00:00:00')"  # SQLite: UTC midnight (no time zones)

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
        latest = f"GREATEST({', '.join(sources)})"
    else:
        latest = f"MAX({', '.join(f'COALESCE({s}, {sources[0]})' for s in sources)})"
    return f"UPDATE surveys_episode SET last_contact_at = {latest}"  # noqa: S608


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(fill_sql(connection.vendor, settings.TIME_ZONE))


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("notifications", "0004_worklist_indexes"),
        ("surveys", "0009_episode_last_contact"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
