"""Link tokens kept encrypted in the outbox until the message carrying them is sent.

Only the token's SHA-256 hash lives on the invitation (surveys/tokens.py). The outbox needs the
token itself to put the link in a message, so it keeps it encrypted with Fernet (AES-128-CBC
with an HMAC) under a key derived from SECRET_KEY: a copy of the database alone opens no link.
Keys in SECRET_KEY_FALLBACKS still decrypt, so rotating the secret does not strand queued messages.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_PURPOSE = b"proms.notifications.link-token"


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(_PURPOSE + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))
    return _multi(secrets)


@lru_cache(maxsize=8)
def _multi(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(secret) for secret in secrets])


def seal(token: str) -> str:
    return _keys().encrypt(token.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The token, or None when it is missing or was sealed under a key we no longer have."""
    if not sealed:
        return None
    try:
        return _keys().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
