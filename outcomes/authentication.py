"""DRF authentication by API key: ``Authorization: Api-Key <key>`` (``Bearer <key>`` also works)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from outcomes.access import api_client_for_key
from outcomes.models import ApiClient

KEYWORDS = ("api-key", "bearer")
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by its API key; ``request.user`` and ``request.auth`` are the client.

    A request without an ``Authorization`` header is left to the next class (sessions), so staff
    signed in to the service can read the API in a browser.
    """

    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the key as 'Authorization: Api-Key <key>', with no spaces in the key."
            )
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That API key is not valid.") from None
        client = api_client_for_key(raw_key)
        if client is None:
            raise exceptions.AuthenticationFailed("That API key is not valid.")
        if client.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                "That API key has been revoked. Ask the MSK Together team for a new one."
            )
        self._touch(client)
        return client, client

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with a WWW-Authenticate challenge.
        return self.keyword

    @staticmethod
    def _touch(client: ApiClient) -> None:
        """Record use at most once a minute, so busy clients do not write on every request."""
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at >= LAST_USED_GRANULARITY:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The API key in the OpenAPI schema, so the docs page can send it."""

    target_class = "outcomes.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Send 'Api-Key <key>' (or 'Bearer <key>').",
        }
