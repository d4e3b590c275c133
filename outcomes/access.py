"""API keys: issue (shown once, stored hashed), revoke, and look up.

A raw key looks like ``proms_<43 url-safe characters>``; the ``proms_`` prefix makes a leaked key
recognisable to secret scanners. Only its SHA-256 is stored (see ``ApiClient`` for why a fast
hash is right for high-entropy keys).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from outcomes.models import ApiClient
from outcomes.services import audit_record

KEY_PREFIX = "proms_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # "proms_" and 8 random characters identify a key


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def api_key_generate() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_key_issue(*, name: str, providers: Iterable = (), by=None) -> tuple[ApiClient, str]:
    """Create a key for ``name`` scoped to ``providers``; the raw key is returned once only."""
    raw_key = api_key_generate()
    client = ApiClient.objects.create(
        name=name,
        prefix=raw_key[:PREFIX_LENGTH],
        key_hash=api_key_hash(raw_key),
        created_by=by if getattr(by, "pk", None) else None,
    )
    providers = list(providers)
    client.providers.set(providers)
    audit_record(
        actor=by,
        action="api_key.issued",
        obj=client,
        details={"prefix": client.prefix, "providers": sorted(p.ods_code for p in providers)},
    )
    return client, raw_key


@transaction.atomic
def api_key_attach(*, client: ApiClient, by=None) -> str:
    """Give an unsaved or keyless ``client`` (built by the admin form) a fresh key; return it."""
    raw_key = api_key_generate()
    client.prefix = raw_key[:PREFIX_LENGTH]
    client.key_hash = api_key_hash(raw_key)
    if client.created_by_id is None and getattr(by, "pk", None):
        client.created_by = by
    client.save()
    audit_record(actor=by, action="api_key.issued", obj=client, details={"prefix": client.prefix})
    return raw_key


@transaction.atomic
def api_key_providers_set(*, client: ApiClient, providers: Iterable, by=None) -> ApiClient:
    """Scope ``client`` to exactly ``providers``, auditing who widened or narrowed it.

    The audit record names the providers added and removed by ODS code (never key material);
    setting the same providers again changes and records nothing.
    """
    providers = list(providers)
    before = set(client.providers.values_list("ods_code", flat=True))
    after = {provider.ods_code for provider in providers}
    if before == after:
        return client
    client.providers.set(providers)
    audit_record(
        actor=by,
        action="api_key.providers_changed",
        obj=client,
        details={
            "prefix": client.prefix,
            "added": sorted(after - before),
            "removed": sorted(before - after),
            "providers": sorted(after),
        },
    )
    return client


@transaction.atomic
def api_key_revoke(*, client: ApiClient, by=None) -> ApiClient:
    """Revoke a key at once; revoking it again changes nothing."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    client.revoked_by = by if getattr(by, "pk", None) else None
    client.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor=by, action="api_key.revoked", obj=client, details={"prefix": client.prefix})
    return client


def api_client_for_key(raw_key: str) -> ApiClient | None:
    """The client holding ``raw_key`` (revoked or not), or None.

    The lookup is by the hash, so no comparison of secrets happens in Python; an attacker's
    timing tells them only about hashes of keys they already hold.
    """
    if not raw_key.startswith(KEY_PREFIX):
        return None
    return (
        ApiClient.objects.filter(key_hash=api_key_hash(raw_key))
        .prefetch_related("providers")
        .first()
    )
