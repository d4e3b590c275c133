"""Staff need a password and a second factor (TOTP or a backup code) for staff pages, the admin
and session access to the API; a first log-in sets up an authenticator app."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from outcomes.models import AuditEvent
from tests.factories import ProviderFactory, UserFactory

PASSWORD = "a-long-test-password"


@pytest.fixture
def staff(db):
    user = UserFactory(username="hub.user", is_staff=True)
    ProviderFactory().staff.add(user)
    return user


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def password_login(client: Client, user, next_url: str = "/staff/"):
    return client.post(
        f"/accounts/login/?next={next_url}", {"username": user.username, "password": PASSWORD}
    )


def test_a_session_with_only_a_password_is_sent_to_the_code_page_from_staff_pages(staff):
    client = Client()
    client.force_login(staff, second_factor=False)

    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=/staff/")


def test_a_session_with_only_a_password_cannot_open_the_admin(db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root, second_factor=False)

    response = client.get("/admin/outcomes/auditevent/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")


def test_a_session_with_only_a_password_reads_no_patient_rows_from_the_api(staff):
    client = Client()
    client.force_login(staff, second_factor=False)

    response = client.get("/api/v1/exports/responses/")

    assert response.status_code == 401


def test_the_test_helper_session_is_verified_and_opens_staff_pages(staff):
    client = Client()
    client.force_login(staff)

    assert client.get("/staff/").status_code == 200


def test_password_then_authenticator_code_opens_the_staff_pages(staff):
    device = authenticator(staff)
    client = Client()

    response = password_login(client, staff)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")
    assert client.get("/staff/").status_code == 302

    response = client.post(
        "/accounts/two-factor/", {"code": current_code(device), "next": "/staff/"}
    )

    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="second_factor_verified", actor=staff).exists()


def test_a_wrong_code_is_refused_with_a_message_and_audited(staff):
    authenticator(staff)
    client = Client()
    password_login(client, staff)

    response = client.post("/accounts/two-factor/", {"code": "000000", "next": "/staff/"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action="second_factor_failed", actor=staff).exists()


def test_first_log_in_sets_up_an_authenticator_and_shows_backup_codes_once(staff):
    client = Client()
    password_login(client, staff)

    response = client.get("/accounts/two-factor/?next=/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/set-up/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    qr = client.get("/accounts/two-factor/set-up/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.content  # a document an <img> can show
    device = TOTPDevice.objects.get(user=staff, confirmed=False)

    response = client.post(
        "/accounts/two-factor/set-up/", {"code": current_code(device), "next": "/staff/"}
    )

    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == services.BACKUP_CODE_COUNT
    assert all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200


def test_a_password_alone_cannot_replace_an_existing_authenticator(staff):
    authenticator(staff)
    client = Client()
    password_login(client, staff)

    response = client.get("/accounts/two-factor/set-up/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?")
    assert client.get("/accounts/two-factor/set-up/qr.svg").status_code == 403


def test_a_backup_code_logs_in_once(staff):
    authenticator(staff)
    code = services.backup_codes_issue(user=staff)[0]
    first, second = Client(), Client()
    password_login(first, staff)
    password_login(second, staff)

    assert first.post("/accounts/two-factor/", {"code": code.upper()}).status_code == 302
    assert first.get("/staff/").status_code == 200
    again = second.post("/accounts/two-factor/", {"code": code})
    assert again.status_code == 200
    assert second.get("/staff/").status_code == 302


def test_new_backup_codes_replace_the_old_ones(staff):
    old = services.backup_codes_issue(user=staff)
    new = services.backup_codes_issue(user=staff)

    tokens = set(
        StaticDevice.objects.get(user=staff, name=services.BACKUP_NAME).token_set.values_list(
            "token", flat=True
        )
    )
    assert tokens == set(new) and not tokens & set(old)


def test_reset_removes_every_device_so_the_user_sets_up_again(staff):
    authenticator(staff)
    services.backup_codes_issue(user=staff)
    admin = UserFactory(username="root", is_superuser=True)

    services.second_factor_reset(user=staff, by=admin)

    assert not services.user_has_second_factor(user=staff)
    assert AuditEvent.objects.filter(action="second_factor_reset", actor=admin).exists()


def test_the_reset_command_needs_a_superuser_and_audits_who_did_it(staff):
    from django.core.management import CommandError, call_command

    authenticator(staff)
    UserFactory(username="root", is_superuser=True)

    with pytest.raises(CommandError):
        call_command("second_factor_reset", "hub.user", by="hub.user")
    call_command("second_factor_reset", "hub.user", by="root")

    assert not services.user_has_second_factor(user=staff)


def test_a_code_too_soon_after_a_wrong_one_is_not_checked_and_the_page_says_how_long_to_wait(
    staff,
):
    import time_machine

    device = authenticator(staff)
    client = Client()
    password_login(client, staff)
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False) as clock:
        client.post("/accounts/two-factor/", {"code": "000000"})
        clock.shift(1.5)
        client.post("/accounts/two-factor/", {"code": "000001"})  # second wrong code: wait 2 s

        too_soon = client.post("/accounts/two-factor/", {"code": current_code(device)})
        assert "wait 2 seconds before trying again" in too_soon.content.decode()
        assert client.get("/staff/").status_code == 302
        clock.shift(3)

        right = client.post("/accounts/two-factor/", {"code": current_code(device)})

        assert right.status_code == 302
        assert client.get("/staff/").status_code == 200
