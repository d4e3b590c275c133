"""The read audit: who opened which patient, episode, export or report, and when.

Views call :func:`audit_read` explicitly when they show patient data (no middleware guesses from
URLs), so the record names what was shown, not what was asked for. Records are
:class:`~outcomes.models.AuditEvent` rows with ``action="read"``, beside the write records, and a
superuser reads them in the admin (filter by action, kind of record, user, date).

Dashboards and reports call it once per page served::

    audit_read(request=request, object_type="report", object_id="practice-variation",
               details={"filters": {...}})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.http import HttpRequest

from outcomes.models import ApiClient, AuditEvent

READ = "read"


def audit_read(
    *,
    request: HttpRequest,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record that the user (or API key) of ``request`` was shown ``obj``.

    Pass a model instance as ``obj``, or name what was shown with ``object_type`` (e.g.
    ``"export.responses"``, ``"report"``) and ``object_id``. ``details`` carry ids and filters,
    never names, NHS numbers or tokens.
    """
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, obj.pk
    if not object_type:
        raise ValueError("audit_read needs obj or object_type")
    user = getattr(request, "user", None)
    auth = getattr(request, "auth", None)
    record = dict(details or {})
    if isinstance(auth, ApiClient):
        user = None
        record["api_client"] = auth.pk
    return AuditEvent.objects.create(
        actor=user if getattr(user, "pk", None) else None,
        action=READ,
        object_type=object_type,
        object_id=str(object_id),
        details=record,
    )
