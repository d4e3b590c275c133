import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_health_endpoint_reports_ok():
    response = Client().get("/healthz")

    assert response.json() == {"status": "ok"}


def test_the_home_page_lists_the_questionnaires_and_outcomes():
    page = Client().get("/").content.decode()

    assert "Oxford Knee Score" in page
    assert "Understanding my condition" in page


@pytest.mark.django_db
def test_the_admin_asks_for_a_log_in():
    response = Client().get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_a_superuser_can_browse_the_loaded_instruments_in_the_admin(
    loaded_definitions, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", password="x-long-password-1")
    client = Client()
    client.force_login(admin)

    page = client.get("/admin/outcomes/instrument/").content.decode()

    assert "eq-5d-5l" in page


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    return _command_in_subprocess(
        ["-c", "import proms.wsgi"], {"DJANGO_SETTINGS_MODULE": "proms.settings", **env}
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _settings_in_subprocess({"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_debug_value_that_is_not_a_boolean_is_refused():
    result = _settings_in_subprocess({"DEBUG": "maybe"})

    assert "DEBUG must be true or false" in result.stderr


def test_a_served_process_loads_every_view_and_freezes_its_start_up_objects():
    result = _command_in_subprocess(
        [
            "-c",
            "import gc, sys; import proms.wsgi;"
            " print(gc.get_freeze_count(), 'dashboard.charts' in sys.modules)",
        ],
        {"DJANGO_SETTINGS_MODULE": "proms.settings", "DEBUG": "true"},
    )

    frozen, charts_loaded = result.stdout.split()
    assert int(frozen) > 50_000  # Django, matplotlib and the views: a full collection skips them
    assert charts_loaded == "True"


def test_docker_compose_describes_web_worker_beat_postgres_and_redis_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    assert all("healthcheck" in services[name] for name in ("web", "worker", "postgres", "redis"))
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert {"postgres-data"} <= set(compose["volumes"])


def _command_in_subprocess(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *command],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_celery_worker_refuses_to_start_in_production_without_a_secret_key():
    result = _command_in_subprocess(["-m", "celery", "-A", "proms", "worker"], {"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_celery_beat_refuses_to_start_in_production_without_a_secret_key():
    result = _command_in_subprocess(["-m", "celery", "-A", "proms", "beat"], {"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_management_commands_refuse_to_run_in_production_without_a_secret_key():
    result = _command_in_subprocess(["manage.py", "migrate", "--plan"], {"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_reports_the_development_key_in_a_debug_run():
    result = _command_in_subprocess(["manage.py", "check", "--deploy"], {"DEBUG": "true"})

    assert result.returncode != 0
    assert "proms.E001" in result.stderr


def test_check_deploy_accepts_a_real_key():
    from django.core.checks import run_checks

    with override_settings(SECRET_KEY="k" * 60, PSEUDONYM_KEY="p" * 60):
        ids = {message.id for message in run_checks(include_deployment_checks=True)}

    assert not {"proms.E001", "proms.E002"} & ids


def test_the_migration_check_runs_without_a_secret_key_because_it_signs_nothing():
    result = _command_in_subprocess(
        ["manage.py", "makemigrations", "--check", "--dry-run"], {"DEBUG": "false"}
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
