"""The address of the client behind our reverse proxies, for per-client guessing limits.

``REMOTE_ADDR`` is the last hop: behind the TLS proxy docker-compose.yml describes it is the
proxy's own address, the same for every patient, so a limit keyed on it either locks everyone
out or nobody. ``X-Forwarded-For`` carries the real address, but any client can send that header
with anything in it. Each trusted proxy appends the address it received the request from, so
with ``TRUSTED_PROXY_COUNT`` proxies in front the client's address is the entry that many places
from the right; entries further left were written by the client and are ignored. With no proxy
(``TRUSTED_PROXY_COUNT=0``, the default) the header is ignored altogether. This is the rule DRF's
throttles use (``NUM_PROXIES``, set from the same setting), so every limit counts the same client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the nearest trusted proxy saw it (or ``REMOTE_ADDR``)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # not an address: a broken or hostile header; count the proxy's hop
        return remote
