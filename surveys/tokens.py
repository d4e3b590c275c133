"""Patient link tokens: 256 random bits from ``secrets``; only a SHA-256 hash is stored.

A database leak therefore reveals no working link. The hash needs no salt: the token itself is a
high-entropy secret, so a dictionary attack on the hash is hopeless.
"""

from __future__ import annotations

import hashlib
import secrets


def token_new() -> tuple[str, str]:
    """A fresh URL-safe token (43 characters) and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
