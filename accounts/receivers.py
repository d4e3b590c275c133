"""Audit records of log-ins, failed log-ins, lock-outs and log-outs, beside the other records.

They carry the user's id (when the name typed is a real account) and the client address, never
the name typed: a failed attempt's "user name" is sometimes a password typed in the wrong box.
"""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from outcomes.models import AuditEvent
from proms.client_address import client_address

logger = logging.getLogger("accounts")


def _account(username: str | None):
    if not username:
        return None
    return (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
        .first()
    )


def _record(*, action: str, user, request) -> None:
    address = client_address(request) if request is not None else None
    AuditEvent.objects.create(
        actor=user,
        action=action,
        object_type="auth.user",
        object_id=str(user.pk) if user is not None else "",
        details={"address": address},
    )
    logger.info("%s user=%s", action, user.pk if user is not None else "-")


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs) -> None:
    _record(action="login", user=user, request=request)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        _record(action="logout", user=user, request=request)


@receiver(user_login_failed)
def record_login_failed(sender, credentials, request=None, **kwargs) -> None:
    _record(action="login_failed", user=_account(credentials.get("username")), request=request)


@receiver(user_locked_out)
def record_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    _record(action="login_locked_out", user=_account(username), request=request)
