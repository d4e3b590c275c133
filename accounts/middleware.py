"""Staff sessions: signed out after inactivity, and no staff page before the second factor."""

from __future__ import annotations

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "staff_last_seen"
# The session is written at most once a minute for the timestamp, not on every request.
LAST_SEEN_WRITE_SECONDS = 60
# Pages a signed-in user without a verified second factor must not open.
PROTECTED_PREFIXES = ("/staff/", "/admin/")


class StaffSessionIdleTimeout:
    """Sign a staff user out after ``STAFF_IDLE_MINUTES`` without a request.

    Patients' pages use no session, so only signed-in users pay for the timestamp.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        # No session cookie (every patient page): nobody is signed in, nothing to read.
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        if session is not None and signed_in and request.user.is_authenticated:
            now = int(time.time())
            last_seen = session.get(LAST_SEEN_KEY)
            idle_limit = settings.STAFF_IDLE_MINUTES * 60
            if last_seen is not None and now - last_seen > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.STAFF_IDLE_MINUTES},
                )
                return redirect(f"{reverse('login')}?next={quote(request.get_full_path())}")
            if last_seen is None or now - last_seen >= LAST_SEEN_WRITE_SECONDS:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class SecondFactorRequired:
    """Send a signed-in user whose session has no verified second factor to the code page.

    Covers the staff pages and the admin by path, so a new staff view cannot forget it; the API
    ignores such sessions (``accounts.authentication``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.path.startswith(PROTECTED_PREFIXES)
            and user.is_authenticated
            and not user.is_verified()
        ):
            return redirect(f"{reverse('two_factor')}?next={quote(request.get_full_path())}")
        return self.get_response(request)
