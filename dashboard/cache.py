"""A short-lived cache of figures, keyed by what they depend on, so the page, its chart images
and its CSV compute a figure once. The key holds the data version (the newest response,
invitation, episode and event), so a new response shows at once; the TTL covers edits.

Within one request (or one board pack: ``computed_once``) a figure is computed at most once
whatever the cache setting: a page that shows the practice deciles and the practice flags reads
one practice series, and every figure on it is of the same data. With the cache off
(``DASHBOARD_CACHE_SECONDS=0``) nothing outlives the request."""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max

from . import disclosure

_computed: ContextVar[dict[str, Any] | None] = ContextVar("dashboard_computed", default=None)
_VERSION = "\0data-version"


@contextmanager
def computed_once() -> Iterator[None]:
    """Each figure and chart asked for inside the block is computed once (nested blocks share
    the outer one's); the values are dropped when the outermost block ends."""
    if _computed.get() is not None:
        yield
        return
    token = _computed.set({})
    try:
        yield
    finally:
        _computed.reset(token)


def computing_once() -> bool:
    """Whether this code runs inside a ``computed_once`` block."""
    return _computed.get() is not None


class ComputedOncePerRequest:
    """Middleware: every request is one ``computed_once`` block."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with computed_once():
            return self.get_response(request)


def data_version() -> tuple:
    from surveys import models as journey

    scope = _computed.get()
    if scope is not None and _VERSION in scope:
        return scope[_VERSION]
    version = tuple(
        model.objects.aggregate(last=Max("pk"))["last"]
        for model in (journey.Response, journey.Invitation, journey.Episode, journey.EpisodeEvent)
    )
    if scope is not None:
        scope[_VERSION] = version
    return version


def cached(prefix: str, key_parts: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, or its value from this request's scope or the shared cache. Values are
    handed out as copies (as the shared cache does), so a caller that changes one cannot
    change what the next caller gets."""
    scope = _computed.get()
    identity = json.dumps([prefix, key_parts, disclosure.policy()], sort_keys=True, default=str)
    if scope is None:
        return _computed_or_shared(identity, compute)
    # A page's figures may be computed side by side (proms/side_by_side.py): the first
    # thread to ask for a value computes it and the others wait for it, so a series two
    # figures share is still computed once. (dict.setdefault is atomic.)
    with scope.setdefault(("lock", identity), threading.RLock()):
        if identity not in scope:
            value = _computed_or_shared(identity, compute)
            scope[identity] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            return value
    return pickle.loads(scope[identity])  # noqa: S301 (bytes this process pickled above)


def _computed_or_shared(identity: str, compute: Callable[[], Any]) -> Any:
    seconds = int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 300) or 0)
    value = None
    if seconds > 0:
        versioned = json.dumps([identity, data_version()], default=str)
        key = "dashboard:" + hashlib.sha256(versioned.encode()).hexdigest()
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds)
    else:
        value = compute()
    return value


def chart_cached(name: str, *, filters, part, size: str = "wide", image_format: str = "svg") -> str:
    """The SVG of one chart ``part`` of figure ``name`` for ``filters``, drawn once per data
    version, size and format: the page's image and its phone version share it; the board pack
    asks for ``image_format="png"`` (a PNG data: URI, charts.drawn_as)."""
    from . import charts
    from .figures import FIGURES

    relevant = {k: v for k, v in filters.describe().items() if k in FIGURES[name].filters}

    def draw() -> str:
        with charts.drawn_at(size), charts.drawn_as(image_format):
            return part.svg()

    suffix = "" if image_format == "svg" else f":{image_format}"  # the pages' keys unchanged
    return cached(f"chart:{name}:{part.key or ''}:{size}{suffix}", relevant, draw)
