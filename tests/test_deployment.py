"""The deployment as docker-compose.yml and the Dockerfile describe it: gunicorn starts with the
documented command and answers its health check, and a compose engine would accept the file
(every command names a real module, setting or management command; every health check and
dependency is one compose can honour; the environment is one the settings read)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.urls import resolve

from proms import gunicorn_conf
from tests.integration.broker import wait_for
from tests.integration.processes import (
    ROOT,
    Service,
    compose_command,
    compose_services,
    free_port,
    static_manifest,
)

LONG_RUNNING = ("web", "worker", "beat", "postgres", "redis")
APP_SERVICES = ("migrate", "web", "worker", "beat")
SECRET = "deployment-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


# --- gunicorn, started as the image and compose start it ------------------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """``gunicorn proms.wsgi:application --config python:proms.gunicorn_conf`` in production mode
    on a migrated SQLite file, with the environment compose gives the web service."""
    directory = tmp_path_factory.mktemp("gunicorn")
    static_manifest(directory / "static")
    port = free_port()
    environment = {
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "TRUSTED_PROXY_COUNT": "1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(directory / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**Service("web", {}, Path()).environment, **environment},
        check=True,
        timeout=120,
    )
    server = Service("web", environment, directory / "gunicorn.log").start()
    server.url = f"http://127.0.0.1:{port}"
    yield server
    server.stop()


def fetch(url: str, headers: dict | None = None, timeout: float = 60.0) -> int:
    """GET ``url`` as compose's health check does (retrying while gunicorn boots)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_dockerfile_starts_the_web_service_with_the_compose_command(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))

    assert cmd == compose["services"]["web"]["command"]


def test_gunicorn_starts_with_the_documented_command_and_answers_the_health_check(gunicorn):
    status = fetch(f"{gunicorn.url}/healthz", {"X-Forwarded-Proto": "https"})

    assert status == 200, gunicorn.log.read_text()[-3000:]
    assert gunicorn.running()


def test_gunicorn_access_log_carries_no_letter_code_or_api_key(gunicorn):
    fetch(f"{gunicorn.url}/healthz", {"X-Forwarded-Proto": "https"})
    code = fetch(
        f"{gunicorn.url}/l/RQNG-8RDH?api_key=proms_live_abc123", {"X-Forwarded-Proto": "https"}
    )
    # gunicorn writes the access line just after the response.
    written = wait_for(lambda: '" 404 ' in gunicorn.log.read_text(), timeout=10)
    log = gunicorn.log.read_text()

    assert code == 404
    assert written, log[-2000:]
    assert "GET /l/<code>?api_key=<api-key> HTTP/1.1" in log
    assert "RQNG" not in log
    assert "abc123" not in log


# --- docker-compose.yml, checked as a compose engine would ----------------------------------


def test_every_long_running_service_has_a_health_check(compose):
    for name in LONG_RUNNING:
        check = compose["services"][name].get("healthcheck")
        assert check, f"{name} has no health check"
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_the_web_health_check_asks_gunicorn_for_the_health_view(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    url = next(part for part in test if part.startswith("http"))
    port = int(re.search(r":(\d+)/", url).group(1))
    bind_port = int(gunicorn_conf.bind.rsplit(":", 1)[1])

    assert port == bind_port
    assert resolve(re.sub(r"^http://[^/]+", "", url)).func.__name__ == "health"
    assert f"{bind_port}:{bind_port}" in compose["services"]["web"]["ports"][0]


def test_the_worker_health_check_pings_the_worker_through_the_broker(compose):
    test = compose["services"]["worker"]["healthcheck"]["test"]

    assert "celery -A proms inspect ping" in " ".join(test)


def test_the_beat_health_check_watches_the_schedule_file_beat_writes(compose):
    command = compose["services"]["beat"]["command"]
    schedule = Path(command[command.index("--schedule") + 1])
    test = " ".join(compose["services"]["beat"]["healthcheck"]["test"])

    assert f"find {schedule.parent} " in test
    assert f"-name '{schedule.name}*'" in test  # shelve may add a suffix (.db)


def test_depends_on_names_real_services_with_conditions_compose_knows(compose):
    services = compose["services"]
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            assert rule["condition"] in CONDITIONS, name
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}'s health"
            if rule["condition"] == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} must run once"


def test_dependencies_have_no_cycle(compose):
    services = compose["services"]

    def visit(name, path):
        assert name not in path, " -> ".join([*path, name])
        for target in services[name].get("depends_on") or {}:
            visit(target, [*path, name])

    for name in services:
        visit(name, [])


def test_gunicorn_command_names_a_real_application_and_config(compose):
    command = compose["services"]["web"]["command"]
    module, attribute = command[1].split(":")
    config = command[command.index("--config") + 1]

    assert command[0] == "gunicorn"
    assert importlib.util.find_spec(module) is not None
    assert re.search(
        rf"^{attribute} = ", Path(importlib.util.find_spec(module).origin).read_text(), re.M
    )
    assert config.startswith("python:")
    assert importlib.import_module(config.removeprefix("python:")) is gunicorn_conf


def test_gunicorn_accepts_every_setting_in_its_config_file():
    from gunicorn.config import Config

    config = Config()
    settings = {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}
    for name, value in settings.items():
        if name == "os":
            continue
        config.set(name, value)  # an unknown setting raises AttributeError

    assert config.bind == [gunicorn_conf.bind]


def test_gunicorn_log_config_defines_everything_its_defaults_refer_to():
    """gunicorn updates its defaults with ours one key deep: whatever we replace must be whole."""
    from gunicorn.glogging import CONFIG_DEFAULTS

    merged = {**CONFIG_DEFAULTS, **gunicorn_conf.logconfig_dict}
    handlers = set(merged["handlers"])
    used = set(merged["root"]["handlers"])
    for logger in merged["loggers"].values():
        used |= set(logger["handlers"])
    formatters = {h.get("formatter") for h in merged["handlers"].values()} - {None}

    assert used <= handlers
    assert formatters <= set(merged.get("formatters", {}))


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_commands_parse_with_celery_itself(compose, service):
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as cli

    app = importlib.import_module("proms").celery_app  # what -A proms finds
    command = compose["services"][service]["command"]
    assert command[:3] == ["celery", "-A", "proms"]
    obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    context = cli.commands[command[3]].make_context(command[3], command[4:], obj=obj)

    assert context.params["loglevel"] in ("INFO", 20)  # parsed: an unknown option would raise


def test_the_migrate_service_runs_real_management_commands(compose):
    command = compose["services"]["migrate"]["command"]
    assert command[:2] == ["sh", "-c"]
    commands = get_commands()
    for step in command[2].split("&&"):
        words = shlex.split(step)
        assert words[:2] == ["python", "manage.py"], step
        assert words[2] in commands, step


def test_interpolated_variables_have_a_default_or_are_required(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    for variable in re.findall(r"\$\{([^}]*)\}", text):
        assert re.fullmatch(r"[A-Z_]+(:-.*|:\?.+)", variable), variable


def test_the_app_environment_is_read_by_the_settings(compose):
    """A variable compose sets that nothing reads is a setting someone thinks is on."""
    source = "\n".join(
        path.read_text() for path in (ROOT / "proms").glob("*.py") if path.name != "__init__.py"
    )
    source += '"DATABASE_URL"'  # read by dj_database_url.config() in proms/settings.py
    for name in APP_SERVICES:
        for variable in compose["services"][name]["environment"]:
            template = re.fullmatch(r"NOTIFY_TEMPLATE_(SMS|EMAIL)_[A-Z]+", variable)
            assert template or f'"{variable}"' in source, f"{name}: {variable} is not read"


def test_the_database_and_redis_urls_point_at_the_compose_services(compose):
    services = compose["services"]
    environment = services["web"]["environment"]
    postgres = services["postgres"]["environment"]
    database = re.fullmatch(
        r"postgres://(\w+):\$\{POSTGRES_PASSWORD:-(\w+)\}@(\w+):5432/(\w+)",
        environment["DATABASE_URL"],
    )

    assert database, environment["DATABASE_URL"]
    user, password, host, name = database.groups()
    assert (user, name) == (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"])
    assert postgres["POSTGRES_PASSWORD"] == f"${{POSTGRES_PASSWORD:-{password}}}"
    assert host in services
    assert re.fullmatch(r"redis://(\w+):6379/\d+", environment["REDIS_URL"]).group(1) in services


def test_every_app_service_runs_in_production_mode_with_a_required_secret(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DEBUG"] == "false", name
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name


def test_named_volumes_are_declared(compose):
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith(("/", ".")):
                assert source in declared, f"{name}: {source}"


def test_the_local_commands_are_the_compose_commands():
    """What the fault tests run is what compose runs (tests/integration/processes.py)."""
    for service in ("web", "worker", "beat"):
        assert compose_command(service)[3:] == compose_services()[service]["command"][1:]
