"""Who may read what: aggregates for any key or staff member; patient-level rows by provider."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import exceptions, permissions

from outcomes.models import ApiClient
from surveys.models import Provider

MISSING_CREDENTIALS = (
    "This endpoint needs an API key: send 'Authorization: Api-Key <key>'. "
    "Ask the MSK Together team for one."
)


def api_client_of(request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


def _is_staff_user(request) -> bool:
    """MSK Together staff: people who work for a provider (as the staff pages define them), and
    Django staff and superusers."""
    user = request.user
    return (
        user is not None
        and not isinstance(user, ApiClient)
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_superuser or user.providers.exists())
    )


def providers_for_request(request) -> QuerySet[Provider]:
    """The providers whose pseudonymised patient-level rows this request may read.

    A key: its own providers. A staff user: the providers they work for (a superuser: all).
    Anyone else: none.
    """
    client = api_client_of(request)
    if client is not None:
        return client.providers.all()
    if _is_staff_user(request):
        return Provider.objects.for_user(request.user)
    return Provider.objects.none()


class AggregateAccess(permissions.BasePermission):
    """Any valid (unrevoked) API key, or a signed-in staff user."""

    message = "Only MSK Together staff and API key holders may read outcome figures."

    def has_permission(self, request, view) -> bool:
        if api_client_of(request) is not None or _is_staff_user(request):
            return True
        if request.successful_authenticator is None:
            # DRF's own 401 says only "credentials were not provided"; say which and how.
            raise exceptions.NotAuthenticated(MISSING_CREDENTIALS)
        return False  # signed in, but not as staff: 403 with ``message``


class PatientLevelAccess(AggregateAccess):
    """As ``AggregateAccess``, and the view must scope rows with ``providers_for_request``.

    A key with no providers is refused outright, with a message saying why.
    """

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not providers_for_request(request).exists():
            self.message = (
                "This API key may not read patient-level data for any provider. "
                "Ask the MSK Together team to add your providers to it."
            )
            return False
        return True
