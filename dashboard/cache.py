"""A short-lived cache of figures, keyed by what they depend on, so the page, its chart images
and its CSV compute a figure once. The key holds the data version (the newest response,
invitation, episode and event), so a new response shows at once; the TTL covers edits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max

from . import disclosure


def data_version() -> tuple:
    from surveys import models as journey

    return tuple(
        model.objects.aggregate(last=Max("pk"))["last"]
        for model in (journey.Response, journey.Invitation, journey.Episode, journey.EpisodeEvent)
    )


def cached(prefix: str, key_parts: Any, compute: Callable[[], Any]) -> Any:
    seconds = int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 300) or 0)
    if seconds <= 0:
        return compute()
    identity = json.dumps(
        [prefix, key_parts, disclosure.policy(), data_version()], sort_keys=True, default=str
    )
    key = "dashboard:" + hashlib.sha256(identity.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
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
