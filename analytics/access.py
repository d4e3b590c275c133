"""Who may read aggregate figures on staff pages: the aggregate API's rule, for views."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def is_programme_staff(user) -> bool:
    """MSK Together staff: a provider's staff, Django staff (e.g. a programme analyst, who works
    for no provider) or a superuser, as ``outcomes.permissions`` decides for the API."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_superuser or user.providers.exists())
    )


def aggregate_staff_required(view):
    """Log-in required; aggregate pages (board packs, value) for MSK Together staff only."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_programme_staff(request.user):
            return render(request, "staff/no_provider.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped
