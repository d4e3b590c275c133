"""System checks of the deployment settings (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs) -> list[Error]:
    """The development key is public (it is in the repository): nothing deployed may use it.

    Settings already refuse to load it with DEBUG off; this catches a deployment checked with
    DEBUG on, and a PSEUDONYM_KEY left to default to it."""
    errors = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is the public development key.",
                hint="Set SECRET_KEY to a long random value and keep it secret.",
                id="proms.E001",
            )
        )
    if settings.PSEUDONYM_KEY == settings.INSECURE_SECRET_KEY:
        errors.append(
            Error(
                "PSEUDONYM_KEY is the public development key: export pseudonyms can be reversed.",
                hint="Set SECRET_KEY, and PSEUDONYM_KEY to its own long random value.",
                id="proms.E002",
            )
        )
    return errors
