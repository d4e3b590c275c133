"""Opening a patient or an episode writes a read record (outcomes/audit.py) that a superuser can
list and filter in the admin; a record names the user and the record shown, nothing else."""

from __future__ import annotations

import pytest
from django.test import Client

from outcomes.audit import audit_read
from outcomes.models import AuditEvent
from tests.factories import UserFactory


def reads():
    return AuditEvent.objects.filter(action="read")


def test_opening_a_patient_records_who_read_which_patient(client_a, staff_a, episode_a):
    client_a.get(f"/staff/patients/{episode_a.patient_id}/")

    event = reads().get()
    assert (event.actor, event.object_type, event.object_id) == (
        staff_a,
        "surveys.patient",
        str(episode_a.patient_id),
    )


def test_opening_an_episode_records_the_episode_and_its_patient(client_a, staff_a, episode_a):
    client_a.get(f"/staff/episodes/{episode_a.pk}/")

    event = reads().get()
    assert (event.object_type, event.object_id) == ("surveys.episode", str(episode_a.pk))
    assert event.details == {"patient": episode_a.patient_id}


def test_a_page_refused_to_another_provider_records_no_read(client, staff_b, episode_a):
    client.force_login(staff_b)

    assert client.get(f"/staff/episodes/{episode_a.pk}/").status_code == 404
    assert not reads().exists()


def test_a_superuser_lists_reads_filtered_by_user_and_kind(client_a, staff_a, episode_a):
    client_a.get(f"/staff/episodes/{episode_a.pk}/")
    client_a.get(f"/staff/patients/{episode_a.patient_id}/")
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)

    page = admin.get(
        "/admin/outcomes/auditevent/",
        {"action": "read", "object_type": "surveys.episode", "actor__id__exact": staff_a.pk},
    )

    assert page.status_code == 200
    assert [event.object_type for event in page.context["cl"].result_list] == ["surveys.episode"]


def test_staff_who_are_not_superusers_cannot_read_the_audit(client_a):
    assert client_a.get("/admin/outcomes/auditevent/").status_code == 302


def test_a_report_names_itself_when_it_records_a_read(rf, staff_a):
    request = rf.get("/reports/practice-variation/")
    request.user = staff_a

    event = audit_read(
        request=request, object_type="report", object_id="practice-variation", details={"n": 1}
    )

    assert (event.actor, event.object_type, event.object_id) == (
        staff_a,
        "report",
        "practice-variation",
    )


def test_a_read_must_name_what_was_shown(rf, staff_a):
    request = rf.get("/")
    request.user = staff_a

    with pytest.raises(ValueError):
        audit_read(request=request)
