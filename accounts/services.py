"""Second-factor devices: set up an authenticator app, issue backup codes, verify a code.

Writes are audited beside the change (``outcomes.services.audit_record``). Secrets (the TOTP key,
backup codes) are shown once to their owner and never written to a log or an audit record.
"""

from __future__ import annotations

import math

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from outcomes.services import audit_record

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"


def user_has_second_factor(*, user) -> bool:
    """Whether ``user`` has set up a confirmed device (and so is asked for a code at log-in)."""
    return any(True for _ in django_otp.devices_for_user(user, confirmed=True))


def authenticator_pending(*, user) -> TOTPDevice:
    """The unconfirmed authenticator device being set up, made on first call (kept for a retry)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@transaction.atomic
def backup_codes_issue(*, user, by=None, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes with a fresh set; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    device.throttle_reset()  # new codes, a fresh start: earlier wrong tries no longer count
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(actor=by or user, action="backup_codes_issued", obj=user)
    return codes


@transaction.atomic
def authenticator_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str]:
    """Confirm a new authenticator with a code it shows; returns the first backup codes.

    Other authenticator devices of the user are removed, so a lost phone is replaced, not added
    to. The session counts as verified from here on.
    """
    user = device.user
    if not device.verify_token(_digits(code)):
        raise ValueError("wrong code")
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="second_factor_set_up", obj=user)
    codes = backup_codes_issue(user=user)
    django_otp.login(request, device)
    return codes


def second_factor_verify(*, request: HttpRequest, code: str) -> int | None:
    """Check a code from the authenticator app or a backup code; audit either outcome.

    Returns ``None`` when the session is now verified, 0 for a wrong code, or the seconds to
    wait when the code came too soon after a wrong one (then it is not checked). After each
    wrong code django-otp makes the devices wait 1, 2, 4, 8... seconds, so a six-digit code
    cannot be guessed even with the password known.
    """
    user = request.user
    wait = _seconds_to_wait(user)
    if wait > 0:  # not checked at all: the code is neither used up nor counted as wrong
        return wait
    device = django_otp.match_token(user, _digits(code) or code.strip().lower())
    if device is None:
        audit_record(actor=user, action="second_factor_failed", obj=user)
        return 0
    django_otp.login(request, device)
    details = {"device": "backup_code" if isinstance(device, StaticDevice) else "authenticator"}
    audit_record(actor=user, action="second_factor_verified", obj=user, details=details)
    return None


def _seconds_to_wait(user) -> int:
    now = timezone.now()
    waits = [0]
    for device in django_otp.devices_for_user(user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append(math.ceil((data["locked_until"] - now).total_seconds()))
    return max(waits)


@transaction.atomic
def second_factor_reset(*, user, by) -> None:
    """Remove a user's devices (a lost phone with no backup codes): they set up again at log-in."""
    for device in django_otp.devices_for_user(user, confirmed=None):
        device.delete()
    audit_record(actor=by, action="second_factor_reset", obj=user)


def _digits(code: str) -> str:
    """The digits of a code typed with spaces or dashes ("123 456"); "" if it is not all digits."""
    compact = "".join(code.split()).replace("-", "")
    return compact if compact.isdigit() else ""
