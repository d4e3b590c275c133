"""Against the machine's real PostgreSQL and Redis (the second pass of scripts/test)."""

import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from proms.celery import app, ping
from tests.integration.broker import private_queue

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="DATABASE_URL not set"
)


@needs_postgres
@pytest.mark.django_db
def test_the_suite_runs_on_postgresql_when_database_url_names_it():
    assert connection.vendor == "postgresql"


@needs_redis
def test_the_cache_stores_and_reads_values_in_redis():
    cache.set("integration-check", {"n": 1}, timeout=30)

    assert cache.get("integration-check") == {"n": 1}
    assert isinstance(caches["default"], RedisCache)


@needs_redis
def test_a_celery_worker_takes_a_task_from_the_redis_broker():
    with (
        private_queue() as queue,  # not the shared "celery" queue another run's worker reads
        start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]
        ),
    ):
        assert ping.delay().get(timeout=20) == "pong"
