"""API authentication by staff session, only once the session passed the second factor."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, ignoring a session that has a password but no second factor.

    The staff pages refuse such a session (``accounts.middleware.SecondFactorRequired``); the
    API must too, or a stolen password alone would read patient-level exports.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = getattr(request._request, "user", None)
        is_verified = getattr(user, "is_verified", None)
        if is_verified is None or not is_verified():
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session cookie, as for DRF's own session authentication."""

    target_class = "accounts.authentication.VerifiedSessionAuthentication"
