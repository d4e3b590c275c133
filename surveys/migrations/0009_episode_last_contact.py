"""Episode.last_contact_at (surveys/contact.py), NOT NULL, starting from the referral; the
complete fill from every source of contact is care/migrations/0002_last_contact_fill.py (care
sits above notifications and surveys, and reads their tables)."""

from django.conf import settings
from django.db import migrations, models


def from_referral(apps, schema_editor):
    """Every episode's referral, its first contact (one UPDATE)."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        start = f"(referred_on::timestamp AT TIME ZONE '{settings.TIME_ZONE}')"
    else:
        start = "(referred_on || ' 00:00:00')"  # SQLite: UTC midnight (no time zones)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE surveys_episode SET last_contact_at = {start}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0008_invitation_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="last_contact_at",
            field=models.DateTimeField(
                null=True,
                help_text="Latest referral, message sent, answer, event or staff contact",
            ),
        ),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["provider", "last_contact_at"],
                include=("id",),
                name="episode_active_last_contact",
            ),
        ),
        # The index first, then the fill: rows updated after the index exists keep it usable at
        # once (an index built over rows just updated in place waits, on PostgreSQL, for every
        # older transaction on the server to end before the planner may use it).
        migrations.RunPython(from_referral, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="episode",
            name="last_contact_at",
            field=models.DateTimeField(
                help_text="Latest referral, message sent, answer, event or staff contact"
            ),
        ),
    ]
