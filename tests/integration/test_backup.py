"""scripts/backup and scripts/restore on PostgreSQL: a backup restores into a new database with
every row (docs/operations.md, "Back up and restore")."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from surveys import services
from tests.factories import PatientFactory, ProviderFactory, pathway_current

ROOT = Path(__file__).resolve().parents[2]
PSQL = shutil.which("psql") or "psql"
pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="pg_dump and pg_restore back up PostgreSQL (run with DATABASE_URL=postgres://...)",
)
TABLES = [
    "surveys_patient",
    "surveys_episode",
    "surveys_invitation",
    "outcomes_instrument",
    "outcomes_auditevent",
    "django_migrations",
]


def database_url(name: str) -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{settings['USER']}{password}@{host}/{name}"


def psql(url: str, sql: str) -> str:
    return subprocess.run(
        [PSQL, url, "-tA", "-F", " ", "-c", sql], check=True, capture_output=True, text=True
    ).stdout


def counts(url: str) -> dict[str, int]:
    # Fixed table names from TABLES above, no input.
    sql = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in TABLES)  # noqa: S608
    out = psql(url, sql)
    return {name: int(n) for name, n in (line.split() for line in out.split("\n") if line)}


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_new_database_with_every_row(tmp_path, definitions):
    from outcomes.services import definitions_load

    definitions_load(definitions=definitions)
    for _ in range(3):
        services.episode_enrol(
            patient=PatientFactory(),
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=timezone.localdate(),
            by=None,
        )
    source = database_url(connection.settings_dict["NAME"])
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored = database_url(restored_name)
    dump = tmp_path / "proms.dump"
    env = {**os.environ, "DATABASE_URL": source}
    psql(database_url("postgres"), f'DROP DATABASE IF EXISTS "{restored_name}"')
    try:
        backup = subprocess.run(
            [ROOT / "scripts" / "backup", str(dump)], env=env, capture_output=True, text=True
        )
        assert backup.returncode == 0, backup.stderr
        restore = subprocess.run(
            [ROOT / "scripts" / "restore", str(dump), restored], capture_output=True, text=True
        )
        assert restore.returncode == 0, restore.stderr

        before, after = counts(source), counts(restored)
        assert after == before
        assert after["surveys_patient"] == 3 and after["surveys_invitation"] > 3
        assert "patients 3" in restore.stdout
        again = subprocess.run(
            [ROOT / "scripts" / "restore", str(dump), restored], capture_output=True, text=True
        )
        assert again.returncode == 3, "a second restore must not overwrite the first"
    finally:
        psql(database_url("postgres"), f'DROP DATABASE IF EXISTS "{restored_name}"')
