"""A Redis cache that degrades to "no cache" while Redis is down.

The cache only speeds things up (wording versions, throttle counters, summary answers), so a
Redis outage must not take the patient pages or the API down with it (issue 4: "if Redis or the
workers are down, the web service keeps working"). Each operation that fails to reach Redis
behaves as a cache miss and logs one warning a minute at most.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_SECONDS = 60


class ResilientRedisCache(RedisCache):
    _last_warning = 0.0

    def _unreachable(self, operation: str) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_warning >= WARN_EVERY_SECONDS:
            ResilientRedisCache._last_warning = now
            logger.warning("Cache unreachable during %s: serving without it", operation)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE:
            self._unreachable("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE:
            self._unreachable("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNREACHABLE:
            self._unreachable("has_key")
            return False

    def add(self, key, value, timeout=..., version=None):
        try:
            return super().add(key, value, self._timeout(timeout), version)
        except UNREACHABLE:
            self._unreachable("add")
            return False

    def set(self, key, value, timeout=..., version=None):
        try:
            super().set(key, value, self._timeout(timeout), version)
        except UNREACHABLE:
            self._unreachable("set")

    def set_many(self, data, timeout=..., version=None):
        try:
            return super().set_many(data, self._timeout(timeout), version)
        except UNREACHABLE:
            self._unreachable("set_many")
            return list(data)

    def touch(self, key, timeout=..., version=None):
        try:
            return super().touch(key, self._timeout(timeout), version)
        except UNREACHABLE:
            self._unreachable("touch")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE:
            self._unreachable("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except UNREACHABLE:
            self._unreachable("delete_many")

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE:
            self._unreachable("incr")
            return delta

    def clear(self):
        try:
            return super().clear()
        except UNREACHABLE:
            self._unreachable("clear")
            return False

    def _timeout(self, timeout):
        # Django's DEFAULT_TIMEOUT sentinel is an ``object()``; ``...`` stands in for it here.
        from django.core.cache.backends.base import DEFAULT_TIMEOUT

        return DEFAULT_TIMEOUT if timeout is ... else timeout
