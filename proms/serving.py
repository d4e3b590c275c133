"""What applies when the service is actually served (WSGI/ASGI), not to commands or tests:
guards, and readying the process."""

import gc

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_secret_key() -> None:
    """A production server must never sign sessions and links with the public development key."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.INSECURE_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it, or set DEBUG=true for local development."
        )


def process_ready_to_serve() -> int:
    """Import every view now (and what they import: matplotlib, the statistics), then move
    everything the process holds into the garbage collector's permanent generation
    (``gc.freeze``); returns the objects frozen.

    A chart allocates thousands of matplotlib objects, which every so often sets off a full
    collection; that walked every module's objects too and added 80-100 ms to one chart
    request in ten at a million responses (docs/benchmarks.md). Frozen objects are never
    walked again, and they are the ones a server keeps for its whole life."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every URLconf, so every view)
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()
