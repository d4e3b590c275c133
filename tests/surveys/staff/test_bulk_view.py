"""The bulk enrolment page: upload form, template file, result page, access."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys import bulk
from surveys.models import Episode, Patient
from tests.factories import PracticeFactory, ProviderFactory, UserFactory
from tests.surveys.staff.test_bulk import HEADER, csv_file, nhs, referral

pytestmark = pytest.mark.django_db

URL = "staff:enrolment_upload"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def uploader(loaded_definitions):
    user = UserFactory()
    ProviderFactory(ods_code="RK5").staff.add(user)
    PracticeFactory(ods_code="C84001")
    return user


@pytest.fixture
def staff_client(client, uploader):
    client.force_login(uploader)
    return client


def post(client, uploaded):
    return client.post(reverse(URL), {"referrals": uploaded})


def test_the_page_needs_a_log_in(client):
    response = client.get(reverse(URL))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_user_without_a_provider_cannot_upload(client, loaded_definitions):
    client.force_login(UserFactory())

    response = post(client, csv_file([referral()]))

    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_the_form_lists_every_column_and_links_to_the_template(staff_client):
    page = staff_client.get(reverse(URL)).content.decode()

    assert all(f"<code>{column}</code>" in page for column in bulk.COLUMNS)
    assert 'href="?template=1"' in page
    assert '<label class="nhsuk-label" for="referrals">' in page
    assert page.count("<h1") == 1


def test_the_template_file_has_the_header_and_a_synthetic_row_that_can_be_enrolled(
    staff_client, uploader
):
    response = staff_client.get(reverse(URL), {"template": "1"})

    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(bulk.COLUMNS)
    assert rows[1][0].replace(" ", "").startswith("999")
    result = bulk.referrals_enrol(
        rows=bulk.referral_file_read(SimpleUploadedFile("t.csv", response.content)), user=uploader
    )
    assert result.counts["enrolled"] == 1


def test_uploading_shows_counts_and_links_to_the_enrolled_episodes(staff_client):
    response = post(staff_client, csv_file([referral(1), referral(2)]))

    page = response.content.decode()
    assert response.status_code == 200
    for episode in Episode.objects.all():
        assert reverse("staff:episode_detail", args=[episode.pk]) in page
    assert '<span class="staff-counts__n">2</span> enrolled' in page


def test_rejected_rows_are_listed_with_their_row_number_and_every_reason(staff_client):
    response = post(staff_client, csv_file([referral(1), referral(2, sex="x", postcode="?")]))

    page = response.content.decode()
    assert '<th scope="row">3</th>' in page
    assert nhs(2) in page
    assert "Sex must be female, male, other or not-known." in page
    assert "Enter a full UK postcode, like NG18 1AA." in page
    assert '<span class="staff-counts__n">1</span> rejected' in page


def test_uploading_the_same_file_again_reports_already_enrolled(staff_client):
    post(staff_client, csv_file([referral(1)]))

    response = post(staff_client, csv_file([referral(1)]))

    assert '<span class="staff-counts__n">1</span> already enrolled' in response.content.decode()
    assert Episode.objects.count() == 1


def test_a_file_level_error_shows_the_error_summary_linked_to_the_file_input(staff_client):
    header = [c for c in HEADER if c != "consent"]

    response = post(staff_client, csv_file([referral()], header=header))

    page = response.content.decode()
    assert 'class="nhsuk-error-summary"' in page
    assert '<a href="#referrals">Columns missing: consent.</a>' in page
    assert 'aria-describedby="referrals-hint referrals-error"' in page
    assert not Patient.objects.exists()


def test_submitting_without_a_file_asks_for_one(staff_client):
    response = staff_client.post(reverse(URL), {})

    assert "Select a CSV file of referrals to upload." in response.content.decode()


def test_a_spreadsheet_is_refused_with_a_clear_message(staff_client):
    response = post(staff_client, SimpleUploadedFile("referrals.xlsx", b"PK\x03\x04\x00"))

    assert "must be a CSV file" in response.content.decode()
