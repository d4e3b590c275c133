"""Request rates per API key (or per staff user, or per address for anonymous callers).

Views name a ``throttle_scope`` ("aggregate" or "export"); the rates are settings
(``API_AGGREGATE_RATE``, ``API_EXPORT_RATE``) and the counts live in the cache, which is Redis
when ``REDIS_URL`` is set, so every web process shares them.
"""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle

from outcomes.permissions import api_client_of


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counting per API key rather than per user or address."""

    def get_cache_key(self, request, view):
        client = api_client_of(request)
        if client is not None:
            ident = f"key-{client.pk}"
        elif request.user is not None and getattr(request.user, "is_authenticated", False):
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
