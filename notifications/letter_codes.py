"""Short codes for letters: a link a patient can type from paper.

The full link (``/q/`` and a 43-character token) is for the QR code; typed by hand it is a
struggle. A letter also carries ``/l/ABCD-EFGH``: 8 characters from Crockford's base 32
(digits and capitals without I, L, O and U, so nothing reads as something else), 40 random
bits. Only a keyed hash of the code is stored (HMAC under SECRET_KEY: 40 bits alone could be
searched from a copy of the database). The code only finds the letter's link: the date-of-birth
check then applies as for any link, and wrong codes are rate-limited per client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
LENGTH = 8  # 8 x 5 = 40 bits
# What people write for the symbols left out (Crockford): O is zero, I and L are one.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PURPOSE = b"proms.notifications.letter-code"


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


def code_hash(code: str) -> str:
    key = hashlib.sha256(_PURPOSE + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
