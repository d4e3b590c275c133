"""Short codes for letters: a link a patient can type from paper.

The full link (``/q/`` and a 43-character token) is for the QR code; typed by hand it is a
struggle. A letter also carries ``/l/ABCD-EFGH``: 8 characters from Crockford's base 32
(digits and capitals without I, L, O and U, so nothing reads as something else), 40 random
bits. Only a keyed hash of the code is stored (HMAC under SECRET_KEY: 40 bits alone could be
searched from a copy of the database); a code is looked up under the current key and each key
in SECRET_KEY_FALLBACKS, so a key rotation leaves printed letters working. The code only finds
the letter's link: the date-of-birth check then applies as for any link, and wrong codes are
limited per client: ``TRIES`` an hour, counted in the database (not the cache, so the limit
holds through a Redis outage or restart) against the client's real address behind the proxy
(proms/clients.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
LENGTH = 8  # 8 x 5 = 40 bits
# What people write for the symbols left out (Crockford): O is zero, I and L are one.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PURPOSE = b"proms.notifications.letter-code"
_CLIENT_PURPOSE = b"proms.notifications.letter-code-client"
# Wrong codes one client may try in an hour before being asked to wait (or to phone): 10 guesses
# at 40 bits are a 1 in 10^11 chance of finding any one letter's code.
TRIES = 10
WINDOW = dt.timedelta(hours=1)


def code_new() -> tuple[str, str]:
    """A fresh code as printed (``ABCD-EFGH``) and the hash to store for it."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return code_display(code), code_hash(code)


def code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def code_normalise(typed: str) -> str | None:
    """The code a patient typed, with spaces, dashes and case forgiven; None if it cannot be
    one."""
    code = "".join(ch for ch in typed.upper() if not ch.isspace() and ch != "-")
    code = code.translate(_READ_AS)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_hash(code: str, *, secret: str | None = None) -> str:
    """The hash stored for a new code: under the current SECRET_KEY (or ``secret``)."""
    key = hashlib.sha256(_PURPOSE + (secret or settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def code_hashes(code: str) -> list[str]:
    """Every hash a printed code may be stored under: the current key's and each key in
    SECRET_KEY_FALLBACKS, so rotating the key does not strand letters already posted."""
    secrets_in_use = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))
    return [code_hash(code, secret=secret) for secret in secrets_in_use]


def code_client(address: str) -> str:
    """A keyed hash of the client's address: counts tries without storing the address."""
    key = hashlib.sha256(_CLIENT_PURPOSE + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def code_tries_exhausted(*, client: str, now: dt.datetime | None = None) -> bool:
    """Whether this client has used up its wrong tries in the last hour."""
    from notifications.models import LetterCodeTry

    now = now or timezone.now()
    recent = LetterCodeTry.objects.filter(client=client, tried_at__gt=now - WINDOW)
    return recent.count() >= TRIES


def code_try_record(*, client: str, now: dt.datetime | None = None) -> None:
    """Count one wrong code against the client, dropping every try the window has passed (the
    table holds at most an hour of wrong codes)."""
    from notifications.models import LetterCodeTry

    now = now or timezone.now()
    LetterCodeTry.objects.filter(tried_at__lte=now - WINDOW).delete()
    LetterCodeTry.objects.create(client=client, tried_at=now)
