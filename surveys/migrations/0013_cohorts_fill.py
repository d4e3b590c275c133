"""Write the cohort rows (surveys/cohorts.py) of the episodes a deployment already holds, once
every cohort column and the tally exist: cohorts_rebuild is today's code, so it must run after
the last migration that changes the cohort tables (a new column later means a new fill)."""

from django.db import migrations


def cohorts_from_existing_episodes(apps, schema_editor):
    """Nothing to do on a new database. At a million responses this takes a few minutes
    (docs/benchmarks.md); it ends with VACUUM ANALYZE of the cohort tables, which is why this
    migration runs outside a transaction (the rebuild itself is one transaction)."""
    if apps.get_model("surveys", "Episode").objects.exists():
        from surveys.cohorts import cohorts_rebuild

        cohorts_rebuild()


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run in a transaction

    dependencies = [
        ("surveys", "0012_cohort_baseline_values"),
    ]

    operations = [
        migrations.RunPython(cohorts_from_existing_episodes, migrations.RunPython.noop),
    ]
