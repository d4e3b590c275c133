"""The address of the client behind our reverse proxies, for throttles and lock-outs.

``REMOTE_ADDR`` is the proxy's address when the service runs behind one (docker-compose's
deployment puts a TLS-terminating proxy or load balancer in front of gunicorn), so every client
would share one counter. ``X-Forwarded-For`` names the real client, but its left part is whatever
the client sent: only the entries our own proxies appended can be believed. With
``TRUSTED_PROXY_COUNT`` = N proxies in front of the service, the client is the N-th address from
the right of that header (each proxy appends the address it received the request from). With 0
(the default, no proxy) the header is ignored entirely, so it cannot be forged to dodge a limit.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address, trusting exactly ``settings.TRUSTED_PROXY_COUNT`` proxies.

    ``None`` when the request carries no usable address (a test request, a broken proxy).
    """
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    # Fewer entries than proxies: the request skipped one of them; the leftmost is the best
    # we can do, and it was still written by a proxy of ours.
    return _valid(forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]) or remote


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
