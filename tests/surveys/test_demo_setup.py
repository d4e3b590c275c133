import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import NoReverseMatch, reverse

from outcomes.loading import catalogue
from surveys import services, synthetic
from surveys.models import Episode, Patient, PostcodeArea, Provider, Response

pytestmark = pytest.mark.django_db

LINK = re.compile(r"Try the patient side: (\S+)  \(date of birth (\d\d/\d\d/\d{4})\)")


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True
    settings.PUBLIC_BASE_URL = "http://demo.example"
    settings.DEMO_HISTORY_PATIENTS = 0  # the bulk history: tests/surveys/test_demo_history.py


def demo_setup(*args) -> str:
    out = io.StringIO()
    call_command("demo_setup", *args, stdout=out)
    return out.getvalue()


def token_from(output: str) -> str:
    url, _ = LINK.search(output).groups()
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _answers_for(invitation) -> dict:
    """The lowest answer to every question (a staff entry needs at least one per questionnaire)."""
    return {
        code: {
            item.id: item.options[0].code if item.kind == "choice" else item.minimum
            for item in catalogue().instrument(code, version).items
        }
        for code, version in invitation.instruments
    }


def test_demo_setup_loads_about_200_patients_at_every_stage():
    demo_setup()

    assert Patient.objects.count() == 201  # 200 generated + the one whose link is printed
    assert Response.objects.count() > 200
    statuses = set(Episode.objects.values_list("status", flat=True))
    assert {"active", "discharged", "withdrawn"} <= statuses
    assert Patient.objects.filter(area__imd_decile__isnull=False).count() == 201
    assert PostcodeArea.objects.exists()
    assert Provider.objects.count() == 5


def test_demo_setup_prints_a_patient_link_that_opens_today():
    output = demo_setup("--patients", "10")

    url, birth_date = LINK.search(output).groups()
    assert url.startswith("http://demo.example/q/")
    assert birth_date == "14/03/1948"
    invitation = services.invitation_for_token(token_from(output))
    assert invitation is not None
    assert services.invitation_is_answerable(invitation)
    assert invitation.episode.patient.date_of_birth.strftime("%d/%m/%Y") == birth_date


def test_the_printed_link_opens_the_patient_page(client):
    output = demo_setup("--patients", "10")
    try:
        reverse("patient:start", args=["x" * 43])
    except NoReverseMatch:
        pytest.skip("the patient pages are not routed yet")

    response = client.get(urlsplit(LINK.search(output).group(1)).path)

    assert response.status_code == 200


def test_demo_setup_twice_duplicates_nothing_and_the_new_link_replaces_the_old():
    first = demo_setup("--patients", "10")
    counts = (Patient.objects.count(), Episode.objects.count(), Response.objects.count())

    second = demo_setup("--patients", "10")

    assert (Patient.objects.count(), Episode.objects.count(), Response.objects.count()) == counts
    assert "Keeping the 10 demo patients" in second
    assert services.invitation_for_token(token_from(first)) is None
    assert services.invitation_is_answerable(services.invitation_for_token(token_from(second)))


def test_demo_setup_gives_a_new_open_link_once_the_demo_questionnaire_is_answered():
    first = demo_setup("--patients", "5")
    invitation = services.invitation_for_token(token_from(first))
    services.response_submit(
        invitation=invitation, answers=_answers_for(invitation), mode="staff", by=None
    )

    second = demo_setup("--patients", "5")

    assert services.invitation_is_answerable(services.invitation_for_token(token_from(second)))


def test_demo_setup_reset_rebuilds_the_patients():
    demo_setup("--patients", "10")
    before = set(Patient.objects.values_list("pk", flat=True))

    output = demo_setup("--patients", "10", "--reset")

    assert "Deleted 11 demo patients" in output
    assert Patient.objects.count() == 11
    assert not before & set(Patient.objects.values_list("pk", flat=True))


def test_demo_staff_log_ins_belong_to_their_provider_only():
    output = demo_setup("--patients", "5")

    users = get_user_model().objects
    hub, sfh = users.get(username="hub.admin"), users.get(username="sfh.clinician")
    assert list(Provider.objects.for_user(hub).values_list("ods_code", flat=True)) == ["DEMOHUB"]
    assert list(Provider.objects.for_user(sfh).values_list("ods_code", flat=True)) == ["RK5"]
    assert not hub.is_superuser and not hub.is_staff
    password = re.search(r"username: hub\.admin  password: (\S+)", output).group(1)
    assert hub.check_password(password)
    assert users.get(username="admin").is_superuser


def test_demo_setup_refuses_to_run_outside_a_demo(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv("PROMS_DEMO", raising=False)

    with pytest.raises(CommandError, match="for local demos"):
        demo_setup()


def test_demo_patients_are_synthetic():
    demo_setup("--patients", "20")

    for patient in Patient.objects.all():
        assert patient.nhs_number.startswith("999")
        assert patient.email.endswith("@example.com")
        assert patient.mobile.startswith("+447700900")
    assert Patient.objects.filter(nhs_number=synthetic.demo_patient_nhs_number()).count() == 1


def test_demo_log_ins_get_printed_backup_codes_that_pass_the_second_factor():
    from django.test import Client

    output = demo_setup("--patients", "5")
    password = re.search(r"username: hub\.admin  password: (\S+)", output).group(1)
    code = re.search(r"  hub\.admin: (\S+)", output).group(1)
    client = Client()
    client.post("/accounts/login/", {"username": "hub.admin", "password": password})

    response = client.post("/accounts/two-factor/", {"code": code, "next": "/staff/"})

    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
