import pytest
from django.urls import reverse

from surveys.templatetags.patients import nhs_number
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_goes_to_login(client, episode_a):
    for url in (
        reverse("staff:home"),
        reverse("staff:patient_new"),
        reverse("staff:episode_detail", args=[episode_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_login_page_renders_nhsuk_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'class="nhsuk-input"' in response.content


def test_other_providers_patient_and_episode_are_404(client_a, episode_b):
    invitation = episode_b.invitations.first()
    urls = [
        reverse("staff:patient_detail", args=[episode_b.patient.pk]),
        reverse("staff:episode_detail", args=[episode_b.pk]),
        reverse("staff:event_new", args=[episode_b.pk]),
        reverse("staff:episode_new", args=[episode_b.patient.pk]),
        reverse("staff:invitation_answers", args=[invitation.pk]),
    ]
    for url in urls:
        assert client_a.get(url).status_code == 404, url
    assert (
        client_a.post(reverse("staff:invitation_resend", args=[invitation.pk])).status_code == 404
    )


def test_own_episode_is_shown(client_a, episode_a):
    response = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk]))
    assert response.status_code == 200
    assert "Before your first appointment" in response.content.decode()


def test_user_without_provider_sees_notice(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.get(reverse("staff:home"))
    assert response.status_code == 403
    assert "not linked to a service" in response.content.decode()


def test_admin_is_for_superusers_only(client, staff_a):
    staff_a.is_staff = True
    staff_a.save()
    client.force_login(staff_a)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response.url
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200


def test_dashboard_lists_only_my_episodes(client_a, episode_a, episode_b):
    response = client_a.get(reverse("staff:home"))
    body = response.content.decode()
    assert nhs_number(episode_a.patient.nhs_number) in body  # shown as 999 100 0003
    assert nhs_number(episode_b.patient.nhs_number) not in body
    assert episode_b.patient.full_name not in body


def test_log_out_is_a_post_form_in_the_header(client_a):
    body = client_a.get(reverse("staff:home")).content.decode()
    assert f'action="{reverse("logout")}"' in body
    client_a.post(reverse("logout"))
    assert client_a.get(reverse("staff:home")).status_code == 302


def test_dashboard_counts_are_links_to_the_worklists(client_a, episode_a):
    body = client_a.get(reverse("staff:home")).content.decode()
    assert f'<a href="{reverse("care:overdue")}"><span class="staff-counts__n">0</span>' in body


def test_bulk_upload_is_routed():
    assert reverse("staff:enrolment_upload") == "/staff/enrolments/upload/"
