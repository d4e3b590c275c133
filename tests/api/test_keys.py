import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from outcomes.access import api_key_hash, api_key_issue, api_key_revoke
from outcomes.models import ApiClient, AuditEvent
from outcomes.permissions import AggregateAccess, providers_for_request
from outcomes.throttling import ClientRateThrottle
from tests.api.conftest import auth
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class WhoAmI(APIView):
    permission_classes = [AggregateAccess]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "aggregate"

    def get(self, request):
        return Response({"providers": sorted(p.ods_code for p in providers_for_request(request))})


def call(headers=None, user=None):
    request = APIRequestFactory().get("/whoami/", **(headers or {}))
    if user is not None:
        force_authenticate(request, user=user)
    return WhoAmI.as_view()(request)


def test_an_issued_key_starts_with_proms_and_only_its_hash_is_stored(provider_a):
    client, raw_key = api_key_issue(name="Analysts", providers=[provider_a])

    stored = ApiClient.objects.get(pk=client.pk)
    assert raw_key.startswith("proms_") and len(raw_key) > 40
    assert stored.key_hash == api_key_hash(raw_key)
    assert raw_key not in {str(getattr(stored, f.attname)) for f in ApiClient._meta.concrete_fields}
    assert stored.prefix == raw_key[:14]


def test_issuing_and_revoking_are_audited(provider_a):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client, _raw = api_key_issue(name="Analysts", providers=[provider_a], by=admin)

    api_key_revoke(client=client, by=admin)

    actions = list(
        AuditEvent.objects.filter(
            object_type="outcomes.apiclient", object_id=str(client.pk)
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["api_key.issued", "api_key.revoked"]


def test_a_valid_key_is_accepted_with_api_key_or_bearer(key_a):
    assert call(auth(key_a)).status_code == 200
    assert call(auth(key_a, "Bearer")).status_code == 200
    assert call(auth(key_a)).data == {"providers": ["RAA01"]}


def test_a_missing_key_is_401_saying_how_to_send_one():
    response = call()

    assert response.status_code == 401
    assert "Api-Key" in response.data["error"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_an_unknown_key_is_401():
    response = call(auth("proms_not-a-real-key"))

    assert response.status_code == 401
    assert response.data == {"error": "That API key is not valid."}


def test_a_revoked_key_is_401_saying_it_was_revoked(provider_a):
    client, raw_key = api_key_issue(name="Analysts", providers=[provider_a])
    api_key_revoke(client=client)

    response = call(auth(raw_key))

    assert response.status_code == 401
    assert "revoked" in response.data["error"]


def test_a_staff_user_signed_in_sees_their_own_providers(provider_a, provider_b):
    user = UserFactory(username="physio", is_staff=True)
    provider_b.staff.add(user)

    response = call(user=user)

    assert response.status_code == 200
    assert response.data == {"providers": ["RBB02"]}


def test_a_provider_s_staff_member_reads_aggregates_without_django_staff_status(provider_b):
    user = UserFactory(username="hub-admin")  # as the staff pages know them: no admin access
    provider_b.staff.add(user)

    response = call(user=user)

    assert response.status_code == 200
    assert response.data == {"providers": ["RBB02"]}


def test_a_signed_in_user_who_is_not_staff_is_403():
    response = call(user=UserFactory(username="someone"))

    assert response.status_code == 403


def test_last_used_is_written_at_most_once_a_minute(key_a):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        call(auth(key_a))
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        call(auth(key_a))
    assert ApiClient.objects.get().last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        call(auth(key_a))
    assert ApiClient.objects.get().last_used_at == start + dt.timedelta(seconds=61)


def test_too_many_requests_is_429_with_a_message(key_a, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"aggregate": "2/minute"})

    statuses = [call(auth(key_a)).status_code for _ in range(3)]
    response = call(auth(key_a))

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert "throttled" in response.data["error"]


def test_keys_are_throttled_separately(key_a, key_none, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"aggregate": "1/minute"})

    first = call(auth(key_a)).status_code
    other = call(auth(key_none)).status_code

    assert (first, other) == (200, 200)


def test_the_command_prints_a_key_once_and_scopes_it(provider_a, capsys):
    call_command("api_key_issue", "--name", "Trust analysts", "--provider", "RAA01")

    out = capsys.readouterr().out
    raw_key = next(word for word in out.split() if word.startswith("proms_"))
    client = ApiClient.objects.get(key_hash=api_key_hash(raw_key))
    assert [p.ods_code for p in client.providers.all()] == ["RAA01"]


def test_the_command_refuses_an_unknown_provider(db):
    with pytest.raises(CommandError, match="ZZZ99"):
        call_command("api_key_issue", "--name", "Trust analysts", "--provider", "ZZZ99")
    assert not ApiClient.objects.exists()


def test_a_key_works_over_http(key_a):
    response = Client().get("/api/v1/instruments/", **auth(key_a))

    assert response.status_code == 200


def test_the_schema_declares_the_api_key_security_scheme(db):
    schema = Client().get("/api/v1/schema/?format=json").json()

    assert schema["components"]["securitySchemes"]["ApiKey"]["in"] == "header"
    assert "/api/v1/exports/responses/" in schema["paths"]


def test_the_docs_page_serves_swagger_ui_from_our_own_static_files(db):
    response = Client().get("/api/v1/docs/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
