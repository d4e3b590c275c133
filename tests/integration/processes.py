"""Real processes for fault tests and the fault bench: a private Redis, and the deployment's own
gunicorn, Celery worker and beat, started with the commands docker-compose.yml gives them.

Nothing here imports pytest: ``bench/fault.py`` uses the same pieces. Every process runs in its
own process group so a stop takes its children (prefork pool, gunicorn workers) with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def compose_services() -> dict:
    """The services of docker-compose.yml, with YAML anchors and merge keys resolved."""
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def compose_command(service: str) -> list[str]:
    """The service's command as compose runs it, with this interpreter's ``-m`` for the Python
    entry points (the image puts them on PATH; the test venv may not be on ours)."""
    command = list(compose_services()[service]["command"])
    if command[0] in {"celery", "gunicorn"}:
        command = [sys.executable, "-m", command[0], *command[1:]]
    return command


class PrivateRedis:
    """A redis-server of its own on a free port, appending to a file as compose's does, so a
    stop and start keeps what was queued (as ``docker compose stop redis`` does)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        server = shutil.which("redis-server")
        if server is None:
            raise FileNotFoundError("redis-server not installed")
        self.directory.mkdir(parents=True, exist_ok=True)
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        options += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            [server, *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.answers():
                return self
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
        ):
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        """Stop as ``docker stop`` does (SIGTERM: the server flushes its append-only file)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class Service:
    """One of the compose file's app services (web, worker, beat) as a local process."""

    def __init__(self, service: str, environment: dict[str, str], log: Path, extra=()):
        self.service = service
        self.command = [*compose_command(service), *extra]
        # As the Dockerfile sets it: log lines reach the log as they are written.
        self.environment = {**os.environ, "PYTHONUNBUFFERED": "1", **environment}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: the process and its children die mid-whatever."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        # Children left behind by a parent that died first (a killed pool's orphans).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def database_url(settings_dict: dict) -> str:
    """A Django database's settings as a URL, for the processes to use the same database."""
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{settings_dict['NAME']}"


def static_manifest(static_root: Path) -> None:
    """What the image's ``collectstatic`` leaves for the manifest storage, with every file named
    as itself (compressing 39 MB of static files takes minutes; pages only need the names)."""
    from django.contrib.staticfiles.finders import get_finders

    paths = {path: path for finder in get_finders() for path, _storage in finder.list([])}
    static_root.mkdir()
    (static_root / "staticfiles.json").write_text(json.dumps({"version": "1.1", "paths": paths}))
