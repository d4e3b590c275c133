"""Guards that apply when the service is actually served (WSGI/ASGI), not to commands or tests."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_secret_key() -> None:
    """A production server must never sign sessions and links with the public development key."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.INSECURE_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it, or set DEBUG=true for local development."
        )
